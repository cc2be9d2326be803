"""snapsim_report.py on simulator output: the summary's figures equal the file's (read here
independently with h5py), every plot is a real picture, the HTML page holds them all, absent
data skips a plot cleanly, and bad files give one clear line and exit status 1."""
import base64
import re
import shutil

import h5py
import numpy as np
import pytest

PLOTS = ("datastore_use.png", "chain_files.png", "consolidation_timeline.png", "clock_offsets.png")


def section(text, title):
    """The grid under the summary heading starting with `title`, as a list of {header: cell}.
    Columns are found from the header line: headers are separated by two or more spaces and
    the cells are left-aligned under them."""
    lines = text.splitlines()
    i = next(k for k, l in enumerate(lines) if l.startswith(title))
    block = []
    for l in lines[i + 1:]:
        if not l.strip():
            break
        block.append(l)
    if not block or block[0].strip() == "none":
        return []
    hdr = block[0]
    cols = [(m.group(), m.start()) for m in re.finditer(r"\S+(?: \S+)*", hdr)]
    rows = []
    for l in block[1:]:
        cells = {}
        for j, (name, start) in enumerate(cols):
            end = cols[j + 1][1] if j + 1 < len(cols) else None
            cells[name] = l[start:end].strip()
        rows.append(cells)
    return rows


@pytest.fixture(scope="module")
def seed_report(runs, run_tool, tmp_path_factory):
    out = tmp_path_factory.mktemp("seed_report")
    p = run_tool("snapsim_report.py", runs["seed"], "-o", out)
    assert p.returncode == 0, p.stderr
    return p.stdout, out


def test_datastore_peaks_match_file(seed_report, runs, table, size_fmt):
    text, _ = seed_report
    sd = table(runs["seed"], "/summary/datastores")
    rows = {r["datastore"]: r for r in section(text, "Datastores")}
    assert set(rows) == set(sd["datastore"])
    for i, ds in enumerate(sd["datastore"]):
        assert rows[ds]["peak used"] == size_fmt(sd["peak_used"][i])
        assert rows[ds]["capacity"] == size_fmt(sd["capacity"][i])
        t = int(round(sd["t_peak"][i]))  # printed as [Nd ]HH:MM:SS
        want = f"{t // 3600 % 24:02d}:{t // 60 % 60:02d}:{t % 60:02d}"
        assert rows[ds]["at"].endswith(want)


@pytest.mark.parametrize("key", ["seed", "esx35", "vsphere41"])
def test_consolidations_match_file(key, runs, run_tool, table, size_fmt, tmp_path):
    p = run_tool("snapsim_report.py", runs[key], "-o", tmp_path)
    assert p.returncode == 0, p.stderr
    c = table(runs[key], "/consolidations")
    rows = section(p.stdout, "Consolidations")
    assert len(c["vm"]) > 0, "every test scenario consolidates"
    assert len(rows) == len(c["vm"])
    for i, r in enumerate(rows):
        assert r["#"] == str(i + 1)
        assert r["vm"] == c["vm"][i] and r["strategy"] == c["strategy"][i] and r["result"] == c["result"][i]
        assert r["copied"] == size_fmt(c["bytes_copied"][i])
        assert r["peak extra"] == size_fmt(c["peak_extra_bytes"][i])
        assert r["worst case"] == size_fmt(c["worst_case_bytes"][i])
        assert r["duration"] == f"{c['duration_s'][i]:.1f} s"
        assert r["stun"] == f"{c['stun_s'][i]:.2f} s"
        assert r["merges"] == str(c["merges"][i]) and r["iter"] == str(c["iterations"][i])


def test_vm_table_matches_file(seed_report, runs, table, size_fmt):
    text, _ = seed_report
    sv = table(runs["seed"], "/summary/vms")
    e = table(runs["seed"], "/events")
    rows = {r["vm"]: r for r in section(text, "VMs")}
    assert set(rows) == set(sv["vm"])
    for i, v in enumerate(sv["vm"]):
        r = rows[v]
        assert r["datastore"] == sv["datastore"][i] and r["strategy"] == sv["strategy"][i]
        assert r["written"] == size_fmt(sv["bytes_written"][i])
        assert r["stalls"] == str(sv["stalls"][i]) and r["stalled"] == f"{sv['stall_s'][i]:.1f} s"
        assert r["failed snapshots"] == str(sv["failed_snapshots"][i])
        assert r["failed snapshots"] == str(int(np.sum((e["kind"] == "snapshot_failed") & (e["vm"] == v))))


