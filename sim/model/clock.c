/*
 * clock.c -- host and guest clocks (see include/snapsim/clock.h).
 *
 * The guest offset is kept as one linear segment (anchor, base, rate); every
 * event that changes the rate or jumps the offset first closes the segment
 * up to now (ss_gclock_advance, which folds it into the statistics
 * analytically) and then starts a new one at now.  So the statistics are
 * exact for the path however rarely they are read.
 *
 * The Tools behaviour follows open-vm-tools
 * services/plugins/timeSync/timeSync.c: TIMESYNC_TIME 60 (sync once a
 * minute); in the periodic loop TimeSyncDoSync steps only when the guest is
 * behind by more than the host's max lag ("only steps the time forward and
 * only if the error is greater than one second"), otherwise TimeSyncSlewTime
 * corrects TIMESYNC_PERCENT_CORRECTION = 50 % of the error over the next
 * period; a step resets the slew to nominal.  Older Tools (ESX 3.x era)
 * could not pull a fast clock back (docs/model.md): sync_backward = false.
 */
#include <math.h>

#include "snapsim/clock.h"

/* ---- host clock ------------------------------------------------------- */

void ss_hclock_init(ss_hclock *h, double offset0_s, double drift_ppm, int ntp)
{
    h->offset0 = offset0_s;
    h->drift = drift_ppm * 1e-6;
    h->ntp = ntp != 0;
}

double ss_hclock_offset(const ss_hclock *h, ss_time t)
{
    if (h->ntp) return 0.0;
    return h->offset0 + h->drift * ss_time_to_s(t);
}

/* ---- guest clock ------------------------------------------------------ */

const char *ss_clk_cause_name(ss_clk_cause c)
{
    switch (c) {
    case SS_CLK_BOOT: return "boot";
    case SS_CLK_RESUME: return "resume";
    case SS_CLK_REVERT: return "revert";
    case SS_CLK_TOOLS: return "tools";
    default: return "unknown";
    }
}

/* d offset/dt of the current segment. */
static double rate(const ss_gclock *gc)
{
    return gc->state == SS_GCLK_RUNNING ? gc->drift + gc->slew : -1.0;
}

static double offset_on_line(const ss_gclock *gc, ss_time t)
{
    return gc->base + rate(gc) * ss_time_to_s(t - gc->anchor);
}

/* Record a value the offset takes (extremes only). */
static void note(ss_gclock_stats *st, double o)
{
    double a = fabs(o);
    if (a > st->max_abs) st->max_abs = a;
    if (o > st->max_ahead) st->max_ahead = o;
    if (o < st->max_behind) st->max_behind = o;
}

static double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* Time, within [0, T], that o0 + r*tau spends above `level` (above = 1) or
 * below it (above = 0).  The line crosses the level at tau_c = (level-o0)/r. */
static double time_beyond(double o0, double r, double T, double level, int above)
{
    if (r == 0.0) {
        int in = above ? o0 > level : o0 < level;
        return in ? T : 0.0;
    }
    double tc = clamp((level - o0) / r, 0.0, T);
    /* Rising and above, or falling and below: the part after the crossing. */
    return (r > 0) == (above != 0) ? T - tc : tc;
}

void ss_gclock_advance(ss_gclock *gc, ss_time t)
{
    if (t <= gc->seen) return;
    double r = rate(gc);
    double o0 = offset_on_line(gc, gc->seen);
    double o1 = offset_on_line(gc, t);
    double T = ss_time_to_s(t - gc->seen);
    double L = gc->skew_limit;
    /* Linear, so the extremes are at the ends; the two regions |o| > L are
     * disjoint because L >= 0. */
    note(&gc->st, o0);
    note(&gc->st, o1);
    gc->st.over_limit_s += time_beyond(o0, r, T, L, 1) + time_beyond(o0, r, T, -L, 0);
    gc->seen = t;
}

void ss_gclock_stats_at(ss_gclock *gc, ss_time t, ss_gclock_stats *out)
{
    ss_gclock_advance(gc, t);
    *out = gc->st;
}

/* Start a new segment at t (already advanced to) with offset o. */
static void reanchor(ss_gclock *gc, ss_time t, double o)
{
    gc->anchor = t;
    gc->base = o;
    note(&gc->st, o);
}

/* The common prologue: clamp t to the last time seen, advance to it. */
static ss_time now(ss_gclock *gc, ss_time t)
{
    if (t < gc->seen) t = gc->seen;
    ss_gclock_advance(gc, t);
    return t;
}

void ss_gclock_init(ss_gclock *gc, ss_time t, double offset_s, double drift_ppm,
                    double skew_limit_s, int running)
{
    ss_gclock_stats zero = {0};
    gc->anchor = t;
    gc->base = offset_s;
    gc->drift = drift_ppm * 1e-6;
    gc->slew = 0.0;
    gc->state = running ? SS_GCLK_RUNNING : SS_GCLK_FROZEN;
    gc->stun_t0 = t;
    gc->skew_limit = skew_limit_s > 0 ? skew_limit_s : 0.0;
    gc->seen = t;
    gc->st = zero;
    note(&gc->st, offset_s);
}

double ss_gclock_offset(const ss_gclock *gc, ss_time t)
{
    return offset_on_line(gc, t);
}

void ss_gclock_set_drift(ss_gclock *gc, ss_time t, double drift_ppm)
{
    t = now(gc, t);
    reanchor(gc, t, offset_on_line(gc, t));
    gc->drift = drift_ppm * 1e-6;
}

