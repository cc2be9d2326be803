/*
 * chain.c -- a virtual disk's files: the base, the deltas above it, the
 * grains each holds and the guest writes that go to the top (chain.h).
 * Taking a snapshot and reverting to one are snapshot.c's; merging files
 * is the deletion's (delete.c, merge.c).
 *
 * Sizes: a thick base has the full capacity and never grows; a thin base
 * grows by the format's thin_block for each block first written; a delta's
 * size is ss_format_filesize() of the grains and metadata regions it holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/chain.h"

const char *ss_file_kind_name(ss_file_kind k)
{
    static const char *const names[] = { "flat", "delta", "helper", "vmsn", "vmss" };
    return names[k];
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (!p) abort();
    return memcpy(p, s, n);
}

uint64_t ss_file_size_for(const ss_file *f, uint64_t grains, uint64_t regions)
{
    const ss_disk *d = f->disk;
    if (f->thick) return d->capacity;
    if (f->kind == SS_FILE_FLAT) {                  /* thin base: whole blocks */
        uint64_t sz = regions * d->fmt->thin_block;
        return sz < d->capacity ? sz : d->capacity;
    }
    return ss_format_filesize(d->fmt, d->capacity, grains, regions);
}

uint64_t ss_file_allocated(const ss_file *f)
{
    if (!f->disk) return f->size;
    if (f->thick) return f->disk->capacity;
    return ss_ct_count(&f->ct) * f->disk->fmt->grain;
}

ss_file *ss_file_new(ss_world *w, ss_folder *dir, ss_disk *d, ss_file_kind kind, const char *name,
                     ss_file *parent, uint64_t size)
{
    ss_file *f = calloc(1, sizeof *f);
    if (!f) abort();
    f->name = dupstr(name);
    f->kind = kind;
    f->dir = dir;
    f->disk = d;
    f->ds = dir->ds;
    f->parent = parent;
    if (parent) parent->nchildren++;
    f->size = size;
    ss_file **pp = &dir->files;
    while (*pp) pp = &(*pp)->next;
    *pp = f;
    ss_ds_charge(w, f->ds, (int64_t)size);
    return f;
}

/* Remove a file: its space is freed, its parent loses a child. */
void ss_file_release(ss_world *w, ss_file *f)
{
    for (ss_file **pp = &f->dir->files; *pp; pp = &(*pp)->next)
        if (*pp == f) { *pp = f->next; break; }
    if (f->parent) f->parent->nchildren--;
    uint64_t size = f->size;
    ss_datastore *ds = f->ds;
    ss_ct_free(&f->ct);
    free(f->name);
    free(f);
    ss_ds_charge(w, ds, -(int64_t)size);
}

/* What a file's size depends on, in one number: for a delta the bytes of
 * data and metadata tables, A*grain + T*region_meta; for a thin base the
 * blocks touched T.  Sizes are step functions of it. */
static uint64_t file_need(const ss_file *f)
{
    if (f->kind == SS_FILE_FLAT) return ss_ct_regions(&f->ct);
    return ss_ct_count(&f->ct) * f->disk->fmt->grain + ss_ct_regions(&f->ct) * f->disk->fmt->region_meta;
}

void ss_file_resize(ss_world *w, ss_file *f)
{
    if (!f->disk || f->thick) return;
    const ss_disk *d = f->disk;
    uint64_t sz = ss_file_size_for(f, ss_ct_count(&f->ct), ss_ct_regions(&f->ct));
    if (f->kind == SS_FILE_FLAT)
        f->cap_need = sz >= d->capacity ? UINT64_MAX : ss_ct_regions(&f->ct);
    else
        f->cap_need = ss_format_need_held(d->fmt, file_need(f));
    if (sz != f->size) {
        int64_t delta = (int64_t)sz - (int64_t)f->size;
        f->size = sz;
        ss_ds_charge(w, f->ds, delta);
    }
}

static void disk_file_name(const ss_disk *d, int number, char *buf, size_t n)
{
    char stem[256];
    if (d->index == 0) snprintf(stem, sizeof stem, "%s", d->dir->name);
    else snprintf(stem, sizeof stem, "%s_%d", d->dir->name, d->index);
    if (number == 0) snprintf(buf, n, "%s-flat.vmdk", stem);
    else snprintf(buf, n, "%s-%06d%s", stem, number, d->fmt->suffix);
}

ss_file *ss_chain_new_delta(ss_world *w, ss_disk *d, ss_file *parent, ss_file_kind kind)
{
    char name[300];
    disk_file_name(d, ++d->counter, name, sizeof name);
    ss_file *f = ss_file_new(w, d->dir, d, kind, name, parent, ss_format_empty_size(d->fmt, d->capacity));
    ss_ct_init(&f->ct, d->fmt->region_shift, d->zm);
    f->cap_need = ss_format_need_held(d->fmt, 0);
    return f;
}

void ss_disk_set_format(ss_disk *d, const ss_format *f, const ss_version *v)
{
    d->fmtv = *f;
    if (f->steps_by_version) d->fmtv.min_steps = v->vmfs_new_steps;
    d->fmt = &d->fmtv;
}

