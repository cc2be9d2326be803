/*
 * helper.c -- the iterative Consolidate Helper loop of ESX 3.x-5.x (job.h;
 * KB 337175): while the delta a running guest writes to is merged, a new
 * delta (the helper) takes the writes; then the helper is looked at: if its
 * merge is estimated at max_consolidate_time or less, the VM is stunned and
 * it is merged; otherwise another helper takes the writes and this one is
 * merged, at most max_iterations times; then a stunned merge is forced
 * (force_sync) or the deletion fails and the VM stays on its helper.
 *
 * Direct stun (KB 337175's first branch): before any helper, a live delta
 * that can be copied into its parent within max_consolidate_time is
 * merged with the VM paused, and no helper is made.  The copy reads the
 * delta and writes its parent on the same datastore: 2 * allocated bytes
 * of I/O at the datastore's bandwidth B, so the test is
 * 2 * allocated / B <= max_consolidate_time -- the same estimate as the
 * helper loop's last step.  It is made when the job starts (no helper
 * then) and again when the live delta's merge comes up in the plan (it may
 * have grown during the merges before it): too large by then, a helper
 * takes the writes from there on.
 */
#include <stdio.h>

#include "model/guest_io.h"
#include "model/helper.h"
#include "model/job.h"
#include "model/merge.h"

static double bandwidth_of(const ss_vm *vm) { return vm->ds->bandwidth; }

/* The helper loop applies: a helper-mode strategy, the guest running, and
 * helpers allowed (max_iterations = 0 stuns directly, merge.c). */
static int helper_mode(const ss_job *j)
{
    const ss_vm *vm = j->vm;
    return j->st->live == SS_LIVE_HELPER && vm->power == SS_POWER_ON && vm->ccfg.max_iterations > 0;
}

/* Time to copy f into its parent at the datastore's full bandwidth. */
static double copy_time(const ss_vm *vm, const ss_file *f)
{
    return 2.0 * (double)ss_file_allocated(f) / bandwidth_of(vm);
}

int ss_helper_direct(const ss_job *j, const ss_file *live)
{
    return helper_mode(j) && copy_time(j->vm, live) <= j->vm->ccfg.max_consolidate_time;
}

/* Disk d's live delta is in the plan (merged into its parent). */
static int live_in_plan(const ss_job *j, const ss_disk *d)
{
    for (int k = j->next; k < j->nplan; k++)
        if (j->plan[k].disk == d && j->plan[k].kind == SS_M_MERGE && j->plan[k].child == d->top) return 1;
    return 0;
}

/* A helper takes disk i's writes from now on (iteration 1). */
static void new_first_helper(ss_job *j, int i)
{
    ss_disk *d = &j->vm->disks[i];
    ss_file *h = ss_chain_new_delta(j->w, d, d->top, SS_FILE_HELPER);
    d->top = h;
    j->helper[i] = h;
    j->iter[i] = 1;
    j->iterations++;
}

void ss_helper_next(ss_job *j)
{
    ss_vm *vm = j->vm;
    if (j->next < j->nplan) {
        ss_merge m = j->plan[j->next++];
        /* The live delta's merge comes up without a helper (direct stun
         * chosen at the start): still small enough, or a helper now. */
        int i = m.disk->index;
        if (m.kind == SS_M_MERGE && helper_mode(j) && !j->helper[i] && j->iter[i] == 0 && m.child == m.disk->top) {
            ss_vm_sync(j->w, vm, ss_now(j->w));
            if (!ss_helper_direct(j, m.child)) {
                new_first_helper(j, i);
                ss_vm_start_io(j->w, vm);
            } else if (!j->note) {
                j->note = "direct stun: the live delta fitted in max_consolidate_time, no helper";
            }
        }
        ss_merge_start(j, m);
        return;
    }
    /* The helper loop, disk by disk. */
    for (int i = 0; i < vm->ndisks; i++) {
        ss_file *h = j->helper[i];
        if (!h) continue;
        ss_disk *d = &vm->disks[i];
        ss_vm_sync(j->w, vm, ss_now(j->w));
        double est = copy_time(vm, h);
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
    ss_vm *vm = j->vm;
    if (!helper_mode(j)) return;
    ss_vm_sync(j->w, vm, ss_now(j->w));
    for (int i = 0; i < vm->ndisks; i++) {
        ss_disk *d = &vm->disks[i];
        if (!live_in_plan(j, d) || ss_helper_direct(j, d->top)) continue;
        new_first_helper(j, i);
    }
}

double ss_helper_expected_growth(const ss_job *j)
{
    const ss_vm *vm = j->vm;
    if (!helper_mode(j)) return 0;
    /* The guest writes (to a helper, or to a live delta waiting for its
     * direct stun) while the plan copies, except during a direct stun:
     * the copy time of every merge but those. */
    double copy = 0;
    int live = 0;
    for (int k = j->next; k < j->nplan; k++) {
        const ss_merge *m = &j->plan[k];
        if (m->kind == SS_M_MERGE && m->child == m->disk->top) {
            live = 1;
            if (ss_helper_direct(j, m->child)) continue;
        }
        copy += (double)m->child->size;
    }
    if (!live) return 0;
    return ss_vm_demand(vm) * 2.0 * copy / bandwidth_of(vm);
}