int ss_gclock_freeze(ss_gclock *gc, ss_time t)
{
    if (gc->state == SS_GCLK_FROZEN) return 0;
    t = now(gc, t);
    reanchor(gc, t, offset_on_line(gc, t));
    gc->state = SS_GCLK_FROZEN;
    gc->slew = 0.0;
    return 1;
}

int ss_gclock_thaw(ss_gclock *gc, ss_time t)
{
    if (gc->state != SS_GCLK_FROZEN) return 0;
    t = now(gc, t);
    reanchor(gc, t, offset_on_line(gc, t));
    gc->state = SS_GCLK_RUNNING;
    return 1;
}

int ss_gclock_stun_begin(ss_gclock *gc, ss_time t)
{
    if (gc->state != SS_GCLK_RUNNING) return 0;
    t = now(gc, t);
    reanchor(gc, t, offset_on_line(gc, t));
    gc->state = SS_GCLK_STUNNED;
    gc->stun_t0 = t;
    return 1;
}

int ss_gclock_stun_end(ss_gclock *gc, ss_time t, int catch_up)
{
    if (gc->state != SS_GCLK_STUNNED) return 0;
    t = now(gc, t);
    double o = offset_on_line(gc, t);
    if (catch_up) {
        /* The backlog of timer interrupts is delivered (VMware's timekeeping white paper, "Lost
         * ticks"): the guest gets back the whole stun, s, plus what its
         * drift and slew would have added over it.  Measured from the
         * current line, so a step taken during the stun is kept. */
        double s = ss_time_to_s(t - gc->stun_t0);
        o += s * (1.0 + gc->drift + gc->slew);
    }
    gc->state = SS_GCLK_RUNNING;
    reanchor(gc, t, o);
    return 1;
}

double ss_gclock_step(ss_gclock *gc, ss_time t, double new_offset_s, ss_clk_cause cause)
{
    t = now(gc, t);
    double d = new_offset_s - offset_on_line(gc, t);
    reanchor(gc, t, new_offset_s);
    gc->slew = 0.0;
    gc->st.steps++;
    if ((unsigned)cause < SS_CLK_NCAUSES) gc->st.steps_by_cause[cause]++;
    if (d > gc->st.max_fwd_step) gc->st.max_fwd_step = d;
    if (d < gc->st.max_back_step) gc->st.max_back_step = d;
    return d;
}

int ss_gclock_resync(ss_gclock *gc, ss_time t, double host_offset_s, ss_clk_cause cause,
                     int enabled, int backward, double *step)
{
    double d = 0.0;
    if (enabled) {
        /* Ahead and not allowed back: the sync happens and steps by 0. */
        double now = ss_gclock_offset(gc, t);
        d = ss_gclock_step(gc, t, now > host_offset_s && !backward ? now : host_offset_s, cause);
    } else {
        ss_gclock_advance(gc, t);
    }
    if (step) *step = d;
    return enabled != 0;
}

double ss_gclock_restore(ss_gclock *gc, ss_time t, ss_time t_snap, double offset_snap_s)
{
    t = now(gc, t);
    double before = offset_on_line(gc, t);
    /* The guest reads what it read at t_snap: t_snap + o_snap = t + o. */
    double o = offset_snap_s - ss_time_to_s(t - t_snap);
    gc->state = SS_GCLK_RUNNING;
    gc->slew = 0.0;
    reanchor(gc, t, o);
    return o - before;
}

int ss_gclock_power_on(ss_gclock *gc, ss_time t, double host_offset_s, int resync, int backward, double *step)
{
    ss_gclock_thaw(gc, t);
    return ss_gclock_resync(gc, t, host_offset_s, SS_CLK_BOOT, resync, backward, step);
}

int ss_gclock_resume(ss_gclock *gc, ss_time t, double host_offset_s, int resync, double *step)
{
    ss_gclock_thaw(gc, t);
    return ss_gclock_resync(gc, t, host_offset_s, SS_CLK_RESUME, resync, 0, step);
}

int ss_gclock_revert(ss_gclock *gc, ss_time t, ss_time t_snap, double offset_snap_s,
                     double host_offset_s, int resync, double *step)
{
    ss_gclock_restore(gc, t, t_snap, offset_snap_s);
    return ss_gclock_resync(gc, t, host_offset_s, SS_CLK_REVERT, resync, 0, step);
}

int ss_gclock_tools_sync(ss_gclock *gc, ss_time t, double host_offset_s, double interval_s,
                         int sync_backward, double *step)
{
    if (step) *step = 0.0;
    t = now(gc, t);
    if (gc->state != SS_GCLK_RUNNING) return 0;
    double e = offset_on_line(gc, t) - host_offset_s;
    if (e < -SS_TOOLS_MAX_LAG_S) {
        double d = ss_gclock_step(gc, t, host_offset_s, SS_CLK_TOOLS);
        if (step) *step = d;
        return 1;
    }
    /* TimeSyncSlewTime: slew 50 % of the error over one period, so the
     * slew rate is -0.5*e/interval until the next call replaces it. */
    double slew = 0.0;
    if (interval_s > 0 && (e < 0 || (e > 0 && sync_backward)))
        slew = -0.5 * e / interval_s;
    reanchor(gc, t, offset_on_line(gc, t));
    gc->slew = slew;
    return 0;
}
