"""compare.py on simulator output: runs listed in command-line order, labelled by scenario and
strategy, with the figures of each file (read here independently with h5py); a real chart;
bad inputs give one clear line and exit status 1."""
import re

import h5py
import numpy as np
import pytest

from test_report import BAD, make_bad


def rows_of(stdout):
    """The table printed by compare.py as a list of {header: cell} (columns found from the
    header line, as in test_report.section)."""
    lines = [l for l in stdout.splitlines() if l.strip()]
    hdr = lines[0]
    cols = [(m.group(), m.start()) for m in re.finditer(r"\S+(?: \S+)*", hdr)]
    out = []
    for l in lines[1:]:
        if l.startswith("chart:"):
            break
        out.append({n: l[s:(cols[j + 1][1] if j + 1 < len(cols) else None)].strip()
                    for j, (n, s) in enumerate(cols)})
    return out


def expected(path, table, size_fmt):
    """The compared figures, computed here from the file."""
    with h5py.File(path, "r") as f:
        scen = f.attrs["scenario"]
    scen = scen.decode() if isinstance(scen, bytes) else str(scen)
    c = table(path, "/consolidations")
    strat = list(dict.fromkeys(s for s in c["strategy"] if s)) or \
        list(dict.fromkeys(s for s in table(path, "/summary/vms")["strategy"] if s))
    e = table(path, "/events")
    n = len(c["vm"])
    return {"label": f"{scen} / {','.join(strat)}",
            "peak extra": size_fmt(c["peak_extra_bytes"].max()) if n else "-",
            "bytes copied": size_fmt(c["bytes_copied"].sum()),
            "consolidation time": f"{c['duration_s'].sum():.1f} s",
            "stun time": f"{c['stun_s'].sum():.2f} s",
            "stalls": str(int(np.sum(e["kind"] == "vm_stalled"))),
            "file": str(path)}


@pytest.mark.parametrize("order", [("vsphere41", "esx35", "seed"), ("esx35", "vsphere41")])
def test_order_labels_and_figures(order, runs, run_tool, table, size_fmt, tmp_path, png_ok):
    chart = tmp_path / "chart.png"
    p = run_tool("compare.py", *[runs[k] for k in order], "-o", chart)
    assert p.returncode == 0, p.stderr
    rows = rows_of(p.stdout)
    assert [r["run"] for r in rows] == [str(i + 1) for i in range(len(order))]
    for key, r in zip(order, rows):
        want = expected(runs[key], table, size_fmt)
        got = {k: r[k] for k in want}
        assert got == want, key
        if key in ("esx35", "vsphere41"):  # the strategy set with --set STRATEGY= labels the run
            assert key in r["label"].split(" / ")[-1].split(",")
    png_ok(chart)


def test_strategies_differ(runs, table):
    """The two strategy runs really used different strategies (else the comparison is void)."""
    a = set(table(runs["esx35"], "/consolidations")["strategy"])
    b = set(table(runs["vsphere41"], "/consolidations")["strategy"])
    assert "esx35" in a and "vsphere41" in b and a != b


@pytest.mark.parametrize("kind", sorted(BAD))
def test_bad_file_clear_error(kind, runs, run_tool, tmp_path):
    f = make_bad(kind, runs["seed"], tmp_path)
    chart = tmp_path / "chart.png"
    p = run_tool("compare.py", runs["esx35"], f, "-o", chart)
    assert p.returncode == 1
    err = p.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in p.stderr
    assert str(f) in err and BAD[kind] in err
    assert not chart.exists()