int ss_disk_init(ss_world *w, ss_folder *dir, ss_disk *d, int index)
{
    char name[300];
    d->dir = dir;
    d->index = index;
    d->ngrains = d->capacity / d->fmt->grain + (d->capacity % d->fmt->grain != 0);
    d->grain_shift = (unsigned)__builtin_ctz(d->fmt->grain);   /* grains are powers of two */
    /* No single write can grow a file by more than a step, its grains and
     * two regions' tables (or a thin block), and for qcow2 the L1 table's
     * padding and a refcount block: twice that, for the mirror. */
    d->margin = 2 * (d->fmt->step + d->fmt->thin_block + 2 * d->fmt->region_meta +
                     (d->fmt->refblock_steps ? 2 * d->fmt->step : 0));
    disk_file_name(d, 0, name, sizeof name);
    d->base = ss_file_new(w, dir, d, SS_FILE_FLAT, name, NULL, d->thin ? 0 : d->capacity);
    if (d->used > d->capacity) d->used = d->capacity;
    if (d->thin) {
        ss_ct_init(&d->base->ct, ss_format_thin_shift(d->fmt), d->zm);
        d->base->cap_need = 0;
        if (d->used) {
            if (ss_ct_add_range(&d->base->ct, 0, (d->used + d->fmt->grain - 1) >> d->grain_shift) == UINT64_MAX)
                abort();
            ss_file_resize(w, d->base);
        }
    } else {
        d->base->thick = 1;
    }
    d->top = d->base;
    return 0;
}

/* Bytes the file would grow by if grains [g0, g0+n) were added, exactly. */
static uint64_t exact_growth(const ss_file *f, uint64_t g0, uint64_t n)
{
    if (f->thick) return 0;
    uint64_t held = ss_ct_count_range(&f->ct, g0, n);
    unsigned rs = ss_ct_region_shift(&f->ct);
    uint64_t newreg = 0;
    for (uint64_t r = g0 >> rs; r <= (g0 + n - 1) >> rs; r++)
        if (ss_ct_count_range(&f->ct, r << rs, UINT64_C(1) << rs) == 0) newreg++;
    uint64_t sz = ss_file_size_for(f, ss_ct_count(&f->ct) + (n - held), ss_ct_regions(&f->ct) + newreg);
    return sz > f->size ? sz - f->size : 0;
}

/* An upper bound of the growth, cheap: every grain and region new. */
static uint64_t bound_growth(const ss_file *f, uint64_t g0, uint64_t n)
{
    if (f->thick) return 0;
    unsigned rs = ss_ct_region_shift(&f->ct);
    uint64_t nreg = ((g0 + n - 1) >> rs) - (g0 >> rs) + 1;
    uint64_t sz = ss_file_size_for(f, ss_ct_count(&f->ct) + n, ss_ct_regions(&f->ct) + nreg);
    return sz > f->size ? sz - f->size : 0;
}

void ss_file_add(ss_world *w, ss_file *f, uint64_t g0, uint64_t n)
{
    if (f->thick) return;
    uint64_t added = ss_ct_add_range(&f->ct, g0, n);
    if (added == UINT64_MAX) abort();
    if (added && file_need(f) > f->cap_need) ss_file_resize(w, f);
}

void ss_file_grew(ss_world *w, ss_file *f)
{
    if (!f->thick && file_need(f) > f->cap_need) ss_file_resize(w, f);
}

/* Start loading the grain-set word a coming write will touch. */
void ss_disk_prefetch(const ss_disk *d, uint64_t offset)
{
    if (d->top->ct.gs) ss_ct_prefetch(&d->top->ct, offset >> d->grain_shift);
}

int ss_disk_write(ss_world *w, ss_disk *d, uint64_t offset, uint64_t len)
{
    uint64_t g0 = offset >> d->grain_shift;
    uint64_t n = ((offset + len - 1) >> d->grain_shift) - g0 + 1;
    ss_file *f = d->top, *m = d->mirror;
    ss_datastore *ds = f->ds;
    uint64_t freeb = ds->used < ds->capacity ? ds->capacity - ds->used : 0;
    uint64_t worst = freeb >= d->margin + 2 * len ? 0 : bound_growth(f, g0, n) + (m ? bound_growth(m, g0, n) : 0);
    if (worst && !ss_ds_fits(ds, worst)) {
        uint64_t need = exact_growth(f, g0, n) + (m ? exact_growth(m, g0, n) : 0);
        if (need && !ss_ds_fits(ds, need)) return 1;
    }
    ss_file_add(w, f, g0, n);
    if (m) ss_file_add(w, m, g0, n);
    return 0;
}


void ss_folder_free(ss_folder *dir)
{
    while (dir->files) {
        ss_file *f = dir->files;
        dir->files = f->next;
        ss_ct_free(&f->ct);
        free(f->name);
        free(f);
    }
}

/* Guest data of disk d as of file `top` (top and its backing files), in
 * bytes; a thick base counts its first d->used bytes. */
uint64_t ss_disk_data(const ss_disk *d, const ss_file *top)
{
    ss_content u;
    ss_ct_init(&u, d->fmt->region_shift, NULL);
    uint64_t thick_g = 0;
    for (const ss_file *f = top; f; f = f->parent) {
        if (f->thick) thick_g = (d->used + d->fmt->grain - 1) >> d->grain_shift;
        else ss_ct_union(&u, &f->ct);
    }
    if (thick_g && ss_ct_add_range(&u, 0, thick_g) == UINT64_MAX) abort();
    uint64_t g = ss_ct_count(&u);
    ss_ct_free(&u);
    uint64_t bytes = g * d->fmt->grain;
    return bytes < d->capacity ? bytes : d->capacity;
}
