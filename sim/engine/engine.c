/*
 * engine.c -- the discrete-event engine (include/snapsim/engine.h): simulated
 * time, the pending-event set, and the per-entity random streams.
 *
 * The pending-event set is a radix heap (Ahuja, Mehlhorn, Orlin & Tarjan
 * 1990) on the event time alone, with 256-way digits and FIFO buckets.  A
 * radix heap needs keys that never go below the last key removed, which a
 * simulator guarantees: time never goes backwards and scheduling in the past
 * is clamped to now().  Keying on time alone keeps keys 64-bit (xor + count-
 * leading-zeros picks a bucket); ties are broken by FIFO order instead, which
 * is correct because of the proof below.
 *
 * Speed (bench/bench_engine.c: hold model, increment draw and callback
 * included, thread CPU time, best of 3; figures and history are in
 * PERFORMANCE below).  What makes it fast, each change measured alone at
 * 10^4 pending, uniform increments, with the bench's loop in a scratch
 * harness on this 2-core machine:
 *  - A heap entry is 16 bytes (time, id); the handler, ctx and arg live
 *    only in the slot table.  Alone this gained nothing (the firing event's
 *    slot becomes a dependent load), but it makes the rest pay.
 *  - `cur` caches the lowest non-empty bucket, and a push lowers it with a
 *    predicted branch.  Before, the next pop read the bucket bitmaps that
 *    the handler's push had just written, so each event waited for the
 *    whole chain draw -> time -> bucket -> bitmap of the one before; the
 *    branch lets the CPU run the next pop speculatively.  66 -> 51 ns.
 *  - Prefetches: the next event's slot is fetched while the handler runs,
 *    and the slots of a bucket of <= 256 entries as it is redistributed
 *    (those fire soon).  ~2-3 ns.
 *  - Radix 256 rather than 64: ~2 moves per event instead of ~2.4, and the
 *    lowest bucket is still two count-trailing-zeros away (a summary word
 *    over the 32 bitmap words).  ~2 ns at 10^4, ~10 ns at 10^5.  Radix 16,
 *    32, 128 were slower.
 *  - Spare arrays per level: a bucket of more than 64 entries hands its
 *    array, when redistributed, to its level's stack of spares, and the next
 *    bucket of that level to fill takes it, still in cache.  Each bucket
 *    keeping its own array made the level-2 buckets of a moving window cycle
 *    through all 256 arrays (4 MB at 10^4), past the L2 cache.
 *    52 -> 44 ns at 10^5, ~4 ns at 10^4.
 *  - Level 1 redistributes without bucket_of: its entries differ from the
 *    new base in digit 0 only.  ~2 ns.
 * Tried and dropped: buckets as chains of 256-byte chunks from a LIFO pool
 * (56 vs 46 ns: a level-1 bucket holds ~2.5 entries at 10^4, so a chunk
 * each, and the chunk-boundary branches mispredict); sorting buckets of <= 4
 * .. 64 entries by insertion instead of redistributing them (no gain at
 * radix 256, 5-10 ns worse at radix 64); computing a bucket's minimum by a
 * scan instead of maintaining it (no difference; maintained, a step() with
 * nothing due is O(1)).  For scale, bare structures with no callback or ids,
 * on 16-byte entries, at 10^4: binary heap 127 ns, 4-ary heap 126 ns,
 * binary radix heap (one bucket per bit) 73 ns; this engine, with them, 41.
 *
 * Buckets.  An entry with time t >= last lives on level l = (highest bit
 * where t and last differ) / 8, or level 0 if t == last, in bucket
 * (l, digit l of t).  So level-0 buckets hold one exact time each, and the
 * lowest non-empty bucket holds the minimum.  Every entry with time t is in
 * its bucket B(t) = bucket_of(t, last), and every bucket is a FIFO: entries
 * are only appended at its end, and level-0 buckets are consumed from the
 * front.  `last` changes only to the time being taken or redistributed
 * around, so last <= now() holds (see below for `until`).
 *
 * Why same-time events fire in scheduling order (the FIFO proof).
 *  (1) Entries with equal t are in the same bucket, B(t).  Push puts an
 *      entry in B(t).  When the lowest non-empty bucket (l, d), l >= 1, is
 *      redistributed, `last` becomes its minimum m; m agrees with the old
 *      `last` on every digit above l and has digit d at l, so an entry in any
 *      other bucket (same level with a larger digit, or a higher level)
 *      still first differs from `last` at the same digit: it stays correctly
 *      placed.  Entries of (l, d) move to B(t) computed with the new `last`.
 *      Taking an entry from a level-0 bucket sets `last` to its time, which
 *      changes digit 0 only: nothing moves.  Taking a lone entry from a
 *      bucket on a higher level is redistribution of a one-entry bucket.
 *  (2) Within a bucket, equal-time entries are in scheduling order.  Push
 *      appends, and the newest entry is the last scheduled.  Redistribution
 *      scans the bucket front to back and appends to buckets on lower
 *      levels, which are all empty at that moment (it is the lowest
 *      non-empty bucket), so the relative order of equal keys survives.
 *      Purging cancelled entries compacts a bucket in place, in order.
 *  (3) A level-0 bucket holds entries of a single time and pops from its
 *      front, so they leave in scheduling order; a handler scheduling at
 *      now() == last appends behind the ones still pending.
 * The differential tests in tests/test_engine.c check this against
 * references.
 *
 * When the minimum is beyond `until`, the heap is left untouched (last is
 * not advanced), so that last <= now() holds afterwards and anything the
 * caller schedules at now() or later is still a valid radix-heap key.
 *
 * Memory.  A bucket's array keeps its capacity when the bucket empties by
 * popping; one emptied by redistribution goes to its level's spares if it
 * holds more than 64 entries.  A new array is allocated only when a bucket
 * has none and its level has no spare, so a level has at most 256 arrays,
 * each at most twice the largest bucket it served (or 16 entries).  So, as
 * before, nothing is allocated in the steady state, and memory is at worst
 * the peak number of entries (tombstones included, see below) times the
 * number of buckets; in practice the arrays of a level are sized to its
 * typical bucket, and only the buckets in use (plus spares) hold them.
 *
 * Event ids and cancellation.  The slot table holds, per pending event, its
 * id, handler, ctx and arg (32 bytes, 64-byte aligned table: one cache line
 * per firing) and, apart, its time (read only by when, cancel and
 * reschedule).  An id is (generation << 32) | slot index.  A slot's
 * generation grows on every reuse, and a slot whose generation is spent
 * (2^32 - 1) is retired rather than reused, so an id is never issued twice
 * and a stale id never matches.  Cancelling frees the slot at once and
 * leaves a tombstone in the heap, recognized because its slot no longer
 * holds its id.  Since an entry's bucket is B(t), cancel knows which bucket
 * got the tombstone and counts tombstones per bucket: buckets without any
 * are popped with no check, a bucket being redistributed drops its
 * tombstones first, and when tombstones outnumber the live events (plus
 * 64), every bucket is compacted.  Memory is therefore O(peak live events)
 * whatever the cancel/reschedule traffic, at amortized O(1) per cancel.
 *
 * Random streams.  One gsl_rng (mt19937) per entity name, seeded from
 * ss_stream_seed(engine seed, name) only, kept in a small open-addressing
 * hash table.  GSL's mt19937 takes a 32-bit seed (gsl_rng_set keeps the low
 * 32 bits, and turns 0 into 4357), so the 64-bit stream seed is folded to 32
 * bits as lo ^ hi.  Two names therefore share a stream with probability
 * about 2^-32 per pair -- negligible for hundreds of entities.
 *
 * PERFORMANCE.  ./build/bench/bench_engine, release build, 3 runs
 * alternating with the previous engine (64-way, 40-byte entries, commit
 * 1379f50), machine otherwise idle (load average 0.9-1.0: the bench itself).
 * ns/event, best of the 3 runs' best-of-3 figures [worst of the 3]; the
 * binary heap is the bench's bare (time, seq) heap in the same runs:
 *
 *   pending  increments   this engine     previous engine  binary heap
 *   10^3     uniform      35.7 [36.6]     58.7 [69.7]       81-102
 *   10^3     exponential  59.2 [60.3]     92.8 [109.6]     101-136
 *   10^4     uniform      42.5 [43.5]     66.9 [73.2]      111-126
 *   10^4     exponential  66.9 [68.5]     94.4 [100.8]     126-136
 *   10^5     uniform      41.9 [42.4]    101.5 [106.8]     150-160
 *   10^5     exponential  73.3 [73.4]    125.4 [128.8]     166-176
 *   10^6     uniform      92.7 [100.3]   160.7 [164.7]     303-345
 *   10^6     exponential  96.7 [102.2]   152.4 [163.9]     299-345
 *
 * At 10^4 with uniform increments: 23.5 M events/s, 0.37x the binary heap
 * of the same run (the reference radix heap: 48/95 = 0.5x).  The
 * draws alone cost ~12 ns (uniform) and ~27 ns (exponential: glibc's log1p).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "snapsim/engine.h"

#define ID_SLOT_BITS 32
#define ID_SLOT_MASK ((UINT64_C(1) << ID_SLOT_BITS) - 1)
#define GEN_MAX UINT32_MAX          /* a slot at this generation retires */
#define MAX_SLOTS (UINT32_C(1) << 29)  /* keeps bucket sizes in 32 bits */
#define DIGIT_BITS 8                /* radix 256: see the top comment */
#define NDIGITS (1u << DIGIT_BITS)
#define NLEVELS ((63 + DIGIT_BITS - 1) / DIGIT_BITS)
#define NBUCKETS (NLEVELS * NDIGITS)
#define LEVEL_WORDS ((NDIGITS + 63) / 64)  /* 64-bit words of a level's bitmap */
#define NWORDS (NBUCKETS / 64)      /* <= 64, so one word summarizes them */
#define SPARE_MIN 64                /* smaller arrays stay with their bucket */
#define PF_MAX 256                  /* prefetch slots when moving <= this many */
#if defined(__GNUC__)
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define LIKELY(x) (x)
#define PREFETCH(p) ((void)0)
#endif
#define DEAD_SLACK 64               /* tombstones tolerated beyond #live */
#define NO_TIME UINT64_MAX          /* the min of an empty bucket */

