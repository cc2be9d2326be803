/*
 * test_limits.c -- the bounds that keep a run finite and the refusals of
 * hostile input (issue 11): the Lua instruction budget per entry, the
 * wall-clock timeout, the shortest periods, the events and I/Os per
 * simulated second, time arithmetic that cannot wrap, and the same at the
 * command line (exit status, message, no file left behind).
 */
#define _POSIX_C_SOURCE 200809L
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "simtest.h"
#include "snapsim/limits.h"

#define TMP SNAPSIM_TMPDIR
#define PRELUDE                                                           \
    "scenario { name = 't', duration = '1h', seed = 5 }\n"               \
    "datastore 'ds' { capacity = '100GB' }\n"                             \
    "host 'h' {}\n"                                                       \
    "vm 'v' { host = 'h', disk = { size = '1GB' } }\n"
/* PRELUDE is 4 lines: the scenario's own code starts on line 5. */

/* Load with options (lua_limit, timeout), run; returns the run's code. */
static int run_opt(const char *src, uint64_t lua_limit, double timeout_s, ss_error *err)
{
    ss_options o;
    memset(&o, 0, sizeof o);
    o.path = "x.lua";
    o.source = src;
    o.out = st_null();
    o.lua_limit = lua_limit;
    o.timeout_s = timeout_s;
    ss_sim *sim = NULL;
    err->code = 0;
    err->msg[0] = 0;
    int rc = ss_sim_load(&sim, &o, err);
    if (rc == SS_OK) {
        rc = ss_sim_run(sim, NULL, err);
        if (rc == SS_OK) {
            ss_error inv;
            if (ss_sim_check(sim, &inv) != SS_OK) {
                fprintf(stderr, "invariant broken: %s\n", inv.msg);
                tl_failures++;
            }
        }
    }
    ss_sim_free(sim);
    return rc;
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the instruction budget ---- */

/* An infinite loop at the top level, in a callback, or behind pcall stops
 * with file:line of the loop, the entry, and the bound. */
static void t_lua_budget_stops_loops(void)
{
    ss_error err;
    CHECK_EQ_I(run_opt(PRELUDE "local n = 0\nwhile true do n = n + 1 end\n", 1000000, 0, &err), SS_ERR_INPUT);
    CHECK(strncmp(err.msg, "x.lua:6:", 8) == 0);
    CHECK_CONTAINS(err.msg, "the scenario's top level ran more than 1000000 Lua instructions");
    CHECK_CONTAINS(err.msg, "--lua-limit");

    CHECK_EQ_I(run_opt(PRELUDE "at(10, function()\n  local x = 0\n  while true do x = x + 1 end\nend)\n", 1000000,
                       0, &err), SS_ERR_INPUT);
    CHECK(strncmp(err.msg, "x.lua:7:", 8) == 0);
    CHECK_CONTAINS(err.msg, "the callback defined at x.lua:5 ran more than 1000000");

    /* pcall cannot swallow it: the error is raised again at the next
     * instruction after the pcall. */
    CHECK_EQ_I(run_opt(PRELUDE "at(10, function()\n while true do pcall(function() while true do end end) end\nend)\n",
                       1000000, 0, &err), SS_ERR_INPUT);
    CHECK_CONTAINS(err.msg, "ran more than 1000000 Lua instructions");

    /* An on() handler, and a loop inside a coroutine (it inherits the hook). */
    CHECK_EQ_I(run_opt(PRELUDE "on('snapshot_created', function() while true do end end)\n"
                       "at(1, function() snapshot('v', 's') end)\n", 1000000, 0, &err), SS_ERR_INPUT);
    CHECK_CONTAINS(err.msg, "the callback defined at x.lua:5");
    CHECK_EQ_I(run_opt(PRELUDE "coroutine.wrap(function() while true do end end)()\n", 1000000, 0, &err),
               SS_ERR_INPUT);
    CHECK_CONTAINS(err.msg, "ran more than 1000000");
}

/* The budget is per entry, not per run: a callback of about 4*10^4
 * instructions (a loop of 10^4 iterations, four instructions each: FORLOOP,
 * GETTABUP... measured below as less than 10^5) fires 60 times under a
 * bound of 10^5 -- 2.4*10^6 in all, 24 times the bound.  The same loop of
 * 10^5 iterations breaks it. */
static void t_lua_budget_per_entry(void)
{
    ss_error err;
    const char *per = PRELUDE "N = 0\nevery('1m', function() local s = 0; for i = 1, 10000 do s = s + i end; N = N + 1 end)\n";
    CHECK_EQ_I(run_opt(per, 100000, 0, &err), SS_OK);
    const char *big = PRELUDE "every('1m', function() local s = 0; for i = 1, 100000 do s = s + i end end)\n";
    CHECK_EQ_I(run_opt(big, 100000, 0, &err), SS_ERR_INPUT);
    CHECK_CONTAINS(err.msg, "ran more than 100000 Lua");
}

/* scenario{lua_limit=} sets the bound; --lua-limit (opt) wins over it. */
static void t_lua_limit_field(void)
{
    ss_error err;
    const char *src =
        "scenario { name = 't', duration = '1h', lua_limit = 50000 }\n"
        "datastore 'ds' { capacity = '100GB' }\n"
        "at(1, function() local s = 0; for i = 1, 100000 do s = s + i end end)\n";
    CHECK_EQ_I(run_opt(src, 0, 0, &err), SS_ERR_INPUT);
    CHECK_CONTAINS(err.msg, "ran more than 50000 Lua");
    CHECK_EQ_I(run_opt(src, 10000000, 0, &err), SS_OK);
    const char *bad = "scenario { name = 't', lua_limit = 0 }\ndatastore 'ds' { capacity = '1GB' }\n";
    CHECK_EQ_I(run_opt(bad, 0, 0, &err), SS_ERR_INPUT);
    CHECK_CONTAINS(err.msg, "x.lua:1:");
    CHECK_CONTAINS(err.msg, "lua_limit");
    const char *frac = "scenario { name = 't', lua_limit = 1.5e6 + 0.5 }\ndatastore 'ds' { capacity = '1GB' }\n";
    CHECK_EQ_I(run_opt(frac, 0, 0, &err), SS_ERR_INPUT);
    CHECK_CONTAINS(err.msg, "lua_limit");
}

/* The wall-clock timeout stops a callback that loops within its budget
 * (the poll in the hook) and a model that only fires events (the poll in
 * the engine), each within a second of the deadline. */
static void t_timeout(void)
{
    ss_error err;
    double t0 = wall();
    CHECK_EQ_I(run_opt(PRELUDE "at(1, function() while true do end end)\n", SS_LUA_LIMIT_MAX, 0.3, &err),
               SS_ERR_INPUT);
    double dt = wall() - t0;
    CHECK_CONTAINS(err.msg, "x.lua:5:");
    CHECK_CONTAINS(err.msg, "more than --timeout");
    CHECK(dt >= 0.3 && dt < 1.5);
    /* 10 days of a 1 ms tick: 8.64*10^8 events, far more than 0.3 s. */
    t0 = wall();
    CHECK_EQ_I(run_opt("scenario { name = 't', duration = '10d', tick = '1ms' }\n"
                       "datastore 'ds' { capacity = '1GB' }\n", 0, 0.3, &err), SS_ERR_INPUT);
    dt = wall() - t0;
    CHECK_CONTAINS(err.msg, "x.lua: the run took more than --timeout");
    CHECK_CONTAINS(err.msg, "stopped at simulated");
    CHECK(dt >= 0.3 && dt < 1.5);
}

/* ---- periods and rates ---- */

static void t_min_periods(void)
{
    ss_error err;
    CHECK_EQ_I(run_opt(PRELUDE "every('999us', function() end)\n", 0, 0, &err), SS_ERR_INPUT);
    CHECK(strncmp(err.msg, "x.lua:5:", 8) == 0);
    CHECK_CONTAINS(err.msg, "every: the period 999us is shorter than the shortest period, 1ms");
    CHECK_EQ_I(run_opt(PRELUDE "every(0.000001, function() end)\n", 0, 0, &err), SS_ERR_INPUT);
    CHECK_CONTAINS(err.msg, "every: the period 1us");
    /* 1 ms is allowed: 1000 calls in the first simulated second. */
    CHECK_EQ_I(run_opt(PRELUDE "N = 0\nevery('1ms', function() N = N + 1 end, { start = '1ms', stop = '1s' })\n",
                       0, 0, &err), SS_OK);
    CHECK_EQ_I(run_opt("scenario { name = 't', sample_every = '999ms' }\ndatastore 'ds' { capacity = '1GB' }\n", 0,
                       0, &err), SS_ERR_INPUT);
    CHECK_CONTAINS(err.msg, "x.lua:1: scenario: field sample_every: expected a period of at least 1s");
    CHECK_EQ_I(run_opt("scenario { name = 't', duration = '1m', sample_every = '1s' }\n"
                       "datastore 'ds' { capacity = '1GB' }\n", 0, 0, &err), SS_OK);
    CHECK_EQ_I(run_opt("scenario { name = 't', tick = '999us' }\ndatastore 'ds' { capacity = '1GB' }\n", 0, 0,
                       &err), SS_ERR_INPUT);
    CHECK_CONTAINS(err.msg, "x.lua:1: scenario: field tick: expected a period of at least 1ms");
    CHECK_EQ_I(run_opt("scenario { name = 't', duration = '10s', tick = '1ms' }\n"
                       "datastore 'ds' { capacity = '1GB' }\n", 0, 0, &err), SS_OK);
}

/* More than 10^6 events in one simulated second is a runaway: a chain of
 * after(0) from 5 s on.  10^6 events spread over two seconds are not. */
static void t_events_per_second(void)
{
    ss_error err;
    CHECK_EQ_I(run_opt(PRELUDE "local function f() after(0, f) end\nat(5, f)\n", 0, 0, &err), SS_ERR_INPUT);
    CHECK_CONTAINS(err.msg, "x.lua: more than 1000000 events in the simulated second from 5s: a runaway model");
    /* 600 000 callbacks at 10 s and 600 000 at 11 s (each one event). */
    CHECK_EQ_I(run_opt(PRELUDE "local function f() end\n"
                       "at(1, function() for i = 1, 600000 do at(10, f); at(11, f) end end)\n",
                       0, 0, &err), SS_OK);
    /* 1 200 000 in the same second are refused. */
    CHECK_EQ_I(run_opt(PRELUDE "local function f() end\n"
                       "at(1, function() for i = 1, 1200000 do at(10.5, f) end end)\n", 0, 0, &err),
               SS_ERR_INPUT);
    CHECK_CONTAINS(err.msg, "in the simulated second from 10s");
}

/* I/Os per simulated second: at most 10^7 per VM, at the profile's peak,
 * for workloads and write(). */
static void t_iops_bound(void)
{
    ss_error err;
    ss_sim *sim;
    const char *vm_ok = PRELUDE "vm 'w' { host = 'h', disk = { size = '1GB' }, workload = { iops = 1e7 } }\n";
    CHECK_EQ_I(st_load("x.lua", vm_ok, &sim, &err), SS_OK);
    ss_sim_free(sim);
    const char *vm_bad = PRELUDE "vm 'w' { host = 'h', disk = { size = '1GB' }, workload = { iops = 1e7 + 1 } }\n";
    CHECK_EQ_I(st_load("x.lua", vm_bad, &sim, &err), SS_ERR_INPUT);
    CHECK_CONTAINS(err.msg, "x.lua:5: vm \"w\": field workload: iops: 1e+07 I/Os per simulated second");
    CHECK_CONTAINS(err.msg, "bound of 1e+07");
    /* rate / io_size: 40 GiB/s of 4 KiB is 10 485 760 I/Os a second. */
    const char *rate_bad = PRELUDE "vm 'w' { host = 'h', disk = { size = '1GB' }, workload = { rate = '40GB/s' } }\n";
    CHECK_EQ_I(st_load("x.lua", rate_bad, &sim, &err), SS_ERR_INPUT);
    CHECK_CONTAINS(err.msg, "rate: 1.049e+07 I/Os");
    CHECK_EQ_I(st_load("x.lua", PRELUDE "vm 'w' { host = 'h', disk = { size = '1GB' }, workload = { rate = '38GB/s' } }\n",
                       &sim, &err), SS_OK);   /* 9 961 472 */
    ss_sim_free(sim);
    /* 6*10^6 at a peak multiplier of 2 is 1.2*10^7. */
    const char *prof = PRELUDE "local p = {} for h = 1, 24 do p[h] = 1 end p[13] = 2\n"
                               "vm 'w' { host = 'h', disk = { size = '1GB' }, workload = { iops = 6e6, profile = p } }\n";
    CHECK_EQ_I(st_load("x.lua", prof, &sim, &err), SS_ERR_INPUT);
    CHECK_CONTAINS(err.msg, "at the profile's peak");
    /* write(): 10^7 + 1 I/Os of 512 B at once, or as a rate. */
    CHECK_EQ_I(run_opt(PRELUDE "at(1, function() write('v', { bytes = (1e7 + 1) * 512, io_size = 512 }) end)\n", 0,
                       0, &err), SS_ERR_INPUT);
    CHECK_CONTAINS(err.msg, "x.lua:5: write: a write of 1e+07 I/Os");
    CHECK_EQ_I(run_opt(PRELUDE "at(1, function() write('v', { bytes = 2^30, io_size = 512, rate = (1e7 + 1) * 512 }) end)\n",
                       0, 0, &err), SS_ERR_INPUT);
    CHECK_CONTAINS(err.msg, "a rate of 1e+07 I/Os");
}

/* ---- time arithmetic ---- */

/* 15240 weeks (9.217e18 ns) fits, but not after 80 days (the sum passes
 * 2^63 ns): after() and every() say so; an every() whose next call would
 * pass 2^63 ns ends instead of wrapping to the past (the old hang). */
static void t_time_overflow(void)
{
    ss_error err;
    const char *pre = "scenario { name = 't', duration = '100d' }\ndatastore 'ds' { capacity = '1GB' }\n";
    char src[1024];
    snprintf(src, sizeof src, "%sat('80d', function() after('15240w', function() end) end)\n", pre);
    CHECK_EQ_I(run_opt(src, 0, 0, &err), SS_ERR_INPUT);
    CHECK_CONTAINS(err.msg, "x.lua:3: after: the delay: 106680d after now (80d) is past the last time");
    snprintf(src, sizeof src, "%sat('80d', function() every('15240w', function() end) end)\n", pre);
    CHECK_EQ_I(run_opt(src, 0, 0, &err), SS_ERR_INPUT);
    CHECK_CONTAINS(err.msg, "x.lua:3: every: the period: 106680d after now (80d)");
    /* Fires at 80 d, and never again: 80 d + 15240 w saturates. */
    snprintf(src, sizeof src, "%sN = 0\nevery('15240w', function() N = N + 1 end, { start = '80d' })\n", pre);
    ss_options o;
    memset(&o, 0, sizeof o);
    o.path = "x.lua";
    o.source = src;
    o.out = st_null();
    ss_sim *sim = NULL;
    CHECK_EQ_I(ss_sim_load(&sim, &o, &err), SS_OK);
    if (!sim) return;
    CHECK_EQ_I(ss_sim_run(sim, NULL, &err), SS_OK);
    CHECK_EQ_I(st_num(sim, "N"), 1);
    ss_sim_free(sim);
    /* ss_time_add saturates. */
    CHECK_EQ_I(ss_time_add(SS_TIME_MAX - 5, 10), SS_TIME_MAX);
    CHECK_EQ_I(ss_time_add(SS_TIME_MAX - 10, 10), SS_TIME_MAX);
    CHECK_EQ_I(ss_time_add(SS_TIME_MAX - 11, 10), SS_TIME_MAX - 1);
    CHECK_EQ_I(ss_time_add(5, 0), 5);
}

/* ---- ranges: NaN, infinities, negative and huge values ---- */

/* Every bad number is refused with file:line and the field's path. */
static void t_ranges(void)
{
    static const struct { const char *code, *where, *field; } cases[] = {
        { "host 'h2' { clock = { offset = 0/0 } }", "x.lua:5:", "field clock.offset" },
        { "host 'h2' { clock = { offset = 1/0 } }", "x.lua:5:", "field clock.offset" },
        { "host 'h2' { clock = { offset = -1e10 } }", "x.lua:5:", "field clock.offset" },
        { "vm 'w' { host = 'h', disk = { size = 0/0 } }", "x.lua:5:", "field disk.size" },
        { "vm 'w' { host = 'h', disk = { size = 1/0 } }", "x.lua:5:", "field disk.size" },
        { "vm 'w' { host = 'h', disk = { size = -1 } }", "x.lua:5:", "negative" },
        { "vm 'w' { host = 'h', disk = { size = 2^64 } }", "x.lua:5:", "field disk.size" },
        { "datastore 'd2' { capacity = 0/0 }", "x.lua:5:", "field capacity" },
        { "datastore 'd2' { capacity = '1GB', bandwidth = 1/0 }", "x.lua:5:", "field bandwidth" },
        { "vm 'w' { host = 'h', disk = { size = '1GB' }, workload = { iops = 0/0 } }", "x.lua:5:", "field workload.iops" },
        { "vm 'w' { host = 'h', disk = { size = '1GB' }, workload = { rate = 1/0 } }", "x.lua:5:", "field workload.rate" },
        { "vm 'w' { host = 'h', disk = { size = '1GB' }, workload = { rate = '1MB/s', io_size = { { -4096, 1 } } } }",
          "x.lua:5:", "workload.io_size[1]" },
        { "vm 'w' { host = 'h', disk = { size = '1GB' }, workload = { rate = '1MB/s', io_size = { { 0/0, 1 } } } }",
          "x.lua:5:", "workload.io_size[1]" },
        { "vm 'w' { host = 'h', disk = { size = '1GB' }, workload = { rate = '1MB/s', io_size = { { 2^64, 1 } } } }",
          "x.lua:5:", "workload.io_size[1]" },
        { "vm 'w' { host = 'h', disk = { size = '1GB' }, workload = { rate = '1MB/s', io_size = { { 4096, 1 }, { 8192, 1/0 } } } }",
          "x.lua:5:", "workload.io_size[2]" },
        { "local p = {} for i = 1, 24 do p[i] = 1 end p[3] = 1/0\n"
          "vm 'w' { host = 'h', disk = { size = '1GB' }, workload = { rate = '1MB/s', profile = p } }", "x.lua:6:",
          "workload.profile[3]" },
        { "at(0/0, function() end)", "x.lua:5:", "at: the time" },
        { "at(1e10, function() end)", "x.lua:5:", "at: the time: expected from 0 to 9.2e9 seconds" },
        { "after(-1, function() end)", "x.lua:5:", "negative" },
        { "every(1/0, function() end)", "x.lua:5:", "every: the period" },
        { "every(60, function() end, { start = 0/0 })", "x.lua:5:", "field options.start" },
        { "record('x', 0/0)", "x.lua:5:", "record: x: expected a finite number" },
        { "record('x', -1/0)", "x.lua:5:", "record: x: expected a finite number" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char src[2048];
        snprintf(src, sizeof src, PRELUDE "%s\n", cases[i].code);
        ss_error err;
        int rc = run_opt(src, 0, 0, &err);
        if (rc != SS_ERR_INPUT) fprintf(stderr, "case %zu (%s): rc %d: %s\n", i, cases[i].code, rc, err.msg);
        CHECK_EQ_I(rc, SS_ERR_INPUT);
        if (strncmp(err.msg, cases[i].where, strlen(cases[i].where)) != 0)
            fprintf(stderr, "case %zu: \"%s\" should start with %s\n", i, err.msg, cases[i].where);
        CHECK(strncmp(err.msg, cases[i].where, strlen(cases[i].where)) == 0);
        CHECK_CONTAINS(err.msg, cases[i].field);
    }
    /* math.random over the whole integer range: no signed overflow
     * (UBSan), the draw inside the range. */
    ss_error err;
    CHECK_EQ_I(run_opt(PRELUDE "at(1, function() local x = math.random(math.mininteger, math.maxinteger)\n"
                       "  assert(math.type(x) == 'integer') end)\n", 0, 0, &err), SS_OK);
}

/* ---- the command line ---- */

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) { CHECK(f != NULL); return; }
    fputs(text, f);
    fclose(f);
}

