/*
 * mpi.c -- runs handed out over MPI ranks (include/snapsim/mpi.h).
 *
 * The protocol, two tags:
 *   TAG_READY  rank r -> 0: "I am free", with the outcome of the job it
 *              just did as text ("job N\n" + the outcome, replicate.h), or
 *              empty the first time;
 *   TAG_JOB    0 -> rank r: one int, the job to do, or -1: stop.
 * Rank 0 polls (MPI_Iprobe, then its local worker's pipe for a few ms), so
 * it never spins a core while its own worker simulates.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapsim/mpi.h"

int ss_mpi_launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK") || getenv("PMI_SIZE");
}

#ifdef SNAPSIM_HAVE_MPI
#include <mpi.h>

#define TAG_READY 1
#define TAG_JOB 2

int ss_mpi_available(void) { return 1; }

int ss_mpi_begin(int *rank, int *size, ss_error *err)
{
    *rank = 0;
    *size = 1;
    if (!ss_mpi_launched()) return SS_OK;
    int init = 0;
    MPI_Initialized(&init);
    if (!init && MPI_Init(NULL, NULL) != MPI_SUCCESS) return ss_error_set(err, SS_ERR_IO, "MPI_Init failed");
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    return SS_OK;
}

void ss_mpi_end(void)
{
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (init && !fin) MPI_Finalize();
}

/* The job and outcome a TAG_READY message carries (job -1: none). */
static int parse_ready(char *text, ss_result *r)
{
    if (strncmp(text, "job ", 4) != 0) return -1;
    int job = atoi(text + 4);
    char *line = strchr(text, '\n');
    while (line && *++line) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        ss_error e;
        if (ss_result_read_line(r, line, &e) != SS_OK) {
            ss_result_clear(r);
            ss_result_fail(r, SS_RUN_CRASHED, "a garbled outcome from an MPI rank: %s", e.msg);
            return job;
        }
        line = nl;
    }
    return job;
}

typedef struct served {
    int job;
    ss_result r;
    ss_pool_done_fn done;
    void *ctx;
} served;

static void keep(void *ctx, int job, int pid, ss_result *r)
{
    served *s = ctx;
    if (s->done) s->done(s->ctx, job, pid, r);
    s->job = job;
    s->r = *r;
    *r = (ss_result){ SS_RUN_MISSING, 0, NULL, NULL };
}

/* Every rank but 0. */
static int serve(ss_pool *pool, ss_pool_done_fn done, void *ctx, ss_error *err)
{
    char *msg = NULL;
    size_t len = 0;
    for (;;) {
        if (MPI_Send(msg ? msg : "", (int)len, MPI_CHAR, 0, TAG_READY, MPI_COMM_WORLD) != MPI_SUCCESS) {
            free(msg);
            return ss_error_set(err, SS_ERR_IO, "MPI_Send failed");
        }
        free(msg);
        msg = NULL;
        len = 0;
        int job = -1;
        MPI_Recv(&job, 1, MPI_INT, 0, TAG_JOB, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (job < 0) return SS_OK;
        served s = { -1, { SS_RUN_MISSING, 0, NULL, NULL }, done, ctx };
        int rc = ss_pool_start(pool, job, err);
        while (rc == SS_OK && ss_pool_busy(pool)) ss_pool_wait(pool, -1, keep, &s);
        if (rc != SS_OK) ss_result_fail(&s.r, SS_RUN_CRASHED, "%s", err->msg);
        char head[32];
        snprintf(head, sizeof head, "job %d\n", job);
        if (ss_text_append(&msg, &len, head, 0) != SS_OK || ss_result_write(&s.r, &msg, &len) != SS_OK) {
            ss_result_clear(&s.r);
            free(msg);
            return ss_error_set(err, SS_ERR_NOMEM, "out of memory");
        }
        ss_result_clear(&s.r);
    }
}

/* Rank 0. */
static int hand_out(ss_pool *pool, const int *todo, int ntodo, ss_pool_done_fn done, void *ctx,
                    volatile sig_atomic_t *stop, ss_error *err)
{
    int size = 1, next = 0, active = 0;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    active = size - 1;      /* ranks not yet told to stop */
    int rc = SS_OK;
    while (active > 0 || ss_pool_busy(pool) || (next < ntodo && !(stop && *stop))) {
        int halt = stop && *stop;
        while (!halt && rc == SS_OK && ss_pool_idle(pool) && next < ntodo)
            if ((rc = ss_pool_start(pool, todo[next], err)) == SS_OK) next++;
        if (rc != SS_OK) halt = 1;
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_READY, MPI_COMM_WORLD, &flag, &st);
        if (flag) {
            int n = 0;
            MPI_Get_count(&st, MPI_CHAR, &n);
            char *text = malloc((size_t)n + 1);
            if (!text) return ss_error_set(err, SS_ERR_NOMEM, "out of memory");
            MPI_Recv(text, n, MPI_CHAR, st.MPI_SOURCE, TAG_READY, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            text[n] = 0;
            ss_result r = { SS_RUN_MISSING, 0, NULL, NULL };
            int job = parse_ready(text, &r);
            free(text);
            if (job >= 0 && done) done(ctx, job, 0, &r);
            ss_result_clear(&r);
            int give = -1;
            if (!halt && next < ntodo) give = todo[next++];
            else active--;
            MPI_Send(&give, 1, MPI_INT, st.MPI_SOURCE, TAG_JOB, MPI_COMM_WORLD);
            continue;
        }
        ss_pool_wait(pool, 5, done, ctx);
    }
    return rc;
}

int ss_mpi_execute(ss_pool *pool, const int *todo, int ntodo, ss_pool_done_fn done, void *ctx,
                   volatile sig_atomic_t *stop, ss_error *err)
{
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank == 0 ? hand_out(pool, todo, ntodo, done, ctx, stop, err) : serve(pool, done, ctx, err);
}

int ss_mpi_agree(int ok)
{
    int init = 0;
    MPI_Initialized(&init);
    if (init) MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return ok;
}

#else /* no MPI at build time */

int ss_mpi_available(void) { return 0; }

int ss_mpi_begin(int *rank, int *size, ss_error *err)
{
    *rank = 0;
    *size = 1;
    const char *n = getenv("OMPI_COMM_WORLD_SIZE");
    if (!n) n = getenv("PMI_SIZE");
    if (n && atoi(n) > 1)
        return ss_error_set(err, SS_ERR_USAGE,
                            "started by an MPI launcher with %s ranks, but this snapsim was built without MPI "
                            "(install libopenmpi-dev and rebuild)", n);
    return SS_OK;
}

void ss_mpi_end(void) {}

int ss_mpi_agree(int ok) { return ok; }

int ss_mpi_execute(ss_pool *pool, const int *todo, int ntodo, ss_pool_done_fn done, void *ctx,
                   volatile sig_atomic_t *stop, ss_error *err)
{
    (void)pool; (void)todo; (void)ntodo; (void)done; (void)ctx; (void)stop;
    return ss_error_set(err, SS_ERR_USAGE, "snapsim was built without MPI");
}

#endif
