/*
 * content.h -- what a disk file holds, in one of two representations
 * behind one interface (content.c): the grains exactly, or statistically.
 * The chain, merges and backups use only these functions; which
 * representation a file has follows from its disk (ss_disk.zm).
 *
 * Exact: `gs` is the set of grains held; `st` is NULL.  Every function is
 * the grain set's own operation.
 *
 * Statistical (fidelity = "statistical", docs/model.md): `gs` holds what
 * was written as intervals, exactly (sequential workloads, write() ranges,
 * a thin base's initial data); `st` counts what random writes put in the
 * file, per cell and area of the disk's zone map (zones.h), without saying
 * which grains:
 *   x[cell]        slots of the cell held
 *   xc[area,class] sum of x over the class's cells in the area
 *   a[area]        grains the random writes hold in the area (the union
 *                  of its cells: m * x for one class)
 *   t[area]        this file's metadata regions (2^region_shift grains)
 *                  in the area that random writes touched
 *   oe[area], ot[area]  of those grains and regions, how many the exact
 *                  part holds too
 * The model behind it: given these counts, the random part is a uniform
 * subset of the cell's slots, independent of the exact part and of every
 * other file's random part (writes are independent draws; docs/model.md
 * says where this is exact).  So a union adds a hypergeometric number of
 * new slots per cell, regions per area, and so on (content.c).
 *
 * Invariants (st != NULL): x <= n per cell; xc = the sums; m*xc <= a <=
 * ng per area (a = m*x for one class); t <= the area's regions; oe <= a,
 * ot <= t; st->count = sum of (a - oe), st->regions = sum of (t - ot).
 * count = |gs| + st->count, regions = regions(gs) + st->regions.
 */
#ifndef SNAPSIM_MODEL_CONTENT_H
#define SNAPSIM_MODEL_CONTENT_H

#include <stdint.h>

#include "model/zones.h"
#include "snapsim/grainset.h"

typedef struct ss_stpart ss_stpart;

typedef struct ss_content {
    ss_grainset *gs;          /* exact part (all of it in the exact fidelity) */
    ss_stpart *st;            /* statistical part, or NULL */
} ss_content;

/* Empty content counting regions of 2^region_shift grains; statistical
 * when zm is given.  Aborts when out of memory (as the model does). */
void ss_ct_init(ss_content *c, unsigned region_shift, const ss_zonemap *zm);
/* Give an exact content an empty statistical part (a disk whose first
 * random workload comes after its files were made). */
void ss_ct_attach(ss_content *c, const ss_zonemap *zm);
void ss_ct_free(ss_content *c);
void ss_ct_copy(ss_content *dst, const ss_content *src);

uint64_t ss_ct_count(const ss_content *c);        /* grains held */
uint64_t ss_ct_regions(const ss_content *c);      /* regions touched */
unsigned ss_ct_region_shift(const ss_content *c);
/* Grains of [first, first+n) held for certain: all of them exactly; the
 * exact part's only in the statistical representation (a lower bound:
 * growth computed from it is an upper bound). */
uint64_t ss_ct_count_range(const ss_content *c, uint64_t first, uint64_t n);
/* Add grains [first, first+n) (an interval, exactly).  Returns the grains
 * the file did not hold before. */
uint64_t ss_ct_add_range(ss_content *c, uint64_t first, uint64_t n);
/* dst |= src (same disk).  Returns the grains added to dst. */
uint64_t ss_ct_union(ss_content *dst, const ss_content *src);
void ss_ct_prefetch(const ss_content *c, uint64_t g);

/* ---- statistical writes (c->st != NULL) ---- */

/* Slots of the cell not held. */
uint64_t ss_ct_free_slots(const ss_content *c, int cell);
/* Of w distinct slots of the cell chosen uniformly (what a batch of writes
 * touched), how many the file lacks: Hypergeometric(w; free, held). */
uint64_t ss_ct_new_slots(const ss_content *c, int cell, uint64_t w);

/* What adding dx new slots of a cell does to the file, drawn but not yet
 * applied (so that a write can be checked against the free space first,
 * and wait as it is while the VM is stalled). */
typedef struct ss_ct_plan {
    int cell;
    uint64_t dx, da, dt, doe, dot;
} ss_ct_plan;
void ss_ct_plan_slots(const ss_content *c, int cell, uint64_t dx, ss_ct_plan *p);
void ss_ct_commit(ss_content *c, const ss_ct_plan *p);
/* Count and regions once p is applied. */
uint64_t ss_ct_plan_count(const ss_content *c, const ss_ct_plan *p);
uint64_t ss_ct_plan_regions(const ss_content *c, const ss_ct_plan *p);
/* An upper bound of the regions k more writes of up to m grains could
 * touch (each touches at most 1 + (m - 1) / 2^region_shift + 1). */
uint64_t ss_ct_regions_bound(const ss_content *c, uint64_t k, uint32_t m);

#endif
