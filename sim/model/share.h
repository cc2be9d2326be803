/*
 * share.h -- a bandwidth split equally among the flows that use it
 * (share.c): a VCB proxy's bandwidth among its exports, a host's NBD
 * network among the exports that read through it.
 *
 * A flow's share is a cap: what it then asks of its datastore (whose
 * bandwidth is shared max-min fairly, datastore.h) is the smallest of the
 * caps of the shares it is in.  When a flow joins or leaves, every other
 * flow of the share is told (on_change) in join order.
 */
#ifndef SNAPSIM_MODEL_SHARE_H
#define SNAPSIM_MODEL_SHARE_H

#include "model/world.h"

typedef struct ss_share ss_share;

typedef struct ss_share_flow {
    ss_share *share;          /* NULL while not in one */
    void (*on_change)(ss_world *w, struct ss_share_flow *f);   /* the share's split changed */
    void *owner;
    struct ss_share_flow *next;
} ss_share_flow;

struct ss_share {
    double bandwidth;         /* bytes/s; INFINITY: no limit */
    int n;                    /* flows in it */
    ss_share_flow *flows;     /* in join order */
};

/* Each flow's cap: bandwidth / n (the whole bandwidth when empty). */
double ss_share_each(const ss_share *s);
void ss_share_join(ss_world *w, ss_share *s, ss_share_flow *f);
void ss_share_leave(ss_world *w, ss_share_flow *f);

#endif
