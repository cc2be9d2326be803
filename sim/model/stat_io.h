/*
 * stat_io.h -- the guest's random writes under the statistical fidelity
 * (stat_io.c, docs/model.md "Statistical fidelity"): counted per cell of
 * the disk's zone map between the moments the model looks, not drawn one
 * by one.  guest_io.c hands a VM's sync and its stalled write's retry to
 * these functions when the VM has statistical I/O (vm->sio).
 */
#ifndef SNAPSIM_MODEL_STAT_IO_H
#define SNAPSIM_MODEL_STAT_IO_H

#include <stddef.h>

#include "model/vm.h"

/* What a VM's statistical writes need (vm->sio). */
typedef struct ss_statio {
    int ncells;
    double *w;                /* [ncells] probability that a write goes to the cell (sum 1) */
    uint64_t *len;            /* [ncells] bytes of the cell's writes */
    unsigned *kc;             /* [ncells] scratch: writes per cell */
    uint32_t mmax;            /* the largest slot, in grains */
    uint64_t lmax;            /* the largest write, in bytes */
    /* the write that stalled, waiting for space */
    int pcell;
    uint64_t plen;
    ss_file *pf[2];           /* the top and the mirror it was planned for */
    uint64_t pcount[2];       /* their counts then */
    ss_ct_plan pplan[2];
    int pnew[2];
} ss_statio;

/* 1 when w runs statistically and wl is a random pattern (uniform, hotspot,
 * zipf): its writes are counted, not drawn one by one. */
int ss_stat_applies(const ss_world *w, const ss_workload *wl);
/* Can wl write to disk `disk` of vm statistically?  A disk's zone map is
 * fixed by its first random workload: a later one must spread its writes
 * over the same cells (ss_zones_same).  0, or -1 with the reason. */
int ss_stat_check(const ss_world *w, const ss_vm *vm, const ss_workload *wl, int disk, char *why, size_t n);
/* After the VM's workload changed: set up (or drop) vm->sio. */
void ss_stat_install(ss_world *w, ss_vm *vm);
void ss_stat_free(ss_vm *vm);
/* Apply the VM's writes up to t (as ss_vm_sync). */
void ss_stat_sync(ss_world *w, ss_vm *vm, ss_time t);
/* Retry the write that stalled: 0 done (*len = its bytes), 1 still no space. */
int ss_stat_retry(ss_world *w, ss_vm *vm, uint64_t *len);

#endif