/* A pending event: id is 0 when the slot is free.  The slot is the only
 * copy of the handler, ctx and arg; the heap holds (t, id) only, and the
 * time is also in times[] for when/cancel.  32 bytes in a 64-byte aligned
 * table, so firing an event reads one cache line. */
typedef struct ss_slot {
    uint64_t id;
    ss_event_fn fn;
    void *ctx;
    uint64_t arg;
} ss_slot;

/* A heap entry, 16 bytes: a tombstone when slots[id & mask].id != id. */
typedef struct ss_qent {
    uint64_t t;
    uint64_t id;
} ss_qent;

/* One radix-heap bucket: entries v[head..len), capacity cap (v == NULL and
 * cap == 0 after the array went to the spares).  Only level-0 buckets are
 * consumed from the front (head > 0); others are drained whole, or hold a
 * lone entry that is taken.  `dead` counts the tombstones among
 * v[head..len).  On levels >= 1, when dead == 0, min is the least t in the
 * bucket (NO_TIME if empty); with tombstones it is only a lower bound, and
 * the bucket is purged (which recomputes it) before it is used.  Level-0
 * buckets hold a single time and ignore min. */
typedef struct ss_bucket {
    ss_qent *v;
    uint32_t head, len, cap;
    uint32_t dead;
    uint64_t min;
} ss_bucket;

