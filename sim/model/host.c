/*
 * host.c -- an ESX host: its version, its clock, and hostd, the management
 * agent whose leak and watchdog restarts make the host "not responding"
 * (host.h).
 *
 * The leak is exact: hostd's memory is a linear function of the operations
 * since the last restart and of the time since then, so the restart a time
 * leak causes is one scheduled event, moved whenever an operation adds to
 * the memory.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/host.h"
#include "snapsim/units.h"

#define MiB (UINT64_C(1) << 20)
#define HOUR_NS (3600.0 * SS_NS_PER_S)

ss_host *ss_host_new(const char *name, double offset0_s, double drift_ppm, int ntp)
{
    ss_host *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    size_t n = strlen(name) + 1;
    h->name = malloc(n);
    if (!h->name) {
        free(h);
        return NULL;
    }
    memcpy(h->name, name, n);
    ss_hclock_init(&h->clock, offset0_s, drift_ppm, ntp);
    h->nbd.bandwidth = INFINITY;
    h->wait_tail = &h->waiters;
    ss_host_set_version(h, ss_version_default());
    return h;
}

void ss_host_set_version(ss_host *h, const ss_version *v)
{
    h->version = v;
    /* 80 MiB at start, restarted at 400 MiB after 3 minutes: SPEC's example
     * (docs/model.md "hostd": our figures; only the leak is the version's). */
    h->hostd = (ss_hostd_cfg){ .memory = 80 * MiB, .limit = 400 * MiB, .leak_op = v->hostd_leak_op,
                               .leak_hour = v->hostd_leak_hour, .restart = 180 * SS_NS_PER_S, .wait = 0 };
}

void ss_host_free(ss_host *h)
{
    if (!h) return;
    free(h->name);
    free(h);
}

/* ---- hostd ---- */

double ss_hostd_memory(const ss_world *w, const ss_host *h)
{
    const ss_hostd_cfg *c = &h->hostd;
    double m = (double)c->memory + (double)h->mem_ops * (double)c->leak_op;
    if (!h->down) m += (double)c->leak_hour * (double)(ss_now(w) - h->t_up) / HOUR_NS;
    return m;
}

double ss_hostd_down_s(const ss_world *w, const ss_host *h)
{
    return h->down_s + (h->down ? ss_time_to_s(ss_now(w) - h->t_down) : 0);
}

static void limit_fire(ss_engine *eng, void *ctx, uint64_t arg);
static void up_fire(ss_engine *eng, void *ctx, uint64_t arg);

/* While up: the time at which the time leak alone brings hostd to its
 * limit, as one event (none without a limit or a time leak). */
static void schedule_limit(ss_world *w, ss_host *h)
{
    const ss_hostd_cfg *c = &h->hostd;
    if (h->limit_ev) ss_engine_cancel(w->eng, h->limit_ev);
    h->limit_ev = 0;
    if (h->down || !c->limit || !c->leak_hour) return;
    double base = (double)c->memory + (double)h->mem_ops * (double)c->leak_op;
    double left = (double)c->limit - base;
    ss_time t = h->t_up + (left > 0 ? (ss_time)ceil(left / (double)c->leak_hour * HOUR_NS) : 0);
    if (t < ss_now(w)) t = ss_now(w);
    h->limit_ev = ss_engine_at(w->eng, t, limit_fire, w, (uint64_t)(uintptr_t)h);
}

static void note_peak(const ss_world *w, ss_host *h)
{
    double m = ss_hostd_memory(w, h);
    if (m > h->peak_mem) h->peak_mem = m;
}

void ss_host_start(ss_world *w, ss_host *h)
{
    h->t_up = ss_now(w);
    h->peak_mem = (double)h->hostd.memory;
    schedule_limit(w, h);
}

static void host_event(ss_world *w, ss_host *h, const char *kind, const char *vm, double value, const char *detail)
{
    ss_event ev = { .t = ss_time_to_s(ss_now(w)), .kind = kind, .vm = vm, .host = h->name, .value = value,
                    .bytes = (int64_t)llround(ss_hostd_memory(w, h)), .detail = detail };
    ss_emit(w, &ev);
}

/* hostd stops answering now, until `until`. */
static void go_down(ss_world *w, ss_host *h, ss_time until, int cause, const char *detail)
{
    note_peak(w, h);
    h->outage_mem = ss_hostd_memory(w, h);
    if (h->limit_ev) ss_engine_cancel(w->eng, h->limit_ev);
    h->limit_ev = 0;
    h->down = 1;
    h->t_down = ss_now(w);
    h->outage_cause = cause;
    h->outage_failed = h->outage_delayed = 0;
    h->outages++;
    if (cause == 0) h->restarts++;
    h->up_ev = ss_engine_at(w->eng, until, up_fire, w, (uint64_t)(uintptr_t)h);
    host_event(w, h, "host_not_responding", NULL, ss_time_to_s(until - h->t_down), detail);
    ss_changed(w);
}

