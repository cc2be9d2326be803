/*
 * clock.h -- host and guest clocks (docs/model.md): a pure model with no
 * engine dependence beyond ss_time.  The VM model drives it from its power
 * transitions (on/off, suspend/resume, revert, stun) and from a periodic
 * Tools-sync event; the clock itself schedules nothing.
 *
 * Every clock is described by its OFFSET, in seconds: clock reading minus
 * true time.  True time is the simulator's time t (integer ns).
 *
 * Host clock: offset(t) = offset0 + drift*(t - 0), or exactly 0 under NTP.
 *
 * Guest clock: the offset is piecewise linear in t.
 *   running  d offset/dt = drift + slew   (slew: the Tools correction in force)
 *   frozen   d offset/dt = -1             (VM off or suspended: the guest
 *                                          clock stands still, true time goes on)
 *   stunned  d offset/dt = -1             (VM stopped by the hypervisor; at the
 *                                          end the missed ticks are delivered
 *                                          if catch_up, closing the gap)
 * Steps (boot/resume/revert resync, Tools) are jumps of the offset; each is
 * counted in the statistics and is what the caller reports as a clock_step
 * event.  Stun catch-up and the revert's restore of the snapshot's guest
 * time are jumps too, but not steps (no event, not counted as steps).
 *
 * Time: every mutator takes the current time t and must be called with
 * non-decreasing t (as the engine guarantees); a t before the last one is
 * treated as the last one.  Every mutator first calls ss_gclock_advance(t),
 * which brings the statistics up to t exactly (per linear segment, not by
 * sampling).  Readers (ss_gclock_offset) accept any t >= the last mutation.
 *
 * Structs are plain so the VM can embed them; their fields are documented
 * but should be changed only through these functions.
 */
#ifndef SNAPSIM_CLOCK_H
#define SNAPSIM_CLOCK_H

#include "snapsim/engine.h"

/* Defaults (docs/model.md gives their sources). */
#define SS_TOOLS_SYNC_INTERVAL_S 60.0  /* open-vm-tools TIMESYNC_TIME */
#define SS_TOOLS_MAX_LAG_S 1.0         /* periodic sync steps only if behind by more */
#define SS_SKEW_LIMIT_S 300.0          /* Kerberos max skew (RFC 4120 / MIT default) */

/* ---- host clock ------------------------------------------------------- */

/* offset(t) = offset0 + drift*t/1e9 seconds, t in ns from the run's start;
 * when ntp is set the offset is 0 whatever offset0 and drift say. */
typedef struct ss_hclock {
    double offset0;   /* s, at t = 0 */
    double drift;     /* s per s (= ppm * 1e-6) */
    int ntp;          /* nonzero: disciplined, offset always 0 */
} ss_hclock;

void ss_hclock_init(ss_hclock *h, double offset0_s, double drift_ppm, int ntp);
double ss_hclock_offset(const ss_hclock *h, ss_time t);

/* ---- guest clock ------------------------------------------------------ */

/* Why a guest clock was stepped (the clock_step event's detail). */
typedef enum {
    SS_CLK_BOOT,      /* power-on resync (Tools start) */
    SS_CLK_RESUME,    /* resume from suspend */
    SS_CLK_REVERT,    /* revert to a snapshot */
    SS_CLK_TOOLS,     /* periodic Tools sync */
    SS_CLK_NCAUSES
} ss_clk_cause;

/* "boot" "resume" "revert" "tools"; "unknown" for anything else. */
const char *ss_clk_cause_name(ss_clk_cause c);

typedef enum {
    SS_GCLK_RUNNING,
    SS_GCLK_FROZEN,   /* powered off or suspended */
    SS_GCLK_STUNNED   /* momentarily stopped by the hypervisor */
} ss_gclk_state;

/* Statistics over [start, seen], exact for the piecewise-linear path.
 * Jumps count at their instant: the value just before and just after a jump
 * are both "seen" (a suspended guest that is 500 s behind when resumed has
 * been 500 s behind, even though the resync removes it at once). */
typedef struct ss_gclock_stats {
    double max_abs;        /* largest |offset| (s) */
    double max_ahead;      /* largest offset, >= 0 (s) */
    double max_behind;     /* most negative offset, <= 0 (s) */
    double over_limit_s;   /* total time with |offset| > skew_limit (s) */
    unsigned long steps;   /* all steps, zero-size ones included */
    unsigned long steps_by_cause[SS_CLK_NCAUSES];
    double max_fwd_step;   /* largest forward step, >= 0 (0: none) */
    double max_back_step;  /* most negative step, <= 0 (0: none) */
} ss_gclock_stats;

/* The current segment is offset(t) = base + rate(state)*(t - anchor)/1e9
 * for t >= anchor, where rate is drift+slew when running and -1 otherwise.
 * Invariants: anchor <= seen; stun_t0 is meaningful only when stunned;
 * slew == 0 unless running or stunned (freezing clears it). */
typedef struct ss_gclock {
    ss_time anchor;       /* start of the current linear segment */
    double base;          /* offset at anchor (s) */
    double drift;         /* guest oscillator error (s/s) */
    double slew;          /* Tools slew rate in force until the next sync (s/s) */
    ss_gclk_state state;
    ss_time stun_t0;      /* when the current stun began */
    double skew_limit;    /* s, for over_limit_s */
    ss_time seen;         /* statistics are up to date to here */
    ss_gclock_stats st;
} ss_gclock;

