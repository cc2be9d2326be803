/*
 * test_grainset.c -- grain sets (sim/grainset.c) against hand-computed
 * values and against a naive reference (a sorted array of indices).
 */
#include "testlib.h"

#include "snapsim/grainset.h"

#define P40 ((uint64_t)1 << 40)
#define P63 ((uint64_t)1 << 63)

/* ---- reference: a sorted array without duplicates --------------------- */

typedef struct { uint64_t *v; size_t n, cap; } ref;

static void ref_push(ref *r, uint64_t g)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        if (!r->v) abort();
    }
    r->v[r->n++] = g;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void ref_norm(ref *r)
{
    if (!r->n) return;
    qsort(r->v, r->n, sizeof *r->v, cmp_u64);
    size_t j = 1;
    for (size_t i = 1; i < r->n; i++)
        if (r->v[i] != r->v[j - 1]) r->v[j++] = r->v[i];
    r->n = j;
}

static int ref_has(const ref *r, uint64_t g)
{
    return r->n && bsearch(&g, r->v, r->n, sizeof g, cmp_u64) != NULL;
}

/* op 0: a \ b, op 1: a | b (both normalised). */
static ref ref_op(const ref *a, const ref *b, int op)
{
    ref o = {0};
    for (size_t i = 0; i < a->n; i++)
        if (op == 1 || !ref_has(b, a->v[i])) ref_push(&o, a->v[i]);
    if (op == 1)
        for (size_t i = 0; i < b->n; i++) ref_push(&o, b->v[i]);
    ref_norm(&o);
    return o;
}

static uint64_t ref_regions(const ref *r, unsigned s)
{
    uint64_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += i == 0 || r->v[i] >> s != r->v[i - 1] >> s;
    return n;
}

/* ---- helpers ---------------------------------------------------------- */

struct runs { uint64_t first[64], n[64]; int k, stop_after; };

static int collect(void *ctx, uint64_t first, uint64_t n)
{
    struct runs *r = ctx;
    if (r->k < 64) { r->first[r->k] = first; r->n[r->k] = n; }
    r->k++;
    return r->stop_after && r->k == r->stop_after ? 7 : 0;
}

/* foreach_run must yield exactly the maximal runs of the reference. */
struct runcheck { const ref *r; size_t i; int bad; };

static int runcheck_fn(void *ctx, uint64_t first, uint64_t n)
{
    struct runcheck *c = ctx;
    const ref *r = c->r;
    if (c->i >= r->n || r->v[c->i] != first || (c->i > 0 && r->v[c->i - 1] + 1 == first)) {
        c->bad = 1;
        return 1;
    }
    for (uint64_t k = 0; k < n; k++, c->i++)
        if (c->i >= r->n || r->v[c->i] != first + k) { c->bad = 1; return 1; }
    if (c->i < r->n && r->v[c->i] == first + n) c->bad = 1; /* not maximal */
    return c->bad;
}

static uint64_t rng_state;
static uint64_t rnd(void) /* splitmix64: fixed seed, reproducible */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* gs must equal r: count, regions, membership samples, runs. */
static void check_same(const ss_grainset *gs, const ref *r, int line)
{
    int before = tl_failures;
    CHECK_EQ_U(ss_gs_count(gs), r->n);
    CHECK_EQ_U(ss_gs_regions(gs), ref_regions(r, ss_gs_region_shift(gs)));
    for (size_t i = 0; i < r->n; i += 1 + r->n / 500) {
        CHECK(ss_gs_has(gs, r->v[i]));
        if (r->v[i] + 1 != 0) CHECK_EQ_I(ss_gs_has(gs, r->v[i] + 1), ref_has(r, r->v[i] + 1));
        if (r->v[i] != 0) CHECK_EQ_I(ss_gs_has(gs, r->v[i] - 1), ref_has(r, r->v[i] - 1));
    }
    struct runcheck c = { r, 0, 0 };
    ss_gs_foreach_run(gs, runcheck_fn, &c);
    CHECK(!c.bad);
    CHECK_EQ_U(c.i, r->n);
    if (tl_failures != before) fprintf(stderr, "  (from line %d)\n", line);
}

