/*
 * grainset.h -- which grains a disk file holds.
 *
 * A grain set is a set of 64-bit grain indices (grain = the delta format's
 * allocation unit; grain g covers bytes [g*grain, (g+1)*grain) of the
 * virtual disk).  Every delta and thin base owns one; merges are built from
 * its set operations.  Memory grows with what was written, not with the
 * disk's size.  Besides the count of grains it keeps, in O(1), the number of
 * "regions" (aligned runs of 2^region_shift grains) holding at least one
 * grain: vmfsSparse needs that for its grain tables (one 16 KiB table per
 * 2 MiB region), a thin base for its 1 MiB blocks, qcow2 for L2 tables.
 */
#ifndef SNAPSIM_GRAINSET_H
#define SNAPSIM_GRAINSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct ss_grainset ss_grainset;

/* Grain indices are any uint64_t, 0 .. 2^64-1.  Memory: a few hundred bytes
 * when empty; ~2 bytes a grain in sparse parts, 1 bit a grain (8 KiB per
 * 2^16-grain block) in dense parts, plus 4 KiB directory pages; ranges are
 * materialised, so add only what could be written (a 10 GiB range of 4 KiB
 * grains costs ~340 KB).  Single-threaded: no internal locking.
 *
 * region_shift: 0..20.  NULL when out of memory or region_shift > 20. */
ss_grainset *ss_gs_new(unsigned region_shift);
void ss_gs_free(ss_grainset *gs);
ss_grainset *ss_gs_copy(const ss_grainset *gs);   /* same region_shift */
void ss_gs_clear(ss_grainset *gs);

/* Add grains [first, first+n); a range running past 2^64-1 is clamped there.
 * Returns how many were not already held (the file's growth), or UINT64_MAX
 * when out of memory (the set then holds part of the range, and its counts
 * match what it holds). */
uint64_t ss_gs_add_range(ss_grainset *gs, uint64_t first, uint64_t n);
static inline uint64_t ss_gs_add(ss_grainset *gs, uint64_t g) { return ss_gs_add_range(gs, g, 1); }
int ss_gs_has(const ss_grainset *gs, uint64_t g);
/* A hint: start loading what adding grain g will touch (no effect on the set). */
void ss_gs_prefetch(const ss_grainset *gs, uint64_t g);

uint64_t ss_gs_count(const ss_grainset *gs);      /* grains held */
/* Grains held in [first, first+n) (whole blocks by their counts). */
uint64_t ss_gs_count_range(const ss_grainset *gs, uint64_t first, uint64_t n);
uint64_t ss_gs_regions(const ss_grainset *gs);    /* regions touched */
unsigned ss_gs_region_shift(const ss_grainset *gs);

/* |a \ b|: grains of a that b lacks (what merging a into b adds to b). */
uint64_t ss_gs_count_andnot(const ss_grainset *a, const ss_grainset *b);
/* dst |= src (any region shifts: each set counts its own regions).  Returns
 * grains added to dst, or UINT64_MAX when out of memory (dst then holds part
 * of src, with consistent counts). */
uint64_t ss_gs_union(ss_grainset *dst, const ss_grainset *src);
/* dst &= ~src.  Returns grains removed. */
uint64_t ss_gs_subtract(ss_grainset *dst, const ss_grainset *src);

size_t ss_gs_memory(const ss_grainset *gs);      /* bytes allocated */

/* Calls fn for each maximal run [first, first+n) of held grains, in order;
 * stops early if fn returns nonzero (and returns that value). */
int ss_gs_foreach_run(const ss_grainset *gs, int (*fn)(void *ctx, uint64_t first, uint64_t n), void *ctx);

#endif
