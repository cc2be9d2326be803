#!/usr/bin/python3
"""snapsim_report -- a text summary, PNG plots and one self-contained HTML page for one run.

usage: snapsim_report.py RUN.h5 [-o DIR]

The summary (stdout) gives peak use per datastore and when, a table of the VMs (writes, stalls,
failed snapshots), every consolidation with its figures, stalls per VM, clock steps per VM and
cause, and clock skew.  The plots go to DIR
(default: "<stem>_report/" next to the file): datastore use, chain files per VM, the
consolidation timeline, guest clock offsets; a plot whose data is absent is skipped and the
summary says so.  DIR/index.html holds the summary and every plot (embedded as data URIs).
Sizes are binary units (GB = 2^30 B, as VMware prints them).  Reads docs/output.md's schema
through snapsim_h5; a bad file gives one line on stderr and exit status 1.
"""
import argparse
import base64
import html
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import snapsim_h5 as sh  # noqa: E402
from snapsim_h5 import fmt_bytes, fmt_clock, grid  # noqa: E402

PROG = "snapsim_report"
CAUSES = ("boot", "resume", "revert", "tools")  # documented clock_step causes


def fmt_s(x, nd=1):
    return f"{float(x):.{nd}f} s"


def fmt_step(x):
    return f"{float(x):+.2f} s"


# --- the summary ---------------------------------------------------------------------------

def sec_header(run):
    a = run.attrs
    dur = run.duration
    durtxt = f"{fmt_clock(dur)} ({dur:g} s)" if dur is not None else "?"
    return [f"snapsim run report: {run.path}",
            f"  scenario \"{run.scenario}\" ({a.get('scenario_file', '?')}), seed {a.get('seed', '?')}, "
            f"simulated {durtxt}, snapsim {a.get('snapsim_version', '?')}, "
            f"{a.get('events_fired', '?')} engine events", ""]


def sec_datastores(run):
    out = ["Datastores (peak use and when)"]
    sd = run.table("/summary/datastores")
    rows = []
    if len(sd):
        planner = sd.has("headroom")  # files from before the planner's columns lack them
        for i in range(len(sd)):
            row = [sd["datastore"][i], fmt_bytes(sd["capacity"][i]), fmt_bytes(sd["peak_used"][i]),
                   fmt_clock(sd["t_peak"][i]), fmt_bytes(sd["final_used"][i]), int(sd["full_events"][i])]
            if planner:
                tf = sd["t_first_full"][i]
                over = sd["provisioned"][i] > sd["capacity"][i] and sd["thin_capacity"][i] > 0
                row += [fmt_bytes(sd["initial_used"][i]), fmt_bytes(sd["headroom"][i]),
                        fmt_bytes(sd["free_at_peak"][i]), "never" if np.isnan(tf) else fmt_clock(tf),
                        fmt_s(sd["stall_s"][i]),
                        f"{fmt_bytes(sd['provisioned'][i])}{' OVERCOMMITTED' if over else ''}"]
            rows.append(row)
        hdr = ["datastore", "capacity", "peak used", "at", "final used", "full events"]
        if planner:
            hdr += ["at start", "needs", "free at peak", "first full", "VMs stalled", "disks provisioned"]
        out += grid(hdr, rows)
    else:  # no summary table: the sampled series is the next best source
        s = run.table("/series/datastores")
        for ds in dict.fromkeys(s["datastore"]):
            m = s["datastore"] == ds
            used, t = s["used"][m], s["t"][m]
            k = int(np.argmax(used))
            rows.append([ds, fmt_bytes(s["capacity"][m][k]), fmt_bytes(used[k]), fmt_clock(t[k]),
                         fmt_bytes(used[-1])])
        if rows:
            out += grid(["datastore", "capacity", "peak used (sampled)", "at", "final used"], rows)
        else:
            out.append("  no datastore data")
    return out + [""]


def sec_consolidations(run):
    c = run.table("/consolidations")
    out = [f"Consolidations ({len(c)})"]
    if not len(c):
        return out + ["  none", ""]
    rows = []
    for i in range(len(c)):
        rows.append([i + 1, c["vm"][i], c["snapshot"][i], c["strategy"][i], c["result"][i],
                     fmt_clock(c["t_start"][i]), fmt_s(c["duration_s"][i]), int(c["merges"][i]),
                     fmt_bytes(c["bytes_copied"][i]), fmt_bytes(c["peak_extra_bytes"][i]),
                     fmt_bytes(c["worst_case_bytes"][i]), fmt_s(c["stun_s"][i], 2),
                     int(c["iterations"][i]), c["detail"][i] if c.has("detail") else ""])
    out += grid(["#", "vm", "snapshot", "strategy", "result", "start", "duration", "merges",
                 "copied", "peak extra", "worst case", "stun", "iter", "detail"], rows)
    return out + [""]


