/*
 * convert.c -- VMware Converter's presets and conversions (convert.h).
 *
 * A conversion is one flow: `remaining` bytes to write on the target
 * datastore at the rate the datastore grants (at most the conversion's
 * bandwidth), its end rescheduled whenever that rate changes, as a
 * backup's export is.  At the end the new VM is built as vm{} builds one
 * (declare.c), powered off.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/convert.h"
#include "model/datastore.h"
#include "model/power.h"
#include "model/timesync.h"
#include "snapsim/units.h"

/* ---- the presets ----
 * 3.0: bug PR#142831, a Windows 2000 Server source arrives as Windows 2000
 *      Advanced Server (the seed's report of VMware Converter 3.0.x; only
 *      the .vmx guestOS line changes).
 * 4.0: no such bug (our assumption: docs/model.md). */
static const ss_converter converters[] = {
    { "3.0", "win2000serv", "win2000advserv", "PR#142831" },
    { "4.0", NULL, NULL, NULL },
};
#define NCONV ((int)(sizeof converters / sizeof converters[0]))

const ss_converter *ss_converter_find(const char *name)
{
    for (int i = 0; i < NCONV; i++)
        if (strcmp(converters[i].name, name) == 0) return &converters[i];
    return NULL;
}

const char *ss_converter_names(void) { return "3.0, 4.0"; }

/* One conversion.  Invariants: on w->converts from its start to its end;
 * the write activity is attached until the copy ends; `remaining` bytes
 * are left as of t_last, at `rate` since. */
typedef struct ss_convert {
    ss_world *w;
    int id;
    ss_convert_spec spec;     /* name and source point into the strings below */
    char name[256], source[256];
    uint64_t bytes;
    double remaining, rate;
    ss_time t_start, t_last;
    ss_event_id timer;
    ss_activity io;
    struct ss_convert *next;
} ss_convert;

static ss_event conv_event(ss_convert *c, const char *kind)
{
    ss_event ev = { .t = ss_time_to_s(ss_now(c->w)), .kind = kind, .vm = c->name, .host = c->spec.host->name,
                    .datastore = c->spec.ds->name, .bytes = (int64_t)c->bytes };
    return ev;
}

static void unlink_conv(ss_convert *c)
{
    for (ss_convert **pp = &c->w->converts; *pp; pp = &(*pp)->next)
        if (*pp == c) { *pp = c->next; break; }
}

/* The new VM, with vm{}'s defaults for what a conversion does not say. */
static void declare_vm(ss_convert *c, const ss_guest_os *os)
{
    ss_world *w = c->w;
    const ss_convert_spec *s = &c->spec;
    const ss_version *ver = s->host->version;
    ss_vm *vm = ss_vm_new(w, c->name, s->host, s->ds, s->ndisks);
    if (!vm) abort();
    vm->memory = s->memory;
    vm->power = SS_POWER_OFF;
    vm->strategy = ss_strategy_find(ver->strategy);
    vm->ccfg = (ss_consolidation_cfg){ 10, 12.0, ver->force_sync, 0.1 };
    vm->ccl = (ss_clock_cfg){ 0, 0, 60 * SS_NS_PER_S, ver->tools_backward, 1, 1, 1, 1, ver->boot_backward, 300 };
    vm->qcfg = (ss_quiesce_cfg){ 0, 20.0 * 1048576, 0, 10 };
    vm->guest_os = os;
    vm->tools = s->tools;
    for (int i = 0; i < s->ndisks; i++) {
        ss_disk *d = &vm->disks[i];
        d->capacity = s->capacity[i];
        d->thin = s->thin;
        ss_disk_set_format(d, s->fmt ? s->fmt : ss_format_find(ss_version_format(ver, d->capacity)), ver);
        d->used = s->used[i];
        ss_disk_init(w, &vm->dir, d, i);
    }
    ss_vm **pp = &w->vms;
    while (*pp) pp = &(*pp)->next;
    *pp = vm;
    ss_vm_start(w, vm);
}

/* What the new VM's base files take on the target: a thick disk its
 * capacity, a thin one its data (rounded up to the format's blocks). */
static uint64_t space_needed(const ss_convert_spec *s)
{
    uint64_t need = 0;
    for (int i = 0; i < s->ndisks; i++) {
        if (!s->thin) {
            need += s->capacity[i];
            continue;
        }
        const ss_format *f = s->fmt ? s->fmt : ss_format_find(ss_version_format(s->host->version, s->capacity[i]));
        uint64_t b = f->thin_block ? f->thin_block : f->grain;
        need += (s->used[i] + b - 1) / b * b;
    }
    return need;
}

