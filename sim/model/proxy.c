/*
 * proxy.c -- VCB backup proxies: slots, the FIFO queue and the windows
 * jobs may start in (proxy.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/proxy.h"

ss_proxy *ss_proxy_new(const char *name, double bandwidth, int max_concurrent)
{
    ss_proxy *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    size_t n = strlen(name) + 1;
    p->name = malloc(n);
    if (!p->name) {
        free(p);
        return NULL;
    }
    memcpy(p->name, name, n);
    p->share.bandwidth = bandwidth > 0 ? bandwidth : INFINITY;
    p->max_concurrent = max_concurrent;
    return p;
}

void ss_proxy_free(ss_proxy *p)
{
    if (!p) return;
    free(p->dss);
    free(p->name);
    free(p);
}

int ss_proxy_set_datastores(ss_proxy *p, ss_datastore *const *dss, int n)
{
    free(p->dss);
    p->dss = NULL;
    p->ndss = 0;
    if (n <= 0) return 0;
    p->dss = malloc((size_t)n * sizeof *p->dss);
    if (!p->dss) return -1;
    memcpy(p->dss, dss, (size_t)n * sizeof *p->dss);
    p->ndss = n;
    return 0;
}

int ss_proxy_sees(const ss_proxy *p, const ss_datastore *ds)
{
    if (!p->dss) return 1;
    for (int i = 0; i < p->ndss; i++)
        if (p->dss[i] == ds) return 1;
    return 0;
}

static void unlink_job(ss_world *w, ss_proxy_job *j)
{
    ss_proxy *p = j->proxy;
    for (ss_proxy_job **pp = &p->queue; *pp; pp = &(*pp)->next)
        if (*pp == j) { *pp = j->next; break; }
    j->queued = 0;
    j->next = NULL;
    p->queued_now--;
    if (j->open_ev) ss_engine_cancel(w->eng, j->open_ev);
    if (j->close_ev) ss_engine_cancel(w->eng, j->close_ev);
    j->open_ev = j->close_ev = 0;
}

/* Start queued jobs while slots are free: the first, in submission order,
 * whose window is open.  A job may end inside on_start and release its
 * slot; the loop then simply goes on. */
static void kick(ss_world *w, ss_proxy *p)
{
    if (p->kicking) return;
    p->kicking = 1;
    ss_time now = ss_now(w);
    while (p->running < p->max_concurrent) {
        ss_proxy_job *j = p->queue;
        while (j && !(j->t_open <= now && now < j->t_close)) j = j->next;
        if (!j) break;
        unlink_job(w, j);
        p->running++;
        p->started++;
        j->on_start(w, j);
    }
    p->kicking = 0;
}

static void window_opens(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    (void)arg;
    ss_proxy_job *j = ctx;
    j->open_ev = 0;
    kick(j->w, j->proxy);
}

static void window_closes(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    (void)arg;
    ss_proxy_job *j = ctx;
    j->close_ev = 0;
    if (!j->queued) return;
    ss_world *w = j->w;
    ss_proxy *p = j->proxy;
    unlink_job(w, j);
    p->missed++;
    j->on_missed(w, j);
}

void ss_proxy_submit(ss_world *w, ss_proxy *p, ss_proxy_job *j)
{
    j->w = w;
    j->proxy = p;
    j->queued = 1;
    j->next = NULL;
    ss_proxy_job **pp = &p->queue;
    while (*pp) pp = &(*pp)->next;
    *pp = j;
    if (++p->queued_now > p->max_queue) p->max_queue = p->queued_now;
    ss_time now = ss_now(w);
    if (j->t_open > now) j->open_ev = ss_engine_at(w->eng, j->t_open, window_opens, j, 0);
    if (j->t_close < SS_TIME_MAX) j->close_ev = ss_engine_at(w->eng, j->t_close, window_closes, j, 0);
    kick(w, p);
}

void ss_proxy_release(ss_world *w, ss_proxy *p)
{
    if (p->running > 0) p->running--;
    kick(w, p);
}

void ss_proxy_unqueue(ss_world *w, ss_proxy_job *j)
{
    if (j->queued) unlink_job(w, j);
}
