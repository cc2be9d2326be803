"""The planner's answer (docs/output.md /summary/datastores): the figures the CLI summary prints
and /summary/datastores holds equal those computed here from the run's other tables (the
/series/datastores samples, the /events, /summary/vms) and from the scenario by hand.

fill.lua: datastore "small" (12 GB) holds VM a's thin 20 GB disk, written at 10 MB/s: it fills
and a stays stalled to the end; the snapshot at 2h fails.  "big" (100 GB) holds VM b's thick
30 GB disk, written at 1 MB/s for 3h: it never fills."""
import math
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import simulator

HERE = Path(__file__).resolve().parent
GB = 2 ** 30


def size(n):
    """ss_format_size: binary units, up to two decimals with trailing zeros trimmed."""
    n = int(n)
    u = 0
    names = ["B", "KB", "MB", "GB", "TB"]
    while u < 4 and n >= 2 ** (10 * (u + 1)):
        u += 1
    unit = 2 ** (10 * u)
    q, r = divmod(n, unit)
    h = (r * 100 + unit // 2) // unit
    if h == 100:
        q, h = q + 1, 0
    if q == 1024 and u < 4:
        u, q = u + 1, 1
    if h == 0:
        return f"{q} {names[u]}"
    if h % 10 == 0:
        return f"{q}.{h // 10} {names[u]}"
    return f"{q}.{h:02d} {names[u]}"


def dur(s):
    """ss_format_duration_human: whole seconds with every unit after the first from a minute up."""
    if s < 59.95:
        t = f"{s:.1f}s"
        return "0s" if s == 0 else t.replace(".0s", "s")
    sec = int(s + 0.5)
    d, h, m, x = sec // 86400, sec // 3600 % 24, sec // 60 % 60, sec % 60
    if d:
        return f"{d}d{h}h{m}m{x}s"
    if h:
        return f"{h}h{m}m{x}s"
    return f"{m}m{x}s"


@pytest.fixture(scope="module")
def fill(tmp_path_factory):
    out = tmp_path_factory.mktemp("planner") / "fill.h5"
    p = subprocess.run(simulator() + ["run", str(HERE / "fill.lua"), "-o", str(out), "-q"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return p.stdout, out


def test_summary_table_equals_other_tables(fill, table):
    _, h5 = fill
    sd = table(h5, "/summary/datastores")
    series = table(h5, "/series/datastores")
    ev = table(h5, "/events")
    vms = table(h5, "/summary/vms")
    duration = 3 * 3600.0
    for i, ds in enumerate(sd["datastore"]):
        mine = series["datastore"] == ds
        t, used = series["t"][mine], series["used"][mine]
        # The first sample (t = 0) is the use at the start; nothing happens before it.
        assert t[0] == 0 and sd["initial_used"][i] == used[0]
        # The exact peak is at least every sample; both datastores stay at their peak (small
        # stalls to the end, big only grows), so the last samples reach it.
        assert sd["peak_used"][i] >= used.max()
        assert sd["peak_used"][i] - used.max() < 64 * 2 ** 20
        assert sd["headroom"][i] == sd["peak_used"][i] - sd["initial_used"][i]
        assert sd["free_at_peak"][i] == sd["capacity"][i] - sd["peak_used"][i]
        full = ev["t"][(ev["kind"] == "datastore_full") & (ev["datastore"] == ds)]
        if len(full):
            assert sd["t_first_full"][i] == full.min()
        else:
            assert math.isnan(sd["t_first_full"][i])
        # Stalls: vm_stalled .. vm_resumed_io (or the end) of the VMs whose folder is here.
        names = set(vms["vm"][vms["datastore"] == ds])
        stall = 0.0
        for v in names:
            starts = np.sort(ev["t"][(ev["kind"] == "vm_stalled") & (ev["vm"] == v)])
            ends = list(np.sort(ev["t"][(ev["kind"] == "vm_resumed_io") & (ev["vm"] == v)]))
            for s in starts:
                e = next((x for x in ends if x >= s), duration)
                if e in ends:
                    ends.remove(e)
                stall += e - s
        assert sd["stall_s"][i] == pytest.approx(stall, abs=1e-6)
    by = {d: i for i, d in enumerate(sd["datastore"])}
    # By hand from fill.lua: small holds one thin 20 GB disk, big one thick 30 GB disk.
    assert sd["thin_capacity"][by["small"]] == 20 * GB and sd["provisioned"][by["small"]] == 20 * GB
    assert sd["thin_capacity"][by["big"]] == 0 and sd["provisioned"][by["big"]] == 30 * GB
    # small fills (20 GB thin at 10 MB/s on 12 GB) and a stalls to the end; big never fills.
    assert not math.isnan(sd["t_first_full"][by["small"]]) and sd["stall_s"][by["small"]] > 3600
    assert math.isnan(sd["t_first_full"][by["big"]]) and sd["stall_s"][by["big"]] == 0


def test_vm_summary_counts_open_stalls_and_failed_snapshots(fill, table, run_tool, tmp_path):
    """Issue 10 item 9 (a), (b): a's stall is still going at the end (3h): /summary/vms counts it up
    to the end (it said 0); its failed snapshot (2h, datastore full) is counted per VM in
    /summary/vms, the CLI summary and the report's VM table."""
    text, h5 = fill
    ev = table(h5, "/events")
    vms = table(h5, "/summary/vms")
    duration = 3 * 3600.0
    by = {v: i for i, v in enumerate(vms["vm"])}
    starts = ev["t"][(ev["kind"] == "vm_stalled") & (ev["vm"] == "a")]
    assert len(starts) == 1 and not ((ev["kind"] == "vm_resumed_io") & (ev["vm"] == "a")).any()
    assert vms["stall_s"][by["a"]] == pytest.approx(duration - starts[0], abs=1e-6)
    assert vms["stall_s"][by["a"]] > 3600
    assert vms["stall_s"][by["b"]] == 0
    for v in ("a", "b"):
        n = int(((ev["kind"] == "snapshot_failed") & (ev["vm"] == v)).sum())
        assert vms["failed_snapshots"][by[v]] == n
    assert vms["failed_snapshots"][by["a"]] == 1 and vms["failed_snapshots"][by["b"]] == 0
    assert ", 1 with failed snapshots, " in text  # -q: the totals
    full = subprocess.run(simulator() + ["run", str(HERE / "fill.lua"), "-o", str(tmp_path / "f.h5")],
                          capture_output=True, text=True, timeout=300)
    assert full.returncode == 0, full.stderr
    lines = full.stdout.splitlines()  # the default level lists each VM
    assert "  vm a          1 snapshot(s) failed" in lines
    assert f"  vm a          stalled 1 time(s), {dur(duration - starts[0])} in all (still stalled at the end)" in lines
    assert not any(l.startswith("  vm b ") for l in lines)
    from test_report import section
    p = run_tool("snapsim_report.py", h5, "-o", tmp_path)
    assert p.returncode == 0, p.stderr
    rows = {r["vm"]: r for r in section(p.stdout, "VMs")}
    assert set(rows) == {"a", "b"}
    assert rows["a"]["failed snapshots"] == "1" and rows["b"]["failed snapshots"] == "0"
    assert rows["a"]["stalled"] == f"{duration - starts[0]:.1f} s" and rows["a"]["stalls"] == "1"
    assert rows["b"]["stalled"] == "0.0 s"


def test_cli_prints_the_same_figures(fill, table):
    text, h5 = fill
    sd = table(h5, "/summary/datastores")
    ev = table(h5, "/events")
    for i, ds in enumerate(sd["datastore"]):
        want = (f"  datastore {ds:<14} {size(sd['capacity'][i])}: in use {size(sd['initial_used'][i])} at the start, "
                f"peak {size(sd['peak_used'][i])} at {dur(sd['t_peak'][i])}: needs {size(sd['headroom'][i])} more, "
                f"{size(sd['free_at_peak'][i])} left free")
        assert want in text.splitlines()
        if math.isnan(sd["t_first_full"][i]):
            assert f"  datastore {ds:<14} never filled" in text
        else:
            assert (f"  datastore {ds:<14} FILLED first at {dur(sd['t_first_full'][i])}; "
                    f"its VMs stalled {dur(sd['stall_s'][i])} in all") in text
    assert re.search(r"datastore small +OVERCOMMITTED: 1 thin disk\(s\) of 20 GB; all disks 20 GB on 12 GB \(167 %\)",
                     text)
    assert "datastore big            not overcommitted" not in text  # no thin disk there: no line
    n = {k: int((ev["kind"] == k).sum()) for k in ("snapshot_failed", "backup_failed", "backup_missed")}
    assert n["snapshot_failed"] == 1  # the 2h snapshot of a, on a full datastore
    assert (f"  snapshots failed: {n['snapshot_failed']}; backups failed: {n['backup_failed']}, "
            f"missed: {n['backup_missed']}") in text


def test_report_shows_the_planner_columns(fill, table, run_tool, tmp_path):
    _, h5 = fill
    from test_report import section
    p = run_tool("snapsim_report.py", h5, "-o", tmp_path)
    assert p.returncode == 0, p.stderr
    sd = table(h5, "/summary/datastores")
    rows = {r["datastore"]: r for r in section(p.stdout, "Datastores")}
    for i, ds in enumerate(sd["datastore"]):
        gb2 = lambda n: f"{n / 2 ** 30:.2f} GB" if n >= 2 ** 30 else None  # the report's two decimals
        if sd["headroom"][i] >= 2 ** 30:
            assert rows[ds]["needs"] == gb2(sd["headroom"][i])
        assert (rows[ds]["first full"] == "never") == math.isnan(sd["t_first_full"][i])
    assert rows["small"]["disks provisioned"] == "20.00 GB OVERCOMMITTED"
    assert rows["big"]["disks provisioned"] == "30.00 GB"