/* Fills gs and r with a random set of the given shape:
 * 0 empty, 1 dense window (bitmap leaves), 2 sparse over 2^40 (array
 * leaves), 3 near 0 and near 2^40 and 2^63, 4 random ranges, 5 mixed dense
 * window in [0, 2^20) with singles and ranges, 6 ~190 singles per leaf
 * over 16 leaves (arrays that turn into bitmaps when two are merged). */
static void fill(ss_grainset *gs, ref *r, int shape, int n)
{
    for (int i = 0; i < n && shape; i++) {
        uint64_t g, len = 1;
        switch (shape) {
        case 1: g = 3 * 65536 + rnd() % 400000; break;
        case 2: g = rnd() % P40; break;
        case 3: g = (rnd() % 3 == 0 ? 0 : rnd() % 2 ? P40 : P63) + rnd() % 100000; break;
        case 4: g = rnd() % 1000000; len = 1 + rnd() % 300; break;
        case 6: g = rnd() % ((uint64_t)1 << 20); break;
        default: g = rnd() % ((uint64_t)1 << 20); len = rnd() % 8 ? 1 : 1 + rnd() % 700; break;
        }
        uint64_t before = ss_gs_count(gs);
        uint64_t added = ss_gs_add_range(gs, g, len);
        CHECK_EQ_U(ss_gs_count(gs), before + added);
        for (uint64_t k = 0; k < len; k++) ref_push(r, g + k);
    }
    ref_norm(r);
}

/* ---- tests ------------------------------------------------------------ */

static void t_small(void)
{
    ss_grainset *gs = ss_gs_new(0);
    CHECK_EQ_U(ss_gs_count(gs), 0);
    CHECK_EQ_U(ss_gs_add(gs, 5), 1);
    CHECK_EQ_U(ss_gs_add(gs, 5), 0);
    CHECK_EQ_U(ss_gs_add(gs, 7), 1);
    CHECK_EQ_U(ss_gs_count(gs), 2);
    CHECK(ss_gs_has(gs, 5) && ss_gs_has(gs, 7) && !ss_gs_has(gs, 6) && !ss_gs_has(gs, 1000000));
    /* [4, 9) = 4..8; 5 and 7 already held: adds 4, 6, 8 */
    CHECK_EQ_U(ss_gs_add_range(gs, 4, 5), 3);
    CHECK_EQ_U(ss_gs_count(gs), 5);
    CHECK_EQ_U(ss_gs_regions(gs), 5); /* region_shift 0: one region per grain */
    CHECK_EQ_U(ss_gs_add_range(gs, 4, 0), 0);
    CHECK_EQ_U(ss_gs_region_shift(gs), 0);
    ss_gs_free(gs);
    CHECK(ss_gs_new(21) == NULL);
    ss_gs_free(NULL);
}

/* The grains {0,1,63,64,4095,4096,65535,65536,2^20,2^20+5}; regions counted
 * by hand as the distinct values of g >> s. */
