/*
 * sim.h -- one simulation: a scenario loaded, run and written.
 *
 * Each ss_sim owns its engine, Lua state, model and output file, and shares
 * nothing with any other: many can run side by side in one process
 * (replications, sweeps).  Functions return SS_OK or a negative error code
 * and fill an ss_error whose message names file:line and the field when the
 * scenario is at fault; they never print except through the `log` callback
 * and never exit.
 */
#ifndef SNAPSIM_SIM_H
#define SNAPSIM_SIM_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "snapsim/engine.h"
#include "snapsim/error.h"

typedef struct ss_sim ss_sim;

/* --set NAME=VALUE (or a sweep's --param): a global the scenario reads.
 * `option` names the flag in messages (NULL: "--set"). */
typedef struct ss_set { const char *name, *value, *option; } ss_set;

typedef struct ss_options {
    const char *path;          /* scenario file (used in messages) */
    const char *source;        /* its text; NULL = read from path */
    int has_seed;              /* --seed given: overrides scenario{seed=} */
    uint64_t seed;
    uint64_t replication;      /* k: the run's seed is ss_replication_seed(seed, k); 0 = the plain run */
    int has_duration;          /* --duration given */
    ss_time duration;
    int fidelity;              /* --fidelity: 0 not given (the scenario's, default exact),
                                * 1 exact, 2 statistical */
    const ss_set *sets;        /* --set globals, defined before the script runs */
    int nsets;
    FILE *out;                 /* where print() and the demo's words go (NULL = stdout) */
    uint64_t lua_limit;        /* --lua-limit: Lua instructions per entry (0: scenario{lua_limit=} or the default) */
    double timeout_s;          /* --timeout: wall seconds for load + run (0: none) */
    /* Nonzero (a signal number, set by a handler) stops the load or the
     * run at the next poll with SS_ERR_STOPPED; NULL: never. */
    const volatile sig_atomic_t *stop;
} ss_options;

/* Load and validate a scenario (runs its top level: declarations and
 * scheduling).  On success *out is a simulation ready to run.  A --set the
 * scenario never reads (nor names in its code) is SS_ERR_USAGE. */
int ss_sim_load(ss_sim **out, const ss_options *opt, ss_error *err);
/* Run to the scenario's duration, writing to the HDF5 file `h5path` (NULL:
 * no file).  The file appears only if the run succeeds.  A runaway (more
 * than SS_MAX_EVENTS_PER_S events in a simulated second, snapsim/limits.h),
 * the timeout or a Lua entry past its budget is SS_ERR_INPUT; the stop flag
 * SS_ERR_STOPPED. */
int ss_sim_run(ss_sim *sim, const char *h5path, ss_error *err);
/* Print the closing summary (peak use, consolidations, stalls, clocks). */
void ss_sim_summary(const ss_sim *sim, FILE *f);
/* The same at a level: 0 totals only (a fixed number of lines per
 * datastore, whatever the number of VMs), 1 as ss_sim_summary (lists cut
 * at 20), 2 every deletion and VM. */
void ss_sim_summary_level(const ss_sim *sim, FILE *f, int level);
void ss_sim_free(ss_sim *sim);

/* Progress: called about every `every` events by ss_sim_run (NULL = none). */
typedef void (*ss_progress_fn)(void *ctx, double t_s, double duration_s, uint64_t events);
void ss_sim_set_progress(ss_sim *sim, ss_progress_fn fn, void *ctx);

/* The run's key metrics (include/snapsim/metrics.h), appended to m once
 * ss_sim_run has succeeded: SS_OK or SS_ERR_NOMEM. */
struct ss_metrics;
int ss_sim_metrics(ss_sim *sim, struct ss_metrics *m);

/* Figures for tests and summaries. */
ss_time ss_sim_duration(const ss_sim *sim);
uint64_t ss_sim_seed(const ss_sim *sim);
uint64_t ss_sim_events(const ss_sim *sim);
uint64_t ss_sim_guest_ios(const ss_sim *sim);     /* guest I/Os simulated, all VMs */
const char *ss_sim_name(const ss_sim *sim);
/* Check the model's invariants (model.h): datastore use = the sum of its
 * files, every delta's size = its format's formula, child counts, the top
 * of each disk a leaf.  SS_OK, or SS_ERR_USAGE with the first violation. */
int ss_sim_check(const ss_sim *sim, ss_error *err);

/* The Lua state, for tests that query the model through the scenario API. */
struct lua_State *ss_sim_lua(ss_sim *sim);
/* The simulated world (sim/model/world.h), for tests that read the model. */
struct ss_world *ss_sim_world(ss_sim *sim);

#endif
