/*
 * strategy.h -- the deletion (consolidation) strategy presets (strategy.c):
 * each a row of data, the parts a deletion is built from.
 */
#ifndef SNAPSIM_MODEL_STRATEGY_H
#define SNAPSIM_MODEL_STRATEGY_H

typedef enum { SS_ORDER_NEWEST_FIRST, SS_ORDER_OLDEST_FIRST, SS_ORDER_COMMIT, SS_ORDER_STREAM } ss_order;
typedef enum { SS_LIVE_STUN, SS_LIVE_HELPER, SS_LIVE_MIRROR, SS_LIVE_NONE } ss_live;
/* How a mirrored merge treats a guest write (docs/model.md, "Mirror"):
 *   SELECTIVE       VMware's mirror driver: a write behind the copy's position goes to both
 *                   files, a write ahead to the source only (copied when the copy gets there)
 *   BACKGROUND      QEMU's default: every write to the source only, marked dirty; dirty grains
 *                   behind the position are copied again by a further pass
 *   WRITE_BLOCKING  QEMU's write-blocking: every write also to the target */
typedef enum { SS_COPY_SELECTIVE, SS_COPY_BACKGROUND, SS_COPY_WRITE_BLOCKING } ss_copy_mode;

typedef struct ss_strategy {
    const char *name;
    ss_order order;           /* order of the merges of Delete All */
    int release_at_end;       /* 1: no file removed until the end; 0: after each merge */
    ss_live live;             /* how the delta a running guest writes to is merged */
    ss_copy_mode copy_mode;   /* mirror: how guest writes are handled during the copy */
    int keep_files;           /* 1: the merged files stay on the datastore (QEMU removes none;
                               * a deletion's `delete = true` clears it for qemu_commit) */
} ss_strategy;

/* NULL if unknown. */
const ss_strategy *ss_strategy_find(const char *name);
/* "esx35, vsphere41, ..." for messages. */
const char *ss_strategy_names(void);
/* "selective", "background", "write-blocking"; -1 if unknown. */
const char *ss_copy_mode_name(ss_copy_mode m);
int ss_copy_mode_find(const char *name);

#endif
