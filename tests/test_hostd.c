/*
 * test_hostd.c -- hostd's memory leak, its watchdog restarts and the
 * "not responding" host (SPEC §2.3, docs/model.md "hostd"), through real
 * Lua scenarios run in-process: the restart after exactly
 * ceil((limit - memory) / leak_per_op) operations, the time leak's
 * restart, operations failing or waiting during an outage, fail_host(),
 * VMs and a consolidation going on meanwhile, the 3.5u3 preset, the
 * /host_outages and /summary/hosts tables, and bad input.
 *
 * Every expected figure is derived here from the scenario's numbers.
 * Operations are issued at k + 0.5 s so that none falls on the instant an
 * outage begins or ends.  Times are integer ns: 1e-6 s covers rounding.
 */
#include <hdf5.h>
#include <hdf5_hl.h>

#include "simtest.h"

#define TOL 1e-6
#define MIB 1048576.0  /* bytes, as a double */

/* EV[kind] collects the events a test looks at; n(kind) counts them.
 * toggle(vm) powers the VM off if it runs, else on: one power operation,
 * returning what the action returned. */
#define PRE(dur)                                                                                          \
    "scenario { name = 'hd', duration = '" dur "', seed = 3 }\n"                                          \
    "EV = {}\n"                                                                                           \
    "for _, k in ipairs { 'host_not_responding', 'host_responding', 'operation_failed',\n"                \
    "                     'operation_delayed', 'snapshot_created', 'power_off', 'power_on',\n"            \
    "                     'consolidation_started', 'consolidation_done', 'backup_failed', 'backup_done',\n" \
    "                     'backup_started' } do\n"                                                        \
    "  on(k, function(e) EV[k] = EV[k] or {}; table.insert(EV[k], e) end)\n"                              \
    "end\n"                                                                                               \
    "function n(k) return EV[k] and #EV[k] or 0 end\n"                                                    \
    "function toggle(v)\n"                                                                                \
    "  if vm_state(v).power == 'on' then return power_off(v) else return power_on(v) end\n"              \
    "end\n"

static ss_sim *run(const char *name, const char *src, const char *h5) { return st_run_ok(name, src, h5); }

/* memory 80 MiB, limit 400 MiB, 3 MiB per operation, no time leak:
 * ceil((400 - 80) / 3) = ceil(106.67) = 107 operations reach the limit
 * (80 + 107 * 3 = 401 >= 400; 106 give 398).  One power operation per
 * second at k + 0.5: the 107th, at 107.5 s, runs and hostd restarts,
 * not responding for 100.25 s, until 207.75 s.  Operations at 108.5 ..
 * 207.5 s fail: 100 of them.  From 208.5 s hostd starts again at 80 MiB:
 * its 107th operation is at 208.5 + 106 = 314.5 s, the outage lasts until
 * 414.75 s (100 more failures, 315.5 .. 414.5), then 415.5 .. 449.5 run:
 * 35.  In all 107 + 107 + 35 = 249 operations ran, 200 failed, two
 * restarts, 2 x 100.25 = 200.5 s not responding. */
