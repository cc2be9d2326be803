/*
 * snapshot.c -- a VM's snapshot tree: taking a snapshot, reverting to one,
 * and the records deletions remove (snapshot.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/guest_io.h"
#include "model/power.h"
#include "model/quiesce.h"
#include "model/snapshot.h"

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (!p) abort();
    return memcpy(p, s, n);
}

ss_snapshot *ss_snapshot_find(ss_vm *vm, const char *name)
{
    for (ss_snapshot *s = vm->snaps; s; s = s->next)
        if (!s->deleting && strcmp(s->name, name) == 0) return s;
    return NULL;
}

static int take(ss_world *w, ss_vm *vm, const char *name, int memory, char *why, size_t n)
{
    uint64_t need = 0;
    for (int i = 0; i < vm->ndisks; i++) need += ss_format_empty_size(vm->disks[i].fmt, vm->disks[i].capacity);
    if (memory) need += vm->memory;
    if (!ss_ds_fits(vm->ds, need)) {
        snprintf(why, n, "not enough space on datastore %s: needs %llu bytes, %llu free", vm->ds->name,
                 (unsigned long long)need, (unsigned long long)(vm->ds->capacity - vm->ds->used));
        return -1;
    }
    ss_snapshot *s = calloc(1, sizeof *s);
    if (!s) abort();
    s->name = dupstr(name);
    s->parent = vm->cur;
    s->memory = memory;
    s->t = ss_now(w);
    s->guest_offset = ss_gclock_offset(&vm->clock, s->t);
    s->files = calloc((size_t)vm->ndisks, sizeof *s->files);
    if (!s->files) abort();
    for (int i = 0; i < vm->ndisks; i++) {
        ss_disk *d = &vm->disks[i];
        s->files[i] = d->top;
        d->top = ss_chain_new_delta(w, d, d->top, SS_FILE_DELTA);
    }
    if (memory) {
        char fname[300];
        snprintf(fname, sizeof fname, "%s-Snapshot%d.vmsn", vm->name, ++vm->nsnaps);
        s->vmsn = ss_file_new(w, &vm->dir, NULL, SS_FILE_VMSN, fname, NULL, vm->memory);
    } else {
        ++vm->nsnaps;
    }
    ss_snapshot **pp = &vm->snaps;
    while (*pp) pp = &(*pp)->next;
    *pp = s;
    vm->cur = s;
    return 0;
}

static int file_referenced(const ss_vm *vm, const ss_file *f)
{
    for (const ss_snapshot *s = vm->snaps; s; s = s->next)
        for (int i = 0; i < vm->ndisks; i++)
            if (s->files[i] == f) return 1;
    return 0;
}

/* Release f and then each ancestor that no longer serves anyone: no child,
 * no snapshot, not the top, not the base. */
static void release_upward(ss_world *w, ss_vm *vm, ss_file *f)
{
    while (f) {
        ss_file *p = f->parent;
        ss_file_release(w, f);
        f = p;
        if (!f || f->nchildren > 0 || f == f->disk->base || f == f->disk->top || file_referenced(vm, f)) break;
    }
}

static int revert_chain(ss_world *w, ss_vm *vm, ss_snapshot *s, char *why, size_t n)
{
    uint64_t need = 0;
    for (int i = 0; i < vm->ndisks; i++) need += ss_format_empty_size(vm->disks[i].fmt, vm->disks[i].capacity);
    /* The current tops are discarded first, so their space counts as free. */
    uint64_t freed = 0;
    for (int i = 0; i < vm->ndisks; i++)
        if (vm->disks[i].top != vm->disks[i].base && !file_referenced(vm, vm->disks[i].top))
            freed += vm->disks[i].top->size;
    if (!ss_ds_fits(vm->ds, need > freed ? need - freed : 0)) {
        snprintf(why, n, "not enough space on datastore %s for the new delta", vm->ds->name);
        return -1;
    }
    for (int i = 0; i < vm->ndisks; i++) {
        ss_disk *d = &vm->disks[i];
        ss_file *old = d->top;
        d->top = ss_chain_new_delta(w, d, s->files[i], SS_FILE_DELTA);
        if (old != d->base && !file_referenced(vm, old)) release_upward(w, vm, old);
    }
    vm->cur = s;
    return 0;
}

/* Forget a snapshot record (its files are the caller's business). */
void ss_snapshot_unlink(ss_vm *vm, ss_snapshot *s)
{
    for (ss_snapshot **pp = &vm->snaps; *pp; pp = &(*pp)->next)
        if (*pp == s) { *pp = s->next; break; }
    for (ss_snapshot *o = vm->snaps; o; o = o->next)
        if (o->parent == s) o->parent = s->parent;
    if (vm->cur == s) vm->cur = s->parent;
    free(s->files);
    free(s->name);
    free(s);
}

