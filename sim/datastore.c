/*
 * datastore.c -- a datastore's space and bandwidth.
 *
 * Space: `used` is the sum of the live files' sizes; a VM whose delta
 * cannot grow waits in `stalled` (FIFO) until space is freed.
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

#include "model.h"

void ss_ds_charge(ss_sim *sim, ss_datastore *ds, int64_t delta)
{
    ds->used = (uint64_t)((int64_t)ds->used + delta);
    if (ds->used > ds->peak_used) {
        ds->peak_used = ds->used;
        ds->t_peak = ss_engine_now(ss_sim_engine(sim));
    }
    for (ss_watch *w = ds->watches; w; w = w->next)
        if (ds->used > w->peak) w->peak = ds->used;
    if (delta < 0) ss_ds_space_freed(sim, ds);
}

int ss_ds_fits(const ss_datastore *ds, uint64_t bytes)
{
    return ds->used <= ds->capacity && bytes <= ds->capacity - ds->used;
}

void ss_ds_wait(ss_datastore *ds, ss_vm *vm)
{
    if (ds->nstalled == ds->capstalled) {
        int cap = ds->capstalled ? 2 * ds->capstalled : 4;
        ss_vm **p = realloc(ds->stalled, (size_t)cap * sizeof *p);
        if (!p) abort();
        ds->stalled = p;
        ds->capstalled = cap;
    }
    ds->stalled[ds->nstalled++] = vm;
}

void ss_ds_unwait(ss_datastore *ds, ss_vm *vm)
{
    for (int i = 0; i < ds->nstalled; i++)
        if (ds->stalled[i] == vm) {
            for (int j = i + 1; j < ds->nstalled; j++) ds->stalled[j - 1] = ds->stalled[j];
            ds->nstalled--;
            return;
        }
}

/* Wake stalled VMs in stall order; each retries its pending write and
 * re-queues itself if it still does not fit.  The queue is copied first
 * because resuming may stall again. */
void ss_ds_space_freed(ss_sim *sim, ss_datastore *ds)
{
    if (ds->nstalled == 0) return;
    int n = ds->nstalled;
    ss_vm *local[16];
    ss_vm **q = n <= 16 ? local : malloc((size_t)n * sizeof *q);
    if (!q) abort();
    for (int i = 0; i < n; i++) q[i] = ds->stalled[i];
    ds->nstalled = 0;
    for (int i = 0; i < n; i++) ss_vm_resume_io(sim, q[i]);
    if (q != local) free(q);
    if (ds->nstalled == 0) ds->full = 0;
}

/* Water-filling: sort by demand, give each the smaller of its demand and
 * an equal share of what is left. */
static int by_demand(const void *a, const void *b)
{
    const ss_activity *x = *(ss_activity *const *)a, *y = *(ss_activity *const *)b;
    return (x->demand > y->demand) - (x->demand < y->demand);
}

static void reshare(ss_sim *sim, ss_datastore *ds)
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
        if (a->prev_rate != a->rate && a->on_rate) a->on_rate(sim, a);
}

void ss_ds_attach(ss_sim *sim, ss_activity *a)
{
    if (a->attached) return;
    a->next = NULL;
    ss_activity **pp = &a->ds->acts;
    while (*pp) pp = &(*pp)->next;
    *pp = a;
    a->attached = 1;
    a->rate = 0;
    reshare(sim, a->ds);
}

void ss_ds_detach(ss_sim *sim, ss_activity *a)
{
    if (!a->attached) return;
    for (ss_activity **pp = &a->ds->acts; *pp; pp = &(*pp)->next)
        if (*pp == a) { *pp = a->next; break; }
    a->attached = 0;
    a->rate = 0;
    reshare(sim, a->ds);
}

void ss_ds_set_demand(ss_sim *sim, ss_activity *a, double demand)
{
    if (a->demand == demand) return;
    a->demand = demand;
    if (a->attached) reshare(sim, a->ds);
}

void ss_ds_watch(ss_datastore *ds, ss_watch *w)
{
    w->peak = ds->used;
    w->next = ds->watches;
    ds->watches = w;
}

void ss_ds_unwatch(ss_datastore *ds, ss_watch *w)
{
    for (ss_watch **pp = &ds->watches; *pp; pp = &(*pp)->next)
        if (*pp == w) { *pp = w->next; return; }
}

void ss_ds_free(ss_datastore *ds)
{
    free(ds->name);
    free(ds->stalled);
    free(ds);
}