/* An unused bucket array (cap > SPARE_MIN entries), in its level's stack of
 * spares; it is stored in the array's own first bytes. */
typedef struct ss_spare {
    struct ss_spare *next;
    uint32_t cap;
} ss_spare;

/* A named random stream; a table entry is empty when name == NULL. */
typedef struct ss_stream {
    uint64_t hash;      /* fnv1a(name) */
    char *name;
    gsl_rng *rng;
} ss_stream;

struct ss_engine {
    uint64_t seed;
    ss_time now;
    int stop;
    uint64_t fired;

    /* the guard (ss_engine_guard): at most max_per_s events in any one
     * simulated second [k s, (k+1) s); win is k, win_n the events fired in
     * it so far; runaway the start of the second that broke the bound (-1:
     * none); poll is called every POLL_EVERY events */
    uint64_t max_per_s, win_n, polln;
    ss_time win, runaway;
    int (*poll)(void *ctx);
    void *poll_ctx;

    /* the radix heap; invariant: last <= now, every entry t >= last */
    uint64_t last;
    unsigned cur;               /* the lowest non-empty bucket, NBUCKETS if none */
    uint64_t words;             /* bit k set iff used[k] != 0 */
    uint64_t used[NWORDS];      /* bit i set iff bucket i has entries */
    size_t ndead;               /* sum of the buckets' dead counts */
    ss_bucket b[NBUCKETS];      /* bucket (l, d) is b[l * NDIGITS + d] */
    ss_spare *spare[NLEVELS];   /* per level: arrays of redistributed buckets */