def stalls_by_vm(run):
    """{vm: (count, total stall s, longest s, open at end)} from vm_stalled/vm_resumed_io.
    A stall still open at the end of the run counts until the run's duration."""
    e = run.table("/events")
    res, open_at = {}, {}
    for t, kind, vm, v in zip(e["t"], e["kind"], e["vm"], e["value"]):
        if kind == "vm_stalled":
            n, tot, lng, _ = res.get(vm, (0, 0.0, 0.0, 0))
            res[vm] = (n + 1, tot, lng, 0)
            open_at[vm] = t
        elif kind == "vm_resumed_io":
            n, tot, lng, _ = res.get(vm, (0, 0.0, 0.0, 0))
            res[vm] = (n, tot + v, max(lng, v), 0)
            open_at.pop(vm, None)
    end = run.duration if run.duration is not None else (float(e["t"][-1]) if len(e) else 0.0)
    for vm, t in open_at.items():
        n, tot, lng, _ = res[vm]
        res[vm] = (n, tot + end - t, max(lng, end - t), 1)
    return res


def sec_vms(run):
    """One row per VM from /summary/vms: where it runs, what it wrote, its stalls (one still going
    at the end counted to the end) and its failed snapshots (counted from the snapshot_failed
    events in files older than the failed_snapshots column)."""
    sv = run.table("/summary/vms")
    out = [f"VMs ({len(sv)}, /summary/vms)"]
    if not len(sv):
        return out + ["  none", ""]
    if sv.has("failed_snapshots"):
        failed = [int(x) for x in sv["failed_snapshots"]]
    else:
        e = run.table("/events")
        failed = [int(np.sum((e["kind"] == "snapshot_failed") & (e["vm"] == v))) for v in sv["vm"]]
    rows = [[sv["vm"][i], sv["host"][i], sv["datastore"][i], sv["strategy"][i], fmt_bytes(sv["bytes_written"][i]),
             int(sv["stalls"][i]), fmt_s(sv["stall_s"][i]), failed[i]] for i in range(len(sv))]
    out += grid(["vm", "host", "datastore", "strategy", "written", "stalls", "stalled", "failed snapshots"], rows)
    return out + [""]


def sec_stalls(run):
    st = stalls_by_vm(run)
    out = ["Stalls (vm_stalled / vm_resumed_io)"]
    if not st:
        return out + ["  none", ""]
    rows = [[vm, n, fmt_s(tot), fmt_s(lng), "yes" if op else ""] for vm, (n, tot, lng, op) in st.items()]
    out += grid(["vm", "stalls", "total stalled", "longest", "stalled at end"], rows)
    return out + [""]


def sec_clocks(run):
    e = run.table("/events")
    m = e["kind"] == "clock_step"
    vms, causes, vals = e["vm"][m], e["detail"][m], e["value"][m]
    out = ["Clock steps (clock_step events)"]
    if not m.any():
        out.append("  none")
    else:
        allc = list(CAUSES) + [c for c in dict.fromkeys(causes) if c not in CAUSES]
        rows = []
        for vm in list(dict.fromkeys(vms)) + ["(all)"]:
            k = np.ones(len(vms), bool) if vm == "(all)" else vms == vm
            v = vals[k]
            fwd, bwd = v[v > 0], v[v < 0]
            rows.append([vm] + [int(np.sum(causes[k] == c)) for c in allc] +
                        [int(k.sum()), fmt_step(fwd.max()) if fwd.size else "-",
                         fmt_step(bwd.min()) if bwd.size else "-"])
        out += grid(["vm"] + allc + ["total", "largest forward", "largest backward"], rows)
    sv = run.table("/summary/vms")
    out += ["", "Clock skew (/summary/vms)"]
    if not len(sv):
        out.append("  no per-VM summary")
    else:
        rows = [[sv["vm"][i], fmt_s(sv["max_abs_offset_s"][i], 2), fmt_s(sv["beyond_skew_s"][i]),
                 fmt_s(sv["skew_limit_s"][i], 2)] for i in range(len(sv))]
        out += grid(["vm", "max |guest offset|", "time beyond limit", "skew limit"], rows)
    return out + [""]


# --- the plots -----------------------------------------------------------------------------