static int leftovers(const char *stem)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls %s | grep -q '^%s.h5'", TMP, stem);
    return sh(cmd) == 0;
}

static void t_cli_limits(void)
{
    char cmd[2048];
    const char *bin = SNAPSIM_BINARY;
    write_file(TMP "/lim_loop.lua", PRELUDE "at(1, function()\n  while true do end\nend)\n");
    remove(TMP "/lim_loop.h5");
    snprintf(cmd, sizeof cmd, "%s run %s/lim_loop.lua -q --lua-limit 100000 -o %s/lim_loop.h5 2> %s/lim_loop.err", bin,
             TMP, TMP, TMP);
    CHECK_EQ_I(sh(cmd), 1);
    CHECK_EQ_I(sh("grep -q 'lim_loop.lua:6: the callback defined at .*lim_loop.lua:5 ran more than 100000 Lua' "
                  TMP "/lim_loop.err"), 0);
    CHECK(!leftovers("lim_loop"));
    /* --timeout with a bound too high to be reached. */
    snprintf(cmd, sizeof cmd, "%s run %s/lim_loop.lua -q --lua-limit 1000000000000000 --timeout 0.5 -o %s/lim_loop.h5 "
             "2> %s/lim_loop.err", bin, TMP, TMP, TMP);
    CHECK_EQ_I(sh(cmd), 1);
    CHECK_EQ_I(sh("grep -q 'more than --timeout 0.5s of wall time' " TMP "/lim_loop.err"), 0);
    CHECK(!leftovers("lim_loop"));
    /* Usage errors: exit 2. */
    static const char *const bad[] = { "--lua-limit 0", "--lua-limit -5", "--lua-limit 1e6", "--lua-limit x",
                                       "--lua-limit 1000000000000001", "--lua-limit 99999999999999999999999",
                                       "--timeout 0", "--timeout -1s", "--timeout 5x", "--timeout" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(cmd, sizeof cmd, "%s run %s/lim_loop.lua -q %s -o %s/lim_loop.h5 2> /dev/null", bin, TMP, bad[i], TMP);
        int rc = sh(cmd);
        if (rc != 2) fprintf(stderr, "%s: exit %d, expected 2\n", bad[i], rc);
        CHECK_EQ_I(rc, 2);
    }
    /* --seed: 2^64 - 1 is the largest; 2^64, signs and blanks are refused. */
    snprintf(cmd, sizeof cmd, "%s check %s/lim_loop.lua --seed 18446744073709551615 > /dev/null 2>&1", bin, TMP);
    CHECK_EQ_I(sh(cmd), 2);   /* check takes no --seed */
    write_file(TMP "/lim_ok.lua", PRELUDE);
    snprintf(cmd, sizeof cmd, "%s run %s/lim_ok.lua -q --seed 18446744073709551615 -o %s/lim_ok.h5 > /dev/null", bin,
             TMP, TMP);
    CHECK_EQ_I(sh(cmd), 0);
    static const char *const seeds[] = { "18446744073709551616", "99999999999999999999999", "-1", "+5", "' 5'", "5x",
                                         "''", "1e3" };
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        snprintf(cmd, sizeof cmd, "%s run %s/lim_ok.lua -q --seed %s -o %s/lim_ok.h5 2> %s/lim_seed.err", bin, TMP,
                 seeds[i], TMP, TMP);
        int rc = sh(cmd);
        if (rc != 2) fprintf(stderr, "--seed %s: exit %d, expected 2\n", seeds[i], rc);
        CHECK_EQ_I(rc, 2);
    }
    CHECK_EQ_I(sh("grep -q 'seed .*expected a whole number from 0 to 2^64-1' " TMP "/lim_seed.err"), 0);
    /* A pathological pattern: string.find never returns to Lua, so the
     * watchdog ends the process 3 s after the deadline and removes the
     * temporary file. */
    write_file(TMP "/lim_find.lua", PRELUDE "at(10, function()\n"
                                    "  string.find(string.rep('a', 40), string.rep('a?', 40) .. string.rep('a', 40))\nend)\n");
    remove(TMP "/lim_find.h5");
    snprintf(cmd, sizeof cmd, "%s run %s/lim_find.lua -q --timeout 0.5 -o %s/lim_find.h5 2> %s/lim_find.err", bin,
             TMP, TMP, TMP);
    double t0 = wall();
    CHECK_EQ_I(sh(cmd), 1);
    double dt = wall() - t0;
    CHECK(dt > 3 && dt < 8);
    CHECK_EQ_I(sh("grep -q 'did not stop at --timeout' " TMP "/lim_find.err"), 0);
    CHECK(!leftovers("lim_find"));
}

static const struct tl_test tl_tests[] = {
    TL(t_lua_budget_stops_loops), TL(t_lua_budget_per_entry), TL(t_lua_limit_field), TL(t_timeout),
    TL(t_min_periods), TL(t_events_per_second), TL(t_iops_bound), TL(t_time_overflow), TL(t_ranges), TL(t_cli_limits),
    { 0, 0 },
};

int main(int argc, char **argv) { return tl_main(tl_tests, argc, argv); }