static void t_restart_after_ops(void)
{
    const char *src = PRE("460s")
        "datastore 'ds' { capacity = '100GB' }\n"
        "host 'h' { hostd = { memory = '80MB', limit = '400MB', leak_per_op = '3MB', leak_per_hour = 0,\n"
        "                     restart = '100.25s' } }\n"
        "vm 'v' { disk = { size = '10GB', provisioning = 'thin' } }\n"
        "FIRST_FAIL, WHY, OK = nil, nil, 0\n"
        "for k = 1, 449 do at(k + 0.5, function()\n"
        "  local r, why = toggle('v')\n"
        "  if r == false then FIRST_FAIL = FIRST_FAIL or k; WHY = WHY or why else OK = OK + 1 end\n"
        "end) end\n";
    char buf[512];
    ss_sim *sim = run("ops.lua", src, NULL);
    if (!sim) return;
    CHECK_EQ_I(st_num(sim, "FIRST_FAIL"), 108);
    CHECK_CONTAINS(st_str(sim, "WHY", buf, sizeof buf), "host h is not responding");
    CHECK_EQ_I(st_num(sim, "n('host_not_responding')"), 2);
    CHECK_NEAR(st_num(sim, "EV.host_not_responding[1].t"), 107.5, TOL);
    CHECK_NEAR(st_num(sim, "EV.host_not_responding[1].value"), 100.25, TOL);
    CHECK_EQ_U(st_num(sim, "EV.host_not_responding[1].bytes"), 401 * MIB);
    CHECK_NEAR(st_num(sim, "EV.host_responding[1].t"), 207.75, TOL);
    CHECK_NEAR(st_num(sim, "EV.host_not_responding[2].t"), 314.5, TOL);
    CHECK_NEAR(st_num(sim, "EV.host_responding[2].t"), 414.75, TOL);
    CHECK_EQ_I(st_num(sim, "OK"), 249);
    CHECK_EQ_I(st_num(sim, "n('operation_failed')"), 200);
    CHECK_EQ_I(st_num(sim, "n('power_off') + n('power_on')"), 249);
    CHECK_EQ_I(st_num(sim, "host_state('h').restarts"), 2);
    CHECK_EQ_I(st_num(sim, "host_state('h').ops_failed"), 200);
    CHECK_EQ_I(st_num(sim, "host_state('h').ops"), 249);
    CHECK_NEAR(st_num(sim, "host_state('h').not_responding_s"), 200.5, TOL);
    /* After the second restart: 35 operations since, 80 + 35 * 3 MIB. */
    CHECK_EQ_U(st_num(sim, "host_state('h').hostd_memory"), (80 + 35 * 3) * MIB);
    ss_sim_free(sim);
}

/* The time leak: 80 MiB, limit 400 MiB, 10 MiB per hour: (400 - 80) / 10
 * = 32 h to the first restart; 1 h not responding; then 32 h again from
 * 33 h: 65 h.  Host h2 also leaks 5 MiB per operation and powers its VM
 * off at 1 h: 80 + 5 + 10 t = 400 at t = 31.5 h. */
static void t_leak_per_hour(void)
{
    const char *src = PRE("70h")
        "datastore 'ds' { capacity = '100GB' }\n"
        "host 'h' { hostd = { leak_per_hour = '10MB', restart = '1h' } }\n"
        "host 'h2' { hostd = { leak_per_hour = '10MB', leak_per_op = '5MB', restart = '1h' } }\n"
        "vm 'v' { host = 'h', disk = { size = '10GB', provisioning = 'thin' } }\n"
        "vm 'w' { host = 'h2', disk = { size = '10GB', provisioning = 'thin' } }\n"
        "at('1h', function() power_off('w') end)\n"
        "at('16h', function() MEM16 = host_state('h').hostd_memory end)\n"
        "function at_host(k, h, i) local c = 0\n"
        "  for _, e in ipairs(EV[k] or {}) do if e.host == h then c = c + 1; if c == i then return e.t end end end end\n";
    ss_sim *sim = run("hour.lua", src, NULL);
    if (!sim) return;
    CHECK_NEAR(st_num(sim, "at_host('host_not_responding', 'h', 1)"), 32 * 3600.0, TOL);
    CHECK_NEAR(st_num(sim, "at_host('host_responding', 'h', 1)"), 33 * 3600.0, TOL);
    CHECK_NEAR(st_num(sim, "at_host('host_not_responding', 'h', 2)"), 65 * 3600.0, TOL);
    CHECK_NEAR(st_num(sim, "at_host('host_not_responding', 'h2', 1)"), 31.5 * 3600.0, TOL);
    /* 16 h of 10 MIB/h on 80 MIB. */
    CHECK_EQ_U(st_num(sim, "MEM16"), (80 + 160) * MIB);
    CHECK_EQ_I(st_num(sim, "host_state('h').restarts"), 2);
    ss_sim_free(sim);
}

/* on_unavailable = "wait", and fail_host: hostd does not answer from 100 s
 * for 10 min, until 700 s.  A snapshot issued at 200 s and a power-off at
 * 300 s return nil and the reason, then run at 700 s, in that order.  The
 * VM writes 1 MiB/s (constant arrivals of 64 KiB) all along: between 100 s
 * and 700 s 600 MiB.  A backup submitted at 400 s gets its proxy slot at
 * once, waits for hostd, and starts its pre-backup script at 700 s. */
