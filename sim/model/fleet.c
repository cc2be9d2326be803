/*
 * fleet.c -- everything a scenario declared, as a whole (fleet.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/backup.h"
#include "model/convert.h"
#include "model/fleet.h"
#include "model/job.h"
#include "model/guest_io.h"
#include "model/power.h"
#include "model/snapshot.h"
#include "model/stat_io.h"
#include "model/write.h"

ss_world *ss_fleet_new(uint64_t seed)
{
    ss_world *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->eng = ss_engine_new(seed);
    if (!w->eng) {
        free(w);
        return NULL;
    }
    return w;
}

void ss_fleet_free(ss_world *w)
{
    if (!w) return;
    ss_backup_free_all(w);
    ss_convert_free_all(w);
    while (w->proxies) {
        ss_proxy *p = w->proxies;
        w->proxies = p->next;
        ss_proxy_free(p);
    }
    while (w->vms) {
        ss_vm *vm = w->vms;
        w->vms = vm->next;
        while (vm->snaps) ss_snapshot_unlink(vm, vm->snaps);
        ss_job_free(vm->job);
        ss_vm_free_writes(vm);
        ss_stat_free(vm);
        ss_vm_free(vm);
    }
    while (w->hosts) {
        ss_host *h = w->hosts;
        w->hosts = h->next;
        ss_host_free(h);
    }
    while (w->dss) {
        ss_datastore *d = w->dss;
        w->dss = d->next;
        ss_ds_free(d);
    }
    ss_engine_free(w->eng);
    free(w);
}

ss_datastore *ss_fleet_ds(const ss_world *w, const char *name)
{
    for (ss_datastore *d = w->dss; d; d = d->next)
        if (strcmp(d->name, name) == 0) return d;
    return NULL;
}

ss_host *ss_fleet_host(const ss_world *w, const char *name)
{
    for (ss_host *h = w->hosts; h; h = h->next)
        if (strcmp(h->name, name) == 0) return h;
    return NULL;
}

ss_proxy *ss_fleet_proxy(const ss_world *w, const char *name)
{
    for (ss_proxy *p = w->proxies; p; p = p->next)
        if (strcmp(p->name, name) == 0) return p;
    return NULL;
}

ss_vm *ss_fleet_vm(const ss_world *w, const char *name)
{
    for (ss_vm *v = w->vms; v; v = v->next)
        if (strcmp(v->name, name) == 0) return v;
    return NULL;
}

void ss_fleet_sync(ss_world *w)
{
    ss_time t = ss_now(w);
    for (ss_vm *vm = w->vms; vm; vm = vm->next) ss_vm_sync(w, vm, t);
}

/* The tick applies every VM's writes so far: stalls are seen within a tick
 * of when they happen (their times are exact). */
static void tick_fire(ss_engine *eng, void *ctx, uint64_t arg)
{
    ss_world *w = ctx;
    ss_fleet_sync(w);
    ss_time next = ss_time_add(ss_engine_now(eng), (ss_time)arg);
    if (next < w->duration) ss_engine_at(eng, next, tick_fire, w, arg);
}

void ss_fleet_start(ss_world *w)
{
    for (ss_host *h = w->hosts; h; h = h->next) ss_host_start(w, h);
    for (ss_vm *vm = w->vms; vm; vm = vm->next) ss_vm_start(w, vm);
    for (ss_datastore *ds = w->dss; ds; ds = ds->next) ds->initial_used = ds->used;
}

void ss_fleet_start_tick(ss_world *w, ss_time tick)
{
    if (tick > 0) ss_engine_at(w->eng, tick, tick_fire, w, (uint64_t)tick);
}

void ss_fleet_finish(ss_world *w)
{
    for (ss_vm *vm = w->vms; vm; vm = vm->next) ss_job_report_unfinished(w, vm);
    ss_backup_finish_run(w);
    for (ss_host *h = w->hosts; h; h = h->next) ss_host_finish_run(w, h);
}

static int in_dir(const ss_vm *vm, const ss_file *f)
{
    for (const ss_file *g = vm->dir.files; g; g = g->next)
        if (g == f) return 1;
    return 0;
}

static int in_release(const ss_job *j, const ss_file *f)
{
    if (!j) return 0;
    for (int i = 0; i < j->nrelease; i++)
        if (j->release[i] == f) return 1;
    return 0;
}

/* The snapshot tree against the files: every snapshot's files exist (on
 * the right disk), its parent is one of the VM's snapshots, chains end at a base without
 * cycles, and no delta is an orphan: a leaf that is not a disk's top must
 * be some snapshot's state (or be a running job's, released at its end, or
 * a file a QEMU job left on the datastore: kept, out of every chain). */
