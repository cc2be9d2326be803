#!/usr/bin/python3
"""compare -- compare snapsim runs (e.g. one scenario under several merge strategies), or the
points of a replication or sweep index.

usage: compare.py A.h5 B.h5 ... [-o chart.png]
       compare.py DIR [--metric PATTERN]... [--plot PATTERN] [--x PARAM] [--by PARAM] [-o plot.png]

An index (DIR or DIR/index.h5, written by `snapsim run --replications` or `snapsim sweep`): a
table per point of each metric matching --metric (scope:entity:metric with shell wildcards;
default: every datastore metric) with n, mean, its 95 % confidence interval, sd, min, max and
p95, read from /summary; and a plot of --plot (default: the first datastore's peak_used; a
pattern draws one line per metric it matches, e.g. 'datastore:*:peak_extra') against the
parameter --x (default: the first), one line per value of the other parameters (--by: the one to
keep apart, default: all the others), the points at their means with the 95 % CI as error bars. Without parameters, the plot is the metric's values over the replications with
their mean and CI.

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


# --- an experiment index ------------------------------------------------------------------

def fmt_value(v, unit):
    """A metric value as people read it: sizes in binary units, seconds, else 4 digits."""
    if v is None or np.isnan(v):
        return "-"
    if unit == "B":
        return fmt_bytes(round(v))
    if unit == "s":
        return f"{v:.1f} s" if abs(v) >= 10 else f"{v:.3g} s"
    return f"{v:.4g}"


def metric_name(s, i):
    return f"{s['scope'][i]}:{s['entity'][i]}:{s['metric'][i]}"


def index_table(ix, patterns):
    """The summary rows matching the patterns, per point, as printable rows."""
    import fnmatch
    s, pts = ix["/summary"], ix["/points"]
    labels = {int(p): l for p, l in zip(pts["point"], pts["label"])}
    rows = []
    for i in range(len(s["point"])):
        name = metric_name(s, i)
        if not any(fnmatch.fnmatchcase(name, p) for p in patterns):
            continue
        u = s["unit"][i]
        ci = (f"[{fmt_value(s['ci95_lo'][i], u)}, {fmt_value(s['ci95_hi'][i], u)}]"
              if s["n"][i] >= 2 else "-")
        rows.append([labels.get(int(s["point"][i]), "") or "(all)", name, f"{s['n'][i]}/{s['runs'][i]}",
                     fmt_value(s["mean"][i], u), ci, fmt_value(s["sd"][i], u), fmt_value(s["min"][i], u),
                     fmt_value(s["max"][i], u), fmt_value(s["p95"][i], u)])
    return rows


def _num(vals):
    """Values as numbers if all are, else None (then they are categories)."""
    try:
        return [float(v) for v in vals]
    except ValueError:
        return None


def index_plot(ix, metric, xparam, byparams, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import fnmatch
    s = ix["/summary"]
    sel = [i for i in range(len(s["point"])) if fnmatch.fnmatchcase(metric_name(s, i), metric)]
    names = list(dict.fromkeys(metric_name(s, i) for i in sel))
    if not sel:
        raise sh.SnapsimError(ix.path, f"no metric {metric} in /summary")
    unit = s["unit"][sel[0]]
    scale, ulabel = (sh.GiB, "GB") if unit == "B" else (1.0, unit)
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    if not xparam:  # replications only: the values of each run, their mean and CI
        m, r = ix["/metrics"], ix["/runs"]
        vals = [m["value"][j] / scale for j in range(len(m["run"]))
                if f"{m['scope'][j]}:{m['entity'][j]}:{m['metric'][j]}" == names[0]]
        i = sel[0]
        ax.plot(range(len(vals)), vals, "o", color="tab:blue", label="replications")
        ax.axhline(s["mean"][i] / scale, color="tab:red", label="mean")
        if s["n"][i] >= 2:
            ax.axhspan(s["ci95_lo"][i] / scale, s["ci95_hi"][i] / scale, color="tab:red", alpha=0.2,
                       label="95 % CI of the mean")
        ax.set_xlabel("replication")
        del r
    else:
        xs = [s[xparam][i] for i in sel]
        order = list(dict.fromkeys(xs))
        numeric = _num(order)
        groups = {}
        for i in sel:  # one line per matching metric and value of the other parameters
            key = ", ".join(([metric_name(s, i)] if len(names) > 1 else []) + [f"{p}={s[p][i]}" for p in byparams])
            groups.setdefault(key, []).append(i)
        for k, (key, idx) in enumerate(groups.items()):
            idx = sorted(idx, key=lambda i: (float(s[xparam][i]) if numeric else order.index(s[xparam][i])))
            x = [float(s[xparam][i]) if numeric else order.index(s[xparam][i]) for i in idx]
            y = np.array([s["mean"][i] for i in idx]) / scale
            lo = np.array([s["ci95_lo"][i] for i in idx]) / scale
            hi = np.array([s["ci95_hi"][i] for i in idx]) / scale
            err = np.nan_to_num(np.vstack([y - lo, hi - y]))
            off = (k - (len(groups) - 1) / 2) * 0.04 * (max(x) - min(x) if numeric and len(x) > 1 else 1)
            ax.errorbar(np.array(x) + off, y, yerr=err, marker="o", capsize=4, label=key or metric)
        if not numeric:
            ax.set_xticks(range(len(order)), order)
        ax.set_xlabel(xparam)
    ax.set_ylabel(f"{metric} ({ulabel})" if ulabel else metric)
    ax.set_title(f"{os.path.basename(ix.attrs.get('scenario_file', ''))}: {metric}, mean and 95 % CI", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main_index(a):
    ix = sh.open_index(a.runs[0])
    params = ix.params
    patterns = a.metric or ["datastore:*"]
    rows = index_table(ix, patterns)
    print(f"{ix.attrs.get('scenario', '')}: {ix.attrs.get('points')} point(s) x "
          f"{ix.attrs.get('replications')} replication(s), {ix.attrs.get('runs_ok')} ok, "
          f"{ix.attrs.get('runs_failed')} failed, {ix.attrs.get('runs_missing')} missing")
    print("\n".join(grid(["point", "metric", "n", "mean", "95% CI", "sd", "min", "max", "p95"], rows, indent="")))
    s = ix["/summary"]
    metric = a.plot
    if not metric:
        names = [metric_name(s, i) for i in range(len(s["point"]))]
        metric = next((n for n in names if n.startswith("datastore:") and n.endswith(":peak_used")),
                      names[0] if names else None)
    if metric is None:
        raise sh.SnapsimError(ix.path, "no metric to plot (no run finished)")
    for p in (a.x, a.by):
        if p and p not in params:
            raise sh.SnapsimError(ix.path, f"no parameter {p} (the sweep has: {', '.join(params) or 'none'})")
    xparam = a.x or (params[0] if params else None)
    byparams = [a.by] if a.by else [p for p in params if p != xparam]
    out = a.chart if a.chart != "compare.png" else "compare.png"
    try:
        index_plot(ix, metric, xparam, byparams, out)
    except OSError as e:
        raise sh.SnapsimError(out, f"cannot write the plot ({e.strerror or e})")
    print(f"plot: {out} ({metric}" + (f" against {xparam}" if xparam else "") + ")")
    return 0


def main(argv):
    ap = argparse.ArgumentParser(prog=PROG, description="Compare snapsim runs, or the points of an "
                                 "experiment index: table and chart.")
    ap.add_argument("runs", nargs="+", metavar="RUN.h5")
    ap.add_argument("-o", dest="chart", metavar="chart.png", default="compare.png",
                    help="chart to write (default: compare.png)")
    ap.add_argument("--metric", action="append", metavar="PATTERN",
                    help="index: metrics to tabulate, scope:entity:metric with wildcards (repeatable)")
    ap.add_argument("--plot", metavar="METRIC", help="index: the metric to plot (scope:entity:metric)")
    ap.add_argument("--x", metavar="PARAM", help="index: the parameter on the x axis")
    ap.add_argument("--by", metavar="PARAM", help="index: one line per value of this parameter")
    a = ap.parse_args(argv)
    if len(a.runs) == 1 and sh.is_index(a.runs[0]):
        return main_index(a)
    if any(sh.is_index(p) for p in a.runs):
        raise sh.SnapsimError(next(p for p in a.runs if sh.is_index(p)),
                              "an experiment index is compared alone (give it as the only argument)")
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
