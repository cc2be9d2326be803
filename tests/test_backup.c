/*
 * test_backup.c -- VCB backups (SPEC §2.3, facts §5) through real Lua
 * scenarios run in-process: the phases and their times, the export as a
 * read flow sharing the datastore, the proxy's and NBD's caps, quiescing
 * (by probability and by condition), a leftover _VCB-BACKUP_, the
 * proxy's FIFO queue and its windows, the consolidation after the export,
 * the /backups and /backup_phases tables, and bad input.
 *
 * Every expected figure is derived here from the scenario's numbers.  The
 * fixed phases take the options' values: pre_script P, one quiesce attempt
 * Q (vm.quiesce.time), unmount U.  An export of X bytes alone on a
 * datastore of bandwidth B takes X / B (X bytes read cost X of I/O).
 * Tolerance: times are integer ns and the fluid model's rates are exact
 * doubles, so 1e-6 s covers the rounding of a few scheduled times.
 */
#include <gsl/gsl_cdf.h>
#include <hdf5.h>
#include <hdf5_hl.h>

#include "simtest.h"

#define TOL 1e-6

/* EV[kind] collects every event of the kinds a test looks at; n(kind)
 * counts them, job_ev(kind, job) finds a job's. */
#define PRE(dur)                                                                                        \
    "scenario { name = 'bk', duration = '" dur "', seed = 7 }\n"                                        \
    "MiB = 2^20; GiB = 2^30\n"                                                                          \
    "EV = {}\n"                                                                                         \
    "for _, k in ipairs { 'backup_started', 'backup_done', 'backup_failed', 'backup_missed',\n"          \
    "                     'snapshot_created', 'snapshot_failed', 'consolidation_done', 'tools_status' } do\n" \
    "  on(k, function(e) EV[k] = EV[k] or {}; table.insert(EV[k], e) end)\n"                            \
    "end\n"                                                                                             \
    "function n(k) return EV[k] and #EV[k] or 0 end\n"                                                  \
    "function job_ev(k, job) for _, e in ipairs(EV[k] or {}) do if e.job == job then return e end end end\n"

static ss_sim *run(const char *name, const char *src, const char *h5) { return st_run_ok(name, src, h5); }

/* A fullvm backup of a VM with 24 GiB allocated, alone on a 60 MiB/s
 * datastore: start at 100 s, pre_script 10 s, one quiesce attempt 10 s,
 * the snapshot at 120 s, the export 24 GiB / 60 MiB/s = 409.6 s, unmount
 * 10 s, then the deletion of an empty delta (the guest wrote nothing):
 * done at 100 + 10 + 10 + 409.6 + 10 = 539.6 s.  File mode at
 * file_fraction 0.25 exports a quarter: 102.4 s. */
static void t_fullvm_alone(void)
{
    const char *src = PRE("2h")
        "datastore 'ds' { capacity = '100GB', bandwidth = '60MB/s' }\n"
        "datastore 'ds2' { capacity = '100GB', bandwidth = '60MB/s' }\n"
        "host 'h' {}\n"
        "proxy 'p' {}\n"
        "vm 'v' { datastore = 'ds', disk = { size = '40GB', provisioning = 'thin', used = '24GB', format = 'ideal' } }\n"
        "vm 'f' { datastore = 'ds2', disk = { size = '40GB', provisioning = 'thin', used = '24GB', format = 'ideal' } }\n"
        "at(100, function() J = backup('v', { proxy = 'p', pre_script = '10s', unmount = '10s' }) end)\n"
        "at(100, function() F = backup('f', { proxy = 'p', mode = 'file', file_fraction = 0.25 }) end)\n";
    ss_sim *sim = run("alone.lua", src, NULL);
    if (!sim) return;
    CHECK_EQ_I(st_num(sim, "J"), 1);
    CHECK_EQ_I(st_num(sim, "n('backup_done')"), 2);
    CHECK_EQ_I(st_num(sim, "n('backup_failed')"), 0);
    CHECK_NEAR(st_num(sim, "job_ev('backup_started', 1).t"), 100, TOL);
    CHECK_NEAR(st_num(sim, "EV.snapshot_created[1].t"), 120, TOL);
    CHECK_NEAR(st_num(sim, "job_ev('backup_done', 1).t"), 100 + 10 + 10 + 409.6 + 10, TOL);
    CHECK_NEAR(st_num(sim, "job_ev('backup_done', 1).value"), 439.6, TOL);
    CHECK_EQ_U(st_num(sim, "job_ev('backup_done', 1).bytes"), 24.0 * GiB);
    /* File mode: a quarter of 24 GiB, 6 GiB / 60 MiB/s = 102.4 s. */
    CHECK_EQ_U(st_num(sim, "job_ev('backup_done', 2).bytes"), 6.0 * GiB);
    CHECK_NEAR(st_num(sim, "job_ev('backup_done', 2).value"), 10 + 10 + 102.4 + 10, TOL);
    /* The snapshot was deleted: a consolidation, and no snapshot left. */
    CHECK_EQ_I(st_num(sim, "n('consolidation_done')"), 2);
    CHECK_EQ_I(st_num(sim, "#snapshots('v')"), 0);
    ss_sim_free(sim);
}

