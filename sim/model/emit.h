/*
 * emit.h -- how the models report what happens.
 *
 * The models know nothing of the output file or of Lua: they hand what
 * happened to an emitter, a table of functions the run provides
 * (run/sim.c).  An event becomes a row of /events and is passed to the
 * scenario's on() handlers; a finished deletion and each of its merges
 * become rows of /consolidations and /consolidation_steps; a backup job's
 * end and each of its phases rows of /backups and /backup_phases; a host's
 * outage a row of /host_outages; `sample` says
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
    const char *kept_files;   /* the merged files left on the datastore ("a, b"), or "" */
    int64_t kept_bytes;       /* their size */
    int64_t used;             /* datastore use at the event (consolidation_step), or 0 */
    /* backup_* extras (phase != NULL) */
    const char *phase, *proxy;
    int64_t job;
} ss_event;

/* One merge of a deletion (a row of /consolidation_steps). */
typedef struct ss_step_rec {
    double t0, t1;
    const char *vm, *child, *parent;
    int64_t bytes, growth;
    int stunned;
} ss_step_rec;

/* A backup job that ended (a row of /backups): done, failed, missed, or
 * unfinished at the end of the run; `phase` is where it ended. */
typedef struct ss_backup_rec {
    int64_t job;
    double t_submit, t_start, t_end;
    const char *vm, *host, *datastore, *proxy, *mode, *transport, *result, *phase, *consistency, *detail;
    int64_t bytes, quiesce_attempts;
    double wait_s, quiesce_s, export_s, delete_s;
} ss_backup_rec;

/* One phase of a backup job (a row of /backup_phases). */
typedef struct ss_phase_rec {
    int64_t job;
    double t0, t1;
    const char *vm, *phase, *result, *detail;
} ss_phase_rec;

/* A host outage that ended, or still went on at the end of the run (a row
 * of /host_outages): hostd restarted by its watchdog or stopped by
 * fail_host(). */
typedef struct ss_outage_rec {
    double t_start, t_end;
    const char *host, *cause, *result;   /* cause watchdog|fail_host; result responding|unfinished */
    double memory;                       /* hostd's memory when it stopped answering (bytes) */
    int64_t ops_failed, ops_delayed;     /* operations issued during the outage */
} ss_outage_rec;

typedef struct ss_emitter {
    void *ctx;
    void (*event)(void *ctx, const ss_event *ev);
    /* A deletion ended (result "done", "failed", "refused", "unfinished"):
     * `done` is its consolidation_done / _failed event. */
    void (*consolidation)(void *ctx, const ss_event *done, double t_start, const char *datastore,
                          const char *result);
    void (*step)(void *ctx, const ss_step_rec *s);
    void (*sample)(void *ctx);
    void (*backup)(void *ctx, const ss_backup_rec *b);
    void (*phase)(void *ctx, const ss_phase_rec *p);
    void (*outage)(void *ctx, const ss_outage_rec *o);
} ss_emitter;

#endif
