/*
 * sim.c -- one run (include/snapsim/sim.h): a world, the scenario's script
 * that declares it, and the recorder that writes what happens.  The run is
 * the model's emitter: each event goes to the output file and to the
 * script's on() handlers; deletions and merges to their tables; "the state
 * changed" to a sample of the series.  Everything lives in the ss_sim;
 * nothing is global, so simulations run side by side.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lua/script.h"
#include "model/fleet.h"
#include "model/vm.h"
#include "output/record.h"
#include "run/tally.h"
#include "snapsim/limits.h"
#include "snapsim/sim.h"
#include "snapsim/units.h"

struct ss_sim {
    ss_world *w;
    ss_script *script;
    ss_rec *rec;
    ss_tally *tally;          /* the key metrics (tally.c) */
    ss_scenario sc;
    char *path, *source;
    int running;              /* between the start and the end of ss_sim_run */
    ss_progress_fn progress;
    void *progress_ctx;
    /* What stops a load or a run from outside: the caller's flag (a
     * signal number) and the wall-clock deadline (CLOCK_MONOTONIC s, 0:
     * none).  The first reason found is kept in stop_err (code 0: none). */
    const volatile sig_atomic_t *stop;
    double deadline, timeout_s;
    ss_error stop_err;
};

ss_time ss_sim_duration(const ss_sim *sim) { return sim->sc.duration; }
uint64_t ss_sim_seed(const ss_sim *sim) { return sim->sc.seed; }
uint64_t ss_sim_events(const ss_sim *sim) { return ss_engine_fired(sim->w->eng); }
uint64_t ss_sim_guest_ios(const ss_sim *sim)
{
    uint64_t n = 0;
    for (const ss_vm *vm = sim->w->vms; vm; vm = vm->next) n += vm->ios;
    return n;
}
const char *ss_sim_name(const ss_sim *sim) { return sim->sc.name ? sim->sc.name : ""; }
struct lua_State *ss_sim_lua(ss_sim *sim) { return ss_script_lua(sim->script); }
struct ss_world *ss_sim_world(ss_sim *sim) { return sim->w; }

void ss_sim_set_progress(ss_sim *sim, ss_progress_fn fn, void *ctx)
{
    sim->progress = fn;
    sim->progress_ctx = ctx;
}

/* ---- stopping from outside ---- */

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Asked by the Lua hook and the engine's guard: should the run stop?
 * Keeps the first reason in sim->stop_err. */
static int stop_reason(ss_sim *sim)
{
    if (sim->stop_err.code) return 1;
    if (sim->stop && *sim->stop) {
        ss_error_set(&sim->stop_err, SS_ERR_STOPPED, "interrupted by signal %d", (int)*sim->stop);
        return 1;
    }
    if (sim->deadline > 0 && wall_now() > sim->deadline) {
        char tb[64];
        ss_format_duration_human(sim->timeout_s, tb, sizeof tb);
        ss_error_set(&sim->stop_err, SS_ERR_INPUT, "the run took more than --timeout %s of wall time", tb);
        return 1;
    }
    return 0;
}

static int script_poll(void *ctx, char *why, size_t n)
{
    ss_sim *sim = ctx;
    if (!stop_reason(sim)) return 0;
    snprintf(why, n, "%s", sim->stop_err.msg);
    return 1;
}

static int engine_poll(void *ctx) { return stop_reason(ctx); }

/* ---- the model's emitter ---- */

static void on_event(void *ctx, const ss_event *ev)
{
    ss_sim *sim = ctx;
    ss_rec_event(sim->rec, ev);
    ss_tally_event(sim->tally, sim->w, ev);
    ss_script_post(sim->script, ev);
}

static void on_consolidation(void *ctx, const ss_event *done, double t_start, const char *ds, const char *result)
{
    ss_sim *sim = ctx;
    ss_rec_consolidation(sim->rec, done, t_start, ds, result);
    ss_tally_consolidation(sim->tally, done, result);
}

static void on_step(void *ctx, const ss_step_rec *s)
{
    ss_sim *sim = ctx;
    ss_rec_step(sim->rec, s);
}

static void on_backup(void *ctx, const ss_backup_rec *b)
{
    ss_sim *sim = ctx;
    ss_rec_backup(sim->rec, b);
}

static void on_phase(void *ctx, const ss_phase_rec *p)
{
    ss_sim *sim = ctx;
    ss_rec_phase(sim->rec, p);
}

static void on_outage(void *ctx, const ss_outage_rec *o)
{
    ss_sim *sim = ctx;
    ss_rec_outage(sim->rec, o);
}

