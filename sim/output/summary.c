/*
 * summary.c -- the closing summary a run prints (record.h): the planner's
 * answer per datastore and the run's totals (level 0, -q: a fixed number of
 * lines per datastore, whatever the number of VMs); level 1 adds up to
 * LIST_MAX deletions and VMs with stalls, failed snapshots or clock steps, level 2
 * (--verbose) all of them, and each proxy when there are several.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model/datastore.h"
#include "model/host.h"
#include "model/proxy.h"
#include "model/vm.h"
#include "output/record.h"
#include "snapsim/units.h"

void ss_ds_answer_of(ss_world *w, const ss_datastore *ds, ss_ds_answer *a)
{
    ss_time now = ss_now(w);
    *a = (ss_ds_answer){ 0 };
    a->initial_used = ds->initial_used;
    a->peak_used = ds->peak_used;
    a->headroom = ds->peak_used > ds->initial_used ? ds->peak_used - ds->initial_used : 0;
    a->free_at_peak = ds->peak_used < ds->capacity ? ds->capacity - ds->peak_used : 0;
    a->t_peak = ss_time_to_s(ds->t_peak);
    a->t_first_full = ds->full_events ? ss_time_to_s(ds->t_first_full) : NAN;
    for (ss_vm *vm = w->vms; vm; vm = vm->next) {
        if (vm->ds != ds) continue;
        a->vms++;
        a->stall_s += ss_vm_stall_seconds(vm, now);
        for (int i = 0; i < vm->ndisks; i++) {
            a->provisioned += vm->disks[i].capacity;
            if (vm->disks[i].thin) {
                a->thin_disks++;
                a->thin_capacity += vm->disks[i].capacity;
            }
        }
    }
}

/* Lines listing one deletion or VM each stop at LIST_MAX at level 1. */
#define LIST_MAX 20

