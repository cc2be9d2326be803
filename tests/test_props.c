/*
 * test_props.c -- random but valid action sequences (issue 11, item 10) and
 * the model-state regressions they and hostile scenarios found (item 6).
 *
 * t_random_sequences drives, for each of many seeds, a scenario whose
 * callbacks do a random sequence of snapshot, revert, delete_snapshot,
 * delete_all (every strategy, with and without the precheck), power
 * on/off, suspend/resume, set_workload, write, and filling and freeing the
 * datastore (a second VM writes a large thin delta, then reverts it away),
 * and calls check() -- ss_sim_check(): space, sizes, child counts and the
 * snapshot tree against the files -- after every step and every 7 s of
 * simulated time (inside deletions, too).  An action refused at that
 * moment raises a Lua error, caught by pcall: refusals are part of the
 * sequence.  No crash (ASan/UBSan in build.sh test), no hang (the run has a
 * fixed end), no invariant broken.
 *
 * The regression tests below are the cases that broke, each written out.
 */
#include <stdarg.h>

#include "simtest.h"

/* check(): the model's invariants now; a Lua error (ending the run) if one
 * is broken, naming it and the simulated time. */
static int l_check(lua_State *L)
{
    ss_sim *sim = lua_touserdata(L, lua_upvalueindex(1));
    ss_error err;
    if (ss_sim_check(sim, &err) != SS_OK) return luaL_error(L, "invariant broken: %s", err.msg);
    return 0;
}

/* Load src, give it check(), run it: SS_OK or the error (message in err). */
static int run_checked(const char *name, const char *src, ss_sim **out, ss_error *err)
{
    ss_sim *sim;
    /* check() is looked up when a callback runs, so the global set after
     * the load is seen by every step. */
    int rc = st_load(name, src, &sim, err);
    if (rc != SS_OK) return rc;
    lua_State *L = ss_sim_lua(sim);
    lua_pushlightuserdata(L, sim);
    lua_pushcclosure(L, l_check, 1);
    lua_setglobal(L, "check");
    rc = ss_sim_run(sim, NULL, err);
    if (rc == SS_OK && ss_sim_check(sim, err) != SS_OK) rc = SS_ERR_USAGE;
    if (out && rc == SS_OK) *out = sim;
    else ss_sim_free(sim);
    return rc;
}

/* run_checked for a scenario that must succeed: the simulation, or NULL
 * after counting a failure and printing the error with `label`. */
static ss_sim *run_ok(const char *name, const char *src, const char *label)
{
    ss_sim *sim = NULL;
    ss_error err = { 0, "" };
    if (run_checked(name, src, &sim, &err) == SS_OK) return sim;
    tl_failures++;
    fprintf(stderr, "%s (%s): %s\n", name, label, err.msg);
    return NULL;
}

/* xorshift64*: the sequence generator's own stream (fixed seeds). */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}
static int pick(uint64_t *s, int n) { return (int)(rnd(s) % (uint64_t)n); }

static const char *const strategies[] = { "esx35", "vsphere41", "vsphere6", "offline", "qemu_commit", "qemu_stream" };
static const char *const formats[] = { "vmfsSparse", "seSparse", "qcow2", "ideal" };

static void cat(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
        va_end(ap);
        if ((size_t)n < *cap - *len) { *len += (size_t)n; return; }
        *cap = *cap * 2 + (size_t)n;
        *buf = realloc(*buf, *cap);
    }
}

/* The scenario of one seed: NSTEPS random actions in 6 h, in
 * the given fidelity.  'f' fills the
 * datastore with ranged writes (1 MiB pieces): as many seeds stall or fail
 * a consolidation as with random 4 KiB writes (27 and 9 of 80, against 26
 * and 9), at a fifth of the CPU time. */
