/*
 * test_workload.c -- guest workloads (sim/workload.c): offsets and sizes
 * against closed forms, draw order against a manual replay, validation.
 *
 * Statistical checks use fixed seeds of gsl_rng_mt19937 and a tolerance of
 * 5 standard deviations of the checked statistic, the variance being
 * derived in the comment next to each check (a false failure has odds of
 * about 1 in 1.7 million per check for a normal statistic).
 */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "snapsim/workload.h"
#include "testlib.h"

#define KiB 1024ULL
#define GiB (1024ULL * 1024 * 1024)

static ss_workload_params base(void)
{
    ss_workload_params p;
    memset(&p, 0, sizeof p);
    p.iops = 1000;
    p.nsizes = 1;
    p.sizes[0] = 4 * KiB;
    p.weights[0] = 1;
    p.arrivals = SS_ARR_CONSTANT;
    p.pattern = SS_PAT_UNIFORM;
    return p;
}

static gsl_rng *rng_new(unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    return r;
}

static ss_workload *mk(const ss_workload_params *p, uint64_t cap)
{
    char why[256] = "";
    ss_workload *wl = ss_workload_new(p, cap, why, sizeof why);
    if (!wl) fprintf(stderr, "unexpected error: %s\n", why);
    CHECK(wl != NULL);
    return wl;
}

/* (1 - x)^k computed without losing x when it is tiny. */
static double pow1m(double x, double k) { return exp(k * log1p(-x)); }

/* --- uniform ------------------------------------------------------- */

/* k I/Os into N slots.  The number of empty slots X has E X = N(1-1/N)^k
 * and E X(X-1) = N(N-1)(1-2/N)^k, so the distinct count D = N - X has
 * E D = N(1-(1-1/N)^k) and Var D = N(N-1)(1-2/N)^k + N(1-1/N)^k - N^2(1-1/N)^2k. */
static void uniform_case(uint64_t n, uint64_t k, unsigned long seed)
{
    ss_workload_params p = base();
    p.region_offset = 7 * 4 * KiB;
    p.region_size = n * 4 * KiB + 3 * KiB;      /* a tail too short for a slot */
    uint64_t cap = p.region_offset + p.region_size + 64 * KiB;
    ss_workload *wl = mk(&p, cap);
    if (!wl) return;
    gsl_rng *r = rng_new(seed);
    unsigned char *seen = calloc(n, 1);
    uint64_t distinct = 0, bad = 0;
    for (uint64_t i = 0; i < k; i++) {
        ss_io io;
        ss_workload_next(wl, r, &io);
        if (io.len != 4 * KiB || io.offset % io.len || io.offset < p.region_offset ||
            io.offset + io.len > p.region_offset + n * 4 * KiB || io.is_read || io.du != 1.0) {
            bad++;
            continue;
        }
        uint64_t s = (io.offset - p.region_offset) / io.len;
        if (!seen[s]) { seen[s] = 1; distinct++; }
    }
    double N = (double)n, K = (double)k;
    double e = N * (1 - pow1m(1 / N, K));
    double var = N * (N - 1) * pow1m(2 / N, K) + N * pow1m(1 / N, K) - N * N * pow1m(1 / N, 2 * K);
    CHECK_EQ_U(bad, 0);
    CHECK_NEAR((double)distinct, e, 5 * sqrt(var));
    free(seen);
    gsl_rng_free(r);
    ss_workload_free(wl);
}

static void t_uniform_distinct(void)
{
    uniform_case(1000, 300, 1);
    uniform_case(1000, 1000, 2);
    uniform_case(1000, 4000, 3);
    uniform_case(100000, 100000, 4);
    uniform_case(1000003, 700000, 5);
    uniform_case(1000003, 2000000, 6);
}

/* The uniform slot is documented as exactly gsl_rng_uniform_int's value
 * (computed without its division): replay it for slot counts that exercise
 * the division's rounding and GSL's rejection of k >= n (n = 3e9: scale 1,
 * 30% of draws rejected; n = 2^32-1; n = 1: x = 2^32-1 is rejected; n = 3:
 * scale divides 2^32-1 exactly). */
static void t_uniform_is_gsl_uniform_int(void)
{
    static const uint64_t ns[] = { 1, 2, 3, 5, 7, 1000, 26214400, 1431655765, 1431655766,
                                   3000000000ULL, 4294967295ULL };
    for (size_t c = 0; c < sizeof ns / sizeof ns[0]; c++) {
        ss_workload_params p = base();
        p.sizes[0] = 512;
        ss_workload *wl = mk(&p, ns[c] * 512);
        if (!wl) continue;
        gsl_rng *r1 = rng_new(100 + c), *r2 = rng_new(100 + c);
        uint64_t mism = 0;
        for (int i = 0; i < 20000; i++) {
            ss_io io;
            ss_workload_next(wl, r1, &io);
            if (io.offset != gsl_rng_uniform_int(r2, ns[c]) * 512) mism++;
        }
        CHECK_EQ_U(mism, 0);
        CHECK_EQ_U(gsl_rng_get(r1), gsl_rng_get(r2));
        gsl_rng_free(r1);
        gsl_rng_free(r2);
        ss_workload_free(wl);
    }
}

