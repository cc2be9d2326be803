/*
 * occupancy.h -- the random counts of the statistical fidelity
 * (occupancy.c, docs/model.md "Statistical fidelity"): how many distinct
 * slots k uniform writes touch, how two independent uniform subsets
 * overlap, how many metadata regions a set of new slots touches.  Pure
 * functions of a GSL generator and their arguments; no model state.
 *
 * Each draw is exact (the distribution itself, by sequential or GSL
 * sampling) while the count it returns is small, and a normal draw with the
 * exact mean and variance, rounded and clamped to the possible range, once
 * the variance is large enough for the normal shape (see each function).
 */
#ifndef SNAPSIM_MODEL_OCCUPANCY_H
#define SNAPSIM_MODEL_OCCUPANCY_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

/* Exact mean and variance of D, the number of distinct slots among k
 * uniform draws (with replacement) from n slots:
 *   E[D]   = n (1 - q^k),                          q = 1 - 1/n
 *   Var[D] = n q^k + n (n-1) r^k - n^2 q^2k,       r = 1 - 2/n
 * computed without cancellation (docs/model.md). */
void ss_occ_moments(uint64_t n, uint64_t k, double *mean, double *var);
/* A draw of D. */
uint64_t ss_occ_distinct(gsl_rng *rng, uint64_t n, uint64_t k);

/* H ~ Hypergeometric: successes among t items drawn without replacement
 * from n1 successes and n2 failures (t is clamped to n1 + n2). */
uint64_t ss_occ_hyper(gsl_rng *rng, uint64_t t, uint64_t n1, uint64_t n2);

/* Distinct groups hit by l items drawn without replacement from g groups
 * of s items each (l <= g*s): the regions that l new slots spread over the
 * g untouched regions touch.  Exact mean from
 *   P(a group is missed) = C(gs - s, l) / C(gs, l). */
uint64_t ss_occ_groups(gsl_rng *rng, uint64_t l, uint64_t g, double s);

#endif
