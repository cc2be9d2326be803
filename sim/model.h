/*
 * model.h -- the simulated world, shared by the model modules:
 *
 *   datastore.c    space (used, peak, stalls waiting for space) and
 *                  bandwidth shared max-min fairly among activities
 *   chain.c        a disk's file tree: deltas, grain sets, guest writes,
 *                  snapshot and revert
 *   consolidate.c  deleting snapshots: delete_snapshot, delete_all, the
 *                  merges and their live handling (stun, helper, mirror)
 *   strategy.c     the strategy presets, as a table
 *   vm.c           power states, the guest workload's clock, stalls, guest
 *                  clocks and their resyncs
 *   sim.c          the run: engine, events, sampling, output
 *   lua_api.c      the scenario language (translation only)
 *
 * Invariants (checked by tests):
 *   ds->used == sum of size over live files on ds
 *   a delta's size == ss_format_filesize(fmt, capacity, count(gs), regions(gs))
 *   disk->top is a leaf of the file tree and is the file guest writes go to
 */
#ifndef SNAPSIM_MODEL_H
#define SNAPSIM_MODEL_H

#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "snapsim/clock.h"
#include "snapsim/engine.h"
#include "snapsim/format.h"
#include "snapsim/grainset.h"
#include "snapsim/workload.h"

typedef struct ss_sim ss_sim;
typedef struct ss_vm ss_vm;
typedef struct ss_disk ss_disk;
typedef struct ss_job ss_job;

/* ---- strategies (strategy.c) ---- */

typedef enum { SS_ORDER_NEWEST_FIRST, SS_ORDER_OLDEST_FIRST, SS_ORDER_COMMIT, SS_ORDER_STREAM } ss_order;
typedef enum { SS_LIVE_STUN, SS_LIVE_HELPER, SS_LIVE_MIRROR, SS_LIVE_NONE } ss_live;

typedef struct ss_strategy {
    const char *name;
    ss_order order;           /* order of the merges of Delete All */
    int release_at_end;       /* 1: no file removed until the end; 0: after each merge */
    ss_live live;             /* how the delta a running guest writes to is merged */
} ss_strategy;

const ss_strategy *ss_strategy_find(const char *name);
const char *ss_strategy_names(void);

/* ---- datastores (datastore.c) ---- */

/* Something that uses a datastore's bandwidth: a merge's copy, a guest's
 * writes.  demand is in bytes/s of I/O (INFINITY: as fast as it may);
 * rate is what max-min fair sharing gives it. */
typedef struct ss_activity {
    struct ss_datastore *ds;
    double demand;
    double rate;
    double prev_rate;         /* rate before the last resharing (datastore.c) */
    void (*on_rate)(ss_sim *sim, struct ss_activity *a);   /* rate changed */
    void *owner;
    struct ss_activity *next;
    int attached;
} ss_activity;

/* A high-water mark of a datastore's use, kept while it is attached. */
typedef struct ss_watch {
    uint64_t peak;
    struct ss_watch *next;
} ss_watch;

typedef struct ss_datastore {
    char *name;
    uint64_t capacity;
    double bandwidth;         /* bytes/s of I/O */
    uint64_t used;            /* bytes in live files */
    uint64_t peak_used;
    ss_time t_peak;
    int full;                 /* a VM is stalled for space now */
    int full_events;
    ss_vm **stalled;          /* VMs waiting for space, in stall order */
    int nstalled, capstalled;
    ss_activity *acts;        /* attached activities */
    struct ss_watch *watches; /* high-water marks kept for running deletions */
    struct ss_datastore *next;
} ss_datastore;

/* ---- hosts ---- */

typedef struct ss_host {
    char *name;
    ss_hclock clock;
    struct ss_host *next;
} ss_host;

/* ---- files and disks (chain.c) ---- */

typedef enum { SS_FILE_FLAT, SS_FILE_DELTA, SS_FILE_HELPER, SS_FILE_VMSN, SS_FILE_VMSS } ss_file_kind;
const char *ss_file_kind_name(ss_file_kind k);

typedef struct ss_file {
    char *name;
    ss_file_kind kind;
    ss_vm *vm;
    ss_disk *disk;            /* NULL for .vmsn / .vmss */
    ss_datastore *ds;
    struct ss_file *parent;   /* backing file; NULL for the base */
    int nchildren;
    ss_grainset *gs;          /* grains held; NULL for a thick base (holds all) */
    int thick;                /* thick base: full size from creation, never grows */
    uint64_t size;            /* bytes on the datastore */
    uint64_t cap_need;        /* the largest need (file_need) the current size holds:
                               * adding grains only recomputes the size past it */
    int busy;                 /* a merge reads or writes it */
    struct ss_file *next;     /* the VM's live files, in creation order */
} ss_file;

