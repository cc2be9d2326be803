/*
 * helper.c -- the iterative Consolidate Helper loop of ESX 3.x-5.x (job.h;
 * KB 337175): while the delta a running guest writes to is merged, a new
 * delta (the helper) takes the writes; then the helper is looked at: if its
 * merge is estimated at max_consolidate_time or less, the VM is stunned and
 * it is merged; otherwise another helper takes the writes and this one is
 * merged, at most max_iterations times; then a stunned merge is forced
 * (force_sync) or the deletion fails and the VM stays on its helper.
 */
#include <stdio.h>

#include "model/guest_io.h"
#include "model/helper.h"
#include "model/job.h"
#include "model/merge.h"

static double bandwidth_of(const ss_vm *vm) { return vm->ds->bandwidth; }

void ss_helper_next(ss_job *j)
{
    ss_vm *vm = j->vm;
    if (j->next < j->nplan) {
        ss_merge_start(j, j->plan[j->next++]);
        return;
    }
    /* The helper loop, disk by disk. */
    for (int i = 0; i < vm->ndisks; i++) {
        ss_file *h = j->helper[i];
        if (!h) continue;
        ss_disk *d = &vm->disks[i];
        ss_vm_sync(j->w, vm, ss_now(j->w));
        double est = 2.0 * (double)ss_file_allocated(h) / bandwidth_of(vm);
        ss_merge m = { SS_M_MERGE, d, h, h->parent, 0 };
        if (est <= vm->ccfg.max_consolidate_time || vm->power != SS_POWER_ON) {
            m.final_helper = vm->power == SS_POWER_ON;
            ss_merge_start(j, m);
            return;
        }
        if (j->iter[i] < vm->ccfg.max_iterations) {
            j->iter[i]++;
            j->iterations++;
            ss_file *h2 = ss_chain_new_delta(j->w, d, h, SS_FILE_HELPER);
            d->top = h2;
            j->helper[i] = h2;
            ss_vm_start_io(j->w, vm);
            ss_merge_start(j, m);
            return;
        }
        if (vm->ccfg.force_sync) {
            m.final_helper = 1;
            ss_merge_start(j, m);
            return;
        }
        char why[200];
        snprintf(why, sizeof why, "maximum consolidate retries was exceeded for scsi0:%d", i);
        j->helper[i] = NULL;   /* the VM stays on its helper */
        ss_job_fail(j, why);
        return;
    }
    ss_job_finish(j, "done", NULL);
}

void ss_helper_begin(ss_job *j)
{
    ss_world *w = j->w;
    ss_vm *vm = j->vm;
    if (j->st->live != SS_LIVE_HELPER || vm->power != SS_POWER_ON || vm->ccfg.max_iterations <= 0) return;
    for (int i = 0; i < vm->ndisks; i++) {
        ss_disk *d = &vm->disks[i];
        int in_plan = 0;
        for (int k = 0; k < j->nplan; k++)
            if (j->plan[k].disk == d && j->plan[k].child == d->top) in_plan = 1;
        if (!in_plan) continue;
        ss_file *h = ss_chain_new_delta(w, d, d->top, SS_FILE_HELPER);
        d->top = h;
        j->helper[i] = h;
        j->iter[i] = 1;
        j->iterations++;
    }
}

double ss_helper_expected_growth(const ss_job *j, double copy_bytes)
{
    const ss_vm *vm = j->vm;
    if (j->st->live != SS_LIVE_HELPER || vm->ccfg.max_iterations <= 0) return 0;
    return ss_vm_demand(vm) * 2.0 * copy_bytes / bandwidth_of(vm);
}
