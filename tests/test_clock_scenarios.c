/*
 * test_clock_scenarios.c -- guest timekeeping (docs/model.md, Clocks) through
 * real Lua scenarios run in-process: drift, the boot / resume / revert
 * resyncs with and without their switch, VMware Tools periodic sync, stuns
 * with and without catch-up, and the clock side of the HDF5 file.
 *
 * Every expected value is a closed form written next to it.  Notation:
 *   H(t)  host offset at t = offset0 + h*t          (h = host drift, s/s)
 *   G(t)  guest offset at t (guest reading minus true time)
 *   d     guest drift (ppm * 1e-6)
 * The model (clock.h): a running guest's offset moves at d (plus the Tools
 * slew), a stopped one (off, suspended, stunned) at -1; a VM's clock starts
 * at H(0) at t = 0 whether it is on or off; resyncs step G to H if G is
 * behind (or ahead, at boot with boot_backward).
 *
 * Tolerance: every expected value is a few double operations on numbers
 * below 1e6 s, and simulated time is integer ns, so 1e-6 s covers rounding
 * (1 ns per scheduled time) with six orders of magnitude to spare while
 * being far below any modelling error (the smallest value tested is
 * 0.8 s / 2^9 = 0.0016 s).
 */
#include <hdf5.h>
#include <hdf5_hl.h>

#include "simtest.h"

#define TOL 1e-6

/* Common prelude: one datastore shared by VMs that do no I/O (the stun
 * test declares its own).  S collects every clock_step event;
 * n_steps(vm, cause) counts them (nil: any), step(vm, i) is vm's i-th. */
#define PRE(dur)                                                                                  \
    "scenario { name = 'clk', duration = '" dur "', seed = 1 }\n"                                 \
    "datastore 'ds' { capacity = '500GB', bandwidth = '100MB/s' }\n"                              \
    "GB = 2^30\n"                                                                                 \
    "S = {}\n"                                                                                    \
    "on('clock_step', function(e) S[#S+1] = { t = e.t, vm = e.vm, v = e.value, c = e.detail } end)\n" \
    "function n_steps(vm, c)\n"                                                                   \
    "  local n = 0\n"                                                                             \
    "  for _, s in ipairs(S) do if (vm == nil or s.vm == vm) and (c == nil or s.c == c) then n = n + 1 end end\n" \
    "  return n\n"                                                                                \
    "end\n"                                                                                       \
    "function step(vm, i)\n"                                                                      \
    "  local k = 0\n"                                                                             \
    "  for _, s in ipairs(S) do if s.vm == vm then k = k + 1; if k == i then return s end end end\n" \
    "end\n"                                                                                       \
    "function G(v) return vm_state(v).guest_offset end\n"                                         \
    "function H(v) return vm_state(v).host_offset end\n"                                          \
    "function mkvm(name, host, clock, power, ds)\n"                                               \
    "  vm (name) { host = host, datastore = ds or 'ds', memory = '1GB', power = power or 'on',\n" \
    "              disk = { size = '30GB', format = 'ideal' }, clock = clock }\n"                 \
    "end\n"

static ss_sim *run(const char *name, const char *src) { return st_run_ok(name, src, NULL); }

/* The i-th clock_step of vm: cause and signed size. */
static void check_step(ss_sim *sim, const char *vm, int i, const char *cause, double value, double t)
{
    char e[160], buf[64];
    snprintf(e, sizeof e, "step('%s', %d).c", vm, i);
    CHECK_STR(st_str(sim, e, buf, sizeof buf), cause);
    snprintf(e, sizeof e, "step('%s', %d).v", vm, i);
    CHECK_NEAR(st_num(sim, e), value, TOL);
    snprintf(e, sizeof e, "step('%s', %d).t", vm, i);
    CHECK_NEAR(st_num(sim, e), t, TOL);
}

static double steps_of(ss_sim *sim, const char *vm, const char *cause)
{
    char e[128], v[80];
    if (vm) snprintf(v, sizeof v, "'%s'", vm);
    else snprintf(v, sizeof v, "nil");
    if (cause) snprintf(e, sizeof e, "n_steps(%s, '%s')", v, cause);
    else snprintf(e, sizeof e, "n_steps(%s)", v);
    return st_num(sim, e);
}

/* Drift, no syncs, T = 7200 s running from t = 0:
 *   G(T) = H(0) + d*T          (the guest starts at the host's offset and
 *                               follows its own oscillator, not the host's)
 *   host h0: 90 s, no drift; host h1: 90 s, +50 ppm -> H(T) = 90.36.
 *   fast  +40 ppm: 90 + 0.288 = 90.288 (and 90.072 at 1800 s)
 *   slow  -25 ppm: 90 - 0.18  = 89.82
 *   exact   0 ppm: 90
 *   fast on h1: 90.288 while the host reads 90.36.
 * Nothing resyncs a VM that was on from the start: no clock_step. */
