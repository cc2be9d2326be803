/*
 * test_statmode.c -- the statistical fidelity against the exact one
 * (docs/model.md "Statistical fidelity"), and its counting rules by hand.
 *
 * Validation: the same scenario, replications with fixed seeds in each
 * fidelity; per metric (the two deltas' data and sizes, the regions a
 * vmfsSparse delta's grain tables cover, the merges' growth, the deletion's
 * peak extra, the datastore's peak) the statistical mean must be within
 * 1 % of the exact one and its standard deviation within 20 %.
 *
 * How many replications (R per fidelity).  With independent samples:
 *  - means: the difference of the two sample means has standard error
 *    se = sqrt((sd_e^2 + sd_s^2) / R) ~ sd sqrt(2/R); a tolerance of 1 % of
 *    the mean should be >= 3 se so that a correct model fails with
 *    probability < 0.3 %:  R >= 18 (sd/mean)^2 / 0.01^2 = 1.8e5 CV^2.  Our
 *    metrics have CV <= 2 % (Poisson arrivals and occupancy), so R >= 72;
 *    the test checks this bound with the CV it measures.
 *  - standard deviations: for near-normal samples, sd(ln s) = 1/sqrt(2(R-1))
 *    per sample, so ln(s_s/s_e) has standard error 1/sqrt(R-1); the
 *    tighter side of the 20 % band, ln 1.2 = 0.182, should be >= 3 of them:
 *    R - 1 >= 9 / 0.182^2 = 271.  R = 280 replications per fidelity.
 * Runs are short (4 min simulated, 100 I/Os per second on a 32 MiB disk:
 * 24,000 I/Os) so that 2 x 280 runs take a few seconds.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "model/content.h"
#include "model/occupancy.h"
#include "simtest.h"

#define REPS 280

enum { M_A1, M_A2, M_S1, M_S2, M_R1, M_G, M_PE, M_DP, NMET };
static const char *const met_name[NMET] = { "A1", "A2", "S1", "S2", "R1", "G", "PE", "DP" };

static const char *const tmpl =
    "scenario { name = 'sv', duration = '4m', seed = %d, fidelity = '%s' }\n"
    "datastore 'ds' { capacity = '64GB', bandwidth = '20MB/s' }\n"
    "host 'h' {}\n"
    "vm 'v' { host = 'h', power = 'on', disk = { size = '%s', format = '%s', provisioning = 'thin' },\n"
    "         workload = { %s } }\n"
    "at('30s', function() snapshot('v', 's1') end)\n"
    "at('90s', function() snapshot('v', 's2') end)\n"
    "S = {}; G = 0\n"
    "at('150s', function()\n"
    "  local f = vm_state('v').files\n"
    "  A1 = f[2].allocated; A2 = f[3].allocated; S1 = f[2].size; S2 = f[3].size; R1 = f[2].regions\n"
    "  for _, x in ipairs(f) do S[x.name] = x.size end\n"
    "  delete_all('v', {strategy = 'esx35'})\n"
    "end)\n"
    "on('consolidation_step', function(e)\n"
    "  local to = e.detail:match('-> (%%S+)$')\n"
    "  for _, x in ipairs(vm_state('v').files) do\n"
    "    if x.name == to then G = G + (x.size - (S[to] or 0)); S[to] = x.size end\n"
    "  end\n"
    "end)\n"
    "on('consolidation_done', function(e) PE = e.peak_extra_bytes end)\n"
    "at('239s', function() DP = datastore_state('ds').peak_used end)\n";

static int run_one(const char *fid, int seed, const char *size, const char *fmt, const char *wl, double *m)
{
    char src[4096];
    snprintf(src, sizeof src, tmpl, seed, fid, size, fmt, wl);
    ss_error err;
    ss_sim *sim = st_run("sv.lua", src, NULL, &err);
    if (!sim) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    for (int i = 0; i < NMET; i++) m[i] = st_num(sim, met_name[i]);
    ss_sim_free(sim);
    return 0;
}

static void moments(double (*x)[NMET], int n, int k, double *mean, double *sd)
{
    double s = 0, ss = 0;
    for (int i = 0; i < n; i++) s += x[i][k];
    *mean = s / n;
    for (int i = 0; i < n; i++) ss += (x[i][k] - *mean) * (x[i][k] - *mean);
    *sd = sqrt(ss / (n - 1));
}

static double ex[REPS][NMET], st[REPS][NMET];

/* Compare the fidelities on one workload; `skip` marks metrics not
 * meaningful for the format (a bit per metric). */
