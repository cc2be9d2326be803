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
/* A write does not fit: the VM stalls at t, waiting for space. */
void ss_vm_stall(ss_world *w, ss_vm *vm, ss_time t);
/* Give the VM a workload (owned from then on) writing to disk `disk` and
 * drawing from the stream `stream`: at declaration.  set_workload() at a
 * simulated time: the guest's writes so far are applied first, wl NULL
 * stops the workload. */
void ss_vm_install_workload(ss_world *w, ss_vm *vm, ss_workload *wl, int disk, const char *stream);
/* Stalls (vm.h): one of the guest's writes did not fit at t.  begin marks
 * the VM stalled, emits datastore_full (once per episode) and vm_stalled
 * naming `file`, and queues wt on the VM's datastore.  end, called by the
 * waiter once its write fitted, emits vm_resumed_io (value: the stall's
 * length) and lets the guest go on.  close ends the stall silently (the
 * write was dropped: power-off, a new workload) and leaves wt's queue;
 * it returns the stall's length. */
void ss_vm_stall_begin(ss_world *w, ss_vm *vm, ss_time t, const ss_file *file, ss_waiter *wt);
void ss_vm_stall_end(ss_world *w, ss_vm *vm);
double ss_vm_stall_close(ss_vm *vm, ss_time t);
void ss_vm_set_workload(ss_world *w, ss_vm *vm, ss_workload *wl, int disk, const char *stream);

#endif