/* Two exports on one datastore share it.  Together from the start: each
 * gets 60/2 = 30 MiB/s, 24 GiB / 30 MiB/s = 819.2 s.  Staggered by 100 s
 * (b starts at 200 s): a runs alone for 100 s (6000 MiB), then both at
 * 30 MiB/s until a is done: (24576 - 6000) / 30 = 619.2 s; b then has
 * 24576 - 18576 = 6000 MiB left, alone at 60: 100 s.  Each export lasts
 * 719.2 s.  VMs are off: no quiescing, so the export starts P = 10 s
 * after the job. */
static void t_two_share_datastore(void)
{
    const char *src = PRE("3h")
        "datastore 'ds' { capacity = '200GB', bandwidth = '60MB/s' }\n"
        "datastore 'ds2' { capacity = '200GB', bandwidth = '60MB/s' }\n"
        "host 'h' {}\n"
        "proxy 'p' { max_concurrent = 4 }\n"
        "local d = { size = '40GB', provisioning = 'thin', used = '24GB', format = 'ideal' }\n"
        "vm 'a' { datastore = 'ds', power = 'off', disk = d }\n"
        "vm 'b' { datastore = 'ds', power = 'off', disk = d }\n"
        "vm 'c' { datastore = 'ds2', power = 'off', disk = d }\n"
        "vm 'e' { datastore = 'ds2', power = 'off', disk = d }\n"
        "at(0, function() backup('c'); backup('e') end)\n"
        "at(90, function() backup('a') end)\n"
        "at(190, function() backup('b') end)\n";
    ss_sim *sim = run("share.lua", src, NULL);
    if (!sim) return;
    CHECK_EQ_I(st_num(sim, "n('backup_done')"), 4);
    /* c and e (jobs 1, 2): the export starts at 10 s, ends at 10 + 819.2. */
    CHECK_NEAR(st_num(sim, "job_ev('backup_done', 1).t"), 10 + 819.2 + 10, TOL);
    CHECK_NEAR(st_num(sim, "job_ev('backup_done', 2).t"), 10 + 819.2 + 10, TOL);
    /* a (job 3): export 100 .. 819.2; b (job 4): export 200 .. 919.2. */
    CHECK_NEAR(st_num(sim, "job_ev('backup_done', 3).t"), 100 + 719.2 + 10, TOL);
    CHECK_NEAR(st_num(sim, "job_ev('backup_done', 4).t"), 200 + 719.2 + 10, TOL);
    ss_sim_free(sim);
}

/* The read path's caps: a proxy of 40 MiB/s alone on a 60 MiB/s datastore
 * exports 24 GiB in 24576 / 40 = 614.4 s; two jobs through it split it,
 * 20 MiB/s each: 1228.8 s.  nbd through a host network of 20 MiB/s (the
 * proxy unlimited): 1228.8 s; san on the same host is not limited by it. */
static void t_proxy_and_nbd_caps(void)
{
    const char *src = PRE("3h")
        "for i = 1, 5 do datastore ('ds' .. i) { capacity = '100GB', bandwidth = '60MB/s' } end\n"
        "host 'h' { nbd_bandwidth = '20MB/s' }\n"
        "proxy 'slow' { bandwidth = '40MB/s', max_concurrent = 2 }\n"
        "proxy 'fast' { max_concurrent = 2 }\n"
        "local d = { size = '40GB', provisioning = 'thin', used = '24GB', format = 'ideal' }\n"
        "for i = 1, 5 do vm ('v' .. i) { datastore = 'ds' .. i, power = 'off', disk = d } end\n"
        "at(0, function() backup('v1', { proxy = 'slow' }) end)\n"
        "at(5000, function() backup('v2', { proxy = 'slow' }); backup('v3', { proxy = 'slow' }) end)\n"
        "at(0, function() backup('v4', { proxy = 'fast', transport = 'nbd' }); backup('v5', { proxy = 'fast' }) end)\n";
    ss_sim *sim = run("caps.lua", src, NULL);
    if (!sim) return;
    CHECK_EQ_I(st_num(sim, "n('backup_done')"), 5);
    /* Jobs in submission order: v1 (1), v4 (2), v5 (3) at 0; v2, v3 (4, 5) at 5000 s. */
    CHECK_NEAR(st_num(sim, "job_ev('backup_done', 1).value"), 10 + 614.4 + 10, TOL);
    CHECK_NEAR(st_num(sim, "job_ev('backup_done', 2).value"), 10 + 1228.8 + 10, TOL);
    CHECK_NEAR(st_num(sim, "job_ev('backup_done', 3).value"), 10 + 409.6 + 10, TOL);
    CHECK_NEAR(st_num(sim, "job_ev('backup_done', 4).value"), 10 + 1228.8 + 10, TOL);
    CHECK_NEAR(st_num(sim, "job_ev('backup_done', 5).value"), 10 + 1228.8 + 10, TOL);
    ss_sim_free(sim);
}

