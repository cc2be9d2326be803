/*
 * tally.h -- what a run counts for its key metrics while it runs (tally.c):
 * the run passes it the model's events, finished deletions and record()
 * values, and at the end it turns them, with the world's final state, into
 * an ss_metrics list (include/snapsim/metrics.h).
 */
#ifndef SNAPSIM_RUN_TALLY_H
#define SNAPSIM_RUN_TALLY_H

#include "model/emit.h"
#include "model/world.h"
#include "snapsim/metrics.h"

typedef struct ss_tally ss_tally;

ss_tally *ss_tally_new(void);                      /* NULL when out of memory */
void ss_tally_free(ss_tally *t);
/* The run starts: every datastore's use now is its initial use. */
void ss_tally_start(ss_tally *t, ss_world *w);
void ss_tally_event(ss_tally *t, ss_world *w, const ss_event *ev);
void ss_tally_consolidation(ss_tally *t, const ss_event *done, const char *result);
void ss_tally_record(ss_tally *t, const char *name, double value);
/* The metrics of the finished run, appended to m: SS_OK or SS_ERR_NOMEM. */
int ss_tally_metrics(ss_tally *t, ss_world *w, ss_metrics *m);

#endif
