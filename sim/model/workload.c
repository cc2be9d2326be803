/*
 * workload.c -- guest write workloads (see include/snapsim/workload.h for
 * the contract: the draw order and each pattern's definition).
 *
 * ss_workload_next is on the simulator's hot path (tens of millions of I/Os
 * per simulated second of wall time), so everything that depends only on
 * the parameters is computed once in ss_workload_new: per size the slot
 * counts, the divisor gsl_rng_uniform_int would compute, and the zipf
 * sampler's constants.  What is left per I/O is the random draws, a few
 * multiplications and, for zipf, a handful of log/exp calls.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "snapsim/limits.h"
#include "snapsim/workload.h"

/* A uniform choice among n slots.  gsl_rng_uniform_int(rng, n) computes
 * scale = range / n and returns the first (get() - min) / scale below n.
 * For generators with a 32-bit range (mt19937 and most others) we keep
 * scale and 1/scale here so the per-I/O division becomes a multiplication
 * and a correction; the values are the same as gsl_rng_uniform_int's. */
typedef struct ss_wl_slots {
    uint64_t n;          /* number of slots, >= 1 */
    uint64_t scale;      /* 0xffffffff / n when n <= 0xffffffff, else 0 */
    double inv;          /* 1.0 / scale */
} ss_wl_slots;

/* Rejection-inversion zipf over ranks 1..n with exponent s (Hoermann &
 * Derflinger 1996; constants named as in Apache Commons RNG).  H is the
 * integral of the hat h(x) = x^-s, written as H(x) = (x^(1-s) - 1)/(1-s)
 * so that s = 1 (H = log x) needs no special case. */
typedef struct ss_wl_zipf {
    double n;            /* number of ranks, as a double */
    double s;            /* exponent, > 0 */
    double hx1;          /* H(1.5) - 1 */
    double hn;           /* H(n + 0.5) */
    double cut;          /* squeeze: k - x <= cut accepts without more work */
    uint64_t a;          /* scramble multiplier: gcd(a, n) == 1 */
} ss_wl_zipf;

/* Everything that depends on one I/O size. */
typedef struct ss_wl_size {
    uint64_t len;        /* bytes */
    ss_wl_slots main;    /* uniform/zipf: slots of len in the region;
                            hotspot: slots in the hot part */
    ss_wl_slots cold;    /* hotspot: slots in the cold part */
    ss_wl_zipf z;        /* zipf only */
} ss_wl_size;

struct ss_workload {
    ss_workload_params p;        /* as given */
    uint64_t roff, rsize;        /* the region, resolved (rsize > 0) */
    uint64_t hot_bytes;          /* hotspot: bytes in the hot part, a multiple of every size */
    uint64_t seq_pos;            /* sequential: next offset relative to roff, <= rsize */
    double mean_size;
    int nsel;                    /* sizes that can be drawn: 1 + index of the last positive weight */
    double cum[SS_WL_MAX_SIZES]; /* cumulative weights / total; size i is drawn when
                                    cum[i-1] <= u < cum[i]; nondecreasing */
    ss_wl_size size[SS_WL_MAX_SIZES];
};

#define SS_WL_RANGE32 0xffffffffUL

/* ------------------------------------------------------------------ */
/* Uniform slots */

static void slots_init(ss_wl_slots *sl, uint64_t n)
{
    sl->n = n;
    if (n <= SS_WL_RANGE32) {
        sl->scale = SS_WL_RANGE32 / n;
        sl->inv = 1.0 / (double)sl->scale;
    } else {
        sl->scale = 0;
        sl->inv = 0;
    }
}

/* A uniform integer in [0, n) for any generator and any n >= 1.  Within
 * the generator's range this is gsl_rng_uniform_int; beyond it (e.g. 512 B
 * I/Os over more than 2 TiB with mt19937), hi * L + lo from two uniform
 * draws, rejected when >= n (less than half the time, as hi takes at least
 * 2 values). */
