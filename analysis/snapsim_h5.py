"""snapsim_h5 -- the shared reader of snapsim output files, used by snapsim_report.py and compare.py.

It reads only what docs/output.md documents (format "snapsim", format_version 1): the root
attributes and the documented tables, and only their documented columns.  Everything a bad
file can go wrong with (missing, not HDF5, truncated, another format or version, a table that
is not a table, a missing column) becomes a SnapsimError whose text names the file and the
problem in one line; cli() turns it into that line on stderr and exit status 1.

A documented table that is absent reads as an empty table (Table.present is False), so the
tools can say "no data" instead of failing; a documented column that a tool needs but the
file lacks is an error (the file does not follow the contract).
"""
import os
import sys

import numpy as np

FORMAT = "snapsim"
FORMAT_VERSION = 1

# The documented tables and their columns (docs/output.md).  Nothing else is read.
TABLES = {
    "/events": ("t", "kind", "vm", "host", "datastore", "snapshot", "bytes", "value", "detail"),
    "/consolidations": ("t_start", "t_end", "vm", "datastore", "snapshot", "strategy", "merges",
                        "bytes_copied", "peak_extra_bytes", "worst_case_bytes", "duration_s",
                        "stun_s", "iterations", "result", "detail"),
    "/consolidation_steps": ("t_start", "t_end", "vm", "child", "parent", "bytes",
                             "parent_growth", "stunned"),
    "/series/datastores": ("t", "datastore", "capacity", "used", "free"),
    "/series/files": ("t", "vm", "file", "kind", "size", "allocated"),
    "/series/clocks": ("t", "vm", "host_offset_s", "guest_offset_s"),
    "/series/user": ("t", "name", "value"),
    "/summary/vms": ("vm", "host", "datastore", "strategy", "bytes_written", "stalls", "stall_s",
                     "throttled_s", "throttled_bytes", "max_abs_offset_s", "beyond_skew_s",
                     "skew_limit_s", "steps_boot", "steps_resume", "steps_revert", "steps_tools",
                     "max_backward_step_s", "max_forward_step_s"),
    "/summary/datastores": ("datastore", "capacity", "bandwidth", "peak_used", "t_peak",
                            "final_used", "full_events", "initial_used", "headroom", "free_at_peak",
                            "t_first_full", "stall_s", "thin_capacity", "provisioned"),
}
ROOT_ATTRS = ("format", "format_version", "snapsim_version", "scenario", "scenario_file", "seed",
              "duration_s", "source", "events_fired")

GiB = 1 << 30


class SnapsimError(Exception):
    """A problem with one input file; str() is "<path>: <problem>" on one line."""

    def __init__(self, path, problem):
        problem = " ".join(str(problem).split())  # one line, whatever h5py said
        super().__init__(f"{path}: {problem}")


def _oneline(exc):
    """The useful part of an h5py/OSError message, on one line."""
    msg = " ".join(str(exc).split())
    # h5py says "Unable to synchronously open file (truncated file: eof = ...)": keep the reason.
    if "(" in msg and msg.endswith(")"):
        msg = msg[msg.index("(") + 1:-1]
    return msg or type(exc).__name__


def _text(v):
    """An attribute or cell as str: fixed-width strings come back from h5py as bytes."""
    if isinstance(v, np.ndarray) and v.size == 1:
        v = v.reshape(()).item()
    if isinstance(v, (bytes, np.bytes_)):
        return bytes(v).rstrip(b"\0").decode("utf-8", "replace")
    return str(v)


class Table:
    """One documented table: documented columns present in the file -> numpy arrays (strings
    decoded to str).  All columns have n rows.  An absent table has present False and n 0."""

    def __init__(self, path, name, cols, n, present):
        self.path, self.name, self.cols, self.n, self.present = path, name, cols, n, present

    def __len__(self):
        return self.n

    def has(self, col):
        return col in self.cols

    def __getitem__(self, col):
        if col in self.cols:
            return self.cols[col]
        if not self.present:  # absent table: every column is empty
            return np.zeros(0, dtype=object if col in _STRCOLS else float)
        raise SnapsimError(self.path, f"table {self.name} has no column '{col}'")