static void t_drift(void)
{
    ss_sim *sim = run("drift.lua", PRE("2h")
        "host 'h0' { clock = { offset = '90s' } }\n"
        "host 'h1' { clock = { offset = '90s', drift_ppm = 50 } }\n"
        "mkvm('fast', 'h0', { drift_ppm = 40 })\n"
        "mkvm('slow', 'h0', { drift_ppm = -25 })\n"
        "mkvm('exact', 'h0', {})\n"
        "mkvm('fast1', 'h1', { drift_ppm = 40 })\n"
        "at('30m', function() G30 = G('fast') end)\n");
    if (!sim) return;
    const double T = 7200;
    CHECK_NEAR(st_num(sim, "now()"), T, 0);
    CHECK_NEAR(st_num(sim, "G30"), 90 + 40e-6 * 1800, TOL);
    CHECK_NEAR(st_num(sim, "G('fast')"), 90 + 40e-6 * T, TOL);
    CHECK_NEAR(st_num(sim, "G('slow')"), 90 - 25e-6 * T, TOL);
    CHECK_NEAR(st_num(sim, "G('exact')"), 90, TOL);
    CHECK_NEAR(st_num(sim, "H('fast')"), 90, TOL);
    CHECK_NEAR(st_num(sim, "G('fast1')"), 90 + 40e-6 * T, TOL);
    CHECK_NEAR(st_num(sim, "H('fast1')"), 90 + 50e-6 * T, TOL);
    CHECK_EQ_I(st_num(sim, "#S"), 0);
    ss_sim_free(sim);
}

/* Boot.  VMs declared off; their clocks stand at H(0) from t = 0, so at
 * power-on at t_on = 600 s the guest reads G = H(0) - 600 and the boot
 * resync steps it by H(600) - (H(0) - 600), forward:
 *   host a:  90 s            -> step  90 - (90 - 600)       = 600, G = 90
 *   host b:  -2m             -> step -120 - (-120 - 600)    = 600, G = -120
 *   host c:  30 s, +200 ppm  -> H(600) = 30.12; step = 600.12, G = 30.12
 * With resync.boot = false (on host a): no step, G stays at 90 - 600 =
 * -510 and then drifts: guest drift 0, so G(T) = -510.
 * Power cycle of "a" (guest +40 ppm): runs 600..3600 -> G(3600) = 90.12;
 * off 3600..5400 -> 90.12 - 1800; on at 5400: boot step 90 - (90.12 -
 * 1800) = 1799.88, then G(T = 7200) = 90 + 40e-6*1800 = 90.072. */
static void t_boot(void)
{
    ss_sim *sim = run("boot.lua", PRE("2h")
        "host 'a' { clock = { offset = '90s' } }\n"
        "host 'b' { clock = { offset = '-2m' } }\n"
        "host 'c' { clock = { offset = '30s', drift_ppm = 200 } }\n"
        "mkvm('va', 'a', { drift_ppm = 40 }, 'off')\n"
        "mkvm('vb', 'b', {}, 'off')\n"
        "mkvm('vc', 'c', {}, 'off')\n"
        "mkvm('vn', 'a', { resync = { boot = false } }, 'off')\n"
        "at('10m', function()\n"
        "  for _, v in ipairs{ 'va', 'vb', 'vc', 'vn' } do power_on(v) end\n"
        "  Gb, Gc, Gn = G('vb'), G('vc'), G('vn')\n"
        "end)\n"
        "at('1h', function() power_off('va') end)\n"
        "at('1h30m', function() power_on('va') end)\n");
    if (!sim) return;
    check_step(sim, "va", 1, "boot", 90 - (90 - 600.0), 600);
    check_step(sim, "vb", 1, "boot", -120 - (-120 - 600.0), 600);
    check_step(sim, "vc", 1, "boot", (30 + 200e-6 * 600) - (30 - 600.0), 600);
    CHECK_NEAR(st_num(sim, "Gb"), -120, TOL);
    CHECK_NEAR(st_num(sim, "Gc"), 30 + 200e-6 * 600, TOL);
    CHECK_NEAR(st_num(sim, "G('vc')"), 30 + 200e-6 * 600, TOL);   /* guest drift 0 after the boot */
    CHECK_NEAR(st_num(sim, "H('vc')"), 30 + 200e-6 * 7200, TOL);
    /* no resync: the clock stood still while off, and persists */
    CHECK_NEAR(st_num(sim, "Gn"), 90 - 600.0, TOL);
    CHECK_NEAR(st_num(sim, "G('vn')"), 90 - 600.0, TOL);
    CHECK_EQ_I(steps_of(sim, "vn", NULL), 0);
    /* the power cycle */
    CHECK_EQ_I(steps_of(sim, "va", "boot"), 2);
    check_step(sim, "va", 2, "boot", 90 - (90 + 40e-6 * 3000 - 1800), 5400);
    CHECK_NEAR(st_num(sim, "G('va')"), 90 + 40e-6 * 1800, TOL);
    CHECK_EQ_I(steps_of(sim, NULL, NULL), 4);   /* va 2, vb 1, vc 1, vn 0 */
    ss_sim_free(sim);
}

