"""snapsim demo takes --set and the run options, and its closing explanation follows the run:
Delete All needs 32 GB with esx35 (15 GB grows 000002 to 17 GB, merged into 000001: 15 + 17,
the seed's figure) and 0 GB with vsphere41 (oldest first into the thick flat file, each delta
removed after its merge); durations are printed as people write them."""
import re
import subprocess

from conftest import simulator


def demo(*args):
    p = subprocess.run(simulator() + ["demo"] + list(args), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_vsphere41_explains_0_gb():
    out = demo("--set", "STRATEGY=vsphere41", "-q")
    assert "Why 0.00 GB: with vsphere41, Delete All merged 000001 (5.00 GB) into flat, then 000002 (2.00 GB) " \
           "into flat, then 000003 (15.00 GB) into flat." in out
    assert "never held more than before, 0 GB extra" in out
    assert "Why 32" not in out
    assert "on its own 100 GB datastore" in out and "strategy vsphere41." in out
    assert "Last came the helper 000004" in out


def test_esx35_explains_32_gb():
    out = demo("--seed", "1", "--duration", "3h")
    assert "Why 32.00 GB: with esx35" in out and "(15.00 GB + 17.00 GB)" in out


def test_durations_as_people_write_them():
    out = demo()
    # "1h0m55s", "5m7s", "12.4s": never more than one decimal, never a bare "1h55.36s".
    assert not re.search(r"\d\.\d{2,}s\b", out), out
    assert re.search(r"\[ *\d+m\d+s\]", out)
    assert "[ 1h8m26s]" in out   # the Delete All's last merge ends at 4105.92 s (1h8m25.92s exactly)