# String columns (so an absent table yields empty arrays of the right kind).
_STRCOLS = {"kind", "vm", "host", "datastore", "snapshot", "detail", "strategy", "result",
            "child", "parent", "file", "name"}


def _read_table(path, f, name):
    import h5py
    obj = f[name]
    if not isinstance(obj, h5py.Dataset) or obj.dtype.names is None or obj.ndim != 1:
        raise SnapsimError(path, f"{name} is not a table (a 1-D compound dataset)")
    data = obj[()]
    cols = {}
    for c in TABLES[name]:
        if c not in obj.dtype.names:
            continue
        a = data[c]
        if a.dtype.kind in "SO":  # fixed-width as documented; variable-length tolerated
            a = np.array([_text(x) for x in a], dtype=object)
        elif a.dtype.kind in "iu":
            a = a.astype(np.int64)
        elif a.dtype.kind == "f":
            a = a.astype(np.float64)
        else:
            raise SnapsimError(path, f"{name}: column '{c}' has an unexpected type {a.dtype}")
        cols[c] = a
    return Table(path, name, cols, len(data), True)


class Run:
    """One snapsim output file, fully read into memory (the file is closed afterwards)."""

    def __init__(self, path, attrs, tables):
        self.path, self.attrs, self.tables = path, attrs, tables

    def table(self, name):
        return self.tables.get(name) or Table(self.path, name, {}, 0, False)

    @property
    def scenario(self):
        return self.attrs.get("scenario") or os.path.splitext(os.path.basename(self.path))[0]

    @property
    def duration(self):
        d = self.attrs.get("duration_s")
        return float(d) if d is not None else None

    def strategies(self):
        """Distinct strategies, in order of first use: from /consolidations, else /summary/vms."""
        for name in ("/consolidations", "/summary/vms"):
            t = self.table(name)
            if len(t) and t.has("strategy"):
                return list(dict.fromkeys(s for s in t["strategy"] if s))
        return []


def open_run(path):
    """Read a snapsim output file; raises SnapsimError on any problem with it."""
    if not os.path.exists(path):
        raise SnapsimError(path, "no such file")
    if os.path.isdir(path):
        raise SnapsimError(path, "is a directory, not a file")
    try:
        import h5py
    except ImportError:
        raise SnapsimError(path, "cannot read it: h5py is missing (run with /usr/bin/python3, "
                           "Debian package python3-h5py)")
    try:
        if not h5py.is_hdf5(path):
            raise SnapsimError(path, "not an HDF5 file")
        f = h5py.File(path, "r")
    except SnapsimError:
        raise
    except Exception as e:  # h5py raises OSError, sometimes others, for damaged files
        why = _oneline(e)
        if "truncated" in why:
            raise SnapsimError(path, f"truncated HDF5 file ({why})")
        raise SnapsimError(path, f"cannot open HDF5 file ({why})")
    try:
        with f:
            attrs = {}
            for k in ROOT_ATTRS:
                if k in f.attrs:
                    v = f.attrs[k]
                    attrs[k] = _text(v) if k in ("format", "snapsim_version", "scenario",
                                                 "scenario_file", "source") else v
            fmt = attrs.get("format")
            if fmt is None:
                raise SnapsimError(path, "not snapsim output (no 'format' attribute)")
            if fmt != FORMAT:
                raise SnapsimError(path, f"not snapsim output (format is '{fmt}')")
            ver = attrs.get("format_version")
            try:
                ver_ok = int(np.asarray(ver).reshape(())) == FORMAT_VERSION
            except (TypeError, ValueError):
                raise SnapsimError(path, f"bad format_version {ver!r}")
            if not ver_ok:
                raise SnapsimError(path, f"unsupported format_version {_text(ver)} "
                                   f"(this tool reads {FORMAT_VERSION})")
            for k in ("seed", "events_fired", "duration_s"):
                if k in attrs:
                    attrs[k] = np.asarray(attrs[k]).reshape(()).item()
            tables = {}
            for name in TABLES:
                if name in f:
                    tables[name] = _read_table(path, f, name)
    except SnapsimError:
        raise
    except Exception as e:
        raise SnapsimError(path, f"damaged or truncated snapsim file ({_oneline(e)})")
    return Run(path, attrs, tables)


# --- formatting shared by the tools -------------------------------------------------------