static void compare(const char *what, const char *size, const char *fmt, const char *wl, unsigned skip)
{
    for (int r = 0; r < REPS; r++) {
        if (run_one("exact", 1000 + r, size, fmt, wl, ex[r]) || run_one("statistical", 1000 + r, size, fmt, wl, st[r])) {
            CHECK(0);
            return;
        }
    }
    for (int k = 0; k < NMET; k++) {
        if (skip & (1u << k)) continue;
        double me, se, ms, ss;
        moments(ex, REPS, k, &me, &se);
        moments(st, REPS, k, &ms, &ss);
        if (me == 0 && se == 0) {   /* nothing to compare: both must be 0 too */
            CHECK(ms == 0 && ss == 0);
            continue;
        }
        double rel = (ms - me) / me, ratio = se > 0 ? ss / se : (ss > 0 ? INFINITY : 1);
        double need = 1.8e5 * (se / me) * (se / me);   /* replications the mean check needs */
        printf("  %-8s %-3s exact %14.1f sd %11.1f | statistical %14.1f sd %11.1f | mean %+6.3f%% sd x%.3f (R needed %.0f)\n",
               what, met_name[k], me, se, ms, ss, 100 * rel, ratio, need);
        CHECK(need <= REPS);
        CHECK(fabs(rel) <= 0.01);
        /* A standard deviation below one grain's worth of bytes is noise
         * from sizes that are step functions: compare only real spread. */
        if (se > 4096 || ss > 4096) CHECK(ratio >= 0.8 && ratio <= 1.2);
    }
}

static void t_uniform(void)
{
    compare("uniform", "32MB", "ideal", "iops = 100, io_size = '4KB', pattern = 'uniform'", 1u << M_R1);
}

static void t_uniform_vmfs(void)
{
    compare("vmfs", "8GB", "vmfsSparse", "iops = 100, io_size = '4KB', pattern = 'uniform'", 0);
}

static void t_hotspot(void)
{
    compare("hotspot", "32MB", "ideal", "iops = 100, io_size = '4KB', pattern = 'hotspot', hot = { fraction = 0.2, share = 0.8 }",
            1u << M_R1);
}

static void t_zipf(void)
{
    compare("zipf", "32MB", "ideal", "iops = 100, io_size = '4KB', pattern = 'zipf', zipf = { s = 1.0 }", 1u << M_R1);
}

static void t_mixed(void)
{
    compare("mixed", "32MB", "ideal",
            "iops = 60, io_size = { {'4KB', 0.6}, {'16KB', 0.3}, {'64KB', 0.1} }, pattern = 'uniform'", 1u << M_R1);
}

/* A full datastore: the VM stalls at the write that does not fit.  A
 * 24 MiB datastore and a thin 32 MiB ideal disk (4 KiB grains, the base
 * grows by 4 KiB per grain): 4 KiB uniform writes stall once 6144 of the
 * 8192 grains are held, after about 8192 ln 4 = 11357 writes, ~113.6 s at
 * 100 I/Os per second.  The stall instants' mean within 1 % and sd within
 * 20 % (REPS from the derivation at the top). */
static void t_stall_instant(void)
{
    const char *tm =
        "scenario { name = 'st', duration = '150s', seed = %d, fidelity = '%s' }\n"
        "datastore 'ds' { capacity = '24MB' }\n"
        "host 'h' {}\n"
        "vm 'v' { host = 'h', power = 'on', disk = { size = '32MB', format = 'ideal', provisioning = 'thin' },\n"
        "         workload = { iops = 100, io_size = '4KB', pattern = 'uniform' } }\n"
        "T = -1; on('vm_stalled', function(e) if T < 0 then T = e.t end end)\n";
    static double t[2][REPS];
    for (int f = 0; f < 2; f++)
        for (int r = 0; r < REPS; r++) {
            char src[2048];
            snprintf(src, sizeof src, tm, 500 + r, f ? "statistical" : "exact");
            ss_error err;
            ss_sim *sim = st_run("st.lua", src, NULL, &err);
            if (!sim) { fprintf(stderr, "%s\n", err.msg); CHECK(0); return; }
            t[f][r] = st_num(sim, "T");
            CHECK(t[f][r] > 0);
            CHECK_EQ_I(st_num(sim, "datastore_state('ds').used"), 24 << 20);
            ss_sim_free(sim);
        }
    double m[2], sd[2];
    for (int f = 0; f < 2; f++) {
        double a = 0, b = 0;
        for (int r = 0; r < REPS; r++) a += t[f][r];
        m[f] = a / REPS;
        for (int r = 0; r < REPS; r++) b += (t[f][r] - m[f]) * (t[f][r] - m[f]);
        sd[f] = sqrt(b / (REPS - 1));
    }
    printf("  stall t: exact %.3f s sd %.3f | statistical %.3f s sd %.3f\n", m[0], sd[0], m[1], sd[1]);
    CHECK(fabs(m[0] - 8192 * log(4.0) / 100) < 1.5);   /* the hand estimate, to its Poisson spread */
    CHECK(fabs(m[1] / m[0] - 1) <= 0.01);
    CHECK(sd[1] / sd[0] >= 0.8 && sd[1] / sd[0] <= 1.2);
}

