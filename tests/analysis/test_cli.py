"""The command line's conventions (README.md, "Running scenarios"; sim/main.c): getopt_long
parsing (--seed=5 and --seed 5 alike, short options, --), per-command --help printed from the
option table, clear errors (exit 2) for unknown, misspelt, misplaced and incomplete options,
"-" for a scenario on standard input, and -o into a folder that does not exist yet."""
import os
import subprocess
from pathlib import Path

import h5py
import pytest

from conftest import simulator

SRC = Path(os.environ.get("SNAPSIM_SOURCE_DIR", Path(__file__).resolve().parents[2]))
SEED = SRC / "scenarios" / "seed_vi3.lua"


def snapsim(*args, stdin=None):
    return subprocess.run(simulator() + [str(a) for a in args], capture_output=True, text=True, input=stdin,
                          timeout=300)


def test_help_per_command():
    for cmd, own in (("run", "--replications"), ("sweep", "--param"), ("check", "--set"), ("demo", "--seed"),
                     ("export", "--table")):
        p = snapsim(cmd, "--help")
        assert p.returncode == 0 and p.stdout.startswith(f"usage: snapsim {cmd}"), p.stderr
        assert own in p.stdout and "--help" in p.stdout
    # Each command lists only its own options.
    assert "--param" not in snapsim("run", "--help").stdout
    assert "--seed" not in snapsim("export", "--help").stdout
    assert snapsim("-h").returncode == 0 and "snapsim export" in snapsim("--help").stdout


@pytest.mark.parametrize("args, message", [
    (["run", SEED, "--sed", "5"], 'unknown option "--sed" (did you mean --seed?)'),
    (["run", SEED, "--seed"], "--seed needs an argument: N"),
    (["run", SEED, "--seed", "five"], '--seed "five": expected a whole number'),
    (["check", SEED, "--seed=4"], "--seed does not apply to check"),
    (["run", SEED, "-x"], 'unknown option "-x"'),
    (["run", SEED, "--quiet=yes"], "--quiet takes no argument"),
    (["run"], "no scenario file given"),
    (["run", SEED, "extra.lua"], 'unexpected argument "extra.lua"'),
    (["export", "x.h5", "--format", "xml"], "expected csv or json"),
    (["rn", SEED], 'unknown command "rn" (did you mean run?)'),
])
def test_usage_errors(args, message):
    p = snapsim(*args)
    assert p.returncode == 2, (args, p.stdout, p.stderr)
    assert message in p.stderr, p.stderr


def attrs_and(path, table):
    with h5py.File(path, "r") as f:
        return int(f.attrs["seed"]), f[table][()]


def test_long_option_forms_and_double_dash(tmp_path):
    a, b, c = tmp_path / "a.h5", tmp_path / "b.h5", tmp_path / "c.h5"
    assert snapsim("run", SEED, "--seed=5", "-q", "-o", a).returncode == 0
    assert snapsim("run", SEED, "--seed", "5", "--quiet", "--output", b).returncode == 0
    assert snapsim("run", "-q", "--seed", "5", f"--output={c}", "--", SEED).returncode == 0
    sa, ta = attrs_and(a, "consolidations")
    for other in (b, c):
        so, to = attrs_and(other, "consolidations")
        assert sa == so == 5 and ta.tobytes() == to.tobytes()


def test_scenario_on_stdin(tmp_path):
    out = tmp_path / "stdin.h5"
    p = snapsim("run", "-", "-q", "-o", out, stdin=SEED.read_text())
    assert p.returncode == 0, p.stderr
    ref = tmp_path / "file.h5"
    assert snapsim("run", SEED, "-q", "-o", ref).returncode == 0
    for t in ("consolidations", "summary/datastores", "series/datastores"):
        assert attrs_and(out, t)[1].tobytes() == attrs_and(ref, t)[1].tobytes(), t   # NaN too
    # Errors name "stdin" as the file.
    p = snapsim("check", "-", stdin='scenario { duration = "1h" }\ndatastore "d" { capacity = "1XB" }\n')
    assert p.returncode == 1 and p.stderr.startswith("snapsim: stdin:2:"), p.stderr


def test_output_into_a_missing_folder(tmp_path):
    out = tmp_path / "not" / "yet" / "seed.h5"
    p = snapsim("run", SEED, "-q", "-o", out)
    assert p.returncode == 0, p.stderr
    assert out.is_file()
    # A path through a file is refused before anything runs.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    p = snapsim("run", SEED, "-q", "-o", blocker / "seed.h5")
    assert p.returncode == 1 and "is not a folder" in p.stderr