/* Beyond the generator's range: 2^33 + 5 slots of 512 B (4 TiB) with
 * mt19937, and 2^26 slots with ranlux (24-bit range), where the documented
 * path within range is gsl_rng_uniform_int (replayed exactly for n = 1000).
 * The slot fraction s/N of n draws has mean 1/2 and variance 1/(12 n). */
static void t_uniform_big(void)
{
    const gsl_rng_type *types[] = { gsl_rng_mt19937, gsl_rng_ranlux };
    const uint64_t ns[] = { (1ULL << 33) + 5, 1ULL << 26 };
    for (int c = 0; c < 2; c++) {
        ss_workload_params p = base();
        p.sizes[0] = 512;
        ss_workload *wl = mk(&p, ns[c] * 512);
        if (!wl) continue;
        gsl_rng *r = gsl_rng_alloc(types[c]);
        gsl_rng_set(r, 9);
        const int n = 200000;
        double sum = 0;
        uint64_t out = 0, hi = 0;
        for (int i = 0; i < n; i++) {
            ss_io io;
            ss_workload_next(wl, r, &io);
            uint64_t s = io.offset / 512;
            if (s >= ns[c] || io.offset % 512) out++;
            if (s >= ns[c] / 2) hi++;
            sum += (double)s / (double)ns[c];
        }
        CHECK_EQ_U(out, 0);
        CHECK_NEAR(sum / n, 0.5, 5 * sqrt(1.0 / 12 / n));
        /* upper half: Binomial(n, 1/2) */
        CHECK_NEAR((double)hi, n / 2.0, 5 * sqrt(n * 0.25));
        gsl_rng_free(r);
        ss_workload_free(wl);
    }
    ss_workload_params p = base();
    p.sizes[0] = 512;
    ss_workload *wl = mk(&p, 1000 * 512);
    gsl_rng *r1 = gsl_rng_alloc(gsl_rng_ranlux), *r2 = gsl_rng_alloc(gsl_rng_ranlux);
    uint64_t mism = 0;
    for (int i = 0; wl && i < 5000; i++) {
        ss_io io;
        ss_workload_next(wl, r1, &io);
        if (io.offset != gsl_rng_uniform_int(r2, 1000) * 512) mism++;
    }
    CHECK_EQ_U(mism, 0);
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    ss_workload_free(wl);
}

/* --- sequential ---------------------------------------------------- */

/* Region of 10 slots of 8 KiB, plus a 4 KiB tail or not: the I/Os go to
 * slots 0,1,...,9,0,1,... (the 11th would not fit), so I/O i is at
 * roff + (i mod 10) * 8 KiB and the distinct bytes after k I/Os are
 * min(k, 10) * 8 KiB.  No draw is made (constant arrivals, one size,
 * read_ratio 0), so the generator is untouched. */
static void t_sequential_exact(void)
{
    for (uint64_t tail = 0; tail <= 4 * KiB; tail += 4 * KiB) {
        ss_workload_params p = base();
        p.pattern = SS_PAT_SEQUENTIAL;
        p.sizes[0] = 8 * KiB;
        p.region_offset = 1 * GiB;
        p.region_size = 10 * 8 * KiB + tail;
        ss_workload *wl = mk(&p, 2 * GiB);
        if (!wl) return;
        gsl_rng *r1 = rng_new(5), *r2 = rng_new(5);
        unsigned char seen[10] = { 0 };
        uint64_t bytes = 0;
        for (uint64_t i = 0; i < 35; i++) {
            ss_io io;
            ss_workload_next(wl, r1, &io);
            CHECK_EQ_U(io.offset, 1 * GiB + (i % 10) * 8 * KiB);
            CHECK_EQ_U(io.len, 8 * KiB);
            uint64_t s = (io.offset - 1 * GiB) / (8 * KiB);
            if (s < 10 && !seen[s]) { seen[s] = 1; bytes += io.len; }
            uint64_t k = i + 1;
            CHECK_EQ_U(bytes, (k < 10 ? k : 10) * 8 * KiB);
        }
        CHECK_EQ_U(gsl_rng_get(r1), gsl_rng_get(r2));
        gsl_rng_free(r1);
        gsl_rng_free(r2);
        ss_workload_free(wl);
    }
}

/* Mixed sizes: each I/O starts where the previous ended, unless it would
 * cross the region's end, then it starts at the region's start. */
static void t_sequential_mixed(void)
{
    ss_workload_params p = base();
    p.pattern = SS_PAT_SEQUENTIAL;
    p.nsizes = 3;
    p.sizes[0] = 4 * KiB;  p.weights[0] = 1;
    p.sizes[1] = 8 * KiB;  p.weights[1] = 1;
    p.sizes[2] = 64 * KiB; p.weights[2] = 1;
    p.region_offset = 64 * KiB;
    p.region_size = 1000 * KiB;
    ss_workload *wl = mk(&p, 4 * GiB);
    if (!wl) return;
    gsl_rng *r = rng_new(6);
    uint64_t end = p.region_offset, bad = 0, wraps = 0;
    for (int i = 0; i < 10000; i++) {
        ss_io io;
        ss_workload_next(wl, r, &io);
        uint64_t want = end + io.len <= p.region_offset + p.region_size ? end : p.region_offset;
        if (want != end) wraps++;
        if (io.offset != want) bad++;
        end = io.offset + io.len;
    }
    CHECK_EQ_U(bad, 0);
    CHECK(wraps > 100);   /* mean size 76/3 KiB: ~40 I/Os per lap */
    gsl_rng_free(r);
    ss_workload_free(wl);
}

