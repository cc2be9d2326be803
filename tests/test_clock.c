/*
 * test_clock.c -- host and guest clock model (sim/clock.c) against closed
 * forms derived by hand in the comments.  Offsets are in seconds; SEC(x)
 * turns whole seconds into ss_time.  Tolerances: every expected value is a
 * handful of double operations on numbers below 1e6, so 1e-9 s is far above
 * rounding (~1e-10 at 4e5 s) and far below any modelling difference.
 */
#include "snapsim/clock.h"
#include "testlib.h"

#define SEC(x) ((ss_time)(x) * SS_NS_PER_S)
#define TOL 1e-9

/* Host: offset0 + ppm*1e-6*t; NTP pins it to 0. */
static void t_host(void)
{
    ss_hclock h;
    ss_hclock_init(&h, 2.0, 50, 0);
    CHECK_NEAR(ss_hclock_offset(&h, 0), 2.0, TOL);
    CHECK_NEAR(ss_hclock_offset(&h, SEC(1000)), 2.0 + 50e-6 * 1000, TOL);   /* 2.05 */
    ss_hclock_init(&h, -1.0, -20, 0);
    CHECK_NEAR(ss_hclock_offset(&h, SEC(86400)), -1.0 - 1.728, TOL);        /* 20e-6*86400 */
    ss_hclock_init(&h, 5.0, 100, 1);
    CHECK(ss_hclock_offset(&h, 0) == 0.0);
    CHECK(ss_hclock_offset(&h, SEC(1000000)) == 0.0);
}

/* d ppm over T seconds of running: d*T*1e-6 s. */
static void t_drift(void)
{
    ss_gclock g;
    ss_gclock_init(&g, 0, 0.0, 40, SS_SKEW_LIMIT_S, 1);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(86400)), 40e-6 * 86400, TOL);       /* 3.456 */
    CHECK_NEAR(ss_gclock_time(&g, SEC(86400)), 86400 + 3.456, 1e-6);
    ss_gclock_init(&g, SEC(100), 1.0, -25, SS_SKEW_LIMIT_S, 1);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(3700)), 1.0 - 25e-6 * 3600, TOL);   /* 0.91 */
    /* Changing the drift re-anchors: 0 ppm for 1000 s, then 100 ppm for 1000 s. */
    ss_gclock_init(&g, 0, 0.0, 0, SS_SKEW_LIMIT_S, 1);
    ss_gclock_set_drift(&g, SEC(1000), 100);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(2000)), 0.1, TOL);
}

/* Suspended for S seconds: the guest clock stands still, so before the
 * resync it is S further behind; the resume resync then steps it to the
 * host by host - (o - S). */
static void t_suspend_resume(void)
{
    ss_gclock g;
    double step = -1;
    ss_gclock_init(&g, 0, 0.5, 0, SS_SKEW_LIMIT_S, 1);
    CHECK_EQ_I(ss_gclock_freeze(&g, SEC(100)), 1);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(100)), 0.5, TOL);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(100 + 3600)), 0.5 - 3600, TOL);
    ss_gclock_thaw(&g, SEC(3700));
    CHECK_NEAR(ss_gclock_offset(&g, SEC(3700)), -3599.5, TOL);
    CHECK_EQ_I(ss_gclock_resync(&g, SEC(3700), 1.5, SS_CLK_RESUME, 1, 0, &step), 1);
    CHECK_NEAR(step, 1.5 - (0.5 - 3600), TOL);                               /* 3601 */
    CHECK_NEAR(ss_gclock_offset(&g, SEC(3800)), 1.5, TOL);

    /* The same through ss_gclock_resume, with the resync turned off: the
     * guest stays 3600 s further behind and runs on from there. */
    ss_gclock_init(&g, 0, 0.5, 10, SS_SKEW_LIMIT_S, 1);
    ss_gclock_freeze(&g, SEC(100));                 /* o = 0.5 + 0.001 */
    CHECK_EQ_I(ss_gclock_resume(&g, SEC(3700), 1.5, 0, &step), 0);
    CHECK(step == 0.0);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(3700)), 0.501 - 3600, TOL);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(4700)), 0.501 - 3600 + 0.01, TOL);
    CHECK_EQ_U(g.st.steps, 0);
}