static void t_regions_hand(void)
{
    static const uint64_t g[] = { 0, 1, 63, 64, 4095, 4096, 65535, 65536, 1048576, 1048581 };
    static const struct { unsigned s; uint64_t regions; } want[] = {
        { 0, 10 },
        { 3, 8 },  /* 0,7,8,511,512,8191,8192,131072 */
        { 6, 7 },  /* 0,1,63,64,1023,1024,16384 */
        { 12, 5 }, /* 0,1,15,16,256 */
        { 16, 3 }, /* 0,1,16 */
        { 17, 2 }, /* 0,8 */
        { 20, 2 }, /* 0,1 */
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        ss_grainset *gs = ss_gs_new(want[k].s);
        for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) CHECK_EQ_U(ss_gs_add(gs, g[i]), 1);
        CHECK_EQ_U(ss_gs_count(gs), 10);
        CHECK_EQ_U(ss_gs_regions(gs), want[k].regions);
        ss_gs_free(gs);
    }
    /* A 300-grain range [200000, 200300) makes a bitmap leaf (> 256).
     * s=3: 200000/8 = 25000 .. 200299/8 = 25037 -> 38 regions;
     * s=6: 200000/64 = 3125 .. 200299/64 = 3129 -> 5 regions. */
    ss_grainset *a = ss_gs_new(3), *b = ss_gs_new(6);
    CHECK_EQ_U(ss_gs_add_range(a, 200000, 300), 300);
    CHECK_EQ_U(ss_gs_add_range(b, 200000, 300), 300);
    CHECK_EQ_U(ss_gs_regions(a), 38);
    CHECK_EQ_U(ss_gs_regions(b), 5);
    /* single grains through the bitmap fast path: 200400 (s=3: 25050, new;
     * s=6: 3131, new), 200301 (s=3: 25037 held; s=6: 3129 held) */
    CHECK_EQ_U(ss_gs_add(a, 200400), 1);
    CHECK_EQ_U(ss_gs_add(b, 200400), 1);
    CHECK_EQ_U(ss_gs_add(a, 200301), 1);
    CHECK_EQ_U(ss_gs_add(b, 200301), 1);
    CHECK_EQ_U(ss_gs_regions(a), 39);
    CHECK_EQ_U(ss_gs_regions(b), 6);
    ss_gs_free(a);
    ss_gs_free(b);
}

/* Ranges crossing leaf (65536) and region boundaries. */
static void t_range_boundaries(void)
{
    /* [65530, 65550): 20 grains across the first leaf boundary.
     * s=4: 65530>>4 = 4095, 65549>>4 = 4096 -> 2; s=12: 15, 16 -> 2;
     * s=16: 0, 1 -> 2; s=17: 0 -> 1; s=20: 0 -> 1. */
    static const struct { unsigned s; uint64_t r1, r2; } want[] = {
        /* r2: after also adding [100000, 400000) (300000 grains, bitmaps):
         * s=4: 100000>>4 = 6250 .. 399999>>4 = 24999 -> 18750 more;
         * s=12: 24 .. 97 -> 74 more; s=16: 1 .. 6 -> 6, region 1 shared
         * with the first range -> 5 more; s=17: 0 .. 3 -> 3 more (0 shared);
         * s=20: 0 -> 0 more. */
        { 4, 2, 2 + 18750 }, { 12, 2, 2 + 74 }, { 16, 2, 2 + 5 }, { 17, 1, 1 + 3 }, { 20, 1, 1 },
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        ss_grainset *gs = ss_gs_new(want[k].s);
        CHECK_EQ_U(ss_gs_add_range(gs, 65530, 20), 20);
        CHECK_EQ_U(ss_gs_regions(gs), want[k].r1);
        CHECK(ss_gs_has(gs, 65535) && ss_gs_has(gs, 65536) && ss_gs_has(gs, 65549));
        CHECK(!ss_gs_has(gs, 65529) && !ss_gs_has(gs, 65550));
        CHECK_EQ_U(ss_gs_add_range(gs, 100000, 300000), 300000);
        CHECK_EQ_U(ss_gs_count(gs), 300020);
        CHECK_EQ_U(ss_gs_regions(gs), want[k].r2);
        /* overlapping re-add: [399990, 400010) adds only its 10 last grains */
        CHECK_EQ_U(ss_gs_add_range(gs, 399990, 20), 10);
        /* a range spanning three leaves, whole middle leaf included:
         * [2*65536-10, 3*65536+10) = 65556 grains, of which [100000, ...)
         * overlaps everything from 131062 on -> all held except none:
         * it lies inside [100000, 400010), so 0 added. */
        CHECK_EQ_U(ss_gs_add_range(gs, 2 * 65536 - 10, 65556), 0);
        ss_gs_free(gs);
    }
}