_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def fmt_bytes(n):
    """Binary units as VMware prints them (GB = 2^30 B): 34359738368 -> "32.00 GB".
    The unit is the largest one not exceeding |n|; bytes are printed whole."""
    n = int(n)
    a, i = abs(n), 0
    while i + 1 < len(_UNITS) and a >= 1 << (10 * (i + 1)):
        i += 1
    if i == 0:
        return f"{n} B"
    return f"{n / (1 << (10 * i)):.2f} {_UNITS[i]}"


def fmt_clock(t):
    """A point in simulated time: "02:03:04", or "1d 02:03:04" past a day."""
    t = float(t)
    sign = "-" if t < 0 else ""
    s = int(round(abs(t)))
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    day = f"{d}d " if d else ""
    return f"{sign}{day}{h:02d}:{m:02d}:{s:02d}"


def time_axis(tmax):
    """(divisor, label) for a time axis spanning tmax seconds."""
    if tmax >= 2 * 86400:
        return 86400.0, "time (days)"
    if tmax >= 2 * 3600:
        return 3600.0, "time (h)"
    if tmax >= 120:
        return 60.0, "time (min)"
    return 1.0, "time (s)"


def grid(headers, rows, indent="  "):
    """Rows of cells as aligned text; columns are separated by at least two spaces."""
    cells = [list(map(str, headers))] + [[str(c) for c in r] for r in rows]
    w = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    return [indent + "  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip() for r in cells]


def cli(prog, main, argv=None):
    """Run main(argv); a SnapsimError becomes one line on stderr and exit status 1."""
    try:
        return main(sys.argv[1:] if argv is None else argv) or 0
    except SnapsimError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return 1


# --- experiment indexes (DIR/index.h5, docs/output.md "index.h5") ------------------------

INDEX_FORMAT = "snapsim-index"
INDEX_TABLES = ("/points", "/runs", "/metrics", "/summary")


class Index:
    """DIR/index.h5 of a replication or sweep: attrs, params (names, in sweep order) and the
    documented tables as {column: numpy array} (strings decoded)."""

    def __init__(self, path, attrs, params, tables):
        self.path, self.attrs, self.params, self.tables = path, attrs, params, tables

    def __getitem__(self, name):
        return self.tables[name]


def is_index(path):
    """True if path is a directory holding index.h5, or an HDF5 file of format snapsim-index."""
    if os.path.isdir(path):
        return os.path.exists(os.path.join(path, "index.h5"))
    try:
        import h5py
        if not h5py.is_hdf5(path):
            return False
        with h5py.File(path, "r") as f:
            return _text(f.attrs.get("format", b"")) == INDEX_FORMAT
    except Exception:
        return False


def open_index(path):
    """Read an experiment index (a DIR or DIR/index.h5); problems become SnapsimError."""
    if os.path.isdir(path):
        path = os.path.join(path, "index.h5")
    if not os.path.exists(path):
        raise SnapsimError(path, "no such file")
    import h5py
    try:
        f = h5py.File(path, "r")
    except Exception as e:
        raise SnapsimError(path, f"cannot open HDF5 file ({_oneline(e)})")
    try:
        with f:
            if _text(f.attrs.get("format", b"")) != INDEX_FORMAT:
                raise SnapsimError(path, "not a snapsim experiment index")
            if int(np.asarray(f.attrs.get("format_version", 0)).reshape(())) != 1:
                raise SnapsimError(path, f"unsupported index format_version {_text(f.attrs.get('format_version'))}")
            attrs = {k: (_text(v) if isinstance(v, (bytes, np.bytes_)) else np.asarray(v).reshape(()).item())
                     for k, v in f.attrs.items()}
            params = [p for p in attrs.get("parameters", "").split(",") if p]
            tables = {}
            for name in INDEX_TABLES:
                if name not in f:
                    raise SnapsimError(path, f"no table {name}")
                data = f[name][()]
                cols = {}
                for c in data.dtype.names:
                    a = data[c]
                    cols[c] = np.array([_text(x) for x in a], dtype=object) if a.dtype.kind in "SO" else a
                tables[name] = cols
    except SnapsimError:
        raise
    except Exception as e:
        raise SnapsimError(path, f"damaged index ({_oneline(e)})")
    return Index(path, attrs, params, tables)
