/*
 * delete.h -- deleting snapshots: delete_snapshot and delete_all
 * (delete.c; job.h says how a deletion runs).
 *
 * One deletion is one job on the VM (vm->job): one consolidation_started,
 * a consolidation_step per merge, one consolidation_done or _failed, and a
 * row of /consolidations.
 */
#ifndef SNAPSIM_MODEL_DELETE_H
#define SNAPSIM_MODEL_DELETE_H

#include <stddef.h>

#include "model/strategy.h"
#include "model/vm.h"

/* name == NULL: Delete All.  Returns 0 started (or done), -1 refused by
 * the precheck (a consolidation_failed event; why says how much was needed
 * and free), -2 impossible (why says why). */
int ss_delete_start(ss_world *w, ss_vm *vm, const char *name, const ss_strategy *st, int precheck, char *why,
                    size_t n);
/* The same, and on_end(ctx, result, reason) when the deletion started
 * ends (perhaps before this returns 0: a deletion that moves no data). */
int ss_delete_start_then(ss_world *w, ss_vm *vm, const char *name, const ss_strategy *st, int precheck,
                         void (*on_end)(void *ctx, const char *result, const char *reason), void *ctx, char *why,
                         size_t n);

#endif
