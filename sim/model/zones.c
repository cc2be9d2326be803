/*
 * zones.c -- a random workload's areas and cells for the statistical
 * fidelity (zones.h).
 *
 * Zipf bands: ranks 1..16 are a band each, then bands grow by a factor
 * 1.25 ([r, ceil(1.25 r)) ...), about 16 + 4.5 log2(n/16) bands per size.
 * Within a band the rank probabilities differ by at most 1.25^s, which the
 * cell treats as equal: the one approximation of the zone map
 * (docs/model.md says how large it is).  Band masses are sums of r^-s,
 * exact below rank 4096 and by Euler-Maclaurin (the integral, the two
 * halves of the end terms and the first derivative correction) above it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "model/zones.h"

#define SS_ZIPF_SINGLE 16
#define SS_ZIPF_RATIO 1.25

/* sum of r^-s for r in [a, b], a >= 1 */
static double zsum(double s, uint64_t a, uint64_t b)
{
    if (b < a) return 0;
    double acc = 0;
    uint64_t r = a;
    for (; r <= b && r < 4096; r++) acc += exp(-s * log((double)r));
    if (r > b) return acc;
    double x = (double)r, y = (double)b;
    double integral = fabs(1 - s) < 1e-12 ? log(y / x) : (exp((1 - s) * log(y)) - exp((1 - s) * log(x))) / (1 - s);
    double fx = exp(-s * log(x)), fy = exp(-s * log(y));
    double dfx = -s * fx / x, dfy = -s * fy / y;
    return acc + integral + 0.5 * (fx + fy) + (dfy - dfx) / 12.0;
}

/* The slots of `bytes` bytes for I/Os of `len` on grains of 2^gsh: slots of
 * len when len >= grain, else grains. */
static void slot_geometry(uint64_t bytes, uint64_t len, unsigned gsh, uint64_t *n, uint32_t *m)
{
    uint64_t grain = (uint64_t)1 << gsh;
    if (len >= grain) {
        *n = bytes / len;
        *m = (uint32_t)((len + grain - 1) >> gsh);
    } else {
        *n = bytes >> gsh;
        *m = 1;
    }
    if (*n == 0) *n = 1;
}

static int count_bands(uint64_t n)
{
    int k = 0;
    for (uint64_t r = 1; r <= n; k++) {
        uint64_t next = r < SS_ZIPF_SINGLE ? r + 1 : (uint64_t)ceil((double)r * SS_ZIPF_RATIO);
        if (next <= r) next = r + 1;
        r = next;
    }
    return k;
}

