/*
 * metrics.h -- a run's key metrics: a list of named numbers, the unit of
 * what replications and sweeps compare (docs/output.md "index.h5").
 *
 * A metric is named by (scope, entity, name): ("datastore", "ds1",
 * "peak_used"), ("vm", "db01", "stall_s"), ("consolidation", "esx35:all",
 * "duration_s"), ("record", "free_gb", "last").  Which metrics a run has
 * is the table in sim/run/tally.c.  A value may be NaN ("never": a
 * datastore that never filled has t_first_full = NaN).  The list keeps the
 * order metrics were added, and can be written to text and read back
 * exactly (hex floats), which is how worker processes, MPI ranks and the
 * sweep's journal pass them on.
 */
#ifndef SNAPSIM_METRICS_H
#define SNAPSIM_METRICS_H

#include <stddef.h>

#include "snapsim/error.h"

typedef struct ss_metric {
    char *scope, *entity, *name, *unit;
    double value;
} ss_metric;

typedef struct ss_metrics ss_metrics;

ss_metrics *ss_metrics_new(void);                 /* NULL when out of memory */
void ss_metrics_free(ss_metrics *m);
int ss_metrics_count(const ss_metrics *m);
const ss_metric *ss_metrics_at(const ss_metrics *m, int i);
/* Append one metric (the strings are copied): SS_OK or SS_ERR_NOMEM. */
int ss_metrics_add(ss_metrics *m, const char *scope, const char *entity, const char *name, const char *unit,
                   double value);
/* The index of (scope, entity, name) in m, or -1. */
int ss_metrics_find(const ss_metrics *m, const char *scope, const char *entity, const char *name);

/* Text form: one line per metric, "m\tSCOPE\tENTITY\tNAME\tUNIT\tVALUE\n",
 * strings escaped (\t \n \\), VALUE as a C99 hex float ("%a"), so that
 * reading gives back the same bits.  ss_metrics_write appends to *buf (a
 * malloc'd string of *len bytes); ss_metrics_read_line parses one line
 * (without its '\n') into m. */
int ss_metrics_write(const ss_metrics *m, char **buf, size_t *len);
int ss_metrics_read_line(ss_metrics *m, const char *line, ss_error *err);

/* String helpers shared by the text forms of the run layer: escape s into
 * *buf (appending), and unescape a field in place. */
int ss_text_append(char **buf, size_t *len, const char *s, int escape);
void ss_text_unescape(char *s);

#endif