/* Suspend at t_s = 600 s for S = 300 s (resume at 900 s).  Host: 90 s,
 * +100 ppm: H(t) = 90 + 1e-4 t.  Guests +40 ppm from G(0) = 90:
 *   G(600) = 90 + 40e-6*600 = 90.024; suspended: G(900-) = 90.024 - 300.
 *   resync on:  step "resume" = H(900) - (G(600) - S) = 90.09 - 90.024 + 300
 *               = 300.066 (forward), then G(T) = H(900) + 40e-6*(T - 900)
 *   resync off: no step; G(T) = G(600) - S + 40e-6*(T - 900): S behind,
 *               for good.   T = 3600. */
static void t_suspend_resume(void)
{
    ss_sim *sim = run("resume.lua", PRE("1h")
        "host 'h' { clock = { offset = '90s', drift_ppm = 100 } }\n"
        "mkvm('on', 'h', { drift_ppm = 40 })\n"
        "mkvm('off', 'h', { drift_ppm = 40, resync = { resume = false } })\n"
        "at('10m', function() suspend('on'); suspend('off') end)\n"
        "at('15m', function() resume('on'); resume('off'); Gon, Goff = G('on'), G('off') end)\n");
    if (!sim) return;
    const double S = 300, T = 3600, Gs = 90 + 40e-6 * 600, Hr = 90 + 1e-4 * 900;
    CHECK_EQ_I(steps_of(sim, "on", NULL), 1);
    check_step(sim, "on", 1, "resume", Hr - (Gs - S), 900);
    CHECK(st_num(sim, "step('on', 1).v") > 0);
    CHECK_NEAR(st_num(sim, "Gon"), Hr, TOL);
    CHECK_NEAR(st_num(sim, "G('on')"), Hr + 40e-6 * (T - 900), TOL);
    CHECK_EQ_I(steps_of(sim, "off", NULL), 0);
    CHECK_NEAR(st_num(sim, "Goff"), Gs - S, TOL);
    CHECK_NEAR(st_num(sim, "G('off')"), Gs - S + 40e-6 * (T - 900), TOL);
    CHECK_NEAR(st_num(sim, "H('off')"), 90 + 1e-4 * T, TOL);
    ss_sim_free(sim);
}

/* Revert at t = 1800 s to a memory snapshot taken at t_s = 600 s.  Host
 * 90 s, -50 ppm: H(t) = 90 - 5e-5 t; guests +40 ppm from 90:
 *   o(t_s) = 90.024.  The memory image brings back the guest time of t_s:
 *   before the resync G = o(t_s) - (t - t_s) = 90.024 - 1200.
 *   resync off ("keep"): G(1800) = 90.024 - 1200, no step, then it runs:
 *                G(T) = 90.024 - 1200 + 40e-6*(T - 1800), T = 3600.
 *   resync on  ("sync"): one step, cause revert, of
 *                H(1800) - (o(t_s) - 1200) = 89.91 - 90.024 + 1200 = 1199.886,
 *                then G(T) = H(1800) + 40e-6*(T - 1800).
 *   "offrev": powered off at 1200 s, then reverted (resync off) at 1800 s:
 *                the memory image runs again: power on, G(1800) as "keep",
 *                and it keeps running (drifting) to the end. */
