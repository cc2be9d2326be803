/*
 * timesync.c -- a VM's guest clock against its host's: the one-off resyncs
 * of boot, resume and revert (each a clock_step event; forward only, except
 * at boot when backward is allowed) and VMware Tools' periodic sync (vm.h;
 * the clock arithmetic is clock.c's).
 */
#include "model/timesync.h"

static double host_offset(ss_world *w, ss_vm *vm) { return ss_hclock_offset(&vm->host->clock, ss_now(w)); }

/* Forward only, except at boot with time.synchronize.tools.startup.backward
 * (clock.resync.boot_backward): a guest that is ahead syncs by 0. */
void ss_vm_resync(ss_world *w, ss_vm *vm, ss_clk_cause cause)
{
    ss_time t = ss_now(w);
    double step = 0;
    ss_gclock_resync(&vm->clock, t, host_offset(w, vm), cause, 1, cause == SS_CLK_BOOT && vm->ccl.boot_backward,
                     &step);
    ss_event ev = { .t = ss_time_to_s(t), .kind = "clock_step", .vm = vm->name, .host = vm->host->name,
                    .value = step, .detail = ss_clk_cause_name(cause) };
    ss_emit(w, &ev);
}

void ss_vm_tools_tick(ss_world *w, ss_vm *vm)
{
    if (vm->power != SS_POWER_ON || !vm->ccl.tools_sync || vm->stunned) return;
    ss_time t = ss_now(w);
    double step = 0;
    if (ss_gclock_tools_sync(&vm->clock, t, host_offset(w, vm), ss_time_to_s(vm->ccl.sync_interval),
                             vm->ccl.sync_backward, &step)) {
        ss_event ev = { .t = ss_time_to_s(t), .kind = "clock_step", .vm = vm->name, .host = vm->host->name,
                        .value = step, .detail = ss_clk_cause_name(SS_CLK_TOOLS) };
        ss_emit(w, &ev);
    }
}

void ss_vm_clock_start(ss_world *w, ss_vm *vm)
{
    ss_time t = ss_now(w);
    double off = ss_hclock_offset(&vm->host->clock, t);
    ss_gclock_init(&vm->clock, t, off, vm->ccl.drift_ppm, vm->ccl.skew_limit, vm->power == SS_POWER_ON);
}