/* --- hotspot ------------------------------------------------------- */

/* Hot part: floor(f*R/A)*A bytes (A = lcm of the sizes).  Each I/O lands
 * in the hot part with probability h: the hot count of k I/Os is
 * Binomial(k, h).  Each hot slot is hit with probability q = h/N_h per I/O,
 * each cold slot with (1-h)/N_c, so E distinct = N_h(1-(1-h/N_h)^k) +
 * N_c(1-(1-(1-h)/N_c)^k).  The slot-occupancy indicators are negatively
 * associated (balls into bins), so Var distinct <= sum over slots of
 * Q(1-Q), Q the slot's probability of being hit at least once. */
static void hotspot_case(double f, double h, uint64_t nslots, uint64_t k, unsigned long seed)
{
    ss_workload_params p = base();
    p.pattern = SS_PAT_HOTSPOT;
    p.hot_fraction = f;
    p.hot_share = h;
    p.region_offset = 1 * GiB;
    p.region_size = nslots * 4 * KiB;
    ss_workload *wl = mk(&p, 4 * GiB);
    if (!wl) return;
    uint64_t nh = (uint64_t)floor(f * (double)nslots), nc = nslots - nh;
    gsl_rng *r = rng_new(seed);
    unsigned char *seen = calloc(nslots, 1);
    uint64_t distinct = 0, hot = 0, bad = 0;
    for (uint64_t i = 0; i < k; i++) {
        ss_io io;
        ss_workload_next(wl, r, &io);
        if (io.offset < p.region_offset || io.offset % io.len ||
            io.offset + io.len > p.region_offset + p.region_size) { bad++; continue; }
        uint64_t s = (io.offset - p.region_offset) / io.len;
        if (s < nh) hot++;
        if (!seen[s]) { seen[s] = 1; distinct++; }
    }
    double K = (double)k, qh = 1 - pow1m(h / nh, K), qc = 1 - pow1m((1 - h) / nc, K);
    double e = nh * qh + nc * qc;
    double var = nh * qh * (1 - qh) + nc * qc * (1 - qc);
    CHECK_EQ_U(bad, 0);
    CHECK_NEAR((double)distinct, e, 5 * sqrt(var) + 1e-9);
    CHECK_NEAR((double)hot, K * h, 5 * sqrt(K * h * (1 - h)) + 1e-9);
    free(seen);
    gsl_rng_free(r);
    ss_workload_free(wl);
}

static void t_hotspot(void)
{
    hotspot_case(0.1, 0.9, 100000, 50000, 11);
    hotspot_case(0.1, 0.9, 100000, 400000, 12);
    hotspot_case(0.25, 0.5, 12345, 20000, 13);   /* hot part rounds down: 3086 slots */
    hotspot_case(0.5, 1.0, 2000, 3000, 14);      /* everything hot: 0 cold slots touched */
}

/* --- zipf ---------------------------------------------------------- */

static uint64_t gcd(uint64_t a, uint64_t b) { while (b) { uint64_t t = a % b; a = b; b = t; } return a; }

/* The documented scramble: slot = a*(r-1) mod n, a the first integer >=
 * max(1, floor(n*0.6180339887498949)) coprime to n.  Returns the
 * multiplier; fills rank_of[slot] (1-based ranks). */
static uint64_t zipf_scramble(uint64_t n, uint64_t *rank_of)
{
    uint64_t a = (uint64_t)((double)n * 0.6180339887498949);
    if (a < 1) a = 1;
    while (gcd(a, n) != 1) a++;
    for (uint64_t i = 0; i < n; i++) rank_of[i] = 0;
    for (uint64_t r = 1; r <= n; r++) rank_of[(a % n) * ((r - 1) % n) % n] = r;
    return a;
}

/* Ranks of k draws over n slots, exponent s: with p_r = r^-s / sum_j j^-s,
 *  - chi-square over all n ranks with n - 1 degrees of freedom: mean n-1,
 *    variance 2(n-1); accepted below n-1 + 5 sqrt(2(n-1));
 *  - the rank-1 count is Binomial(k, p_1);
 *  - distinct slots after the first m draws: E = sum_r q_r with
 *    q_r = 1-(1-p_r)^m, Var <= sum_r q_r(1-q_r) (negative association). */