static void t_revert_memory(void)
{
    ss_sim *sim = run("revert.lua", PRE("1h")
        "host 'h' { clock = { offset = '90s', drift_ppm = -50 } }\n"
        "mkvm('keep', 'h', { drift_ppm = 40, resync = { revert = false } })\n"
        "mkvm('sync', 'h', { drift_ppm = 40 })\n"
        "mkvm('offrev', 'h', { drift_ppm = 40, resync = { revert = false } })\n"
        "at('10m', function() for _, v in ipairs{ 'keep', 'sync', 'offrev' } do snapshot(v, 's', { memory = true }) end end)\n"
        "at('20m', function() power_off('offrev') end)\n"
        "at('30m', function()\n"
        "  for _, v in ipairs{ 'keep', 'sync', 'offrev' } do revert(v, 's') end\n"
        "  Gk, Gs, Go = G('keep'), G('sync'), G('offrev')\n"
        "end)\n");
    if (!sim) return;
    const double T = 3600, os = 90 + 40e-6 * 600, H1800 = 90 - 5e-5 * 1800;
    CHECK_EQ_I(steps_of(sim, "keep", NULL), 0);
    CHECK_NEAR(st_num(sim, "Gk"), os - 1200, TOL);
    CHECK_NEAR(st_num(sim, "G('keep')"), os - 1200 + 40e-6 * (T - 1800), TOL);
    CHECK_EQ_I(steps_of(sim, "sync", NULL), 1);
    check_step(sim, "sync", 1, "revert", H1800 - (os - 1200), 1800);
    CHECK(st_num(sim, "step('sync', 1).v") > 0);
    CHECK_NEAR(st_num(sim, "Gs"), H1800, TOL);
    CHECK_NEAR(st_num(sim, "G('sync')"), H1800 + 40e-6 * (T - 1800), TOL);
    char buf[32];
    CHECK_STR(st_str(sim, "vm_state('offrev').power", buf, sizeof buf), "on");
    CHECK_EQ_I(steps_of(sim, "offrev", NULL), 0);
    CHECK_NEAR(st_num(sim, "Go"), os - 1200, TOL);
    CHECK_NEAR(st_num(sim, "G('offrev')"), os - 1200 + 40e-6 * (T - 1800), TOL);
    ss_sim_free(sim);
}

/* A revert resync steps forward only ("For other events, synchronization
 * is forward in time": VMware Tools docs; open-vm-tools TimeSyncDoSync).
 * Host -2m, no drift.
 *   "fwd" (0 ppm, G = -120): memory snapshot at 100 s, revert at 110 s:
 *     restored -120 - 10 = -130, step = -120 - (-130) = +10.
 *   "back" (+2000 ppm): snapshot at 1000 s (o = -120 + 2 = -118), revert
 *     at 1000.5 s: restored -118 - 0.5 = -118.5, 1.5 s AHEAD of the host:
 *     the guest gained more than the revert took back.  The sync happens
 *     (a clock_step of 0) and leaves it ahead: G = -118.5. */
static void t_revert_forward_only(void)
{
    ss_sim *sim = run("revert_back.lua", PRE("1h")
        "host 'h' { clock = { offset = '-2m' } }\n"
        "mkvm('fwd', 'h', {})\n"
        "mkvm('back', 'h', { drift_ppm = 2000 })\n"
        "at('100s', function() snapshot('fwd', 's', { memory = true }) end)\n"
        "at('110s', function() revert('fwd', 's') end)\n"
        "at('1000s', function() snapshot('back', 's', { memory = true }) end)\n"
        "at('1000500ms', function() revert('back', 's'); GB1 = G('back') end)\n");
    if (!sim) return;
    check_step(sim, "fwd", 1, "revert", -120 - (-130.0), 110);
    check_step(sim, "back", 1, "revert", 0, 1000.5);
    CHECK_NEAR(st_num(sim, "GB1"), -120 + 2000e-6 * 1000 - 0.5, TOL);
    CHECK_EQ_I(steps_of(sim, NULL, NULL), 2);
    ss_sim_free(sim);
}

/* Revert to a DISK-ONLY snapshot: no running state, so the VM is off, its
 * clock stands still, no step; the next power-on boots and syncs.
 * Host 90 s, no drift; guest +40 ppm from 90.  Disk-only snapshot at
 * 600 s; revert at 1800 s: G(1800) = 90 + 40e-6*1800 = 90.072, frozen;
 * power on at 2400 s: G = 90.072 - 600, boot step = 90 - (90.072 - 600)
 * = 599.928.  With resync.revert = false nothing changes (no revert
 * resync to turn off); with resync.boot = false the VM keeps 90.072 - 600. */