/* region_shift > 16: regions span leaves (s=18: 4 leaves per region). */
static void t_regions_wide(void)
{
    ss_grainset *gs = ss_gs_new(18), *x = ss_gs_new(18);
    ss_gs_add(gs, 10);          /* leaf 0, region 0 */
    ss_gs_add(gs, 65536 + 10);  /* leaf 1, region 0 */
    CHECK_EQ_U(ss_gs_regions(gs), 1);
    ss_gs_add(gs, 4 * 65536);   /* leaf 4, region 1 */
    CHECK_EQ_U(ss_gs_regions(gs), 2);
    ss_gs_add(x, 10);
    CHECK_EQ_U(ss_gs_subtract(gs, x), 1);   /* leaf 0 freed, leaf 1 keeps region 0 */
    CHECK_EQ_U(ss_gs_regions(gs), 2);
    ss_gs_clear(x);
    ss_gs_add(x, 65536 + 10);
    CHECK_EQ_U(ss_gs_subtract(gs, x), 1);   /* region 0 now empty */
    CHECK_EQ_U(ss_gs_regions(gs), 1);
    CHECK_EQ_U(ss_gs_count(gs), 1);
    ss_gs_free(gs);
    ss_gs_free(x);
}

/* Randomized: set operations against the reference, fixed seed. */
static void t_random_ops(void)
{
    static const unsigned shifts[] = { 0, 3, 6, 9, 12, 16, 18, 20 };
    static const int shapes[][2] = {
        { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 }, { 2, 2 }, { 1, 2 }, { 3, 3 },
        { 4, 4 }, { 5, 5 }, { 4, 1 }, { 5, 1 }, { 3, 2 }, { 5, 4 }, { 6, 6 }, { 6, 1 }, { 1, 6 },
    };
    rng_state = 12345;
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        for (size_t hi = 0; hi < sizeof shifts / sizeof shifts[0]; hi++) {
            unsigned s = shifts[hi];
            ss_grainset *a = ss_gs_new(s), *b = ss_gs_new(s);
            ref ra = {0}, rb = {0};
            fill(a, &ra, shapes[si][0], 3000);
            fill(b, &rb, shapes[si][1], 3000);
            check_same(a, &ra, __LINE__);
            check_same(b, &rb, __LINE__);

            ref amb = ref_op(&ra, &rb, 0), bma = ref_op(&rb, &ra, 0), aub = ref_op(&ra, &rb, 1);
            CHECK_EQ_U(ss_gs_count_andnot(a, b), amb.n);
            CHECK_EQ_U(ss_gs_count_andnot(b, a), bma.n);
            CHECK_EQ_U(ss_gs_count_andnot(a, a), 0);

            ss_grainset *u = ss_gs_copy(a);
            check_same(u, &ra, __LINE__);
            uint64_t before = ss_gs_count_andnot(b, u);
            CHECK_EQ_U(ss_gs_union(u, b), before);
            check_same(u, &aub, __LINE__);
            CHECK_EQ_U(ss_gs_union(u, b), 0);       /* idempotent */
            CHECK_EQ_U(ss_gs_union(u, u), 0);

            ss_grainset *d = ss_gs_copy(a);
            CHECK_EQ_U(ss_gs_subtract(d, b), ra.n - amb.n);
            check_same(d, &amb, __LINE__);
            CHECK_EQ_U(ss_gs_count_andnot(d, b), amb.n);
            /* (a \ b) | b == a | b */
            ss_gs_union(d, b);
            check_same(d, &aub, __LINE__);
            /* u \ u == {} */
            CHECK_EQ_U(ss_gs_subtract(u, u), aub.n);
            CHECK_EQ_U(ss_gs_count(u), 0);
            CHECK_EQ_U(ss_gs_regions(u), 0);
            /* identical sets: a \ copy(a) is empty, union adds nothing */
            ss_grainset *c = ss_gs_copy(a);
            CHECK_EQ_U(ss_gs_count_andnot(a, c), 0);
            CHECK_EQ_U(ss_gs_union(c, a), 0);
            CHECK_EQ_U(ss_gs_subtract(c, a), ra.n);
            ref empty = {0};
            check_same(c, &empty, __LINE__);

            ss_gs_free(a); ss_gs_free(b); ss_gs_free(u); ss_gs_free(d); ss_gs_free(c);
            free(ra.v); free(rb.v); free(amb.v); free(bma.v); free(aub.v);
        }
    }
}