/* Revert at t to a memory snapshot taken at t_s: the guest reads what it
 * read at t_s, so offset = o(t_s) - (t - t_s); then the revert resync steps
 * to the host.  Drift 100 ppm from 0: o(1000) = 0.1, o(5000) = 0.5. */
static void t_revert(void)
{
    ss_gclock g;
    double step = 0;
    ss_gclock_init(&g, 0, 0.0, 100, SS_SKEW_LIMIT_S, 1);
    double o_s = ss_gclock_offset(&g, SEC(1000));
    CHECK_NEAR(o_s, 0.1, TOL);
    double change = ss_gclock_restore(&g, SEC(5000), SEC(1000), o_s);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(5000)), 0.1 - 4000, TOL);
    CHECK_NEAR(change, (0.1 - 4000) - 0.5, TOL);
    CHECK_EQ_U(g.st.steps, 0);                      /* the restore is not a step */
    ss_gclock_resync(&g, SEC(5000), -2.0, SS_CLK_REVERT, 1, 0, &step);
    CHECK_NEAR(step, -2.0 - (0.1 - 4000), TOL);     /* 3997.9 */

    /* ss_gclock_revert does both; from a suspended VM it leaves it running. */
    ss_gclock_init(&g, 0, 0.0, 100, SS_SKEW_LIMIT_S, 1);
    ss_gclock_freeze(&g, SEC(3000));
    CHECK_EQ_I(ss_gclock_revert(&g, SEC(5000), SEC(1000), 0.1, -2.0, 1, &step), 1);
    CHECK_NEAR(step, 3997.9, TOL);
    CHECK(g.state == SS_GCLK_RUNNING);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(6000)), -2.0 + 0.1, TOL);
    CHECK_EQ_U(g.st.steps_by_cause[SS_CLK_REVERT], 1);
    CHECK_EQ_U(g.st.steps, 1);
    /* Revert resync off: the restored clock runs on, 3999.9 s behind. */
    ss_gclock_init(&g, 0, 0.0, 100, SS_SKEW_LIMIT_S, 1);
    CHECK_EQ_I(ss_gclock_revert(&g, SEC(5000), SEC(1000), 0.1, -2.0, 0, &step), 0);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(5000)), -3999.9, TOL);
    CHECK_EQ_U(g.st.steps, 0);
}

/* One-off syncs go forward only (open-vm-tools TimeSyncDoSync, one-time
 * branch: step if behind, or if ahead with backward sync allowed): a guest
 * 5 s ahead of its host is left where it is by resume and revert, counted
 * as a sync of 0; at boot only time.synchronize.tools.startup.backward lets
 * it step back by 5 s. */
static void t_resync_forward_only(void)
{
    ss_gclock g;
    double step = 1;
    ss_gclock_init(&g, 0, 5.0, 0, SS_SKEW_LIMIT_S, 1);
    CHECK_EQ_I(ss_gclock_resync(&g, SEC(10), 0.0, SS_CLK_RESUME, 1, 0, &step), 1);
    CHECK(step == 0.0);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(10)), 5.0, TOL);
    CHECK_EQ_U(g.st.steps_by_cause[SS_CLK_RESUME], 1);
    ss_gclock_resync(&g, SEC(20), 0.0, SS_CLK_BOOT, 1, 0, &step);
    CHECK(step == 0.0);
    ss_gclock_resync(&g, SEC(30), 0.0, SS_CLK_BOOT, 1, 1, &step);
    CHECK_NEAR(step, -5.0, TOL);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(30)), 0.0, TOL);
    /* Behind: stepped forward whatever backward says. */
    ss_gclock_resync(&g, SEC(40), 2.0, SS_CLK_REVERT, 1, 0, &step);
    CHECK_NEAR(step, 2.0, TOL);
}