static void zipf_case(uint64_t n, double s, uint64_t k, uint64_t m, unsigned long seed)
{
    ss_workload_params p = base();
    p.pattern = SS_PAT_ZIPF;
    p.zipf_s = s;
    p.region_offset = 64 * KiB;
    p.region_size = n * 4 * KiB;
    ss_workload *wl = mk(&p, p.region_offset + p.region_size);
    if (!wl) return;
    uint64_t *rank_of = malloc(n * sizeof *rank_of);
    uint64_t *count = calloc(n + 1, sizeof *count);
    double *pr = malloc((n + 1) * sizeof *pr);
    zipf_scramble(n, rank_of);
    uint64_t unmapped = 0;
    for (uint64_t i = 0; i < n; i++) unmapped += rank_of[i] == 0;
    CHECK_EQ_U(unmapped, 0);   /* the test's own map is a bijection */
    double hsum = 0;
    for (uint64_t r = n; r >= 1; r--) hsum += pow((double)r, -s);   /* small terms first */
    for (uint64_t r = 1; r <= n; r++) pr[r] = pow((double)r, -s) / hsum;

    gsl_rng *g = rng_new(seed);
    unsigned char *seen = calloc(n, 1);
    uint64_t distinct = 0, bad = 0;
    for (uint64_t i = 0; i < k; i++) {
        ss_io io;
        ss_workload_next(wl, g, &io);
        if (io.offset < p.region_offset || io.offset % io.len ||
            io.offset + io.len > p.region_offset + p.region_size) { bad++; continue; }
        uint64_t sl = (io.offset - p.region_offset) / io.len;
        count[rank_of[sl]]++;
        if (i < m && !seen[sl]) { seen[sl] = 1; distinct++; }
    }
    CHECK_EQ_U(bad, 0);
    double chi = 0, K = (double)k;
    for (uint64_t r = 1; r <= n; r++) {
        double e = K * pr[r];
        chi += ((double)count[r] - e) * ((double)count[r] - e) / e;
    }
    double dof = (double)n - 1;
    CHECK(chi < dof + 5 * sqrt(2 * dof));
    CHECK_NEAR((double)count[1], K * pr[1], 5 * sqrt(K * pr[1] * (1 - pr[1])));
    double e = 0, var = 0;
    for (uint64_t r = 1; r <= n; r++) {
        double q = 1 - pow1m(pr[r], (double)m);
        e += q;
        var += q * (1 - q);
    }
    CHECK_NEAR((double)distinct, e, 5 * sqrt(var));
    free(seen);
    free(pr);
    free(count);
    free(rank_of);
    gsl_rng_free(g);
    ss_workload_free(wl);
}

/* n chosen so the smallest expected rank count K*p_n stays above ~30 for
 * the chi-square, and composite (1000, 1024) and prime (997) n. */
static void t_zipf_small(void)
{
    zipf_case(1000, 0.7, 1000000, 2000, 21);
    zipf_case(1000, 1.0, 1000000, 20000, 22);
    zipf_case(997, 1.3, 2000000, 5000, 23);
    zipf_case(1024, 1.0, 1000000, 1000, 24);
    zipf_case(50, 2.5, 1000000, 100, 25);
}

/* A 100 GiB disk of 4 KiB slots (26214400 ranks): rank 1 (slot 0) is hit
 * with probability p_1 = 1 / sum_r r^-s, rank 2 (slot a) with p_1 2^-s;
 * both counts are binomial.  Distinct slots after k draws vs sum_r q_r as
 * in zipf_case (the sum over 26 M ranks is done here too). */
static void t_zipf_large(void)
{
    const uint64_t n = 100 * GiB / (4 * KiB);
    const double ss[] = { 0.8, 1.0 };
    for (int c = 0; c < 2; c++) {
        double s = ss[c];
        ss_workload_params p = base();
        p.pattern = SS_PAT_ZIPF;
        p.zipf_s = s;
        ss_workload *wl = mk(&p, 100 * GiB);
        if (!wl) continue;
        double hsum = 0;
        for (uint64_t r = n; r >= 1; r--) hsum += pow((double)r, -s);
        double p1 = 1 / hsum, p2 = p1 * pow(2, -s);
        uint64_t a = (uint64_t)((double)n * 0.6180339887498949);
        while (gcd(a, n) != 1) a++;
        const uint64_t k = 1000000;
        double e = 0, var = 0;
        for (uint64_t r = 1; r <= n; r++) {
            double q = 1 - pow1m(pow((double)r, -s) / hsum, (double)k);
            e += q;
            var += q * (1 - q);
        }
        gsl_rng *g = rng_new(30 + c);
        unsigned char *seen = calloc(n / 8 + 1, 1);
        uint64_t c1 = 0, c2 = 0, distinct = 0, bad = 0;
        for (uint64_t i = 0; i < k; i++) {
            ss_io io;
            ss_workload_next(wl, g, &io);
            uint64_t sl = io.offset / io.len;
            if (io.offset % io.len || sl >= n) { bad++; continue; }
            c1 += sl == 0;
            c2 += sl == a;
            if (!(seen[sl / 8] & (1u << (sl % 8)))) { seen[sl / 8] |= 1u << (sl % 8); distinct++; }
        }
        CHECK_EQ_U(bad, 0);
        CHECK_NEAR((double)c1, k * p1, 5 * sqrt(k * p1 * (1 - p1)));
        CHECK_NEAR((double)c2, k * p2, 5 * sqrt(k * p2 * (1 - p2)));
        CHECK_NEAR((double)distinct, e, 5 * sqrt(var));
        free(seen);
        gsl_rng_free(g);
        ss_workload_free(wl);
    }
}

/* --- alignment with mixed sizes ------------------------------------ */

/* Sizes 4, 8, 12 and 64 KiB: their lcm is 192 KiB, so the region starts at
 * a multiple of 192 KiB and the hot part is a multiple of 192 KiB.  Every
 * offset must be a multiple of its len and the I/O inside the region. */
