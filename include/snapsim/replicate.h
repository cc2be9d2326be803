/*
 * replicate.h -- one run of an experiment and its outcome (replicate.c).
 *
 * Replication k of a scenario is the scenario run with the seed
 * ss_replication_seed(seed, k) (engine.h), where seed is --seed or else the
 * scenario's own: its streams derive from (seed, k) alone, and replication
 * 0 is the plain run, byte for byte what `snapsim run` writes.
 *
 * An outcome (ss_result) has a text form, which worker processes, MPI
 * ranks and the sweep's journal use to pass it on exactly:
 *   status ok|failed|crashed\n  seed N\n  [error TEXT\n]  metric lines (metrics.h)
 */
#ifndef SNAPSIM_REPLICATE_H
#define SNAPSIM_REPLICATE_H

#include <stddef.h>
#include <stdint.h>

#include "snapsim/error.h"
#include "snapsim/metrics.h"
#include "snapsim/sim.h"

typedef enum { SS_RUN_MISSING = 0, SS_RUN_OK, SS_RUN_FAILED, SS_RUN_CRASHED } ss_run_status;

typedef struct ss_result {
    ss_run_status status;
    uint64_t seed;            /* the run's own seed (0 if it never loaded) */
    char *error;              /* failed, crashed: why, one line */
    ss_metrics *metrics;      /* ok: the key metrics */
} ss_result;

const char *ss_run_status_name(ss_run_status s);   /* "missing" "ok" "failed" "crashed" */
void ss_result_clear(ss_result *r);                /* frees and resets to missing */
/* r failed for the reason given (printf-style): SS_OK or SS_ERR_NOMEM. */
int ss_result_fail(ss_result *r, ss_run_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Append r's text form to *buf (*len bytes, malloc'd). */
int ss_result_write(const ss_result *r, char **buf, size_t *len);
/* Parse one line of the text form into r (status, seed, error, metric). */
int ss_result_read_line(ss_result *r, const char *line, ss_error *err);

/* Run replication k of the scenario of opt (opt->replication is ignored),
 * writing h5path (NULL: no file), into r (cleared first).  Never fails
 * itself: a scenario or model error is a "failed" outcome. */
void ss_replicate(const ss_options *opt, uint64_t k, const char *h5path, ss_result *r);

#endif