/* Boot resync lands exactly on the host's offset, wherever the guest was. */
static void t_boot_resync(void)
{
    ss_hclock h;
    ss_gclock g;
    double step = 0;
    ss_hclock_init(&h, 3.0, 20, 0);
    ss_gclock_init(&g, 0, 7.0, 35, SS_SKEW_LIMIT_S, 0);      /* powered off */
    ss_time t = SEC(10000);
    double host = ss_hclock_offset(&h, t);                     /* 3 + 0.2 */
    CHECK_NEAR(host, 3.2, TOL);
    CHECK_EQ_I(ss_gclock_power_on(&g, t, host, 1, 1, &step), 1);
    CHECK(ss_gclock_offset(&g, t) == host);
    CHECK_NEAR(step, 3.2 - (7.0 - 10000), TOL);
    CHECK_EQ_U(g.st.steps_by_cause[SS_CLK_BOOT], 1);
    /* NTP host: offset 0 exactly. */
    ss_hclock_init(&h, 3.0, 20, 1);
    ss_gclock_freeze(&g, SEC(20000));
    ss_gclock_power_on(&g, SEC(20100), ss_hclock_offset(&h, SEC(20100)), 1, 1, &step);
    CHECK(ss_gclock_offset(&g, SEC(20100)) == 0.0);
    /* 3.2 + 35e-6*10000 at the freeze, then 100 s frozen. */
    CHECK_NEAR(step, -(3.2 + 0.35 - 100), TOL);
}

/* Power off, then on without resync, again and again: no step ever, and
 * the offset at each power-on is the one at the power-off minus the time
 * off (the caller's logic, tested on the building blocks). */
static void t_power_cycles(void)
{
    ss_gclock g;
    double step = 1;
    ss_gclock_init(&g, 0, 2.0, 0, SS_SKEW_LIMIT_S, 1);
    CHECK_EQ_I(ss_gclock_freeze(&g, SEC(100)), 1);
    CHECK_EQ_I(ss_gclock_freeze(&g, SEC(150)), 0);           /* already off */
    CHECK_NEAR(ss_gclock_offset(&g, SEC(200)), 2.0 - 100, TOL);
    ss_gclock_power_on(&g, SEC(200), 0.0, 0, 0, &step);
    CHECK(step == 0.0);
    CHECK_EQ_I(ss_gclock_thaw(&g, SEC(250)), 0);             /* already on */
    CHECK_NEAR(ss_gclock_offset(&g, SEC(300)), -98.0, TOL);
    ss_gclock_freeze(&g, SEC(300));
    CHECK_NEAR(ss_gclock_offset(&g, SEC(300)), -98.0, TOL);  /* persists at the switch-off */
    ss_gclock_power_on(&g, SEC(310), 0.0, 0, 0, &step);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(400)), -108.0, TOL);
    CHECK_EQ_U(g.st.steps, 0);
    CHECK_NEAR(g.st.max_behind, -108.0, TOL);
}