static void t_alignment_mixed(void)
{
    const ss_pattern pats[] = { SS_PAT_UNIFORM, SS_PAT_HOTSPOT, SS_PAT_ZIPF };
    for (int c = 0; c < 3; c++) {
        ss_workload_params p = base();
        p.pattern = pats[c];
        p.nsizes = 4;
        p.sizes[0] = 4 * KiB;  p.weights[0] = 4;
        p.sizes[1] = 8 * KiB;  p.weights[1] = 3;
        p.sizes[2] = 12 * KiB; p.weights[2] = 2;
        p.sizes[3] = 64 * KiB; p.weights[3] = 1;
        p.hot_fraction = 0.3;
        p.hot_share = 0.8;
        p.zipf_s = 0.9;
        p.region_offset = 5 * 192 * KiB;
        p.region_size = 777 * 4 * KiB + 2 * KiB;
        ss_workload *wl = mk(&p, 16 * GiB);
        if (!wl) continue;
        /* hot part: floor(0.3 * R / 192 KiB) * 192 KiB = 4 * 192 KiB */
        uint64_t hot_end = p.region_offset + 4 * 192 * KiB;
        gsl_rng *r = rng_new(40 + c);
        uint64_t bad = 0, straddle = 0, hot = 0, lens[4] = { 0 };
        const int n = 200000;
        for (int i = 0; i < n; i++) {
            ss_io io;
            ss_workload_next(wl, r, &io);
            if (io.offset % io.len || io.offset < p.region_offset ||
                io.offset + io.len > p.region_offset + p.region_size) bad++;
            if (io.offset < hot_end && io.offset + io.len > hot_end) straddle++;
            if (io.offset < hot_end) hot++;
            for (int j = 0; j < 4; j++) lens[j] += io.len == p.sizes[j];
        }
        CHECK_EQ_U(bad, 0);
        CHECK_EQ_U(lens[0] + lens[1] + lens[2] + lens[3], n);
        if (p.pattern == SS_PAT_HOTSPOT) {
            CHECK_EQ_U(straddle, 0);
            CHECK_NEAR((double)hot, n * 0.8, 5 * sqrt(n * 0.8 * 0.2));
        }
        gsl_rng_free(r);
        ss_workload_free(wl);
    }
}

/* --- arrivals ------------------------------------------------------ */

/* Exp(1): mean 1, variance 1, fourth central moment 9.  The sample mean of
 * n has sd 1/sqrt(n); the sample variance has sd ~ sqrt((9-1)/n). */
static void t_poisson(void)
{
    ss_workload_params p = base();
    p.arrivals = SS_ARR_POISSON;
    ss_workload *wl = mk(&p, 100 * GiB);
    if (!wl) return;
    gsl_rng *r = rng_new(50);
    const int n = 1000000;
    double sum = 0, sum2 = 0;
    int nonpos = 0;
    for (int i = 0; i < n; i++) {
        ss_io io;
        ss_workload_next(wl, r, &io);
        sum += io.du;
        sum2 += io.du * io.du;
        nonpos += !(io.du >= 0);
    }
    double mean = sum / n, var = (sum2 - n * mean * mean) / (n - 1);
    CHECK_EQ_I(nonpos, 0);
    CHECK_NEAR(mean, 1.0, 5 / sqrt(n));
    CHECK_NEAR(var, 1.0, 5 * sqrt(8.0 / n));
    gsl_rng_free(r);
    ss_workload_free(wl);
}

/* Constant arrivals: du is exactly 1, for every pattern. */
static void t_constant(void)
{
    for (int pat = SS_PAT_UNIFORM; pat <= SS_PAT_ZIPF; pat++) {
        ss_workload_params p = base();
        p.pattern = (ss_pattern)pat;
        p.hot_fraction = 0.2;
        p.hot_share = 0.8;
        p.zipf_s = 1;
        p.read_ratio = 0.5;
        ss_workload *wl = mk(&p, 1 * GiB);
        if (!wl) continue;
        gsl_rng *r = rng_new(51);
        int not1 = 0;
        for (int i = 0; i < 10000; i++) {
            ss_io io;
            ss_workload_next(wl, r, &io);
            not1 += io.du != 1.0;
        }
        CHECK_EQ_I(not1, 0);
        gsl_rng_free(r);
        ss_workload_free(wl);
    }
}

/* --- sizes and rates ----------------------------------------------- */

/* Weights 5:3:0:2 -> p = .5, .3, 0, .2.  Each size's count of n is
 * Binomial(n, p_i); the zero-weight size never appears. */
