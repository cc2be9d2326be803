/*
 * workers.h -- runs in worker processes (workers.c): a pool of `slots`
 * forked children, one per run, so a run that crashes (a signal, an
 * abort, the out-of-memory killer) is that run's outcome, "crashed", and
 * takes nothing else down.
 *
 * The child calls work(ctx, job, &result), sends the result's text form
 * (replicate.h) through a pipe and exits; the parent collects it in
 * ss_pool_wait.  A child killed by SIGINT, SIGTERM or SIGHUP was
 * interrupted, not crashed: its outcome is "missing" (done again on
 * --resume).  The pool is driven by its owner's loop (ss_pool_start, then
 * ss_pool_wait), so the same pool serves a local sweep and an MPI rank.
 */
#ifndef SNAPSIM_WORKERS_H
#define SNAPSIM_WORKERS_H

#include "snapsim/error.h"
#include "snapsim/replicate.h"

typedef struct ss_pool ss_pool;

/* In the child: do job `job` into r. */
typedef void (*ss_pool_work_fn)(void *ctx, int job, ss_result *r);
/* In the parent: job `job`, run by process `pid`, ended with r (which the
 * callee may take over: it then leaves r cleared). */
typedef void (*ss_pool_done_fn)(void *ctx, int job, int pid, ss_result *r);

ss_pool *ss_pool_new(int slots, ss_pool_work_fn work, void *ctx);   /* NULL when out of memory */
void ss_pool_free(ss_pool *p);           /* stops what still runs first */
int ss_pool_idle(const ss_pool *p);      /* free slots */
int ss_pool_busy(const ss_pool *p);      /* children running */
/* Fork a child for job.  SS_ERR_USAGE if no slot is free, SS_ERR_IO if the
 * fork or the pipe failed. */
int ss_pool_start(ss_pool *p, int job, ss_error *err);
/* Wait up to timeout_ms (-1: until one ends; 0: just look) and call done
 * for every job that ended.  Returns how many ended (0 on timeout). */
int ss_pool_wait(ss_pool *p, int timeout_ms, ss_pool_done_fn done, void *ctx);
/* Send SIGTERM to every child and reap them; done(...) is called for each
 * with a "missing" outcome. */
void ss_pool_stop(ss_pool *p, ss_pool_done_fn done, void *ctx);

/* The number of processors online (at least 1). */
int ss_pool_cores(void);

#endif