static void t_wait_mode(void)
{
    const char *src = PRE("2h")
        "datastore 'ds' { capacity = '100GB', bandwidth = '100MB/s' }\n"
        "host 'h' { hostd = { on_unavailable = 'wait' } }\n"
        "proxy 'p' {}\n"
        "vm 'v' { disk = { size = '10GB', provisioning = 'thin' },\n"
        "         workload = { rate = '1MB/s', io_size = '64KB', arrivals = 'constant' } }\n"
        "vm 'b' { power = 'off', disk = { size = '10GB', provisioning = 'thin', used = '1GB', format = 'ideal' } }\n"
        "at(100, function() fail_host('h', '10m'); W100 = vm_state('v').bytes_written end)\n"
        "at(200, function() S1, S2 = snapshot('v', 's1') end)\n"
        "at(300, function() P1, P2 = power_off('v') end)\n"
        "at(400, function() backup('b') end)\n"
        "at(699.5, function() W700 = vm_state('v').bytes_written; SN = #snapshots('v') end)\n";
    char buf[512];
    ss_sim *sim = run("wait.lua", src, NULL);
    if (!sim) return;
    CHECK_EQ_I(st_num(sim, "S1 == nil and 1 or 0"), 1);
    CHECK_CONTAINS(st_str(sim, "S2", buf, sizeof buf), "waits until it answers at t=700 s");
    CHECK_EQ_I(st_num(sim, "P1 == nil and 1 or 0"), 1);
    CHECK_EQ_I(st_num(sim, "SN"), 0);
    CHECK_NEAR(st_num(sim, "EV.snapshot_created[1].t"), 700, TOL);
    CHECK_NEAR(st_num(sim, "EV.power_off[1].t"), 700, TOL);
    CHECK_EQ_I(st_num(sim, "n('operation_delayed')"), 3);
    CHECK_EQ_I(st_num(sim, "n('operation_failed')"), 0);
    CHECK_EQ_I(st_num(sim, "host_state('h').ops_delayed"), 3);
    CHECK_NEAR(st_num(sim, "host_state('h').not_responding_s"), 600, TOL);
    /* The guest kept writing: 599.5 s at 1 MIB/s, within one 64 KiB I/O. */
    CHECK_NEAR(st_num(sim, "W700 - W100"), 599.5 * MIB, 65536);
    /* The backup: started (slot) at 400 s, its pre_script from 700 s; the VM
     * is off (no quiesce): export of 1 GiB at 100 MIB/s from 710 s. */
    CHECK_NEAR(st_num(sim, "EV.backup_started[1].t"), 400, TOL);
    CHECK_NEAR(st_num(sim, "EV.backup_done[1].t"), 700 + 10 + 10.24 + 10, TOL);
    CHECK_EQ_I(st_num(sim, "n('host_not_responding')"), 1);
    CHECK_EQ_I(st_num(sim, "host_state('h').restarts"), 0);
    ss_sim_free(sim);
}

/* on_unavailable = "fail" (the default) with fail_host: a snapshot during
 * the outage returns false and the reason, a backup starting then fails at
 * its start phase with it; the same snapshot after 700 s works.  A
 * consolidation that started before the outage goes on: its end is the
 * same as in the run without fail_host. */
static const char *fail_src(int outage)
{
    static char buf[2048];
    snprintf(buf, sizeof buf, PRE("3h")
        "datastore 'ds' { capacity = '100GB', bandwidth = '50MB/s' }\n"
        "host 'h' {}\n"
        "proxy 'p' {}\n"
        "vm 'v' { disk = { size = '10GB', provisioning = 'thin', format = 'ideal' } }\n"
        "vm 'b' { power = 'off', disk = { size = '10GB', provisioning = 'thin', used = '1GB', format = 'ideal' } }\n"
        "at(10, function() snapshot('v', 'a'); write('v', { bytes = '2GB', offset = 0 }) end)\n"
        "at(50, function() delete_snapshot('v', 'a') end)\n"
        "at(100, function() if %d == 1 then fail_host('h', '10m') end end)\n"
        "at(200, function() S1, S2 = snapshot('v', 's1') end)\n"
        "at(300, function() backup('b') end)\n"
        "at(800, function() S3 = snapshot('v', 's2') end)\n", outage);
    return buf;
}

