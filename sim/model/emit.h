/*
 * emit.h -- how the models report what happens.
 *
 * The models know nothing of the output file or of Lua: they hand what
 * happened to an emitter, a table of functions the run provides
 * (run/sim.c).  An event becomes a row of /events and is passed to the
 * scenario's on() handlers; a finished deletion and each of its merges
 * become rows of /consolidations and /consolidation_steps; `sample` says
 * "the state changed: record the series now".  Every function may be NULL.
 * The strings of an event belong to the caller and live only during the
 * call: an emitter that keeps them copies them.
 */
#ifndef SNAPSIM_MODEL_EMIT_H
#define SNAPSIM_MODEL_EMIT_H

#include <stdint.h>

typedef struct ss_event {
    double t;
    const char *kind;
    const char *vm, *host, *datastore, *snapshot;
    int64_t bytes;
    double value;
    const char *detail;
    /* consolidation_done / _failed extras (strategy != NULL) */
    const char *strategy;
    int64_t bytes_copied, peak_extra_bytes, worst_case_bytes;
    double duration, stun_time;
    int64_t iterations, merges;
    int64_t used;             /* datastore use at the event (consolidation_step), or 0 */
} ss_event;

/* One merge of a deletion (a row of /consolidation_steps). */
typedef struct ss_step_rec {
    double t0, t1;
    const char *vm, *child, *parent;
    int64_t bytes, growth;
    int stunned;
} ss_step_rec;

typedef struct ss_emitter {
    void *ctx;
    void (*event)(void *ctx, const ss_event *ev);
    /* A deletion ended (result "done", "failed", "refused", "unfinished"):
     * `done` is its consolidation_done / _failed event. */
    void (*consolidation)(void *ctx, const ss_event *done, double t_start, const char *datastore,
                          const char *result);
    void (*step)(void *ctx, const ss_step_rec *s);
    void (*sample)(void *ctx);
} ss_emitter;

#endif
