/*
 * test_experiment.c -- replications, sweeps, worker processes, the index
 * and --set checking (include/snapsim/experiment.h and its parts).
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>
#include <lauxlib.h>
#include <lua.h>

#include "simtest.h"
#include "snapsim/experiment.h"
#include "snapsim/index.h"
#include "snapsim/replicate.h"
#include "snapsim/stats.h"
#include "snapsim/sweep.h"
#include "snapsim/workers.h"

#define TMP SNAPSIM_TMPDIR
#define OK_PRELUDE_SRC                                                    \
    "scenario { name = 't', duration = '1h', seed = 5 }\n"                \
    "datastore 'ds' { capacity = '100GB' }\n"                              \
    "host 'h' {}\n"

/* A small scenario: one VM writing at random for 10 minutes, one snapshot
 * deleted; its metrics vary with the seed. */
static const char small_src[] =
    "local keep = KEEP or 1\n"
    "scenario { name = 'small keep ' .. keep, duration = '10m', seed = 3 }\n"
    "datastore 'ds' { capacity = '20GB', bandwidth = '200MB/s' }\n"
    "host 'h' {}\n"
    "vm 'v' { host = 'h', disk = { size = '4GB', format = 'ideal' }, power = 'on',\n"
    "         workload = { rate = '2MB/s', io_size = '64KB' } }\n"
    "at('1m', function() snapshot('v', 's') end)\n"
    "at('5m', function() delete_snapshot('v', 's') end)\n"
    "at('9m', function() record('u', math.random()) end)\n";

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static int same_file(const char *a, const char *b)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cmp -s %s %s", a, b);
    return sh(cmd) == 0;
}

/* ---- seeds ---- */

static void t_replication_seed(void)
{
    CHECK_EQ_U(ss_replication_seed(7, 0), 7);
    CHECK_EQ_U(ss_replication_seed(7, 3), ss_replication_seed(7, 3));
    for (uint64_t k = 1; k < 100; k++) {
        CHECK(ss_replication_seed(7, k) < (UINT64_C(1) << 53));
        CHECK(ss_replication_seed(7, k) != ss_replication_seed(7, k + 1));
        CHECK(ss_replication_seed(7, k) != ss_replication_seed(8, k));
    }
}

/* ---- statistics ---- */

/* x = 1..5: mean 3; sd = sqrt(10/4); t(0.975, 4) = 2.776445 (tables);
 * half-width 2.776445 * 1.581139 / sqrt(5) = 1.963243; p95 (linear
 * interpolation, h = 0.95 * 4 = 3.8): 4 + 0.8 * (5 - 4) = 4.8. */
static void t_stats_closed_form(void)
{
    double x[] = { 5, NAN, 1, 4, 2, 3 };
    ss_stats st;
    ss_stats_of(x, 6, &st);
    CHECK_EQ_I(st.n, 5);
    CHECK_NEAR(st.mean, 3, 1e-12);
    CHECK_NEAR(st.sd, sqrt(2.5), 1e-12);
    CHECK_NEAR(st.ci_hi - st.mean, 1.963243, 2e-6);
    CHECK_NEAR(st.mean - st.ci_lo, 1.963243, 2e-6);
    CHECK_NEAR(st.p95, 4.8, 1e-12);
    CHECK_NEAR(st.min, 1, 0);
    CHECK_NEAR(st.max, 5, 0);
    CHECK_NEAR(ss_stats_t975(1), 12.706205, 1e-5);
    ss_stats_of(x, 1, &st);
    CHECK_EQ_I(st.n, 1);
    CHECK(isnan(st.sd) && isnan(st.ci_lo));
}

/* The 95 % CI covers the true mean in about 95 % of experiments.  Each of
 * 200 experiments (seeds 1..200) has 5 replications of a scenario whose
 * metric record:z:last is a standard normal draw (Box-Muller from two
 * math.random() draws: exactly N(0, 1)), so the Student-t interval has
 * coverage exactly 0.95 and the count of experiments covering 0 is
 * Binomial(200, 0.95): mean 190, sd sqrt(200 * 0.95 * 0.05) = 3.08.  The
 * test accepts 180..200 (mean +- 3.25 sd: a right implementation fails
 * with probability about 0.1 %, and the seeds are fixed).  A z interval
 * (1.96 instead of t(0.975, 4) = 2.776) would cover only about 88 %
 * (176 expected), outside the band. */