static void outage_row(ss_world *w, ss_host *h, const char *result)
{
    ss_outage_rec r = { ss_time_to_s(h->t_down), ss_time_to_s(ss_now(w)), h->name,
                        h->outage_cause ? "fail_host" : "watchdog", result, h->outage_mem, h->outage_failed,
                        h->outage_delayed };
    ss_emit_outage(w, &r);
}

static void up_fire(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    ss_world *w = ctx;
    ss_host *h = (ss_host *)(uintptr_t)arg;
    h->up_ev = 0;
    double down = ss_time_to_s(ss_now(w) - h->t_down);
    h->down_s += down;
    h->down = 0;
    /* hostd restarted: its memory is back to its start (fail_host too: the
     * agent came back from a restart). */
    h->mem_ops = 0;
    h->t_up = ss_now(w);
    outage_row(w, h, "responding");
    char d[160];
    snprintf(d, sizeof d, "hostd answers again after %.0f s not responding%s", down,
             h->waiters ? "; the delayed operations run now" : "");
    host_event(w, h, "host_responding", NULL, down, d);
    schedule_limit(w, h);
    ss_changed(w);
    /* The delayed operations, in the order they came; one may restart
     * hostd again, and the rest then wait for that outage. */
    ss_hostd_waiter *list = h->waiters;
    h->waiters = NULL;
    h->wait_tail = &h->waiters;
    while (list) {
        ss_hostd_waiter *wt = list;
        list = wt->next;
        wt->next = NULL;
        if (h->down) {
            *h->wait_tail = wt;
            h->wait_tail = &wt->next;
            continue;
        }
        wt->run(w, wt);
    }
}

static void watchdog(ss_world *w, ss_host *h)
{
    char d[200], a[32], b[32];
    ss_format_size((uint64_t)llround(ss_hostd_memory(w, h)), a, sizeof a);
    ss_format_size(h->hostd.limit, b, sizeof b);
    snprintf(d, sizeof d, "hostd at %s reached its limit of %s: the watchdog restarts it", a, b);
    go_down(w, h, ss_now(w) + h->hostd.restart, 0, d);
}

static void limit_fire(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    ss_world *w = ctx;
    ss_host *h = (ss_host *)(uintptr_t)arg;
    h->limit_ev = 0;
    if (!h->down) watchdog(w, h);
}

ss_hostd_answer ss_hostd_begin(ss_world *w, ss_host *h, const char *op, const char *vm, char *why, size_t n)
{
    if (!h->down) return SS_HOSTD_GO;
    ss_time up = ss_engine_when(w->eng, h->up_ev);
    const char *cause = h->outage_cause ? "stopped by fail_host" : "hostd is restarting";
    if (h->hostd.wait) {
        snprintf(why, n, "host %s is not responding (%s): %s%s%s waits until it answers at t=%.0f s", h->name, cause,
                 op, vm ? " of vm " : "", vm ? vm : "", ss_time_to_s(up));
        h->ops_delayed++;
        h->outage_delayed++;
        host_event(w, h, "operation_delayed", vm, ss_time_to_s(up - ss_now(w)), why);
        return SS_HOSTD_WAIT;
    }
    snprintf(why, n, "host %s is not responding (%s, answers again at t=%.0f s): %s%s%s failed", h->name, cause,
             ss_time_to_s(up), op, vm ? " of vm " : "", vm ? vm : "");
    h->ops_failed++;
    h->outage_failed++;
    host_event(w, h, "operation_failed", vm, 0, why);
    return SS_HOSTD_FAILED;
}

void ss_hostd_wait(ss_host *h, ss_hostd_waiter *wt)
{
    wt->next = NULL;
    *h->wait_tail = wt;
    h->wait_tail = &wt->next;
}

void ss_hostd_done(ss_world *w, ss_host *h)
{
    h->ops++;
    if (h->down) return;    /* an operation that ran as hostd went down (a delayed one's follow-up) */
    h->mem_ops++;
    note_peak(w, h);
    if (h->hostd.limit && ss_hostd_memory(w, h) >= (double)h->hostd.limit) watchdog(w, h);
    else schedule_limit(w, h);
}

void ss_hostd_report_failed(ss_world *w, ss_host *h, const char *op, const char *vm, const char *why)
{
    char d[400];
    snprintf(d, sizeof d, "delayed %s%s%s could not be done: %s", op, vm ? " of vm " : "", vm ? vm : "", why);
    h->ops_failed++;
    host_event(w, h, "operation_failed", vm, 0, d);
}

void ss_hostd_fail(ss_world *w, ss_host *h, ss_time d)
{
    ss_time until = ss_now(w) + d;
    if (h->down) {
        if (until > ss_engine_when(w->eng, h->up_ev)) h->up_ev = ss_engine_reschedule(w->eng, h->up_ev, until);
        return;
    }
    char det[160];
    snprintf(det, sizeof det, "fail_host: hostd does not answer for %.0f s", ss_time_to_s(d));
    go_down(w, h, until, 1, det);
}

void ss_host_finish_run(ss_world *w, ss_host *h)
{
    if (h->down) outage_row(w, h, "unfinished");
}