void ss_summary_print(FILE *f, ss_world *w, const ss_rec *r, const ss_run_info *info, int level)
{
    char a[64], b[64], c[64];
    fprintf(f, "snapsim: %s, %s simulated, seed %llu, %llu events\n", info->scenario,
            (ss_format_duration(info->duration, a, sizeof a), a), (unsigned long long)info->seed,
            (unsigned long long)info->events);
    for (ss_datastore *ds = w->dss; ds; ds = ds->next) {
        ss_ds_answer an;
        ss_ds_answer_of(w, ds, &an);
        char d[64], e[64], t[64];
        ss_format_size(an.initial_used, a, sizeof a);
        ss_format_size(an.peak_used, b, sizeof b);
        ss_format_size(ds->capacity, c, sizeof c);
        ss_format_size(an.headroom, d, sizeof d);
        ss_format_size(an.free_at_peak, e, sizeof e);
        ss_format_duration_human(an.t_peak, t, sizeof t);
        fprintf(f, "  datastore %-14s %s: in use %s at the start, peak %s at %s: needs %s more, %s left free\n",
                ds->name, c, a, b, t, d, e);
        ss_format_duration_human(an.t_first_full, a, sizeof a);
        ss_format_duration_human(an.stall_s, b, sizeof b);
        if (isnan(an.t_first_full)) fprintf(f, "  datastore %-14s never filled\n", ds->name);
        else fprintf(f, "  datastore %-14s FILLED first at %s; its VMs stalled %s in all\n", ds->name, a, b);
        if (an.thin_disks) {
            ss_format_size(an.thin_capacity, a, sizeof a);
            ss_format_size(an.provisioned, b, sizeof b);
            if (an.provisioned > ds->capacity)
                fprintf(f, "  datastore %-14s OVERCOMMITTED: %d thin disk(s) of %s; all disks %s on %s (%.0f %%)\n",
                        ds->name, an.thin_disks, a, b, c, 100.0 * (double)an.provisioned / (double)ds->capacity);
            else
                fprintf(f, "  datastore %-14s not overcommitted: %d thin disk(s) of %s; all disks %s on %s (%.0f %%)\n",
                        ds->name, an.thin_disks, a, b, c, 100.0 * (double)an.provisioned / (double)ds->capacity);
        }
    }
    ss_run_counts n = ss_rec_counts(r);
    fprintf(f, "  snapshots failed: %d; backups failed: %d, missed: %d\n", n.failed_snapshots, n.failed_backups,
            n.missed_backups);
    /* Totals: deletions, backups, VMs (one line each, whatever the fleet). */
    int ndone = 0, nvm = 0, nstalled = 0, nclock = 0, nfailed = 0, listed = 0;
    double peak_extra = 0, longest = 0, stall_all = 0;
    const char *peak_vm = "", *long_vm = "";
    for (int i = 0; i < ss_rec_ncons(r); i++) {
        const ss_cons_summary *k = ss_rec_cons(r, i);
        ndone += strcmp(k->result, "done") == 0;
        if ((double)k->peak_extra > peak_extra) peak_extra = (double)k->peak_extra, peak_vm = k->vm;
        if (k->duration > longest) longest = k->duration, long_vm = k->vm;
    }
    ss_format_size((uint64_t)peak_extra, a, sizeof a);
    ss_format_duration_human(longest, b, sizeof b);
    fprintf(f, "  deletions: %d, %d done, %d not; largest peak extra %s%s%s, longest %s%s%s\n", ss_rec_ncons(r), ndone,
            ss_rec_ncons(r) - ndone, a, *peak_vm ? " on " : "", peak_vm, b, *long_vm ? " on " : "", long_vm);
    int started = 0, done = 0, failed = 0, missed = 0, maxq = 0;
    for (ss_proxy *p = w->proxies; p; p = p->next) {
        started += p->started, done += p->done, failed += p->failed, missed += p->missed;
        if (p->max_queue > maxq) maxq = p->max_queue;
    }
    if (started || missed) fprintf(f, "  backups: %d started, %d done, %d failed, %d missed; longest queue %d\n",
                                   started, done, failed, missed, maxq);
    for (ss_host *h = w->hosts; h; h = h->next)
        if (h->outages || h->ops_failed || h->ops_delayed) {
            ss_format_duration_human(ss_hostd_down_s(w, h), a, sizeof a);
            fprintf(f, "  host %-10s not responding %lld time(s) (%lld hostd restart(s)), %s in all; "
                       "operations: %lld failed, %lld delayed\n",
                    h->name, (long long)h->outages, (long long)h->restarts, a, (long long)h->ops_failed,
                    (long long)h->ops_delayed);
        }
    for (ss_vm *vm = w->vms; vm; vm = vm->next) {
        ss_gclock_stats st;
        ss_gclock_stats_at(&vm->clock, ss_now(w), &st);
        nvm++;
        if (vm->stalls) {
            nstalled++;
            stall_all += ss_vm_stall_seconds(vm, ss_now(w));
        }
        nclock += st.steps || st.over_limit_s > 0;
        nfailed += vm->snaps_failed > 0;
    }
    ss_format_duration_human(stall_all, a, sizeof a);
    fprintf(f, "  VMs: %d, %d stalled (%s in all), %d with failed snapshots, %d with clock steps or beyond their skew limit\n",
            nvm, nstalled, a, nfailed, nclock);
    if (level <= 0) return;

    for (int i = 0; i < ss_rec_ncons(r); i++) {
        if (level == 1 && i == LIST_MAX) {
            fprintf(f, "  ... and %d more deletions (--verbose lists them all, the report tabulates them)\n",
                    ss_rec_ncons(r) - LIST_MAX);
            break;
        }
        const ss_cons_summary *k = ss_rec_cons(r, i);
        char d[64];
        ss_format_size((uint64_t)k->peak_extra, a, sizeof a);
        ss_format_size((uint64_t)k->bytes_copied, b, sizeof b);
        ss_format_size((uint64_t)k->worst_case, c, sizeof c);
        ss_format_duration_human(k->duration, d, sizeof d);
        fprintf(f, "  delete %-12s on %-12s %-11s %-7s peak extra %s, copied %s, worst case %s, %s, stun %.2f s, %d iter.\n",
                k->snapshot, k->vm, k->strategy, k->result, a, b, c, d, k->stun, (int)k->iterations);
    }
    if (w->proxies && w->proxies->next)
        for (ss_proxy *p = w->proxies; p; p = p->next)
            if (p->started || p->missed || p->queued_now)
                fprintf(f, "  proxy %-11s backups: %d started, %d done, %d failed, %d missed; longest queue %d\n",
                        p->name, p->started, p->done, p->failed, p->missed, p->max_queue);
    for (ss_vm *vm = w->vms; vm; vm = vm->next) {
        ss_gclock_stats st;
        ss_gclock_stats_at(&vm->clock, ss_now(w), &st);
        if ((vm->stalls || vm->snaps_failed || st.steps || st.over_limit_s > 0) && level == 1 && listed++ == LIST_MAX) {
            fprintf(f, "  ... and more VMs (--verbose lists them all)\n");
            break;
        }
        if (vm->stalls) {
            double st_s = ss_vm_stall_seconds(vm, ss_now(w));
            ss_format_duration_human(st_s, a, sizeof a);
            fprintf(f, "  vm %-10s stalled %d time(s), %s in all%s\n", vm->name, vm->stalls, a,
                    vm->stalled ? " (still stalled at the end)" : "");
        }
        if (vm->snaps_failed) fprintf(f, "  vm %-10s %d snapshot(s) failed\n", vm->name, vm->snaps_failed);
        /* A clock beyond the skew limit is worth a line even without any
         * step (a guest that drifts away with no resync at all). */
        if (st.steps || st.over_limit_s > 0)
            fprintf(f, "  vm %-10s clock: %d step(s) (boot %d, resume %d, revert %d, tools %d), max |offset| %.3f s, beyond %.0f s skew for %.0f s\n",
                    vm->name, (int)st.steps, (int)st.steps_by_cause[SS_CLK_BOOT], (int)st.steps_by_cause[SS_CLK_RESUME],
                    (int)st.steps_by_cause[SS_CLK_REVERT], (int)st.steps_by_cause[SS_CLK_TOOLS], st.max_abs,
                    vm->ccl.skew_limit, st.over_limit_s);
    }
}