/* A stun of s seconds costs s without catch-up and nothing with it. */
static void t_stun(void)
{
    ss_gclock g;
    /* Drift 0: the loss is exactly s = 2.5. */
    ss_gclock_init(&g, 0, 1.0, 0, SS_SKEW_LIMIT_S, 1);
    CHECK_EQ_I(ss_gclock_stun_begin(&g, SEC(100)), 1);
    CHECK_EQ_I(ss_gclock_stun_begin(&g, SEC(100)), 0);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(101)), 0.0, TOL);      /* standing still */
    CHECK_EQ_I(ss_gclock_stun_end(&g, SEC(100) + SS_NS_PER_S * 5 / 2, 0), 1);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(200)), 1.0 - 2.5, TOL);
    CHECK_EQ_I(ss_gclock_stun_end(&g, SEC(200), 0), 0);
    CHECK_EQ_U(g.st.steps, 0);

    /* Drift 50 ppm with catch-up: at 200 s, as if never stunned,
     * 50e-6*200 = 0.01; the gap is visible during the stun only. */
    ss_gclock_init(&g, 0, 0.0, 50, SS_SKEW_LIMIT_S, 1);
    ss_gclock_stun_begin(&g, SEC(100));
    CHECK_NEAR(ss_gclock_offset(&g, SEC(102)), 0.005 - 2.0, TOL);
    ss_gclock_stun_end(&g, SEC(102), 1);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(102)), 50e-6 * 102, TOL);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(200)), 0.01, TOL);
    CHECK_EQ_U(g.st.steps, 0);
    CHECK_NEAR(g.st.max_behind, 0.005 - 2.0, TOL);
    /* Same without catch-up: behind the never-stunned line by s*(1+drift). */
    ss_gclock_init(&g, 0, 0.0, 50, SS_SKEW_LIMIT_S, 1);
    ss_gclock_stun_begin(&g, SEC(100));
    ss_gclock_stun_end(&g, SEC(102), 0);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(200)), 0.01 - 2.0 * (1 + 50e-6), TOL);

    /* Freezing during a stun abandons it (no catch-up later). */
    ss_gclock_init(&g, 0, 0.0, 0, SS_SKEW_LIMIT_S, 1);
    ss_gclock_stun_begin(&g, SEC(100));
    ss_gclock_freeze(&g, SEC(101));
    CHECK_EQ_I(ss_gclock_stun_end(&g, SEC(102), 1), 0);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(102)), -2.0, TOL);
}

/* Tools steps a clock that falls behind by more than 1 s.  Host NTP (0),
 * sync every I = 60 s, guest drift d.  Between syncs n and n+1 the slew
 * -0.5*e_n/I and the drift act for I seconds, so
 *     e_{n+1} = e_n + (d - 0.5 e_n / I) I = 0.5 e_n + d I.
 * d = -10000 ppm: dI = -0.6, e_1 = -0.6 (slew), e_2 = -0.3 - 0.6 = -0.9
 * (slew), e_3 = -0.45 - 0.6 = -1.05 < -1: step +1.05, e = 0, and the cycle
 * repeats: steps at syncs 3, 6, 9. */
static void t_tools_steps_behind(void)
{
    ss_gclock g;
    double step;
    ss_gclock_init(&g, 0, 0.0, -10000, SS_SKEW_LIMIT_S, 1);
    ss_gclock_tools_sync(&g, 0, 0.0, 60, 0, NULL);             /* e_0 = 0 */
    for (int n = 1; n <= 9; n++) {
        double want_e = (n % 3 == 1) ? -0.6 : (n % 3 == 2) ? -0.9 : -1.05;
        CHECK_NEAR(ss_gclock_offset(&g, SEC(60 * n)), want_e, TOL);
        int stepped = ss_gclock_tools_sync(&g, SEC(60 * n), 0.0, 60, 0, &step);
        CHECK_EQ_I(stepped, n % 3 == 0);
        CHECK_NEAR(step, n % 3 == 0 ? 1.05 : 0.0, TOL);
    }
    CHECK_EQ_U(g.st.steps_by_cause[SS_CLK_TOOLS], 3);
    CHECK_NEAR(g.st.max_fwd_step, 1.05, TOL);
    CHECK(g.st.max_back_step == 0.0);

    /* d = -100 ppm with no sync until the first one (Tools sync turned on
     * late): 1 s behind after 1/1e-4 = 10000 s = 166.7 periods, so the
     * first sync that finds it behind by more than 1 s is n = 167
     * (t = 10020 s, e = -1.002): step +1.002. */
    ss_gclock_init(&g, 0, 0.0, -100, SS_SKEW_LIMIT_S, 1);
    CHECK_EQ_I(ss_gclock_tools_sync(&g, SEC(60 * 166), 0.0, 60, 0, &step), 0); /* e = -0.996 */
    ss_gclock_init(&g, 0, 0.0, -100, SS_SKEW_LIMIT_S, 1);
    CHECK_EQ_I(ss_gclock_tools_sync(&g, SEC(60 * 167), 0.0, 60, 0, &step), 1);
    CHECK_NEAR(step, 1.002, TOL);
}