struct ss_disk {
    ss_vm *vm;
    int index;                /* 0-based */
    uint64_t capacity;
    const ss_format *fmt;
    int thin;
    uint64_t ngrains;         /* capacity / grain, rounded up */
    ss_file *base;            /* root of the file tree */
    ss_file *top;             /* where guest writes go ("you are here") */
    ss_file *mirror;          /* during a mirrored merge: writes also go here */
    int counter;              /* last delta number used */
    uint64_t fixed;           /* a delta's fixed bytes (header, directory) */
    unsigned grain_shift;     /* log2 of the format's grain */
    uint64_t margin;          /* free space above which no write needs a space check */
};

/* ---- snapshots ---- */

typedef struct ss_snapshot {
    char *name;
    struct ss_snapshot *parent;
    ss_file **files;          /* per disk: the frozen file holding the disk as it was */
    ss_file *vmsn;
    int memory;               /* memory snapshot: revert resumes the VM */
    double guest_offset;      /* guest clock offset at the snapshot moment */
    ss_time t;
    struct ss_snapshot *next; /* the VM's snapshots, in creation order */
} ss_snapshot;

/* ---- VMs (vm.c) ---- */

typedef enum { SS_POWER_OFF, SS_POWER_ON, SS_POWER_SUSPENDED } ss_power;
const char *ss_power_name(ss_power p);

typedef struct ss_clock_cfg {
    double drift_ppm;
    int tools_sync;
    ss_time sync_interval;
    int sync_backward;
    int catch_up;
    int resync_boot, resync_resume, resync_revert;
    double skew_limit;
} ss_clock_cfg;

typedef struct ss_consolidation_cfg {
    int max_iterations;
    double max_consolidate_time;   /* s */
    int force_sync;
    double switchover_stun;        /* s, mirror's stun at the switch-over */
} ss_consolidation_cfg;

struct ss_vm {
    char *name;
    ss_host *host;
    ss_datastore *ds;
    uint64_t memory;
    ss_power power;
    ss_disk *disks;
    int ndisks;
    ss_snapshot *snaps, *cur;      /* all snapshots; the parent of "you are here" */
    int nsnaps;
    ss_file *files;                /* live files, in creation order */
    const ss_strategy *strategy;
    ss_consolidation_cfg ccfg;
    ss_job *job;                   /* the deletion running, if any */

    /* Guest workload.  Operational time u advances at `speed` I/Os per
     * second since (t_anchor, u_anchor).  I/Os are drawn ahead into a small
     * queue (ioq[qhead .. qhead+qlen), each at operational time uq[]) so the
     * grain-set words of the next ones can be prefetched while one is
     * applied; u_next is the operational time of the last I/O drawn.  The
     * draws are the same, in the same order, as one at a time. */
    ss_workload *wl;
    int wl_disk;
    gsl_rng *rng;                  /* the workload's own generator */
    char *stream;                  /* its stream name, for the seed */
    ss_time t_anchor;
    double u_anchor, u_next, speed;
#define SS_IOQ 32
    ss_io ioq[SS_IOQ];
    double uq[SS_IOQ];
    int qhead, qlen;
    double throttle;               /* share of demand granted, (0, 1] */
    double denied;                 /* bytes/s of I/O demanded but not granted */
    ss_activity io;                /* the workload's bandwidth activity */
    int stalled;                   /* waiting for space */
    ss_time stall_start;
    int stunned;
    struct ss_wjob *wjobs;         /* write() calls with a rate, in progress */

    /* Guest clock. */
    ss_clock_cfg ccl;
    ss_gclock clock;

    /* Statistics. */
    uint64_t bytes_written, ios;
    int stalls;
    double stall_s, throttled_s, throttled_bytes;
    ss_time throttle_since;
    struct ss_vm *next;
};

/* ---- events (sim.c) ---- */

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
    int64_t used;             /* datastore use at the event (consolidation_step), or -1 */
} ss_event;

/* The world, as the model modules see it (sim.c defines ss_sim). */
ss_engine *ss_sim_engine(ss_sim *sim);
void ss_sim_emit(ss_sim *sim, const ss_event *ev);
void ss_sim_sample(ss_sim *sim);            /* record series rows now */
void ss_sim_record_consolidation(ss_sim *sim, const ss_event *done, double t_start, const char *ds,
                                 const char *result);
void ss_sim_record_step(ss_sim *sim, ss_vm *vm, double t0, double t1, const char *child,
                        const char *parent, int64_t bytes, int64_t growth, int stunned);
ss_vm *ss_sim_vms(ss_sim *sim);