static uint64_t uniform_any(gsl_rng *rng, uint64_t n)
{
    unsigned long range = gsl_rng_max(rng) - gsl_rng_min(rng);
    if (n <= range) return gsl_rng_uniform_int(rng, n);
    uint64_t l = range >= (1UL << 31) ? (uint64_t)1 << 31 : range;
    uint64_t nhi = n / l + (n % l != 0);
    for (;;) {
        uint64_t hi = uniform_any(rng, nhi);
        uint64_t x = hi * l + gsl_rng_uniform_int(rng, l);
        if (x < n) return x;
    }
}

/* Same value and draws as uniform_any(rng, sl->n). */
static inline uint64_t slots_draw(const ss_wl_slots *sl, gsl_rng *rng)
{
    const gsl_rng_type *t = rng->type;
    if (sl->scale == 0 || t->min != 0 || t->max != SS_WL_RANGE32) return uniform_any(rng, sl->n);
    for (;;) {
        uint64_t x = t->get(rng->state);
        /* x < 2^32 and inv is within 1 ulp of 1/scale, so q is
         * floor(x / scale) or off by one; the two compares fix it. */
        uint64_t q = (uint64_t)((double)x * sl->inv);
        if (q * sl->scale > x) q--;
        else if ((q + 1) * sl->scale <= x) q++;
        if (q < sl->n) return q;
    }
}

/* ------------------------------------------------------------------ */
/* Zipf */

/* log1p(x)/x and expm1(x)/x, with their Taylor series near 0 where the
 * quotients lose precision. */
static double helper1(double x)
{
    return fabs(x) > 1e-8 ? log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
}

static double helper2(double x)
{
    return fabs(x) > 1e-8 ? expm1(x) / x : 1 + x * 0.5 * (1 + x * (1.0 / 3) * (1 + 0.25 * x));
}

static double zipf_H(double s, double x)
{
    double lx = log(x);
    return helper2((1 - s) * lx) * lx;
}

static double zipf_h(double s, double x)
{
    return exp(-s * log(x));
}

static double zipf_Hinv(double s, double x)
{
    double t = x * (1 - s);
    if (t < -1) t = -1;   /* rounding can push it below the domain */
    return exp(helper1(t) * x);
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
    while (b) { uint64_t t = a % b; a = b; b = t; }
    return a;
}

static void zipf_init(ss_wl_zipf *z, uint64_t n, double s)
{
    z->n = (double)n;
    z->s = s;
    z->hx1 = zipf_H(s, 1.5) - 1;
    z->hn = zipf_H(s, z->n + 0.5);
    z->cut = 2 - zipf_Hinv(s, zipf_H(s, 2.5) - zipf_h(s, 2));
    /* Golden-ratio multiplier: consecutive ranks land ~0.618 n apart and
     * the first m ranks are spread nearly evenly (three-distance theorem).
     * For n >= 2, n - 1 is coprime to n, so the search stops below n. */
    uint64_t a = (uint64_t)((double)n * 0.6180339887498949);
    if (a < 1) a = 1;
    while (gcd64(a, n) != 1) a++;
    z->a = a;
}

/* A rank in 1..n. */
static uint64_t zipf_rank(const ss_wl_zipf *z, gsl_rng *rng)
{
    for (;;) {
        /* u is uniform in (hx1, hn] as the draw is in [0,1). */
        double u = z->hn + gsl_rng_uniform(rng) * (z->hx1 - z->hn);
        double x = zipf_Hinv(z->s, u);
        double k = floor(x + 0.5);
        if (k < 1) k = 1;
        else if (k > z->n) k = z->n;
        /* Accepts k with probability h(k) / (H(k+1/2) - H(k-1/2)), which
         * makes P(k) proportional to k^-s; k = 1 is always accepted. */
        if (k - x <= z->cut || u >= zipf_H(z->s, k + 0.5) - zipf_h(z->s, k))
            return (uint64_t)k;
    }
}