/* Small errors are slewed, never stepped.  d = -100 ppm synced every 60 s
 * from e_0 = 0: e_n = 2 d I (1 - 0.5^n) (the recurrence above summed), which
 * tends to -12 ms: the Tools hold a slow clock within 12 ms. */
static void t_tools_slews_small(void)
{
    ss_gclock g;
    double step;
    ss_gclock_init(&g, 0, 0.0, -100, SS_SKEW_LIMIT_S, 1);
    ss_gclock_tools_sync(&g, 0, 0.0, 60, 0, NULL);
    for (int n = 1; n <= 30; n++) {
        double want = 2 * -100e-6 * 60 * (1 - pow(0.5, n));
        CHECK_NEAR(ss_gclock_offset(&g, SEC(60 * n)), want, 1e-12);
        CHECK_EQ_I(ss_gclock_tools_sync(&g, SEC(60 * n), 0.0, 60, 0, &step), 0);
    }
    CHECK_EQ_U(g.st.steps, 0);

    /* Exactly 1 s behind is not "more than 1 s": slewed.  Drift 0:
     * after one period half of it is gone. */
    ss_gclock_init(&g, 0, -1.0, 0, SS_SKEW_LIMIT_S, 1);
    CHECK_EQ_I(ss_gclock_tools_sync(&g, 0, 0.0, 60, 0, &step), 0);
    CHECK_NEAR(g.slew, 0.5 / 60, TOL);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(60)), -0.5, TOL);

    /* A freeze drops the slew: -0.8 slewed at 0.4/60 s/s for 30 s is -0.6;
     * frozen 10 s: -10.6; then it stays put (drift 0, no slew). */
    ss_gclock_init(&g, 0, -0.8, 0, SS_SKEW_LIMIT_S, 1);
    ss_gclock_tools_sync(&g, 0, 0.0, 60, 0, NULL);
    ss_gclock_freeze(&g, SEC(30));
    CHECK_NEAR(ss_gclock_offset(&g, SEC(30)), -0.6, TOL);
    ss_gclock_thaw(&g, SEC(40));
    CHECK_NEAR(ss_gclock_offset(&g, SEC(100)), -10.6, TOL);

    /* A stun keeps the slew and catch-up includes it: slew 0.4/60 from 0 to
     * 60 s with a stun over [10, 20]: back on the unstunned line, -0.4. */
    ss_gclock_init(&g, 0, -0.8, 0, SS_SKEW_LIMIT_S, 1);
    ss_gclock_tools_sync(&g, 0, 0.0, 60, 0, NULL);
    ss_gclock_stun_begin(&g, SEC(10));
    ss_gclock_stun_end(&g, SEC(20), 1);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(60)), -0.4, TOL);
}

/* An ahead clock: left alone with sync_backward = false; with true the
 * error halves every period, e_n = e_0 * 0.5^n (drift 0, host NTP). */
