/*
 * quiesce.c -- one attempt to quiesce a guest (quiesce.h).
 *
 * The SYNC driver holds the guest's writes while it flushes the file
 * systems; a guest that writes faster than it can hold (Exchange, SQL,
 * AD under load), a full guest disk, or Tools not running make quiescing
 * fail (facts §5).  Which of those holds is decided from the VM's state at
 * the attempt; the remaining failures are a probability per attempt.
 */
#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "model/guest_io.h"
#include "model/quiesce.h"
#include "model/tools.h"

double ss_quiesce_write_rate(const ss_vm *vm)
{
    if (!vm->wl || vm->power != SS_POWER_ON) return 0;
    const ss_workload_params *p = ss_workload_params_of(vm->wl);
    return ss_workload_iops(vm->wl) * ss_workload_mean_size(vm->wl) *
           ss_workload_profile_at(vm->wl, ss_time_to_s(vm->t_anchor)) * (1 - p->read_ratio);
}

ss_quiesce_result ss_quiesce_attempt(ss_world *w, ss_vm *vm, int vss, char *how, size_t n)
{
    const ss_guest_os *os = vm->guest_os;
    int use_vss = vss && os->vss;
    if (os->quiesce == SS_QUIESCE_NONE || (os->quiesce == SS_QUIESCE_VSS && !use_vss)) {
        snprintf(how, n, "crash-consistent: guest OS %s has no quiescing%s", os->id,
                 os->quiesce == SS_QUIESCE_VSS ? " without VSS (ESX 3.5 U2 and later)" : "");
        return SS_CRASH_CONSISTENT;
    }
    if (vm->power != SS_POWER_ON) {
        snprintf(how, n, "the VM is %s: its disks are consistent", ss_power_name(vm->power));
        return SS_QUIESCED;
    }
    ss_vm_sync(w, vm, ss_now(w));
    const char *driver = use_vss ? "VSS" : "the SYNC driver";
    double rate = ss_quiesce_write_rate(vm);
    if (ss_tools_now(vm) != SS_TOOLS_RUNNING) {
        snprintf(how, n, "VMware Tools is %s", ss_tools_name(ss_tools_now(vm)));
        return SS_QUIESCE_FAILED_;
    }
    if (vm->guest_disk_full) {
        snprintf(how, n, "the guest's disk is full");
        return SS_QUIESCE_FAILED_;
    }
    if (vm->stalled) {
        snprintf(how, n, "the guest's writes are stalled (datastore %s is full)", vm->ds->name);
        return SS_QUIESCE_FAILED_;
    }
    if (rate > vm->qcfg.max_write_rate) {
        snprintf(how, n, "the guest writes %.1f MB/s, more than %s can hold (quiesce.max_write_rate %.1f MB/s)",
                 rate / 1048576, driver, vm->qcfg.max_write_rate / 1048576);
        return SS_QUIESCE_FAILED_;
    }
    if (vm->qcfg.fail > 0) {
        char sname[300];
        snprintf(sname, sizeof sname, "vm:%s:quiesce", vm->name);
        gsl_rng *r = ss_engine_stream(w->eng, sname);
        if (r && gsl_rng_uniform(r) < vm->qcfg.fail) {
            snprintf(how, n, "%s did not complete (quiesce.fail = %g)", driver, vm->qcfg.fail);
            return SS_QUIESCE_FAILED_;
        }
    }
    snprintf(how, n, "quiesced with %s", driver);
    return SS_QUIESCED;
}
