/*
 * strategy.h -- the deletion (consolidation) strategy presets (strategy.c):
 * each a row of data, the parts a deletion is built from.
 */
#ifndef SNAPSIM_MODEL_STRATEGY_H
#define SNAPSIM_MODEL_STRATEGY_H

typedef enum { SS_ORDER_NEWEST_FIRST, SS_ORDER_OLDEST_FIRST, SS_ORDER_COMMIT, SS_ORDER_STREAM } ss_order;
typedef enum { SS_LIVE_STUN, SS_LIVE_HELPER, SS_LIVE_MIRROR, SS_LIVE_NONE } ss_live;

typedef struct ss_strategy {
    const char *name;
    ss_order order;           /* order of the merges of Delete All */
    int release_at_end;       /* 1: no file removed until the end; 0: after each merge */
    ss_live live;             /* how the delta a running guest writes to is merged */
} ss_strategy;

/* NULL if unknown. */
const ss_strategy *ss_strategy_find(const char *name);
/* "esx35, vsphere41, ..." for messages. */
const char *ss_strategy_names(void);

#endif