static void t_fail_mode(void)
{
    char buf[512];
    ss_sim *ref = run("nofail.lua", fail_src(0), NULL);
    ss_sim *sim = run("fail.lua", fail_src(1), NULL);
    if (!sim || !ref) {
        ss_sim_free(ref);
        ss_sim_free(sim);
        return;
    }
    CHECK_EQ_I(st_num(sim, "S1 == false and 1 or 0"), 1);
    CHECK_CONTAINS(st_str(sim, "S2", buf, sizeof buf), "host h is not responding (stopped by fail_host");
    CHECK_CONTAINS(st_str(sim, "S2", buf, sizeof buf), "snapshot of vm v failed");
    CHECK_EQ_I(st_num(sim, "S3 and 1 or 0"), 1);
    CHECK_EQ_I(st_num(sim, "#snapshots('v')"), 1);
    CHECK_EQ_I(st_num(sim, "n('backup_failed')"), 1);
    CHECK_CONTAINS(st_str(sim, "EV.backup_failed[1].phase", buf, sizeof buf), "start");
    CHECK_CONTAINS(st_str(sim, "EV.backup_failed[1].detail", buf, sizeof buf), "not responding");
    CHECK_EQ_I(st_num(sim, "host_state('h').ops_failed"), 2);
    /* The deletion (4 GiB merged: 8 GiB of I/O at 50 MIB/s, 163.84 s from
     * 50 s) runs through the outage and ends as it does without it. */
    double t_ref = st_num(ref, "EV.consolidation_done[1].t");
    CHECK_NEAR(t_ref, 50 + 81.92, 0.01);
    CHECK_NEAR(st_num(sim, "EV.consolidation_done[1].t"), t_ref, TOL);
    CHECK_EQ_I(st_num(ref, "n('backup_done')"), 1);
    ss_sim_free(ref);
    ss_sim_free(sim);
}

/* The version presets: on 3.5u3 hostd leaks 2 MiB per operation from
 * 80 MiB to 400 MiB: ceil(320 / 2) = 160 operations, the 161st fails; on
 * 4.0 (and 3.5) nothing leaks, and 200 operations all run. */
static void t_version_preset(void)
{
    const char *src = PRE("300s")
        "datastore 'ds' { capacity = '100GB' }\n"
        "host 'u3' { version = '3.5u3' }\n"
        "host 'v4' { version = '4.0' }\n"
        "vm 'a' { host = 'u3', disk = { size = '10GB', provisioning = 'thin' } }\n"
        "vm 'b' { host = 'v4', disk = { size = '10GB', provisioning = 'thin' } }\n"
        "FA, FB = nil, nil\n"
        "for k = 1, 200 do at(k + 0.5, function()\n"
        "  if toggle('a') == false then FA = FA or k end\n"
        "  if toggle('b') == false then FB = FB or k end\n"
        "end) end\n";
    ss_sim *sim = run("preset.lua", src, NULL);
    if (!sim) return;
    CHECK_EQ_I(st_num(sim, "FA"), 161);
    CHECK_EQ_I(st_num(sim, "FB == nil and 1 or 0"), 1);
    CHECK_NEAR(st_num(sim, "EV.host_not_responding[1].t"), 160.5, TOL);
    CHECK_EQ_I(st_num(sim, "host_state('v4').ops"), 200);
    CHECK_EQ_U(st_num(sim, "host_state('v4').hostd_memory"), 80 * MIB);
    ss_sim_free(sim);
}

/* The tables: /host_outages has one row per outage (the watchdog's, ended;
 * fail_host's, unfinished at the end), /summary/hosts the totals. */