static void on_sample(void *ctx)
{
    ss_sim *sim = ctx;
    if (!ss_rec_is_open(sim->rec) || !sim->running) return;
    ss_fleet_sync(sim->w);
    ss_rec_sample(sim->rec, sim->w);
}

static void on_record(void *ctx, const char *name, double value)
{
    ss_sim *sim = ctx;
    ss_rec_user(sim->rec, ss_time_to_s(ss_now(sim->w)), name, value);
    ss_tally_record(sim->tally, name, value);
}

static void sample_fire(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)arg;
    ss_sim *sim = ctx;
    on_sample(sim);
    ss_time next = ss_time_add(ss_engine_now(eng), sim->sc.sample_every);
    if (next < sim->sc.duration) ss_engine_at(eng, next, sample_fire, sim, 0);
}

/* ---- load ---- */

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    return p ? memcpy(p, s, n) : NULL;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) { fclose(f); return NULL; }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        cap *= 2;
        char *nb = realloc(buf, cap + 1);
        if (!nb) free(buf);
        buf = nb;
    }
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

static int load_fail(ss_sim *sim, int rc)
{
    ss_sim_free(sim);
    return rc;
}

int ss_sim_load(ss_sim **out, const ss_options *opt, ss_error *err)
{
    *out = NULL;
    ss_sim *sim = calloc(1, sizeof *sim);
    if (!sim) return ss_error_set(err, SS_ERR_NOMEM, "out of memory");
    sim->path = dupstr(opt->path ? opt->path : "scenario");
    sim->sc.replication = opt->replication;
    sim->sc.seed = ss_replication_seed(opt->has_seed ? opt->seed : 1, opt->replication);
    sim->sc.seed_forced = opt->has_seed;
    sim->sc.duration = opt->has_duration ? opt->duration : 86400 * SS_NS_PER_S;
    sim->sc.duration_forced = opt->has_duration;
    sim->sc.sample_every = 600 * SS_NS_PER_S;
    sim->sc.tick = SS_NS_PER_S;
    sim->sc.lua_limit = opt->lua_limit;
    sim->sc.lua_limit_forced = opt->lua_limit > 0;
    sim->stop = opt->stop;
    sim->timeout_s = opt->timeout_s;
    if (opt->timeout_s > 0) sim->deadline = wall_now() + opt->timeout_s;
    if (!sim->path) return load_fail(sim, ss_error_set(err, SS_ERR_NOMEM, "out of memory"));
    size_t len = 0;
    if (opt->source) {
        len = strlen(opt->source);
        sim->source = dupstr(opt->source);
    } else {
        sim->source = read_file(sim->path, &len);
        if (!sim->source)
            return load_fail(sim, ss_error_set(err, SS_ERR_IO, "%s: cannot read the scenario file", sim->path));
    }
    const char *base = strrchr(sim->path, '/');
    sim->sc.name = dupstr(base ? base + 1 : sim->path);
    sim->w = ss_fleet_new(sim->sc.seed);
    sim->rec = ss_rec_new();
    sim->tally = ss_tally_new();
    if (!sim->source || !sim->sc.name || !sim->w || !sim->rec || !sim->tally)
        return load_fail(sim, ss_error_set(err, SS_ERR_NOMEM, "out of memory"));
    if (opt->fidelity) {
        sim->w->statistical = opt->fidelity == 2;
        sim->sc.fidelity_forced = 1;
    }
    sim->w->emit = (ss_emitter){ sim, on_event, on_consolidation, on_step, on_sample, on_backup, on_phase, on_outage };
    ss_script_hooks hooks = { sim, on_record, script_poll };
    sim->script = ss_script_new(sim->w, &sim->sc, &hooks, opt->out, err);
    if (!sim->script) return load_fail(sim, err ? err->code : SS_ERR_NOMEM);
    int rc = SS_OK;
    for (int i = 0; i < opt->nsets && rc == SS_OK; i++)
        rc = ss_script_set_global(sim->script, opt->sets[i].option, opt->sets[i].name, opt->sets[i].value, err);
    if (rc == SS_OK) rc = ss_script_load(sim->script, sim->path, sim->source, len, err);
    for (int i = 0; i < opt->nsets && rc == SS_OK; i++)
        rc = ss_script_check_set(sim->script, opt->sets[i].option, opt->sets[i].name, opt->sets[i].value, sim->source,
                                 len, err);
    if (rc != SS_OK) {
        if (sim->stop_err.code == SS_ERR_STOPPED) {   /* a signal is not the scenario's fault */
            if (err) *err = sim->stop_err;
            rc = SS_ERR_STOPPED;
        }
        return load_fail(sim, rc);
    }
    if (!sim->w->vms && !sim->w->dss)
        return load_fail(sim, ss_error_set(err, SS_ERR_INPUT,
                                           "%s:1: the scenario declares nothing (expected datastore, host and vm declarations)",
                                           sim->path));
    *out = sim;
    return SS_OK;
}

