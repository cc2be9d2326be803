/*
 * stats.h -- the statistics of a sample of replications (stats.c): what
 * /summary of an index holds for every metric of every point.
 *
 * The 95 % confidence interval of the mean is Student's:
 *   mean +- t(0.975, n-1) * sd / sqrt(n),
 * with sd the sample standard deviation (divisor n-1) and t from GSL's
 * gsl_cdf_tdist_Pinv; it assumes independent replications (they are: each
 * has its own seeds) and a roughly normal mean (the CLT; n >= 10 or so for
 * skewed metrics).  p95 is the 95th percentile with linear interpolation
 * between order statistics (gsl_stats_quantile_from_sorted_data, the
 * "type 7" of R and NumPy's default).
 */
#ifndef SNAPSIM_STATS_H
#define SNAPSIM_STATS_H

typedef struct ss_stats {
    int n;                    /* values used (NaNs are skipped: "never") */
    double mean, sd;          /* sd: NaN when n < 2 */
    double ci_lo, ci_hi;      /* 95 % CI of the mean; NaN when n < 2 */
    double min, max, p95;     /* NaN when n = 0 */
} ss_stats;

/* Statistics of x[0..n) (not modified), NaN values skipped. */
void ss_stats_of(const double *x, int n, ss_stats *out);
/* The t quantile t(0.975, df) (12.706 for df = 1, -> 1.96). */
double ss_stats_t975(int df);

#endif
