/*
 * world.h -- the simulated world: the engine it runs on, the emitter it
 * reports through, and the datastores, hosts and VMs a scenario declared.
 *
 * Every model function takes the world as its first argument; nothing in
 * the model is global, so several worlds run side by side in one process.
 * This header is at the bottom of the model (it names the other modules'
 * types without their definitions); fleet.c, at the top, holds what needs
 * them all: lookups, the tick, teardown and the invariant check.
 */
#ifndef SNAPSIM_MODEL_WORLD_H
#define SNAPSIM_MODEL_WORLD_H

#include <stddef.h>

#include "model/emit.h"
#include "snapsim/engine.h"

struct ss_datastore;
struct ss_host;
struct ss_vm;
struct ss_proxy;
struct ss_backup;
struct ss_convert;

typedef struct ss_world {
    ss_engine *eng;
    ss_emitter emit;
    ss_time duration;           /* the run's end: periodic model events stop before it */
    struct ss_datastore *dss;   /* in declaration order */
    struct ss_host *hosts;
    struct ss_vm *vms;
    struct ss_proxy *proxies;   /* VCB proxies, in declaration order */
    struct ss_backup *backups;  /* backup jobs queued or running, in submission order */
    int nbackups;               /* jobs submitted so far: the next job's number - 1 */
    struct ss_convert *converts;    /* conversions running, in start order */
    int nconverts;              /* conversions started so far */
    int statistical;            /* fidelity "statistical": random writes counted, not drawn
                                 * one by one (stat_io.h); 0: "exact" */
} ss_world;

static inline ss_time ss_now(const ss_world *w) { return ss_engine_now(w->eng); }
static inline void ss_emit(ss_world *w, const ss_event *ev)
{
    if (w->emit.event) w->emit.event(w->emit.ctx, ev);
}
static inline void ss_emit_consolidation(ss_world *w, const ss_event *done, double t_start, const char *ds,
                                         const char *result)
{
    if (w->emit.consolidation) w->emit.consolidation(w->emit.ctx, done, t_start, ds, result);
}
static inline void ss_emit_step(ss_world *w, const ss_step_rec *s)
{
    if (w->emit.step) w->emit.step(w->emit.ctx, s);
}
static inline void ss_emit_backup(ss_world *w, const ss_backup_rec *b)
{
    if (w->emit.backup) w->emit.backup(w->emit.ctx, b);
}
static inline void ss_emit_phase(ss_world *w, const ss_phase_rec *p)
{
    if (w->emit.phase) w->emit.phase(w->emit.ctx, p);
}
static inline void ss_emit_outage(ss_world *w, const ss_outage_rec *o)
{
    if (w->emit.outage) w->emit.outage(w->emit.ctx, o);
}
/* The state changed: let the recorder sample the series now. */
static inline void ss_changed(ss_world *w)
{
    if (w->emit.sample) w->emit.sample(w->emit.ctx);
}

#endif
