/*
 * content.c -- a disk file's content, exact or statistical (content.h).
 *
 * The statistical transitions, for a cell of n slots of m grains in an
 * area of ng grains and R regions of Q = 2^region_shift grains, a file
 * holding x slots, a grains, t regions (docs/model.md gives the reasons):
 *
 *  new slots    dx of them, uniform among the n - x free ones;
 *  grains       da = m*dx for one class; with several sizes, minus those
 *               the other classes already hold: Hypergeometric at the
 *               finest slot q, of dx*m/q units among the class's free
 *               grains of which (a - m*xc) are held;
 *  regions      of the dx new slots, L fall in the R - t untouched regions
 *               (which hold (R - t)*Q/m*frac of the cell's free slots,
 *               since nothing there is held): L ~ Hypergeometric; they
 *               touch ss_occ_groups(L, R - t, Q/m*frac) of them.  A slot
 *               larger than a region touches m/Q regions;
 *  exact part   of the da new grains, doe were in the exact part already:
 *               Hypergeometric(da; e - oe, ng - a - (e - oe)), e the exact
 *               part's grains in the area; regions alike (dot).
 *  union        per cell dx = xs - H, H ~ Hypergeometric(xs; x, n - x)
 *               (two independent uniform subsets), then as above; regions
 *               t + ts - Hypergeometric(ts; t, R - t) when both files count
 *               regions of one size, else from the new slots.
 */
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "model/content.h"
#include "model/occupancy.h"

typedef struct ss_starea {
    uint64_t a, t, oe, ot;
    uint64_t e, te;           /* the exact part's grains in the area, and the regions it
                               * touches there (kept as intervals are added) */
} ss_starea;

struct ss_stpart {
    const ss_zonemap *zm;
    unsigned rs;              /* region shift of the file */
    int nclasses;
    uint64_t count, regions;  /* sum of (a - oe), of (t - ot) */
    uint64_t *x;              /* [ncells] */
    uint64_t *xc;             /* [nareas * nclasses] */
    ss_starea *ar;            /* [nareas] */
};

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz);
    if (!p) abort();
    return p;
}

static ss_stpart *st_new(const ss_zonemap *zm, unsigned rs)
{
    ss_stpart *st = xcalloc(1, sizeof *st);
    st->zm = zm;
    st->rs = rs;
    st->nclasses = zm->shape.nsizes;
    st->x = xcalloc((size_t)zm->ncells, sizeof *st->x);
    st->xc = xcalloc((size_t)(zm->nareas * st->nclasses), sizeof *st->xc);
    st->ar = xcalloc((size_t)zm->nareas, sizeof *st->ar);
    return st;
}

static void st_free(ss_stpart *st)
{
    if (!st) return;
    free(st->x);
    free(st->xc);
    free(st->ar);
    free(st);
}

void ss_ct_init(ss_content *c, unsigned region_shift, const ss_zonemap *zm)
{
    c->gs = ss_gs_new(region_shift);
    if (!c->gs) abort();
    c->st = zm ? st_new(zm, region_shift) : NULL;
}

static void exact_in_areas(ss_content *c);

void ss_ct_attach(ss_content *c, const ss_zonemap *zm)
{
    if (c->st) return;
    c->st = st_new(zm, ss_gs_region_shift(c->gs));
    exact_in_areas(c);
}

void ss_ct_free(ss_content *c)
{
    ss_gs_free(c->gs);
    st_free(c->st);
    c->gs = NULL;
    c->st = NULL;
}

void ss_ct_copy(ss_content *dst, const ss_content *src)
{
    dst->gs = ss_gs_copy(src->gs);
    if (!dst->gs) abort();
    dst->st = NULL;
    if (src->st) {
        const ss_stpart *s = src->st;
        ss_stpart *d = st_new(s->zm, s->rs);
        d->count = s->count;
        d->regions = s->regions;
        memcpy(d->x, s->x, (size_t)s->zm->ncells * sizeof *d->x);
        memcpy(d->xc, s->xc, (size_t)(s->zm->nareas * s->nclasses) * sizeof *d->xc);
        memcpy(d->ar, s->ar, (size_t)s->zm->nareas * sizeof *d->ar);
        dst->st = d;
    }
}

uint64_t ss_ct_count(const ss_content *c)
{
    return ss_gs_count(c->gs) + (c->st ? c->st->count : 0);
}

