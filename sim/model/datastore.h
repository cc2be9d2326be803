/*
 * datastore.h -- a datastore's space and bandwidth (datastore.c).
 *
 * Space: `used` is the sum of the sizes of the live files on it.  Whoever
 * cannot grow a file for want of space waits (ss_waiter, FIFO) and is told
 * when space is freed.  Bandwidth: everything doing I/O there is an
 * activity; the bandwidth is shared max-min fairly among them and each is
 * told when its rate changes.  The datastore knows nothing of who waits or
 * who does I/O: both are callbacks.
 */
#ifndef SNAPSIM_MODEL_DATASTORE_H
#define SNAPSIM_MODEL_DATASTORE_H

#include <stdint.h>

#include "model/world.h"

/* Something that uses a datastore's bandwidth: a merge's copy, a guest's
 * writes.  demand is in bytes/s of I/O (INFINITY: as fast as it may);
 * rate is what max-min fair sharing gives it. */
typedef struct ss_activity {
    struct ss_datastore *ds;
    double demand;
    double rate;
    double prev_rate;         /* rate before the last resharing (datastore.c) */
    void (*on_rate)(ss_world *w, struct ss_activity *a);   /* rate changed */
    void *owner;
    struct ss_activity *next;
    int attached;
} ss_activity;

/* Someone waiting for space: on_space is called, in wait order, when space
 * is freed; it may wait again (ss_ds_wait) if it still does not fit. */
typedef struct ss_waiter {
    void (*on_space)(ss_world *w, struct ss_waiter *wt);
    void *owner;
} ss_waiter;

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
    uint64_t initial_used;    /* used when the run started (ss_fleet_start) */
    uint64_t peak_used;
    ss_time t_peak;
    int full;                 /* someone is waiting for space now */
    int full_events;
    ss_time t_first_full;     /* the first datastore_full; valid when full_events > 0 */
    ss_waiter **waiting;      /* waiting for space, in wait order */
    int nwaiting, capwaiting;
    ss_activity *acts;        /* attached activities, in attachment order */
    ss_watch *watches;        /* high-water marks kept for running deletions */
    struct ss_datastore *next;
} ss_datastore;

void ss_ds_charge(ss_world *w, ss_datastore *ds, int64_t delta);   /* used += delta; peak; wake waiters */
int ss_ds_fits(const ss_datastore *ds, uint64_t bytes);
static inline uint64_t ss_ds_free_bytes(const ss_datastore *ds)
{
    return ds->used < ds->capacity ? ds->capacity - ds->used : 0;
}
void ss_ds_wait(ss_datastore *ds, ss_waiter *wt);
void ss_ds_unwait(ss_datastore *ds, ss_waiter *wt);
void ss_ds_space_freed(ss_world *w, ss_datastore *ds);            /* wake the waiters */
void ss_ds_attach(ss_world *w, ss_activity *a);
void ss_ds_detach(ss_world *w, ss_activity *a);
void ss_ds_set_demand(ss_world *w, ss_activity *a, double demand);
void ss_ds_watch(ss_datastore *ds, ss_watch *wa);
void ss_ds_unwatch(ss_datastore *ds, ss_watch *wa);
void ss_ds_free(ss_datastore *ds);

#endif