static int check_tree(const ss_vm *vm, char *why, size_t n)
{
    int nsnaps = 0;
    for (const ss_snapshot *s = vm->snaps; s; s = s->next) nsnaps++;
    int cur_ok = vm->cur == NULL;
    for (const ss_snapshot *s = vm->snaps; s; s = s->next) {
        if (s == vm->cur) cur_ok = 1;
        int parent_ok = s->parent == NULL;
        for (const ss_snapshot *o = vm->snaps; o && !parent_ok; o = o->next) parent_ok = o == s->parent;
        if (!parent_ok) {
            snprintf(why, n, "vm %s: snapshot %s's parent is not one of its snapshots", vm->name, s->name);
            return -1;
        }
        for (int i = 0; i < vm->ndisks; i++)
            if (!s->files[i] || !in_dir(vm, s->files[i]) || s->files[i]->disk != &vm->disks[i]) {
                snprintf(why, n, "vm %s: snapshot %s: its disk %d file is gone", vm->name, s->name, i + 1);
                return -1;
            }
        if (s->vmsn && !in_dir(vm, s->vmsn)) {
            snprintf(why, n, "vm %s: snapshot %s: its memory file is gone", vm->name, s->name);
            return -1;
        }
    }
    if (!cur_ok) {
        snprintf(why, n, "vm %s: the current snapshot is not one of its snapshots", vm->name);
        return -1;
    }
    int nfiles = 0;
    for (const ss_file *f = vm->dir.files; f; f = f->next) nfiles++;
    for (const ss_file *f = vm->dir.files; f; f = f->next) {
        int depth = 0;
        for (const ss_file *g = f->parent; g; g = g->parent)
            if (++depth > nfiles || !in_dir(vm, g)) {
                snprintf(why, n, "vm %s: %s: its chain leaves the VM's files or loops", vm->name, f->name);
                return -1;
            }
        if (f->kept && (f->parent || f->nchildren)) {
            snprintf(why, n, "vm %s: %s was kept by a QEMU job but is still in a chain", vm->name, f->name);
            return -1;
        }
        if (!f->disk || f->kind != SS_FILE_DELTA || f->nchildren > 0 || f == f->disk->top || f->busy ||
            f->kept || in_release(vm->job, f))
            continue;
        int used = 0;
        for (const ss_snapshot *s = vm->snaps; s && !used; s = s->next)
            for (int i = 0; i < vm->ndisks; i++) used |= s->files[i] == f;
        if (!used) {
            snprintf(why, n, "vm %s: %s is an orphan: no snapshot, no child, not the top (%d snapshots)", vm->name,
                     f->name, nsnaps);
            return -1;
        }
    }
    return 0;
}

int ss_fleet_check(const ss_world *w, char *why, size_t n)
{
    for (const ss_datastore *ds = w->dss; ds; ds = ds->next) {
        uint64_t sum = 0;
        for (const ss_vm *vm = w->vms; vm; vm = vm->next)
            for (const ss_file *f = vm->dir.files; f; f = f->next)
                if (f->ds == ds) sum += f->size;
        if (sum != ds->used) {
            snprintf(why, n, "datastore %s: used %llu but its files hold %llu", ds->name,
                     (unsigned long long)ds->used, (unsigned long long)sum);
            return -1;
        }
    }
    for (const ss_vm *vm = w->vms; vm; vm = vm->next) {
        if (vm->qlen < 0 || vm->qhead < 0) {
            snprintf(why, n, "vm %s: I/O queue of length %d at %d", vm->name, vm->qlen, vm->qhead);
            return -1;
        }
        if (check_tree(vm, why, n) != 0) return -1;
        for (const ss_file *f = vm->dir.files; f; f = f->next) {
            int children = 0;
            for (const ss_file *g = vm->dir.files; g; g = g->next)
                if (g->parent == f) children++;
            if (children != f->nchildren) {
                snprintf(why, n, "%s: %d children counted, %d found", f->name, f->nchildren, children);
                return -1;
            }
            if (f->disk && !f->thick) {
                uint64_t want = ss_file_size_for(f, ss_ct_count(&f->ct), ss_ct_regions(&f->ct));
                if (want != f->size) {
                    snprintf(why, n, "%s: size %llu, formula %llu", f->name, (unsigned long long)f->size,
                             (unsigned long long)want);
                    return -1;
                }
            }
        }
        /* The top is a leaf, but for merged files a running job releases
         * at its end (they are still counted as children until then). */
        for (int i = 0; i < vm->ndisks; i++) {
            int live = 0;
            for (const ss_file *g = vm->dir.files; g; g = g->next)
                live += g->parent == vm->disks[i].top && !in_release(vm->job, g);
            if (live != 0) {
                snprintf(why, n, "vm %s disk %d: the top %s has children", vm->name, i + 1, vm->disks[i].top->name);
                return -1;
            }
        }
    }
    return 0;
}