/* ---- run ---- */

static ss_run_info run_info(const ss_sim *sim)
{
    ss_run_info info = { ss_sim_name(sim), sim->path, sim->source, sim->sc.seed, sim->sc.duration,
                         ss_engine_fired(sim->w->eng) };
    return info;
}

int ss_sim_run(ss_sim *sim, const char *h5path, ss_error *err)
{
    int rc;
    ss_world *w = sim->w;
    w->duration = sim->sc.duration;
    if (h5path && (rc = ss_rec_open(sim->rec, h5path, err)) != SS_OK) return rc;
    sim->running = 1;
    ss_engine *eng = w->eng;
    ss_fleet_start(w);
    ss_tally_start(sim->tally, w);
    ss_engine_at(eng, 0, sample_fire, sim, 0);
    ss_fleet_start_tick(w, sim->sc.tick);
    ss_engine_guard(eng, SS_MAX_EVENTS_PER_S, engine_poll, sim);

    /* Run in slices so that progress can be reported. */
    ss_time slice = sim->sc.duration / 100 + 1;
    stop_reason(sim);
    while (!sim->stop_err.code && !ss_engine_stopped(eng) && ss_engine_now(eng) < sim->sc.duration) {
        ss_time until = ss_time_add(ss_engine_now(eng), slice);
        if (until > sim->sc.duration) until = sim->sc.duration;
        ss_engine_run(eng, until);
        if (sim->progress)
            sim->progress(sim->progress_ctx, ss_time_to_s(ss_engine_now(eng)), ss_time_to_s(sim->sc.duration),
                          ss_engine_fired(eng));
    }
    if (sim->stop_err.code == SS_ERR_STOPPED) {   /* a signal: it wins over what the script made of it */
        ss_rec_abort(sim->rec);
        if (err) *err = sim->stop_err;
        return SS_ERR_STOPPED;
    }
    if (ss_script_failed(sim->script, err)) {
        ss_rec_abort(sim->rec);
        return err && err->code ? err->code : SS_ERR_INPUT;
    }
    if (sim->stop_err.code) {
        ss_rec_abort(sim->rec);
        char tb[64];
        ss_format_duration(ss_engine_now(eng), tb, sizeof tb);
        return ss_error_set(err, sim->stop_err.code, "%s: %s (stopped at simulated %s)", sim->path,
                            sim->stop_err.msg, tb);
    }
    if (ss_engine_runaway(eng) >= 0) {
        ss_rec_abort(sim->rec);
        char tb[64];
        ss_format_duration(ss_engine_runaway(eng), tb, sizeof tb);
        return ss_error_set(err, SS_ERR_INPUT,
                            "%s: more than %llu events in the simulated second from %s: a runaway model (an on() "
                            "handler that triggers its own event, a chain of zero delays?); README.md, Limits",
                            sim->path, (unsigned long long)SS_MAX_EVENTS_PER_S, tb);
    }
    ss_fleet_sync(w);
    on_sample(sim);
    ss_fleet_finish(w);
    sim->running = 0;
    ss_run_info info = run_info(sim);
    return ss_rec_commit(sim->rec, w, &info, err);
}

int ss_sim_check(const ss_sim *sim, ss_error *err)
{
    char why[512];
    if (ss_fleet_check(sim->w, why, sizeof why) != 0) return ss_error_set(err, SS_ERR_USAGE, "%s", why);
    return SS_OK;
}

void ss_sim_summary_level(const ss_sim *sim, FILE *f, int level)
{
    ss_run_info info = run_info(sim);
    ss_summary_print(f, sim->w, sim->rec, &info, level);
}

void ss_sim_summary(const ss_sim *sim, FILE *f) { ss_sim_summary_level(sim, f, 1); }

int ss_sim_metrics(ss_sim *sim, struct ss_metrics *m)
{
    return ss_tally_metrics(sim->tally, sim->w, m);
}

void ss_sim_free(ss_sim *sim)
{
    if (!sim) return;
    ss_rec_free(sim->rec);
    ss_tally_free(sim->tally);
    ss_script_free(sim->script);
    ss_fleet_free(sim->w);
    free(sim->sc.name);
    free(sim->path);
    free(sim->source);
    free(sim);
}
