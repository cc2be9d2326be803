/*
 * power.h -- a VM's power states, stuns and the start of the run (power.c).
 */
#ifndef SNAPSIM_MODEL_POWER_H
#define SNAPSIM_MODEL_POWER_H

#include <stddef.h>

#include "model/vm.h"

/* The run starts: clock, workload, Tools sync and the hourly profile. */
void ss_vm_start(ss_world *w, ss_vm *vm);
void ss_vm_stun(ss_world *w, ss_vm *vm, int on);
int ss_vm_power_on(ss_world *w, ss_vm *vm, char *why, size_t n);
int ss_vm_power_off(ss_world *w, ss_vm *vm, char *why, size_t n);
int ss_vm_suspend(ss_world *w, ss_vm *vm, char *why, size_t n);
int ss_vm_resume(ss_world *w, ss_vm *vm, char *why, size_t n);
/* After the chain was reverted to a snapshot: a memory snapshot (taken at
 * t_snap with the guest clock guest_offset off) resumes the VM; a disk-only
 * one leaves it off. */
void ss_vm_after_revert(ss_world *w, ss_vm *vm, int memory, ss_time t_snap, double guest_offset);

#endif
