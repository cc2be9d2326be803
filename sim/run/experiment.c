/*
 * experiment.c -- replications and sweeps from start to end
 * (include/snapsim/experiment.h): check the scenario, open the journal,
 * do the runs that are not done in worker processes or over MPI, write the
 * index.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "run/journal.h"
#include "snapsim/experiment.h"
#include "snapsim/index.h"
#include "snapsim/mpi.h"
#include "snapsim/replicate.h"
#include "snapsim/workers.h"

/* The driver's state.  results[run] is the outcome of every run (missing
 * until done); journal is NULL on MPI ranks other than 0, which keep no
 * outcome (results NULL there too). */
typedef struct xrun {
    const ss_experiment *x;
    ss_options base;          /* x->run with the source text read once */
    size_t srclen;
    int reps, nruns;
    ss_result *results;
    ss_journal *journal;
    int journal_rc;
    ss_error journal_err;
    ss_xprogress prog;
    double t0;
} xrun;

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *path_in(const char *dir, const char *file)
{
    size_t n = strlen(dir) + strlen(file) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, file);
    return p;
}

/* The sets of one point: the shared --set ones, then the parameters. */
static ss_set *point_sets(const xrun *xr, int point, int *n)
{
    const ss_plan *pl = xr->x->plan;
    *n = xr->base.nsets + pl->nparams;
    ss_set *s = malloc((size_t)(*n > 0 ? *n : 1) * sizeof *s);
    if (!s) return NULL;
    for (int i = 0; i < xr->base.nsets; i++) s[i] = xr->base.sets[i];
    for (int k = 0; k < pl->nparams; k++)
        s[xr->base.nsets + k] = (ss_set){ pl->params[k].name, ss_plan_value(pl, point, k), "--param" };
    return s;
}

/* ---- in the worker ---- */

static void work(void *ctx, int job, ss_result *r)
{
    xrun *xr = ctx;
    int point = job / xr->reps, rep = job % xr->reps;
    char file[64];
    ss_index_run_file(point, rep, file, sizeof file);
    char *path = path_in(xr->x->dir, file);
    ss_options o = xr->base;
    int n = 0;
    ss_set *sets = point_sets(xr, point, &n);
    FILE *devnull = fopen("/dev/null", "w");   /* print() of sweep runs goes nowhere */
    if (!path || !sets || !devnull) {
        ss_result_fail(r, SS_RUN_FAILED, "out of memory");
    } else {
        o.sets = sets;
        o.nsets = n;
        o.out = devnull;
        ss_replicate(&o, (uint64_t)rep, path, r);
    }
    if (devnull) fclose(devnull);
    free(sets);
    free(path);
}

/* ---- in the parent ---- */

/* A worker that died leaves its temporary file "<file>.tmp-<pid>-<n>";
 * pid < 0: any worker's (a sweep killed as a whole left them). */
static void remove_tmp(const char *dir, int job, int reps, int pid)
{
    char file[64], prefix[96];
    ss_index_run_file(job / reps, job % reps, file, sizeof file);
    int n = pid < 0 ? snprintf(prefix, sizeof prefix, "%s.tmp-", file)
                    : snprintf(prefix, sizeof prefix, "%s.tmp-%d-", file, pid);
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, prefix, (size_t)n) == 0) {
            char *p = path_in(dir, e->d_name);
            if (p) unlink(p);
            free(p);
        }
    closedir(d);
}

static void done(void *ctx, int job, int pid, ss_result *r)
{
    xrun *xr = ctx;
    if (pid > 0 && r->status != SS_RUN_OK && r->status != SS_RUN_FAILED) remove_tmp(xr->x->dir, job, xr->reps, pid);
    if (!xr->results || r->status == SS_RUN_MISSING) return;   /* another rank's worker; or interrupted */
    ss_result_clear(&xr->results[job]);
    xr->results[job] = *r;
    *r = (ss_result){ SS_RUN_MISSING, 0, NULL, NULL };
    if (xr->journal && xr->journal_rc == SS_OK)
        xr->journal_rc = ss_journal_append(xr->journal, job, &xr->results[job], &xr->journal_err);
    ss_xprogress *p = &xr->prog;
    p->done++;
    p->failed += xr->results[job].status != SS_RUN_OK;
    p->elapsed_s = wall() - xr->t0;
    p->eta_s = p->elapsed_s / p->done * (p->total - p->done);
    if (xr->x->progress) xr->x->progress(xr->x->progress_ctx, p);
}

