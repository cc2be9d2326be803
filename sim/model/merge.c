/*
 * merge.c -- one merge of a deletion (job.h): the parent grows by the
 * child's grains it lacks (0 for a thick base), the copy runs through the
 * datastore's bandwidth, and the delta a running guest writes to is handled
 * per the strategy's live mode:
 *
 *   merge child -> parent   the parent grows by the child's grains it lacks;
 *                           the child's file is then released (now, or at
 *                           the end for esx35)
 *   stream parent -> child  qemu_stream: the child pulls the grains it lacks
 *                           from its backing file, which is then released
 *   commit chain -> base    qemu_commit: every overlay's newest data pushed
 *                           into the base in one job
 *
 * A merge copies X bytes = the data it reads from the source and writes to
 * the target; that costs 2X of the datastore's I/O, shared with everything
 * else there (datastore.c).  The live delta is merged with the VM stunned
 * (stun), or with its writes also going to the target and a short stun at
 * the switch-over (mirror).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/guest_io.h"
#include "model/job.h"
#include "model/merge.h"
#include "model/power.h"

/* ---- moving roles from one file to another ---- */

static void reparent_children(ss_vm *vm, ss_file *from, ss_file *to)
{
    for (ss_file *f = vm->dir.files; f; f = f->next)
        if (f->parent == from && f != to) {
            f->parent = to;
            from->nchildren--;
            if (to) to->nchildren++;
        }
}

static void retarget_snapshots(ss_vm *vm, int disk, ss_file *from, ss_file *to)
{
    for (ss_snapshot *s = vm->snaps; s; s = s->next)
        if (s->files[disk] == from) s->files[disk] = to;
}

/* A running Delete All's snapshots held at `lost` on this disk no longer
 * have their state (the merge made it newer, or removed it): they leave
 * the tree now, with their memory files, so that a job failing after this
 * merge leaves only snapshots whose files are still there. */
static void drop_lost_snapshots(ss_job *j, int disk, const ss_file *lost)
{
    ss_vm *vm = j->vm;
    for (ss_snapshot *s = vm->snaps, *next; s; s = next) {
        next = s->next;
        if (!s->deleting || s->files[disk] != lost) continue;
        if (s->vmsn) ss_job_release_later(j, s->vmsn);
        ss_snapshot_unlink(vm, s);
    }
}

/* ---- one merge ---- */

static void merge_done(ss_engine *eng, void *ctx, uint64_t arg);

static void reschedule(ss_job *j)
{
    ss_engine *eng = j->w->eng;
    if (j->done_ev) ss_engine_cancel(eng, j->done_ev);
    j->done_ev = 0;
    ss_time t = ss_now(j->w);
    if (j->remaining <= 0.5) j->done_ev = ss_engine_at(eng, t, merge_done, j, 0);
    else if (j->rate > 0) j->done_ev = ss_engine_at(eng, ss_time_add(t, ss_time_from_s(j->remaining / j->rate)), merge_done, j, 0);
}

/* The copy's share of the bandwidth changed: account the progress made at
 * the old rate since t_last, then reschedule the completion at the new one
 * (the fluid model's event rescheduling). */
static void on_copy_rate(ss_world *w, ss_activity *a)
{
    ss_job *j = a->owner;
    ss_time t = ss_now(w);
    j->remaining -= j->rate * ss_time_to_s(t - j->t_last);
    if (j->remaining < 0) j->remaining = 0;
    j->t_last = t;
    j->rate = a->rate;
    reschedule(j);
}

static uint64_t grain_of(const ss_merge *m) { return m->disk->fmt->grain; }