/* Quiesce failures by probability: 400 backups of a guest with
 * quiesce.fail = 0.1 and no retries, one attempt each.  The number that
 * fail is Binomial(400, 0.1) (mean 40, sd 6); the test takes the central
 * 99.9 % interval from the exact binomial CDF (GSL), so a correct model
 * fails this test once in a thousand seeds, and the seed is fixed. */
static void t_quiesce_binomial(void)
{
    const char *src = PRE("17d")
        "datastore 'ds' { capacity = '100GB' }\n"
        "host 'h' {}\n"
        "proxy 'p' {}\n"
        "vm 'v' { disk = { size = '1GB', provisioning = 'thin', format = 'ideal' }, quiesce = { fail = 0.1 } }\n"
        "every('1h', function() backup('v', { pre_script = 0, unmount = 0 }) end, { start = 0, stop = 399 * 3600 })\n";
    ss_sim *sim = run("binom.lua", src, NULL);
    if (!sim) return;
    int n = 400;
    double p = 0.1;
    /* lo: the largest k with P(X < k) <= 0.0005; hi: the smallest k with
     * P(X > k) <= 0.0005. */
    int lo = 0, hi = n;
    while (lo + 1 <= n && gsl_cdf_binomial_P((unsigned)lo, p, (unsigned)n) <= 0.0005) lo++;
    while (hi - 1 >= 0 && gsl_cdf_binomial_Q((unsigned)(hi - 1), p, (unsigned)n) <= 0.0005) hi--;
    double failed = st_num(sim, "n('backup_failed')"), done = st_num(sim, "n('backup_done')");
    CHECK_EQ_I(failed + done, n);
    /* About 40 +- 3.29 sd = [20.3, 59.7], a little wider to the right (skew). */
    if (!(lo >= 19 && lo <= 22 && hi >= 58 && hi <= 62)) fprintf(stderr, "binomial interval [%d, %d]\n", lo, hi);
    CHECK(lo >= 19 && lo <= 22 && hi >= 58 && hi <= 62);
    CHECK(failed >= lo && failed <= hi);
    /* Every failure is the quiesce phase's, with VMware's message. */
    CHECK_EQ_I(st_num(sim, "(function() local k = 0; for _, e in ipairs(EV.backup_failed or {}) do "
                           "if e.phase == 'quiesce' and e.detail:find('Could not quiesce file system.', 1, true) "
                           "then k = k + 1 end end; return k end)()"), failed);
    ss_sim_free(sim);
}

/* The conditions that make quiescing fail every time, whatever quiesce.fail
 * says (0 here): a guest writing 30 MB/s with max_write_rate 20 MB/s fails
 * all 1 + 2 retries (3 attempts, 3 x 10 s); one writing 10 MB/s succeeds
 * at the first; Tools not running fails; a full guest disk fails; a Linux
 * guest gets a crash-consistent snapshot and the backup is done without a
 * quiesce phase (10 s shorter).  snapshot(vm, name, {quiesce = true})
 * applies the same rules at once. */
