/*
 * datastore.c -- a datastore's space and bandwidth.
 *
 * Space: `used` is the sum of the live files' sizes; whoever cannot grow a
 * file waits in `waiting` (FIFO) and is called back when space is freed.
 *
 * Bandwidth: a fluid model.  Everything that does I/O on a datastore is an
 * activity with a demand (bytes/s; a merge's copy demands "as fast as it
 * may", INFINITY).  Whenever the set of activities or a demand changes,
 * the bandwidth is shared max-min fairly (water-filling, as SimGrid shares
 * a resource): activities demanding less than an equal share get their
 * demand, the rest split what remains equally.  Each activity whose rate
 * changed is told (on_rate) so it can reschedule its completion or
 * re-time its workload.  Cost: O(n log n) per change for n activities on
 * the datastore, n being a handful.
 */
#include <math.h>
#include <stdlib.h>

#include "model/datastore.h"

void ss_ds_charge(ss_world *w, ss_datastore *ds, int64_t delta)
{
    ds->used = (uint64_t)((int64_t)ds->used + delta);
    if (ds->used > ds->peak_used) {
        ds->peak_used = ds->used;
        ds->t_peak = ss_now(w);
    }
    for (ss_watch *wa = ds->watches; wa; wa = wa->next)
        if (ds->used > wa->peak) wa->peak = ds->used;
    if (delta < 0) ss_ds_space_freed(w, ds);
}

int ss_ds_fits(const ss_datastore *ds, uint64_t bytes)
{
    return ds->used <= ds->capacity && bytes <= ds->capacity - ds->used;
}

void ss_ds_wait(ss_datastore *ds, ss_waiter *wt)
{
    if (ds->nwaiting == ds->capwaiting) {
        int cap = ds->capwaiting ? 2 * ds->capwaiting : 4;
        ss_waiter **p = realloc(ds->waiting, (size_t)cap * sizeof *p);
        if (!p) abort();
        ds->waiting = p;
        ds->capwaiting = cap;
    }
    ds->waiting[ds->nwaiting++] = wt;
}

void ss_ds_unwait(ss_datastore *ds, ss_waiter *wt)
{
    for (int i = 0; i < ds->nwaiting; i++)
        if (ds->waiting[i] == wt) {
            for (int j = i + 1; j < ds->nwaiting; j++) ds->waiting[j - 1] = ds->waiting[j];
            ds->nwaiting--;
            return;
        }
}

/* Wake the waiters in wait order; each retries and waits again if it
 * still does not fit.  The queue is copied first because a waiter may
 * wait again. */
void ss_ds_space_freed(ss_world *w, ss_datastore *ds)
{
    if (ds->nwaiting == 0) return;
    int n = ds->nwaiting;
    ss_waiter *local[16];
    ss_waiter **q = n <= 16 ? local : malloc((size_t)n * sizeof *q);
    if (!q) abort();
    for (int i = 0; i < n; i++) q[i] = ds->waiting[i];
    ds->nwaiting = 0;
    for (int i = 0; i < n; i++) q[i]->on_space(w, q[i]);
    if (q != local) free(q);
    if (ds->nwaiting == 0) ds->full = 0;
}

/* Water-filling: sort by demand, give each the smaller of its demand and
 * an equal share of what is left. */
static int by_demand(const void *a, const void *b)
{
    const ss_activity *x = *(ss_activity *const *)a, *y = *(ss_activity *const *)b;
    return (x->demand > y->demand) - (x->demand < y->demand);
}

static void reshare(ss_world *w, ss_datastore *ds)
{
    int n = 0;
    for (ss_activity *a = ds->acts; a; a = a->next) n++;
    if (n == 0) return;
    ss_activity *local[32];
    ss_activity **v = n <= 32 ? local : malloc((size_t)n * sizeof *v);
    if (!v) abort();
    int i = 0;
    for (ss_activity *a = ds->acts; a; a = a->next) {
        a->prev_rate = a->rate;
        v[i++] = a;
    }
    /* qsort is not stable, but equal demands get equal rates, so the order
     * among them cannot matter. */
    qsort(v, (size_t)n, sizeof *v, by_demand);
    double left = ds->bandwidth;
    for (i = 0; i < n; i++) {
        double share = left / (n - i);
        v[i]->rate = v[i]->demand < share ? v[i]->demand : share;
        left -= v[i]->rate;
        if (left < 0) left = 0;
    }
    if (v != local) free(v);
    /* Notify in list (attachment) order, for determinism. */
    for (ss_activity *a = ds->acts; a; a = a->next)
        if (a->prev_rate != a->rate && a->on_rate) a->on_rate(w, a);
}

void ss_ds_attach(ss_world *w, ss_activity *a)
{
    if (a->attached) return;
    a->next = NULL;
    ss_activity **pp = &a->ds->acts;
    while (*pp) pp = &(*pp)->next;
    *pp = a;
    a->attached = 1;
    a->rate = 0;
    reshare(w, a->ds);
}

void ss_ds_detach(ss_world *w, ss_activity *a)
{
    if (!a->attached) return;
    for (ss_activity **pp = &a->ds->acts; *pp; pp = &(*pp)->next)
        if (*pp == a) { *pp = a->next; break; }
    a->attached = 0;
    a->rate = 0;
    reshare(w, a->ds);
}

void ss_ds_set_demand(ss_world *w, ss_activity *a, double demand)
{
    if (a->demand == demand) return;
    a->demand = demand;
    if (a->attached) reshare(w, a->ds);
}

void ss_ds_watch(ss_datastore *ds, ss_watch *wa)
{
    wa->peak = ds->used;
    wa->next = ds->watches;
    ds->watches = wa;
}

void ss_ds_unwatch(ss_datastore *ds, ss_watch *wa)
{
    for (ss_watch **pp = &ds->watches; *pp; pp = &(*pp)->next)
        if (*pp == wa) { *pp = wa->next; return; }
}

void ss_ds_free(ss_datastore *ds)
{
    free(ds->name);
    free(ds->waiting);
    free(ds);
}