    /* the slot table; slots[0..nslots) have been handed out at least once.
     * freed[0..nfree) holds the last id of each free slot (a stack, so a
     * hold-style model keeps reusing one warm slot). */
    ss_slot *slots;
    ss_time *times;         /* times[i]: the time of the event in slot i */
    uint64_t *freed;
    uint32_t nslots, capslots, nfree;
    size_t live;            /* = pending() */

    /* streams: open addressing, linear probing, cap a power of 2, load <= 1/2 */
    ss_stream *streams;
    size_t nstreams, capstreams;
};

/* ---- time ------------------------------------------------------------- */

ss_time ss_time_from_s(double s)
{
    double ns = s * 1e9;
    if (ns != ns)
        return 0;
    /* 2^63 is exact in double; anything at or past it does not fit.  Below
     * it, doubles of magnitude >= 2^52 are integers already, so round()
     * cannot carry a value across the bound. */
    if (ns >= 9223372036854775808.0)
        return SS_TIME_MAX;
    if (ns <= -9223372036854775808.0)
        return -SS_TIME_MAX;
    return (ss_time)round(ns);      /* halves away from zero */
}

/* ---- the radix heap ----------------------------------------------------- */

/* Bucket index of key t for radix base `last` (t >= last).  x | 1 maps
 * t == last (x = 0) to level 0 without a branch: level 0 is bits 0..7. */
static inline unsigned bucket_of(uint64_t t, uint64_t last)
{
    uint64_t x = (t ^ last) | 1;
#if defined(__GNUC__)
    unsigned hi = 63u - (unsigned)__builtin_clzll(x);
#else
    unsigned hi = 0;
    while (x >>= 1)
        hi++;
#endif
    unsigned l = hi / DIGIT_BITS;
    return l * NDIGITS + (unsigned)(t >> (l * DIGIT_BITS)) % NDIGITS;
}

static inline unsigned lowest_bit(uint64_t x)  /* x != 0 */
{
#if defined(__GNUC__)
    return (unsigned)__builtin_ctzll(x);
#else
    unsigned b = 0;
    while (!(x & 1)) { b++; x >>= 1; }
    return b;
#endif
}

static inline void mark_nonempty(ss_engine *e, unsigned i)
{
    e->used[i / 64] |= UINT64_C(1) << (i % 64);
    e->words |= UINT64_C(1) << (i / 64);
}

static inline void mark_empty(ss_engine *e, unsigned i)
{
    uint64_t w = e->used[i / 64] & ~(UINT64_C(1) << (i % 64));
    e->used[i / 64] = w;
    e->words &= ~((uint64_t)(w == 0) << (i / 64));
}

/* The lowest non-empty bucket; e->words != 0. */
static inline unsigned lowest_bucket(const ss_engine *e)
{
    unsigned k = lowest_bit(e->words);
    return k * 64 + lowest_bit(e->used[k]);
}

static inline void set_cur(ss_engine *e)
{
    e->cur = e->words ? lowest_bucket(e) : NBUCKETS;
}

/* Room for `need` more entries at the end of bucket i; a bucket without an
 * array first takes its level's most recent spare (still in cache). */
static int bucket_reserve(ss_engine *e, unsigned i, size_t need)
{
    ss_bucket *bk = &e->b[i];
    ss_spare *sp = e->spare[i / NDIGITS];
    if (!bk->cap && sp) {
        e->spare[i / NDIGITS] = sp->next;
        bk->v = (ss_qent *)(void *)sp;
        bk->cap = sp->cap;
    }
    if (bk->head && bk->head >= bk->len / 2) {      /* slide down instead */
        memmove(bk->v, bk->v + bk->head, (bk->len - bk->head) * sizeof *bk->v);
        bk->len -= bk->head;
        bk->head = 0;
    }
    if (bk->len + need <= bk->cap)
        return 0;
    size_t cap = bk->cap ? bk->cap : 16;
    while (cap < (size_t)bk->len + need)
        cap *= 2;
    ss_qent *v = realloc(bk->v, cap * sizeof *v);
    if (!v)
        return -1;
    bk->v = v;
    bk->cap = (uint32_t)cap;
    return 0;
}

static inline int q_push(ss_engine *e, uint64_t t, uint64_t id)
{
    unsigned i = bucket_of(t, e->last);
    ss_bucket *bk = &e->b[i];
    if (bk->len == bk->cap && bucket_reserve(e, i, 1))
        return -1;
    ss_qent *q = &bk->v[bk->len++];
    q->t = t;
    q->id = id;
    bk->min = t < bk->min ? t : bk->min;
    mark_nonempty(e, i);
    if (i < e->cur)     /* a branch, not a cmov: see the top comment */
        e->cur = i;
    return 0;
}