static void t_size_distribution(void)
{
    ss_workload_params p = base();
    p.nsizes = 4;
    p.sizes[0] = 4 * KiB;  p.weights[0] = 5;
    p.sizes[1] = 8 * KiB;  p.weights[1] = 3;
    p.sizes[2] = 16 * KiB; p.weights[2] = 0;
    p.sizes[3] = 64 * KiB; p.weights[3] = 2;
    p.iops = 0;
    p.rate = 17612800;   /* 1000 I/Os of the mean size, below */
    ss_workload *wl = mk(&p, 10 * GiB);
    if (!wl) return;
    /* (5*4096 + 3*8192 + 2*65536) / 10 = 17612.8 */
    CHECK_NEAR(ss_workload_mean_size(wl), 17612.8, 1e-9);
    CHECK_NEAR(ss_workload_iops(wl), 1000.0, 1e-9);
    CHECK_NEAR(ss_workload_rate(wl), 17612800.0, 1e-6);
    gsl_rng *r = rng_new(60);
    const int n = 200000;
    uint64_t cnt[4] = { 0 }, other = 0;
    for (int i = 0; i < n; i++) {
        ss_io io;
        ss_workload_next(wl, r, &io);
        int j = 0;
        while (j < 4 && io.len != p.sizes[j]) j++;
        if (j == 4) other++;
        else cnt[j]++;
    }
    const double pr[4] = { 0.5, 0.3, 0, 0.2 };
    for (int j = 0; j < 4; j++)
        CHECK_NEAR((double)cnt[j], n * pr[j], 5 * sqrt(n * pr[j] * (1 - pr[j])));
    CHECK_EQ_U(cnt[2], 0);
    CHECK_EQ_U(other, 0);
    gsl_rng_free(r);
    ss_workload_free(wl);

    /* iops given: rate = iops * mean size; an idle workload. */
    p = base();
    p.iops = 250;
    wl = mk(&p, 1 * GiB);
    if (wl) {
        CHECK_NEAR(ss_workload_mean_size(wl), 4096, 0);
        CHECK_NEAR(ss_workload_iops(wl), 250, 0);
        CHECK_NEAR(ss_workload_rate(wl), 250 * 4096.0, 0);
        ss_workload_free(wl);
    }
    p.iops = 0;
    wl = mk(&p, 1 * GiB);
    if (wl) {
        CHECK_NEAR(ss_workload_iops(wl), 0, 0);
        CHECK_NEAR(ss_workload_rate(wl), 0, 0);
        ss_workload_free(wl);
    }
}

/* read_ratio 0.3: reads are Binomial(n, 0.3). */
static void t_read_ratio(void)
{
    ss_workload_params p = base();
    p.read_ratio = 0.3;
    ss_workload *wl = mk(&p, 1 * GiB);
    if (!wl) return;
    gsl_rng *r = rng_new(61);
    const int n = 100000;
    int reads = 0;
    for (int i = 0; i < n; i++) {
        ss_io io;
        ss_workload_next(wl, r, &io);
        reads += io.is_read;
    }
    CHECK_NEAR(reads, n * 0.3, 5 * sqrt(n * 0.3 * 0.7));
    gsl_rng_free(r);
    ss_workload_free(wl);
}

/* --- draw order ---------------------------------------------------- */

/* Replays the documented draws for hotspot on a second generator:
 * exponential gap, read uniform (if read_ratio > 0), size uniform (if more
 * than one size), hot/cold uniform, then gsl_rng_uniform_int slot. */
static void replay_hotspot(const ss_workload_params *p, uint64_t rsize, gsl_rng *r, ss_io *io)
{
    io->du = p->arrivals == SS_ARR_POISSON ? gsl_ran_exponential(r, 1.0) : 1.0;
    io->is_read = p->read_ratio > 0 ? gsl_rng_uniform(r) < p->read_ratio : 0;
    int i = 0;
    if (p->nsizes > 1) {
        double w = 0, acc = 0, u = gsl_rng_uniform(r);
        for (int j = 0; j < p->nsizes; j++) w += p->weights[j];
        for (i = 0; i < p->nsizes - 1; i++) {
            acc += p->weights[i];
            if (u < acc / w) break;
        }
    }
    uint64_t len = p->sizes[i];
    uint64_t hot = (uint64_t)floor(p->hot_fraction * (double)rsize / (64.0 * KiB)) * 64 * KiB;
    io->len = len;
    if (gsl_rng_uniform(r) < p->hot_share)
        io->offset = p->region_offset + gsl_rng_uniform_int(r, hot / len) * len;
    else
        io->offset = p->region_offset + hot + gsl_rng_uniform_int(r, (rsize - hot) / len) * len;
}