static void finish(ss_convert *c)
{
    ss_world *w = c->w;
    if (c->io.attached) ss_ds_detach(w, &c->io);
    unlink_conv(c);
    uint64_t need = space_needed(&c->spec), free_b = ss_ds_free_bytes(c->spec.ds);
    char d[400];
    if (need > free_b) {
        char a[32], b[32];
        ss_format_size(need, a, sizeof a);
        ss_format_size(free_b, b, sizeof b);
        snprintf(d, sizeof d, "datastore %s has %s free, the new VM's disks need %s: nothing was created",
                 c->spec.ds->name, b, a);
        ss_event ev = conv_event(c, "convert_failed");
        ev.value = ss_time_to_s(ss_now(w) - c->t_start);
        ev.detail = d;
        ss_emit(w, &ev);
        free(c);
        ss_changed(w);
        return;
    }
    const ss_guest_os *os = c->spec.os;
    const ss_converter *cv = c->spec.conv;
    int changed = cv->bug_from && strcmp(os->id, cv->bug_from) == 0;
    if (changed) os = ss_guest_os_find(cv->bug_to);
    declare_vm(c, os);
    snprintf(d, sizeof d, "%s from %s by Converter %s: %s, powered off", c->spec.p2v ? "P2V" : "V2V", c->source,
             cv->name, os->id);
    ss_event ev = conv_event(c, "convert_done");
    ev.value = ss_time_to_s(ss_now(w) - c->t_start);
    ev.detail = d;
    ss_emit(w, &ev);
    if (changed) {
        snprintf(d, sizeof d, "%s (%s) -> %s (%s): Converter %s bug %s; power off, set_guest_os, power on",
                 c->spec.os->id, c->spec.os->name, os->id, os->name, cv->name, cv->bug);
        ss_event g = conv_event(c, "guest_os_changed");
        g.bytes = 0;
        g.detail = d;
        ss_emit(w, &g);
    }
    free(c);
    ss_changed(w);
}

static void copy_done(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    (void)arg;
    ss_convert *c = ctx;
    c->timer = 0;
    finish(c);
}

static void reschedule(ss_convert *c)
{
    ss_world *w = c->w;
    if (c->timer) ss_engine_cancel(w->eng, c->timer);
    c->timer = 0;
    ss_time t = ss_now(w);
    if (c->remaining <= 0.5) c->timer = ss_engine_at(w->eng, t, copy_done, c, 0);
    else if (c->rate > 0) c->timer = ss_engine_at(w->eng, t + ss_time_from_s(c->remaining / c->rate), copy_done, c, 0);
}

/* The datastore gave the copy a new rate: progress at the old one, the end
 * at the new one. */
static void on_rate(ss_world *w, ss_activity *a)
{
    ss_convert *c = a->owner;
    ss_time t = ss_now(w);
    c->remaining -= c->rate * ss_time_to_s(t - c->t_last);
    if (c->remaining < 0) c->remaining = 0;
    c->t_last = t;
    c->rate = a->rate;
    reschedule(c);
}

int ss_convert_pending(const ss_world *w, const char *name)
{
    for (const ss_convert *c = w->converts; c; c = c->next)
        if (strcmp(c->name, name) == 0) return 1;
    return 0;
}

int ss_convert_start(ss_world *w, const ss_convert_spec *spec, char *why, size_t n)
{
    if (ss_convert_pending(w, spec->name)) {
        snprintf(why, n, "a conversion already makes a vm named \"%s\"", spec->name);
        return -1;
    }
    ss_convert *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->w = w;
    c->id = ++w->nconverts;
    c->spec = *spec;
    snprintf(c->name, sizeof c->name, "%s", spec->name);
    snprintf(c->source, sizeof c->source, "%s", spec->source);
    c->spec.name = c->name;
    c->spec.source = c->source;
    for (int i = 0; i < spec->ndisks; i++) c->bytes += spec->used[i];
    c->remaining = (double)c->bytes;
    c->t_start = c->t_last = ss_now(w);
    ss_convert **pp = &w->converts;
    while (*pp) pp = &(*pp)->next;
    *pp = c;
    char d[400], a[32];
    ss_format_size(c->bytes, a, sizeof a);
    snprintf(d, sizeof d, "%s from %s by Converter %s: %s to copy at up to %.1f MB/s (conversion %d)",
             spec->p2v ? "P2V" : "V2V", c->source, spec->conv->name, a, spec->bandwidth / 1048576.0, c->id);
    ss_event ev = conv_event(c, "convert_started");
    ev.detail = d;
    ss_emit(w, &ev);
    c->io = (ss_activity){ .ds = spec->ds, .demand = spec->bandwidth, .on_rate = on_rate, .owner = c };
    ss_ds_attach(w, &c->io);
    if (!c->timer) reschedule(c);
    return c->id;
}

void ss_convert_free_all(ss_world *w)
{
    while (w->converts) {
        ss_convert *c = w->converts;
        w->converts = c->next;
        free(c);
    }
}

int ss_vm_set_guest_os(ss_world *w, ss_vm *vm, const ss_guest_os *os, char *why, size_t n)
{
    (void)w;
    if (vm->power != SS_POWER_OFF) {
        snprintf(why, n, "vm %s is %s: shut it down first (power_off), then set its guest OS type", vm->name,
                 vm->power == SS_POWER_ON ? "running" : "suspended");
        return -1;
    }
    vm->guest_os = os;
    return 0;
}