/* Union and subtract between sets of different region shifts: each keeps
 * its own region count. */
static void t_mixed_shifts(void)
{
    rng_state = 777;
    ss_grainset *a = ss_gs_new(3), *b = ss_gs_new(12);
    ref ra = {0}, rb = {0};
    fill(a, &ra, 5, 4000);
    fill(b, &rb, 1, 4000);
    ref aub = ref_op(&ra, &rb, 1), bma = ref_op(&rb, &ra, 0);
    ss_grainset *u = ss_gs_copy(a);
    CHECK_EQ_U(ss_gs_union(u, b), bma.n);
    check_same(u, &aub, __LINE__);
    ss_grainset *v = ss_gs_copy(b);
    ss_gs_union(v, a);
    check_same(v, &aub, __LINE__);
    ss_gs_subtract(v, a);
    check_same(v, &bma, __LINE__);
    ss_gs_free(a); ss_gs_free(b); ss_gs_free(u); ss_gs_free(v);
    free(ra.v); free(rb.v); free(aub.v); free(bma.v);
}

/* Array leaves (<= 256 grains) turn into bitmaps and back. */
static void t_leaf_kinds(void)
{
    ss_grainset *gs = ss_gs_new(6), *odd = ss_gs_new(6);
    for (uint64_t i = 0; i < 256; i++) CHECK_EQ_U(ss_gs_add(gs, 2 * i), 1);
    size_t m_array = ss_gs_memory(gs);
    CHECK_EQ_U(ss_gs_add(gs, 1), 1);      /* 257th grain: becomes a bitmap */
    size_t m_bitmap = ss_gs_memory(gs);
    CHECK(m_bitmap >= m_array + 8192 - 512);
    CHECK_EQ_U(ss_gs_count(gs), 257);
    CHECK_EQ_U(ss_gs_regions(gs), 8);     /* grains 0..510: 511/64 -> regions 0..7 */
    CHECK_EQ_U(ss_gs_add(gs, 2), 0);
    /* remove the 200 grains 2*i for i in [56, 256): 57 left, <= 128 */
    for (uint64_t i = 56; i < 256; i++) ss_gs_add(odd, 2 * i);
    CHECK_EQ_U(ss_gs_subtract(gs, odd), 200);
    CHECK_EQ_U(ss_gs_count(gs), 57);
    CHECK_EQ_U(ss_gs_regions(gs), 2);     /* 0..110: regions 0, 1 */
    CHECK(ss_gs_memory(gs) < m_array);    /* back to a small array */
    CHECK(ss_gs_has(gs, 110) && ss_gs_has(gs, 1) && !ss_gs_has(gs, 112));
    /* the array keeps the leaf's region count: add 1000 (region 15), then
     * remove everything through a copy: 0 regions must remain */
    CHECK_EQ_U(ss_gs_add(gs, 1000), 1);
    CHECK_EQ_U(ss_gs_regions(gs), 3);
    ss_grainset *all = ss_gs_new(6);
    ss_gs_add_range(all, 0, 2000);
    CHECK_EQ_U(ss_gs_subtract(gs, all), 58);
    CHECK_EQ_U(ss_gs_regions(gs), 0);
    CHECK_EQ_U(ss_gs_count(gs), 0);
    ss_gs_free(all);
    ss_gs_free(gs);
    ss_gs_free(odd);
}

static void t_copy_clear(void)
{
    ss_grainset *a = ss_gs_new(9);
    ss_gs_add_range(a, 1000, 5000);
    ss_gs_add(a, P40);
    ss_grainset *c = ss_gs_copy(a);
    CHECK_EQ_U(ss_gs_count(c), 5001);
    CHECK_EQ_U(ss_gs_regions(c), ss_gs_regions(a));
    CHECK_EQ_U(ss_gs_memory(c), ss_gs_memory(a));
    ss_gs_add(c, 7);
    CHECK(!ss_gs_has(a, 7));               /* independent */
    CHECK_EQ_U(ss_gs_count(a), 5001);
    ss_grainset *e = ss_gs_new(9);
    ss_gs_clear(a);
    CHECK_EQ_U(ss_gs_count(a), 0);
    CHECK_EQ_U(ss_gs_regions(a), 0);
    CHECK_EQ_U(ss_gs_memory(a), ss_gs_memory(e));
    CHECK(!ss_gs_has(a, 1000) && !ss_gs_has(a, P40));
    CHECK_EQ_U(ss_gs_add(a, 1000), 1);     /* usable after clear */
    CHECK_EQ_U(ss_gs_count(c), 5002);
    ss_gs_free(a); ss_gs_free(c); ss_gs_free(e);
}

