/*
 * delete.c -- deleting snapshots: delete_snapshot and delete_all (delete.h,
 * job.h).
 *
 * The plan.  Deleting snapshot k merges the delta created when k was taken
 * into its parent (the previous delta, or the base).  Delete All merges
 * the current branch by the strategy's order: newest into its parent,
 * repeated down the chain (esx35); oldest first into the base (vsphere41,
 * vsphere6, offline); one block-commit of the chain into the base
 * (qemu_commit); or the backing data pulled up into the top (qemu_stream).
 *
 * The precheck refuses a deletion whose worst case (the seed's rule: the
 * sum of the children's sizes over the merges into a delta or a thin base)
 * plus what a helper may take exceeds the free space, leaving the chain as
 * it was.
 *
 * A snapshot whose file has several children (branches after a revert)
 * cannot be merged into: deleting it removes the snapshot from the tree and
 * keeps its file, shared by the branches, as it is (docs/model.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/delete.h"
#include "model/guest_io.h"
#include "model/helper.h"
#include "model/job.h"

static void add_merge(ss_job *j, ss_mkind kind, ss_disk *d, ss_file *child, ss_file *parent)
{
    ss_merge *p = realloc(j->plan, (size_t)(j->nplan + 1) * sizeof *p);
    if (!p) abort();
    j->plan = p;
    j->plan[j->nplan++] = (ss_merge){ kind, d, child, parent, 0 };
}

/* The files of disk d from the base up to the top, in order (*out is
 * malloc'd: a chain has no fixed depth); -1 if out of memory. */
static int chain_path(ss_disk *d, ss_file ***out)
{
    int n = 0;
    for (ss_file *f = d->top; f; f = f->parent) n++;
    ss_file **p = malloc((size_t)(n ? n : 1) * sizeof *p);
    if (!p) return -1;
    int i = n;
    for (ss_file *f = d->top; f; f = f->parent) p[--i] = f;
    *out = p;
    return n;
}

/* Is f on disk d's chain from the top down? */
static int on_path(const ss_disk *d, const ss_file *f)
{
    for (const ss_file *g = d->top; g; g = g->parent)
        if (g == f) return 1;
    return 0;
}

/* The seed's reservation for a plan, computed before anything moves:
 * merges into a delta or thin base need the child's size (growing the
 * parent by as much, the worst case of disjoint writes). */
static uint64_t plan_worst_case(const ss_job *j)
{
    uint64_t wc = 0;
    /* Sizes change as merges accumulate: track per file. */
    int n = j->nplan;
    uint64_t *sz = calloc((size_t)n * 2 + 1, sizeof *sz);
    ss_file **fs = calloc((size_t)n * 2 + 1, sizeof *fs);
    if (!sz || !fs) abort();
    int nf = 0;
#define SIZE_OF(f, out)                                                   \
    do {                                                                  \
        int k_;                                                           \
        for (k_ = 0; k_ < nf && fs[k_] != (f); k_++) {}                   \
        if (k_ == nf) { fs[nf] = (f); sz[nf] = (f)->size; nf++; }         \
        out = k_;                                                         \
    } while (0)
    for (int i = 0; i < n; i++) {
        const ss_merge *m = &j->plan[i];
        int c, p;
        ss_file *src = m->kind == SS_M_STREAM ? m->parent : m->child;
        ss_file *dst = m->kind == SS_M_STREAM ? m->child : m->parent;
        SIZE_OF(src, c);
        SIZE_OF(dst, p);
        if (m->kind == SS_M_COMMIT) {
            uint64_t s = 0;
            for (ss_file *f = m->child; f && f != m->parent; f = f->parent) s += f->size;
            if (!dst->thick) { wc += s; sz[p] += s; }
        } else if (!dst->thick) {
            wc += sz[c];
            sz[p] += sz[c];
        }
    }
#undef SIZE_OF
    free(sz);
    free(fs);
    return wc;
}

int ss_delete_start(ss_world *w, ss_vm *vm, const char *name, const ss_strategy *st, int precheck, char *why,
                    size_t n)
{
    return ss_delete_start_then(w, vm, name, st, precheck, NULL, NULL, why, n);
}