static inline int is_live(const ss_engine *e, uint64_t id)
{
    return e->slots[id & ID_SLOT_MASK].id == id;
}

/* Drop the tombstones of bucket i, keeping the order of the rest; min
 * becomes exact again. */
static void bucket_purge(ss_engine *e, unsigned i)
{
    ss_bucket *bk = &e->b[i];
    uint32_t w = 0;
    uint64_t m = NO_TIME;
    for (uint32_t r = bk->head; r < bk->len; r++)
        if (is_live(e, bk->v[r].id)) {
            if (bk->v[r].t < m)
                m = bk->v[r].t;
            bk->v[w++] = bk->v[r];
        }
    bk->head = 0;
    bk->len = w;
    bk->min = m;
    e->ndead -= bk->dead;
    bk->dead = 0;
    if (!w)
        mark_empty(e, i);
}

static void q_compact(ss_engine *e)
{
    for (unsigned i = 0; i < NBUCKETS; i++)
        if (e->b[i].dead)
            bucket_purge(e, i);
    set_cur(e);
}

/* Move the whole of bucket i (on level l >= 1, the lowest non-empty bucket,
 * no tombstones) into lower levels, around its minimum m.  The lower levels
 * are empty and bucket i is only read, so if memory runs out midway,
 * emptying them again restores the heap exactly. */
static int q_redistribute(ss_engine *e, unsigned i, uint64_t m)
{
    ss_bucket *src = &e->b[i];
    unsigned lw = i / NDIGITS * LEVEL_WORDS;    /* words of the lower levels */
    const ss_qent *v = src->v;
    uint32_t n = src->len;
    int pf = n <= PF_MAX;
    uint64_t words = 0;
    if (i < 2 * NDIGITS) {
        /* level 1: the entries differ from m in digit 0 only, so each goes
         * to the level-0 bucket of its digit 0 */
        for (uint32_t r = 0; r < n; r++) {
            unsigned j = (unsigned)v[r].t % NDIGITS;
            ss_bucket *dst = &e->b[j];
            if (dst->len == dst->cap && bucket_reserve(e, j, 1)) {
                for (unsigned k = 0; k < NDIGITS; k++)
                    e->b[k].len = e->b[k].head = 0;
                for (unsigned k = 0; k < LEVEL_WORDS; k++)
                    e->used[k] = 0;
                return -1;
            }
            dst->v[dst->len++] = v[r];
            PREFETCH(&e->slots[v[r].id & ID_SLOT_MASK]);
            e->used[j / 64] |= UINT64_C(1) << (j % 64);
            words |= UINT64_C(1) << (j / 64);
        }
        n = 0;
    }
    for (uint32_t r = 0; r < n; r++) {
        uint64_t t = v[r].t;
        unsigned j = bucket_of(t, m);
        ss_bucket *dst = &e->b[j];
        if (dst->len == dst->cap && bucket_reserve(e, j, 1)) {
            for (unsigned k = 0; k < lw * 64; k++) {
                e->b[k].len = e->b[k].head = 0;
                e->b[k].min = NO_TIME;
            }
            for (unsigned k = 0; k < lw; k++)
                e->used[k] = 0;
            return -1;
        }
        dst->v[dst->len++] = v[r];
        if (pf)
            PREFETCH(&e->slots[v[r].id & ID_SLOT_MASK]);
        dst->min = t < dst->min ? t : dst->min;
        e->used[j / 64] |= UINT64_C(1) << (j % 64);
        words |= UINT64_C(1) << (j / 64);
    }
    src->len = 0;
    if (src->cap > SPARE_MIN) {
        ss_spare *sp = (ss_spare *)(void *)src->v;
        sp->next = e->spare[i / NDIGITS];
        sp->cap = src->cap;
        e->spare[i / NDIGITS] = sp;
        src->v = NULL;
        src->cap = 0;
    }
    src->min = NO_TIME;
    mark_empty(e, i);
    e->words |= words;
    e->last = m;
    return 0;
}