/* ---- datastore.c ---- */
void ss_ds_charge(ss_sim *sim, ss_datastore *ds, int64_t delta);   /* used += delta; peak */
int ss_ds_fits(const ss_datastore *ds, uint64_t bytes);
void ss_ds_wait(ss_datastore *ds, ss_vm *vm);                      /* queue a stalled VM */
void ss_ds_unwait(ss_datastore *ds, ss_vm *vm);
void ss_ds_space_freed(ss_sim *sim, ss_datastore *ds);             /* wake stalled VMs */
void ss_ds_attach(ss_sim *sim, ss_activity *a);
void ss_ds_detach(ss_sim *sim, ss_activity *a);
void ss_ds_set_demand(ss_sim *sim, ss_activity *a, double demand);
void ss_ds_watch(ss_datastore *ds, ss_watch *w);
void ss_ds_unwatch(ss_datastore *ds, ss_watch *w);
void ss_ds_free(ss_datastore *ds);

/* ---- chain.c ---- */
ss_file *ss_file_new(ss_sim *sim, ss_vm *vm, ss_disk *d, ss_file_kind kind, const char *name, ss_file *parent,
                     uint64_t size);
void ss_file_release(ss_sim *sim, ss_file *f);
void ss_file_resize(ss_sim *sim, ss_file *f);                /* size from the grain set */
uint64_t ss_file_size_for(const ss_file *f, uint64_t grains, uint64_t regions);
uint64_t ss_file_allocated(const ss_file *f);                /* guest bytes held */
ss_file *ss_chain_new_delta(ss_sim *sim, ss_disk *d, ss_file *parent, ss_file_kind kind);
int ss_disk_init(ss_sim *sim, ss_vm *vm, ss_disk *d, int index);
/* Apply one guest write to the disk; 0 done, 1 no space (nothing changed). */
int ss_disk_write(ss_sim *sim, ss_disk *d, uint64_t offset, uint64_t len);
void ss_disk_prefetch(const ss_disk *d, uint64_t offset);
/* Add grains [g0, g0+n) to f, growing it (no space check: the caller made
 * sure it fits). */
void ss_file_add(ss_sim *sim, ss_file *f, uint64_t g0, uint64_t n);
int ss_snapshot_take(ss_sim *sim, ss_vm *vm, const char *name, int memory, char *why, size_t n);
int ss_snapshot_revert(ss_sim *sim, ss_vm *vm, ss_snapshot *s, char *why, size_t n);
ss_snapshot *ss_snapshot_find(ss_vm *vm, const char *name);
void ss_snapshot_unlink(ss_vm *vm, ss_snapshot *s);          /* free the record */

/* ---- consolidate.c ---- */
/* name == NULL: Delete All.  Returns 0 started (or done), -1 refused with why. */
int ss_delete_start(ss_sim *sim, ss_vm *vm, const char *name, const ss_strategy *st, int precheck,
                    char *why, size_t n);
void ss_job_free(ss_job *j);
void ss_job_report_unfinished(ss_sim *sim, ss_vm *vm);       /* a /consolidations row at the end */

/* ---- vm.c ---- */
void ss_vm_sync(ss_sim *sim, ss_vm *vm, ss_time t);          /* apply the guest's writes up to t */
void ss_vm_sync_all(ss_sim *sim);
void ss_vm_start_io(ss_sim *sim, ss_vm *vm);                 /* re-evaluate speed after a state change */
void ss_vm_resume_io(ss_sim *sim, ss_vm *vm);                /* after a stall, space freed */
void ss_vm_stun(ss_sim *sim, ss_vm *vm, int on);
int ss_vm_power_on(ss_sim *sim, ss_vm *vm, char *why, size_t n);
int ss_vm_power_off(ss_sim *sim, ss_vm *vm, char *why, size_t n);
int ss_vm_suspend(ss_sim *sim, ss_vm *vm, char *why, size_t n);
int ss_vm_resume(ss_sim *sim, ss_vm *vm, char *why, size_t n);
void ss_vm_after_revert(ss_sim *sim, ss_vm *vm, ss_snapshot *s);
/* write(): explicit guest writes. */
typedef struct ss_write_spec {
    int disk;
    int ranged;               /* a sequential range from offset; else random writes by pattern */
    uint64_t offset, bytes, io_size;
    ss_pattern pattern;
    double rate;              /* bytes/s; 0 = all at once */
} ss_write_spec;
/* 0 done (or started, with a rate), 1 stopped by a full datastore (why
 * says how far it got), -1 impossible (why says why). */
int ss_vm_write(ss_sim *sim, ss_vm *vm, const ss_write_spec *w, char *why, size_t n);
void ss_vm_free_writes(ss_vm *vm);
void ss_vm_clock_start(ss_sim *sim, ss_vm *vm);
void ss_vm_tools_tick(ss_sim *sim, ss_vm *vm);
void ss_vm_free(ss_vm *vm);
void ss_vm_seed(ss_sim *sim, ss_vm *vm);
void ss_vm_drop_ios(ss_vm *vm);                              /* forget the I/Os drawn ahead */                     /* (re)seed the workload stream */
double ss_vm_demand(const ss_vm *vm);                          /* bytes/s of I/O wanted now */

#endif