static void t_tools_ahead(void)
{
    ss_gclock g;
    double step;
    ss_gclock_init(&g, 0, 5.0, 0, SS_SKEW_LIMIT_S, 1);
    for (int n = 0; n <= 10; n++)
        CHECK_EQ_I(ss_gclock_tools_sync(&g, SEC(60 * n), 0.0, 60, 0, &step), 0);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(660)), 5.0, TOL);
    CHECK(g.slew == 0.0);

    ss_gclock_init(&g, 0, 5.0, 0, SS_SKEW_LIMIT_S, 1);
    for (int n = 0; n <= 10; n++) {
        CHECK_NEAR(ss_gclock_offset(&g, SEC(60 * n)), 5.0 * pow(0.5, n), TOL);
        CHECK_EQ_I(ss_gclock_tools_sync(&g, SEC(60 * n), 0.0, 60, 1, &step), 0);
    }
    CHECK_EQ_U(g.st.steps, 0);

    /* Host not at 0: the error is against the host (host offset 2, guest
     * 7: e_0 = 5, after one period e_1 = 2.5, guest offset 4.5). */
    ss_gclock_init(&g, 0, 7.0, 0, SS_SKEW_LIMIT_S, 1);
    ss_gclock_tools_sync(&g, 0, 2.0, 60, 1, NULL);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(60)), 4.5, TOL);
}

/* Tools do not run in a stopped guest. */
static void t_tools_not_running(void)
{
    ss_gclock g;
    double step = 1;
    ss_gclock_init(&g, 0, -50.0, 0, SS_SKEW_LIMIT_S, 0);
    CHECK_EQ_I(ss_gclock_tools_sync(&g, SEC(60), 0.0, 60, 1, &step), 0);
    CHECK(step == 0.0);
    CHECK_NEAR(ss_gclock_offset(&g, SEC(60)), -110.0, TOL);
    CHECK_EQ_U(g.st.steps, 0);
}

/* Time beyond the skew limit along a known line: 1000 ppm from 0 crosses
 * 300 s at t = 300/1e-3 = 3e5 s, so by 4e5 s it has spent 1e5 s beyond;
 * reading the statistics part-way must not change the totals. */
static void t_stats_skew(void)
{
    ss_gclock g;
    ss_gclock_stats st;
    ss_gclock_init(&g, 0, 0.0, 1000, SS_SKEW_LIMIT_S, 1);
    ss_gclock_stats_at(&g, SEC(200000), &st);
    CHECK(st.over_limit_s == 0.0);
    CHECK_NEAR(st.max_abs, 200.0, 1e-9);
    ss_gclock_stats_at(&g, SEC(350000), &st);
    CHECK_NEAR(st.over_limit_s, 50000.0, 1e-6);
    ss_gclock_stats_at(&g, SEC(400000), &st);
    CHECK_NEAR(st.over_limit_s, 100000.0, 1e-6);
    CHECK_NEAR(st.max_abs, 400.0, 1e-9);
    CHECK_NEAR(st.max_ahead, 400.0, 1e-9);
    CHECK(st.max_behind == 0.0);

    /* Same read in one go, and mirrored (-1000 ppm). */
    ss_gclock_init(&g, 0, 0.0, -1000, SS_SKEW_LIMIT_S, 1);
    ss_gclock_stats_at(&g, SEC(400000), &st);
    CHECK_NEAR(st.over_limit_s, 100000.0, 1e-6);
    CHECK_NEAR(st.max_behind, -400.0, 1e-9);

    /* A line crossing both limits: frozen (rate -1) from +350 for 1000 s,
     * above 300 for the first 50 s and below -300 after 650 s: 50 + 350 =
     * 400 s beyond, and |offset| reaches 650. */
    ss_gclock_init(&g, 0, 350.0, 0, SS_SKEW_LIMIT_S, 0);
    ss_gclock_stats_at(&g, SEC(1000), &st);
    CHECK_NEAR(st.over_limit_s, 400.0, 1e-9);
    CHECK_NEAR(st.max_abs, 650.0, 1e-9);
}

/* Steps by cause, largest forward/backward, and the negative excursion of
 * a freeze.  Drift 0, limit 300 s:
 *   0..100 running at 0; frozen 100..600 (reaches -500; below -300 from
 *   400 to 600: 200 s); resume resync to host 0: +500;
 *   700: step to +2 (tools): +2;  800: boot resync to host -3: -5;
 *   900: revert to (t_s = 700, o = 2): restored 2 - 200 = -198, then
 *   resync to host -3: +195.  Nothing else crosses the limit. */