int ss_merge_start(ss_job *j, ss_merge m)
{
    ss_world *w = j->w;
    ss_vm *vm = j->vm;
    ss_disk *d = m.disk;
    uint64_t grain = grain_of(&m);
    ss_file *target = m.kind == SS_M_STREAM ? m.child : m.parent;

    ss_vm_sync(w, vm, ss_now(w));
    /* grown: the target's content once merged; copied: the grains the
     * merge reads and writes. */
    ss_content grown = { NULL, NULL };
    uint64_t copied = 0;
    if (!target->thick) ss_ct_copy(&grown, &target->ct);
    switch (m.kind) {
    case SS_M_MERGE:
        copied = ss_ct_count(&m.child->ct);
        if (!m.parent->thick) ss_ct_union(&grown, &m.child->ct);
        if (!m.parent->thick) j->worst_case += m.child->size;
        break;
    case SS_M_STREAM:
        /* The child pulls what it lacks from its backing file. */
        if (m.parent->thick) {
            ss_content all;
            ss_ct_init(&all, ss_ct_region_shift(&m.child->ct), NULL);
            if (ss_ct_add_range(&all, 0, d->ngrains) == UINT64_MAX) abort();
            copied = ss_ct_union(&grown, &all);
            ss_ct_free(&all);
        } else {
            copied = ss_ct_union(&grown, &m.parent->ct);
        }
        j->worst_case += m.parent->size;
        break;
    case SS_M_COMMIT: {
        ss_content src;
        ss_ct_init(&src, d->fmt->region_shift, NULL);
        for (ss_file *f = m.child; f && f != m.parent; f = f->parent) {
            ss_ct_union(&src, &f->ct);
            if (!m.parent->thick) j->worst_case += f->size;
        }
        copied = ss_ct_count(&src);
        if (!m.parent->thick) ss_ct_union(&grown, &src);
        ss_ct_free(&src);
        break;
    }
    }
    j->copy_bytes = copied * grain;

    /* Grow the target now, all at once: the space is taken when the merge
     * starts (the worst moment for the datastore). */
    j->growth = 0;
    if (!target->thick) {
        uint64_t newsize = ss_file_size_for(target, ss_ct_count(&grown), ss_ct_regions(&grown));
        if (newsize > target->size && !ss_ds_fits(target->ds, newsize - target->size)) {
            ss_ct_free(&grown);
            char why[256];
            snprintf(why, sizeof why, "datastore %s is full: %s cannot grow by %llu bytes", target->ds->name,
                     target->name, (unsigned long long)(newsize - target->size));
            ss_job_fail(j, why);
            return -1;
        }
        j->growth = newsize > target->size ? newsize - target->size : 0;
        ss_ct_free(&target->ct);
        target->ct = grown;
        ss_file_resize(w, target);
    }

    j->cur = m;
    j->running = 1;
    j->t_merge0 = ss_now(w);
    j->stunned = 0;
    j->mirrored = 0;
    ss_file *live = m.kind == SS_M_STREAM ? NULL : m.child;
    if (m.kind == SS_M_COMMIT) live = d->top;
    if (m.final_helper) {
        ss_vm_stun(w, vm, 1);
        j->stunned = 1;
    } else if (live && ss_job_is_active(j, live)) {
        ss_live mode = j->st->live;
        if (mode == SS_LIVE_HELPER) mode = SS_LIVE_STUN;   /* max_iterations = 0: stun directly */
        if (mode == SS_LIVE_STUN) {
            ss_vm_stun(w, vm, 1);
            j->stunned = 1;
        } else if (mode == SS_LIVE_MIRROR) {
            d->mirror = m.parent;
            j->mirrored = 1;
            ss_vm_start_io(w, vm);
        }
    }
    m.child->busy = m.parent->busy = 1;

    j->remaining = 2.0 * (double)j->copy_bytes;
    j->rate = 0;
    j->t_last = ss_now(w);
    j->copy.ds = vm->ds;
    j->copy.owner = j;
    j->copy.on_rate = on_copy_rate;
    j->copy.demand = INFINITY;
    j->done_ev = 0;
    ss_ds_attach(w, &j->copy);
    if (!j->done_ev) reschedule(j);
    return 0;
}

static void unstun_then_continue(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    (void)arg;
    ss_job *j = ctx;
    ss_vm_stun(j->w, j->vm, 0);
    j->after_merge(j);
}

