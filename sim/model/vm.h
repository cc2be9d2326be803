/*
 * vm.h -- a virtual machine: its disks and folder, power state, guest
 * workload and guest clock (vm.c: creation and teardown).  What a VM does
 * is in the files above it:
 *
 *   guest_io.c   the guest workload's timing and the write path: writes
 *                applied lazily in order, throttling by the datastore's
 *                bandwidth, stalls when the datastore is full
 *   write.c      write(): explicit guest writes, at once or at a rate
 *   timesync.c   the guest clock: one-off resyncs (boot, resume, revert)
 *                and VMware Tools' periodic sync
 *   power.c      power states (on, off, suspend, resume, the state a revert
 *                leaves), stuns, the start of the run
 *   tools.c      VMware Tools: its true state and what VirtualCenter shows
 *   quiesce.c    quiescing the guest's file systems for a snapshot
 *
 * The VM knows its snapshots and its running deletion only as pointers
 * (snapshot.c and delete.c, above it, manage them).
 */
#ifndef SNAPSIM_MODEL_VM_H
#define SNAPSIM_MODEL_VM_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "model/chain.h"
#include "model/datastore.h"
#include "model/guestos.h"
#include "model/host.h"
#include "model/strategy.h"
#include "model/world.h"
#include "snapsim/clock.h"
#include "snapsim/workload.h"

typedef enum { SS_POWER_OFF, SS_POWER_ON, SS_POWER_SUSPENDED } ss_power;
const char *ss_power_name(ss_power p);

/* VMware Tools in the guest, while the guest runs. */
typedef enum { SS_TOOLS_RUNNING, SS_TOOLS_NOT_RUNNING, SS_TOOLS_NOT_INSTALLED } ss_tools;
const char *ss_tools_name(ss_tools t);

/* Quiescing the guest for a snapshot (quiesce.c). */
typedef struct ss_quiesce_cfg {
    double fail;              /* probability an attempt fails, drawn from "vm:<name>:quiesce" */
    double max_write_rate;    /* bytes/s: a guest writing faster than this cannot be held */
    int retries;              /* attempts after the first (a backup's quiesce phase) */
    double time;              /* s, one attempt */
} ss_quiesce_cfg;

/* Someone waiting for the VM's running deletion to end: job.c calls
 * on_idle, in wait order, once vm->job is NULL again. */
typedef struct ss_vm_waiter {
    void (*on_idle)(ss_world *w, struct ss_vm_waiter *wt);
    void *owner;
    struct ss_vm_waiter *next;
} ss_vm_waiter;

typedef struct ss_clock_cfg {
    double drift_ppm;
    int tools_sync;
    ss_time sync_interval;
    int sync_backward;
    int catch_up;
    int resync_boot, resync_resume, resync_revert;
    int boot_backward;             /* the boot sync may step a guest that is ahead back */
    double skew_limit;
} ss_clock_cfg;

typedef struct ss_consolidation_cfg {
    int max_iterations;
    double max_consolidate_time;   /* s */
    int force_sync;
    double switchover_stun;        /* s, mirror's stun at the switch-over */
} ss_consolidation_cfg;

struct ss_snapshot;
struct ss_job;

typedef struct ss_vm {
    char *name;
    ss_world *w;
    ss_host *host;
    ss_datastore *ds;
    ss_folder dir;                 /* its files on ds */
    uint64_t memory;
    ss_power power;
    ss_disk *disks;
    int ndisks;
    struct ss_snapshot *snaps, *cur;   /* all snapshots; the parent of "you are here" */
    int nsnaps;
    const ss_strategy *strategy;
    ss_consolidation_cfg ccfg;
    struct ss_job *job;            /* the deletion running, if any */
    ss_vm_waiter *idle_waiters;    /* waiting for that deletion to end */

    /* The guest as VirtualCenter knows it. */
    const ss_guest_os *guest_os;   /* the .vmx guestOS: what the next boot uses */
    ss_tools tools;                /* VMware Tools while the guest runs */
    int tools_shown_stopped;       /* VirtualCenter shows "not running" although Tools runs
                                    * (ESX 3.5 U3, after a VCB command; until the next boot) */
    int guest_disk_full;           /* the guest's own file systems are full */
    ss_quiesce_cfg qcfg;

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
    ss_waiter space;               /* the workload's write waiting for space */
    /* Stalled: one write of the guest waits for space (the workload's head
     * write, or a write() job's second: stall_wt is the waiter queued on
     * ds, &space for the workload).  The whole guest waits meanwhile: the
     * workload has no demand and write() jobs hold their ticks, so a VM is
     * stalled by one writer at a time.  stall_start: when it began. */
    int stalled;
    ss_waiter *stall_wt;
    ss_time stall_start;
    int stunned;
    struct ss_wjob *wjobs;         /* write() calls with a rate, in progress */
    struct ss_statio *sio;         /* statistical fidelity, random workload: its writes are
                                    * counted per cell (stat_io.h); NULL: drawn one by one */

    /* Guest clock. */
    ss_clock_cfg ccl;
    ss_gclock clock;

    /* Statistics. */
    uint64_t bytes_written, ios;
    int stalls;                    /* vm_stalled events */
    int snaps_failed;              /* snapshot_failed events (space, chain depth, quiesce) */
    double stall_s;                /* stalls that ended; ss_vm_stall_seconds adds one going on */
    double throttled_s, throttled_bytes;
    ss_time throttle_since;
    struct ss_vm *next;
} ss_vm;

/* A VM called name on host h, its folder on ds; disks, workload and
 * settings are filled in by the caller.  NULL when out of memory. */
ss_vm *ss_vm_new(ss_world *w, const char *name, ss_host *h, ss_datastore *ds, int ndisks);
/* Frees the VM and its files (its snapshots, deletion and write() jobs
 * are freed first by their modules: see fleet.c). */
void ss_vm_free(ss_vm *vm);
/* Seconds stalled up to now: the stalls that ended and one still going. */
double ss_vm_stall_seconds(const ss_vm *vm, ss_time now);

#endif
