/*
 * stats.c -- mean, standard deviation, Student-t 95 % confidence interval,
 * extremes and 95th percentile of a sample (include/snapsim/stats.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "snapsim/stats.h"

double ss_stats_t975(int df) { return df >= 1 ? gsl_cdf_tdist_Pinv(0.975, (double)df) : NAN; }

void ss_stats_of(const double *x, int n, ss_stats *out)
{
    *out = (ss_stats){ 0, NAN, NAN, NAN, NAN, NAN, NAN, NAN };
    double *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!v) return;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(x[i])) v[k++] = x[i];
    out->n = k;
    if (k > 0) {
        gsl_sort(v, 1, (size_t)k);
        out->mean = gsl_stats_mean(v, 1, (size_t)k);
        out->min = v[0];
        out->max = v[k - 1];
        out->p95 = gsl_stats_quantile_from_sorted_data(v, 1, (size_t)k, 0.95);
    }
    if (k > 1) {
        out->sd = gsl_stats_sd_m(v, 1, (size_t)k, out->mean);
        double h = ss_stats_t975(k - 1) * out->sd / sqrt((double)k);
        out->ci_lo = out->mean - h;
        out->ci_hi = out->mean + h;
    }
    free(v);
}
