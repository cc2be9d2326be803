/*
 * grainset.c -- sets of 64-bit grain indices, one per delta file (see
 * include/snapsim/grainset.h for the contract).
 *
 * Structure.  A grain index g splits into a 48-bit leaf key (g >> 16) and a
 * 16-bit offset.  Leaves are found through a radix tree of 512-way nodes
 * (4 KiB each) whose height grows with the largest key: a 100 GiB disk at
 * 4 KiB grains (400 leaves) needs one node, at 512 B grains (3200 leaves)
 * two levels, 64 TiB at 512 B three; a grain at 2^40 costs three nodes, one
 * at 2^63 six.  Nothing is allocated for keys never touched, so an empty set
 * is just the struct and memory follows what was written.  A leaf is either
 *   - an ARRAY: sorted 16-bit offsets, at most ARR_MAX of them (sparse
 *     leaves: one random write costs ~2 bytes, not 8 KiB), or
 *   - a BITMAP of 2^16 bits (8 KiB) plus, when 6 <= region_shift <= 16, a
 *     mask of the leaf's touched regions (<= 128 bytes, placed before the
 *     bits so the header, mask and count share the first cache lines).
 * A one-slot cache (last key -> its slot in the tree) serves clustered
 * writes without walking the tree.
 *
 * Measured (bench/bench_grainset.c; 2-core VM shared with other jobs, so
 * best of 3 with spreads of 5-50%; 10^7 uniform random 4 KiB writes on a
 * 100 GiB disk, one gsl mt19937 uniform_int draw each):
 *                      flat bitmap   grainset    CRoaring 0.2.66
 *   4 KiB grains (1/write)  63-67 M/s   36-38 M/s   9.3 M/s
 *   512 B grains (8/write)  32-45 M/s   14-17 M/s   2.3 M/s
 *   count_andnot, 2 x 10^6 grains    0.46 ms     9.3 ms
 *   union,        2 x 10^6 grains    0.36 ms     2.3 ms
 *   count_andnot / union, 2 x 10^7   0.44 / 0.58 ms   1.4 / 1.4 ms
 *   memory, 10^3 random grains       13 KB       5 KB portable, 30 KB heap
 *   memory, 10^6 / 10^7 random       3.3 / 3.3 MB    2.0 / 3.3 MB
 *   memory, 10 GiB contiguous        342 KB      0.6 KB (run containers)
 * So grainset is within 2x of the flat bitmap at 4 KiB grains (ratio
 * 0.53-0.60) and 4-7x faster than CRoaring on writes; at 512 B grains it is
 * 2.3-2.5x off the flat bitmap: 3200 leaves over 26 MB, so the tree walk and
 * leaf header add cache/TLB misses that the flat array does not have
 * (removing the header access altogether did not measurably help, nor did
 * tagging the leaf kind into the pointer).  CRoaring also lacks 64-bit
 * indices here (no roaring64 in C in 0.2.66, and a 64 TiB disk at 512 B
 * grains has 2^37 of them) and region counts.  It wins on memory for runs
 * (we have no run leaves) and between ~256 and 4096 grains per 2^16 block
 * (its arrays go to 4096).  ARR_MAX: with 4096 instead of 256, writes were
 * 1.5-2x slower (memmove in the fill phase), set ops on array leaves 50-100x
 * slower (38 ms vs 0.7 ms for 2 x 10^6), and memory no smaller (array
 * capacity doubles to 4096 entries = 8 KiB anyway); 1024 was no better.
 *
 * Invariants:
 *   - every leaf in the tree holds >= 1 grain (a leaf emptied by subtract is
 *     freed), so "leaf present" == "leaf non-empty";
 *   - gs->count = sum of leaf->count;
 *   - region_shift <= 16: leaf->nreg = regions of that leaf holding a grain,
 *     gs->regions = sum of leaf->nreg (a region never spans leaves);
 *     region_shift > 16: leaf->nreg = 0 and gs->regions = number of distinct
 *     key >> (region_shift - 16) among present leaves;
 *   - bitmap leaves with a region mask: bit r set <=> region r non-empty;
 *   - gs->mem = bytes requested from malloc for the struct, nodes, leaves.
 * Nodes are only freed by clear/free, so a cached slot stays valid until then
 * (its leaf may be NULL).
 */
#include <stdlib.h>
#include <string.h>

#include "snapsim/grainset.h"

#define LEAF_SHIFT 16
#define LEAF_GRAINS ((uint32_t)1 << LEAF_SHIFT)
#define LEAF_OFF(g) ((uint32_t)((g) & (LEAF_GRAINS - 1)))
#define LEAF_WORDS (LEAF_GRAINS / 64)
/* An array leaf turns into a bitmap past ARR_MAX entries (512 bytes).  Far
 * below roaring's 4096: inserting in a sorted array costs a memmove, and a
 * smaller array keeps the fill phase of uniform random writes cheap; see
 * the measurements above.  A bitmap shrinks back to an array at ARR_MAX/2
 * (hysteresis, so alternating add/subtract does not flap). */
