"""snapsim export (docs/output.md, "Exporting a table"): every table of a run file written by the
simulator, exported to CSV and to JSON and read back here, equals h5py's view of the same
dataset -- the same columns in the same order, the same number of rows, every integer and string
equal and every float bit for bit (NaN, "never", as nan in CSV and null in JSON)."""
import csv
import io
import json
import math
import subprocess

import h5py
import numpy as np
import pytest

from conftest import simulator

# Names with a comma, a quote and a blank at the end, so that CSV quoting and JSON escaping are
# exercised by real rows; a datastore that never fills gives NaN in /summary/datastores.
SCENARIO = """
scenario { name = "export, \\"quoted\\"", duration = "2h", seed = 3, sample_every = "10m" }
datastore "ds, one" { capacity = "60GB" }
datastore "ds2 " { capacity = "6GB" }
host "esx01" { datastores = { "ds, one", "ds2 " } }
vm "web \\"01\\", east" { datastore = "ds, one", disk = { size = "20GB" }, workload = { rate = "2MB/s" } }
vm "thin" { datastore = "ds2 ", disk = { size = "20GB", provisioning = "thin" }, workload = { rate = "4MB/s" } }
at("10m", function() snapshot('web "01", east', "s1") end)
at("1h", function() delete_snapshot('web "01", east', "s1") end)
every("15m", function() record("free, GB", datastore_state("ds, one").free / 2^30) end)
"""


@pytest.fixture(scope="module")
def run_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("export")
    lua = d / "export.lua"
    lua.write_text(SCENARIO)
    out = d / "export.h5"
    p = subprocess.run(simulator() + ["run", str(lua), "-q", "-o", str(out)], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    return out


def tables_of(path):
    """Every compound dataset of the file, as h5py sees it."""
    found = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.append(name)
                     if isinstance(obj, h5py.Dataset) and obj.dtype.names else None)
    return found


def export(path, table, fmt):
    p = subprocess.run(simulator() + ["export", str(path), "--table", table, "--format", fmt],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return p.stdout


def same_float(text_or_none, v):
    if text_or_none is None:                       # JSON null: NaN or an infinity
        return math.isnan(v) or math.isinf(v)
    x = float(text_or_none)
    return (math.isnan(x) and math.isnan(v)) or x == v


def check_value(kind, got, want, where):
    if kind == "S":
        assert got == want.decode(), where
    elif kind in "iu":
        assert int(got) == int(want), where
    else:
        assert same_float(got, float(want)), f"{where}: {got!r} != {want!r}"


def test_every_table_round_trips(run_file):
    names = tables_of(run_file)
    for must in ("events", "consolidations", "consolidation_steps", "summary/datastores", "summary/vms",
                 "series/datastores", "series/files", "series/user"):
        assert must in names
    with h5py.File(run_file, "r") as f:
        for name in names:
            data = f[name][()]
            cols = data.dtype.names
            # CSV: a header of the column names, then one line per row.
            rows = list(csv.reader(io.StringIO(export(run_file, name, "csv"), newline="")))
            assert tuple(rows[0]) == cols, name
            assert len(rows) - 1 == len(data), name
            # JSON: an array of one object per row, keys in the file's order.
            objs = json.loads(export(run_file, name, "json"))
            assert len(objs) == len(data), name
            for i, row in enumerate(data):
                assert tuple(objs[i].keys()) == cols, name
                for j, c in enumerate(cols):
                    kind = data.dtype[c].kind
                    check_value(kind, rows[i + 1][j], row[c], f"{name} row {i} {c} (csv)")
                    check_value(kind, objs[i][c], row[c], f"{name} row {i} {c} (json)")


def test_quoting_and_never(run_file):
    """The rows with the awkward names come back as they were written; NaN is nan / null."""
    text = export(run_file, "summary/datastores", "csv")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["datastore"] for r in rows] == ["ds, one", "ds2 "]
    assert '"ds, one"' in text and '"ds2 "' in text
    one = rows[0]
    assert one["t_first_full"] == "nan"                  # 60 GB never fills
    assert float(rows[1]["t_first_full"]) > 0            # the thin disk fills 6 GB
    objs = json.loads(export(run_file, "/summary/datastores", "json"))
    assert objs[0]["t_first_full"] is None
    vms = json.loads(export(run_file, "summary/vms", "json"))
    assert vms[0]["vm"] == 'web "01", east'


def test_listing_and_errors(run_file):
    p = subprocess.run(simulator() + ["export", str(run_file)], capture_output=True, text=True)
    assert p.returncode == 0
    listed = [line.split()[0] for line in p.stdout.splitlines()]
    assert sorted(listed) == sorted("/" + n for n in tables_of(run_file))
    p = subprocess.run(simulator() + ["export", str(run_file), "--table", "consolidatoins"], capture_output=True,
                       text=True)
    assert p.returncode == 1 and "no table /consolidatoins" in p.stderr and "consolidations" in p.stderr
    p = subprocess.run(simulator() + ["export", str(run_file), "--table", "events", "--format", "xml"],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "expected csv or json" in p.stderr


def test_output_file(run_file, tmp_path):
    """-o writes the export to a file (into a folder it creates) instead of standard output."""
    out = tmp_path / "new" / "dir" / "events.csv"
    p = subprocess.run(simulator() + ["export", str(run_file), "--table", "events", "-o", str(out)],
                       capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout == ""
    assert out.read_text() == export(run_file, "events", "csv")
