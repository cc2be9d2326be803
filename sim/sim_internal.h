/*
 * sim_internal.h -- the ss_sim structure, shared by sim.c (the run) and
 * lua_api.c (the scenario language).  Nothing else includes it.
 */
#ifndef SNAPSIM_SIM_INTERNAL_H
#define SNAPSIM_SIM_INTERNAL_H

#include <stdio.h>

#include "model.h"
#include "snapsim/output.h"
#include "snapsim/sim.h"

#define SS_FORMAT_VERSION 1
#ifdef SNAPSIM_VERSION
#define SNAPSIM_VERSION_STRING SNAPSIM_VERSION
#else
#define SNAPSIM_VERSION_STRING "0.0.0"
#endif

typedef struct ss_cons_summary {
    char vm[64], snapshot[64], strategy[16], result[16];
    double t_start, duration, stun;
    int64_t bytes_copied, peak_extra, worst_case, iterations;
} ss_cons_summary;

/* A scheduled Lua callback: at/after (period 0) or every. */
typedef struct ss_callback {
    int ref;                  /* registry reference of the function */
    ss_time period, stop;     /* every(): period and last allowed time */
} ss_callback;

struct pending_ev;
struct vm_tick;

struct ss_sim {
    ss_engine *eng;
    struct lua_State *L;
    ss_out *out;
    FILE *outf;               /* print() and the demo's words */
    char *path, *source, *name;
    uint64_t seed;
    int seed_forced, duration_forced;
    ss_time duration, sample_every, tick;
    int declared_scenario;
    int loading;              /* the script's top level is running */
    int running;

    ss_datastore *dss;
    ss_host *hosts;
    ss_vm *vms;

    int t_events, t_cons, t_steps, t_ds, t_files, t_clocks, t_user;

    ss_callback *cbs;
    int ncbs;
    struct pending_ev *pending;
    struct vm_tick **ticks;
    int nticks;

    ss_cons_summary *cons;
    int ncons;

    int failed;
    ss_error run_err;
    ss_progress_fn progress;
    void *progress_ctx;
};

/* lua_api.c */
int ss_lua_has_handler(ss_sim *sim, const char *kind);
void ss_lua_dispatch(ss_sim *sim, const ss_event *ev);
/* sim.c */
void ss_sim_fail(ss_sim *sim, const char *msg);
void ss_sim_record_user(ss_sim *sim, const char *name, double value);

#endif