def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_datastores(run, path):
    s = run.table("/series/datastores")
    if not len(s):
        return "no /series/datastores rows"
    plt = _plt()
    e = run.table("/events")
    div, xl = sh.time_axis(max(float(s["t"].max()), run.duration or 0.0))
    names = list(dict.fromkeys(s["datastore"]))
    fig, axes = plt.subplots(len(names), 1, figsize=(10, 3.2 * len(names) + 0.8), sharex=True, squeeze=False)
    for ax, ds in zip(axes[:, 0], names):
        m = s["datastore"] == ds
        t = s["t"][m] / div
        ax.plot(t, s["used"][m] / sh.GiB, color="tab:blue", lw=1.6, label="used")
        ax.plot(t, s["capacity"][m] / sh.GiB, color="black", ls="--", lw=1.2, label="capacity")
        here = (e["datastore"] == ds) | (e["datastore"] == "")
        first = True
        for t0 in e["t"][here & (e["kind"] == "snapshot_created")]:
            ax.axvline(t0 / div, color="tab:green", ls=":", lw=1, label="snapshot" if first else None)
            first = False
        # Pair each consolidation_started with the next consolidation_done of the same VM.
        starts = {}
        first = True
        for t0, kind, vm in zip(e["t"][here], e["kind"][here], e["vm"][here]):
            if kind == "consolidation_started":
                starts.setdefault(vm, []).append(t0)
            elif kind in ("consolidation_done", "consolidation_failed") and starts.get(vm):
                ts = starts[vm].pop(0)
                ax.axvspan(ts / div, t0 / div, color="tab:orange", alpha=0.3,
                           label="consolidation" if first else None)
                ax.axvline(ts / div, color="tab:orange", lw=1)
                ax.axvline(t0 / div, color="tab:red", lw=1)
                first = False
        ax.set_ylabel("GB")
        ax.set_ylim(bottom=0)
        ax.set_title(f"datastore {ds}")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
    axes[-1, 0].set_xlabel(xl)
    fig.suptitle(f"{run.scenario}: datastore use")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return None


def plot_files(run, path):
    s = run.table("/series/files")
    if not len(s):
        return "no /series/files rows"
    plt = _plt()
    times = np.unique(s["t"])
    div, xl = sh.time_axis(max(float(times.max()), run.duration or 0.0))
    vms = list(dict.fromkeys(s["vm"]))
    fig, axes = plt.subplots(len(vms), 1, figsize=(10, 3.2 * len(vms) + 0.8), sharex=True, squeeze=False)
    for ax, vm in zip(axes[:, 0], vms):
        m = s["vm"] == vm
        files = list(dict.fromkeys(s["file"][m]))  # order of first appearance: base first
        fi = {f: i for i, f in enumerate(files)}
        z = np.zeros((len(files), len(times)))
        z[[fi[f] for f in s["file"][m]], np.searchsorted(times, s["t"][m])] = s["size"][m] / sh.GiB
        kinds = {f: k for f, k in zip(s["file"][m], s["kind"][m])}
        colors = plt.cm.tab20(np.arange(len(files)) % 20)
        ax.stackplot(times / div, z, labels=[f"{f} ({kinds[f]})" for f in files], colors=colors,
                     step=None)
        ax.set_ylabel("GB")
        ax.set_title(f"VM {vm}: chain files (stacked)")
        ax.grid(alpha=0.3)
        if len(files) <= 12:
            ax.legend(loc="upper left", fontsize=7)
    axes[-1, 0].set_xlabel(xl)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return None


def plot_timeline(run, path):
    s = run.table("/consolidation_steps")
    if not len(s):
        return "no consolidation steps"
    plt = _plt()
    lo, hi = float(s["t_start"].min()), float(s["t_end"].max())
    div, xl = sh.time_axis(hi - lo if hi > lo else 1.0)
    vms = list(dict.fromkeys(s["vm"]))
    fig, ax = plt.subplots(figsize=(10, 1.0 + 0.6 * len(vms) + 1.2))
    minw = max(hi - lo, 1.0) * 0.004  # so a one-second merge in a day-long view stays visible
    for y, vm in enumerate(vms):
        m = s["vm"] == vm
        for stun in (0, 1):
            k = m & ((s["stunned"] != 0) == bool(stun))
            bars = [((a - lo) / div, max(b - a, minw) / div) for a, b in zip(s["t_start"][k], s["t_end"][k])]
            if bars:
                ax.broken_barh(bars, (y - 0.35, 0.7), facecolors="tab:red" if stun else "tab:blue",
                               edgecolors="black", linewidth=0.5)
    ax.set_yticks(range(len(vms)), vms)
    ax.set_ylim(-0.8, len(vms) - 0.2)
    ax.set_xlabel(f"{xl} since {fmt_clock(lo)}")
    from matplotlib.patches import Patch
    ax.legend(handles=[Patch(color="tab:blue", label="merge, VM running"),
                       Patch(color="tab:red", label="merge, VM stunned")], loc="upper right", fontsize=8)
    ax.set_title(f"{run.scenario}: consolidation timeline (one bar per merge)")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return None