static void t_quiesce_conditions(void)
{
    const char *src = PRE("10m")
        "for i = 1, 6 do datastore ('ds' .. i) { capacity = '100GB', bandwidth = '200MB/s' } end\n"
        "host 'h' {}\n"
        "proxy 'p' { max_concurrent = 6 }\n"
        "local d = { size = '10GB', provisioning = 'thin', format = 'ideal' }\n"
        "vm 'fast' { datastore = 'ds1', disk = d, quiesce = { retries = 2 },\n"
        "            workload = { rate = '30MB/s', io_size = '64KB', arrivals = 'constant' } }\n"
        "vm 'slow' { datastore = 'ds2', disk = d, quiesce = { retries = 2 },\n"
        "            workload = { rate = '10MB/s', io_size = '64KB', arrivals = 'constant' } }\n"
        "vm 'notools' { datastore = 'ds3', disk = d, tools = 'not_running' }\n"
        "vm 'full' { datastore = 'ds4', disk = d, guest_disk_full = true }\n"
        "vm 'linux' { datastore = 'ds5', disk = d, guest_os = 'rhel5' }\n"
        "vm 'snap' { datastore = 'ds6', disk = d,\n"
        "            workload = { rate = '30MB/s', io_size = '64KB', arrivals = 'constant' } }\n"
        "at(60, function() for _, v in ipairs { 'fast', 'slow', 'notools', 'full', 'linux' } do backup(v) end end)\n"
        "at(60, function() S1, S2 = snapshot('snap', 'q', { quiesce = true }); S3 = snapshot('linux', 'l', { quiesce = true }) end)\n";
    ss_sim *sim = run("cond.lua", src, NULL);
    if (!sim) return;
    char buf[300];
    CHECK_STR(st_str(sim, "job_ev('backup_failed', 1).phase", buf, sizeof buf), "quiesce");
    CHECK_CONTAINS(st_str(sim, "job_ev('backup_failed', 1).detail", buf, sizeof buf),
                   "Snapshot creation failed: Could not quiesce file system.");
    CHECK_CONTAINS(st_str(sim, "job_ev('backup_failed', 1).detail", buf, sizeof buf), "3 attempts");
    CHECK_CONTAINS(st_str(sim, "job_ev('backup_failed', 1).detail", buf, sizeof buf), "max_write_rate");
    /* It failed at the end of the third attempt: 60 + 10 + 3 x 10. */
    CHECK_NEAR(st_num(sim, "job_ev('backup_failed', 1).t"), 60 + 10 + 30, TOL);
    CHECK(st_num(sim, "job_ev('backup_done', 2) and 1 or 0") == 1);
    CHECK_CONTAINS(st_str(sim, "job_ev('backup_failed', 3).detail", buf, sizeof buf), "VMware Tools is not_running");
    CHECK_CONTAINS(st_str(sim, "job_ev('backup_failed', 4).detail", buf, sizeof buf), "disk is full");
    CHECK_CONTAINS(st_str(sim, "job_ev('backup_done', 5).detail", buf, sizeof buf), "crash-consistent");
    /* linux: no quiesce phase, so its snapshot is 10 s after the start. */
    CHECK_NEAR(st_num(sim, "(function() for _, e in ipairs(EV.snapshot_created) do "
                           "if e.vm == 'linux' and e.snapshot == '_VCB-BACKUP_' then return e.t end end end)()"),
               70, TOL);
    /* snapshot() with quiesce: refused (false, reason) for the fast writer,
     * crash-consistent for linux. */
    CHECK_STR(st_str(sim, "S1", buf, sizeof buf), "false");
    CHECK_CONTAINS(st_str(sim, "S2", buf, sizeof buf), "Could not quiesce file system.");
    CHECK_STR(st_str(sim, "S3", buf, sizeof buf), "true");
    CHECK_EQ_I(st_num(sim, "n('snapshot_failed')"), 1);
    ss_sim_free(sim);
}

/* What quiesces a guest depends on the host's version (docs/model.md):
 * Windows 2003 32-bit with the SYNC driver on 3.5, with VSS from 3.5u2;
 * 2003 64-bit has only VSS: crash-consistent on 3.5, VSS on 3.5u2. */
static void t_vss_by_version(void)
{
    const char *src = PRE("10m")
        "datastore 'ds' { capacity = '100GB' }\n"
        "host 'old' { version = '3.5' }\n"
        "host 'u2' { version = '3.5u2' }\n"
        "local d = { size = '1GB', provisioning = 'thin', format = 'ideal' }\n"
        "vm 'a' { host = 'old', disk = d, guest_os = 'winnetstandard' }\n"
        "vm 'b' { host = 'u2', disk = d, guest_os = 'winnetstandard' }\n"
        "vm 'c' { host = 'old', disk = d, guest_os = 'winnetstandard-64' }\n"
        "vm 'e' { host = 'u2', disk = d, guest_os = 'winnetstandard-64' }\n"
        "at(1, function() for _, v in ipairs { 'a', 'b', 'c', 'e' } do snapshot(v, 's', { quiesce = true }) end end)\n"
        "function how(v) for _, e in ipairs(EV.snapshot_created) do if e.vm == v then return e.detail end end end\n";
    ss_sim *sim = run("vss.lua", src, NULL);
    if (!sim) return;
    char buf[200];
    CHECK_STR(st_str(sim, "how('a')", buf, sizeof buf), "disk-only, quiesced with the SYNC driver");
    CHECK_STR(st_str(sim, "how('b')", buf, sizeof buf), "disk-only, quiesced with VSS");
    CHECK_CONTAINS(st_str(sim, "how('c')", buf, sizeof buf), "crash-consistent");
    CHECK_STR(st_str(sim, "how('e')", buf, sizeof buf), "disk-only, quiesced with VSS");
    ss_sim_free(sim);
}

