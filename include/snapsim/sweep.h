/*
 * sweep.h -- the plan of an experiment (sweep.c): parameters, their values,
 * the points of their Cartesian product and the runs, each point with the
 * same N replications (so every point sees the same replication seeds:
 * common random numbers across points).
 *
 *   --param KEEP=1,2,3        a list
 *   --param KEEP=1..5         a range of whole numbers (1..9..2: with a step)
 *   --param RATE=1MB/s,2MB/s  values are passed to the scenario as --set would
 *
 * Points are numbered in the order of nested loops over the parameters as
 * given, the last one changing fastest; run r is replication r % N of point
 * r / N.  A plan with no parameter has one point (replications only).
 */
#ifndef SNAPSIM_SWEEP_H
#define SNAPSIM_SWEEP_H

#include <stddef.h>

#include "snapsim/error.h"

#define SS_PLAN_MAX_RUNS 10000000

typedef struct ss_param {
    char *name;
    char **values;
    int nvalues;
} ss_param;

typedef struct ss_plan {
    ss_param *params;
    int nparams;
    int replications;         /* >= 1 */
} ss_plan;

void ss_plan_init(ss_plan *p);            /* no parameter, 1 replication */
void ss_plan_free(ss_plan *p);
/* Add "NAME=VALUES" (SS_ERR_USAGE with a message for a bad spec, a
 * repeated name, or more than SS_PLAN_MAX_RUNS runs in all). */
int ss_plan_param(ss_plan *p, const char *spec, ss_error *err);
int ss_plan_points(const ss_plan *p);
int ss_plan_runs(const ss_plan *p);
/* The value of parameter `param` at point `point`. */
const char *ss_plan_value(const ss_plan *p, int point, int param);
/* "KEEP=1 STRATEGY=esx35" ("" without parameters), cut to n bytes. */
void ss_plan_label(const ss_plan *p, int point, char *buf, size_t n);

#endif