static void t_ci_coverage(void)
{
    const char *src =
        "scenario { name = 'z', duration = 1, seed = 1 }\n"
        "datastore 'ds' { capacity = '1GB' }\n"
        "host 'h' {}\n"
        "vm 'v' { host = 'h', disk = { size = '1GB', format = 'ideal' } }\n"
        "at(0, function() local u1, u2 = 1 - math.random(), math.random()\n"
        "  record('z', math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)) end)\n";
    ss_options o;
    memset(&o, 0, sizeof o);
    o.path = "z.lua";
    o.source = src;
    o.out = st_null();
    o.has_seed = 1;
    int covered = 0, n = 0;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        double z[5];
        o.seed = seed;
        for (int k = 0; k < 5; k++) {
            ss_result r = { SS_RUN_MISSING, 0, NULL, NULL };
            ss_replicate(&o, (uint64_t)k, NULL, &r);
            int i = r.metrics ? ss_metrics_find(r.metrics, "record", "z", "last") : -1;
            z[k] = i >= 0 ? ss_metrics_at(r.metrics, i)->value : NAN;
            CHECK(r.status == SS_RUN_OK && i >= 0);
            ss_result_clear(&r);
        }
        ss_stats st;
        ss_stats_of(z, 5, &st);
        n += st.n == 5;
        covered += st.ci_lo <= 0 && 0 <= st.ci_hi;
    }
    CHECK_EQ_I(n, 200);
    CHECK(covered >= 180 && covered <= 200);
    printf("  CI coverage: %d of 200\n", covered);
}

/* ---- the metrics of one run ---- */

static double metric(const ss_result *r, const char *scope, const char *entity, const char *name)
{
    int i = r->metrics ? ss_metrics_find(r->metrics, scope, entity, name) : -1;
    return i >= 0 ? ss_metrics_at(r->metrics, i)->value : -12345;
}

/* Two memory snapshots that cannot fit (a 4 GB .vmsn on a datastore with
 * 1 GiB free) are two failed snapshots; nothing grows, so peak_extra is 0
 * and peak_used the 1 GiB thick base; the datastore never filled; record()
 * gives its last (1) and largest (3) value. */
