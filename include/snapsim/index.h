/*
 * index.h -- an experiment's index, DIR/index.h5 (index.c; docs/output.md
 * "index.h5"): every run with its parameters, seed, status and metrics,
 * per-point statistics with their 95 % confidence intervals, and external
 * links to the run files.  Written with the output layer's writer:
 * atomically (temporary file, then rename) and deterministically (the
 * same plan and outcomes give the same bytes, whichever order the runs
 * finished in, on one machine or over MPI, in one go or resumed).
 */
#ifndef SNAPSIM_INDEX_H
#define SNAPSIM_INDEX_H

#include <stdint.h>
#include <stdio.h>

#include "snapsim/error.h"
#include "snapsim/replicate.h"
#include "snapsim/sweep.h"

/* What the index's root says about the experiment. */
typedef struct ss_index_info {
    const char *scenario;     /* the scenario's name */
    const char *path;         /* the scenario file as given */
    const char *source;       /* its text */
    uint64_t seed;            /* the seed replications derive from */
} ss_index_info;

/* The name of a run's file in DIR: "p0003-r0017.h5". */
void ss_index_run_file(int point, int replication, char *buf, size_t n);
/* Write `path` from the plan and one outcome per run (results[run]). */
int ss_index_write(const char *path, const ss_plan *plan, const ss_result *results, const ss_index_info *info,
                   ss_error *err);
/* The closing text: per point, each datastore's peak use and peak extra
 * (mean and 95 % CI) and how many runs filled it; failed runs. */
void ss_index_print(FILE *f, const ss_plan *plan, const ss_result *results);

#endif