def test_stalls_and_clock_steps_match_events(runs, run_tool, table, tmp_path):
    # The esx35 run is used too: whichever runs have stalls and clock steps get checked.
    for key in ("seed", "esx35"):
        p = run_tool("snapsim_report.py", runs[key], "-o", tmp_path / key)
        assert p.returncode == 0, p.stderr
        e = table(runs[key], "/events")
        kind, vm, val, det = e["kind"], e["vm"], e["value"], e["detail"]
        stalls = {r["vm"]: r for r in section(p.stdout, "Stalls")}
        assert set(stalls) == set(vm[kind == "vm_stalled"])
        for v, r in stalls.items():
            assert r["stalls"] == str(int(np.sum((kind == "vm_stalled") & (vm == v))))
            if not r["stalled at end"]:  # every stall ended: total = sum of the stall lengths
                total = val[(kind == "vm_resumed_io") & (vm == v)].sum()
                assert r["total stalled"] == f"{total:.1f} s"
        steps = {r["vm"]: r for r in section(p.stdout, "Clock steps")}
        cs = kind == "clock_step"
        assert set(steps) == set(vm[cs]) | ({"(all)"} if cs.any() else set())
        for v, r in steps.items():
            k = cs & ((vm == v) if v != "(all)" else True)
            for cause in ("boot", "resume", "revert", "tools"):
                assert r[cause] == str(int(np.sum(k & (det == cause))))
            fwd, bwd = val[k & (val > 0)], val[k & (val < 0)]
            assert r["largest forward"] == (f"{fwd.max():+.2f} s" if fwd.size else "-")
            assert r["largest backward"] == (f"{bwd.min():+.2f} s" if bwd.size else "-")
        sv = table(runs[key], "/summary/vms")
        skew = {r["vm"]: r for r in section(p.stdout, "Clock skew")}
        for i, v in enumerate(sv["vm"]):
            assert skew[v]["max |guest offset|"] == f"{sv['max_abs_offset_s'][i]:.2f} s"


def test_every_plot_written_and_in_html(seed_report, png_ok):
    text, out = seed_report
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == sorted(PLOTS)
    for name in PLOTS:
        png_ok(out / name)
        assert f"{name}: skipped" not in text
    page = (out / "index.html").read_text()
    for name in PLOTS:
        assert name in page
    # Self-contained: each plot is embedded, byte for byte.
    embedded = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert sorted(base64.b64decode(b) for b in embedded) == sorted((out / n).read_bytes() for n in PLOTS)
    assert "Consolidations" in page and "Datastores" in page


def test_default_output_dir_next_to_file(runs, run_tool, tmp_path):
    f = tmp_path / "myrun.h5"
    shutil.copy(runs["seed"], f)
    p = run_tool("snapsim_report.py", f, cwd=tmp_path.parent)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "myrun_report" / "index.html").is_file()
    assert (tmp_path / "myrun_report" / "datastore_use.png").is_file()


def test_no_consolidations_skips_timeline(runs, run_tool, tmp_path, png_ok):
    # A run without deletions has empty consolidation tables; make one from the seed output.
    f = tmp_path / "quiet.h5"
    shutil.copy(runs["seed"], f)
    with h5py.File(f, "r+") as h:
        for name in ("/consolidations", "/consolidation_steps"):
            h[name].resize((0,))  # the tables are chunked with an unlimited dimension
    p = run_tool("snapsim_report.py", f, "-o", tmp_path / "rep")
    assert p.returncode == 0, p.stderr
    assert "consolidation_timeline.png: skipped (no consolidation steps)" in p.stdout
    assert "Consolidations (0)" in p.stdout
    assert not (tmp_path / "rep" / "consolidation_timeline.png").exists()
    page = (tmp_path / "rep" / "index.html").read_text()
    assert page.count("data:image/png;base64,") == 3
    for name in set(PLOTS) - {"consolidation_timeline.png"}:
        png_ok(tmp_path / "rep" / name)


def make_bad(kind, good, d):
    """A bad input file of the given kind, made from a good snapsim file."""
    f = d / f"bad_{kind}.h5"
    if kind == "text":
        f.write_text("this is not HDF5\n")
    elif kind == "other_hdf5":
        with h5py.File(f, "w") as h:
            h["x"] = np.arange(3)
            h.attrs["format"] = "netcdf"
    elif kind == "no_format":
        with h5py.File(f, "w") as h:
            h["events"] = np.arange(3)
    elif kind == "version":
        shutil.copy(good, f)
        with h5py.File(f, "r+") as h:
            h.attrs["format_version"] = np.int64(2)
    elif kind == "truncated":
        raw = good.read_bytes()
        f.write_bytes(raw[:len(raw) // 2])
    elif kind == "missing":
        pass
    return f


BAD = {"text": "not an HDF5 file", "other_hdf5": "not snapsim output", "no_format": "not snapsim output",
       "version": "unsupported format_version 2", "truncated": "truncated", "missing": "no such file"}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_file_clear_error(kind, runs, run_tool, tmp_path):
    f = make_bad(kind, runs["seed"], tmp_path)
    p = run_tool("snapsim_report.py", f, "-o", tmp_path / "rep")
    assert p.returncode == 1
    assert p.stdout == ""
    err = p.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in p.stderr
    assert str(f) in err and BAD[kind] in err
    assert not (tmp_path / "rep" / "index.html").exists()
