/*
 * consolidate.c -- deleting snapshots: delete_snapshot and delete_all.
 *
 * One deletion is one job (one consolidation_started, a consolidation_step
 * per merge, one consolidation_done or _failed).  A job is a plan of merges
 * run one after the other, then, for the `helper` live mode, the iterative
 * Consolidate Helper loop (SPEC §2.2, facts §2):
 *
 *   merge child -> parent   the parent grows by the child's grains it lacks
 *                           (0 for a thick base); the child's file is then
 *                           released (now, or at the end for esx35)
 *   stream parent -> child  qemu_stream: the child pulls the grains it lacks
 *                           from its backing file, which is then released
 *   commit chain -> base    qemu_commit: every overlay's newest data pushed
 *                           into the base in one job
 *
 * A merge copies X bytes = the data it reads from the source and writes to
 * the target; that costs 2X of the datastore's I/O, shared with everything
 * else there (datastore.c).  The delta a running guest writes to is merged
 * per the strategy's live mode: stun (paused for that merge), mirror (its
 * writes also go to the target, then a short stun at the switch-over) or
 * helper (a new delta takes the writes while the old one is merged; repeat
 * until the helper's merge is estimated at max_consolidate_time or less,
 * then stun and merge it; after max_iterations helpers force a stunned
 * merge, or fail and leave the VM on its helper).
 *
 * A snapshot whose file has several children (branches after a revert)
 * cannot be merged into: deleting it removes the snapshot from the tree and
 * keeps its file, shared by the branches, as it is (docs/model.md).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

typedef enum { SS_M_MERGE, SS_M_STREAM, SS_M_COMMIT } ss_mkind;

typedef struct ss_merge {
    ss_mkind kind;
    ss_disk *disk;
    ss_file *child, *parent;  /* data flows child -> parent (stream: parent -> child) */
    int final_helper;         /* the stunned merge that ends the helper loop */
} ss_merge;

struct ss_job {
    ss_sim *sim;
    ss_vm *vm;
    const ss_strategy *st;
    char *label;              /* snapshot name or "(all)" */
    const char *note;         /* said in consolidation_done's detail (static text) */
    ss_time t_start;
    uint64_t used_before;
    ss_watch watch;
    uint64_t bytes_copied, worst_case;
    int iterations, merges;
    double stun_s;
    ss_merge *plan;
    int nplan, next;
    ss_file **release;        /* released when the job ends */
    int nrelease;
    ss_file **helper;         /* per disk: the helper taking the writes, or NULL */
    int *iter;                /* per disk: helpers created */
    /* The merge running now. */
    ss_merge cur;
    int running;
    uint64_t copy_bytes;
    uint64_t growth;
    ss_activity copy;
    double remaining;         /* bytes of I/O left, as of t_last */
    double rate;              /* bytes/s of I/O in force since t_last */
    ss_time t_last, t_merge0;
    ss_event_id done_ev;
    int stunned;              /* we stunned the VM for this merge */
    int mirrored;
    ss_grainset *commit_set;  /* qemu_commit: the union being pushed */
};

static ss_time now_of(ss_sim *sim) { return ss_engine_now(ss_sim_engine(sim)); }

static void next_step(ss_job *j);

void ss_job_free(ss_job *j)
{
    if (!j) return;
    free(j->plan);
    free(j->release);
    free(j->helper);
    free(j->iter);
    free(j->label);
    ss_gs_free(j->commit_set);
    free(j);
}

static void add_merge(ss_job *j, ss_mkind kind, ss_disk *d, ss_file *child, ss_file *parent)
{
    ss_merge *p = realloc(j->plan, (size_t)(j->nplan + 1) * sizeof *p);
    if (!p) abort();
    j->plan = p;
    j->plan[j->nplan++] = (ss_merge){ kind, d, child, parent, 0 };
}

static void add_release(ss_job *j, ss_file *f)
{
    for (int i = 0; i < j->nrelease; i++)
        if (j->release[i] == f) return;
    ss_file **p = realloc(j->release, (size_t)(j->nrelease + 1) * sizeof *p);
    if (!p) abort();
    j->release = p;
    j->release[j->nrelease++] = f;
}

