/*
 * chain.h -- a virtual disk's files (chain.c): the base, the deltas above
 * it, the grains each holds and the guest writes that go to the top.
 *
 * The files of a disk form a tree through `parent` (the backing file); the
 * top ("you are here") is a leaf and takes the guest's writes.  A VM's
 * files, of every disk and kind, are listed in its folder in creation
 * order, as `ls` of the VM's directory on the datastore shows them.
 *
 * Invariants (ss_world_check):
 *   a delta's size == ss_format_filesize(fmt, capacity, count(ct), regions(ct))
 *   a thin base's size == its blocks touched * thin_block (at most the capacity)
 *   a thick base's size == the capacity, and it has no grain set (it holds all)
 *   nchildren == the number of files whose parent it is
 *   disk->top is a leaf of the file tree
 *   a kept file has no parent and no children
 */
#ifndef SNAPSIM_MODEL_CHAIN_H
#define SNAPSIM_MODEL_CHAIN_H

#include <stdint.h>

#include "model/datastore.h"
#include "model/version.h"
#include "model/world.h"
#include "snapsim/format.h"
#include "model/content.h"

typedef enum { SS_FILE_FLAT, SS_FILE_DELTA, SS_FILE_HELPER, SS_FILE_VMSN, SS_FILE_VMSS } ss_file_kind;
const char *ss_file_kind_name(ss_file_kind k);

typedef struct ss_disk ss_disk;
typedef struct ss_file ss_file;

/* A VM's directory on its datastore. */
typedef struct ss_folder {
    const char *name;         /* the VM's name: its files are named after it */
    ss_datastore *ds;
    ss_file *files;           /* live files, in creation order */
} ss_folder;

struct ss_file {
    char *name;
    ss_file_kind kind;
    ss_folder *dir;
    ss_disk *disk;            /* NULL for .vmsn / .vmss */
    ss_datastore *ds;
    ss_file *parent;          /* backing file; NULL for the base */
    int nchildren;
    ss_content ct;            /* grains held (content.h: exact, or counted statistically);
                               * ct.gs NULL for a thick base (holds all) */
    int thick;                /* thick base: full size from creation, never grows */
    uint64_t size;            /* bytes on the datastore */
    uint64_t cap_need;        /* the largest need (file_need) the current size holds:
                               * adding grains only recomputes the size past it */
    int busy;                 /* a merge reads or writes it */
    int kept;                 /* left on the datastore by a QEMU job (block-stream's backing
                               * files, block-commit's overlays without delete): in no chain
                               * (parent NULL, no children), no snapshot's; its space stays used */
    ss_file *next;            /* the folder's list */
};

struct ss_disk {
    ss_folder *dir;
    int index;                /* 0-based */
    uint64_t capacity;
    const ss_format *fmt;     /* == &fmtv once the disk is made (ss_disk_set_format) */
    ss_format fmtv;           /* the format's row as the host's version lays it out */
    int thin;
    uint64_t used;            /* guest data in the base at creation, from offset 0: a thin base
                               * holds those grains; a thick base holds everything, and this
                               * says how much of it a backup or a conversion copies */
    uint64_t ngrains;         /* capacity / grain, rounded up */
    ss_file *base;            /* root of the file tree */
    ss_file *top;             /* where guest writes go ("you are here") */
    ss_file *mirror;          /* during a mirrored merge: writes also go here */
    int counter;              /* last delta number used */
    unsigned grain_shift;     /* log2 of the format's grain */
    uint64_t margin;          /* free space above which no write needs a space check */
    ss_zonemap *zm;           /* statistical fidelity, once a random workload writes here:
                               * its zone map (owned); the files' contents are statistical */
};

ss_file *ss_file_new(ss_world *w, ss_folder *dir, ss_disk *d, ss_file_kind kind, const char *name,
                     ss_file *parent, uint64_t size);
/* Remove a file: its space is freed, its parent loses a child. */
void ss_file_release(ss_world *w, ss_file *f);
void ss_file_resize(ss_world *w, ss_file *f);                /* size from the grain set */
uint64_t ss_file_size_for(const ss_file *f, uint64_t grains, uint64_t regions);
uint64_t ss_file_allocated(const ss_file *f);                /* guest bytes held */
/* Add grains [g0, g0+n) to f, growing it (no space check: the caller made
 * sure it fits). */
void ss_file_add(ss_world *w, ss_file *f, uint64_t g0, uint64_t n);
/* f's content grew (statistical writes): resize it if it needs to. */
void ss_file_grew(ss_world *w, ss_file *f);
/* Free a folder's files without accounting (teardown). */
void ss_folder_free(ss_folder *dir);

/* A new, empty delta above parent (its number is the disk's next). */
ss_file *ss_chain_new_delta(ss_world *w, ss_disk *d, ss_file *parent, ss_file_kind kind);
/* The disk's format: row f of the table, as version v lays it out (the
 * steps a new delta starts with, for formats whose row says so). */
void ss_disk_set_format(ss_disk *d, const ss_format *f, const ss_version *v);
/* The disk's base file, from capacity, the format and thin set by the caller. */
int ss_disk_init(ss_world *w, ss_folder *dir, ss_disk *d, int index);
/* Apply one guest write to the disk; 0 done, 1 no space (nothing changed). */
int ss_disk_write(ss_world *w, ss_disk *d, uint64_t offset, uint64_t len);
void ss_disk_prefetch(const ss_disk *d, uint64_t offset);
/* Guest data of disk d as of file `top` (top and its backing files), in
 * bytes: the union of their grains; a thick base counts its first d->used
 * bytes.  What a backup exports and a conversion copies. */
uint64_t ss_disk_data(const ss_disk *d, const ss_file *top);

#endif