int ss_delete_start_then(ss_world *w, ss_vm *vm, const char *name, const ss_strategy *st, int precheck,
                         void (*on_end)(void *ctx, const char *result, const char *reason), void *ctx, char *why,
                         size_t n)
{
    if (vm->job) {
        snprintf(why, n, "a snapshot deletion is already running on vm %s (%s, started at %.0f s)", vm->name,
                 vm->job->label, ss_time_to_s(vm->job->t_start));
        return -2;
    }
    ss_snapshot *snap = NULL;
    if (name) {
        snap = ss_snapshot_find(vm, name);
        if (!snap) { snprintf(why, n, "vm %s has no snapshot \"%s\"", vm->name, name); return -2; }
    } else if (!vm->snaps) {
        snprintf(why, n, "vm %s has no snapshots to delete", vm->name);
        return -2;
    }
    for (ss_snapshot *s = vm->snaps; s; s = s->next)
        if (s->held && (!name || s == snap)) {
            snprintf(why, n, "snapshot \"%s\" of vm %s is in use: a backup is exporting its disks", s->name, vm->name);
            return -2;
        }
    ss_vm_sync(w, vm, ss_now(w));

    ss_job *j = calloc(1, sizeof *j);
    if (!j) abort();
    j->w = w;
    j->vm = vm;
    j->stv = *st;
    j->st = &j->stv;
    j->label = malloc(strlen(name ? name : "(all)") + 1);
    if (!j->label) abort();
    strcpy(j->label, name ? name : "(all)");
    j->after_merge = ss_helper_next;
    j->on_end = on_end;
    j->end_ctx = ctx;
    j->helper = calloc((size_t)vm->ndisks, sizeof *j->helper);
    j->iter = calloc((size_t)vm->ndisks, sizeof *j->iter);
    if (!j->helper || !j->iter) abort();

    /* ---- the plan ---- */
    for (int i = 0; i < vm->ndisks; i++) {
        ss_disk *d = &vm->disks[i];
        if (name) {
            ss_file *p = snap->files[i];
            ss_file *c = NULL;
            for (ss_file *f = vm->dir.files; f; f = f->next)
                if (f->parent == p) c = f;
            if (p->nchildren == 1) {
                if (st->order == SS_ORDER_STREAM) add_merge(j, SS_M_STREAM, d, c, p);
                else add_merge(j, SS_M_MERGE, d, c, p);
            } else if (p->nchildren > 1) {
                j->note = "its file is shared by several branches and is kept";
            }
        } else {
            ss_file **path = NULL;
            int np = chain_path(d, &path);
            if (np < 0) abort();
            if (np < 2) { free(path); continue; }
            switch (st->order) {
            case SS_ORDER_NEWEST_FIRST:
                for (int k = np - 1; k >= 1; k--) add_merge(j, SS_M_MERGE, d, path[k], path[k - 1]);
                break;
            case SS_ORDER_OLDEST_FIRST:
                for (int k = 1; k < np; k++) add_merge(j, SS_M_MERGE, d, path[k], path[0]);
                break;
            case SS_ORDER_COMMIT:
                add_merge(j, SS_M_COMMIT, d, path[np - 1], path[0]);
                break;
            case SS_ORDER_STREAM:
                for (int k = np - 2; k >= 0; k--) add_merge(j, SS_M_STREAM, d, path[np - 1], path[k]);
                break;
            }
            free(path);
        }
    }

    /* ---- precheck: the worst case, plus what a helper may take ---- */
    uint64_t wc = plan_worst_case(j);
    double helper_growth = ss_helper_expected_growth(j);
    uint64_t need = wc + (uint64_t)helper_growth;
    uint64_t freeb = vm->ds->used < vm->ds->capacity ? vm->ds->capacity - vm->ds->used : 0;
    if (precheck && need > freeb) {
        snprintf(why, n, "refused by precheck: needs %llu bytes free on %s, %llu free", (unsigned long long)need,
                 vm->ds->name, (unsigned long long)freeb);
        ss_time t = ss_now(w);
        ss_event ev = { .t = ss_time_to_s(t), .kind = "consolidation_failed", .vm = vm->name,
                        .host = vm->host->name, .datastore = vm->ds->name, .snapshot = j->label,
                        .bytes = (int64_t)need, .value = (double)freeb, .detail = why, .strategy = st->name,
                        .worst_case_bytes = (int64_t)need };
        ss_emit(w, &ev);
        ss_emit_consolidation(w, &ev, ss_time_to_s(t), vm->ds->name, "refused");
        ss_job_free(j);
        return -1;
    }

    /* ---- start ---- */
    j->t_start = ss_now(w);
    j->used_before = vm->ds->used;
    ss_ds_watch(vm->ds, &j->watch);
    vm->job = j;
    ss_event ev = { .t = ss_time_to_s(j->t_start), .kind = "consolidation_started", .vm = vm->name,
                    .host = vm->host->name, .datastore = vm->ds->name, .snapshot = j->label,
                    .bytes = (int64_t)wc, .detail = st->name };
    ss_emit(w, &ev);

    /* The snapshots leave the tree now; their files follow the plan. */
    if (name) {
        if (snap->vmsn) ss_job_release_later(j, snap->vmsn);
        for (int i = 0; i < vm->ndisks; i++)
            if (snap->files[i]->nchildren == 0 && snap->files[i] != vm->disks[i].base)
                ss_job_release_later(j, snap->files[i]);   /* nobody needs it any more */
        ss_snapshot_unlink(vm, snap);
    } else {
        /* Delete All: files off the current branch go now (with their
         * snapshots); the snapshots on it leave the tree as the merges
         * take their state (merge.c), or at the job's end (job.c), so a
         * job that fails midway leaves the tree and the files agreeing. */
        for (ss_snapshot *s = vm->snaps; s; s = s->next) {
            s->deleting = 1;
            for (int i = 0; i < vm->ndisks; i++)
                if (!on_path(&vm->disks[i], s->files[i])) s->deleting = 0;
        }
        for (ss_file *f = vm->dir.files; f; f = f->next) {
            if (f->kind == SS_FILE_VMSN) {
                int kept = 0;
                for (ss_snapshot *s = vm->snaps; s; s = s->next)
                    if (s->deleting && s->vmsn == f) kept = 1;
                if (!kept) ss_job_release_later(j, f);
                continue;
            }
            if (!f->disk || f->kept) continue;   /* a QEMU job's leftovers are not a branch */
            if (!on_path(f->disk, f)) ss_job_release_later(j, f);
        }
        for (ss_snapshot *s = vm->snaps, *next; s; s = next) {
            next = s->next;
            if (!s->deleting) ss_snapshot_unlink(vm, s);
        }
    }

    ss_helper_begin(j);
    if (vm->power == SS_POWER_ON) ss_vm_start_io(w, vm);
    ss_changed(w);
    ss_helper_next(j);
    return 0;
}