/* A leftover _VCB-BACKUP_ blocks the next backup.  (1) One taken by hand:
 * the backup fails at its start with that reason; once deleted, the next
 * backup is done.  (2) A backup whose deletion the precheck refuses: a
 * 3 GiB datastore holds the thin base (1 GiB); when the snapshot is
 * taken the guest writes 1.5 GiB into the new delta, so 0.5 GiB are free
 * when the deletion would need 1.5 GiB (the delta's size, into a thin
 * base): it fails at "delete", the snapshot stays, and the next backup
 * fails at its start. */
static void t_leftover_blocks(void)
{
    const char *src = PRE("6h")
        "datastore 'ds' { capacity = '100GB', bandwidth = '100MB/s' }\n"
        "datastore 'small' { capacity = '3GB', bandwidth = '100MB/s' }\n"
        "host 'h' {}\n"
        "proxy 'p' {}\n"
        "vm 'v' { datastore = 'ds', disk = { size = '10GB', provisioning = 'thin', format = 'ideal' } }\n"
        "vm 'w' { datastore = 'small', power = 'off',\n"
        "         disk = { size = '10GB', provisioning = 'thin', used = '1GB', format = 'ideal' } }\n"
        "at(10, function() snapshot('v', '_VCB-BACKUP_') end)\n"
        "at(20, function() backup('v') end)\n"
        "at(100, function() delete_snapshot('v', '_VCB-BACKUP_') end)\n"
        "at(200, function() backup('v') end)\n"
        "on('snapshot_created', function(e)\n"
        "  if e.vm == 'w' and e.snapshot == '_VCB-BACKUP_' then\n"
        "    power_on('w'); write('w', { offset = GiB, bytes = 1.5 * GiB }); power_off('w') end end)\n"
        "at(1000, function() backup('w') end)\n"
        "at(5000, function() backup('w') end)\n";
    ss_sim *sim = run("leftover.lua", src, NULL);
    if (!sim) return;
    char buf[300];
    CHECK_STR(st_str(sim, "job_ev('backup_failed', 1).phase", buf, sizeof buf), "start");
    CHECK_CONTAINS(st_str(sim, "job_ev('backup_failed', 1).detail", buf, sizeof buf),
                   "a snapshot named _VCB-BACKUP_ already exists");
    CHECK(st_num(sim, "job_ev('backup_done', 2) and 1 or 0") == 1);
    CHECK_STR(st_str(sim, "job_ev('backup_failed', 3).phase", buf, sizeof buf), "delete");
    CHECK_CONTAINS(st_str(sim, "job_ev('backup_failed', 3).detail", buf, sizeof buf), "refused by precheck");
    CHECK_CONTAINS(st_str(sim, "job_ev('backup_failed', 3).detail", buf, sizeof buf), "_VCB-BACKUP_ left behind");
    CHECK_STR(st_str(sim, "job_ev('backup_failed', 4).phase", buf, sizeof buf), "start");
    CHECK_CONTAINS(st_str(sim, "job_ev('backup_failed', 4).detail", buf, sizeof buf), "already exists");
    CHECK_STR(st_str(sim, "snapshots('w')[1]", buf, sizeof buf), "_VCB-BACKUP_");
    ss_sim_free(sim);
}

/* The proxy's FIFO queue: 5 jobs submitted at 100 s on max_concurrent = 2,
 * each VM on its own datastore (no sharing) and off (no quiesce).  Job k
 * exports k x 600 MiB at 60 MiB/s (10k s) between pre_script and unmount
 * of 10 s each: it lasts 20 + 10k = 30, 40, 50, 60, 70 s.  By hand:
 *   jobs 1, 2 start at 100 (slots free) and end at 130, 140;
 *   job 3 takes job 1's slot at 130 and ends at 180;
 *   job 4 takes job 2's slot at 140 and ends at 200;
 *   job 5 takes job 3's slot at 180 and ends at 250.
 * Waits: 0, 0, 30, 40, 80 s. */