/* The general case of q_pop: tombstones, redistribution. */
static int q_pop_slow1(ss_engine *e, uint64_t until, ss_qent *out)
{
    while (e->words) {
        unsigned i = lowest_bucket(e);
        ss_bucket *bk = &e->b[i];
        if (i < NDIGITS) {
            /* every entry here has the same time: take the first live one */
            while (bk->dead && bk->head < bk->len && !is_live(e, bk->v[bk->head].id)) {
                bk->head++;
                bk->dead--;
                e->ndead--;
            }
            if (bk->head == bk->len) {
                bk->head = bk->len = 0;
                mark_empty(e, i);
                continue;
            }
            if (bk->v[bk->head].t > until)
                return 0;
            *out = bk->v[bk->head++];
            if (bk->head == bk->len) {
                bk->head = bk->len = 0;
                mark_empty(e, i);
            }
            e->last = out->t;   /* only digit 0 changes: nothing moves */
            return 1;
        }
        if (bk->dead) {
            bucket_purge(e, i);
            if (!bk->len)
                continue;
        }
        uint64_t m = bk->min;
        if (m > until)
            return 0;
        if (bk->len == 1) {
            /* A lone entry is the minimum: take it without moving it to
             * level 0 (the same argument as for redistribution: setting
             * last = m leaves every other entry where it belongs). */
            *out = bk->v[0];
            bk->len = 0;
            bk->min = NO_TIME;
            mark_empty(e, i);
            e->last = m;
            return 1;
        }
        if (q_redistribute(e, i, m))
            return -1;
    }
    return 0;
}

static int q_pop_slow(ss_engine *e, uint64_t until, ss_qent *out)
{
    int r = q_pop_slow1(e, until, out);
    set_cur(e);
    return r;
}

/* Take the next live entry if its time is <= until.  1 if taken, 0 if none,
 * -1 if memory ran out (nothing changed).  The common case inline: the
 * lowest bucket is on level 0 or holds one entry, and has no tombstone. */
static inline int q_pop(ss_engine *e, uint64_t until, ss_qent *out)
{
    unsigned i = e->cur;
    if (LIKELY(i < NBUCKETS)) {
        ss_bucket *bk = &e->b[i];
        if (LIKELY(!bk->dead && (i < NDIGITS || bk->len == 1))) {
            ss_qent q = bk->v[bk->head];
            if (q.t > until)
                return 0;
            if (++bk->head == bk->len) {
                bk->head = bk->len = 0;
                bk->min = NO_TIME;
                mark_empty(e, i);
                set_cur(e);
            }
            e->last = q.t;
            *out = q;
            return 1;
        }
    }
    return q_pop_slow(e, until, out);
}

/* ---- slots and ids ----------------------------------------------------- */

static int slot_grow(ss_engine *e)
{
    if (e->capslots >= MAX_SLOTS)
        return -1;
    uint32_t cap = e->capslots ? e->capslots * 2 : 64;
    ss_slot *s = aligned_alloc(64, (size_t)cap * sizeof *s);
    if (!s)
        return -1;
    if (e->nslots)      /* no aligned realloc in C11 */
        memcpy(s, e->slots, e->nslots * sizeof *s);
    free(e->slots);
    e->slots = s;
    ss_time *tt = realloc(e->times, (size_t)cap * sizeof *tt);
    if (!tt)
        return -1;      /* slots grew, capslots did not: harmless */
    e->times = tt;
    uint64_t *f = realloc(e->freed, (size_t)cap * sizeof *f);
    if (!f)
        return -1;
    e->freed = f;
    e->capslots = cap;
    return 0;
}

static inline int slot_alloc(ss_engine *e, uint64_t *id)
{
    if (e->nfree) {
        *id = e->freed[--e->nfree] + (UINT64_C(1) << ID_SLOT_BITS);
        return 0;
    }
    if (e->nslots == e->capslots && slot_grow(e))
        return -1;
    *id = (UINT64_C(1) << ID_SLOT_BITS) | e->nslots++;
    return 0;
}

/* Free the slot of live event `id`: its id can be reused with the next
 * generation, unless the generation is spent (the slot then retires). */
static inline void slot_free(ss_engine *e, uint64_t id)
{
    e->slots[id & ID_SLOT_MASK].id = 0;
    if ((id >> ID_SLOT_BITS) < GEN_MAX)
        e->freed[e->nfree++] = id;
}

/* The live slot named by id, or NULL. */
static ss_slot *slot_of(const ss_engine *e, ss_event_id id)
{
    uint64_t idx = id & ID_SLOT_MASK;
    if (!id || idx >= e->nslots || e->slots[idx].id != id)
        return NULL;
    return &e->slots[idx];
}

/* ---- the engine --------------------------------------------------------- */