static void t_draw_order(void)
{
    for (int c = 0; c < 4; c++) {
        ss_workload_params p = base();
        p.pattern = SS_PAT_HOTSPOT;
        p.hot_fraction = 0.15;
        p.hot_share = 0.85;
        p.arrivals = c & 1 ? SS_ARR_POISSON : SS_ARR_CONSTANT;
        p.read_ratio = c & 2 ? 0.25 : 0;
        p.nsizes = 3;
        p.sizes[0] = 4 * KiB;  p.weights[0] = 6;
        p.sizes[1] = 16 * KiB; p.weights[1] = 3;
        p.sizes[2] = 64 * KiB; p.weights[2] = 1;
        p.region_offset = 1 * GiB;
        p.region_size = 3 * GiB;
        ss_workload *w1 = mk(&p, 8 * GiB), *w2 = mk(&p, 8 * GiB);
        if (!w1 || !w2) { ss_workload_free(w1); ss_workload_free(w2); continue; }
        gsl_rng *r1 = rng_new(70 + c), *r2 = rng_new(70 + c), *r3 = rng_new(70 + c);
        uint64_t diff12 = 0, diff13 = 0;
        for (int i = 0; i < 20000; i++) {
            ss_io a, b, x;
            ss_workload_next(w1, r1, &a);
            ss_workload_next(w2, r2, &b);
            replay_hotspot(&p, p.region_size, r3, &x);
            diff12 += a.du != b.du || a.offset != b.offset || a.len != b.len || a.is_read != b.is_read;
            diff13 += a.du != x.du || a.offset != x.offset || a.len != x.len || a.is_read != x.is_read;
        }
        CHECK_EQ_U(diff12, 0);
        CHECK_EQ_U(diff13, 0);
        /* Same number of draws consumed: the generators are in step. */
        unsigned long g1 = gsl_rng_get(r1), g3 = gsl_rng_get(r3);
        CHECK_EQ_U(g1, g3);
        gsl_rng_free(r1);
        gsl_rng_free(r2);
        gsl_rng_free(r3);
        ss_workload_free(w1);
        ss_workload_free(w2);
    }

    /* Uniform, constant arrivals, one size, read_ratio 0: exactly one
     * gsl_rng_uniform_int per I/O and nothing else. */
    ss_workload_params p = base();
    ss_workload *wl = mk(&p, 100 * GiB);
    gsl_rng *r1 = rng_new(80), *r2 = rng_new(80);
    uint64_t diff = 0;
    for (int i = 0; wl && i < 20000; i++) {
        ss_io io;
        ss_workload_next(wl, r1, &io);
        diff += io.offset != gsl_rng_uniform_int(r2, 100 * GiB / (4 * KiB)) * 4 * KiB;
    }
    CHECK_EQ_U(diff, 0);
    CHECK_EQ_U(gsl_rng_get(r1), gsl_rng_get(r2));
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    ss_workload_free(wl);
}

/* --- profile ------------------------------------------------------- */

static void t_profile(void)
{
    ss_workload_params p = base();
    ss_workload *wl = mk(&p, 1 * GiB);
    if (wl) {
        CHECK_NEAR(ss_workload_profile_at(wl, 12345.0), 1, 0);
        ss_workload_free(wl);
    }
    p.has_profile = 1;
    for (int h = 0; h < 24; h++) p.profile[h] = 10 + h;   /* hour h -> 10 + h */
    wl = mk(&p, 1 * GiB);
    if (!wl) return;
    CHECK_NEAR(ss_workload_profile_at(wl, 0), 10, 0);
    CHECK_NEAR(ss_workload_profile_at(wl, 3599.999), 10, 0);
    CHECK_NEAR(ss_workload_profile_at(wl, 3600), 11, 0);
    CHECK_NEAR(ss_workload_profile_at(wl, 13.5 * 3600), 23, 0);
    CHECK_NEAR(ss_workload_profile_at(wl, 23 * 3600 + 5), 33, 0);
    CHECK_NEAR(ss_workload_profile_at(wl, 24 * 3600), 10, 0);
    CHECK_NEAR(ss_workload_profile_at(wl, 5 * 86400 + 7 * 3600 + 1), 17, 0);
    CHECK_NEAR(ss_workload_profile_at(wl, 400 * 86400.0 + 20 * 3600), 30, 0);
    CHECK_NEAR(ss_workload_profile_at(wl, -1), 33, 0);   /* the hour before t = 0 */
    ss_workload_free(wl);
}

/* --- validation ---------------------------------------------------- */

#define BAD(mod, cap, needle) do { \
    ss_workload_params p = base(); \
    mod; \
    char why[256] = ""; \
    ss_workload *wl = ss_workload_new(&p, (cap), why, sizeof why); \
    CHECK(wl == NULL); \
    ss_workload_free(wl); \
    CHECK_CONTAINS(why, needle); \
} while (0)