static int run_local(xrun *xr, ss_pool *pool, const int *todo, int ntodo, int *interrupted, ss_error *err)
{
    int next = 0, rc = SS_OK;
    volatile sig_atomic_t *stop = xr->x->stop;
    while (next < ntodo || ss_pool_busy(pool)) {
        if (stop && *stop) {
            *interrupted = 1;
            ss_pool_stop(pool, done, xr);
            break;
        }
        while (rc == SS_OK && ss_pool_idle(pool) && next < ntodo)
            if ((rc = ss_pool_start(pool, todo[next], err)) == SS_OK) next++;
        if (rc != SS_OK) {
            ss_pool_stop(pool, done, xr);
            break;
        }
        ss_pool_wait(pool, 250, done, xr);
    }
    return rc;
}

/* FNV-1a over what makes the experiment: a resume must match it. */
static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

static uint64_t fingerprint(const xrun *xr)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    char buf[128];
    h = fnv(h, xr->base.source, xr->srclen);
    int n = snprintf(buf, sizeof buf, "|seed %d %" PRIu64 "|dur %d %" PRId64 "|reps %d", xr->base.has_seed,
                     xr->base.seed, xr->base.has_duration, (int64_t)xr->base.duration, xr->reps);
    h = fnv(h, buf, (size_t)n);
    for (int i = 0; i < xr->base.nsets; i++) {
        h = fnv(h, "|set ", 5);
        h = fnv(h, xr->base.sets[i].name, strlen(xr->base.sets[i].name) + 1);
        h = fnv(h, xr->base.sets[i].value, strlen(xr->base.sets[i].value) + 1);
    }
    const ss_plan *pl = xr->x->plan;
    for (int k = 0; k < pl->nparams; k++) {
        h = fnv(h, "|param ", 7);
        h = fnv(h, pl->params[k].name, strlen(pl->params[k].name) + 1);
        for (int v = 0; v < pl->params[k].nvalues; v++)
            h = fnv(h, pl->params[k].values[v], strlen(pl->params[k].values[v]) + 1);
    }
    return h;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (cap - n < 65536) {
            char *nb = realloc(buf, cap = cap ? 2 * cap : 65536);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t k = fread(buf + n, 1, cap - n - 1, f);
        n += k;
        if (k == 0) break;
    }
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

/* Load the scenario once with the first point's values: it must load and
 * read every --set and --param.  Gives its name and seed for the index. */
static int check_scenario(xrun *xr, char **name, uint64_t *seed, ss_error *err)
{
    const ss_plan *pl = xr->x->plan;
    for (int k = 0; k < pl->nparams; k++)
        for (int i = 0; i < xr->base.nsets; i++)
            if (strcmp(pl->params[k].name, xr->base.sets[i].name) == 0)
                return ss_error_set(err, SS_ERR_USAGE, "%s is both a --param and a --set", pl->params[k].name);
    int n = 0;
    ss_set *sets = point_sets(xr, 0, &n);
    FILE *devnull = fopen("/dev/null", "w");
    ss_options o = xr->base;
    o.sets = sets;
    o.nsets = n;
    o.out = devnull;
    ss_sim *sim = NULL;
    int rc = !sets || !devnull ? ss_error_set(err, SS_ERR_NOMEM, "out of memory") : ss_sim_load(&sim, &o, err);
    if (rc == SS_OK) {
        *seed = ss_sim_seed(sim);
        const char *nm = ss_sim_name(sim);
        if ((*name = malloc(strlen(nm) + 1))) strcpy(*name, nm);
    }
    ss_sim_free(sim);
    if (devnull) fclose(devnull);
    free(sets);
    return rc;
}

static int make_dir(const char *dir, ss_error *err)
{
    struct stat st;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return ss_error_set(err, SS_ERR_IO, "-o %s: cannot create the directory: %s", dir, strerror(errno));
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return ss_error_set(err, SS_ERR_USAGE, "-o %s: not a directory (replications and sweeps write a directory)",
                            dir);
    return SS_OK;
}

