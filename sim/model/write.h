/*
 * write.h -- write(): explicit guest writes, at once or at a rate (write.c).
 */
#ifndef SNAPSIM_MODEL_WRITE_H
#define SNAPSIM_MODEL_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "model/vm.h"

typedef struct ss_write_spec {
    int disk;
    int ranged;               /* a sequential range from offset; else random writes by pattern */
    uint64_t offset, bytes, io_size;
    ss_pattern pattern;
    double rate;              /* bytes/s; 0 = all at once */
} ss_write_spec;
/* 0 done (or started, with a rate), 1 stopped by a full datastore (why
 * says how far it got), -1 impossible (why says why). */
int ss_vm_write(ss_world *w, ss_vm *vm, const ss_write_spec *ws, char *why, size_t n);
void ss_vm_free_writes(ss_vm *vm);
/* The stall of a write() job (waiter wt) was dropped (the guest stopped,
 * power.c): the job waits for the guest to run again, its bytes kept. */
void ss_vm_write_unstalled(ss_world *w, ss_vm *vm, ss_waiter *wt);

#endif