/* (a * b) mod n for a, b < n. */
static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t n)
{
    if (n <= UINT32_MAX) return a * b % n;
#ifdef __SIZEOF_INT128__
    __extension__ typedef unsigned __int128 u128;
    return (uint64_t)((u128)a * b % n);
#else
    uint64_t r = 0;
    for (a %= n; b; b >>= 1) {
        if (b & 1) r = r >= n - a ? r - (n - a) : r + a;
        a = a >= n - a ? a - (n - a) : a + a;
    }
    return r;
#endif
}

/* ------------------------------------------------------------------ */
/* Construction */

/* Writes the reason into why; returns NULL for `return fail(...)`. */
static void *fail(char *why, size_t whylen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void *fail(char *why, size_t whylen, const char *fmt, ...)
{
    if (why && whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whylen, fmt, ap);
        va_end(ap);
    }
    return NULL;
}

/* A finite number in [lo, hi]. */
static int in_closed(double x, double lo, double hi) { return x >= lo && x <= hi; }

ss_workload *ss_workload_new(const ss_workload_params *p, uint64_t cap, char *why, size_t whylen)
{
    if (!p) return fail(why, whylen, "workload: no parameters");
    if (!in_closed(p->rate, 0, HUGE_VAL) || isinf(p->rate))
        return fail(why, whylen, "rate: expected a number >= 0, found %g", p->rate);
    if (!in_closed(p->iops, 0, HUGE_VAL) || isinf(p->iops))
        return fail(why, whylen, "iops: expected a number >= 0, found %g", p->iops);
    if (p->rate > 0 && p->iops > 0)
        return fail(why, whylen, "rate: give rate or iops, not both");
    if (p->arrivals != SS_ARR_POISSON && p->arrivals != SS_ARR_CONSTANT)
        return fail(why, whylen, "arrivals: expected poisson or constant");
    if (p->pattern < SS_PAT_UNIFORM || p->pattern > SS_PAT_ZIPF)
        return fail(why, whylen, "pattern: expected uniform, sequential, hotspot or zipf");
    if (p->nsizes < 1 || p->nsizes > SS_WL_MAX_SIZES)
        return fail(why, whylen, "io_size: expected 1 to %d sizes, found %d", SS_WL_MAX_SIZES, p->nsizes);

    uint64_t maxsize = 0, align = 1;
    int align_big = 0;
    double wsum = 0;
    for (int i = 0; i < p->nsizes; i++) {
        uint64_t s = p->sizes[i];
        if (s == 0 || s % 512 != 0)
            return fail(why, whylen, "io_size: expected a positive multiple of 512 bytes, found %llu",
                        (unsigned long long)s);
        if (s > maxsize) maxsize = s;
        /* align = lcm(sizes): a region offset or a hot part must be a
         * multiple of it.  Beyond the disk only 0 is such a multiple;
         * align_big says so (and keeps the product from overflowing). */
        if (!align_big) {
            uint64_t m = align / gcd64(align, s);
            if (m > cap / s) align_big = 1;
            else align = m * s;
        }
        if (p->nsizes > 1) {
            if (!in_closed(p->weights[i], 0, HUGE_VAL) || isinf(p->weights[i]))
                return fail(why, whylen, "io_size: weight %d: expected a number >= 0, found %g",
                            i + 1, p->weights[i]);
            wsum += p->weights[i];
        }
    }
    if (p->nsizes > 1 && !(wsum > 0 && isfinite(wsum)))
        return fail(why, whylen, "io_size: the weights must have a positive sum");
    if (!in_closed(p->read_ratio, 0, 1))
        return fail(why, whylen, "read_ratio: expected a number in [0,1], found %g", p->read_ratio);

    if (p->region_offset >= cap)
        return fail(why, whylen, "region.offset: %llu is not inside the disk (%llu bytes)",
                    (unsigned long long)p->region_offset, (unsigned long long)cap);
    if (align_big && p->region_offset != 0)
        return fail(why, whylen, "region.offset: %llu must be 0: the I/O sizes have no common "
                    "multiple within the disk", (unsigned long long)p->region_offset);
    if (p->region_offset % align != 0)
        return fail(why, whylen, "region.offset: %llu is not a multiple of the I/O size%s (%llu)",
                    (unsigned long long)p->region_offset, p->nsizes > 1 ? "s" : "",
                    (unsigned long long)align);
    uint64_t rsize = p->region_size ? p->region_size : cap - p->region_offset;
    if (rsize > cap - p->region_offset)
        return fail(why, whylen, "region.size: the region ends at %llu, beyond the disk (%llu bytes)",
                    (unsigned long long)p->region_offset + rsize, (unsigned long long)cap);
    if (rsize < maxsize)
        return fail(why, whylen, "region.size: %llu bytes cannot hold an I/O of %llu bytes",
                    (unsigned long long)rsize, (unsigned long long)maxsize);

    uint64_t hot_bytes = 0;
    if (p->pattern == SS_PAT_HOTSPOT) {
        if (!(p->hot_fraction > 0 && p->hot_fraction < 1))
            return fail(why, whylen, "hot.fraction: expected a number in (0,1), found %g", p->hot_fraction);
        if (!in_closed(p->hot_share, 0, 1))
            return fail(why, whylen, "hot.share: expected a number in [0,1], found %g", p->hot_share);
        hot_bytes = align_big ? 0 : (uint64_t)floor(p->hot_fraction * (double)rsize / (double)align) * align;
        if (hot_bytes > rsize) hot_bytes = rsize - rsize % align;   /* rounding guard */
        if (hot_bytes < maxsize)
            return fail(why, whylen, "hot.fraction: the hot part (%g of %llu bytes, in multiples of "
                        "%llu) holds no I/O of %llu bytes", p->hot_fraction, (unsigned long long)rsize,
                        (unsigned long long)align, (unsigned long long)maxsize);
        if (rsize - hot_bytes < maxsize)
            return fail(why, whylen, "hot.fraction: the cold part (%llu bytes) holds no I/O of %llu bytes",
                        (unsigned long long)(rsize - hot_bytes), (unsigned long long)maxsize);
    }
    if (p->pattern == SS_PAT_ZIPF && !(p->zipf_s > 0 && isfinite(p->zipf_s)))
        return fail(why, whylen, "zipf.s: expected a number > 0, found %g", p->zipf_s);
    if (p->has_profile)
        for (int h = 0; h < 24; h++)
            if (!in_closed(p->profile[h], 0, HUGE_VAL) || isinf(p->profile[h]))
                return fail(why, whylen, "profile[%d]: expected a number >= 0, found %g",
                            h + 1, p->profile[h]);

    ss_workload *wl = calloc(1, sizeof *wl);
    if (!wl) return fail(why, whylen, "workload: out of memory");
    wl->p = *p;
    wl->roff = p->region_offset;
    wl->rsize = rsize;
    wl->hot_bytes = hot_bytes;

    if (p->nsizes == 1) {
        wl->nsel = 1;
        wl->cum[0] = 1;
        wl->mean_size = (double)p->sizes[0];
    } else {
        double acc = 0, msum = 0;
        for (int i = 0; i < p->nsizes; i++) {
            acc += p->weights[i];
            wl->cum[i] = acc / wsum;
            msum += p->weights[i] * (double)p->sizes[i];
            if (p->weights[i] > 0) wl->nsel = i + 1;
        }
        wl->mean_size = msum / wsum;
    }
    /* The bound on I/Os per simulated second (snapsim/limits.h), at the
     * peak of the daily profile. */
    double peak = 1;
    if (p->has_profile) {
        peak = 0;
        for (int h = 0; h < 24; h++) peak = p->profile[h] > peak ? p->profile[h] : peak;
    }
    double iops = ss_workload_iops(wl) * peak;
    if (iops > SS_MAX_IOPS) {
        free(wl);
        return fail(why, whylen, "%s: %.4g I/Os per simulated second%s is more than the simulator's bound of %.0e "
                    "(README.md, Limits)", p->iops > 0 ? "iops" : "rate", iops,
                    p->has_profile ? " at the profile's peak" : "", SS_MAX_IOPS);
    }
    for (int i = 0; i < p->nsizes; i++) {
        ss_wl_size *sz = &wl->size[i];
        sz->len = p->sizes[i];
        if (p->pattern == SS_PAT_HOTSPOT) {
            slots_init(&sz->main, hot_bytes / sz->len);
            slots_init(&sz->cold, (rsize - hot_bytes) / sz->len);
        } else {
            slots_init(&sz->main, rsize / sz->len);
        }
        if (p->pattern == SS_PAT_ZIPF) zipf_init(&sz->z, sz->main.n, p->zipf_s);
    }
    return wl;
}

