/*
 * experiment.h -- replications and sweeps, start to end (experiment.c):
 * the plan's runs done in worker processes (-j), or over MPI ranks, each
 * run's outcome journaled as it ends, then DIR/index.h5.
 *
 *   DIR/p0003-r0017.h5   run files (point 3, replication 17), written as
 *                        `snapsim run` would (replication 0 byte for byte)
 *   DIR/journal          the outcomes so far, for --resume (journal.h)
 *   DIR/index.h5         the index (index.h), rewritten atomically at the end
 *
 * Interruption: the caller owns the signal handling and passes a flag
 * (`stop`) that a handler sets; the driver then hands out no new run,
 * stops the running ones (SIGTERM: they leave no file), writes the index
 * of what is done and returns with `interrupted` set.  Everything finished
 * is in the journal, so `--resume` loses nothing done.
 */
#ifndef SNAPSIM_EXPERIMENT_H
#define SNAPSIM_EXPERIMENT_H

#include <signal.h>
#include <stdio.h>

#include "snapsim/error.h"
#include "snapsim/sim.h"
#include "snapsim/sweep.h"

/* Progress, after every finished run. */
typedef struct ss_xprogress {
    int done, total;          /* runs finished in this session / to do in it */
    int failed;               /* of them, failed or crashed */
    int skipped;              /* already done before (--resume) */
    double elapsed_s, eta_s;  /* wall time so far; estimated time left (NaN: not known yet) */
} ss_xprogress;

typedef struct ss_experiment {
    ss_options run;           /* the scenario and the options every run shares (--seed, --duration, --set) */
    const ss_plan *plan;      /* parameters and replications */
    const char *dir;          /* -o DIR (created if missing) */
    int jobs;                 /* worker processes; 0: one per core (one per rank under MPI) */
    int resume;               /* --resume: redo only what is missing or failed */
    volatile sig_atomic_t *stop;   /* set by a signal handler: stop cleanly (NULL: none) */
    void (*progress)(void *ctx, const ss_xprogress *p);
    void *progress_ctx;
    FILE *report;             /* the closing text (NULL: none) */
} ss_experiment;

typedef struct ss_xoutcome {
    int runs, ok, failed, missing;
    int interrupted;          /* stopped by *stop */
    int rank, ranks;          /* MPI rank of this process and their number (0, 1 without MPI) */
    double wall_s;
} ss_xoutcome;

/* Do the experiment.  SS_OK when every run was tried (some may have
 * failed: see out->failed); an error for bad options or scenario (nothing
 * run: the scenario must load with the first point's values and read every
 * --set and --param), an unusable DIR, or a journal from another
 * experiment. */
int ss_experiment_run(const ss_experiment *x, ss_xoutcome *out, ss_error *err);

#endif
