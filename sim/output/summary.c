/*
 * summary.c -- the closing summary a run prints: peak use per datastore,
 * every deletion, backups per proxy, stalls and clock steps (record.h).
 */
#include <stdio.h>

#include "model/datastore.h"
#include "model/proxy.h"
#include "model/vm.h"
#include "output/record.h"
#include "snapsim/units.h"

void ss_summary_print(FILE *f, ss_world *w, const ss_rec *r, const ss_run_info *info)
{
    char a[64], b[64], c[64];
    fprintf(f, "snapsim: %s, %s simulated, seed %llu, %llu events\n", info->scenario,
            (ss_format_duration(info->duration, a, sizeof a), a), (unsigned long long)info->seed,
            (unsigned long long)info->events);
    for (ss_datastore *ds = w->dss; ds; ds = ds->next) {
        ss_format_size(ds->peak_used, a, sizeof a);
        ss_format_size(ds->capacity, b, sizeof b);
        ss_format_duration(ds->t_peak, c, sizeof c);
        fprintf(f, "  datastore %-14s peak use %s of %s at %s%s\n", ds->name, a, b, c,
                ds->full_events ? " (ran full)" : "");
    }
    for (int i = 0; i < ss_rec_ncons(r); i++) {
        const ss_cons_summary *k = ss_rec_cons(r, i);
        ss_format_size((uint64_t)k->peak_extra, a, sizeof a);
        ss_format_size((uint64_t)k->bytes_copied, b, sizeof b);
        ss_format_size((uint64_t)k->worst_case, c, sizeof c);
        fprintf(f, "  delete %-12s on %-12s %-11s %-7s peak extra %s, copied %s, worst case %s, %.1f s, stun %.2f s, %d iter.\n",
                k->snapshot, k->vm, k->strategy, k->result, a, b, c, k->duration, k->stun, (int)k->iterations);
    }
    for (ss_proxy *p = w->proxies; p; p = p->next)
        if (p->started || p->missed || p->queued_now)
            fprintf(f, "  proxy %-11s backups: %d started, %d done, %d failed, %d missed; longest queue %d\n", p->name,
                    p->started, p->done, p->failed, p->missed, p->max_queue);
    for (ss_vm *vm = w->vms; vm; vm = vm->next) {
        ss_gclock_stats st;
        ss_gclock_stats_at(&vm->clock, ss_now(w), &st);
        if (vm->stalls)
            fprintf(f, "  vm %-10s stalled %d time(s), %.1f s in all\n", vm->name, vm->stalls, vm->stall_s);
        /* A clock beyond the skew limit is worth a line even without any
         * step (a guest that drifts away with no resync at all). */
        if (st.steps || st.over_limit_s > 0)
            fprintf(f, "  vm %-10s clock: %d step(s) (boot %d, resume %d, revert %d, tools %d), max |offset| %.3f s, beyond %.0f s skew for %.0f s\n",
                    vm->name, (int)st.steps, (int)st.steps_by_cause[SS_CLK_BOOT], (int)st.steps_by_cause[SS_CLK_RESUME],
                    (int)st.steps_by_cause[SS_CLK_REVERT], (int)st.steps_by_cause[SS_CLK_TOOLS], st.max_abs,
                    vm->ccl.skew_limit, st.over_limit_s);
    }
}