static void t_revert_disk_only(void)
{
    ss_sim *sim = run("revert_disk.lua", PRE("1h")
        "host 'h' { clock = { offset = '90s' } }\n"
        "mkvm('d', 'h', { drift_ppm = 40 })\n"
        "mkvm('nb', 'h', { drift_ppm = 40, resync = { boot = false } })\n"
        "at('10m', function() snapshot('d', 's'); snapshot('nb', 's') end)\n"
        "at('30m', function() revert('d', 's'); revert('nb', 's')\n"
        "  P = vm_state('d').power; N30 = n_steps() end)\n"
        "at('40m', function() Gd40 = G('d'); power_on('d'); power_on('nb') end)\n");
    if (!sim) return;
    const double G1800 = 90 + 40e-6 * 1800, T = 3600;
    char buf[32];
    CHECK_STR(st_str(sim, "P", buf, sizeof buf), "off");
    CHECK_EQ_I(st_num(sim, "N30"), 0);
    CHECK_NEAR(st_num(sim, "Gd40"), G1800 - 600, TOL);
    CHECK_EQ_I(steps_of(sim, "d", NULL), 1);
    check_step(sim, "d", 1, "boot", 90 - (G1800 - 600), 2400);
    CHECK_NEAR(st_num(sim, "G('d')"), 90 + 40e-6 * (T - 2400), TOL);
    CHECK_EQ_I(steps_of(sim, "nb", NULL), 0);
    CHECK_NEAR(st_num(sim, "G('nb')"), G1800 - 600 + 40e-6 * (T - 2400), TOL);
    ss_sim_free(sim);
}

/* Tools periodic sync, every 60 s (ticks at 60 k s, k = 1..9 in a 600 s
 * run: the run ends at 600 s).  Host 90 s, no drift, so e = G - 90.
 *   behind -20000 ppm: e = -1.2 at every tick (< -1 s): a "tools" step of
 *     +1.2 each time, 9 in all; G(600) = 90 - 1.2 (one period since the last).
 *   mixed -10000 ppm: e(60) = -0.6 -> slew +0.3/60 s/s; e(120) = -0.6 +
 *     (-0.01 + 0.005)*60 = -0.9 -> slew 0.45/60; e(180) = -0.9 +
 *     (-0.01 + 0.0075)*60 = -1.05 -> step +1.05 (slew reset); the cycle
 *     repeats: steps at 180, 360, 540; G(600) = 90 - 0.6.
 *   ahead +20000 ppm, sync_backward = false (older Tools): never stepped
 *     or slewed: G(600) = 90 + 12.
 *   ahead +20000 ppm, sync_backward = true: slewed: each period removes half
 *     the error found at the sync while the drift adds 1.2 s:
 *     e(60(k+1)) = e(60k)/2 + 1.2, e(0) = 0  =>  e(60k) = 2.4 (1 - 2^-k);
 *     e(600) = 2.4 (1 - 2^-10); mid-period e(90) = 1.2 + (0.02 - 0.01)*30
 *     = 1.5.  No step event.
 *   tools off, -20000 ppm: nothing: G(600) = 90 - 12. */
static void t_tools(void)
{
    ss_sim *sim = run("tools.lua", PRE("10m")
        "host 'h' { clock = { offset = '90s' } }\n"
        "mkvm('behind', 'h', { drift_ppm = -20000, tools_sync = true, sync_interval = '60s' })\n"
        "mkvm('mixed', 'h', { drift_ppm = -10000, tools_sync = true })\n"
        "mkvm('old', 'h', { drift_ppm = 20000, tools_sync = true, sync_backward = false })\n"
        "mkvm('new', 'h', { drift_ppm = 20000, tools_sync = true, sync_backward = true })\n"
        "mkvm('none', 'h', { drift_ppm = -20000 })\n"
        "at('90s', function() E90 = G('new') - H('new') end)\n"
        "at('5m', function() E300 = G('new') - H('new') end)\n");
    if (!sim) return;
    CHECK_EQ_I(steps_of(sim, "behind", NULL), 9);
    CHECK_EQ_I(steps_of(sim, "behind", "tools"), 9);
    for (int k = 1; k <= 9; k++) check_step(sim, "behind", k, "tools", 1.2, 60.0 * k);
    CHECK_NEAR(st_num(sim, "G('behind')"), 90 - 1.2, TOL);
    CHECK_EQ_I(steps_of(sim, "mixed", NULL), 3);
    for (int k = 1; k <= 3; k++) check_step(sim, "mixed", k, "tools", 1.05, 180.0 * k);
    CHECK_NEAR(st_num(sim, "G('mixed')"), 90 - 0.6, TOL);
    CHECK_EQ_I(steps_of(sim, "old", NULL), 0);
    CHECK_NEAR(st_num(sim, "G('old')"), 90 + 0.02 * 600, TOL);
    CHECK_EQ_I(steps_of(sim, "new", NULL), 0);
    CHECK_NEAR(st_num(sim, "E90"), 1.5, TOL);
    CHECK_NEAR(st_num(sim, "E300"), 2.4 * (1 - pow(2, -5)), TOL);
    CHECK_NEAR(st_num(sim, "G('new') - 90"), 2.4 * (1 - pow(2, -10)), TOL);
    CHECK_EQ_I(steps_of(sim, "none", NULL), 0);
    CHECK_NEAR(st_num(sim, "G('none')"), 90 - 12, TOL);
    ss_sim_free(sim);
}

