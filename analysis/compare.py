#!/usr/bin/python3
"""compare -- compare snapsim runs (e.g. one scenario under several merge strategies).

usage: compare.py A.h5 B.h5 ... [-o chart.png]

Per run, in the order given: peak extra space (max of /consolidations.peak_extra_bytes),
bytes copied (sum), consolidation time (sum of duration_s), stun time (sum of stun_s) and
stalls (count of vm_stalled events).  A run is labelled "<scenario> / <strategies>" (root
attribute `scenario`; the distinct /consolidations.strategy values, else /summary/vms.strategy).
Prints a table and writes a bar chart (default: compare.png in the current directory).
Sizes are binary units (GB = 2^30 B).  A bad file gives one line on stderr and exit status 1.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import snapsim_h5 as sh  # noqa: E402
from snapsim_h5 import fmt_bytes, grid  # noqa: E402

PROG = "compare"


def figures(run):
    """The compared figures of one run (None for peak extra when it had no consolidation)."""
    c = run.table("/consolidations")
    e = run.table("/events")
    return {
        "label": f"{run.scenario} / {','.join(run.strategies()) or '-'}",
        "consolidations": len(c),
        "peak_extra": int(c["peak_extra_bytes"].max()) if len(c) else None,
        "copied": int(c["bytes_copied"].sum()) if len(c) else 0,
        "duration": float(c["duration_s"].sum()) if len(c) else 0.0,
        "stun": float(c["stun_s"].sum()) if len(c) else 0.0,
        "stalls": int(np.sum(e["kind"] == "vm_stalled")),
    }


def chart(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels = [r["label"] for r in rows]
    if len(set(labels)) < len(labels):  # same scenario and strategy: tell the runs apart
        labels = [f"{r['label']}\n({os.path.basename(r['file'])})" for r in rows]
    metrics = (("peak extra space (GB)", [(r["peak_extra"] or 0) / sh.GiB for r in rows]),
               ("bytes copied (GB)", [r["copied"] / sh.GiB for r in rows]),
               ("consolidation time (s)", [r["duration"] for r in rows]),
               ("stun time (s)", [r["stun"] for r in rows]),
               ("stalls (count)", [r["stalls"] for r in rows]))
    x = np.arange(len(rows))
    colors = plt.cm.tab10(x % 10)
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics) + 1, 4.8))
    for ax, (title, vals) in zip(axes, metrics):
        bars = ax.bar(x, vals, color=colors, edgecolor="black", linewidth=0.5)
        ax.bar_label(bars, fmt="%.3g", fontsize=7)
        ax.set_title(title, fontsize=10)
        ax.set_xticks(x, [str(i + 1) for i in x])
        ax.set_xlabel("run")
        ax.grid(axis="y", alpha=0.3)
        ax.margins(y=0.15)
    from matplotlib.patches import Patch
    fig.legend(handles=[Patch(color=colors[i], label=f"{i + 1}: {l}") for i, l in enumerate(labels)],
               loc="lower center", ncol=min(len(rows), 3), fontsize=8)
    fig.suptitle("snapsim runs compared")
    fig.tight_layout(rect=(0, 0.08 + 0.04 * ((len(rows) - 1) // 3), 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv):
    ap = argparse.ArgumentParser(prog=PROG, description="Compare snapsim runs: table and bar chart.")
    ap.add_argument("runs", nargs="+", metavar="RUN.h5")
    ap.add_argument("-o", dest="chart", metavar="chart.png", default="compare.png",
                    help="bar chart to write (default: compare.png)")
    a = ap.parse_args(argv)
    rows = []
    for p in a.runs:  # read every file first, so a bad one fails before any output
        r = figures(sh.open_run(p))
        r["file"] = p
        rows.append(r)
    table = [[i + 1, r["label"], r["consolidations"],
              fmt_bytes(r["peak_extra"]) if r["peak_extra"] is not None else "-",
              fmt_bytes(r["copied"]), f"{r['duration']:.1f} s", f"{r['stun']:.2f} s", r["stalls"], r["file"]]
             for i, r in enumerate(rows)]
    print("\n".join(grid(["run", "label", "consolidations", "peak extra", "bytes copied",
                          "consolidation time", "stun time", "stalls", "file"], table, indent="")))
    try:
        chart(rows, a.chart)
    except OSError as e:
        raise sh.SnapsimError(a.chart, f"cannot write the chart ({e.strerror or e})")
    print(f"chart: {a.chart}")
    return 0


if __name__ == "__main__":
    sys.exit(sh.cli(PROG, main))