#define ARR_MAX 256u
#define FAN_SHIFT 9
#define FAN (1u << FAN_SHIFT)
#define NO_KEY UINT64_MAX /* keys are < 2^48 */
#define POP(x) ((uint32_t)__builtin_popcountll(x))

/* The build targets baseline x86-64, which has no POPCNT instruction:
 * __builtin_popcountll then becomes a libgcc call, which made the word loops
 * below ~3x slower.  On x86-64 Linux with GCC, the loops are compiled twice
 * and the dynamic loader picks the POPCNT clone when the CPU has it. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(__POPCNT__)
#define WORD_LOOP __attribute__((target_clones("popcnt", "default")))
#else
#define WORD_LOOP
#endif

enum { RM_WORD, RM_MASK, RM_LEAF };  /* region_shift < 6, 6..16, > 16 */
enum { LK_ARRAY, LK_BITMAP };

typedef struct leaf {
    uint32_t count; /* grains held, 1..65536 */
    uint32_t nreg;  /* regions of this leaf touched (region_shift <= 16) */
    uint32_t kind;  /* LK_ARRAY or LK_BITMAP */
    uint32_t cap;   /* LK_ARRAY: entries allocated */
    /* followed by uint16_t entries[cap], or uint64_t rmask[rwords] + words[1024] */
} leaf;

typedef struct node {
    void *c[FAN]; /* children: nodes, or leaves at level 0; NULL = nothing below */
} node;

struct ss_grainset {
    uint64_t count;   /* grains held */
    uint64_t regions; /* regions touched */
    uint64_t ckey;    /* cached leaf key, NO_KEY if none */
    void **cslot;     /* its slot in a level-0 node */
    void *root;       /* a node covering keys [0, 2^(9*height)), or NULL */
    unsigned height;
    unsigned shift;   /* region_shift */
    unsigned rmode;   /* RM_* from shift */
    unsigned rwords;  /* region-mask words in a bitmap leaf (RM_MASK only) */
    size_t mem;
};

#define ARR(l) ((uint16_t *)((l) + 1))
#define RMASK(l) ((uint64_t *)((l) + 1))
#define WORDS(gs, l) ((uint64_t *)((l) + 1) + (gs)->rwords)

static size_t bitmap_size(const ss_grainset *gs)
{
    return sizeof(leaf) + 8 * ((size_t)gs->rwords + LEAF_WORDS);
}

static size_t array_size(uint32_t cap) { return sizeof(leaf) + 2 * (size_t)cap; }

static size_t leaf_size(const ss_grainset *gs, const leaf *l)
{
    return l->kind == LK_BITMAP ? bitmap_size(gs) : array_size(l->cap);
}

/* ---- word loops --------------------------------------------------------- */

/* Popcount without a libgcc call, for the one-word hot path. */
static inline uint32_t pop_swar(uint64_t x)
{
    x -= (x >> 1) & 0x5555555555555555ull;
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (uint32_t)((x * 0x0101010101010101ull) >> 56);
}

/* |a & ~b| over n words. */
WORD_LOOP static uint32_t words_andnot_count(const uint64_t *a, const uint64_t *b, uint32_t n)
{
    uint32_t c = 0;
    for (uint32_t i = 0; i < n; i++)
        c += POP(a[i] & ~b[i]);
    return c;
}

/* d |= s; returns bits newly set. */
WORD_LOOP static uint32_t words_or(uint64_t *d, const uint64_t *s, uint32_t n)
{
    uint32_t c = 0;
    for (uint32_t i = 0; i < n; i++) {
        c += POP(s[i] & ~d[i]);
        d[i] |= s[i];
    }
    return c;
}

/* d &= ~s; returns bits cleared. */
WORD_LOOP static uint32_t words_andnot(uint64_t *d, const uint64_t *s, uint32_t n)
{
    uint32_t c = 0;
    for (uint32_t i = 0; i < n; i++) {
        c += POP(d[i] & s[i]);
        d[i] &= ~s[i];
    }
    return c;
}

/* ---- regions ---------------------------------------------------------- */

/* Bits at the first position of each 2^s-bit group of a word. */
static const uint64_t group_low[6] = {
    ~0ull, 0x5555555555555555ull, 0x1111111111111111ull,
    0x0101010101010101ull, 0x0001000100010001ull, 0x0000000100000001ull,
};

/* Non-empty 2^s-bit groups in x (s < 6): fold each group onto its low bit. */
static inline uint32_t word_regions(uint64_t x, unsigned s)
{
    for (unsigned i = 0; i < s; i++)
        x |= x >> (1u << i);
    return POP(x & group_low[s]);
}