/* A clock at time t with the given offset, running or frozen. */
void ss_gclock_init(ss_gclock *gc, ss_time t, double offset_s, double drift_ppm,
                    double skew_limit_s, int running);

double ss_gclock_offset(const ss_gclock *gc, ss_time t);
/* The guest's own reading at t, in seconds since the run's start. */
static inline double ss_gclock_time(const ss_gclock *gc, ss_time t)
{
    return ss_time_to_s(t) + ss_gclock_offset(gc, t);
}

/* Bring the statistics up to t.  Called by every mutator. */
void ss_gclock_advance(ss_gclock *gc, ss_time t);
/* Advance to t and copy the statistics out. */
void ss_gclock_stats_at(ss_gclock *gc, ss_time t, ss_gclock_stats *out);

/* Change the oscillator error from t on (re-anchors the line). */
void ss_gclock_set_drift(ss_gclock *gc, ss_time t, double drift_ppm);

/* Power off / suspend: the clock stands still from t on; any slew is
 * dropped (the Tools daemon is not running).  Freezing a stunned clock ends
 * the stun without catch-up.  Returns 1 if the state changed, 0 if it was
 * already frozen. */
int ss_gclock_freeze(ss_gclock *gc, ss_time t);
/* Power on / resume: the clock runs again from t, from where it stood
 * (the resync, if any, is a separate step).  Returns 1 if it was frozen,
 * 0 otherwise (running or stunned: nothing done). */
int ss_gclock_thaw(ss_gclock *gc, ss_time t);

/* Stun of a running VM.  stun_begin returns 1 if the clock was running,
 * else 0 (nothing done).  stun_end returns 1 if it was stunned; with
 * catch_up the offset becomes what it would have been had the guest kept
 * running (its drift and slew over the stun), without a step; without it
 * the guest stays behind by the stun's length. */
int ss_gclock_stun_begin(ss_gclock *gc, ss_time t);
int ss_gclock_stun_end(ss_gclock *gc, ss_time t, int catch_up);

/* Set the offset to new_offset_s at t; returns the step (new - old, s,
 * signed).  Drops any slew (timeSync.c: "Stepping invalidates the current
 * slew").  The state is unchanged.  Counted in the statistics. */
double ss_gclock_step(ss_gclock *gc, ss_time t, double new_offset_s, ss_clk_cause cause);

/* One-off resync to the host (VMware Tools' one-time sync, open-vm-tools
 * timeSync.c TimeSyncDoSync): if `enabled`, a guest that is behind the host
 * is stepped forward to host_offset_s; one that is ahead is stepped back
 * only if `backward` (at boot: time.synchronize.tools.startup.backward),
 * else it is left where it is (a step of 0).  The step is stored in *step
 * (if non-NULL) and counted (cause), zero steps included: returns 1.  Not
 * enabled: the clock is left alone, *step = 0, returns 0. */
int ss_gclock_resync(ss_gclock *gc, ss_time t, double host_offset_s, ss_clk_cause cause,
                     int enabled, int backward, double *step);

/* Restore the guest clock saved in a memory snapshot taken at t_snap when
 * the offset was offset_snap_s: the guest time becomes that of t_snap, i.e.
 * offset = offset_snap_s - (t - t_snap).  The clock is left running (a
 * memory snapshot is of a running VM) with no slew.  Not a step: returns
 * the change of offset for information only. */
double ss_gclock_restore(ss_gclock *gc, ss_time t, ss_time t_snap, double offset_snap_s);

/* The VM transitions, built from the above.  Each returns what
 * ss_gclock_resync returns, with the step in *step.
 *   power_on: thaw, then resync (boot), back only if `backward`.
 *   resume:   thaw, then resync (resume), forward only.
 *   revert (to a MEMORY snapshot): restore, then resync (revert), forward
 *     only.  The clock_step event of a revert is this resync step alone,
 *     measured from the restored offset.  A disk-only revert leaves the VM
 *     off: the caller just freezes the clock (no restore; the boot resync
 *     comes at power-on).
 * Power off and suspend are ss_gclock_freeze. */
int ss_gclock_power_on(ss_gclock *gc, ss_time t, double host_offset_s, int resync, int backward, double *step);
int ss_gclock_resume(ss_gclock *gc, ss_time t, double host_offset_s, int resync, double *step);
int ss_gclock_revert(ss_gclock *gc, ss_time t, ss_time t_snap, double offset_snap_s,
                     double host_offset_s, int resync, double *step);

/* One periodic VMware Tools sync at t (call it every interval_s while the
 * VM runs and Tools sync is on).  With e = guest offset - host offset:
 *   e < -SS_TOOLS_MAX_LAG_S  step to the host (cause tools): returns 1,
 *                            the step (= -e) in *step;
 *   -max lag <= e < 0        slew: correct 50 % of the error over the next
 *                            interval (slew = -0.5*e/interval_s);
 *   e > 0                    sync_backward: slew back the same way;
 *                            otherwise leave it (older Tools);
 *   e == 0                   no slew.
 * The slew replaces the previous one.  A clock that is not running is left
 * alone (Tools do not run in a stopped guest).  Returns 0 unless it stepped;
 * *step (if non-NULL) is 0 then. */
int ss_gclock_tools_sync(ss_gclock *gc, ss_time t, double host_offset_s, double interval_s,
                         int sync_backward, double *step);

#endif