static void t_run_metrics(void)
{
    const char *src =
        "scenario { name = 'm', duration = '10m', seed = 1 }\n"
        "datastore 'ds' { capacity = '2GB' }\n"
        "host 'h' {}\n"
        "vm 'v' { host = 'h', memory = '4GB', power = 'on', disk = { size = '1GB', format = 'ideal' } }\n"
        "at('1m', function() snapshot('v', 'a', { memory = true }) end)\n"
        "at('2m', function() snapshot('v', 'b', { memory = true }); record('x', 3); record('x', 1) end)\n";
    ss_options o;
    memset(&o, 0, sizeof o);
    o.path = "m.lua";
    o.source = src;
    o.out = st_null();
    ss_result r = { SS_RUN_MISSING, 0, NULL, NULL };
    ss_replicate(&o, 0, NULL, &r);
    CHECK(r.status == SS_RUN_OK);
    CHECK_NEAR(metric(&r, "vm", "v", "failed_snapshots"), 2, 0);
    CHECK_NEAR(metric(&r, "vm", "v", "failed_backups"), 0, 0);
    CHECK_NEAR(metric(&r, "datastore", "ds", "peak_used"), GiB, 0);
    CHECK_NEAR(metric(&r, "datastore", "ds", "peak_extra"), 0, 0);
    CHECK(isnan(metric(&r, "datastore", "ds", "t_first_full")));
    CHECK_NEAR(metric(&r, "datastore", "ds", "filled"), 0, 0);
    CHECK_NEAR(metric(&r, "record", "x", "last"), 1, 0);
    CHECK_NEAR(metric(&r, "record", "x", "max"), 3, 0);
    /* The text form gives back the same values, bit for bit. */
    char *buf = NULL;
    size_t len = 0;
    CHECK(ss_result_write(&r, &buf, &len) == SS_OK);
    ss_result back = { SS_RUN_MISSING, 0, NULL, NULL };
    ss_error err;
    for (char *line = buf; line && *line;) {
        char *nl = strchr(line, '\n');
        *nl = 0;
        CHECK(ss_result_read_line(&back, line, &err) == SS_OK);
        line = nl + 1;
    }
    CHECK(back.status == SS_RUN_OK && back.metrics && ss_metrics_count(back.metrics) == ss_metrics_count(r.metrics));
    for (int i = 0; back.metrics && i < ss_metrics_count(r.metrics); i++) {
        double a = ss_metrics_at(r.metrics, i)->value, b = ss_metrics_at(back.metrics, i)->value;
        CHECK((isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0);
    }
    free(buf);
    ss_result_clear(&back);
    ss_result_clear(&r);
}

/* ---- the plan ---- */

static void t_sweep_grid(void)
{
    ss_plan p;
    ss_plan_init(&p);
    ss_error err;
    CHECK(ss_plan_param(&p, "KEEP=1..3", &err) == SS_OK);
    CHECK(ss_plan_param(&p, "S=esx35,vsphere6", &err) == SS_OK);
    p.replications = 4;
    CHECK_EQ_I(ss_plan_points(&p), 6);
    CHECK_EQ_I(ss_plan_runs(&p), 24);
    /* Nested loops, the last parameter fastest. */
    static const char *const want[6] = { "KEEP=1 S=esx35", "KEEP=1 S=vsphere6", "KEEP=2 S=esx35",
                                         "KEEP=2 S=vsphere6", "KEEP=3 S=esx35", "KEEP=3 S=vsphere6" };
    for (int i = 0; i < 6; i++) {
        char label[64];
        ss_plan_label(&p, i, label, sizeof label);
        CHECK_STR(label, want[i]);
    }
    CHECK(ss_plan_param(&p, "R=1..9..4,20,1MB/s", &err) == SS_OK);
    CHECK_EQ_I(p.params[2].nvalues, 5);
    CHECK_STR(p.params[2].values[1], "5");
    CHECK_STR(p.params[2].values[4], "1MB/s");
    static const char *const bad[] = { "KEEP=4", "X=5..1", "X=", "=1", "X=1,,2", "X=a..b", "X=1,1", "X=1..3..0", NULL };
    for (int i = 0; bad[i]; i++) {
        CHECK(ss_plan_param(&p, bad[i], &err) == SS_ERR_USAGE);
        CHECK_CONTAINS(err.msg, "--param");
    }
    ss_plan_free(&p);
}

/* ---- --set ---- */

static void t_set_checked(void)
{
    ss_options o;
    memset(&o, 0, sizeof o);
    o.path = "small.lua";
    o.source = small_src;
    o.out = st_null();
    ss_set typo[] = { { "KEEEP", "5", NULL } };
    o.sets = typo;
    o.nsets = 1;
    ss_sim *sim = NULL;
    ss_error err;
    CHECK_EQ_I(ss_sim_load(&sim, &o, &err), SS_ERR_USAGE);
    CHECK_CONTAINS(err.msg, "--set KEEEP=5: the scenario never reads KEEEP (it uses KEEP");
    /* Read only in a callback that has not run yet: named in the code, so accepted. */
    const char *later = OK_PRELUDE_SRC "at('1m', function() record('x', LATER) end)\n";
    ss_set l[] = { { "LATER", "2", "--param" } };
    o.source = later;
    o.sets = l;
    CHECK_EQ_I(ss_sim_load(&sim, &o, &err), SS_OK);
    ss_sim_free(sim);
    /* Named only in a comment or a string: not read. */
    o.source = OK_PRELUDE_SRC "-- LATER is not used\nprint('LATER')\n";
    CHECK_EQ_I(ss_sim_load(&sim, &o, &err), SS_ERR_USAGE);
    CHECK_CONTAINS(err.msg, "--param LATER=2");
    /* A built-in cannot be set; names must be Lua names. */
    ss_set b[] = { { "snapshot", "1", NULL } };
    o.sets = b;
    CHECK_EQ_I(ss_sim_load(&sim, &o, &err), SS_ERR_USAGE);
    CHECK_CONTAINS(err.msg, "built-in");
    /* Integers stay integers, floats floats, the rest strings. */
    o.source = OK_PRELUDE_SRC "label = 'keep ' .. K\nkt, ft, st = math.type(K), math.type(F), type(S)\n";
    ss_set v[] = { { "K", "1", NULL }, { "F", "1.5", NULL }, { "S", "esx35", NULL } };
    o.sets = v;
    o.nsets = 3;
    CHECK_EQ_I(ss_sim_load(&sim, &o, &err), SS_OK);
    if (sim) {
        char buf[64];
        CHECK_STR(st_str(sim, "label", buf, sizeof buf), "keep 1");
        CHECK_STR(st_str(sim, "kt", buf, sizeof buf), "integer");
        CHECK_STR(st_str(sim, "ft", buf, sizeof buf), "float");
        CHECK_STR(st_str(sim, "st", buf, sizeof buf), "string");
    }
    ss_sim_free(sim);
}

/* ---- replications ---- */

static ss_experiment experiment(const char *dir, ss_plan *plan, int jobs)
{
    ss_experiment x;
    memset(&x, 0, sizeof x);
    x.run.path = TMP "/small.lua";
    x.plan = plan;
    x.dir = dir;
    x.jobs = jobs;
    return x;
}

/* Replication k is the same file alone, as part of N, with -j 1 or -j 2;
 * replication 0 is the plain run. */
static void t_replication_identity(void)
{
    write_text(TMP "/small.lua", small_src);
    sh("rm -rf " TMP "/rep1 " TMP "/rep2 " TMP "/rep3");
    ss_plan p;
    ss_plan_init(&p);
    p.replications = 3;
    ss_experiment x = experiment(TMP "/rep1", &p, 1);
    ss_xoutcome out;
    ss_error err;
    CHECK_EQ_I(ss_experiment_run(&x, &out, &err), SS_OK);
    CHECK_EQ_I(out.ok, 3);
    x.dir = TMP "/rep2";
    x.jobs = 2;
    CHECK_EQ_I(ss_experiment_run(&x, &out, &err), SS_OK);
    p.replications = 5;
    x.dir = TMP "/rep3";
    CHECK_EQ_I(ss_experiment_run(&x, &out, &err), SS_OK);
    CHECK_EQ_I(out.ok, 5);
    for (int k = 0; k < 3; k++) {
        char a[256], b[256], c[256];
        snprintf(a, sizeof a, TMP "/rep1/p0000-r%04d.h5", k);
        snprintf(b, sizeof b, TMP "/rep2/p0000-r%04d.h5", k);
        snprintf(c, sizeof c, TMP "/rep3/p0000-r%04d.h5", k);
        CHECK(same_file(a, b));
        CHECK(same_file(a, c));
    }
    CHECK(same_file(TMP "/rep1/index.h5", TMP "/rep2/index.h5"));
    /* Alone: replication 2 through ss_replicate, and 0 as a plain run. */
    ss_options o;
    memset(&o, 0, sizeof o);
    o.path = TMP "/small.lua";
    o.out = st_null();
    ss_result r = { SS_RUN_MISSING, 0, NULL, NULL };
    ss_replicate(&o, 2, TMP "/rep_alone2.h5", &r);
    CHECK(r.status == SS_RUN_OK);
    CHECK_EQ_U(r.seed, ss_replication_seed(3, 2));
    ss_result_clear(&r);
    CHECK(same_file(TMP "/rep_alone2.h5", TMP "/rep1/p0000-r0002.h5"));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s run %s/small.lua -q -o %s/plain.h5 > /dev/null", SNAPSIM_BINARY, TMP, TMP);
    CHECK_EQ_I(sh(cmd), 0);
    CHECK(same_file(TMP "/plain.h5", TMP "/rep1/p0000-r0000.h5"));
    ss_plan_free(&p);
}

/* The index's /summary is the statistics of /metrics: mean and 95 % CI
 * from the three runs' values, with t(0.975, 2) = 4.302653 (tables). */
static void t_index_summary(void)
{
    hid_t f = H5Fopen(TMP "/rep1/index.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    if (f < 0) return;
    hsize_t nf, nm, ns;
    CHECK(H5TBget_table_info(f, "/metrics", &nf, &nm) >= 0);
    CHECK(H5TBget_table_info(f, "/summary", &nf, &ns) >= 0);
    typedef struct { int64_t run; char scope[16], entity[64], metric[32], unit[8]; double value; } mrow;
    size_t moff[6] = { HOFFSET(mrow, run), HOFFSET(mrow, scope), HOFFSET(mrow, entity), HOFFSET(mrow, metric),
                       HOFFSET(mrow, unit), HOFFSET(mrow, value) };
    size_t msz[6] = { 8, 16, 64, 32, 8, 8 };
    mrow *m = calloc(nm, sizeof *m);
    CHECK(H5TBread_table(f, "/metrics", sizeof(mrow), moff, msz, m) >= 0);
    double v[3];
    int k = 0;
    for (hsize_t i = 0; i < nm && k < 3; i++)
        if (strcmp(m[i].scope, "datastore") == 0 && strcmp(m[i].metric, "peak_used") == 0) v[k++] = m[i].value;
    CHECK_EQ_I(k, 3);
    double mean = (v[0] + v[1] + v[2]) / 3;
    double var = ((v[0] - mean) * (v[0] - mean) + (v[1] - mean) * (v[1] - mean) + (v[2] - mean) * (v[2] - mean)) / 2;
    double half = 4.302653 * sqrt(var / 3);
    typedef struct { int64_t point; char scope[16], entity[64], metric[32], unit[8]; int64_t n, runs;
                     double mean, sd, lo, hi, min, max, p95; } srow;
    size_t soff[14] = { HOFFSET(srow, point), HOFFSET(srow, scope), HOFFSET(srow, entity), HOFFSET(srow, metric),
                        HOFFSET(srow, unit), HOFFSET(srow, n), HOFFSET(srow, runs), HOFFSET(srow, mean),
                        HOFFSET(srow, sd), HOFFSET(srow, lo), HOFFSET(srow, hi), HOFFSET(srow, min),
                        HOFFSET(srow, max), HOFFSET(srow, p95) };
    size_t ssz[14] = { 8, 16, 64, 32, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8 };
    srow *s = calloc(ns, sizeof *s);
    CHECK(H5TBread_table(f, "/summary", sizeof(srow), soff, ssz, s) >= 0);
    int found = 0;
    for (hsize_t i = 0; i < ns; i++) {
        if (strcmp(s[i].scope, "datastore") || strcmp(s[i].metric, "peak_used")) continue;
        found = 1;
        CHECK_EQ_I(s[i].n, 3);
        CHECK_NEAR(s[i].mean, mean, 1e-6 * mean);
        CHECK_NEAR(s[i].hi - s[i].mean, half, 1e-6 * half + 1e-3);
        CHECK_NEAR(s[i].lo, s[i].mean - (s[i].hi - s[i].mean), 1e-3);
        CHECK(half > 0);   /* the replications differ */
    }
    CHECK(found);
    free(m);
    free(s);
    H5Fclose(f);
}

/* ---- sweeps ---- */

/* A run that fails is recorded with its error, the others complete; the
 * CLI exits 1; the labels are the parameters. */
static void t_failed_run_recorded(void)
{
    write_text(TMP "/failing.lua",
               "scenario { name = 'f', duration = '10m', seed = 1 }\n"
               "datastore 'ds' { capacity = '10GB' }\n"
               "host 'h' {}\n"
               "vm 'v' { host = 'h', disk = { size = '1GB', format = 'ideal' } }\n"
               "at('1m', function() if N == 2 then revert('v', 'ghost') end end)\n");
    sh("rm -rf " TMP "/fail");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s sweep %s/failing.lua --param N=1..3 --replications 2 -j 2 -q -o %s/fail > %s/fail.out",
             SNAPSIM_BINARY, TMP, TMP, TMP);
    CHECK_EQ_I(sh(cmd), 1);
    hid_t f = H5Fopen(TMP "/fail/index.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    if (f < 0) return;
    hsize_t nf, nr;
    CHECK(H5TBget_table_info(f, "/runs", &nf, &nr) >= 0);
    CHECK_EQ_U(nr, 6);
    typedef struct { char n[64], status[8], error[256]; } row;
    size_t off[3] = { HOFFSET(row, n), HOFFSET(row, status), HOFFSET(row, error) };
    size_t sz[3] = { 64, 8, 256 };
    row r[6];
    CHECK(H5TBread_fields_name(f, "/runs", "N,status,error", 0, 6, sizeof(row), off, sz, r) >= 0);
    for (int i = 0; i < 6; i++) {
        CHECK_STR(r[i].n, i < 2 ? "1" : i < 4 ? "2" : "3");
        CHECK_STR(r[i].status, i / 2 == 1 ? "failed" : "ok");
        if (i / 2 == 1) CHECK_CONTAINS(r[i].error, "failing.lua:5:");
    }
    H5Fclose(f);
    CHECK(access(TMP "/fail/p0001-r0000.h5", F_OK) != 0);
    CHECK(access(TMP "/fail/p0002-r0001.h5", F_OK) == 0);
    /* An unread --param is refused before anything runs (exit 2). */
    snprintf(cmd, sizeof cmd, "%s sweep %s/failing.lua --param NN=1,2 -q -o %s/fail2 2> %s/fail2.err",
             SNAPSIM_BINARY, TMP, TMP, TMP);
    CHECK_EQ_I(sh(cmd), 2);
    CHECK_EQ_I(sh("grep -q 'never reads NN' " TMP "/fail2.err"), 0);
    CHECK(access(TMP "/fail2/journal", F_OK) != 0);
}

/* A worker that crashes is that run's outcome; the others complete. */
static void crash_work(void *ctx, int job, ss_result *r)
{
    (void)ctx;
    if (job == 1) abort();   /* SIGABRT (ASan would catch a SIGSEGV and exit 1 itself) */
    if (job == 2) _exit(7);
    r->status = SS_RUN_OK;
    r->seed = (uint64_t)job * 10;
}

static void collect(void *ctx, int job, int pid, ss_result *r)
{
    (void)pid;
    ss_result *res = ctx;
    res[job] = *r;
    *r = (ss_result){ SS_RUN_MISSING, 0, NULL, NULL };
}

static void t_worker_crash(void)
{
    ss_result res[5];
    memset(res, 0, sizeof res);
    ss_pool *p = ss_pool_new(2, crash_work, NULL);
    ss_error err;
    int next = 0;
    while (next < 5 || ss_pool_busy(p)) {
        while (ss_pool_idle(p) && next < 5) CHECK_EQ_I(ss_pool_start(p, next++, &err), SS_OK);
        ss_pool_wait(p, -1, collect, res);
    }
    ss_pool_free(p);
    CHECK(res[0].status == SS_RUN_OK && res[0].seed == 0);
    CHECK(res[1].status == SS_RUN_CRASHED);
    CHECK_CONTAINS(res[1].error, "signal 6");
    CHECK(res[2].status == SS_RUN_CRASHED);
    CHECK_CONTAINS(res[2].error, "status 7");
    CHECK(res[3].status == SS_RUN_OK && res[3].seed == 30);
    CHECK(res[4].status == SS_RUN_OK && res[4].seed == 40);
    for (int i = 0; i < 5; i++) ss_result_clear(&res[i]);
}

/* --resume after the sweep was killed midway (SIGKILL to its process
 * group: no chance to clean up) reruns only the missing runs and ends with
 * the same index, byte for byte, as an uninterrupted sweep. */
static int journal_ends(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f)) n += strncmp(line, "end ", 4) == 0;
    fclose(f);
    return n;
}