static void merge_done(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)arg;
    ss_job *j = ctx;
    ss_world *w = j->w;
    ss_vm *vm = j->vm;
    ss_merge m = j->cur;
    ss_disk *d = m.disk;
    ss_time t = ss_engine_now(eng);
    j->done_ev = 0;
    j->running = 0;
    ss_ds_detach(w, &j->copy);
    ss_vm_sync(w, vm, t);
    j->bytes_copied += j->copy_bytes;
    j->merges++;
    m.child->busy = m.parent->busy = 0;

    char detail[300];
    /* Copies: the merged file may be released below. */
    char from[128], to[128];
    snprintf(from, sizeof from, "%s", m.kind == SS_M_STREAM ? m.parent->name : m.child->name);
    snprintf(to, sizeof to, "%s", m.kind == SS_M_STREAM ? m.child->name : m.parent->name);
    snprintf(detail, sizeof detail, "%s%s -> %s", m.child->kind == SS_FILE_HELPER && m.kind != SS_M_STREAM ? "helper " : "",
             from, to);
    double dur = ss_time_to_s(t - j->t_merge0);
    switch (m.kind) {
    case SS_M_MERGE:
        drop_lost_snapshots(j, d->index, m.parent);
        reparent_children(vm, m.child, m.parent);
        retarget_snapshots(vm, d->index, m.child, m.parent);
        if (d->top == m.child) d->top = m.parent;
        if (j->helper[d->index] == m.child) j->helper[d->index] = NULL;
        if (j->st->release_at_end) ss_job_release_later(j, m.child);
        else ss_file_release(w, m.child);
        break;
    case SS_M_STREAM: {
        ss_file *p = m.parent;
        drop_lost_snapshots(j, d->index, p);
        m.child->parent = p->parent;
        p->nchildren--;
        reparent_children(vm, p, m.child);
        retarget_snapshots(vm, d->index, p, m.child);
        if (d->base == p) {
            d->base = m.child;
            /* The flattened top is the disk's only image now. */
        }
        p->parent = NULL;
        if (j->st->keep_files) ss_job_keep(j, p);   /* QEMU removes nothing */
        else if (j->st->release_at_end) ss_job_release_later(j, p);
        else ss_file_release(w, p);
        break;
    }
    case SS_M_COMMIT: {
        ss_file *f = m.child;
        drop_lost_snapshots(j, d->index, m.parent);
        for (ss_file *g = m.child; g && g != m.parent; g = g->parent) drop_lost_snapshots(j, d->index, g);
        while (f && f != m.parent) {
            ss_file *up = f->parent;
            reparent_children(vm, f, m.parent);
            retarget_snapshots(vm, d->index, f, m.parent);
            if (j->st->keep_files) ss_job_keep(j, f);   /* no --delete: the overlay stays */
            else ss_job_release_later(j, f);
            f = up;
        }
        d->top = m.parent;
        break;
    }
    }
    /* Reported once the merged file has gone (or waits for the end),
     * before the next merge takes its space: `used` is the datastore
     * between two merges. */
    ss_event ev = { .t = ss_time_to_s(t), .kind = "consolidation_step", .vm = vm->name, .host = vm->host->name,
                    .datastore = vm->ds->name, .snapshot = j->label, .bytes = (int64_t)j->copy_bytes,
                    .value = dur, .detail = detail, .used = (int64_t)vm->ds->used };
    ss_emit(w, &ev);
    ss_step_rec rec = { ss_time_to_s(j->t_merge0), ss_time_to_s(t), vm->name, from, to, (int64_t)j->copy_bytes,
                        (int64_t)j->growth, j->stunned };
    ss_emit_step(w, &rec);

    if (j->mirrored) {
        d->mirror = NULL;
        ss_vm_start_io(w, vm);
    }
    ss_changed(w);

    if (j->mirrored && vm->power == SS_POWER_ON && vm->ccfg.switchover_stun > 0) {
        /* The switch-over to the merged file: a short stun. */
        if (!vm->stunned) ss_vm_stun(w, vm, 1);
        j->stun_s += vm->ccfg.switchover_stun;
        ss_engine_at(eng, ss_time_add(t, ss_time_from_s(vm->ccfg.switchover_stun)), unstun_then_continue, j, 0);
        return;
    }
    if (j->stunned) {
        j->stun_s += dur;
        ss_vm_stun(w, vm, 0);
    }
    j->after_merge(j);
}
