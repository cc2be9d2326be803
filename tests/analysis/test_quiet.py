"""-q prints only the totals: the same number of lines for 5 VMs as for 200 (fleet_n.lua: two
datastores, one snapshot deleted per VM); --verbose lists every deletion; the default cuts the
list at 20 and says where the rest is."""
import subprocess
from pathlib import Path

import pytest

from conftest import simulator

HERE = Path(__file__).resolve().parent


def run(tmp_path, n, *flags):
    p = subprocess.run(simulator() + ["run", str(HERE / "fleet_n.lua"), "--set", f"N={n}",
                                      "-o", str(tmp_path / f"f{n}.h5")] + list(flags),
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return p.stdout.splitlines()


@pytest.mark.parametrize("n", [5, 200])
def test_quiet_is_totals_only(tmp_path, n):
    out = run(tmp_path, n, "-q")
    # header; 3 lines per datastore (use, filled or not, thin overcommit) x 2; snapshot and
    # backup failures; deletions; VMs; "wrote"; wall time: 12, whatever n.
    assert len(out) == 12, "\n".join(out)
    assert not any(l.startswith("  delete ") or l.startswith("  vm ") for l in out)
    assert f"  deletions: {n}, {n} done, 0 not;" in "\n".join(out)
    assert any(l.startswith(f"  VMs: {n}, 0 stalled") for l in out)


def test_verbose_lists_every_deletion(tmp_path):
    out = run(tmp_path, 200, "--verbose")
    assert sum(l.startswith("  delete s1") for l in out) == 200
    default = run(tmp_path, 200)
    assert sum(l.startswith("  delete s1") for l in default) == 20
    assert "  ... and 180 more deletions (--verbose lists them all, the report tabulates them)" in default