/* Recomputes l->nreg (and the region mask) from l's grains. */
WORD_LOOP static void leaf_recount(const ss_grainset *gs, leaf *l)
{
    uint32_t n = 0;
    unsigned s = gs->shift;
    if (gs->rmode == RM_LEAF) {
        n = 0;
    } else if (l->kind == LK_ARRAY) {
        const uint16_t *a = ARR(l);
        for (uint32_t i = 0; i < l->count; i++)
            n += i == 0 || (a[i] >> s) != (a[i - 1] >> s);
    } else if (gs->rmode == RM_WORD) {
        const uint64_t *w = WORDS(gs, l);
        for (uint32_t i = 0; i < LEAF_WORDS; i++)
            if (w[i]) n += word_regions(w[i], s);
    } else {
        const uint64_t *w = WORDS(gs, l);
        uint64_t *rm = RMASK(l);
        uint32_t per = 1u << (s - 6), nr = LEAF_WORDS / per;
        memset(rm, 0, 8 * (size_t)gs->rwords);
        for (uint32_t r = 0; r < nr; r++) {
            uint64_t any = 0;
            for (uint32_t i = r * per; i < (r + 1) * per; i++)
                any |= w[i];
            if (any) {
                rm[r >> 6] |= 1ull << (r & 63);
                n++;
            }
        }
    }
    l->nreg = n;
}

/* ---- the tree --------------------------------------------------------- */

static void *leaf_get(const ss_grainset *gs, uint64_t key)
{
    if (!gs->root || key >> (FAN_SHIFT * gs->height))
        return NULL;
    const node *p = gs->root;
    for (unsigned l = gs->height - 1; l > 0 && p; l--)
        p = p->c[(key >> (FAN_SHIFT * l)) & (FAN - 1)];
    return p ? p->c[key & (FAN - 1)] : NULL;
}

static node *node_new(ss_grainset *gs)
{
    node *n = calloc(1, sizeof *n);
    if (n)
        gs->mem += sizeof *n;
    return n;
}

/* The slot holding key's leaf, creating the nodes on the way; NULL when out
 * of memory.  Updates the one-slot cache. */
static void **slot_make(ss_grainset *gs, uint64_t key)
{
    if (gs->ckey == key)
        return gs->cslot;
    if (!gs->root) {
        unsigned h = 1;
        while (key >> (FAN_SHIFT * h))
            h++;
        gs->height = h;
    } else {
        while (key >> (FAN_SHIFT * gs->height)) {
            node *n = node_new(gs);
            if (!n)
                return NULL;
            n->c[0] = gs->root;
            gs->root = n;
            gs->height++;
        }
    }
    void **slot = &gs->root;
    for (unsigned l = gs->height; l-- > 0;) {
        node *n = *slot;
        if (!n && !(n = *slot = node_new(gs)))
            return NULL;
        slot = &n->c[(key >> (FAN_SHIFT * l)) & (FAN - 1)];
    }
    gs->ckey = key;
    gs->cslot = slot;
    return slot;
}

/* slot_make's common case inlined: the nodes exist already. */
static inline void **slot_find(ss_grainset *gs, uint64_t key)
{
    if (gs->root && !(key >> (FAN_SHIFT * gs->height))) {
        node *p = gs->root;
        for (unsigned l = gs->height - 1; l > 0 && p; l--)
            p = p->c[(key >> (FAN_SHIFT * l)) & (FAN - 1)];
        if (p) {
            gs->ckey = key;
            return gs->cslot = &p->c[key & (FAN - 1)];
        }
    }
    return NULL; /* the slow path makes the nodes */
}

typedef int (*leaf_fn)(void *ctx, uint64_t key, void **slot);

/* Calls fn on every present leaf below node n, in key order. */
static int walk(node *n, unsigned level, uint64_t prefix, leaf_fn fn, void *ctx)
{
    for (uint32_t i = 0; i < FAN; i++) {
        if (!n->c[i])
            continue;
        uint64_t key = prefix << FAN_SHIFT | i;
        int r = level ? walk(n->c[i], level - 1, key, fn, ctx) : fn(ctx, key, &n->c[i]);
        if (r)
            return r;
    }
    return 0;
}

static int walk_leaves(const ss_grainset *gs, leaf_fn fn, void *ctx)
{
    return gs->root ? walk(gs->root, gs->height - 1, 0, fn, ctx) : 0;
}

static void tree_free(node *n, unsigned level)
{
    for (uint32_t i = 0; i < FAN; i++)
        if (n->c[i]) {
            if (level)
                tree_free(n->c[i], level - 1);
            else
                free(n->c[i]);
        }
    free(n);
}

/* region_shift > 16: does another present leaf share key's region? */
static int region_has_other(const ss_grainset *gs, uint64_t key)
{
    uint64_t m = ((uint64_t)1 << (gs->shift - LEAF_SHIFT)) - 1, base = key & ~m;
    for (uint64_t k = base; k <= base + m; k++)
        if (k != key && leaf_get(gs, k))
            return 1;
    return 0;
}

