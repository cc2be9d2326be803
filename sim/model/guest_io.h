/*
 * guest_io.h -- the guest workload's timing and the write path (guest_io.c).
 */
#ifndef SNAPSIM_MODEL_GUEST_IO_H
#define SNAPSIM_MODEL_GUEST_IO_H

#include "model/vm.h"

void ss_vm_sync(ss_world *w, ss_vm *vm, ss_time t);       /* apply the guest's writes up to t */
void ss_vm_start_io(ss_world *w, ss_vm *vm);              /* re-evaluate speed after a state change */
double ss_vm_demand(const ss_vm *vm);                     /* bytes/s of I/O wanted now */
void ss_vm_drop_ios(ss_vm *vm);                           /* forget the I/Os drawn ahead */
void ss_vm_seed(ss_world *w, ss_vm *vm);                  /* (re)seed the workload stream */
/* Give the VM a workload (owned from then on) writing to disk `disk` and
 * drawing from the stream `stream`: at declaration.  set_workload() at a
 * simulated time: the guest's writes so far are applied first, wl NULL
 * stops the workload. */
void ss_vm_install_workload(ss_world *w, ss_vm *vm, ss_workload *wl, int disk, const char *stream);
void ss_vm_set_workload(ss_world *w, ss_vm *vm, ss_workload *wl, int disk, const char *stream);

#endif