def plot_clocks(run, path):
    s = run.table("/series/clocks")
    if not len(s):
        return "no /series/clocks rows"
    plt = _plt()
    e = run.table("/events")
    div, xl = sh.time_axis(max(float(s["t"].max()), run.duration or 0.0))
    fig, ax = plt.subplots(figsize=(10, 4.5))
    for vm in dict.fromkeys(s["vm"]):
        m = s["vm"] == vm
        ax.plot(s["t"][m] / div, s["guest_offset_s"][m], lw=1.5, label=f"{vm} guest")
    cmap = {"boot": "tab:gray", "resume": "tab:purple", "revert": "tab:red", "tools": "tab:green"}
    seen = set()
    k = e["kind"] == "clock_step"
    for t, cause in zip(e["t"][k], e["detail"][k]):
        ax.axvline(t / div, color=cmap.get(cause, "tab:brown"), ls=":", lw=1.2,
                   label=None if cause in seen else f"clock_step: {cause}")
        seen.add(cause)
    ax.set_xlabel(xl)
    ax.set_ylabel("guest clock offset (s)")
    ax.set_title(f"{run.scenario}: guest clock offsets")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return None


PLOTS = (("datastore_use.png", "datastore use over time", plot_datastores),
         ("chain_files.png", "chain files per VM, stacked", plot_files),
         ("consolidation_timeline.png", "consolidation timeline, one bar per merge", plot_timeline),
         ("clock_offsets.png", "guest clock offsets with clock steps", plot_clocks))


def write_html(path, run, text, made):
    parts = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\">",
             f"<title>snapsim report: {html.escape(run.scenario)}</title>",
             "<style>body{font-family:sans-serif;margin:2em}pre{background:#f4f4f4;padding:1em;"
             "overflow-x:auto}img{max-width:100%;border:1px solid #ccc}</style></head><body>",
             f"<h1>snapsim report: {html.escape(run.scenario)}</h1>",
             f"<pre>{html.escape(text)}</pre>"]
    for name, title in made:
        with open(os.path.join(os.path.dirname(path), name), "rb") as f:
            data = base64.b64encode(f.read()).decode("ascii")
        parts += [f"<h2>{html.escape(title)}</h2>", f"<!-- plot file: {name} -->",
                  f"<figure><img alt=\"{name}\" src=\"data:image/png;base64,{data}\">"
                  f"<figcaption>{name}</figcaption></figure>"]
    parts.append("</body></html>")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(parts) + "\n")


def main(argv):
    ap = argparse.ArgumentParser(prog=PROG, description="Summary, plots and HTML page for one snapsim run.")
    ap.add_argument("run", metavar="RUN.h5")
    ap.add_argument("-o", dest="outdir", metavar="DIR",
                    help='where the plots and index.html go (default: "<stem>_report/" next to RUN.h5)')
    a = ap.parse_args(argv)
    run = sh.open_run(a.run)
    outdir = a.outdir or os.path.join(os.path.dirname(os.path.abspath(a.run)),
                                      os.path.splitext(os.path.basename(a.run))[0] + "_report")
    try:
        os.makedirs(outdir, exist_ok=True)
    except OSError as e:
        raise sh.SnapsimError(outdir, f"cannot create the output directory ({e.strerror})")
    lines = (sec_header(run) + sec_datastores(run) + sec_vms(run) + sec_consolidations(run) + sec_stalls(run)
             + sec_clocks(run))
    made, plot_lines = [], []
    for name, title, fn in PLOTS:
        why = fn(run, os.path.join(outdir, name))
        if why is None:
            made.append((name, title))
            plot_lines.append(f"  {name}: {title}")
        else:
            plot_lines.append(f"  {name}: skipped ({why})")
    lines += [f"Plots (in {outdir})"] + plot_lines + ["  index.html: this summary and the plots"]
    text = "\n".join(lines) + "\n"
    write_html(os.path.join(outdir, "index.html"), run, text, made)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(sh.cli(PROG, main))