static void t_tables(void)
{
    const char *src = PRE("1000s")
        "datastore 'ds' { capacity = '100GB' }\n"
        "host 'h' { hostd = { limit = '84MB', leak_per_op = '2MB', restart = '100s' } }\n"
        "vm 'v' { disk = { size = '10GB', provisioning = 'thin' } }\n"
        "at(10.5, function() toggle('v') end)\n"
        "at(20.5, function() toggle('v') end)\n"
        "at(30.5, function() toggle('v') end)\n"
        "at(900, function() fail_host('h', 3600) end)\n";
    char path[512];
    snprintf(path, sizeof path, "%s/hostd_tables.h5", SNAPSIM_TMPDIR);
    ss_sim *sim = run("tables.lua", src, path);
    if (!sim) return;
    ss_sim_free(sim);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    if (f < 0) return;
    hsize_t nf, nr;
    CHECK(H5TBget_table_info(f, "/host_outages", &nf, &nr) >= 0);
    CHECK_EQ_I(nr, 2);
    double t0[2], t1[2];
    char cause[2][16], result[2][16];
    long long failed[2];
    size_t off_d[1] = { 0 };
    size_t sz_d[1] = { sizeof(double) };
    CHECK(H5TBread_fields_name(f, "/host_outages", "t_start", 0, 2, sizeof(double), off_d, sz_d, t0) >= 0);
    CHECK(H5TBread_fields_name(f, "/host_outages", "t_end", 0, 2, sizeof(double), off_d, sz_d, t1) >= 0);
    size_t sz_s[1] = { 16 };
    CHECK(H5TBread_fields_name(f, "/host_outages", "cause", 0, 2, 16, off_d, sz_s, cause) >= 0);
    CHECK(H5TBread_fields_name(f, "/host_outages", "result", 0, 2, 16, off_d, sz_s, result) >= 0);
    size_t sz_i[1] = { sizeof(long long) };
    CHECK(H5TBread_fields_name(f, "/host_outages", "ops_failed", 0, 2, sizeof(long long), off_d, sz_i, failed) >= 0);
    /* (84 - 80) / 2 = 2 operations: the second at 20.5 s restarts hostd
     * until 120.5 s; the third (30.5 s) fails in it. */
    CHECK_NEAR(t0[0], 20.5, TOL);
    CHECK_NEAR(t1[0], 120.5, TOL);
    CHECK_STR(cause[0], "watchdog");
    CHECK_STR(result[0], "responding");
    CHECK_EQ_I(failed[0], 1);
    CHECK_NEAR(t0[1], 900, TOL);
    CHECK_NEAR(t1[1], 1000, TOL);
    CHECK_STR(cause[1], "fail_host");
    CHECK_STR(result[1], "unfinished");
    CHECK(H5TBget_table_info(f, "/summary/hosts", &nf, &nr) >= 0);
    CHECK_EQ_I(nr, 1);
    long long restarts = 0, outages = 0;
    double down = 0;
    CHECK(H5TBread_fields_name(f, "/summary/hosts", "restarts", 0, 1, sizeof restarts, off_d, sz_i, &restarts) >= 0);
    CHECK(H5TBread_fields_name(f, "/summary/hosts", "outages", 0, 1, sizeof outages, off_d, sz_i, &outages) >= 0);
    CHECK(H5TBread_fields_name(f, "/summary/hosts", "not_responding_s", 0, 1, sizeof down, off_d, sz_d, &down) >= 0);
    CHECK_EQ_I(restarts, 1);
    CHECK_EQ_I(outages, 2);
    CHECK_NEAR(down, 100 + 100, TOL);
    H5Fclose(f);
}

/* Bad input: file:line and the field. */
static void t_bad_hostd(void)
{
    const st_bad cases[] = {
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\n"
                    "host 'h' { hostd = { memroy = '80MB' } }\n",
          "bad.lua:14:", "hostd", "memroy" },
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\n"
                    "host 'h' { hostd = { leak_per_op = -1 } }\n",
          "bad.lua:14:", "hostd.leak_per_op", "negative" },
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\n"
                    "host 'h' { hostd = { on_unavailable = 'retry' } }\n",
          "bad.lua:14:", "hostd.on_unavailable", "wait" },
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\n"
                    "host 'h' { hostd = { memory = '500MB' } }\n",
          "bad.lua:14:", "hostd.memory", "a limit above" },
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\n"
                    "host 'h' {}\n"
                    "at(1, function() fail_host('x', 10) end)\n",
          "bad.lua:15:", "fail_host", "unknown host" },
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\n"
                    "host 'h' {}\n"
                    "at(1, function() fail_host('h', '-5m') end)\n",
          "bad.lua:15:", "fail_host", "duration" },
    };
    st_expect_input_errors(cases, sizeof cases / sizeof cases[0]);
}

static const struct tl_test tl_tests[] = {
    TL(t_restart_after_ops), TL(t_leak_per_hour), TL(t_wait_mode), TL(t_fail_mode), TL(t_version_preset),
    TL(t_tables), TL(t_bad_hostd), { 0, 0 },
};

int main(int argc, char **argv) { return tl_main(tl_tests, argc, argv); }
