/*
 * quiesce.h -- quiescing a guest's file systems before a snapshot
 * (quiesce.c): VMware Tools' SYNC driver, or VSS on Windows XP/2003 and
 * later from ESX 3.5 U2 (facts: KB 5962168 / Broadcom 343375).
 */
#ifndef SNAPSIM_MODEL_QUIESCE_H
#define SNAPSIM_MODEL_QUIESCE_H

#include <stddef.h>

#include "model/vm.h"

/* The message VirtualCenter shows for a failed quiesce (ESX 3.5). */
#define SS_QUIESCE_FAILED "Snapshot creation failed: Could not quiesce file system."

typedef enum { SS_QUIESCED, SS_CRASH_CONSISTENT, SS_QUIESCE_FAILED_ } ss_quiesce_result;

/* One attempt, now.  vss: the host uses VSS where the guest has it (ESX
 * 3.5 U2 and later).  How it went is written into how (quiesced: with
 * what; crash-consistent: why not quiesced; failed: the cause).  The
 * conditions, in order: a guest with no quiescing (or only VSS on a host
 * without it) gives a crash-consistent snapshot; a VM that is not running
 * has consistent disks; Tools not running, a full guest disk, a stalled
 * guest, or a guest writing faster than qcfg.max_write_rate make it fail;
 * otherwise it fails with probability qcfg.fail, one draw from the VM's
 * stream "vm:<name>:quiesce". */
ss_quiesce_result ss_quiesce_attempt(ss_world *w, ss_vm *vm, int vss, char *how, size_t n);
/* The guest's write rate now, bytes/s (its workload's demand less reads). */
double ss_quiesce_write_rate(const ss_vm *vm);

#endif
