/*
 * timesync.h -- a VM's guest clock against its host's (timesync.c).
 */
#ifndef SNAPSIM_MODEL_TIMESYNC_H
#define SNAPSIM_MODEL_TIMESYNC_H

#include "model/vm.h"

void ss_vm_clock_start(ss_world *w, ss_vm *vm);
/* A one-off resync to the host's clock (a clock_step event): forward
 * only, except at boot with clock.resync.boot_backward. */
void ss_vm_resync(ss_world *w, ss_vm *vm, ss_clk_cause cause);
/* One periodic VMware Tools sync. */
void ss_vm_tools_tick(ss_world *w, ss_vm *vm);

#endif