/* Rank 0 (or no MPI): the directory, the journal, what is left to do. */
static int prepare(xrun *xr, int **todo, int *ntodo, ss_error *err)
{
    int rc = make_dir(xr->x->dir, err);
    if (rc != SS_OK) return rc;
    if (!(xr->results = calloc((size_t)xr->nruns, sizeof *xr->results)))
        return ss_error_set(err, SS_ERR_NOMEM, "out of memory");
    char *jpath = path_in(xr->x->dir, "journal");
    if (!jpath) return ss_error_set(err, SS_ERR_NOMEM, "out of memory");
    rc = ss_journal_open(&xr->journal, jpath, fingerprint(xr), xr->x->resume, xr->results, xr->nruns, err);
    free(jpath);
    if (rc != SS_OK) return rc;
    if (!(*todo = malloc((size_t)xr->nruns * sizeof **todo))) return ss_error_set(err, SS_ERR_NOMEM, "out of memory");
    *ntodo = 0;
    for (int run = 0; run < xr->nruns; run++) {
        ss_result *r = &xr->results[run];
        if (r->status == SS_RUN_OK) {   /* done, if its file is still there */
            char file[64];
            ss_index_run_file(run / xr->reps, run % xr->reps, file, sizeof file);
            char *p = path_in(xr->x->dir, file);
            int there = p && access(p, F_OK) == 0;
            free(p);
            if (there) {
                xr->prog.skipped++;
                continue;
            }
        }
        ss_result_clear(r);   /* missing, failed or crashed: again */
        remove_tmp(xr->x->dir, run, xr->reps, -1);   /* what a killed sweep left of it */
        (*todo)[(*ntodo)++] = run;
    }
    return SS_OK;
}

int ss_experiment_run(const ss_experiment *x, ss_xoutcome *out, ss_error *err)
{
    memset(out, 0, sizeof *out);
    out->ranks = 1;
    xrun xr;
    memset(&xr, 0, sizeof xr);
    xr.x = x;
    xr.base = x->run;
    xr.reps = x->plan->replications;
    xr.nruns = ss_plan_runs(x->plan);
    xr.t0 = wall();
    xr.prog.eta_s = NAN;
    char *source = NULL, *name = NULL;
    int *todo = NULL, ntodo = 0;
    ss_pool *pool = NULL;
    int rc = ss_mpi_begin(&out->rank, &out->ranks, err);
    if (rc == SS_OK && !xr.base.source) {
        if (!(source = read_all(xr.base.path, &xr.srclen)))
            rc = ss_error_set(err, SS_ERR_IO, "%s: cannot read the scenario file", xr.base.path);
        xr.base.source = source;
    } else if (rc == SS_OK) {
        xr.srclen = strlen(xr.base.source);
    }
    uint64_t seed = 0;
    if (rc == SS_OK) rc = check_scenario(&xr, &name, &seed, err);
    if (rc == SS_OK && out->rank == 0) rc = prepare(&xr, &todo, &ntodo, err);
    if (!ss_mpi_agree(rc == SS_OK) && rc == SS_OK)
        rc = ss_error_set(err, SS_ERR_USAGE, "rank 0 refused the experiment (see its message)");
    int jobs = x->jobs > 0 ? x->jobs : out->ranks > 1 ? 1 : ss_pool_cores();
    if (rc == SS_OK && !(pool = ss_pool_new(out->ranks > 1 ? 1 : jobs, work, &xr)))
        rc = ss_error_set(err, SS_ERR_NOMEM, "out of memory");
    xr.prog.total = ntodo;
    if (rc == SS_OK) {
        if (out->ranks > 1) rc = ss_mpi_execute(pool, todo, ntodo, done, &xr, x->stop, err);
        else rc = run_local(&xr, pool, todo, ntodo, &out->interrupted, err);
        if (x->stop && *x->stop) out->interrupted = 1;
    }
    ss_pool_free(pool);
    if (rc == SS_OK && xr.journal_rc != SS_OK) {
        rc = xr.journal_rc;
        *err = xr.journal_err;
    }
    if (xr.results && xr.journal) {   /* rank 0: the index of what is done, even after an error */
        char *ipath = path_in(x->dir, "index.h5");
        ss_index_info info = { name, xr.base.path, xr.base.source, seed };
        ss_error ierr;
        int irc = ipath ? ss_index_write(ipath, x->plan, xr.results, &info, &ierr) : SS_ERR_NOMEM;
        if (irc != SS_OK && rc == SS_OK) {
            rc = irc;
            *err = ierr;
        }
        free(ipath);
        for (int run = 0; run < xr.nruns; run++) {
            ss_run_status s = xr.results[run].status;
            out->ok += s == SS_RUN_OK;
            out->failed += s == SS_RUN_FAILED || s == SS_RUN_CRASHED;
        }
        out->runs = xr.nruns;
        out->missing = xr.nruns - out->ok - out->failed;
        if (x->report && rc == SS_OK) ss_index_print(x->report, x->plan, xr.results);
    }
    out->wall_s = wall() - xr.t0;
    ss_journal_close(xr.journal);
    if (xr.results)
        for (int run = 0; run < xr.nruns; run++) ss_result_clear(&xr.results[run]);
    free(xr.results);
    free(todo);
    free(name);
    free(source);
    ss_mpi_end();
    return rc;
}
