/*
 * proxy.h -- VCB backup proxies (proxy.c): the machine that mounts or
 * exports the VMs' disks.  A proxy has a bandwidth (split equally among
 * its running exports, share.h), a number of jobs it runs at once, the
 * datastores it sees (SAN and hot-add transports read from them), and a
 * FIFO queue of jobs waiting for a slot.
 *
 * A job may start only inside its window [t_open, t_close) (absolute
 * times; no window: [now, forever)).  Whenever a slot frees or a window
 * opens, the proxy starts the first queued job, in submission order, whose
 * window is open; a job still queued when its window closes is missed.
 * Invariants: 0 <= running <= max_concurrent; a job is in the queue iff
 * `queued`.
 */
#ifndef SNAPSIM_MODEL_PROXY_H
#define SNAPSIM_MODEL_PROXY_H

#include "model/datastore.h"
#include "model/share.h"
#include "model/world.h"

typedef struct ss_proxy_job {
    ss_time t_open, t_close;  /* the window it may start in */
    void (*on_start)(ss_world *w, struct ss_proxy_job *j);   /* it holds a slot now */
    void (*on_missed)(ss_world *w, struct ss_proxy_job *j);  /* its window closed first */
    void *owner;
    ss_world *w;
    struct ss_proxy *proxy;
    int queued;
    ss_event_id open_ev, close_ev;
    struct ss_proxy_job *next;   /* the queue */
} ss_proxy_job;

typedef struct ss_proxy {
    char *name;
    ss_share share;           /* its bandwidth, among its running exports */
    int max_concurrent;
    int running;
    ss_datastore **dss;       /* what it sees; NULL: every datastore */
    int ndss;
    ss_proxy_job *queue;      /* waiting, in submission order */
    int kicking;              /* inside kick(): a job that ends at once does not recurse */
    /* Statistics. */
    int started, done, failed, missed;  /* jobs: started, and how they ended (backup.c counts done/failed) */
    int queued_now, max_queue;
    struct ss_proxy *next;
} ss_proxy;

ss_proxy *ss_proxy_new(const char *name, double bandwidth, int max_concurrent);   /* NULL: out of memory */
void ss_proxy_free(ss_proxy *p);
/* Give the proxy the datastores it sees (copied); n == 0: every one. */
int ss_proxy_set_datastores(ss_proxy *p, ss_datastore *const *dss, int n);
int ss_proxy_sees(const ss_proxy *p, const ss_datastore *ds);
/* Queue j (its window and callbacks set); it may start at once. */
void ss_proxy_submit(ss_world *w, ss_proxy *p, ss_proxy_job *j);
/* A running job ended: its slot goes to the next one. */
void ss_proxy_release(ss_world *w, ss_proxy *p);
/* Take j out of the queue without starting it (teardown). */
void ss_proxy_unqueue(ss_world *w, ss_proxy_job *j);

#endif
