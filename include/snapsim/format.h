/*
 * format.h -- delta file formats as data (docs/model.md).
 *
 * Every format is one row of parameters; file sizes come from one formula:
 *
 *   size = fixed(C) + step * max(min_steps, ceil((A*grain + T*region_meta) / step))
 *   fixed(C) = header + cap_meta * ceil(C / cap_unit)
 *
 * with C the disk's capacity, A the grains held and T the regions (aligned
 * runs of 2^region_shift grains) holding at least one grain.  For vmfsSparse
 * this is exactly 2048 + 4*ceil(C/2 MiB) + 16 MiB*max(1, ceil((A*512 +
 * 16 KiB*T)/16 MiB)), which reproduces an ESX listing to the byte (docs/model.md:
 * a 100 GiB disk, deltas of 16,984,064 / 1,224,943,616 / 1,594,042,368 B).
 * Two rules for qcow2 (docs/model.md), both no-ops for the other rows: once
 * the file holds any step, fixed(C) is rounded up to whole steps
 * (pad_fixed), and with N0 = fixed/step + steps the file has
 * R = ceil((N0-1)/(refblock_steps-1)) refcount blocks, R-1 more steps.
 */
#ifndef SNAPSIM_FORMAT_H
#define SNAPSIM_FORMAT_H

#include <stdint.h>

typedef struct ss_format {
    const char *name;         /* "vmfsSparse", "seSparse", "qcow2", "ideal" */
    const char *suffix;       /* file name after "<vm>-000001": "-delta.vmdk" ... */
    uint32_t grain;           /* bytes per grain (allocation unit) */
    uint64_t step;            /* the file grows in steps of this many bytes */
    unsigned min_steps;       /* steps a new, empty file already has */
    uint64_t header;          /* fixed bytes */
    uint64_t cap_meta;        /* fixed bytes per cap_unit of capacity (grain directory, preallocated tables) */
    uint64_t cap_unit;
    unsigned region_shift;    /* log2 grains per metadata region (grain table / L2 table coverage) */
    uint64_t region_meta;     /* bytes of metadata per region touched */
    uint64_t thin_block;      /* a thin base of a disk in this format grows in these blocks */
    int steps_by_version;     /* 1: min_steps of a new delta comes from the host's version
                               * (vmfsSparse: one step on ESX 3.5, none from 4.1) */
    int pad_fixed;            /* 1: once the file holds a step, fixed(C) is rounded up to whole
                               * steps (qcow2: clusters are allocated after the L1 table's cluster) */
    uint64_t refblock_steps;  /* >0: one more step per refcount block, each describing this many
                               * steps (clusters) of the file; the first is in header (qcow2) */
} ss_format;

/* NULL if unknown. */
const ss_format *ss_format_find(const char *name);
/* "vmfsSparse, seSparse, qcow2, ideal" for messages. */
const char *ss_format_names(void);
/* The formula above.  grains and regions are A and T. */
uint64_t ss_format_filesize(const ss_format *f, uint64_t capacity, uint64_t grains, uint64_t regions);
/* Size of a new, empty delta. */
static inline uint64_t ss_format_empty_size(const ss_format *f, uint64_t capacity)
{
    return ss_format_filesize(f, capacity, 0, 0);
}
/* The largest need (A*grain + T*region_meta) a file of `need`'s size
 * holds: sizes are a function of the steps alone. */
uint64_t ss_format_need_held(const ss_format *f, uint64_t need);
/* log2 grains per thin-base block. */
unsigned ss_format_thin_shift(const ss_format *f);

#endif