void ss_workload_free(ss_workload *wl)
{
    free(wl);
}

const ss_workload_params *ss_workload_params_of(const ss_workload *wl)
{
    return &wl->p;
}

/* ------------------------------------------------------------------ */
/* Drawing */

void ss_workload_next(ss_workload *wl, gsl_rng *rng, ss_io *io)
{
    io->du = wl->p.arrivals == SS_ARR_POISSON ? gsl_ran_exponential(rng, 1.0) : 1.0;
    io->is_read = wl->p.read_ratio > 0 && gsl_rng_uniform(rng) < wl->p.read_ratio;

    const ss_wl_size *sz = &wl->size[0];
    if (wl->p.nsizes > 1) {
        double u = gsl_rng_uniform(rng);
        int i = 0;
        /* The last drawable size takes any u that rounding left above cum. */
        while (i < wl->nsel - 1 && u >= wl->cum[i]) i++;
        sz = &wl->size[i];
    }
    uint64_t len = sz->len;
    io->len = len;

    switch (wl->p.pattern) {
    case SS_PAT_UNIFORM:
        io->offset = wl->roff + slots_draw(&sz->main, rng) * len;
        break;
    case SS_PAT_SEQUENTIAL:
        if (len > wl->rsize - wl->seq_pos) wl->seq_pos = 0;
        io->offset = wl->roff + wl->seq_pos;
        wl->seq_pos += len;
        break;
    case SS_PAT_HOTSPOT:
        if (gsl_rng_uniform(rng) < wl->p.hot_share)
            io->offset = wl->roff + slots_draw(&sz->main, rng) * len;
        else
            io->offset = wl->roff + wl->hot_bytes + slots_draw(&sz->cold, rng) * len;
        break;
    case SS_PAT_ZIPF: {
        uint64_t r = zipf_rank(&sz->z, rng);
        io->offset = wl->roff + mulmod(sz->z.a, r - 1, sz->main.n) * len;
        break;
    }
    }
}