static char *sequence(uint64_t seed, int nsteps, const char *fidelity)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1;
    size_t len = 0, cap = 4096;
    char *b = malloc(cap);
    b[0] = 0;
    cat(&b, &len, &cap,
        "scenario { name = 'p', duration = '6h', seed = %llu, fidelity = '%s' }\n"
        "datastore 'ds' { capacity = '%dGB', bandwidth = '%dMB/s' }\n"
        "host 'h' {}\n"
        "vm 'v' { host = 'h', datastore = 'ds', memory = '256MB', power = 'on', strategy = '%s',\n"
        "         disk = { size = '4GB', format = '%s' }%s,\n"
        "         workload = { rate = '%dMB/s', io_size = '64KB' } }\n"
        "vm 'f' { host = 'h', datastore = 'ds', memory = '256MB', power = 'on',\n"
        "         disk = { size = '40GB', format = 'vmfsSparse', provisioning = 'thin' } }\n"
        "at(0.5, function() snapshot('f', 'f0') end)\n"
        "every('7s', function() check() end)\n",
        (unsigned long long)seed, fidelity, 10 + pick(&s, 30), 50 + pick(&s, 300), strategies[pick(&s, 6)],
        formats[pick(&s, 4)], "", 1 + pick(&s, 8));
    double t = 1;
    int taken = 0;
    for (int k = 0; k < nsteps; k++) {
        t += 1 + pick(&s, 900);
        cat(&b, &len, &cap, "at(%.0f, function() pcall(function() ", t);
        switch (pick(&s, 13)) {
        case 0: case 1:
            cat(&b, &len, &cap, "snapshot('v', 's%d', { memory = %s })", taken++, pick(&s, 2) ? "true" : "false");
            break;
        case 2: cat(&b, &len, &cap, "revert('v', 's%d')", taken ? pick(&s, taken) : 0); break;
        case 3: cat(&b, &len, &cap, "delete_snapshot('v', 's%d')", taken ? pick(&s, taken) : 0); break;
        case 4:
            cat(&b, &len, &cap, "delete_all('v', { strategy = '%s', precheck = %s })", strategies[pick(&s, 6)],
                pick(&s, 3) ? "false" : "true");
            break;
        case 5: cat(&b, &len, &cap, "power_on('v')"); break;
        case 6: cat(&b, &len, &cap, "power_off('v')"); break;
        case 7: cat(&b, &len, &cap, "suspend('v')"); break;
        case 8: cat(&b, &len, &cap, "resume('v')"); break;
        case 9:
            if (pick(&s, 4)) cat(&b, &len, &cap, "set_workload('v', { rate = '%dMB/s', io_size = '%dKB' })",
                                 1 + pick(&s, 20), 4 << pick(&s, 5));
            else cat(&b, &len, &cap, "set_workload('v')");
            break;
        case 10: cat(&b, &len, &cap, "write('v', { bytes = '%dMB' })", 1 + pick(&s, 2000)); break;
        case 11: cat(&b, &len, &cap, "write('f', { bytes = '%dGB', offset = 0 })", 1 + pick(&s, 30)); break;
        case 12: cat(&b, &len, &cap, "revert('f', 'f0'); power_on('f')"); break;
        }
        cat(&b, &len, &cap, " end); check() end)\n");
    }
    return b;
}

/* Seeds 1..N under every build (ASan/UBSan in build.sh test). */
static void random_sequences(int nseeds, const char *fidelity)
{
    int bad = 0;
    for (int seed = 1; seed <= nseeds; seed++) {
        char *src = sequence((uint64_t)seed, 40, fidelity);
        ss_error err = { 0, "" };
        char name[32];
        snprintf(name, sizeof name, "seq%d.lua", seed);
        if (run_checked(name, src, NULL, &err) != SS_OK) {
            if (bad++ < 5) fprintf(stderr, "seed %d: %s\n--- scenario:\n%s---\n", seed, err.msg, src);
            CHECK(0);
        }
        free(src);
    }
}

static void t_random_sequences(void) { random_sequences(80, "exact"); }
/* The statistical fidelity's contents through the same sequences (its
 * set_workload may refuse a change of io_size: a refusal like others). */
static void t_random_sequences_statistical(void) { random_sequences(20, "statistical"); }

/* ---- regressions (each broke before issue 11) ---- */

/* Three snapshots, revert to the first, Delete All: the job's end released
 * a parent file before its child and then decremented the freed parent's
 * child count (use after free, every strategy).  Now: done, no snapshot,
 * the chain is the base and one delta (the top), and the invariants hold. */
