"""--fidelity on the command line (docs/model.md "Statistical fidelity"): statistical runs the same
scenario to the same kind of summary; a wrong value is a usage error (exit 2), a wrong
scenario{fidelity=} an input error with the file, line and field (exit 1)."""
import subprocess
from pathlib import Path

from conftest import simulator

HERE = Path(__file__).resolve().parent


def run(args, **kw):
    return subprocess.run(simulator() + args, capture_output=True, text=True, timeout=300, **kw)


def test_statistical_runs_the_scenario(tmp_path):
    for fid in ("exact", "statistical"):
        p = run(["run", str(HERE / "fleet_n.lua"), "--fidelity", fid, "-q", "-o", str(tmp_path / f"{fid}.h5")])
        assert p.returncode == 0, p.stderr
        assert "  deletions: 5, 5 done, 0 not;" in p.stdout
        assert (tmp_path / f"{fid}.h5").exists()


def test_bad_fidelity_option():
    p = run(["run", str(HERE / "fleet_n.lua"), "--fidelity", "approximate"])
    assert p.returncode == 2
    assert '--fidelity "approximate": expected exact or statistical' in p.stderr


def test_bad_fidelity_field(tmp_path):
    sc = tmp_path / "bad.lua"
    sc.write_text("-- a wrong fidelity\nscenario { fidelity = 'fast' }\n")
    p = run(["check", str(sc)])
    assert p.returncode == 1
    assert "bad.lua:2:" in p.stderr and "fidelity" in p.stderr, p.stderr