void ss_workload_shape_of(const ss_workload *wl, ss_workload_shape *out)
{
    memset(out, 0, sizeof *out);
    out->pattern = wl->p.pattern;
    out->roff = wl->roff;
    out->rsize = wl->rsize;
    out->hot_bytes = wl->hot_bytes;
    out->nsizes = wl->p.nsizes;
    for (int i = 0; i < wl->p.nsizes; i++) {
        out->sizes[i] = wl->p.sizes[i];
        out->prob[i] = i >= wl->nsel ? 0 : wl->cum[i] - (i ? wl->cum[i - 1] : 0);
    }
}

double ss_workload_mean_size(const ss_workload *wl)
{
    return wl->mean_size;
}

double ss_workload_iops(const ss_workload *wl)
{
    return wl->p.iops > 0 ? wl->p.iops : wl->p.rate / wl->mean_size;
}

double ss_workload_rate(const ss_workload *wl)
{
    return wl->p.rate > 0 ? wl->p.rate : wl->p.iops * wl->mean_size;
}

double ss_workload_profile_at(const ss_workload *wl, double t_s)
{
    if (!wl->p.has_profile) return 1;
    double h = fmod(floor(t_s / 3600), 24);
    if (h < 0) h += 24;
    if (!(h >= 0 && h < 24)) h = 0;   /* NaN or infinite time */
    return wl->p.profile[(int)h];
}