/* Pure halving, and Tools with the one-off resyncs switched off.  Guest
 * 0 ppm, host 0 s.  Suspended 30.0 .. 30.8 s with resync.resume = false:
 * e = -0.8 at the resume (behind by less than the 1 s max lag): from the
 * tick at 60 s on, each period slews half of it away:
 *   e(60k) = -0.8 * 2^-(k-1), k >= 1;  e(600) = -0.8 / 2^9; no step.
 * Suspended 30 .. 40 s instead (e = -10 s): the tick at 60 s steps it by
 * +10 (cause tools: the resume resync was off, Tools catch it). */
static void t_tools_halving(void)
{
    ss_sim *sim = run("halving.lua", PRE("10m")
        "host 'h' {}\n"
        "mkvm('small', 'h', { tools_sync = true, resync = { resume = false } })\n"
        "mkvm('big', 'h', { tools_sync = true, resync = { resume = false } })\n"
        "at('30s', function() suspend('small'); suspend('big') end)\n"
        "at('30800ms', function() resume('small') end)\n"
        "at('40s', function() resume('big') end)\n"
        "at('3m', function() E180 = G('small') end)\n");
    if (!sim) return;
    CHECK_EQ_I(steps_of(sim, "small", NULL), 0);
    CHECK_NEAR(st_num(sim, "E180"), -0.8 / 4, TOL);
    CHECK_NEAR(st_num(sim, "G('small')"), -0.8 / 512, TOL);
    CHECK_EQ_I(steps_of(sim, "big", NULL), 1);
    check_step(sim, "big", 1, "tools", 10, 60);
    CHECK_NEAR(st_num(sim, "G('big')"), 0, TOL);
    ss_sim_free(sim);
}

/* Stun by a consolidation: strategy "offline" deleting the only snapshot
 * of a running VM merges its active delta into the base with the VM
 * stunned for the whole copy.  No workload ("lose", "keep"): the delta
 * holds the 1 GiB written at 60 s; the copy costs 2 GiB of I/O at
 * 100 MiB/s alone on its datastore: stun s = 2*1024/100 = 20.48 s,
 * from 120 s.  Guests +30 ppm from G(0) = 0, T = 600 s:
 *   catch_up = false: the stun is lost: G(T) = 30e-6*(T - s) - s
 *   catch_up = true:  the backlog is delivered: G(T) = 30e-6*T
 * With a guest workload ("wlose", "wkeep"; 4 MB/s of 64 KB writes), the
 * workload is stopped by the stun, so the copy still has the whole
 * bandwidth: s = 2*bytes_copied/bandwidth, and the clocks lose s or
 * nothing as above.  No stun produces a clock_step. */
static void t_stun(void)
{
    ss_sim *sim = run("stun.lua", PRE("10m")
        "for i = 1, 4 do datastore ('d' .. i) { capacity = '100GB', bandwidth = '100MB/s' } end\n"
        "host 'h' {}\n"
        "local function v(name, ds, catch, wl)\n"
        "  vm (name) { host = 'h', datastore = ds, memory = '1GB', power = 'on', strategy = 'offline',\n"
        "              disk = { size = '30GB', format = 'ideal' }, workload = wl,\n"
        "              clock = { drift_ppm = 30, catch_up = catch } }\n"
        "end\n"
        "local wl = { rate = '4MB/s', io_size = '64KB', pattern = 'uniform' }\n"
        "v('lose', 'd1', false); v('keep', 'd2', true); v('wlose', 'd3', false, wl); v('wkeep', 'd4', true, wl)\n"
        "D = {}\n"
        "on('consolidation_done', function(e) D[e.vm] = e end)\n"
        "at('1m', function()\n"
        "  for _, n in ipairs{ 'lose', 'keep', 'wlose', 'wkeep' } do snapshot(n, 's') end\n"
        "  write('lose', { offset = 0, bytes = GB }); write('keep', { offset = 0, bytes = GB })\n"
        "end)\n"
        "at('2m', function()\n"
        "  for _, n in ipairs{ 'lose', 'keep', 'wlose', 'wkeep' } do delete_snapshot(n, 's', { strategy = 'offline' }) end\n"
        "end)\n"
        "at('1m40s', function() ST = vm_state('lose').stunned end)\n"
        "at('2m10s', function() ST2 = vm_state('lose').stunned end)\n");
    if (!sim) return;
    const double T = 600, d = 30e-6, s = 2.0 * 1024 / 100, bw = 100 * MiB;
    CHECK_EQ_I(st_num(sim, "ST and 1 or 0"), 0);
    CHECK_EQ_I(st_num(sim, "ST2 and 1 or 0"), 1);
    CHECK_NEAR(st_num(sim, "D.lose.stun_time"), s, TOL);
    CHECK_NEAR(st_num(sim, "D.keep.stun_time"), s, TOL);
    CHECK_NEAR(st_num(sim, "G('lose')"), d * (T - s) - s, TOL);
    CHECK_NEAR(st_num(sim, "G('keep')"), d * T, TOL);
    /* with a workload: the stun from the copy size, then the clocks */
    double b3 = st_num(sim, "D.wlose.bytes_copied"), b4 = st_num(sim, "D.wkeep.bytes_copied");
    CHECK(b3 > 100 * MiB && b4 > 100 * MiB);   /* about 60 s * 4 MB/s were written */
    double s3 = 2 * b3 / bw, s4 = 2 * b4 / bw;
    CHECK_NEAR(st_num(sim, "D.wlose.stun_time"), s3, TOL);
    CHECK_NEAR(st_num(sim, "D.wkeep.stun_time"), s4, TOL);
    CHECK_NEAR(st_num(sim, "G('wlose')"), d * (T - s3) - s3, TOL);
    CHECK_NEAR(st_num(sim, "G('wkeep')"), d * T, TOL);
    CHECK_EQ_I(st_num(sim, "#S"), 0);
    ss_sim_free(sim);
}

