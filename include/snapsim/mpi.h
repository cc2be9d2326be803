/*
 * mpi.h -- an experiment's runs spread over MPI ranks (mpi.c; README
 * "Sweeps on a cluster").
 *
 * Under an MPI launcher (mpirun, srun) every rank runs the same command.
 * Rank 0 hands out the runs one at a time, on request, so long and short
 * runs balance; it also runs its own share in a local worker, keeps the
 * journal and writes the index.  Every other rank asks for a run, does it
 * in a worker process (workers.h), sends the outcome back and asks again.
 * Run files are written by whichever rank ran them, into the same
 * directory (a shared file system on a cluster); they and the index are
 * the same bytes as those of the same experiment run on one machine.
 *
 * Nothing is kept in globals: the MPI library's own state is the only
 * state, queried each time.  Without MPI at build time, ss_mpi_begin says
 * so when it finds itself started by an MPI launcher with several ranks.
 */
#ifndef SNAPSIM_MPI_H
#define SNAPSIM_MPI_H

#include <signal.h>

#include "snapsim/error.h"
#include "snapsim/workers.h"

/* 1 if this process was started by an MPI launcher (its environment says
 * so: OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK or PMI_SIZE). */
int ss_mpi_launched(void);
/* Initialise MPI if launched by one; *size gets the number of ranks (1
 * when not launched or not built with MPI) and *rank this one's. */
int ss_mpi_begin(int *rank, int *size, ss_error *err);
void ss_mpi_end(void);
/* 1 if snapsim was built with MPI. */
int ss_mpi_available(void);

/* Every rank gets rank 0's `ok` (after rank 0's own checks: a journal
 * refused there must stop every rank).  Without MPI: ok. */
int ss_mpi_agree(int ok);

/* Rank 0: hand out jobs todo[0..ntodo) to every rank (itself included,
 * through `pool`), calling done for each outcome as it arrives, until all
 * are done or *stop is set (then no new job is handed out; running ones
 * finish).  Other ranks: serve jobs with `pool` until rank 0 says stop;
 * there done(...) is called too, before the outcome is sent, and must not
 * take it over. */
int ss_mpi_execute(ss_pool *pool, const int *todo, int ntodo, ss_pool_done_fn done, void *ctx,
                   volatile sig_atomic_t *stop, ss_error *err);

#endif
