/*
 * format.c -- the table of delta formats and the one size formula they share
 * (see include/snapsim/format.h).  Adding a format is adding a row.
 */
#include <string.h>

#include "snapsim/format.h"

#define KiB UINT64_C(1024)
#define MiB (KiB * KiB)

/*
 * vmfsSparse (ESX 3.x-VMFS5 redo log): 512 B grains; a 4096-entry, 16 KiB
 * grain table per 2 MiB of guest data touched; a 4 B grain-directory entry
 * per 2 MiB of capacity; a 2048 B header; grows in 16 MiB steps from one
 * step on ESX 3.5 (docs/model.md gives the sources: an ESX listing
 * reproduced to the byte); from ESX 4.1 a new delta is its header and
 * grain directory only (steps_by_version: the host's version says).
 * seSparse (VMFS6 default): 4 KiB grains; grain tables of 4096 8-byte
 * entries (32 KiB, covering 16 MiB) are all preallocated at creation, so
 * they are fixed cost: 32 KiB per 16 MiB of capacity = 1/512.  The file
 * grows in 1 MiB steps (our choice: the real allocation is per VMFS6 block
 * of 1 MiB), from one step.
 * qcow2 (QEMU docs/interop/qcow2.txt; qemu-img 7.2 measured, tests/
 * test_fidelity.c t_qcow2_layout): 64 KiB clusters; an overlay made by
 * qemu-img create holds the header, the refcount table and the first
 * refcount block, a cluster each, then the L1 table, 8 B per 512 MiB of
 * capacity, unpadded while the file is empty.  Writing allocates after the
 * L1 table's last cluster: one 64 KiB L2 table (8192 entries of 8 B) per
 * 512 MiB region touched and the data clusters; 16-bit refcounts make a
 * refcount block describe 32768 clusters (2 GiB of file), and a new block
 * is placed at the file's end, so it describes itself: R = ceil((N0-1)/
 * 32767) blocks for N0 clusters without the extra ones.  The refcount table
 * (one cluster, 8192 blocks: 16 TiB of file) is taken never to grow.
 * ideal: 4 KiB grains, no metadata, size = grains * 4 KiB: exact arithmetic
 * for teaching.  Formats whose region_meta is 0 take region_shift 20: the
 * grain set then counts regions per 2^16-grain block it allocates anyway,
 * with nothing to do per write.
 */
static const ss_format formats[] = {
    { .name = "vmfsSparse", .suffix = "-delta.vmdk", .grain = 512, .step = 16 * MiB, .min_steps = 1,
      .header = 2048, .cap_meta = 4, .cap_unit = 2 * MiB, .region_shift = 12, .region_meta = 16 * KiB,
      .thin_block = 1 * MiB, .steps_by_version = 1 },
    { .name = "seSparse", .suffix = "-sesparse.vmdk", .grain = 4096, .step = 1 * MiB, .min_steps = 1,
      .header = 2048, .cap_meta = 32 * KiB, .cap_unit = 16 * MiB, .region_shift = 20, .region_meta = 0,
      .thin_block = 1 * MiB },
    { .name = "qcow2", .suffix = ".qcow2", .grain = 64 * KiB, .step = 64 * KiB, .min_steps = 0,
      .header = 3 * 64 * KiB, .cap_meta = 8, .cap_unit = 512 * MiB, .region_shift = 13, .region_meta = 64 * KiB,
      .thin_block = 64 * KiB, .pad_fixed = 1, .refblock_steps = 64 * KiB * 8 / 16 },
    { .name = "ideal", .suffix = "-delta.vmdk", .grain = 4096, .step = 4096, .min_steps = 0, .header = 0,
      .cap_meta = 0, .cap_unit = 1, .region_shift = 20, .region_meta = 0, .thin_block = 4096 },
};

const ss_format *ss_format_find(const char *name)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcmp(formats[i].name, name) == 0) return &formats[i];
    return NULL;
}

const char *ss_format_names(void) { return "vmfsSparse, seSparse, qcow2, ideal"; }

/* Every unit in the table is a power of two: divide by shifting (this runs
 * once per write that grows a file). */
static uint64_t ceil_div(uint64_t a, uint64_t b)
{
    if ((b & (b - 1)) == 0) {
        unsigned s = (unsigned)__builtin_ctzll(b);
        return (a >> s) + ((a & (b - 1)) != 0);
    }
    return a / b + (a % b != 0);
}

uint64_t ss_format_filesize(const ss_format *f, uint64_t capacity, uint64_t grains, uint64_t regions)
{
    uint64_t fixed = f->header + f->cap_meta * ceil_div(capacity, f->cap_unit);
    uint64_t need = grains * f->grain + regions * f->region_meta;
    uint64_t steps = ceil_div(need, f->step);
    if (steps < f->min_steps) steps = f->min_steps;
    if (steps == 0) return fixed;
    if (f->pad_fixed) fixed = ceil_div(fixed, f->step) * f->step;
    if (f->refblock_steps) {
        uint64_t n0 = fixed / f->step + steps;
        steps += ceil_div(n0 - 1, f->refblock_steps - 1) - 1;
    }
    return fixed + steps * f->step;
}

uint64_t ss_format_need_held(const ss_format *f, uint64_t need)
{
    uint64_t steps = ceil_div(need, f->step);
    if (steps < f->min_steps) steps = f->min_steps;
    return steps * f->step;
}

unsigned ss_format_thin_shift(const ss_format *f)
{
    unsigned s = 0;
    while (((uint64_t)f->grain << s) < f->thin_block) s++;
    return s;
}