ss_engine *ss_engine_new(uint64_t seed)
{
    ss_engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->seed = seed;
    e->cur = NBUCKETS;
    e->runaway = -1;
    for (unsigned i = 0; i < NBUCKETS; i++)
        e->b[i].min = NO_TIME;
    return e;
}

void ss_engine_free(ss_engine *e)
{
    if (!e)
        return;
    for (unsigned i = 0; i < NBUCKETS; i++)
        free(e->b[i].v);
    for (unsigned l = 0; l < NLEVELS; l++)
        while (e->spare[l]) {
            ss_spare *sp = e->spare[l];
            e->spare[l] = sp->next;
            free(sp);
        }
    free(e->slots);
    free(e->times);
    free(e->freed);
    for (size_t i = 0; i < e->capstreams; i++) {
        ss_stream *st = &e->streams[i];
        if (st->name) {
            free(st->rng->state);
            free(st->rng);
            free(st->name);
        }
    }
    free(e->streams);
    free(e);
}

ss_time ss_engine_now(const ss_engine *e) { return e->now; }
uint64_t ss_engine_seed(const ss_engine *e) { return e->seed; }
size_t ss_engine_pending(const ss_engine *e) { return e->live; }
uint64_t ss_engine_fired(const ss_engine *e) { return e->fired; }
void ss_engine_stop(ss_engine *e) { e->stop = 1; }
int ss_engine_stopped(const ss_engine *e) { return e->stop; }

ss_event_id ss_engine_at(ss_engine *e, ss_time t, ss_event_fn fn, void *ctx, uint64_t arg)
{
    uint64_t id;
    if (!fn)
        return 0;
    if (t < e->now)
        t = e->now;
    if (slot_alloc(e, &id))
        return 0;
    if (q_push(e, (uint64_t)t, id)) {
        if ((id >> ID_SLOT_BITS) < GEN_MAX)     /* never written: give back */
            e->freed[e->nfree++] = id;
        return 0;
    }
    ss_slot *s = &e->slots[id & ID_SLOT_MASK];
    s->id = id;
    e->times[id & ID_SLOT_MASK] = t;
    s->fn = fn;
    s->ctx = ctx;
    s->arg = arg;
    e->live++;
    return id;
}

int ss_engine_cancel(ss_engine *e, ss_event_id id)
{
    ss_slot *s = slot_of(e, id);
    if (!s)
        return 0;
    e->b[bucket_of((uint64_t)e->times[id & ID_SLOT_MASK], e->last)].dead++;
    e->ndead++;
    slot_free(e, id);
    e->live--;
    if (e->ndead > e->live + DEAD_SLACK)
        q_compact(e);
    return 1;
}

ss_event_id ss_engine_reschedule(ss_engine *e, ss_event_id id, ss_time t)
{
    ss_slot *s = slot_of(e, id);
    if (!s)
        return 0;
    /* Schedule the copy first: if that fails, the event stays as it was. */
    ss_event_id nid = ss_engine_at(e, t, s->fn, s->ctx, s->arg);
    if (nid)
        ss_engine_cancel(e, id);
    return nid;
}

ss_time ss_engine_when(const ss_engine *e, ss_event_id id)
{
    const ss_slot *s = slot_of(e, id);
    return s ? e->times[id & ID_SLOT_MASK] : -1;
}

/* 1 fired, 0 nothing due, -1 out of memory. */
static inline int step(ss_engine *e, ss_time until)
{
    ss_qent q;
    if (until < e->now)
        return 0;
    int r = q_pop(e, (uint64_t)until, &q);
    if (r <= 0)
        return r;
    const ss_slot *s = &e->slots[q.id & ID_SLOT_MASK];
    ss_event_fn fn = s->fn;
    void *ctx = s->ctx;
    uint64_t arg = s->arg;
    slot_free(e, q.id);     /* a firing event is no longer pending */
    e->live--;
    e->now = (ss_time)q.t;
    e->fired++;
    if (e->cur < NBUCKETS) {    /* warm the next event's slot while fn runs */
        const ss_bucket *nb = &e->b[e->cur];
        PREFETCH(&e->slots[nb->v[nb->head].id & ID_SLOT_MASK]);
    }
    fn(e, ctx, arg);
    return 1;
}

int ss_engine_step(ss_engine *e, ss_time until)
{
    return step(e, until) > 0;
}

/* Running out of memory while reordering the heap stops the run like
 * ss_engine_stop (stopped() is 1, now() is the last event's time); nothing
 * is lost and the run can be resumed. */
#define POLL_EVERY 4096