/* Bookkeeping for a leaf just put in the tree / just about to leave it. */
static void leaf_linked(ss_grainset *gs, uint64_t key, const leaf *l)
{
    gs->count += l->count;
    gs->mem += leaf_size(gs, l);
    if (gs->rmode != RM_LEAF)
        gs->regions += l->nreg;
    else if (!region_has_other(gs, key))
        gs->regions++;
}

static void leaf_unlink(ss_grainset *gs, uint64_t key, void **slot)
{
    leaf *l = *slot;
    gs->count -= l->count;
    gs->mem -= leaf_size(gs, l);
    if (gs->rmode != RM_LEAF)
        gs->regions -= l->nreg;
    free(l);
    *slot = NULL;
    if (gs->rmode == RM_LEAF && !region_has_other(gs, key))
        gs->regions--;
}

/* ---- leaves ----------------------------------------------------------- */

/* Sets bits [lo, hi) of a word array; returns how many were not set. */
WORD_LOOP static uint32_t bits_set(uint64_t *w, uint32_t lo, uint32_t hi)
{
    uint32_t added = 0, i = lo >> 6, last = (hi - 1) >> 6;
    for (; i <= last; i++) {
        uint64_t m = ~0ull;
        if (i == lo >> 6)
            m &= ~0ull << (lo & 63);
        if (i == last)
            m &= ~0ull >> (63 - ((hi - 1) & 63));
        added += POP(m & ~w[i]);
        w[i] |= m;
    }
    return added;
}

/* Adds [lo, hi) to bitmap leaf l; returns grains added. */
static uint32_t bm_add(ss_grainset *gs, leaf *l, uint32_t lo, uint32_t hi)
{
    uint64_t *w = WORDS(gs, l);
    uint32_t added;
    if (gs->rmode == RM_WORD) {
        int64_t dreg = 0;
        added = 0;
        for (uint32_t i = lo >> 6, last = (hi - 1) >> 6; i <= last; i++) {
            uint64_t m = ~0ull, old = w[i];
            if (i == lo >> 6)
                m &= ~0ull << (lo & 63);
            if (i == last)
                m &= ~0ull >> (63 - ((hi - 1) & 63));
            if (m & ~old) {
                added += POP(m & ~old);
                w[i] = old | m;
                dreg += (int64_t)word_regions(old | m, gs->shift) - word_regions(old, gs->shift);
            }
        }
        l->nreg += (uint32_t)dreg;
        gs->regions += (uint64_t)dreg;
    } else {
        added = bits_set(w, lo, hi);
        if (added && gs->rmode == RM_MASK) {
            /* every region meeting [lo, hi) now holds a grain */
            uint32_t d = bits_set(RMASK(l), lo >> gs->shift, ((hi - 1) >> gs->shift) + 1);
            l->nreg += d;
            gs->regions += d;
        }
    }
    l->count += added;
    gs->count += added;
    return added;
}

static leaf *bitmap_new(const ss_grainset *gs)
{
    leaf *l = calloc(1, bitmap_size(gs));
    if (l)
        l->kind = LK_BITMAP;
    return l;
}

static leaf *array_new(uint32_t cap)
{
    leaf *l = malloc(array_size(cap));
    if (l) {
        l->count = l->nreg = 0;
        l->kind = LK_ARRAY;
        l->cap = cap;
    }
    return l;
}

/* Replaces the array leaf in *slot by a bitmap leaf holding the same grains. */
static leaf *to_bitmap(ss_grainset *gs, void **slot)
{
    leaf *a = *slot, *b = bitmap_new(gs);
    if (!b)
        return NULL;
    uint64_t *w = WORDS(gs, b);
    const uint16_t *v = ARR(a);
    for (uint32_t i = 0; i < a->count; i++) {
        w[v[i] >> 6] |= 1ull << (v[i] & 63);
        if (gs->rmode == RM_MASK) {
            uint32_t r = v[i] >> gs->shift;
            RMASK(b)[r >> 6] |= 1ull << (r & 63);
        }
    }
    b->count = a->count;
    b->nreg = a->nreg;
    gs->mem += bitmap_size(gs) - array_size(a->cap);
    free(a);
    *slot = b;
    return b;
}

/* Replaces the bitmap leaf in *slot by an array leaf (best effort). */
static void to_array(ss_grainset *gs, void **slot)
{
    leaf *b = *slot, *a = array_new(b->count);
    if (!a)
        return;
    const uint64_t *w = WORDS(gs, b);
    uint16_t *v = ARR(a);
    uint32_t n = 0;
    for (uint32_t i = 0; i < LEAF_WORDS; i++)
        for (uint64_t x = w[i]; x; x &= x - 1)
            v[n++] = (uint16_t)(i * 64 + (uint32_t)__builtin_ctzll(x));
    a->count = n;
    a->nreg = b->nreg;
    gs->mem -= bitmap_size(gs) - array_size(a->cap);
    free(b);
    *slot = a;
}

/* Adds offset v to the array leaf in *slot, which has room to hold it
 * (count < ARR_MAX).  Returns 1 if added, 0 if held, -1 if out of memory. */