/* ---- the HDF5 side ---- */

/* Column `field` of every row of table `tab`: n rows of `size` bytes. */
static void *read_col(hid_t f, const char *tab, const char *field, size_t size, hsize_t *n)
{
    hsize_t nf = 0;
    *n = 0;
    if (H5TBget_table_info(f, tab, &nf, n) < 0 || *n == 0) return NULL;
    void *buf = calloc((size_t)*n, size);
    size_t off = 0;
    if (H5TBread_fields_name(f, tab, field, 0, *n, size, &off, &size, buf) < 0) {
        free(buf);
        *n = 0;
        return NULL;
    }
    return buf;
}

/* One hour, sampled every 10 min.  Host 90 s, no drift.
 *   "r" (0 ppm, no Tools): suspend 10m..15m -> resume step +300;
 *       memory snapshot at 20m (o = 90), revert at 30m: restored 90 - 600,
 *       revert step +600; off 40m..45m -> boot step +300.  Ends at 90.
 *   "t" (-20000 ppm, Tools): ticks at 60 k, k = 1..59, each a +1.2 step.
 *       Ends at 90 - 1.2.
 *   "k" (host "z": 0 s; guest +100000 ppm, no Tools): G = 0.1 t, beyond
 *       the 300 s skew from 3000 s: 600 s beyond; max |offset| 360 s.
 * /summary/vms must hold these counts; /series/clocks a row per sample
 * per VM (at least the 6 periodic samples and the final one) whose last
 * row is the final offset.  The summary text reports the skew of "k",
 * which has no step at all. */