ss_zonemap *ss_zones_new(const ss_workload *wl, unsigned gsh, unsigned long seed)
{
    ss_zonemap *zm = calloc(1, sizeof *zm);
    if (!zm) return NULL;
    ss_workload_shape_of(wl, &zm->shape);
    const ss_workload_shape *sh = &zm->shape;
    zm->grain_shift = gsh;
    uint64_t bstart[2] = { sh->roff, sh->roff + sh->hot_bytes };
    uint64_t bsize[2] = { sh->rsize, sh->rsize - sh->hot_bytes };
    zm->nareas = 1;
    if (sh->pattern == SS_PAT_HOTSPOT) {
        zm->nareas = 2;
        bsize[0] = sh->hot_bytes;
    }
    /* Cells: one per size and area, or per size and band for zipf. */
    int ncells = 0;
    for (int c = 0; c < sh->nsizes; c++)
        ncells += sh->pattern == SS_PAT_ZIPF ? count_bands(sh->rsize / sh->sizes[c]) : zm->nareas;
    zm->areas = calloc((size_t)zm->nareas, sizeof *zm->areas);
    zm->cells = calloc((size_t)ncells, sizeof *zm->cells);
    zm->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!zm->areas || !zm->cells || !zm->rng) {
        ss_zones_free(zm);
        return NULL;
    }
    gsl_rng_set(zm->rng, seed);
    int k = 0;
    for (int a = 0; a < zm->nareas; a++) {
        ss_zarea *ar = &zm->areas[a];
        uint64_t g0 = bstart[a] >> gsh, g1 = (bstart[a] + bsize[a] + ((uint64_t)1 << gsh) - 1) >> gsh;
        ar->g0 = g0;
        ar->ng = g1 - g0;
        ar->first_cell = k;
        ar->single = sh->nsizes == 1;
        ar->qmin = UINT32_MAX;
        for (int c = 0; c < sh->nsizes; c++) {
            uint64_t n;
            uint32_t m;
            slot_geometry(bsize[a], sh->sizes[c], gsh, &n, &m);
            if (m < ar->qmin) ar->qmin = m;
            if (sh->pattern != SS_PAT_ZIPF) {
                zm->cells[k++] = (ss_zcell){ .area = a, .cls = c, .n = n, .m = m, .ncls = n, .frac = 1 };
                continue;
            }
            uint64_t nr = bsize[a] / sh->sizes[c];   /* ranks */
            for (uint64_t r = 1; r <= nr;) {
                uint64_t next = r < SS_ZIPF_SINGLE ? r + 1 : (uint64_t)ceil((double)r * SS_ZIPF_RATIO);
                if (next <= r) next = r + 1;
                if (next > nr + 1) next = nr + 1;
                /* the band's ranks, in slots (the ranks of a size below the
                 * grain as grains) */
                double share = (double)(next - r) / (double)nr;
                uint64_t bn = (uint64_t)floor(share * (double)n + 0.5);
                if (bn < 1) bn = 1;
                zm->cells[k++] = (ss_zcell){ .area = a, .cls = c, .n = bn, .m = m, .ncls = n,
                                             .frac = (double)bn / (double)n, .rank0 = r };
                r = next;
            }
        }
        ar->ncells = k - ar->first_cell;
    }
    zm->ncells = k;
    return zm;
}

void ss_zones_free(ss_zonemap *zm)
{
    if (!zm) return;
    if (zm->rng) gsl_rng_free(zm->rng);
    free(zm->areas);
    free(zm->cells);
    free(zm);
}

int ss_zones_same(const ss_zonemap *zm, const ss_workload *wl)
{
    ss_workload_shape sh;
    ss_workload_shape_of(wl, &sh);
    const ss_workload_shape *a = &zm->shape;
    if (sh.pattern != a->pattern || sh.roff != a->roff || sh.rsize != a->rsize || sh.nsizes != a->nsizes)
        return 0;
    if (sh.pattern == SS_PAT_HOTSPOT && sh.hot_bytes != a->hot_bytes) return 0;
    for (int i = 0; i < sh.nsizes; i++)
        if (sh.sizes[i] != a->sizes[i]) return 0;
    return 1;
}

void ss_zones_weights(const ss_zonemap *zm, const ss_workload *wl, double *w)
{
    ss_workload_shape sh;
    ss_workload_shape_of(wl, &sh);
    const ss_workload_params *p = ss_workload_params_of(wl);
    for (int i = 0; i < zm->ncells; i++) {
        const ss_zcell *c = &zm->cells[i];
        double pc = sh.prob[c->cls];
        if (sh.pattern == SS_PAT_HOTSPOT) {
            w[i] = pc * (c->area == 0 ? p->hot_share : 1 - p->hot_share);
        } else if (sh.pattern == SS_PAT_ZIPF) {
            uint64_t nr = sh.rsize / sh.sizes[c->cls];
            uint64_t r1 = i + 1 < zm->ncells && zm->cells[i + 1].cls == c->cls ? zm->cells[i + 1].rank0 - 1 : nr;
            w[i] = pc * zsum(p->zipf_s, c->rank0, r1) / zsum(p->zipf_s, 1, nr);
        } else {
            w[i] = pc;
        }
    }
}