static void t_foreach_run(void)
{
    ss_grainset *gs = ss_gs_new(0);
    ss_gs_add_range(gs, 3, 3);
    ss_gs_add(gs, 10);
    ss_gs_add_range(gs, 65535, 3);       /* crosses a leaf boundary: one run */
    ss_gs_add_range(gs, P40, 3);
    struct runs r = {0};
    CHECK_EQ_I(ss_gs_foreach_run(gs, collect, &r), 0);
    CHECK_EQ_I(r.k, 4);
    CHECK_EQ_U(r.first[0], 3); CHECK_EQ_U(r.n[0], 3);
    CHECK_EQ_U(r.first[1], 10); CHECK_EQ_U(r.n[1], 1);
    CHECK_EQ_U(r.first[2], 65535); CHECK_EQ_U(r.n[2], 3);
    CHECK_EQ_U(r.first[3], P40); CHECK_EQ_U(r.n[3], 3);
    struct runs s = { .stop_after = 2 };
    CHECK_EQ_I(ss_gs_foreach_run(gs, collect, &s), 7);
    CHECK_EQ_I(s.k, 2);
    ss_gs_free(gs);

    /* bitmap leaves: [1000, 6000) plus 6000 (adjacent: merges) and 6002;
     * a run over a whole leaf: [2*65536 - 10, 4*65536 + 10). */
    gs = ss_gs_new(12);
    ss_gs_add_range(gs, 1000, 5000);
    ss_gs_add(gs, 6000);
    ss_gs_add(gs, 6002);
    ss_gs_add_range(gs, 2 * 65536 - 10, 2 * 65536 + 20);
    struct runs t = {0};
    ss_gs_foreach_run(gs, collect, &t);
    CHECK_EQ_I(t.k, 3);
    CHECK_EQ_U(t.first[0], 1000); CHECK_EQ_U(t.n[0], 5001);
    CHECK_EQ_U(t.first[1], 6002); CHECK_EQ_U(t.n[1], 1);
    CHECK_EQ_U(t.first[2], 2 * 65536 - 10); CHECK_EQ_U(t.n[2], 2 * 65536 + 20);
    ss_gs_free(gs);

    struct runs z = {0};
    gs = ss_gs_new(0);
    CHECK_EQ_I(ss_gs_foreach_run(gs, collect, &z), 0);
    CHECK_EQ_I(z.k, 0);
    ss_gs_free(gs);
}

/* Memory follows what was written, not the disk's size. */
static void t_memory(void)
{
    ss_grainset *gs = ss_gs_new(12);
    CHECK(ss_gs_memory(gs) <= 256);       /* empty: the struct only */
    /* one grain at 2^40: key 2^24 needs a 3-level tree (9 bits a level):
     * 3 nodes x 4 KiB + a small array leaf + the struct, < 16 KiB */
    ss_gs_add(gs, P40);
    CHECK(ss_gs_memory(gs) < 16384);
    CHECK(ss_gs_memory(gs) > 3 * 4096);
    ss_gs_clear(gs);
    /* one grain at 2^63: key 2^47, 6 levels: 24 KiB + small, < 64 KiB */
    ss_gs_add(gs, P63);
    CHECK(ss_gs_memory(gs) < 65536);
    ss_gs_free(gs);
    /* 1000 random grains on a 100 GiB disk at 4 KiB grains (26,214,400
     * grains = 400 leaves): <= 400 array leaves of 16 B + 2*cap, cap <=
     * max(4, 2*count): <= 400*24 + 4*1000 bytes + one 4 KiB node, < 24 KiB
     * (a flat bitmap would be 3.2 MB). */
    rng_state = 99;
    gs = ss_gs_new(8);
    for (int i = 0; i < 1000; i++) ss_gs_add(gs, rnd() % 26214400);
    CHECK(ss_gs_memory(gs) < 24576);
    ss_gs_free(gs);
}