static void t_validation(void)
{
    const uint64_t cap = 1 * GiB;
    BAD(p.iops = -1, cap, "iops: expected a number >= 0, found -1");
    BAD(p.iops = NAN, cap, "iops:");
    BAD(p.iops = 0; p.rate = -5, cap, "rate: expected a number >= 0");
    BAD(p.rate = 1e6, cap, "rate: give rate or iops, not both");
    BAD(p.nsizes = 0, cap, "io_size: expected 1 to 16 sizes, found 0");
    BAD(p.nsizes = 17, cap, "io_size:");
    BAD(p.sizes[0] = 1000, cap, "io_size: expected a positive multiple of 512 bytes, found 1000");
    BAD(p.sizes[0] = 0, cap, "io_size: expected a positive multiple of 512 bytes, found 0");
    BAD(p.nsizes = 2; p.sizes[1] = 8192; p.weights[1] = -1, cap, "io_size: weight 2: expected a number >= 0");
    BAD(p.nsizes = 2; p.sizes[1] = 8192; p.weights[0] = 0, cap, "io_size: the weights must have a positive sum");
    BAD(p.arrivals = (ss_arrivals)7, cap, "arrivals:");
    BAD(p.pattern = (ss_pattern)9, cap, "pattern:");
    BAD(p.read_ratio = 1.5, cap, "read_ratio: expected a number in [0,1], found 1.5");
    BAD(p.read_ratio = -0.1, cap, "read_ratio:");
    BAD(p.region_offset = 4097, cap, "region.offset: 4097 is not a multiple of the I/O size (4096)");
    BAD(p.nsizes = 2; p.sizes[1] = 12288; p.region_offset = 8192, cap, "(12288)");
    BAD(p.region_offset = cap, cap, "region.offset:");
    BAD(p.region_offset = 4096; p.region_size = cap, cap, "region.size: the region ends at");
    BAD(p.region_size = 2048, cap, "region.size: 2048 bytes cannot hold an I/O of 4096 bytes");
    BAD(p.region_offset = cap - 4096; p.sizes[0] = 8192, cap, "region.offset:");   /* 1 GiB - 4 KiB not 8 KiB aligned */
    BAD(p.pattern = SS_PAT_HOTSPOT; p.hot_fraction = 1.5; p.hot_share = 0.9, cap,
        "hot.fraction: expected a number in (0,1), found 1.5");
    BAD(p.pattern = SS_PAT_HOTSPOT; p.hot_fraction = 0; p.hot_share = 0.9, cap, "hot.fraction:");
    BAD(p.pattern = SS_PAT_HOTSPOT; p.hot_fraction = 0.1; p.hot_share = 1.1, cap,
        "hot.share: expected a number in [0,1], found 1.1");
    BAD(p.pattern = SS_PAT_HOTSPOT; p.hot_fraction = 1e-6; p.hot_share = 0.9, cap, "hot.fraction: the hot part");
    BAD(p.pattern = SS_PAT_HOTSPOT; p.hot_fraction = 0.9; p.hot_share = 0.9; p.region_size = 10240, cap,
        "hot.fraction: the cold part");
    BAD(p.pattern = SS_PAT_ZIPF; p.zipf_s = 0, cap, "zipf.s: expected a number > 0, found 0");
    BAD(p.pattern = SS_PAT_ZIPF; p.zipf_s = -1, cap, "zipf.s:");
    BAD(p.has_profile = 1; for (int h = 0; h < 24; h++) p.profile[h] = 1; p.profile[4] = -1, cap,
        "profile[5]: expected a number >= 0, found -1");

    /* Fields of other patterns are not checked; why may be NULL. */
    ss_workload_params p = base();
    p.hot_fraction = 7;
    p.zipf_s = -3;
    ss_workload *wl = ss_workload_new(&p, cap, NULL, 0);
    CHECK(wl != NULL);
    if (wl) CHECK(ss_workload_params_of(wl)->hot_fraction == 7);
    ss_workload_free(wl);
    p.iops = -1;
    CHECK(ss_workload_new(&p, cap, NULL, 0) == NULL);
    /* Sizes whose lcm (3 * 2^30 + ...) exceeds the disk: only offset 0. */
    BAD(p.nsizes = 2; p.sizes[1] = 3 * 512 * 1048573ULL; p.region_offset = 4096, cap,
        "region.offset: 4096 must be 0");
    BAD(p.nsizes = 2; p.sizes[1] = 3 * 512 * 349525ULL; p.pattern = SS_PAT_HOTSPOT;
        p.hot_fraction = 0.5; p.hot_share = 0.5, cap, "hot.fraction: the hot part");
    BAD(p.sizes[0] = 2 * GiB, cap, "region.size: 1073741824 bytes cannot hold an I/O of 2147483648 bytes");

    /* The smallest valid region: one slot, every random pattern (and
     * sequential) writes at the region's start; zipf with n = 1 and 2. */
    for (int pat = SS_PAT_UNIFORM; pat <= SS_PAT_ZIPF; pat++) {
        if (pat == SS_PAT_HOTSPOT) continue;
        for (uint64_t nsl = 1; nsl <= 2; nsl++) {
            p = base();
            p.pattern = (ss_pattern)pat;
            p.zipf_s = 1.5;
            p.region_offset = 40960;
            p.region_size = nsl * 4096;
            wl = mk(&p, cap);
            gsl_rng *r = rng_new(90);
            uint64_t out = 0, first = 0;
            for (int i = 0; wl && i < 1000; i++) {
                ss_io io;
                ss_workload_next(wl, r, &io);
                out += io.offset != 40960 && io.offset != 40960 + (nsl - 1) * 4096;
                first += io.offset == 40960;
            }
            CHECK_EQ_U(out, 0);
            if (nsl == 1) CHECK_EQ_U(first, 1000);
            else CHECK(first > 0 && first < 1000);
            gsl_rng_free(r);
            ss_workload_free(wl);
        }
    }
    p = base();
    p.pattern = SS_PAT_HOTSPOT;
    p.hot_fraction = 0.5;
    p.hot_share = 1;
    p.region_size = 8192;
    wl = mk(&p, cap);
    ss_workload_free(wl);
}

static const struct tl_test tl_tests[] = {
    TL(t_uniform_distinct), TL(t_uniform_is_gsl_uniform_int), TL(t_uniform_big),
    TL(t_sequential_exact), TL(t_sequential_mixed), TL(t_hotspot),
    TL(t_zipf_small), TL(t_zipf_large), TL(t_alignment_mixed),
    TL(t_poisson), TL(t_constant), TL(t_size_distribution), TL(t_read_ratio),
    TL(t_draw_order), TL(t_profile), TL(t_validation),
    {0}
};

int main(int c, char **v) { return tl_main(tl_tests, c, v); }