static void t_proxy_fifo(void)
{
    const char *path = SNAPSIM_TMPDIR "/fifo.h5";
    const char *src = PRE("1h")
        "host 'h' {}\n"
        "proxy 'p' { max_concurrent = 2 }\n"
        "for k = 1, 5 do\n"
        "  datastore ('ds' .. k) { capacity = '100GB', bandwidth = '60MB/s' }\n"
        "  vm ('v' .. k) { datastore = 'ds' .. k, power = 'off',\n"
        "                  disk = { size = '10GB', provisioning = 'thin', used = k * 600 * MiB, format = 'ideal' } }\n"
        "end\n"
        "at(100, function() for k = 1, 5 do backup('v' .. k) end end)\n";
    ss_sim *sim = run("fifo.lua", src, path);
    if (!sim) return;
    static const double start[] = { 100, 100, 130, 140, 180 }, end[] = { 130, 140, 180, 200, 250 };
    for (int k = 1; k <= 5; k++) {
        char e[80];
        snprintf(e, sizeof e, "job_ev('backup_started', %d).t", k);
        CHECK_NEAR(st_num(sim, e), start[k - 1], TOL);
        snprintf(e, sizeof e, "job_ev('backup_done', %d).t", k);
        CHECK_NEAR(st_num(sim, e), end[k - 1], TOL);
    }
    ss_sim_free(sim);
    /* The same waits in /backups, and one /backup_phases row per phase. */
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    if (f < 0) return;
    hsize_t nf, nr;
    CHECK(H5TBget_table_info(f, "/backups", &nf, &nr) >= 0);
    CHECK_EQ_U(nr, 5);
    double wait[5] = { 0 };
    long long job[5] = { 0 };
    size_t o8 = 0, s8 = 8;
    H5TBread_fields_name(f, "/backups", "wait_s", 0, 5, 8, &o8, &s8, wait);
    H5TBread_fields_name(f, "/backups", "job", 0, 5, 8, &o8, &s8, job);
    for (int i = 0; i < 5; i++) CHECK_NEAR(wait[job[i] - 1], start[job[i] - 1] - 100, TOL);
    /* queue, start, pre_script, quiesce (skipped), snapshot, export, unmount, delete */
    CHECK(H5TBget_table_info(f, "/backup_phases", &nf, &nr) >= 0);
    CHECK_EQ_U(nr, 5 * 8);
    char unit[8] = "";
    H5LTget_attribute_string(f, "/backups", "unit_export_s", unit);
    CHECK_STR(unit, "s");
    H5Fclose(f);
}

/* Windows.  A 22:00-06:00 window, one slot, jobs of 3 h each (export
 * 10780 MiB at 1 MiB/s between two 10 s phases; VMs off): four jobs
 * submitted at 22:00 of day 0 run 22-01, 01-04, 04-07 (the third starts
 * before 06:00), and the fourth is still queued at 06:00: missed at
 * 30 h = 108000 s.  A job submitted at noon of day 1 waits for the
 * evening: it starts at 22:00 of day 1 (165600 s). */
static void t_missed_window(void)
{
    const char *src = PRE("3d")
        "host 'h' {}\n"
        "proxy 'p' { max_concurrent = 1 }\n"
        "for k = 1, 5 do\n"
        "  datastore ('ds' .. k) { capacity = '100GB', bandwidth = '1MB/s' }\n"
        "  vm ('v' .. k) { datastore = 'ds' .. k, power = 'off',\n"
        "                  disk = { size = '20GB', provisioning = 'thin', used = 10780 * MiB, format = 'ideal' } }\n"
        "end\n"
        "W = { start = '22:00', stop = '06:00' }\n"
        "at('22h', function() for k = 1, 4 do backup('v' .. k, { window = W }) end end)\n"
        "at('36h', function() backup('v5', { window = W }) end)\n";
    ss_sim *sim = run("window.lua", src, NULL);
    if (!sim) return;
    const double h = 3600;
    CHECK_NEAR(st_num(sim, "job_ev('backup_started', 1).t"), 22 * h, TOL);
    CHECK_NEAR(st_num(sim, "job_ev('backup_started', 2).t"), 25 * h, TOL);
    CHECK_NEAR(st_num(sim, "job_ev('backup_started', 3).t"), 28 * h, TOL);
    CHECK_EQ_I(st_num(sim, "n('backup_missed')"), 1);
    CHECK_EQ_I(st_num(sim, "EV.backup_missed[1].job"), 4);
    CHECK_NEAR(st_num(sim, "EV.backup_missed[1].t"), 30 * h, TOL);
    CHECK_NEAR(st_num(sim, "job_ev('backup_started', 5).t"), 46 * h, TOL);
    CHECK_EQ_I(st_num(sim, "n('backup_done')"), 4);
    ss_sim_free(sim);
}

/* The deletion after the export is a real consolidation: the guest writes
 * 1 MiB/s (constant arrivals, 64 KiB sequential writes away from the data).
 * Until the snapshot at 80 s its writes go to the base, so the export reads
 * 24 GiB + 80 MiB at 60 MiB/s (the datastore's 61 MiB/s less the guest's
 * 1): (24576 + 80) / 60 = 410.933 s.  From the snapshot until the deletion
 * starts (after that and the 10 s unmount) they go to the delta above
 * _VCB-BACKUP_: 420.933 MiB, the first merge's bytes (esx35: a helper takes
 * the writes meanwhile), to a write or two (64 KiB, about 1 ms of export). */
