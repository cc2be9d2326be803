/*
 * zones.h -- how a random workload spreads its writes over a disk, as the
 * statistical fidelity counts them (zones.c, docs/model.md "Statistical
 * fidelity").
 *
 * A zone map cuts the disk's written region into AREAS, contiguous grain
 * ranges (uniform: the region; hotspot: the hot part and the cold part;
 * zipf: the region), and each area into CELLS: the slots of one I/O size
 * (size class) that a write chooses uniformly once it is in the cell
 * (uniform and hotspot: every slot of the size in the area; zipf: a band of
 * ranks, whose slots the golden-ratio scatter spreads over the region).  A
 * slot is what one write covers: m grains (size / grain), or one grain
 * when the I/O is smaller than the grain.
 *
 * Invariants: areas are disjoint and sorted; the cells of an area are
 * consecutive (first_cell .. first_cell + ncells - 1) and, within it,
 * those of one class are consecutive; sum over a class's cells in an area
 * of n == that class's slots there (ncls).
 */
#ifndef SNAPSIM_MODEL_ZONES_H
#define SNAPSIM_MODEL_ZONES_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "snapsim/workload.h"

typedef struct ss_zarea {
    uint64_t g0, ng;          /* grains [g0, g0 + ng) */
    int first_cell, ncells;
    int single;               /* one size class writes here: grains held = m * slots held */
    uint32_t qmin;            /* the smallest slot of the classes writing here, in grains */
} ss_zarea;

typedef struct ss_zcell {
    int area, cls;            /* cls: index into the workload's sizes */
    uint64_t n;               /* slots in the cell, >= 1 */
    uint32_t m;               /* grains per slot */
    uint64_t ncls;            /* slots of this class in the area (all its cells) */
    double frac;              /* n / ncls: the cell's share of its class's slots in any part
                               * of the area (1 but for zipf bands) */
    uint64_t rank0;           /* zipf: the band's first rank (1-based); else 0 */
} ss_zcell;

typedef struct ss_zonemap {
    int nareas, ncells;
    ss_zarea *areas;
    ss_zcell *cells;
    gsl_rng *rng;             /* the draws of every content operation on the disk's files */
    ss_workload_shape shape;  /* what the map was built from */
    unsigned grain_shift;
} ss_zonemap;

/* The zone map of workload wl on a disk of grains 2^grain_shift bytes, its
 * generator seeded with `seed`.  NULL when out of memory.  The pattern is
 * uniform, hotspot or zipf. */
ss_zonemap *ss_zones_new(const ss_workload *wl, unsigned grain_shift, unsigned long seed);
void ss_zones_free(ss_zonemap *zm);
/* 1 when wl spreads its writes over the same cells (pattern, region, hot
 * part and sizes), so the counts kept per cell still mean the same. */
int ss_zones_same(const ss_zonemap *zm, const ss_workload *wl);
/* w[cell] = the probability that one write of wl goes to the cell (the
 * size's probability times the part's: hot_share, or the band's zipf mass).
 * wl must be ss_zones_same. */
void ss_zones_weights(const ss_zonemap *zm, const ss_workload *wl, double *w);

#endif
