/*
 * merge.h -- one merge of a deletion (merge.c; job.h).
 */
#ifndef SNAPSIM_MODEL_MERGE_H
#define SNAPSIM_MODEL_MERGE_H

#include "model/job.h"

/* Start the merge m of job j: the target grows now, the copy is scheduled;
 * when it is done, j->after_merge(j).  -1: the datastore could not hold
 * the target's growth and the job failed (it is gone). */
int ss_merge_start(ss_job *j, ss_merge m);

#endif
