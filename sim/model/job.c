/*
 * job.c -- a deletion's job record (job.h): the files it releases at the
 * end, its end (consolidation_done or _failed and its /consolidations row)
 * and the row of a job the run's end interrupted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/job.h"
#include "model/power.h"
#include "model/snapshot.h"

void ss_job_free(ss_job *j)
{
    if (!j) return;
    free(j->plan);
    free(j->release);
    free(j->kept);
    free(j->helper);
    free(j->iter);
    free(j->label);
    free(j);
}

void ss_job_release_later(ss_job *j, ss_file *f)
{
    for (int i = 0; i < j->nrelease; i++)
        if (j->release[i] == f) return;
    ss_file **p = realloc(j->release, (size_t)(j->nrelease + 1) * sizeof *p);
    if (!p) abort();
    j->release = p;
    j->release[j->nrelease++] = f;
}

void ss_job_keep(ss_job *j, ss_file *f)
{
    if (f->parent) {
        f->parent->nchildren--;
        f->parent = NULL;
    }
    f->kept = 1;
    ss_file **p = realloc(j->kept, (size_t)(j->nkept + 1) * sizeof *p);
    if (!p) abort();
    j->kept = p;
    j->kept[j->nkept++] = f;
}

/* The kept files' names, "a, b", into buf (cut at n); their bytes. */
static uint64_t kept_list(const ss_job *j, char *buf, size_t n)
{
    uint64_t bytes = 0;
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < j->nkept; i++) {
        bytes += j->kept[i]->size;
        int k = snprintf(buf + len, n - len, "%s%s", i ? ", " : "", j->kept[i]->name);
        if (k < 0 || (size_t)k >= n - len) break;
        len += (size_t)k;
    }
    return bytes;
}

int ss_job_is_active(const ss_job *j, const ss_file *f)
{
    return j->vm->power == SS_POWER_ON && f->disk && f == f->disk->top;
}

/* ---- the job ---- */

void ss_job_finish(ss_job *j, const char *result, const char *reason)
{
    ss_world *w = j->w;
    ss_vm *vm = j->vm;
    ss_time t = ss_now(w);
    /* A Delete All's snapshots not yet merged away: gone if the job
     * succeeded, back in the tree (with their files, never merged) if not. */
    for (ss_snapshot *s = vm->snaps, *next; s; s = next) {
        next = s->next;
        if (!s->deleting) continue;
        if (reason) { s->deleting = 0; continue; }
        if (s->vmsn) ss_job_release_later(j, s->vmsn);
        ss_snapshot_unlink(vm, s);
    }
    /* Children before their parents: releasing a file decrements its
     * parent's child count, so the parent must still be there.  A file
     * that still has a child outside the list is kept (never left dangling). */
    for (int left = j->nrelease, progress = 1; left > 0 && progress;) {
        progress = 0;
        for (int i = 0; i < j->nrelease; i++) {
            ss_file *f = j->release[i];
            if (!f || f->nchildren > 0) continue;
            ss_file_release(w, f);
            j->release[i] = NULL;
            left--;
            progress = 1;
        }
    }
    j->nrelease = 0;
    ss_ds_unwatch(vm->ds, &j->watch);
    char kept[512], detail[768];
    uint64_t kept_bytes = kept_list(j, kept, sizeof kept);
    const char *base = reason ? reason : j->note ? j->note : "";
    if (j->nkept) snprintf(detail, sizeof detail, "%s%skept on the datastore: %s", base, base[0] ? "; " : "", kept);
    else snprintf(detail, sizeof detail, "%s", base);
    ss_event ev = { .t = ss_time_to_s(t), .kind = reason ? "consolidation_failed" : "consolidation_done",
                    .vm = vm->name, .host = vm->host->name, .datastore = vm->ds->name, .snapshot = j->label,
                    .bytes = (int64_t)j->bytes_copied, .value = ss_time_to_s(t - j->t_start),
                    .detail = detail, .strategy = j->st->name, .kept_files = kept,
                    .kept_bytes = (int64_t)kept_bytes,
                    .bytes_copied = (int64_t)j->bytes_copied,
                    .peak_extra_bytes = (int64_t)(j->watch.peak - j->used_before),
                    .worst_case_bytes = (int64_t)j->worst_case, .duration = ss_time_to_s(t - j->t_start),
                    .stun_time = j->stun_s, .iterations = j->iterations, .merges = j->merges };
    ss_emit(w, &ev);
    ss_emit_consolidation(w, &ev, ss_time_to_s(j->t_start), vm->ds->name, result);
    ss_changed(w);
    vm->job = NULL;
    void (*on_end)(void *, const char *, const char *) = j->on_end;
    void *ctx = j->end_ctx;
    ss_job_free(j);
    /* Then whoever waits: they may start the next deletion. */
    if (on_end) on_end(ctx, result, reason);
    while (vm->idle_waiters && !vm->job) {
        ss_vm_waiter *wt = vm->idle_waiters;
        vm->idle_waiters = wt->next;
        wt->next = NULL;
        wt->on_idle(w, wt);
    }
}

void ss_vm_wait_idle(ss_vm *vm, ss_vm_waiter *wt)
{
    wt->next = NULL;
    ss_vm_waiter **pp = &vm->idle_waiters;
    while (*pp) pp = &(*pp)->next;
    *pp = wt;
}

void ss_vm_unwait_idle(ss_vm *vm, ss_vm_waiter *wt)
{
    for (ss_vm_waiter **pp = &vm->idle_waiters; *pp; pp = &(*pp)->next)
        if (*pp == wt) { *pp = wt->next; wt->next = NULL; return; }
}

/* The run ended during the job: its row says so (no event: nothing happened). */
void ss_job_report_unfinished(ss_world *w, ss_vm *vm)
{
    ss_job *j = vm->job;
    if (!j) return;
    ss_time t = ss_now(w);
    ss_event ev = { .t = ss_time_to_s(t), .kind = "consolidation_done", .vm = vm->name, .host = vm->host->name,
                    .datastore = vm->ds->name, .snapshot = j->label, .detail = "the run ended during the deletion",
                    .strategy = j->st->name, .bytes_copied = (int64_t)j->bytes_copied,
                    .peak_extra_bytes = (int64_t)(j->watch.peak - j->used_before),
                    .worst_case_bytes = (int64_t)j->worst_case, .duration = ss_time_to_s(t - j->t_start),
                    .stun_time = j->stun_s, .iterations = j->iterations, .merges = j->merges };
    ss_emit_consolidation(w, &ev, ss_time_to_s(j->t_start), vm->ds->name, "unfinished");
}

void ss_job_fail(ss_job *j, const char *reason)
{
    if (j->vm->stunned) ss_vm_stun(j->w, j->vm, 0);
    ss_job_finish(j, "failed", reason);
}