static int arr_add(ss_grainset *gs, void **slot, uint32_t v)
{
    leaf *l = *slot;
    uint16_t *a = ARR(l);
    uint32_t lo = 0, hi = l->count, n = l->count;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (a[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < n && a[lo] == v)
        return 0;
    if (n == l->cap) {
        uint32_t cap = l->cap * 2 < ARR_MAX ? l->cap * 2 : ARR_MAX;
        leaf *g = realloc(l, array_size(cap));
        if (!g)
            return -1;
        gs->mem += array_size(cap) - array_size(g->cap);
        g->cap = cap;
        *slot = l = g;
        a = ARR(l);
    }
    if (gs->rmode != RM_LEAF) {
        unsigned s = gs->shift;
        if (!(lo > 0 && (uint32_t)a[lo - 1] >> s == v >> s) && !(lo < n && (uint32_t)a[lo] >> s == v >> s)) {
            l->nreg++;
            gs->regions++;
        }
    }
    memmove(a + lo + 1, a + lo, 2 * (size_t)(n - lo));
    a[lo] = (uint16_t)v;
    l->count++;
    gs->count++;
    return 1;
}

/* Adds offsets [lo, hi) to the leaf in *slot (maybe none yet).  Returns
 * grains added or -1 when out of memory. */
static int64_t leaf_add(ss_grainset *gs, void **slot, uint64_t key, uint32_t lo, uint32_t hi)
{
    leaf *l = *slot;
    uint32_t len = hi - lo;
    if (!l) {
        if (len <= ARR_MAX) {
            if (!(l = array_new(len < 4 ? 4 : len)))
                return -1;
            for (uint32_t i = 0; i < len; i++)
                ARR(l)[i] = (uint16_t)(lo + i);
            l->count = len;
            l->nreg = gs->rmode == RM_LEAF ? 0 : ((hi - 1) >> gs->shift) - (lo >> gs->shift) + 1;
        } else {
            if (!(l = bitmap_new(gs)))
                return -1;
            l->count = bits_set(WORDS(gs, l), lo, hi);
            leaf_recount(gs, l);
        }
        *slot = l;
        leaf_linked(gs, key, l);
        return len;
    }
    if (l->kind == LK_ARRAY) {
        if (l->count + len <= ARR_MAX) {
            int64_t added = 0;
            for (uint32_t v = lo; v < hi; v++) {
                int r = arr_add(gs, slot, v);
                if (r < 0)
                    return -1;
                added += r;
            }
            return added;
        }
        if (!(l = to_bitmap(gs, slot)))
            return -1;
    }
    return bm_add(gs, l, lo, hi);
}

static int leaf_has(const ss_grainset *gs, const leaf *l, uint32_t v)
{
    if (l->kind == LK_BITMAP)
        return (int)(WORDS(gs, l)[v >> 6] >> (v & 63) & 1);
    const uint16_t *a = ARR(l);
    uint32_t lo = 0, hi = l->count;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (a[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < l->count && a[lo] == v;
}

/* A copy of leaf l of src laid out for dst (their region shifts may differ). */
static leaf *leaf_clone(const ss_grainset *dst, const ss_grainset *src, const leaf *l)
{
    leaf *c;
    if (l->kind == LK_ARRAY) {
        if (!(c = array_new(l->cap)))
            return NULL;
        memcpy(ARR(c), ARR(l), 2 * (size_t)l->count);
    } else {
        if (!(c = bitmap_new(dst)))
            return NULL;
        memcpy(WORDS(dst, c), WORDS(src, l), 8 * (size_t)LEAF_WORDS);
    }
    c->count = l->count;
    if (dst->shift == src->shift) {
        c->nreg = l->nreg;
        if (l->kind == LK_BITMAP)
            memcpy(RMASK(c), RMASK(l), 8 * (size_t)dst->rwords);
    } else {
        leaf_recount(dst, c);
    }
    return c;
}

/* ---- the API ---------------------------------------------------------- */

ss_grainset *ss_gs_new(unsigned region_shift)
{
    if (region_shift > 20)
        return NULL;
    ss_grainset *gs = calloc(1, sizeof *gs);
    if (!gs)
        return NULL;
    gs->ckey = NO_KEY;
    gs->shift = region_shift;
    gs->rmode = region_shift < 6 ? RM_WORD : region_shift <= LEAF_SHIFT ? RM_MASK : RM_LEAF;
    gs->rwords = gs->rmode == RM_MASK ? ((1u << (LEAF_SHIFT - region_shift)) + 63) / 64 : 0;
    gs->mem = sizeof *gs;
    return gs;
}

void ss_gs_clear(ss_grainset *gs)
{
    if (gs->root)
        tree_free(gs->root, gs->height - 1);
    gs->root = NULL;
    gs->height = 0;
    gs->count = gs->regions = 0;
    gs->ckey = NO_KEY;
    gs->cslot = NULL;
    gs->mem = sizeof *gs;
}

void ss_gs_free(ss_grainset *gs)
{
    if (gs) {
        ss_gs_clear(gs);
        free(gs);
    }
}

static node *tree_copy(ss_grainset *dst, const ss_grainset *src, const node *n, unsigned level)
{
    node *c = node_new(dst);
    if (!c)
        return NULL;
    for (uint32_t i = 0; i < FAN; i++) {
        if (!n->c[i])
            continue;
        if (level) {
            if (!(c->c[i] = tree_copy(dst, src, n->c[i], level - 1))) {
                tree_free(c, level);
                return NULL;
            }
        } else {
            const leaf *l = n->c[i];
            if (!(c->c[i] = leaf_clone(dst, src, l))) {
                tree_free(c, level);
                return NULL;
            }
            dst->mem += leaf_size(dst, l);
        }
    }
    return c;
}

ss_grainset *ss_gs_copy(const ss_grainset *gs)
{
    ss_grainset *c = ss_gs_new(gs->shift);
    if (!c)
        return NULL;
    if (gs->root && !(c->root = tree_copy(c, gs, gs->root, gs->height - 1))) {
        free(c);
        return NULL;
    }
    c->height = gs->height;
    c->count = gs->count;
    c->regions = gs->regions;
    return c;
}

/* The general case of ss_gs_add_range: any range, any leaf kind.  Kept out
 * of line so the fast path below needs no register saves. */
static uint64_t add_range_slow(ss_grainset *gs, uint64_t first, uint64_t n)
{
    if (n == 0)
        return 0;
    if (n > UINT64_MAX - first)
        n = UINT64_MAX - first + 1; /* clamp at the end of the index space */
    uint64_t total = 0;
    while (n) {
        uint64_t key = first >> LEAF_SHIFT;
        uint32_t lo = LEAF_OFF(first);
        uint64_t len = LEAF_GRAINS - lo < n ? LEAF_GRAINS - lo : n;
        void **slot = slot_make(gs, key);
        if (!slot)
            return UINT64_MAX;
        int64_t r = leaf_add(gs, slot, key, lo, lo + (uint32_t)len);
        if (r < 0)
            return UINT64_MAX;
        total += (uint64_t)r;
        first += len; /* may wrap to 0 at the very end; n is 0 then */
        n -= len;
    }
    return total;
}

uint64_t ss_gs_add_range(ss_grainset *gs, uint64_t first, uint64_t n)
{
    uint32_t off = LEAF_OFF(first);
    if (n - 1 < 64 - (off & 63)) { /* 1 <= n <= 64 - bit */
        /* Fast path: the range lies in one word.  One 4 KiB write is 1 grain
         * (4 KiB grains) or 8 aligned grains (512 B grains). */
        uint64_t key = first >> LEAF_SHIFT;
        void **slot = gs->ckey == key ? gs->cslot : slot_find(gs, key);
        leaf *l = slot ? *slot : NULL;
        if (l && l->kind == LK_BITMAP) {
            uint64_t *w = WORDS(gs, l) + (off >> 6);
            uint64_t m = (~0ull >> (64 - n)) << (off & 63), old = *w, fresh = m & ~old;
            /* No branch on the loaded word: it is usually a cache miss, and
             * a branch on it (mispredicted whenever the grain is already
             * held) would stall the pipeline instead of letting the next
             * writes' misses overlap.  With the POPCNT fix below, this took
             * 5e7 writes at 4 KiB grains from 1.64 s to 1.26 s. */
            *w = old | m;
            uint32_t added = n == 1 ? (uint32_t)(fresh != 0) : pop_swar(fresh);
            l->count += added;
            gs->count += added;
            if (gs->rmode == RM_MASK) {
                /* a region (>= 64 grains) contains the whole word */
                uint32_t r = off >> gs->shift;
                uint64_t *rm = RMASK(l) + (r >> 6), rb = 1ull << (r & 63);
                uint32_t nr = !(*rm & rb);
                *rm |= rb;
                l->nreg += nr;
                gs->regions += nr;
            } else if (gs->rmode == RM_WORD && added) {
                uint32_t d = word_regions(old | m, gs->shift) - word_regions(old, gs->shift);
                l->nreg += d;
                gs->regions += d;
            }
            return added;
        }
    }
    return add_range_slow(gs, first, n);
}

int ss_gs_has(const ss_grainset *gs, uint64_t g)
{
    const leaf *l = leaf_get(gs, g >> LEAF_SHIFT);
    return l ? leaf_has(gs, l, LEAF_OFF(g)) : 0;
}

uint64_t ss_gs_count(const ss_grainset *gs) { return gs->count; }
uint64_t ss_gs_regions(const ss_grainset *gs) { return gs->regions; }
unsigned ss_gs_region_shift(const ss_grainset *gs) { return gs->shift; }
size_t ss_gs_memory(const ss_grainset *gs) { return gs->mem; }

/* |la \ lb| for leaves of the same key. */
static uint32_t leaf_andnot(const ss_grainset *a, const leaf *la, const ss_grainset *b, const leaf *lb)
{
    uint32_t n = 0;
    if (la->kind == LK_ARRAY) {
        const uint16_t *v = ARR(la);
        for (uint32_t i = 0; i < la->count; i++)
            n += !leaf_has(b, lb, v[i]);
    } else if (lb->kind == LK_ARRAY) {
        const uint16_t *v = ARR(lb);
        n = la->count;
        for (uint32_t i = 0; i < lb->count; i++)
            n -= (uint32_t)leaf_has(a, la, v[i]);
    } else {
        n = words_andnot_count(WORDS(a, la), WORDS(b, lb), LEAF_WORDS);
    }
    return n;
}

struct andnot_ctx { const ss_grainset *a, *b; uint64_t n; };

static int andnot_leaf(void *ctx, uint64_t key, void **slot)
{
    struct andnot_ctx *c = ctx;
    const leaf *la = *slot, *lb = leaf_get(c->b, key);
    c->n += lb ? leaf_andnot(c->a, la, c->b, lb) : la->count;
    return 0;
}

uint64_t ss_gs_count_andnot(const ss_grainset *a, const ss_grainset *b)
{
    if (a == b || a->count == 0)
        return 0;
    if (b->count == 0)
        return a->count;
    struct andnot_ctx c = { a, b, 0 };
    walk_leaves(a, andnot_leaf, &c);
    return c.n;
}

struct union_ctx { ss_grainset *dst; const ss_grainset *src; uint64_t added; };

static int union_leaf(void *ctx, uint64_t key, void **sslot)
{
    struct union_ctx *c = ctx;
    ss_grainset *dst = c->dst;
    const leaf *ls = *sslot;
    void **slot = slot_make(dst, key);
    if (!slot)
        return -1;
    leaf *ld = *slot;
    if (!ld) {
        if (!(ld = leaf_clone(dst, c->src, ls)))
            return -1;
        *slot = ld;
        leaf_linked(dst, key, ld);
        c->added += ld->count;
        return 0;
    }
    if (ls->kind == LK_ARRAY) {
        const uint16_t *v = ARR(ls);
        for (uint32_t i = 0; i < ls->count; i++) {
            int64_t r = leaf_add(dst, slot, key, v[i], v[i] + 1u);
            if (r < 0)
                return -1;
            c->added += (uint64_t)r;
        }
        return 0;
    }
    if (ld->kind == LK_ARRAY && !(ld = to_bitmap(dst, slot)))
        return -1;
    uint32_t added = words_or(WORDS(dst, ld), WORDS(c->src, ls), LEAF_WORDS);
    if (added) {
        ld->count += added;
        dst->count += added;
        c->added += added;
        uint32_t old = ld->nreg;
        if (dst->rmode == RM_MASK && dst->shift == c->src->shift) {
            ld->nreg += words_or(RMASK(ld), RMASK(ls), dst->rwords);
        } else {
            leaf_recount(dst, ld);
        }
        dst->regions += ld->nreg - old;
    }
    return 0;
}

uint64_t ss_gs_union(ss_grainset *dst, const ss_grainset *src)
{
    if (dst == src)
        return 0;
    struct union_ctx c = { dst, src, 0 };
    return walk_leaves(src, union_leaf, &c) ? UINT64_MAX : c.added;
}

struct sub_ctx { ss_grainset *dst; const ss_grainset *src; uint64_t removed; };

static int sub_leaf(void *ctx, uint64_t key, void **slot)
{
    struct sub_ctx *c = ctx;
    ss_grainset *dst = c->dst;
    leaf *ld = *slot;
    const leaf *ls = leaf_get(c->src, key);
    uint32_t removed = 0;
    if (!ls)
        return 0;
    if (ld->kind == LK_ARRAY) {
        uint16_t *v = ARR(ld);
        uint32_t j = 0;
        for (uint32_t i = 0; i < ld->count; i++)
            if (!leaf_has(c->src, ls, v[i]))
                v[j++] = v[i];
        removed = ld->count - j;
    } else if (ls->kind == LK_ARRAY) {
        uint64_t *w = WORDS(dst, ld);
        const uint16_t *v = ARR(ls);
        for (uint32_t i = 0; i < ls->count; i++) {
            uint64_t b = 1ull << (v[i] & 63);
            removed += (w[v[i] >> 6] & b) != 0;
            w[v[i] >> 6] &= ~b;
        }
    } else {
        removed = words_andnot(WORDS(dst, ld), WORDS(c->src, ls), LEAF_WORDS);
    }
    if (!removed)
        return 0;
    c->removed += removed;
    if (removed == ld->count) {
        leaf_unlink(dst, key, slot);
        return 0;
    }
    uint32_t old = ld->nreg;
    ld->count -= removed;
    dst->count -= removed;
    leaf_recount(dst, ld);
    dst->regions -= old - ld->nreg;
    if (ld->kind == LK_BITMAP && ld->count <= ARR_MAX / 2)
        to_array(dst, slot);
    return 0;
}

uint64_t ss_gs_subtract(ss_grainset *dst, const ss_grainset *src)
{
    uint64_t n = dst->count;
    if (dst == src) {
        ss_gs_clear(dst);
        return n;
    }
    if (n == 0 || src->count == 0)
        return 0;
    struct sub_ctx c = { dst, src, 0 };
    walk_leaves(dst, sub_leaf, &c);
    return c.removed;
}

/* ---- runs ------------------------------------------------------------- */

struct run_ctx {
    int (*fn)(void *ctx, uint64_t first, uint64_t n);
    void *ctx;
    const ss_grainset *gs;
    uint64_t first, n; /* pending run, n == 0 if none */
};

/* Extends the pending run by [first, first+n) or flushes it and starts anew. */
static int run_emit(struct run_ctx *rc, uint64_t first, uint64_t n)
{
    if (rc->n && rc->first + rc->n == first) {
        rc->n += n;
        return 0;
    }
    int r = rc->n ? rc->fn(rc->ctx, rc->first, rc->n) : 0;
    rc->first = first;
    rc->n = n;
    return r;
}

/* Next position >= pos whose bit equals `set`, or LEAF_GRAINS. */
static uint32_t next_bit(const uint64_t *w, uint32_t pos, int set)
{
    uint32_t i = pos >> 6;
    if (i >= LEAF_WORDS)
        return LEAF_GRAINS;
    uint64_t flip = set ? 0 : ~0ull, x = (w[i] ^ flip) & (~0ull << (pos & 63));
    while (!x) {
        if (++i == LEAF_WORDS)
            return LEAF_GRAINS;
        x = w[i] ^ flip;
    }
    return i * 64 + (uint32_t)__builtin_ctzll(x);
}

static int run_leaf(void *ctx, uint64_t key, void **slot)
{
    struct run_ctx *rc = ctx;
    const leaf *l = *slot;
    uint64_t base = key << LEAF_SHIFT;
    int r;
    if (l->kind == LK_ARRAY) {
        const uint16_t *v = ARR(l);
        for (uint32_t i = 0, j; i < l->count; i = j) {
            for (j = i + 1; j < l->count && v[j] == v[j - 1] + 1; j++)
                ;
            if ((r = run_emit(rc, base + v[i], j - i)))
                return r;
        }
        return 0;
    }
    const uint64_t *w = WORDS(rc->gs, l);
    for (uint32_t p = next_bit(w, 0, 1); p < LEAF_GRAINS;) {
        uint32_t e = next_bit(w, p, 0);
        if ((r = run_emit(rc, base + p, e - p)))
            return r;
        p = next_bit(w, e, 1);
    }
    return 0;
}

int ss_gs_foreach_run(const ss_grainset *gs, int (*fn)(void *ctx, uint64_t first, uint64_t n), void *ctx)
{
    struct run_ctx rc = { fn, ctx, gs, 0, 0 };
    int r = walk_leaves(gs, run_leaf, &rc);
    if (r)
        return r;
    return rc.n ? fn(ctx, rc.first, rc.n) : 0;
}

/* Grains held in [first, first+n): whole leaves by their counts, partial
 * leaves grain by grain (used on the slow path of a nearly full datastore
 * and for region tests, so partial parts are at most a region). */
uint64_t ss_gs_count_range(const ss_grainset *gs, uint64_t first, uint64_t n)
{
    uint64_t c = 0, end_all = first + n < first ? UINT64_MAX : first + n;
    for (uint64_t g = first; g < end_all;) {
        uint64_t key = g >> LEAF_SHIFT;
        const leaf *l = leaf_get(gs, key);
        uint64_t leaf_end = (key + 1) << LEAF_SHIFT;
        uint64_t end = end_all < leaf_end || leaf_end == 0 ? end_all : leaf_end;
        if (!l) { g = end; if (end == 0) break; continue; }
        if (g == (key << LEAF_SHIFT) && end == leaf_end) { c += l->count; g = end; continue; }
        for (; g < end; g++) c += (uint64_t)leaf_has(gs, l, LEAF_OFF(g));
    }
    return c;
}

/* The address is computed from the leaf pointer alone, without reading
 * the leaf (whose header may itself be a cache miss): for an array leaf it
 * points past the array, which is harmless -- a prefetch never faults. */
void ss_gs_prefetch(const ss_grainset *gs, uint64_t g)
{
    const leaf *l = leaf_get(gs, g >> LEAF_SHIFT);
    if (!l) return;
    uintptr_t words = (uintptr_t)(l + 1) + 8 * (uintptr_t)gs->rwords;   /* WORDS(gs, l), as a number */
    __builtin_prefetch(l, 1);
    __builtin_prefetch((const void *)(words + 8 * (uintptr_t)(LEAF_OFF(g) >> 6)), 1);
}