static void t_delete_consolidates(void)
{
    const char *path = SNAPSIM_TMPDIR "/bkcons.h5";
    const char *src = PRE("2h")
        "datastore 'ds' { capacity = '100GB', bandwidth = '61MB/s' }\n"
        "host 'h' {}\n"
        "proxy 'p' {}\n"
        "vm 'v' { disk = { size = '40GB', provisioning = 'thin', used = '24GB', format = 'ideal' },\n"
        "         workload = { rate = '1MB/s', io_size = '64KB', arrivals = 'constant', pattern = 'sequential',\n"
        "                      region = { offset = '30GB', size = '10GB' } } }\n"
        "at(60, function() backup('v') end)\n";
    ss_sim *sim = run("bkcons.lua", src, path);
    if (!sim) return;
    CHECK_NEAR(st_num(sim, "job_ev('backup_done', 1).t") - st_num(sim, "EV.consolidation_done[1].t"), 0, TOL);
    double export_s = (24576.0 + 80) / 60;
    CHECK_NEAR(st_num(sim, "EV.consolidation_done[1].t") - st_num(sim, "EV.consolidation_done[1].duration"),
               80 + export_s + 10, 3e-3);
    ss_sim_free(sim);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    if (f < 0) return;
    long long bytes = 0;
    size_t o8 = 0, s8 = 8;
    H5TBread_fields_name(f, "/consolidation_steps", "bytes", 0, 1, 8, &o8, &s8, &bytes);
    CHECK_NEAR((double)bytes, (export_s + 10) * MiB, 2 * 64 * 1024);
    char snap[64] = "";
    size_t so = 0, ss = 64;
    H5TBread_fields_name(f, "/consolidations", "snapshot", 0, 1, 64, &so, &ss, snap);
    CHECK_STR(snap, "_VCB-BACKUP_");
    H5Fclose(f);
}

/* A run that ends with jobs queued and running gives them "unfinished"
 * rows; a user cannot delete _VCB-BACKUP_ while its export runs. */
static void t_unfinished_and_held(void)
{
    const char *path = SNAPSIM_TMPDIR "/bkunf.h5";
    const char *src = PRE("300s")
        "datastore 'ds' { capacity = '100GB', bandwidth = '10MB/s' }\n"
        "host 'h' {}\n"
        "proxy 'p' {}\n"
        "local d = { size = '10GB', provisioning = 'thin', used = '5GB', format = 'ideal' }\n"
        "vm 'a' { disk = d }\n"
        "vm 'b' { disk = d }\n"
        "at(0, function() backup('a'); backup('b') end)\n"
        "at(100, function() OK, WHY = pcall(delete_snapshot, 'a', '_VCB-BACKUP_') end)\n";
    ss_sim *sim = run("unf.lua", src, path);
    if (!sim) return;
    char buf[300];
    CHECK_STR(st_str(sim, "OK", buf, sizeof buf), "false");
    CHECK_CONTAINS(st_str(sim, "WHY", buf, sizeof buf), "in use: a backup is exporting");
    ss_sim_free(sim);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) { CHECK(0); return; }
    hsize_t nf, nr;
    CHECK(H5TBget_table_info(f, "/backups", &nf, &nr) >= 0);
    CHECK_EQ_U(nr, 2);
    char res[2][16], ph[2][16];
    size_t o = 0, sz = 16;
    H5TBread_fields_name(f, "/backups", "result", 0, 2, 16, &o, &sz, res);
    H5TBread_fields_name(f, "/backups", "phase", 0, 2, 16, &o, &sz, ph);
    CHECK_STR(res[0], "unfinished");
    CHECK_STR(res[1], "unfinished");
    CHECK_STR(ph[0], "export");
    CHECK_STR(ph[1], "queue");
    H5Fclose(f);
}

/* Bad input: file:line and the field. */
/* VMware Tools' true state and what VirtualCenter shows (vm_state's
 * tools / tools_reported / guest_os).  ESX 3.5 U3 has the display bug:
 * after a VCB command on a Windows 2003 guest VirtualCenter shows "not
 * running" although Tools runs; one tools_status event says so; a reboot
 * clears it.  On 4.0 (no bug) and for a Windows 2000 guest on 3.5 U3 both
 * stay "running" and no event is emitted.  VMs not in the VCB job keep
 * both "running"; a powered-off VM's Tools is "not_running" in both. */