static int refuse(ss_world *w, ss_vm *vm, const char *name, const char *why)
{
    ss_event ev = { .t = ss_time_to_s(ss_now(w)), .kind = "snapshot_failed", .vm = vm->name, .host = vm->host->name,
                    .datastore = vm->ds->name, .snapshot = name, .detail = why };
    ss_emit(w, &ev);
    vm->snaps_failed++;
    return 1;
}

static int snapshot_as(ss_world *w, ss_vm *vm, const char *name, int memory, const char *note, char *why, size_t n)
{
    double t = ss_time_to_s(ss_now(w));
    ss_vm_sync(w, vm, ss_now(w));   /* the guest's writes so far belong below the snapshot */
    uint64_t before = vm->ds->used;
    int levels = 0;
    for (ss_snapshot *p = vm->cur; p; p = p->parent) levels++;
    if (levels >= vm->host->version->max_chain) {
        /* The vSphere API's TooManySnapshotLevels; KB 1025279: 32 in a chain. */
        snprintf(why, n, "vm %s: its chain already holds %d snapshots, the most ESX %s supports in one chain", vm->name,
                 levels, vm->host->version->name);
        return refuse(w, vm, name, why);
    }
    if (take(w, vm, name, memory, why, n) != 0) return refuse(w, vm, name, why);
    ss_vm_start_io(w, vm);
    char detail[200];
    snprintf(detail, sizeof detail, "%s%s%s", memory ? "memory" : "disk-only", note ? ", " : "", note ? note : "");
    ss_event ev = { .t = t, .kind = "snapshot_created", .vm = vm->name, .host = vm->host->name,
                    .datastore = vm->ds->name, .snapshot = name, .bytes = (int64_t)(vm->ds->used - before),
                    .detail = detail };
    ss_emit(w, &ev);
    ss_changed(w);
    return 0;
}

static int can_snapshot(ss_vm *vm, const char *name, int memory, char *why, size_t n)
{
    if (!*name) { snprintf(why, n, "the name must not be empty"); return -1; }
    if (vm->power == SS_POWER_SUSPENDED) { snprintf(why, n, "vm %s is suspended", vm->name); return -1; }
    if (vm->job) { snprintf(why, n, "vm %s is busy: a snapshot deletion is running", vm->name); return -1; }
    if (ss_snapshot_find(vm, name)) { snprintf(why, n, "vm %s already has a snapshot \"%s\"", vm->name, name); return -1; }
    if (memory && vm->power != SS_POWER_ON) {
        snprintf(why, n, "memory = true needs a running vm (%s is %s)", vm->name, ss_power_name(vm->power));
        return -1;
    }
    return 0;
}

int ss_vm_snapshot(ss_world *w, ss_vm *vm, const char *name, int memory, int quiesce, char *why, size_t n)
{
    if (can_snapshot(vm, name, memory, why, n) != 0) return -1;
    if (!quiesce) return snapshot_as(w, vm, name, memory, NULL, why, n);
    char how[200];
    if (ss_quiesce_attempt(w, vm, vm->host->version->vss, how, sizeof how) == SS_QUIESCE_FAILED_) {
        snprintf(why, n, SS_QUIESCE_FAILED " (%s)", how);
        return refuse(w, vm, name, why);
    }
    return snapshot_as(w, vm, name, memory, how, why, n);
}

int ss_vm_snapshot_note(ss_world *w, ss_vm *vm, const char *name, int memory, const char *note, char *why,
                        size_t n)
{
    if (can_snapshot(vm, name, memory, why, n) != 0) return -1;
    return snapshot_as(w, vm, name, memory, note, why, n);
}

int ss_vm_revert(ss_world *w, ss_vm *vm, const char *name, char *why, size_t n)
{
    ss_snapshot *s = ss_snapshot_find(vm, name);
    if (!s) { snprintf(why, n, "vm %s has no snapshot \"%s\" (deleted, or never taken)", vm->name, name); return -1; }
    if (vm->job) { snprintf(why, n, "vm %s is busy: a snapshot deletion is running", vm->name); return -1; }
    if (revert_chain(w, vm, s, why, n) != 0) return -1;
    ss_event ev = { .t = ss_time_to_s(ss_now(w)), .kind = "revert", .vm = vm->name, .host = vm->host->name,
                    .datastore = vm->ds->name, .snapshot = name, .detail = s->memory ? "memory" : "disk-only" };
    ss_emit(w, &ev);
    ss_vm_after_revert(w, vm, s->memory, s->t, s->guest_offset);
    ss_changed(w);
    return 0;
}