static void t_stats_steps(void)
{
    ss_gclock g;
    ss_gclock_stats st;
    double step;
    ss_gclock_init(&g, 0, 0.0, 0, SS_SKEW_LIMIT_S, 1);
    ss_gclock_freeze(&g, SEC(100));
    ss_gclock_resume(&g, SEC(600), 0.0, 1, &step);
    CHECK_NEAR(step, 500.0, TOL);
    CHECK_NEAR(ss_gclock_step(&g, SEC(700), 2.0, SS_CLK_TOOLS), 2.0, TOL);
    ss_gclock_resync(&g, SEC(800), -3.0, SS_CLK_BOOT, 1, 1, &step);   /* backward allowed */
    CHECK_NEAR(step, -5.0, TOL);
    ss_gclock_revert(&g, SEC(900), SEC(700), 2.0, -3.0, 1, &step);
    CHECK_NEAR(step, 195.0, TOL);
    ss_gclock_stats_at(&g, SEC(1000), &st);
    CHECK_EQ_U(st.steps, 4);
    for (int c = 0; c < SS_CLK_NCAUSES; c++)
        CHECK_EQ_U(st.steps_by_cause[c], 1);
    CHECK_NEAR(st.max_fwd_step, 500.0, TOL);
    CHECK_NEAR(st.max_back_step, -5.0, TOL);
    CHECK_NEAR(st.max_abs, 500.0, TOL);
    CHECK_NEAR(st.max_behind, -500.0, TOL);
    CHECK_NEAR(st.max_ahead, 2.0, TOL);
    CHECK_NEAR(st.over_limit_s, 200.0, TOL);
    /* A jump is seen at its instant, before time moves on. */
    ss_gclock_step(&g, SEC(1000), 1000.0, SS_CLK_TOOLS);
    ss_gclock_stats_at(&g, SEC(1000), &st);
    CHECK_NEAR(st.max_abs, 1000.0, TOL);
    CHECK(st.over_limit_s == 200.0);
}

/* A mutator called with an earlier time acts at the last time seen. */
static void t_time_clamp(void)
{
    ss_gclock g;
    ss_gclock_stats st;
    ss_gclock_init(&g, 0, 0.0, 0, SS_SKEW_LIMIT_S, 1);
    ss_gclock_advance(&g, SEC(100));
    ss_gclock_freeze(&g, SEC(50));
    CHECK(g.anchor == SEC(100));
    CHECK_NEAR(ss_gclock_offset(&g, SEC(400)), -300.0, TOL);
    ss_gclock_stats_at(&g, SEC(500), &st);
    CHECK_NEAR(st.over_limit_s, 100.0, TOL);       /* below -300 from 400 to 500 */
}

static void t_cause_names(void)
{
    CHECK_STR(ss_clk_cause_name(SS_CLK_BOOT), "boot");
    CHECK_STR(ss_clk_cause_name(SS_CLK_RESUME), "resume");
    CHECK_STR(ss_clk_cause_name(SS_CLK_REVERT), "revert");
    CHECK_STR(ss_clk_cause_name(SS_CLK_TOOLS), "tools");
    CHECK_STR(ss_clk_cause_name(SS_CLK_NCAUSES), "unknown");
}

static const struct tl_test tl_tests[] = {
    TL(t_host), TL(t_drift), TL(t_suspend_resume), TL(t_revert), TL(t_resync_forward_only), TL(t_boot_resync),
    TL(t_power_cycles), TL(t_stun), TL(t_tools_steps_behind), TL(t_tools_slews_small),
    TL(t_tools_ahead), TL(t_tools_not_running), TL(t_stats_skew), TL(t_stats_steps),
    TL(t_time_clamp), TL(t_cause_names), {0}
};

int main(int c, char **v) { return tl_main(tl_tests, c, v); }