void ss_engine_guard(ss_engine *e, uint64_t max_per_s, int (*poll)(void *ctx), void *ctx)
{
    e->max_per_s = max_per_s;
    e->poll = poll;
    e->poll_ctx = ctx;
}

ss_time ss_engine_runaway(const ss_engine *e) { return e->runaway; }

/* After each event: count it in its simulated second, poll now and then. */
static inline void guard(ss_engine *e)
{
    ss_time w = e->now / SS_NS_PER_S;
    if (w != e->win) {
        e->win = w;
        e->win_n = 0;
    }
    if (e->max_per_s && ++e->win_n > e->max_per_s) {
        e->runaway = w * SS_NS_PER_S;
        e->stop = 1;
    }
    if (e->poll && ++e->polln % POLL_EVERY == 0 && e->poll(e->poll_ctx))
        e->stop = 1;
}

uint64_t ss_engine_run(ss_engine *e, ss_time until)
{
    uint64_t n = 0;
    int r = 0;
    e->stop = 0;
    if (e->runaway >= 0)
        e->stop = 1;
    while (!e->stop && (r = step(e, until)) > 0) {
        n++;
        guard(e);
    }
    if (r < 0)
        e->stop = 1;
    if (!e->stop && until > e->now)
        e->now = until;
    return n;
}

/* ---- random streams ----------------------------------------------------- */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* SplitMix64's output function: a bijection with full avalanche. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* mix64(seed + golden) is the first SplitMix64 output for state `seed`; xor
 * with the name's hash and mix again so that every bit of both matters. */
uint64_t ss_stream_seed(uint64_t seed, const char *name)
{
    return mix64(fnv1a(name) ^ mix64(seed + UINT64_C(0x9e3779b97f4a7c15)));
}

/* Replication k of a run with seed `seed` (docs/model.md "Replications"):
 * k = 0 is the run itself; for k > 0 two SplitMix64 rounds over seed and k,
 * kept to 53 bits so that the seed is a whole number a scenario{seed=}, a
 * --seed and a double (Lua, Python) all carry exactly. */
uint64_t ss_replication_seed(uint64_t seed, uint64_t k)
{
    if (k == 0) return seed;
    return mix64(mix64(seed + UINT64_C(0x9e3779b97f4a7c15)) ^ mix64(k * UINT64_C(0xd1b54a32d192ed03))) >> 11;
}

/* Built by hand rather than with gsl_rng_alloc, whose failure path calls
 * GSL's error handler (abort() by default) instead of returning NULL. */
static gsl_rng *rng_new(uint64_t seed64)
{
    gsl_rng *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    r->type = gsl_rng_mt19937;
    r->state = calloc(1, r->type->size);
    if (!r->state) {
        free(r);
        return NULL;
    }
    gsl_rng_set(r, (unsigned long)(uint32_t)(seed64 ^ (seed64 >> 32)));
    return r;
}

static int streams_grow(ss_engine *e)
{
    size_t cap = e->capstreams ? e->capstreams * 2 : 16;
    ss_stream *t = calloc(cap, sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < e->capstreams; i++) {
        ss_stream *st = &e->streams[i];
        if (!st->name)
            continue;
        size_t j = st->hash & (cap - 1);
        while (t[j].name)
            j = (j + 1) & (cap - 1);
        t[j] = *st;
    }
    free(e->streams);
    e->streams = t;
    e->capstreams = cap;
    return 0;
}

gsl_rng *ss_engine_stream(ss_engine *e, const char *name)
{
    uint64_t h = fnv1a(name);
    size_t j;
    if (e->capstreams) {
        for (j = h & (e->capstreams - 1); e->streams[j].name; j = (j + 1) & (e->capstreams - 1))
            if (e->streams[j].hash == h && strcmp(e->streams[j].name, name) == 0)
                return e->streams[j].rng;
    }
    if (2 * (e->nstreams + 1) > e->capstreams && streams_grow(e))
        return NULL;
    size_t len = strlen(name) + 1;
    char *dup = malloc(len);
    gsl_rng *r = rng_new(ss_stream_seed(e->seed, name));
    if (!dup || !r) {
        free(dup);
        if (r) {
            free(r->state);
            free(r);
        }
        return NULL;
    }
    memcpy(dup, name, len);
    for (j = h & (e->capstreams - 1); e->streams[j].name; j = (j + 1) & (e->capstreams - 1))
        ;
    e->streams[j].hash = h;
    e->streams[j].name = dup;
    e->streams[j].rng = r;
    e->nstreams++;
    return r;
}