static void t_resume(void)
{
    write_text(TMP "/slow.lua",
               "local keep = KEEP or 1\n"
               "scenario { name = 'slow ' .. keep, duration = '6h', seed = 11 }\n"
               "datastore 'ds' { capacity = '40GB', bandwidth = '200MB/s' }\n"
               "host 'h' {}\n"
               "vm 'v' { host = 'h', disk = { size = '8GB', format = 'ideal' }, power = 'on',\n"
               "         workload = { rate = '4MB/s', io_size = '64KB' } }\n"
               "every('1h', function() snapshot('v', 'n' .. now())\n"
               "  local s = snapshots('v'); if #s > keep then delete_snapshot('v', s[1]) end end)\n");
    sh("rm -rf " TMP "/res_full " TMP "/res_cut");
    const char *args = "--param KEEP=1,2 --replications 4 -j 1 -q";
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s sweep %s/slow.lua %s -o %s/res_full > /dev/null", SNAPSIM_BINARY, TMP, args, TMP);
    CHECK_EQ_I(sh(cmd), 0);
    /* Kill the sweep's process group once 3 of its 8 runs are journalled. On a loaded machine the
     * poll may wake only after every run ended: then the cut proves nothing, so start again. */
    int ends = 0;
    for (int attempt = 0; attempt < 5; attempt++) {
        sh("rm -rf " TMP "/res_cut");
        pid_t pid = fork();
        if (pid == 0) {
            setpgid(0, 0);
            snprintf(cmd, sizeof cmd, "%s/slow.lua", TMP);
            execl(SNAPSIM_BINARY, SNAPSIM_BINARY, "sweep", cmd, "--param", "KEEP=1,2", "--replications", "4", "-j",
                  "1", "-q", "-o", TMP "/res_cut", (char *)NULL);
            _exit(127);
        }
        setpgid(pid, pid);
        for (int i = 0; i < 20000 && journal_ends(TMP "/res_cut/journal") < 3; i++)
            nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
        kill(-pid, SIGSTOP);   /* freeze it before counting: nothing more can end */
        ends = journal_ends(TMP "/res_cut/journal");
        kill(-pid, SIGKILL);
        waitpid(pid, NULL, 0);
        if (ends < 8) break;
    }
    CHECK(ends >= 3 && ends < 8);
    snprintf(cmd, sizeof cmd, "%s sweep %s/slow.lua %s -o %s/res_cut > /dev/null 2>&1", SNAPSIM_BINARY, TMP, args, TMP);
    CHECK_EQ_I(sh(cmd), 2);   /* without --resume: refused */
    snprintf(cmd, sizeof cmd, "%s sweep %s/slow.lua %s -o %s/res_cut --resume > /dev/null", SNAPSIM_BINARY, TMP, args,
             TMP);
    CHECK_EQ_I(sh(cmd), 0);
    CHECK_EQ_I(journal_ends(TMP "/res_cut/journal"), 8);   /* nothing done was done again */
    CHECK(same_file(TMP "/res_full/index.h5", TMP "/res_cut/index.h5"));
    CHECK_EQ_I(sh("ls " TMP "/res_cut | grep -q tmp-"), 1);   /* no temporary file left */
    /* Other options on --resume are refused. */
    snprintf(cmd, sizeof cmd, "%s sweep %s/slow.lua --param KEEP=1,3 --replications 4 -q -o %s/res_cut --resume "
             "2> /dev/null", SNAPSIM_BINARY, TMP, TMP);
    CHECK_EQ_I(sh(cmd), 2);
}

static const struct tl_test tl_tests[] = {
    TL(t_replication_seed), TL(t_stats_closed_form), TL(t_ci_coverage), TL(t_run_metrics), TL(t_sweep_grid), TL(t_set_checked),
    TL(t_replication_identity), TL(t_index_summary), TL(t_failed_run_recorded), TL(t_worker_crash), TL(t_resume),
    { 0, 0 },
};

int main(int argc, char **argv) { return tl_main(tl_tests, argc, argv); }