static void t_h5_clocks(void)
{
    const char *path = SNAPSIM_TMPDIR "/clocks.h5";
    ss_error err = { 0, "" };
    ss_options o;
    memset(&o, 0, sizeof o);
    o.path = "clocks_h5.lua";
    o.out = st_null();
    o.source = "scenario { name = 'clk5', duration = '1h', seed = 1, sample_every = '10m' }\n"
        "datastore 'ds' { capacity = '500GB', bandwidth = '100MB/s' }\n"
        "host 'h' { clock = { offset = '90s' } }\n"
        "host 'z' {}\n"
        "local function v(n, h, c) vm (n) { host = h, datastore = 'ds', memory = '1GB', power = 'on',\n"
        "  disk = { size = '10GB', format = 'ideal' }, clock = c } end\n"
        "v('r', 'h', {}); v('t', 'h', { drift_ppm = -20000, tools_sync = true }); v('k', 'z', { drift_ppm = 100000 })\n"
        "at('10m', function() suspend('r') end)\n"
        "at('15m', function() resume('r') end)\n"
        "at('20m', function() snapshot('r', 's', { memory = true }) end)\n"
        "at('30m', function() revert('r', 's') end)\n"
        "at('40m', function() power_off('r') end)\n"
        "at('45m', function() power_on('r') end)\n";
    ss_sim *sim = NULL;
    if (ss_sim_load(&sim, &o, &err) != SS_OK || ss_sim_run(sim, path, &err) != SS_OK) {
        fprintf(stderr, "clocks_h5: %s\n", err.msg);
        CHECK(0);
        ss_sim_free(sim);
        return;
    }
    /* The text summary: "k" has no step but 600 s beyond the skew. */
    char txt[4096] = "";
    FILE *mf = tmpfile();
    CHECK(mf != NULL);
    if (mf) {
        ss_sim_summary(sim, mf);
        rewind(mf);
        size_t got = fread(txt, 1, sizeof txt - 1, mf);
        txt[got] = 0;
        fclose(mf);
    }
    CHECK_CONTAINS(txt, "vm k ");
    CHECK_CONTAINS(txt, "beyond 300 s skew for 600 s");
    ss_sim_free(sim);

    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    if (f < 0) return;
    hsize_t n = 0;
    char(*vm)[64] = read_col(f, "/series/clocks", "vm", 64, &n);
    double *g = read_col(f, "/series/clocks", "guest_offset_s", 8, &n);
    double *h = read_col(f, "/series/clocks", "host_offset_s", 8, &n);
    double *t = read_col(f, "/series/clocks", "t", 8, &n);
    CHECK(vm && g && h && t);
    int rows_r = 0, rows_t = 0, rows_k = 0;
    double last_r = NAN, last_t = NAN, last_k = NAN, last_tr = -1, last_h = NAN;
    for (hsize_t i = 0; vm && g && h && t && i < n; i++) {
        if (strcmp(vm[i], "r") == 0) { rows_r++; last_r = g[i]; last_tr = t[i]; last_h = h[i]; }
        if (strcmp(vm[i], "t") == 0) { rows_t++; last_t = g[i]; }
        if (strcmp(vm[i], "k") == 0) { rows_k++; last_k = g[i]; }
    }
    CHECK(rows_r >= 7 && rows_t >= 7 && rows_k >= 7);
    CHECK_EQ_I(rows_r, rows_t);
    CHECK_NEAR(last_tr, 3600, TOL);
    CHECK_NEAR(last_r, 90, TOL);
    CHECK_NEAR(last_h, 90, TOL);
    CHECK_NEAR(last_t, 90 - 1.2, TOL);
    CHECK_NEAR(last_k, 0.1 * 3600, TOL);
    free(vm); free(g); free(h); free(t);

    char(*sv)[64] = read_col(f, "/summary/vms", "vm", 64, &n);
    CHECK_EQ_U(n, 3);
    long long *sb = read_col(f, "/summary/vms", "steps_boot", 8, &n);
    long long *sr = read_col(f, "/summary/vms", "steps_resume", 8, &n);
    long long *sv_ = read_col(f, "/summary/vms", "steps_revert", 8, &n);
    long long *st = read_col(f, "/summary/vms", "steps_tools", 8, &n);
    double *fw = read_col(f, "/summary/vms", "max_forward_step_s", 8, &n);
    double *bk = read_col(f, "/summary/vms", "beyond_skew_s", 8, &n);
    double *mx = read_col(f, "/summary/vms", "max_abs_offset_s", 8, &n);
    CHECK(sv && sb && sr && sv_ && st && fw && bk && mx);
    for (hsize_t i = 0; sv && sb && sr && sv_ && st && fw && bk && mx && i < n; i++) {
        if (strcmp(sv[i], "r") == 0) {
            CHECK_EQ_I(sb[i], 1); CHECK_EQ_I(sr[i], 1); CHECK_EQ_I(sv_[i], 1); CHECK_EQ_I(st[i], 0);
            CHECK_NEAR(fw[i], 600, TOL);
            /* the revert restores 90 - 600 = -510 just before its step */
            CHECK_NEAR(mx[i], 510, TOL);
            CHECK_NEAR(bk[i], 0, TOL);
        } else if (strcmp(sv[i], "t") == 0) {
            CHECK_EQ_I(sb[i] + sr[i] + sv_[i], 0); CHECK_EQ_I(st[i], 59);
            CHECK_NEAR(fw[i], 1.2, TOL);
        } else if (strcmp(sv[i], "k") == 0) {
            CHECK_EQ_I(sb[i] + sr[i] + sv_[i] + st[i], 0);
            CHECK_NEAR(bk[i], 600, TOL);
            CHECK_NEAR(mx[i], 360, TOL);
        } else {
            CHECK(0);
        }
    }
    free(sv); free(sb); free(sr); free(sv_); free(st); free(fw); free(bk); free(mx);
    H5Fclose(f);
}

static const struct tl_test tl_tests[] = {
    TL(t_drift), TL(t_boot), TL(t_suspend_resume), TL(t_revert_memory), TL(t_revert_forward_only),
    TL(t_revert_disk_only), TL(t_tools), TL(t_tools_halving), TL(t_stun), TL(t_h5_clocks), { 0, 0 },
};

int main(int c, char **v) { return tl_main(tl_tests, c, v); }
