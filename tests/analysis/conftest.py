"""Fixtures for the analysis tests: simulator output written during the test run, and checks.

The files are written by the simulator: SNAPSIM_BIN is the snapsim binary, SNAPSIM_SOURCE_DIR
the source tree holding scenarios/ (default: this repository).  For developing the analysis
tools before the simulator existed, SNAPSIM_MOCK=/path/to/generator.py may stand in for it; it
is never the default and is refused when CI is set.  The tools and these tests run with the
system Python (/usr/bin/python3), which has Debian's h5py, numpy and matplotlib.
"""
import os
import struct
import subprocess
import zlib
from pathlib import Path

import h5py
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
PY = "/usr/bin/python3"
ANALYSIS = REPO / "analysis"


def simulator():
    b = os.environ.get("SNAPSIM_BIN")
    if b:
        return [b]
    m = os.environ.get("SNAPSIM_MOCK")
    if m:
        if os.environ.get("CI"):
            pytest.fail("SNAPSIM_MOCK is for development only; CI must set SNAPSIM_BIN")
        return [PY, m]
    pytest.fail("set SNAPSIM_BIN to the snapsim binary (and SNAPSIM_SOURCE_DIR to the source tree)")


def _simulate(args, out):
    p = subprocess.run(simulator() + ["run"] + args + ["-o", str(out), "-q"],
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, f"simulator failed ({p.returncode}): {p.stderr}"
    assert out.is_file()
    return out


@pytest.fixture(scope="session")
def runs(tmp_path_factory):
    """{"seed", "esx35", "vsphere41"} -> HDF5 files written by the simulator for this session."""
    src = Path(os.environ.get("SNAPSIM_SOURCE_DIR", REPO))
    d = tmp_path_factory.mktemp("runs")
    seed_lua = src / "scenarios" / "seed_vi3.lua"
    strat_lua = src / "scenarios" / "merge_strategies.lua"
    if not strat_lua.exists():
        strat_lua = seed_lua  # seed_vi3.lua honours a global STRATEGY too
    files = {"seed": _simulate([str(seed_lua)], d / "seed.h5")}
    for s in ("esx35", "vsphere41"):
        files[s] = _simulate([str(strat_lua), "--set", f"STRATEGY={s}"], d / f"{s}.h5")
    return files


def tool(script, *args, cwd=None):
    """Run analysis/<script> with the system Python; returns the CompletedProcess."""
    return subprocess.run([PY, str(ANALYSIS / script)] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=300, cwd=cwd)


@pytest.fixture(scope="session")
def run_tool():
    return tool


def read_table(path, name):
    """A table read straight with h5py (independently of the tools): column -> numpy array,
    fixed-width strings decoded."""
    with h5py.File(path, "r") as f:
        data = f[name][()]
    out = {}
    for c in data.dtype.names:
        a = data[c]
        out[c] = np.array([x.decode() for x in a], dtype=object) if a.dtype.kind == "S" else a
    return out


@pytest.fixture(scope="session")
def table():
    return read_table


def gb(n):
    """The documented size format: binary units (KB = 2^10 B ... GB = 2^30 B), the largest unit
    not above the value, two decimals; plain bytes below 1 KB."""
    n = int(n)
    for p, u in ((40, "TB"), (30, "GB"), (20, "MB"), (10, "KB")):
        if abs(n) >= 2 ** p:
            return f"{n / 2 ** p:.2f} {u}"
    return f"{n} B"


@pytest.fixture(scope="session")
def size_fmt():
    return gb


def check_png(path):
    """path is a valid, non-blank PNG: signature, an IHDR chunk with a good CRC and a non-zero
    size, decodable pixels with variance > 0, more than one colour, and some coloured (not
    grey) pixels, since every plot draws its data in colour and only axes and text in grey."""
    raw = Path(path).read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    length, ctype = struct.unpack(">I4s", raw[8:16])
    assert ctype == b"IHDR" and length == 13
    body = raw[16:16 + 13]
    (crc,) = struct.unpack(">I", raw[29:33])
    assert zlib.crc32(raw[12:16] + body) == crc, f"{path}: IHDR CRC mismatch"
    w, h = struct.unpack(">II", body[:8])
    assert w > 100 and h > 100
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    img = mpimg.imread(str(path))[..., :3]
    assert img.shape[:2] == (h, w)
    assert img.var() > 0
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 1
    colored = (img.max(axis=2) - img.min(axis=2)) > 0.2
    assert colored.mean() > 0.001, f"{path}: no coloured pixels (no data drawn?)"


@pytest.fixture(scope="session")
def png_ok():
    return check_png