/* set_workload may not change the cells of a disk counted statistically. */
static void t_set_workload_cells(void)
{
    const char *src =
        "scenario { name = 'sw', duration = '1m', seed = 1, fidelity = 'statistical' }\n"
        "datastore 'ds' { capacity = '10GB' }\n"
        "host 'h' {}\n"
        "vm 'v' { host = 'h', power = 'on', disk = { size = '1GB', format = 'ideal' },\n"
        "         workload = { iops = 100, io_size = '4KB', pattern = 'uniform' } }\n"
        "at('10s', function()\n"
        "  OK1 = pcall(set_workload, 'v', { iops = 300, io_size = '4KB', pattern = 'uniform', arrivals = 'constant' })\n"
        "  OK2, MSG = pcall(set_workload, 'v', { iops = 100, io_size = '4KB', pattern = 'hotspot' })\n"
        "end)\n";
    ss_error err;
    ss_sim *sim = st_run("sw.lua", src, NULL, &err);
    if (!sim) { fprintf(stderr, "%s\n", err.msg); CHECK(0); return; }
    CHECK(st_num(sim, "OK1 and 1 or 0") == 1);
    CHECK(st_num(sim, "OK2 and 1 or 0") == 0);
    char buf[512];
    CHECK_CONTAINS(st_str(sim, "MSG", buf, sizeof buf), "must keep its pattern, region, hot part and io_size");
    ss_sim_free(sim);
}

/* ---- the counting rules by hand ---- */

/* Moments of the distinct count: n = 4, k = 2: D = 1 w.p. 1/4, 2 w.p. 3/4:
 * mean 1.75, variance 3/16. */
static void t_occupancy_moments(void)
{
    double m, v;
    ss_occ_moments(4, 2, &m, &v);
    CHECK_NEAR(m, 1.75, 1e-12);
    CHECK_NEAR(v, 0.1875, 1e-12);
    /* n = 3, k = 3: D = 1 (3/27), 2 (18/27), 3 (6/27): mean 57/27 = 19/9,
     * E[D^2] = (3 + 72 + 54)/27 = 43/9 */
    ss_occ_moments(3, 3, &m, &v);
    CHECK_NEAR(m, 19.0 / 9, 1e-12);
    CHECK_NEAR(v, 43.0 / 9 - (19.0 / 9) * (19.0 / 9), 1e-12);
    /* large n: 65536 (1 - (1 - 1/65536)^36000) */
    ss_occ_moments(65536, 36000, &m, &v);
    CHECK_NEAR(m, 65536 * (1 - pow(1 - 1.0 / 65536, 36000)), 1e-6);
}

/* The draws have the exact means: occupancy (small: sequential; large:
 * normal), hypergeometric beyond 32 bits, groups. */
static void t_occupancy_draws(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    const int n = 20000;
    double s = 0, s2 = 0, m, v;
    for (int i = 0; i < n; i++) {
        double d = (double)ss_occ_distinct(rng, 1000, 2000);
        s += d;
        s2 += d * d;
    }
    ss_occ_moments(1000, 2000, &m, &v);
    /* mean within 4 standard errors, variance within 10 % (sd of a sample
     * variance ~ v sqrt(2/n) = 1 % of v) */
    CHECK(fabs(s / n - m) < 4 * sqrt(v / n));
    CHECK(fabs((s2 / n - (s / n) * (s / n)) / v - 1) < 0.1);
    /* Hypergeometric(t = 10^9; n1 = 2^33, n2 = 2^34): mean t/3, variance
     * t (1/3)(2/3)(N - t)/(N - 1) */
    double N = 3 * 8589934592.0, t = 1e9, vh = t / 3 * 2 / 3 * (N - t) / (N - 1);
    s = 0;
    for (int i = 0; i < 2000; i++) s += (double)ss_occ_hyper(rng, 1000000000, 8589934592ULL, 17179869184ULL);
    CHECK(fabs(s / 2000 - t / 3) < 4 * sqrt(vh / 2000));
    /* the symmetric cases, exactly: all drawn, no successes, no failures */
    CHECK_EQ_I(ss_occ_hyper(rng, 50, 20, 30), 20);
    CHECK_EQ_I(ss_occ_hyper(rng, 10, 0, 30), 0);
    CHECK_EQ_I(ss_occ_hyper(rng, 10, 30, 0), 10);
    /* groups: 100 items from 10 groups of 1000: P(missed) = C(9000,100)/C(10000,100) */
    double p0 = 1;
    for (int i = 0; i < 100; i++) p0 *= (9000.0 - i) / (10000.0 - i);
    s = 0;
    for (int i = 0; i < 4000; i++) s += (double)ss_occ_groups(rng, 100, 10, 1000);
    CHECK(fabs(s / 4000 - 10 * (1 - p0)) < 0.01);
    gsl_rng_free(rng);
}