/* ---- moving roles from one file to another ---- */

static void reparent_children(ss_vm *vm, ss_file *from, ss_file *to)
{
    for (ss_file *f = vm->files; f; f = f->next)
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

static int is_active(const ss_job *j, const ss_file *f)
{
    return j->vm->power == SS_POWER_ON && f->disk && f == f->disk->top;
}

/* ---- one merge ---- */

static double bandwidth_of(const ss_vm *vm) { return vm->ds->bandwidth; }

static void merge_done(ss_engine *eng, void *ctx, uint64_t arg);

static void reschedule(ss_job *j)
{
    ss_engine *eng = ss_sim_engine(j->sim);
    if (j->done_ev) ss_engine_cancel(eng, j->done_ev);
    j->done_ev = 0;
    ss_time t = now_of(j->sim);
    if (j->remaining <= 0.5) j->done_ev = ss_engine_at(eng, t, merge_done, j, 0);
    else if (j->rate > 0) j->done_ev = ss_engine_at(eng, t + ss_time_from_s(j->remaining / j->rate), merge_done, j, 0);
}

/* The copy's share of the bandwidth changed: account the progress made at
 * the old rate since t_last, then reschedule the completion at the new one
 * (the fluid model's event rescheduling). */
static void on_copy_rate(ss_sim *sim, ss_activity *a)
{
    ss_job *j = a->owner;
    ss_time t = now_of(sim);
    j->remaining -= j->rate * ss_time_to_s(t - j->t_last);
    if (j->remaining < 0) j->remaining = 0;
    j->t_last = t;
    j->rate = a->rate;
    reschedule(j);
}

static uint64_t grain_of(const ss_merge *m) { return m->disk->fmt->grain; }

static void fail_job(ss_job *j, const char *reason);

static int start_merge(ss_job *j, ss_merge m)
{
    ss_sim *sim = j->sim;
    ss_vm *vm = j->vm;
    ss_disk *d = m.disk;
    uint64_t grain = grain_of(&m);
    ss_file *target = m.kind == SS_M_STREAM ? m.child : m.parent;
    ss_grainset *src = NULL;        /* what is copied */
    ss_grainset *owned = NULL;

    ss_vm_sync(sim, vm, now_of(sim));
    switch (m.kind) {
    case SS_M_MERGE:
        src = m.child->gs;
        j->copy_bytes = ss_gs_count(src) * grain;
        if (!m.parent->thick) j->worst_case += m.child->size;
        break;
    case SS_M_STREAM:
        /* The child pulls what it lacks from its backing file. */
        if (m.parent->thick) {
            owned = ss_gs_new(ss_gs_region_shift(m.child->gs));
            if (!owned || ss_gs_add_range(owned, 0, d->ngrains) == UINT64_MAX) abort();
        } else {
            owned = ss_gs_copy(m.parent->gs);
            if (!owned) abort();
        }
        ss_gs_subtract(owned, m.child->gs);
        src = owned;
        j->copy_bytes = ss_gs_count(src) * grain;
        j->worst_case += m.parent->size;
        break;
    case SS_M_COMMIT:
        owned = ss_gs_new(d->fmt->region_shift);
        if (!owned) abort();
        for (ss_file *f = m.child; f && f != m.parent; f = f->parent) {
            if (ss_gs_union(owned, f->gs) == UINT64_MAX) abort();
            if (!m.parent->thick) j->worst_case += f->size;
        }
        src = owned;
        j->copy_bytes = ss_gs_count(src) * grain;
        break;
    }

    /* Grow the target now, all at once: the space is taken when the merge
     * starts (the worst moment for the datastore). */
    j->growth = 0;
    if (!target->thick) {
        ss_grainset *grown = ss_gs_copy(target->gs);
        if (!grown || ss_gs_union(grown, src) == UINT64_MAX) abort();
        uint64_t newsize = ss_file_size_for(target, ss_gs_count(grown), ss_gs_regions(grown));
        if (newsize > target->size && !ss_ds_fits(target->ds, newsize - target->size)) {
            ss_gs_free(grown);
            ss_gs_free(owned);
            char why[256];
            snprintf(why, sizeof why, "datastore %s is full: %s cannot grow by %llu bytes", target->ds->name,
                     target->name, (unsigned long long)(newsize - target->size));
            fail_job(j, why);
            return -1;
        }
        j->growth = newsize > target->size ? newsize - target->size : 0;
        ss_gs_free(target->gs);
        target->gs = grown;
        ss_file_resize(sim, target);
    }
    ss_gs_free(owned);

    j->cur = m;
    j->running = 1;
    j->t_merge0 = now_of(sim);
    j->stunned = 0;
    j->mirrored = 0;
    ss_file *live = m.kind == SS_M_STREAM ? NULL : m.child;
    if (m.kind == SS_M_COMMIT) live = d->top;
    if (m.final_helper) {
        ss_vm_stun(sim, vm, 1);
        j->stunned = 1;
    } else if (live && is_active(j, live)) {
        ss_live mode = j->st->live;
        if (mode == SS_LIVE_HELPER) mode = SS_LIVE_STUN;   /* max_iterations = 0: stun directly */
        if (mode == SS_LIVE_STUN) {
            ss_vm_stun(sim, vm, 1);
            j->stunned = 1;
        } else if (mode == SS_LIVE_MIRROR) {
            d->mirror = m.parent;
            j->mirrored = 1;
            ss_vm_start_io(sim, vm);
        }
    }
    m.child->busy = m.parent->busy = 1;

    j->remaining = 2.0 * (double)j->copy_bytes;
    j->rate = 0;
    j->t_last = now_of(sim);
    j->copy.ds = vm->ds;
    j->copy.owner = j;
    j->copy.on_rate = on_copy_rate;
    j->copy.demand = INFINITY;
    j->done_ev = 0;
    ss_ds_attach(sim, &j->copy);
    if (!j->done_ev) reschedule(j);
    return 0;
}

static void unstun_then_continue(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    (void)arg;
    ss_job *j = ctx;
    ss_vm_stun(j->sim, j->vm, 0);
    next_step(j);
}

static void merge_done(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)arg;
    ss_job *j = ctx;
    ss_sim *sim = j->sim;
    ss_vm *vm = j->vm;
    ss_merge m = j->cur;
    ss_disk *d = m.disk;
    ss_time t = ss_engine_now(eng);
    j->done_ev = 0;
    j->running = 0;
    ss_ds_detach(sim, &j->copy);
    ss_vm_sync(sim, vm, t);
    j->bytes_copied += j->copy_bytes;
    j->merges++;
    m.child->busy = m.parent->busy = 0;

    char detail[160];
    /* Copies: the merged file may be released below. */
    char from[128], to[128];
    snprintf(from, sizeof from, "%s", m.kind == SS_M_STREAM ? m.parent->name : m.child->name);
    snprintf(to, sizeof to, "%s", m.kind == SS_M_STREAM ? m.child->name : m.parent->name);
    snprintf(detail, sizeof detail, "%s%s -> %s", m.child->kind == SS_FILE_HELPER && m.kind != SS_M_STREAM ? "helper " : "",
             from, to);
    double dur = ss_time_to_s(t - j->t_merge0);
    switch (m.kind) {
    case SS_M_MERGE:
        reparent_children(vm, m.child, m.parent);
        retarget_snapshots(vm, d->index, m.child, m.parent);
        if (d->top == m.child) d->top = m.parent;
        if (j->helper[d->index] == m.child) j->helper[d->index] = NULL;
        if (j->st->release_at_end) add_release(j, m.child);
        else ss_file_release(sim, m.child);
        break;
    case SS_M_STREAM: {
        ss_file *p = m.parent;
        m.child->parent = p->parent;
        p->nchildren--;
        if (p->parent) p->parent->nchildren++;
        reparent_children(vm, p, m.child);
        retarget_snapshots(vm, d->index, p, m.child);
        if (d->base == p) {
            d->base = m.child;
            /* The flattened top is the disk's only image now. */
        }
        p->parent = NULL;
        if (j->st->release_at_end) add_release(j, p);
        else ss_file_release(sim, p);
        break;
    }
    case SS_M_COMMIT: {
        ss_file *f = m.child;
        while (f && f != m.parent) {
            ss_file *up = f->parent;
            reparent_children(vm, f, m.parent);
            retarget_snapshots(vm, d->index, f, m.parent);
            add_release(j, f);
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
    ss_sim_emit(sim, &ev);
    ss_sim_record_step(sim, vm, ss_time_to_s(j->t_merge0), ss_time_to_s(t), from, to, (int64_t)j->copy_bytes,
                       (int64_t)j->growth, j->stunned);

    if (j->mirrored) {
        d->mirror = NULL;
        ss_vm_start_io(sim, vm);
    }
    ss_sim_sample(sim);

    if (j->mirrored && vm->power == SS_POWER_ON && vm->ccfg.switchover_stun > 0) {
        /* The switch-over to the merged file: a short stun. */
        if (!vm->stunned) ss_vm_stun(sim, vm, 1);
        j->stun_s += vm->ccfg.switchover_stun;
        ss_engine_at(eng, t + ss_time_from_s(vm->ccfg.switchover_stun), unstun_then_continue, j, 0);
        return;
    }
    if (j->stunned) {
        j->stun_s += dur;
        ss_vm_stun(sim, vm, 0);
    }
    next_step(j);
}

/* ---- the job ---- */

static void finish(ss_job *j, const char *result, const char *reason)
{
    ss_sim *sim = j->sim;
    ss_vm *vm = j->vm;
    ss_time t = now_of(sim);
    for (int i = 0; i < j->nrelease; i++) {
        ss_file *f = j->release[i];
        /* A released file's children have been moved; it may still be
         * someone's parent only through a file also being released. */
        ss_file_release(sim, f);
    }
    j->nrelease = 0;
    ss_ds_unwatch(vm->ds, &j->watch);
    ss_event ev = { .t = ss_time_to_s(t), .kind = reason ? "consolidation_failed" : "consolidation_done",
                    .vm = vm->name, .host = vm->host->name, .datastore = vm->ds->name, .snapshot = j->label,
                    .bytes = (int64_t)j->bytes_copied, .value = ss_time_to_s(t - j->t_start),
                    .detail = reason ? reason : j->note ? j->note : "", .strategy = j->st->name,
                    .bytes_copied = (int64_t)j->bytes_copied,
                    .peak_extra_bytes = (int64_t)(j->watch.peak - j->used_before),
                    .worst_case_bytes = (int64_t)j->worst_case, .duration = ss_time_to_s(t - j->t_start),
                    .stun_time = j->stun_s, .iterations = j->iterations, .merges = j->merges };
    ss_sim_emit(sim, &ev);
    ss_sim_record_consolidation(sim, &ev, ss_time_to_s(j->t_start), vm->ds->name, result);
    ss_sim_sample(sim);
    vm->job = NULL;
    ss_job_free(j);
}

/* The run ended during the job: its row says so (no event: nothing happened). */
void ss_job_report_unfinished(ss_sim *sim, ss_vm *vm)
{
    ss_job *j = vm->job;
    if (!j) return;
    ss_time t = now_of(sim);
    ss_event ev = { .t = ss_time_to_s(t), .kind = "consolidation_done", .vm = vm->name, .host = vm->host->name,
                    .datastore = vm->ds->name, .snapshot = j->label, .detail = "the run ended during the deletion",
                    .strategy = j->st->name, .bytes_copied = (int64_t)j->bytes_copied,
                    .peak_extra_bytes = (int64_t)(j->watch.peak - j->used_before),
                    .worst_case_bytes = (int64_t)j->worst_case, .duration = ss_time_to_s(t - j->t_start),
                    .stun_time = j->stun_s, .iterations = j->iterations, .merges = j->merges };
    ss_sim_record_consolidation(sim, &ev, ss_time_to_s(j->t_start), vm->ds->name, "unfinished");
}

static void fail_job(ss_job *j, const char *reason)
{
    if (j->vm->stunned) ss_vm_stun(j->sim, j->vm, 0);
    finish(j, "failed", reason);
}

static void next_step(ss_job *j)
{
    ss_vm *vm = j->vm;
    if (j->next < j->nplan) {
        start_merge(j, j->plan[j->next++]);
        return;
    }
    /* The helper loop, disk by disk. */
    for (int i = 0; i < vm->ndisks; i++) {
        ss_file *h = j->helper[i];
        if (!h) continue;
        ss_disk *d = &vm->disks[i];
        ss_vm_sync(j->sim, vm, now_of(j->sim));
        double est = 2.0 * (double)ss_file_allocated(h) / bandwidth_of(vm);
        ss_merge m = { SS_M_MERGE, d, h, h->parent, 0 };
        if (est <= vm->ccfg.max_consolidate_time || vm->power != SS_POWER_ON) {
            m.final_helper = vm->power == SS_POWER_ON;
            start_merge(j, m);
            return;
        }
        if (j->iter[i] < vm->ccfg.max_iterations) {
            j->iter[i]++;
            j->iterations++;
            ss_file *h2 = ss_chain_new_delta(j->sim, d, h, SS_FILE_HELPER);
            d->top = h2;
            j->helper[i] = h2;
            ss_vm_start_io(j->sim, vm);
            start_merge(j, m);
            return;
        }
        if (vm->ccfg.force_sync) {
            m.final_helper = 1;
            start_merge(j, m);
            return;
        }
        char why[200];
        snprintf(why, sizeof why, "maximum consolidate retries was exceeded for scsi0:%d", i);
        j->helper[i] = NULL;   /* the VM stays on its helper */
        fail_job(j, why);
        return;
    }
    finish(j, "done", NULL);
}

/* The files of disk d from the base up to the top, in order. */
static int chain_path(ss_disk *d, ss_file **out, int max)
{
    int n = 0;
    for (ss_file *f = d->top; f && n < max; f = f->parent) out[n++] = f;
    for (int i = 0; i < n / 2; i++) {
        ss_file *t = out[i];
        out[i] = out[n - 1 - i];
        out[n - 1 - i] = t;
    }
    return n;
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

static double plan_copy_bytes(const ss_job *j)
{
    double b = 0;
    for (int i = 0; i < j->nplan; i++) b += (double)j->plan[i].child->size;
    return b;
}

int ss_delete_start(ss_sim *sim, ss_vm *vm, const char *name, const ss_strategy *st, int precheck, char *why,
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
    ss_vm_sync(sim, vm, now_of(sim));

    ss_job *j = calloc(1, sizeof *j);
    if (!j) abort();
    j->sim = sim;
    j->vm = vm;
    j->st = st;
    j->label = malloc(strlen(name ? name : "(all)") + 1);
    if (!j->label) abort();
    strcpy(j->label, name ? name : "(all)");
    j->helper = calloc((size_t)vm->ndisks, sizeof *j->helper);
    j->iter = calloc((size_t)vm->ndisks, sizeof *j->iter);
    if (!j->helper || !j->iter) abort();

    /* ---- the plan ---- */
    for (int i = 0; i < vm->ndisks; i++) {
        ss_disk *d = &vm->disks[i];
        if (name) {
            ss_file *p = snap->files[i];
            ss_file *c = NULL;
            for (ss_file *f = vm->files; f; f = f->next)
                if (f->parent == p) c = f;
            if (p->nchildren == 1) {
                if (st->order == SS_ORDER_STREAM) add_merge(j, SS_M_STREAM, d, c, p);
                else add_merge(j, SS_M_MERGE, d, c, p);
            } else if (p->nchildren > 1) {
                j->note = "its file is shared by several branches and is kept";
            }
        } else {
            ss_file *path[512];
            int np = chain_path(d, path, 512);
            if (np < 2) continue;
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
        }
    }

    /* ---- precheck: the worst case, plus what a helper may take ---- */
    uint64_t wc = plan_worst_case(j);
    double helper_growth = 0;
    int live_in_plan = 0;
    for (int i = 0; i < j->nplan; i++)
        if (is_active(j, j->plan[i].child)) live_in_plan = 1;
    if (live_in_plan && st->live == SS_LIVE_HELPER && vm->ccfg.max_iterations > 0)
        helper_growth = ss_vm_demand(vm) * 2.0 * plan_copy_bytes(j) / bandwidth_of(vm);
    uint64_t need = wc + (uint64_t)helper_growth;
    uint64_t freeb = vm->ds->used < vm->ds->capacity ? vm->ds->capacity - vm->ds->used : 0;
    if (precheck && need > freeb) {
        snprintf(why, n, "refused by precheck: needs %llu bytes free on %s, %llu free", (unsigned long long)need,
                 vm->ds->name, (unsigned long long)freeb);
        ss_time t = now_of(sim);
        ss_event ev = { .t = ss_time_to_s(t), .kind = "consolidation_failed", .vm = vm->name,
                        .host = vm->host->name, .datastore = vm->ds->name, .snapshot = j->label,
                        .bytes = (int64_t)need, .value = (double)freeb, .detail = why, .strategy = st->name,
                        .worst_case_bytes = (int64_t)need };
        ss_sim_emit(sim, &ev);
        ss_sim_record_consolidation(sim, &ev, ss_time_to_s(t), vm->ds->name, "refused");
        ss_job_free(j);
        return -1;
    }

    /* ---- start ---- */
    j->t_start = now_of(sim);
    j->used_before = vm->ds->used;
    ss_ds_watch(vm->ds, &j->watch);
    vm->job = j;
    ss_event ev = { .t = ss_time_to_s(j->t_start), .kind = "consolidation_started", .vm = vm->name,
                    .host = vm->host->name, .datastore = vm->ds->name, .snapshot = j->label,
                    .bytes = (int64_t)wc, .detail = st->name };
    ss_sim_emit(sim, &ev);

    /* The snapshots leave the tree now; their files follow the plan. */
    if (name) {
        if (snap->vmsn) add_release(j, snap->vmsn);
        for (int i = 0; i < vm->ndisks; i++)
            if (snap->files[i]->nchildren == 0 && snap->files[i] != vm->disks[i].base)
                add_release(j, snap->files[i]);   /* nobody needs it any more */
        ss_snapshot_unlink(vm, snap);
    } else {
        /* Delete All: files off the current branch go too. */
        for (ss_file *f = vm->files; f; f = f->next) {
            if (f->kind == SS_FILE_VMSN) { add_release(j, f); continue; }
            if (!f->disk) continue;
            int on_path = 0;
            for (ss_file *g = f->disk->top; g; g = g->parent)
                if (g == f) on_path = 1;
            if (!on_path) add_release(j, f);
        }
        while (vm->snaps) ss_snapshot_unlink(vm, vm->snaps);
    }

    /* Helper mode: a helper takes the guest's writes from the start. */
    if (st->live == SS_LIVE_HELPER && vm->power == SS_POWER_ON && vm->ccfg.max_iterations > 0)
        for (int i = 0; i < vm->ndisks; i++) {
            ss_disk *d = &vm->disks[i];
            int in_plan = 0;
            for (int k = 0; k < j->nplan; k++)
                if (j->plan[k].disk == d && j->plan[k].child == d->top) in_plan = 1;
            if (!in_plan) continue;
            ss_file *h = ss_chain_new_delta(sim, d, d->top, SS_FILE_HELPER);
            d->top = h;
            j->helper[i] = h;
            j->iter[i] = 1;
            j->iterations++;
        }
    if (vm->power == SS_POWER_ON) ss_vm_start_io(sim, vm);
    ss_sim_sample(sim);
    next_step(j);
    return 0;
}
