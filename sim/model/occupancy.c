/*
 * occupancy.c -- the random counts of the statistical fidelity
 * (occupancy.h): distinct slots of k uniform writes, hypergeometric
 * overlaps, regions touched.  Small counts are sampled exactly; large ones
 * by a normal draw with the exact mean and variance; the corners where the
 * variance is small but the count is not (almost no repeats, or almost
 * nothing left untouched) by a Poisson draw of the short distance to the
 * bound (the birthday and coupon-collector limits).
 */
#include <limits.h>
#include <math.h>

#include <gsl/gsl_randist.h>

#include "model/occupancy.h"

/* Exact sampling up to this many sequential steps. */
#define SS_OCC_EXACT 256
/* The normal draw from this variance on (sd >= 5.5: the rounded normal's
 * mean and variance are then those of the exact count to well under 1 %). */
#define SS_OCC_NORMAL_VAR 30.0

/* A count with the given mean and variance, inside [lo, hi]. */
static uint64_t approx(gsl_rng *rng, double mean, double var, uint64_t lo, uint64_t hi)
{
    if (lo >= hi) return lo;
    double x;
    if (var >= SS_OCC_NORMAL_VAR) {
        x = floor(mean + sqrt(var) * gsl_ran_ugaussian(rng) + 0.5);
    } else {
        double dlo = mean - (double)lo, dhi = (double)hi - mean;
        if (dlo <= dhi) x = (double)lo + (double)gsl_ran_poisson(rng, dlo > 0 ? dlo : 0);
        else x = (double)hi - (double)gsl_ran_poisson(rng, dhi > 0 ? dhi : 0);
    }
    if (x < (double)lo) return lo;
    if (x > (double)hi) return hi;
    return (uint64_t)x;
}

void ss_occ_moments(uint64_t n, uint64_t k, double *mean, double *var)
{
    *mean = *var = 0;
    if (n == 0 || k == 0) return;
    if (n == 1) { *mean = 1; return; }
    double nn = (double)n, kk = (double)k;
    double qk = exp(kk * log1p(-1.0 / nn));        /* P(a given slot is missed) */
    double rk = n == 2 ? 0 : exp(kk * log1p(-2.0 / nn));   /* P(two given slots are missed) */
    /* r^k - q^2k = q^2k (exp(k log(r/q^2)) - 1), r/q^2 = 1 - 1/(n-1)^2 */
    double d = n == 2 ? -qk * qk : qk * qk * expm1(kk * log1p(-1.0 / ((nn - 1) * (nn - 1))));
    *mean = nn * -expm1(kk * log1p(-1.0 / nn));
    double v = nn * (qk - rk) + nn * nn * d;
    *var = v > 0 ? v : 0;
}

uint64_t ss_occ_distinct(gsl_rng *rng, uint64_t n, uint64_t k)
{
    if (n == 0 || k == 0) return 0;
    if (n == 1) return 1;
    if (k <= SS_OCC_EXACT) {
        /* Each draw is new with probability (n - d)/n. */
        uint64_t d = 0;
        for (uint64_t i = 0; i < k; i++)
            if (gsl_rng_uniform(rng) * (double)n < (double)(n - d)) d++;
        return d;
    }
    double mean, var;
    ss_occ_moments(n, k, &mean, &var);
    return approx(rng, mean, var, 1, k < n ? k : n);
}

/* Sequential hypergeometric, O(t): each of t draws is a success with
 * probability (successes left)/(items left). */
static uint64_t hyper_seq(gsl_rng *rng, uint64_t t, uint64_t n1, uint64_t n2)
{
    uint64_t h = 0, left = n1 + n2;
    for (uint64_t i = 0; i < t && h < n1; i++, left--)
        if (gsl_rng_uniform(rng) * (double)left < (double)(n1 - h)) h++;
    return h;
}

uint64_t ss_occ_hyper(gsl_rng *rng, uint64_t t, uint64_t n1, uint64_t n2)
{
    uint64_t n = n1 + n2;
    if (t > n) t = n;
    if (t == 0 || n1 == 0) return 0;
    if (n2 == 0) return t;
    if (t == n) return n1;
    /* H(t; n1, n2) has the law of H(n1; t, n - t): sample the cheaper one.
     * GSL's loop runs min(t, n - t) times. */
    uint64_t ct = t < n - t ? t : n - t, cn = n1 < n2 ? n1 : n2;
    if (ct <= SS_OCC_EXACT || cn <= SS_OCC_EXACT) {
        if (n <= UINT_MAX) {
            if (ct <= cn) return gsl_ran_hypergeometric(rng, (unsigned)n1, (unsigned)n2, (unsigned)t);
            return gsl_ran_hypergeometric(rng, (unsigned)t, (unsigned)(n - t), (unsigned)n1);
        }
        if (t <= SS_OCC_EXACT) return hyper_seq(rng, t, n1, n2);
        if (n1 <= SS_OCC_EXACT) return hyper_seq(rng, n1, t, n - t);
        if (n - t <= SS_OCC_EXACT) return n1 - hyper_seq(rng, n - t, n1, n2);    /* the items left out */
        return t - hyper_seq(rng, n2, t, n - t);                                  /* failures drawn */
    }
    double dn = (double)n, p = (double)n1 / dn;
    double mean = (double)t * p;
    double var = (double)t * p * ((double)n2 / dn) * ((double)(n - t) / (dn - 1));
    uint64_t lo = t > n2 ? t - n2 : 0, hi = t < n1 ? t : n1;
    return approx(rng, mean, var, lo, hi);
}

/* lgamma(x + s) - lgamma(x), accurate for large x (Stirling's series for
 * the difference, where lgamma's own values would cancel). */
static double lgdiff(double x, double s)
{
    if (x < 1e5) return lgamma(x + s) - lgamma(x);
    return (x - 0.5) * log1p(s / x) + s * log(x + s) - s + 1.0 / (12 * (x + s)) - 1.0 / (12 * x);
}

/* log C(A - s, l) / C(A, l): log P(l items from A miss a given s). */
static double log_miss(double A, double s, double l)
{
    if (l > A - s) return -INFINITY;
    return -lgdiff(A - s + 1, s) + lgdiff(A - s - l + 1, s);
}

uint64_t ss_occ_groups(gsl_rng *rng, uint64_t l, uint64_t g, double s)
{
    if (l == 0 || g == 0) return 0;
    if (s <= 1) return l < g ? l : g;
    double A = (double)g * s;
    if ((double)l >= A) return g;
    if (l <= 64) {
        /* The i-th item opens a new group with probability (groups not
         * hit) * s / (items left). */
        uint64_t hit = 0;
        for (uint64_t i = 0; i < l && hit < g; i++)
            if (gsl_rng_uniform(rng) * (A - (double)i) < (double)(g - hit) * s) hit++;
        return hit;
    }
    double p0 = exp(log_miss(A, s, (double)l));
    double p00 = exp(log_miss(A, 2 * s, (double)l));
    double gg = (double)g;
    double mean = gg * (1 - p0);
    double var = gg * p0 * (1 - p0) + gg * (gg - 1) * (p00 - p0 * p0);
    if (var < 0) var = 0;
    uint64_t lo = (uint64_t)ceil((double)l / s);
    if (lo > g) lo = g;
    uint64_t hi = l < g ? l : g;
    return approx(rng, mean, var, lo, hi);
}