/* A zone map of a uniform 4 KiB workload on a 64 MiB disk of 4 KiB
 * grains: one cell of N = 16384 slots. */
static ss_zonemap *uniform_map(ss_workload **wl)
{
    ss_workload_params p;
    memset(&p, 0, sizeof p);
    p.iops = 100;
    p.nsizes = 1;
    p.sizes[0] = 4096;
    p.pattern = SS_PAT_UNIFORM;
    char why[200];
    *wl = ss_workload_new(&p, 64u << 20, why, sizeof why);
    return *wl ? ss_zones_new(*wl, 12, 11) : NULL;
}

static void put(ss_content *c, uint64_t dx)
{
    ss_ct_plan p;
    ss_ct_plan_slots(c, 0, dx, &p);
    ss_ct_commit(c, &p);
}

/* Two files holding a = 6000 and b = 5000 of N = 16384 slots: the union
 * holds a + b - H, H ~ Hypergeometric(b; a, N - a): mean ab/N = 1831.05,
 * variance b (a/N)(1 - a/N)(N - b)/(N - 1) = 806.6.  With an exact interval
 * of 1000 grains added to the first: its random grains overlap it by
 * Hypergeometric(1000; 6000, 10384), mean 366.2. */
static void t_union_overlap(void)
{
    ss_workload *wl;
    ss_zonemap *zm = uniform_map(&wl);
    CHECK(zm && zm->ncells == 1 && zm->cells[0].n == 16384 && zm->cells[0].m == 1);
    if (!zm) return;
    const int reps = 2000;
    double N = 16384, a = 6000, b = 5000, s = 0, se = 0;
    for (int i = 0; i < reps; i++) {
        ss_content x, y;
        ss_ct_init(&x, 20, zm);
        ss_ct_init(&y, 20, zm);
        put(&x, 6000);
        put(&y, 5000);
        CHECK_EQ_U(ss_ct_count(&x), 6000);
        uint64_t added = ss_ct_union(&x, &y);
        CHECK_EQ_U(ss_ct_count(&x), 6000 + added);
        s += (double)(11000 - ss_ct_count(&x));
        ss_content z;
        ss_ct_init(&z, 20, zm);
        put(&z, 6000);
        uint64_t add_e = ss_ct_add_range(&z, 100, 1000);
        CHECK_EQ_U(ss_ct_count(&z), 6000 + add_e);
        se += (double)(7000 - ss_ct_count(&z));
        ss_ct_free(&x);
        ss_ct_free(&y);
        ss_ct_free(&z);
    }
    double mh = a * b / N, vh = b * (a / N) * (1 - a / N) * (N - b) / (N - 1);
    CHECK(fabs(s / reps - mh) < 4 * sqrt(vh / reps));
    double me = 1000 * a / N, ve = 1000 * (a / N) * (1 - a / N) * (N - 1000) / (N - 1);
    CHECK(fabs(se / reps - me) < 4 * sqrt(ve / reps));
    ss_zones_free(zm);
    ss_workload_free(wl);
}

/* Regions: 2000 new slots in 1024 regions of 16 slots (region_shift 4):
 * touched regions have mean 1024 (1 - C(N - 16, 2000)/C(N, 2000)) = 903.6. */
static void t_regions(void)
{
    ss_workload *wl;
    ss_zonemap *zm = uniform_map(&wl);
    if (!zm) { CHECK(0); return; }
    double p0 = 1, N = 16384;
    for (int i = 0; i < 2000; i++) p0 *= (N - 16 - i) / (N - i);
    double want = 1024 * (1 - p0), s = 0, s2 = 0;
    const int reps = 2000;
    for (int i = 0; i < reps; i++) {
        ss_content x;
        ss_ct_init(&x, 4, zm);
        put(&x, 1000);   /* in two steps: the second sees the first's regions */
        put(&x, 1000);
        double t = (double)ss_ct_regions(&x);
        s += t;
        s2 += t * t;
        ss_ct_free(&x);
    }
    double mean = s / reps, sd = sqrt(s2 / reps - mean * mean);
    CHECK(fabs(mean - want) < 4 * sd / sqrt(reps) + 0.5);
    ss_zones_free(zm);
    ss_workload_free(wl);
}

int main(int argc, char **argv)
{
    static const struct tl_test tests[] = {
        TL(t_occupancy_moments), TL(t_occupancy_draws), TL(t_union_overlap), TL(t_regions), TL(t_uniform),
        TL(t_uniform_vmfs), TL(t_hotspot), TL(t_zipf), TL(t_mixed), TL(t_stall_instant), TL(t_set_workload_cells), { NULL, NULL },
    };
    return tl_main(tests, argc, argv);
}