static void t_tools_display_bug(void)
{
    const char *src = PRE("1h")
        "datastore 'ds' { capacity = '100GB', bandwidth = '60MB/s' }\n"
        "host 'u3' { version = '3.5u3' }\n"
        "host 'v4' { version = '4.0' }\n"
        "proxy 'p' {}\n"
        "local d = { size = '2GB', provisioning = 'thin', used = '1GB', format = 'ideal' }\n"
        "vm 'a' { host = 'u3', disk = d, guest_os = 'winnetstandard' }\n"
        "vm 'b' { host = 'v4', disk = d, guest_os = 'winnetstandard' }\n"
        "vm 'c' { host = 'u3', disk = d, guest_os = 'win2000serv' }\n"
        "at(10, function() for _, v in ipairs { 'a', 'b', 'c' } do backup(v, { proxy = 'p' }) end end)\n"
        "at(1000, function() A1 = vm_state('a'); B1 = vm_state('b'); C1 = vm_state('c') end)\n"
        "at(1100, function() power_off('a') end)\n"
        "at(1101, function() A2 = vm_state('a') end)\n"
        "at(1200, function() power_on('a') end)\n"
        "at(1201, function() A3 = vm_state('a') end)\n";
    ss_sim *sim = run("tools.lua", src, NULL);
    if (!sim) return;
    char buf[200];
    CHECK_EQ_I(st_num(sim, "n('backup_done')"), 3);
    CHECK_STR(st_str(sim, "A1.tools", buf, sizeof buf), "running");
    CHECK_STR(st_str(sim, "A1.tools_reported", buf, sizeof buf), "not_running");
    CHECK_STR(st_str(sim, "A1.guest_os", buf, sizeof buf), "winnetstandard");
    CHECK_STR(st_str(sim, "B1.tools", buf, sizeof buf), "running");
    CHECK_STR(st_str(sim, "B1.tools_reported", buf, sizeof buf), "running");
    CHECK_STR(st_str(sim, "C1.tools_reported", buf, sizeof buf), "running");
    CHECK_STR(st_str(sim, "C1.guest_os", buf, sizeof buf), "win2000serv");
    CHECK_EQ_I(st_num(sim, "n('tools_status')"), 1);
    CHECK_STR(st_str(sim, "EV.tools_status[1].vm", buf, sizeof buf), "a");
    CHECK_CONTAINS(st_str(sim, "EV.tools_status[1].detail", buf, sizeof buf), "display bug");
    CHECK_STR(st_str(sim, "A2.tools", buf, sizeof buf), "not_running");
    CHECK_STR(st_str(sim, "A2.tools_reported", buf, sizeof buf), "not_running");
    CHECK_STR(st_str(sim, "A3.tools", buf, sizeof buf), "running");
    CHECK_STR(st_str(sim, "A3.tools_reported", buf, sizeof buf), "running");
    ss_sim_free(sim);
}

static void t_bad_backups(void)
{
    static const st_bad cases[] = {
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\nhost 'h' {}\nproxy 'p' {}\n"
                    "vm 'v' { disk = { size = '1GB' } }\nat(1, function() backup('v', { proxy = 'q' }) end)\n",
          "bad.lua:14:", "options.proxy", "declared proxy" },
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\ndatastore 'd2' { capacity = '10GB' }\nhost 'h' {}\n"
                    "proxy 'p' { datastores = { 'd2' } }\n"
                    "vm 'v' { datastore = 'ds', disk = { size = '1GB' } }\nat(1, function() backup('v') end)\n",
          "bad.lua:15:", "options.proxy", "does not see datastore ds" },
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\nhost 'h' {}\nproxy 'p' {}\n"
                    "vm 'v' { disk = { size = '1GB' } }\n"
                    "at(1, function() backup('v', { window = { start = '25:00', stop = '06:00' } }) end)\n",
          "bad.lua:14:", "window.start", "time of day" },
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\nhost 'h' {}\nproxy 'p' {}\n"
                    "vm 'v' { disk = { size = '1GB' } }\n"
                    "at(1, function() backup('v', { window = { start = '22:00' } }) end)\n",
          "bad.lua:14:", "window.stop", "required" },
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\nhost 'h' {}\n"
                    "vm 'v' { disk = { size = '1GB' }, guest_os = 'win3000' }\n",
          "bad.lua:12:", "guest_os", "win2000serv" },
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\nhost 'h' {}\nproxy 'p' { datastores = { 'nope' } }\n",
          "bad.lua:12:", "datastores[1]", "declared datastore" },
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\nhost 'h' {}\n"
                    "vm 'v' { disk = { size = '1GB', used = '2GB' } }\n",
          "bad.lua:12:", "disk.used", "at most" },
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\nhost 'h' {}\n"
                    "vm 'v' { disk = { size = '1GB' }, quiesce = { fail = 2 } }\n",
          "bad.lua:12:", "quiesce.fail", "2" },
    };
    st_expect_input_errors(cases, sizeof cases / sizeof cases[0]);
}

static const struct tl_test tl_tests[] = {
    TL(t_fullvm_alone), TL(t_two_share_datastore), TL(t_proxy_and_nbd_caps), TL(t_quiesce_binomial),
    TL(t_quiesce_conditions), TL(t_vss_by_version), TL(t_leftover_blocks), TL(t_proxy_fifo), TL(t_missed_window),
    TL(t_delete_consolidates), TL(t_unfinished_and_held), TL(t_bad_backups), TL(t_tools_display_bug), { 0, 0 },
};

int main(int argc, char **argv) { return tl_main(tl_tests, argc, argv); }