static void t_revert_then_delete_all(void)
{
    for (int i = 0; i < 6; i++) {
        char src[4096];
        snprintf(src, sizeof src,
                 "scenario { name = 'r', duration = '3h', seed = 3 }\n"
                 "datastore 'ds' { capacity = '500GB', bandwidth = '100MB/s' }\n"
                 "host 'h' {}\n"
                 "vm 'v' { host = 'h', datastore = 'ds', memory = '1GB', power = 'on', strategy = '%s',\n"
                 "         disk = { size = '30GB', format = 'vmfsSparse' } }\n"
                 "at(10, function()\n"
                 "  snapshot('v', 'a'); write('v', { bytes = '100MB' }); snapshot('v', 'b')\n"
                 "  write('v', { bytes = '100MB' }); snapshot('v', 'c'); revert('v', 'a'); power_on('v')\n"
                 "  write('v', { bytes = '50MB' }); delete_all('v'); check()\n"
                 "end)\n"
                 "every('5s', function() check() end)\n"
                 "at(9000, function() N = #snapshots('v'); D = vm_state('v').chain_depth end)\n",
                 strategies[i]);
        ss_sim *sim = run_ok("revert_all.lua", src, strategies[i]);
        if (!sim) continue;
        CHECK_EQ_I(st_num(sim, "N"), 0);
        /* qemu_stream flattens into the top (depth 0); the others merge
         * into the base and keep writing to it (no delta left, depth 0). */
        CHECK_EQ_I(st_num(sim, "D"), 0);
        ss_sim_free(sim);
    }
}

/* set_workload on a VM stalled on a full datastore, then power off and on:
 * the queue length went to -1 and the next sync looped forever.  Now the
 * stalled write goes with the replaced stream; the run ends, the VM writes
 * again after space is freed, and its queue is sound (check()). */
static void t_stalled_set_workload(void)
{
    const char *src =
        "scenario { name = 'r', duration = '2h', seed = 3 }\n"
        "datastore 'ds' { capacity = '20GB', bandwidth = '100MB/s' }\n"
        "host 'h' {}\n"
        "vm 'v' { host = 'h', datastore = 'ds', memory = '1GB', power = 'on',\n"
        "         disk = { size = '30GB', format = 'vmfsSparse', provisioning = 'thin' },\n"
        "         workload = { rate = '50MB/s', io_size = '64KB' } }\n"
        "at(1, function() snapshot('v', 'a') end)\n"
        "at(2000, function() S1 = vm_state('v').stalled\n"
        "  set_workload('v', { rate = '10MB/s', io_size = '4KB' }); check()\n"
        "  power_off('v'); check(); power_on('v'); check() end)\n"
        "at(2100, function() revert('v', 'a'); power_on('v'); W0 = vm_state('v').bytes_written end)\n"
        "at(2200, function() W1 = vm_state('v').bytes_written; check() end)\n";
    ss_sim *sim = run_ok("stall.lua", src, "");
    if (!sim) return;
    /* 50 MB/s of 64 KB writes over a 30 GB thin disk: the delta holds
     * 30·(1-e^(-50·t/30720)) GB, past the 20 GB datastore by t ~ 680 s. */
    CHECK(st_num(sim, "S1 and 1 or 0") == 1);
    /* 100 s at 10 MB/s (MB = 2^20 B: docs/language.md, "Values and units")
     * after the revert freed the delta: 1000 MiB (Poisson arrivals of 4 KiB:
     * 256,000 writes expected, the count's sd 0.2 %; 2 % is 10 sd). */
    CHECK_NEAR(st_num(sim, "W1 - W0"), 100 * 10.0 * 1048576, 0.02 * 100 * 10.0 * 1048576);
    ss_sim_free(sim);
}

/* A Delete All that fails midway (datastore full): the merges done are gone
 * from the tree and the files, the rest are still snapshots with their
 * files -- for every strategy.  Four snapshots of 2 GB of new data each
 * over a thick base; the datastore has room for the first merge into a
 * delta (esx35, newest first) or for what the precheck would refuse.  The
 * invariants (check()) hold after the failure, and the number of
 * snapshots left equals the chain's depth (one delta per snapshot, above
 * the base, besides the top). */