uint64_t ss_ct_regions(const ss_content *c)
{
    return ss_gs_regions(c->gs) + (c->st ? c->st->regions : 0);
}

unsigned ss_ct_region_shift(const ss_content *c) { return ss_gs_region_shift(c->gs); }

uint64_t ss_ct_count_range(const ss_content *c, uint64_t first, uint64_t n)
{
    return ss_gs_count_range(c->gs, first, n);
}

void ss_ct_prefetch(const ss_content *c, uint64_t g) { ss_gs_prefetch(c->gs, g); }

/* ---- geometry ---- */

static uint64_t area_regions(const ss_zarea *ar, unsigned rs)
{
    return ((ar->g0 + ar->ng - 1) >> rs) - (ar->g0 >> rs) + 1;
}

static uint64_t sub0(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

/* The exact part's regions meeting [g0, g0 + n). */
typedef struct reg_ctx {
    uint64_t g0, g1, last, count;
    unsigned rs;
} reg_ctx;

static int count_regions_run(void *ctx, uint64_t first, uint64_t n)
{
    reg_ctx *r = ctx;
    uint64_t a = first > r->g0 ? first : r->g0, b = first + n < r->g1 ? first + n : r->g1;
    if (first >= r->g1) return 1;
    if (a >= b) return 0;
    uint64_t ra = a >> r->rs, rb = (b - 1) >> r->rs;
    if (r->count && ra == r->last) ra++;
    if (rb >= ra) r->count += rb - ra + 1;
    r->last = rb;
    return 0;
}

static uint64_t exact_regions_in(const ss_grainset *gs, uint64_t g0, uint64_t n)
{
    if (ss_gs_count(gs) == 0) return 0;
    reg_ctx r = { g0, g0 + n, 0, 0, ss_gs_region_shift(gs) };
    ss_gs_foreach_run(gs, count_regions_run, &r);
    return r.count;
}

/* e and te of every area, from the exact part (a scan). */
static void exact_in_areas(ss_content *c)
{
    const ss_zonemap *zm = c->st->zm;
    for (int a = 0; a < zm->nareas; a++) {
        const ss_zarea *ar = &zm->areas[a];
        c->st->ar[a].e = ss_gs_count_range(c->gs, ar->g0, ar->ng);
        c->st->ar[a].te = exact_regions_in(c->gs, ar->g0, ar->ng);
    }
}

/* ---- statistical writes ---- */

uint64_t ss_ct_free_slots(const ss_content *c, int cell)
{
    return c->st->zm->cells[cell].n - c->st->x[cell];
}

uint64_t ss_ct_new_slots(const ss_content *c, int cell, uint64_t w)
{
    const ss_zcell *z = &c->st->zm->cells[cell];
    uint64_t x = c->st->x[cell];
    return ss_occ_hyper(c->st->zm->rng, w, z->n - x, x);
}

/* The plan's grains and exact-part overlaps; regions by the new slots when
 * by_slots (else left to the caller). */
static void plan(const ss_content *c, int cell, uint64_t dx, int by_slots, ss_ct_plan *p)
{
    const ss_stpart *st = c->st;
    const ss_zonemap *zm = st->zm;
    const ss_zcell *z = &zm->cells[cell];
    const ss_zarea *ar = &zm->areas[z->area];
    const ss_starea *sa = &st->ar[z->area];
    gsl_rng *rng = zm->rng;
    memset(p, 0, sizeof *p);
    p->cell = cell;
    uint64_t freex = z->n - st->x[cell];
    if (dx > freex) dx = freex;
    p->dx = dx;
    if (dx == 0) return;
    uint64_t m = z->m;
    uint64_t da = dx * m;
    if (!ar->single) {
        /* grains of the new slots other classes hold already */
        uint64_t held_c = m * st->xc[z->area * st->nclasses + z->cls];
        uint64_t others = sub0(sa->a, held_c);
        uint64_t freeg = sub0(z->ncls * m, held_c);
        uint64_t q = ar->qmin ? ar->qmin : 1;
        uint64_t h = ss_occ_hyper(rng, da / q, others / q, sub0(freeg, others) / q) * q;
        da = sub0(da, h);
    }
    if (sa->a + da > ar->ng) da = sub0(ar->ng, sa->a);
    p->da = da;
    uint64_t R = area_regions(ar, st->rs);
    uint64_t rfree = sub0(R, sa->t);
    if (by_slots && rfree) {
        uint64_t Q = (uint64_t)1 << st->rs;
        if (m <= Q) {
            /* The class's free slots in the area are spread evenly over
             * it (a zipf band's too): a share pf of them, and of the
             * cell's, lies in the untouched regions, which hold
             * rfree * Q/m slots of the class, all free. */
            uint64_t xc = st->xc[z->area * st->nclasses + z->cls];
            double freec = (double)sub0(z->ncls, xc);
            double pf = freec > 0 ? (double)rfree * (double)(Q / m) / freec : 1;
            if (pf > 1) pf = 1;
            double fd = pf * (double)freex;
            uint64_t l;
            if (fd >= 1e4 || pf >= 1) {
                uint64_t fresh = fd >= (double)freex ? freex : (uint64_t)(fd + 0.5);
                l = ss_occ_hyper(rng, dx, fresh, freex - fresh);
            } else {
                /* few fresh slots in the cell: each new slot is fresh with
                 * probability pf */
                l = dx > UINT32_MAX ? (uint64_t)(pf * (double)dx + 0.5) : gsl_ran_binomial(rng, pf, (unsigned)dx);
            }
            p->dt = ss_occ_groups(rng, l, rfree, (double)(Q / m) * z->frac);
        } else {
            uint64_t r = m / Q, dt = dx * r;
            if (!ar->single) {
                uint64_t own = st->xc[z->area * st->nclasses + z->cls] * r;
                uint64_t others = sub0(sa->t, own);
                dt = sub0(dt, ss_occ_hyper(rng, dt, others, sub0(sub0(R, own), others)));
            }
            p->dt = dt;
        }
        if (p->dt > rfree) p->dt = rfree;
    }
    if (sa->e) {
        uint64_t ex = sub0(sa->e, sa->oe);
        p->doe = ss_occ_hyper(rng, p->da, ex, sub0(sub0(ar->ng, sa->a), ex));
        if (p->dt) {
            uint64_t tx = sub0(sa->te, sa->ot);
            p->dot = ss_occ_hyper(rng, p->dt, tx, sub0(rfree, tx));
        }
    }
}

void ss_ct_plan_slots(const ss_content *c, int cell, uint64_t dx, ss_ct_plan *p)
{
    plan(c, cell, dx, 1, p);
}

void ss_ct_commit(ss_content *c, const ss_ct_plan *p)
{
    ss_stpart *st = c->st;
    const ss_zcell *z = &st->zm->cells[p->cell];
    ss_starea *sa = &st->ar[z->area];
    st->x[p->cell] += p->dx;
    st->xc[z->area * st->nclasses + z->cls] += p->dx;
    sa->a += p->da;
    sa->t += p->dt;
    sa->oe += p->doe;
    sa->ot += p->dot;
    st->count += p->da - p->doe;
    st->regions += p->dt - p->dot;
}

uint64_t ss_ct_plan_count(const ss_content *c, const ss_ct_plan *p)
{
    return ss_ct_count(c) + p->da - p->doe;
}

uint64_t ss_ct_plan_regions(const ss_content *c, const ss_ct_plan *p)
{
    return ss_ct_regions(c) + p->dt - p->dot;
}

uint64_t ss_ct_regions_bound(const ss_content *c, uint64_t k, uint32_t m)
{
    const ss_stpart *st = c->st;
    uint64_t per = 2 + ((uint64_t)m - 1) / ((uint64_t)1 << st->rs);
    uint64_t untouched = 0;
    for (int a = 0; a < st->zm->nareas; a++)
        untouched += sub0(area_regions(&st->zm->areas[a], st->rs), st->ar[a].t);
    uint64_t b = k > UINT64_MAX / per ? UINT64_MAX : k * per;
    return b < untouched ? b : untouched;
}

/* ---- intervals ---- */

uint64_t ss_ct_add_range(ss_content *c, uint64_t first, uint64_t n)
{
    ss_stpart *st = c->st;
    if (!st) return ss_gs_add_range(c->gs, first, n);
    const ss_zonemap *zm = st->zm;
    uint64_t last = first + n;
    if (last < first) last = UINT64_MAX;
    /* per area the range meets: its grains and regions there that the
     * exact part lacks (all of them are the exact part's afterwards) */
    enum { MAXA = 2 };
    uint64_t de[MAXA] = { 0 }, dte[MAXA] = { 0 };
    unsigned rs = st->rs;
    for (int a = 0; a < zm->nareas && a < MAXA; a++) {
        const ss_zarea *ar = &zm->areas[a];
        uint64_t lo = first > ar->g0 ? first : ar->g0, hi = last < ar->g0 + ar->ng ? last : ar->g0 + ar->ng;
        if (lo >= hi) continue;
        de[a] = (hi - lo) - ss_gs_count_range(c->gs, lo, hi - lo);
        if (!de[a]) continue;
        for (uint64_t r = lo >> rs; r <= (hi - 1) >> rs; r++) {
            uint64_t r0 = r << rs, r1 = r0 + ((uint64_t)1 << rs);
            if (r0 < ar->g0) r0 = ar->g0;
            if (r1 > ar->g0 + ar->ng) r1 = ar->g0 + ar->ng;
            if (ss_gs_count_range(c->gs, r0, r1 - r0) == 0) dte[a]++;
        }
    }
    uint64_t added = ss_gs_add_range(c->gs, first, n);
    if (added == UINT64_MAX) abort();
    for (int a = 0; a < zm->nareas && a < MAXA; a++) {
        if (!de[a]) continue;
        const ss_zarea *ar = &zm->areas[a];
        ss_starea *sa = &st->ar[a];
        /* the random part's grains outside the exact part are a uniform
         * subset of the area's grains outside it */
        uint64_t rx = sub0(sa->a, sa->oe), tx = sub0(sa->t, sa->ot);
        uint64_t doe = ss_occ_hyper(zm->rng, de[a], rx, sub0(sub0(ar->ng, sa->e), rx));
        uint64_t dot = ss_occ_hyper(zm->rng, dte[a], tx, sub0(sub0(area_regions(ar, rs), sa->te), tx));
        sa->e += de[a];
        sa->te += dte[a];
        sa->oe += doe;
        sa->ot += dot;
        st->count -= doe;
        st->regions -= dot;
        added = sub0(added, doe);
    }
    return added;
}

static int union_run(void *ctx, uint64_t first, uint64_t n)
{
    ss_ct_add_range(ctx, first, n);
    return 0;
}

uint64_t ss_ct_union(ss_content *dst, const ss_content *src)
{
    if (!dst->st && !src->st) {
        uint64_t r = ss_gs_union(dst->gs, src->gs);
        if (r == UINT64_MAX) abort();
        return r;
    }
    uint64_t before = ss_ct_count(dst);
    if (!dst->st) ss_ct_attach(dst, src->st->zm);
    ss_stpart *st = dst->st;
    if (ss_gs_count(src->gs)) {
        if (st->count == 0 && st->regions == 0) {
            if (ss_gs_union(dst->gs, src->gs) == UINT64_MAX) abort();
            exact_in_areas(dst);
        } else {
            ss_gs_foreach_run(src->gs, union_run, dst);
        }
    }
    const ss_stpart *ss = src->st;
    if (ss && (ss->count || ss->regions)) {
        const ss_zonemap *zm = st->zm;
        int same_rs = ss->rs == st->rs;
        for (int i = 0; i < zm->ncells; i++) {
            uint64_t xs = ss->x[i];
            if (!xs) continue;
            uint64_t xd = st->x[i];
            uint64_t dx = xs - ss_occ_hyper(zm->rng, xs, xd, zm->cells[i].n - xd);
            ss_ct_plan p;
            plan(dst, i, dx, !same_rs, &p);
            ss_ct_commit(dst, &p);
        }
        if (same_rs) {
            for (int a = 0; a < zm->nareas; a++) {
                const ss_zarea *ar = &zm->areas[a];
                ss_starea *sa = &st->ar[a];
                uint64_t ts = ss->ar[a].t;
                if (!ts) continue;
                uint64_t R = area_regions(ar, st->rs), rfree = sub0(R, sa->t);
                uint64_t dt = ts - ss_occ_hyper(zm->rng, ts, sa->t, rfree);
                uint64_t dot = 0;
                if (dt && sa->te) {
                    uint64_t tx = sub0(sa->te, sa->ot);
                    dot = ss_occ_hyper(zm->rng, dt, tx, sub0(rfree, tx));
                }
                sa->t += dt;
                sa->ot += dot;
                st->regions += dt - dot;
            }
        }
    }
    return sub0(ss_ct_count(dst), before);
}
