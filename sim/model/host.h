/*
 * host.h -- an ESX host (host.c): its product version, whose defaults its
 * VMs take (version.h), its clock, against which guests resync, the network
 * NBD backup exports read through, and its management agent, hostd.
 *
 * hostd (SPEC §2.3, docs/model.md "hostd"): every management operation
 * (snapshot, delete, revert, power, backup start, convert) goes through it.
 * Its memory grows by leak_per_op per operation and leak_per_hour with
 * time; when it reaches its limit the watchdog restarts it and the host is
 * "not responding" for `restart` (host_not_responding, host_responding).
 * fail_host(h, d) makes the same outage on demand.  While it does not
 * respond an operation fails (on_unavailable "fail") or waits in FIFO
 * order and runs when it answers ("wait"); what already runs (VMs, their
 * guests' writes, a consolidation, a backup past its start) goes on.
 */
#ifndef SNAPSIM_MODEL_HOST_H
#define SNAPSIM_MODEL_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "model/share.h"
#include "model/version.h"
#include "model/world.h"
#include "snapsim/clock.h"

/* hostd's settings: host { hostd = {...} } over the version's defaults.
 * limit == 0: no watchdog restart (nothing leaks to a limit). */
typedef struct ss_hostd_cfg {
    uint64_t memory, limit;       /* bytes at (re)start; the watchdog's limit */
    uint64_t leak_op, leak_hour;  /* bytes per operation; bytes per hour */
    ss_time restart;              /* how long a restart leaves the host not responding */
    int wait;                     /* on_unavailable = "wait" (else "fail") */
} ss_hostd_cfg;

/* An operation waiting for hostd (on_unavailable = "wait"): run(w, wt) is
 * called once, in FIFO order, when the host answers.  The waiter belongs
 * to whoever queued it; the host only links it. */
typedef struct ss_hostd_waiter {
    void (*run)(ss_world *w, struct ss_hostd_waiter *wt);
    void *owner;
    struct ss_hostd_waiter *next;
} ss_hostd_waiter;

typedef struct ss_host {
    char *name;
    const ss_version *version;    /* never NULL */
    ss_hclock clock;
    ss_share nbd;             /* NBD backup exports share this bandwidth */
    ss_hostd_cfg hostd;
    /* hostd's state.  Invariants: mem_ops counts the operations since the
     * last (re)start; the memory now is hostd.memory + mem_ops * leak_op +
     * leak_hour * (now - t_up) / 1 h while up; limit_ev is the time-leak's
     * restart event while up (0 if none); while down, up_ev ends the outage
     * and waiters (FIFO, wait_tail its last) hold the delayed operations. */
    int down;
    uint64_t mem_ops;
    ss_time t_up, t_down;
    ss_event_id limit_ev, up_ev;
    ss_hostd_waiter *waiters, **wait_tail;
    int outage_cause;         /* 0 watchdog, 1 fail_host */
    double outage_mem;        /* hostd's memory when the outage began (bytes) */
    int64_t outage_failed, outage_delayed;
    /* Totals for /summary/hosts. */
    int64_t restarts, outages, ops, ops_failed, ops_delayed;
    double down_s;            /* finished outages; one still going is added at the report */
    double peak_mem;
    struct ss_host *next;
} ss_host;

/* A host called name whose clock is offset0_s off and drifts drift_ppm
 * (exact under NTP); NULL when out of memory.  hostd takes the default
 * version's settings (ss_host_set_version changes them). */
ss_host *ss_host_new(const char *name, double offset0_s, double drift_ppm, int ntp);
void ss_host_free(ss_host *h);
/* The version and its hostd defaults. */
void ss_host_set_version(ss_host *h, const ss_version *v);

/* ---- hostd (host.c) ---- */

typedef enum { SS_HOSTD_GO, SS_HOSTD_FAILED, SS_HOSTD_WAIT } ss_hostd_answer;

/* The run starts: hostd at its initial memory, the time leak's restart
 * scheduled. */
void ss_host_start(ss_world *w, ss_host *h);
/* Operation `op` (on vm, may be NULL) is issued to the host.  GO: it may
 * run (call ss_hostd_done when it did).  FAILED: the host does not respond
 * and on_unavailable is "fail": why says so (an operation_failed event).
 * WAIT: ... "wait": queue it with ss_hostd_wait (an operation_delayed
 * event; why says so too). */
ss_hostd_answer ss_hostd_begin(ss_world *w, ss_host *h, const char *op, const char *vm, char *why, size_t n);
void ss_hostd_wait(ss_host *h, ss_hostd_waiter *wt);
/* The operation ran: hostd leaks; at its limit the watchdog restarts it. */
void ss_hostd_done(ss_world *w, ss_host *h);
/* A delayed operation could not be done when it ran: operation_failed. */
void ss_hostd_report_failed(ss_world *w, ss_host *h, const char *op, const char *vm, const char *why);
/* fail_host(h, d): hostd stops answering now for d (an outage already
 * going on lasts until the later of its end and now + d). */
void ss_hostd_fail(ss_world *w, ss_host *h, ss_time d);
/* hostd's memory now, bytes. */
double ss_hostd_memory(const ss_world *w, const ss_host *h);
/* Seconds not responding so far (a running outage counted up to now). */
double ss_hostd_down_s(const ss_world *w, const ss_host *h);
/* The run ended: an outage still going on gets its row (unfinished). */
void ss_host_finish_run(ss_world *w, ss_host *h);

#endif
