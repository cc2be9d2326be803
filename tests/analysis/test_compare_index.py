"""compare.py on an experiment index written by the simulator (snapsim sweep): the table per
point has the mean and 95 % CI computed here independently from /metrics (Student t quantile
from tables), the plot is a real picture with one line per strategy, and a replication-only
index and bad arguments are handled."""
import math
import re
import subprocess

import h5py
import numpy as np
import pytest

from conftest import simulator

# A cheap scenario with the two parameters of the planner's question.
SCENARIO = """
local keep = KEEP or 1
scenario { name = 'keep ' .. keep, duration = '3d', seed = 3 }
datastore 'ds' { capacity = '40GB', bandwidth = '200MB/s' }
host 'h' {}
vm 'v' { host = 'h', disk = { size = '8GB', format = 'ideal' }, power = 'on',
         strategy = STRATEGY or 'esx35',
         workload = { rate = '128KB/s', io_size = '64KB', pattern = 'hotspot',
                      hot = { fraction = 0.1, share = 0.8 } } }
every('1d', function() snapshot('v', 'n' .. day())
  local s = snapshots('v'); if #s > keep then delete_snapshot('v', s[1]) end end, { start = '1h' })
"""

T975 = {2: 4.302653}  # Student t quantile, 0.975, by degrees of freedom (tables)


def sweep(d, *extra):
    (d / "s.lua").write_text(SCENARIO)
    p = subprocess.run(simulator() + ["sweep", str(d / "s.lua")] + list(extra) + ["-q", "-o", str(d / "out")],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    return d / "out"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("sweep")
    return sweep(d, "--param", "KEEP=1..2", "--param", "STRATEGY=esx35,vsphere41", "--replications", "3",
                 "-j", "2")


def rows_of(stdout):
    lines = [l for l in stdout.splitlines()[1:] if l.strip() and not l.startswith("plot:")]
    hdr = lines[0]
    cols = [(m.group(), m.start()) for m in re.finditer(r"\S+(?: \S+)*", hdr)]
    return [{n: l[s:(cols[j + 1][1] if j + 1 < len(cols) else None)].strip()
             for j, (n, s) in enumerate(cols)} for l in lines[1:]]


def test_table_has_independent_means_and_cis(index_dir, run_tool, size_fmt, tmp_path, png_ok):
    png = tmp_path / "keep.png"
    p = run_tool("compare.py", index_dir, "--metric", "datastore:ds:peak_used", "--x", "KEEP", "--by", "STRATEGY",
                 "-o", png)
    assert p.returncode == 0, p.stderr
    rows = rows_of(p.stdout)
    with h5py.File(index_dir / "index.h5", "r") as f:
        runs, met = f["runs"][()], f["metrics"][()]
    assert len(rows) == 4  # 2 x 2 points
    for r in rows:
        keep, strat = re.match(r"KEEP=(\d) STRATEGY=(\w+)", r["point"]).groups()
        ids = [int(x["run"]) for x in runs if x["KEEP"].decode() == keep and x["STRATEGY"].decode() == strat]
        assert len(ids) == 3
        v = np.array([m["value"] for m in met if int(m["run"]) in ids and m["scope"] == b"datastore"
                      and m["metric"] == b"peak_used"])
        mean, sd = v.mean(), v.std(ddof=1)
        half = T975[2] * sd / math.sqrt(3)
        assert r["n"] == "3/3"
        assert r["mean"] == size_fmt(round(mean))
        assert r["95% CI"] == f"[{size_fmt(round(mean - half))}, {size_fmt(round(mean + half))}]"
        assert r["max"] == size_fmt(round(v.max()))
    assert "plot: " in p.stdout and "against KEEP" in p.stdout
    png_ok(png)


def test_points_and_labels(index_dir):
    with h5py.File(index_dir / "index.h5", "r") as f:
        pts = f["points"][()]
        assert [x.decode() for x in pts["label"]] == ["KEEP=1 STRATEGY=esx35", "KEEP=1 STRATEGY=vsphere41",
                                                        "KEEP=2 STRATEGY=esx35", "KEEP=2 STRATEGY=vsphere41"]
        assert f.attrs["runs_ok"] == 12
        # The external links open the run files; replication 0 of point 0 has the scenario's seed.
        assert f["files/p0000-r0000"].attrs["seed"] == 3


def test_replications_only_and_single_runs(tmp_path, run_tool, png_ok, runs):
    out = sweep(tmp_path, "--param", "KEEP=2", "--replications", "4")
    png = tmp_path / "reps.png"
    p = run_tool("compare.py", out / "index.h5", "-o", png)
    assert p.returncode == 0, p.stderr
    assert "datastore:ds:peak_used" in p.stdout
    png_ok(png)
    # Single runs still work, and an index is not mixed with them.
    p = run_tool("compare.py", runs["esx35"], "-o", tmp_path / "c.png")
    assert p.returncode == 0, p.stderr
    p = run_tool("compare.py", runs["esx35"], out, "-o", tmp_path / "c.png")
    assert p.returncode == 1 and "compared alone" in p.stderr


def test_bad_parameter_is_one_line(index_dir, run_tool, tmp_path):
    p = run_tool("compare.py", index_dir, "--x", "NOPE", "-o", tmp_path / "x.png")
    assert p.returncode == 1
    assert len(p.stderr.strip().splitlines()) == 1 and "no parameter NOPE" in p.stderr
