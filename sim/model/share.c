/*
 * share.c -- a bandwidth split equally among its flows (share.h).
 */
#include "model/share.h"

double ss_share_each(const ss_share *s)
{
    return s->n > 0 ? s->bandwidth / s->n : s->bandwidth;
}

static void notify(ss_world *w, ss_share *s, const ss_share_flow *except)
{
    for (ss_share_flow *f = s->flows; f; f = f->next)
        if (f != except && f->on_change) f->on_change(w, f);
}

void ss_share_join(ss_world *w, ss_share *s, ss_share_flow *f)
{
    if (f->share) return;
    f->share = s;
    f->next = NULL;
    ss_share_flow **pp = &s->flows;
    while (*pp) pp = &(*pp)->next;
    *pp = f;
    s->n++;
    notify(w, s, f);
}

void ss_share_leave(ss_world *w, ss_share_flow *f)
{
    ss_share *s = f->share;
    if (!s) return;
    for (ss_share_flow **pp = &s->flows; *pp; pp = &(*pp)->next)
        if (*pp == f) { *pp = f->next; break; }
    s->n--;
    f->share = NULL;
    notify(w, s, NULL);
}