/* Indices span all 64 bits; a range running past 2^64 - 1 is clamped. */
static void t_huge(void)
{
    ss_grainset *gs = ss_gs_new(20);
    CHECK_EQ_U(ss_gs_add_range(gs, P63, 10), 10);
    CHECK(ss_gs_has(gs, P63) && ss_gs_has(gs, P63 + 9) && !ss_gs_has(gs, P63 + 10));
    CHECK_EQ_U(ss_gs_add_range(gs, UINT64_MAX - 4, 10), 5);   /* [2^64-5, 2^64) */
    CHECK(ss_gs_has(gs, UINT64_MAX));
    CHECK_EQ_U(ss_gs_count(gs), 15);
    CHECK_EQ_U(ss_gs_regions(gs), 2);     /* 2^43 and 2^44-1 */
    CHECK_EQ_U(ss_gs_add(gs, 0), 1);
    CHECK_EQ_U(ss_gs_regions(gs), 3);
    struct runs r = {0};
    ss_gs_foreach_run(gs, collect, &r);
    CHECK_EQ_I(r.k, 3);
    CHECK_EQ_U(r.first[0], 0);
    CHECK_EQ_U(r.first[1], P63); CHECK_EQ_U(r.n[1], 10);
    CHECK_EQ_U(r.first[2], UINT64_MAX - 4); CHECK_EQ_U(r.n[2], 5);
    ss_grainset *c = ss_gs_copy(gs);
    CHECK_EQ_U(ss_gs_count_andnot(c, gs), 0);
    CHECK_EQ_U(ss_gs_subtract(c, gs), 16);
    ss_gs_free(c);
    ss_gs_free(gs);
}

/* count_range: grains 10..19, 65530..65545 (crossing a 2^16 block), a
 * full block [131072, 196608), and one grain at 2^40. */
static void t_count_range(void)
{
    ss_grainset *gs = ss_gs_new(12);
    ss_gs_add_range(gs, 10, 10);
    ss_gs_add_range(gs, 65530, 16);
    ss_gs_add_range(gs, 131072, 65536);
    ss_gs_add(gs, (uint64_t)1 << 40);
    CHECK_EQ_U(ss_gs_count_range(gs, 0, 10), 0);
    CHECK_EQ_U(ss_gs_count_range(gs, 0, 11), 1);
    CHECK_EQ_U(ss_gs_count_range(gs, 15, 100), 5);
    CHECK_EQ_U(ss_gs_count_range(gs, 65535, 2), 2);          /* across the block edge */
    CHECK_EQ_U(ss_gs_count_range(gs, 65520, 40), 16);
    CHECK_EQ_U(ss_gs_count_range(gs, 131072, 65536), 65536); /* a whole block by its count */
    CHECK_EQ_U(ss_gs_count_range(gs, 131000, 65700), 65536);
    CHECK_EQ_U(ss_gs_count_range(gs, 0, 1000000), 10 + 16 + 65536);
    CHECK_EQ_U(ss_gs_count_range(gs, ((uint64_t)1 << 40) - 5, 10), 1);
    CHECK_EQ_U(ss_gs_count_range(gs, UINT64_MAX - 3, 10), 0); /* clamped at 2^64 */
    ss_gs_free(gs);
}

static const struct tl_test tl_tests[] = {
    TL(t_small), TL(t_regions_hand), TL(t_range_boundaries), TL(t_regions_wide),
    TL(t_random_ops), TL(t_mixed_shifts), TL(t_leaf_kinds), TL(t_copy_clear),
    TL(t_foreach_run), TL(t_memory), TL(t_huge), TL(t_count_range), {0},
};

int main(int c, char **v) { return tl_main(tl_tests, c, v); }