static void t_delete_all_fails_midway(void)
{
    int failed_somewhere = 0;
    for (int i = 0; i < 6; i++) {
        char src[4096];
        snprintf(src, sizeof src,
                 "scenario { name = 'r', duration = '6h', seed = 3 }\n"
                 "datastore 'ds' { capacity = '41GB', bandwidth = '200MB/s' }\n"
                 "host 'h' {}\n"
                 "vm 'v' { host = 'h', datastore = 'ds', memory = '1GB', power = 'off', strategy = '%s',\n"
                 "         disk = { size = '30GB', format = 'ideal' } }\n"
                 "F = {}\n"
                 "on('consolidation_failed', function(e) F[#F+1] = e end)\n"
                 "at(1, function()\n"
                 "  power_on('v')\n"
                 "  for k = 1, 4 do snapshot('v', 's' .. k); write('v', { bytes = '2GB', offset = (k - 1) * 2 * 2^30 }) end\n"
                 "  power_off('v')\n"
                 "  delete_all('v', { precheck = false })\n"
                 "end)\n"
                 "every('3s', function() check() end)\n"
                 "at(20000, function() N = #snapshots('v'); D = vm_state('v').chain_depth; check() end)\n",
                 strategies[i]);
        ss_sim *sim = run_ok("fail_midway.lua", src, strategies[i]);
        if (!sim) continue;
        int nf = (int)st_num(sim, "#F");
        double n = st_num(sim, "N"), d = st_num(sim, "D");
        if (nf > 0) failed_somewhere++;
        /* A VM that is off has no top of its own beyond the last delta:
         * chain_depth counts deltas, one per snapshot still there, plus
         * the top delta; a strategy that flattened into the top has 0. */
        if (nf > 0) CHECK(n >= 1 && (d == n + 1 || d == n));
        else CHECK_EQ_I(n, 0);
        ss_sim_free(sim);
    }
    CHECK(failed_somewhere > 0);
}

/* A chain deeper than the old fixed plan (512 files): deleting a snapshot
 * whose file two branches share keeps the file, so the chain deepens by
 * one per round without more snapshot levels.  Delete All then merges the
 * whole chain: done, no snapshots, depth 0. */
static void t_deep_chain_delete_all(void)
{
    const char *src =
        "scenario { name = 'r', duration = '30d', seed = 3 }\n"
        "datastore 'ds' { capacity = '2TB', bandwidth = '1GB/s' }\n"
        "host 'h' {}\n"
        "vm 'v' { host = 'h', datastore = 'ds', memory = '1GB', power = 'on', strategy = 'esx35',\n"
        "         disk = { size = '1GB', format = 'ideal' } }\n"
        "R = {}\n"
        "on('consolidation_done', function(e) R[#R+1] = e end)\n"
        "at(1, function()\n"
        "  for k = 1, 600 do\n"
        "    snapshot('v', 'a' .. k); snapshot('v', 'b' .. k); revert('v', 'a' .. k); power_on('v')\n"
        "    delete_snapshot('v', 'a' .. k)\n"
        "  end\n"
        "  D0 = vm_state('v').chain_depth\n"
        "end)\n"
        "at(100, function() delete_all('v') end)\n"
        "at(2000000, function() N = #snapshots('v'); D = vm_state('v').chain_depth; check() end)\n";
    ss_sim *sim = run_ok("deep.lua", src, "");
    if (!sim) return;
    CHECK_EQ_I(st_num(sim, "D0"), 600);   /* one more file per round, none merged */
    CHECK_EQ_I(st_num(sim, "#R"), 600 + 1);
    CHECK_EQ_I(st_num(sim, "N"), 0);
    CHECK_EQ_I(st_num(sim, "D"), 0);
    ss_sim_free(sim);
}

static const struct tl_test tl_tests[] = {
    TL(t_revert_then_delete_all), TL(t_stalled_set_workload), TL(t_delete_all_fails_midway),
    TL(t_deep_chain_delete_all), TL(t_random_sequences), TL(t_random_sequences_statistical), { 0, 0 },
};

int main(int argc, char **argv) { return tl_main(tl_tests, argc, argv); }
