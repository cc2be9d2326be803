/*
 * engine.c -- the discrete-event engine (include/snapsim/engine.h): simulated
 * time, the pending-event set, and the per-entity random streams.
 *
 * The pending-event set is a radix heap (Ahuja, Mehlhorn, Orlin & Tarjan
 * 1990) on the event time alone, with 64-way digits and FIFO buckets.  A
 * radix heap needs keys that never go below the last key removed, which a
 * simulator guarantees: time never goes backwards and scheduling in the past
 * is clamped to now().  Why this one (bench/bench_engine.c, hold model at
 * 10^4 pending, draw and callback included, on this shared 2-core machine
 * whose load made every figure ~1.5x slower than the lead's reference):
 * a binary heap of (time, seq) keys ~140 ns/event; a binary radix heap
 * (one bucket per bit, the "simple radix heap") was no faster than the
 * heap, each event being moved ~2.9 times; this 64-way radix heap
 * 79 ns (uniform increments) / 115 ns (exponential: ~30 ns of that is
 * glibc's log1p).  Radix 64 gives one 64-bit occupancy word per level, so
 * finding the lowest bucket is two count-trailing-zeros; radix 256 was
 * measured slower (larger bitmaps and bucket table).  Keying on time alone
 * keeps keys 64-bit (xor + count-leading-zeros picks a bucket); a 128-bit
 * (time, seq) key would also work but costs more per entry and comparison.
 * Ties are broken by FIFO order instead, which is correct because of the
 * following.
 *
 * Buckets.  `last` is the key the minimum was last taken at (last <= now()).
 * An entry with time t >= last lives on level l = (highest bit where t and
 * last differ) / 6, or level 0 if t == last, in bucket (l, digit l of t).
 * So level-0 buckets hold one exact time each, and the lowest non-empty
 * bucket holds the minimum.  Every entry with time t is in its bucket
 * B(t) = bucket_of(t, last), and every bucket is a FIFO: entries are only
 * appended at its end, and level-0 buckets are consumed from the front.
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
 *      changes digit 0 only: nothing moves.
 *  (2) Within a bucket, equal-time entries are in scheduling order.  Push
 *      appends, and the newest entry is the last scheduled.  Redistribution
 *      scans the bucket front to back and appends to buckets on lower
 *      levels, which are all empty at that moment (it is the lowest
 *      non-empty bucket), so the relative order of equal keys survives.
 *      Purging cancelled entries compacts a bucket in place, in order.
 *  (3) A level-0 bucket holds entries of a single time and pops from its
 *      front, so they leave in scheduling order; a handler scheduling at
 *      now() == last appends behind the ones still pending.
 * The differential test in tests/test_engine.c checks this against a
 * sorted-array reference.
 *
 * When the minimum is beyond `until`, the heap is left untouched (last is
 * not advanced), so that last <= now() holds afterwards and anything the
 * caller schedules at now() or later is still a valid radix-heap key.
 *
 * Event ids and cancellation.  A heap entry carries the whole event (time,
 * id, handler, ctx, arg), so firing reads nothing else; the slot table
 * keeps a copy for cancel, when and reschedule.  An id is
 * (generation << 32) | slot index.  A slot's generation grows on every
 * reuse, and a slot whose generation is spent (2^32 - 1) is retired rather
 * than reused, so an id is never issued twice and a stale id never matches.
 * Cancelling frees the slot at once and leaves a tombstone in the heap,
 * recognized because its slot no longer holds its id.  Since an entry's
 * bucket is B(t), cancel knows which bucket got the tombstone and counts
 * tombstones per bucket: buckets without any are popped with no check, a
 * bucket being redistributed drops its tombstones first, and when
 * tombstones outnumber the live events (plus 64), every bucket is
 * compacted.  Memory is therefore O(peak live events) whatever the
 * cancel/reschedule traffic, at amortized O(1) per cancel.
 *
 * Random streams.  One gsl_rng (mt19937) per entity name, seeded from
 * ss_stream_seed(engine seed, name) only, kept in a small open-addressing
 * hash table.  GSL's mt19937 takes a 32-bit seed (gsl_rng_set keeps the low
 * 32 bits, and turns 0 into 4357), so the 64-bit stream seed is folded to 32
 * bits as lo ^ hi.  Two names therefore share a stream with probability
 * about 2^-32 per pair -- negligible for hundreds of entities.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "snapsim/engine.h"

#define ID_SLOT_BITS 32
#define ID_SLOT_MASK ((UINT64_C(1) << ID_SLOT_BITS) - 1)
#define GEN_MAX UINT32_MAX          /* a slot at this generation retires */
#define MAX_SLOTS (UINT32_C(1) << 31)
#define DIGIT_BITS 6                /* radix 64 (256 measured slower) */
#define NDIGITS (1u << DIGIT_BITS)
#define NLEVELS ((63 + DIGIT_BITS - 1) / DIGIT_BITS)
#define NBUCKETS (NLEVELS * NDIGITS)
#define LEVEL_WORDS (NDIGITS / 64)  /* 64-bit words of a level's bitmap */
#define DEAD_SLACK 64               /* tombstones tolerated beyond #live */

/* A pending event, as the slot table holds it: id is 0 when the slot is
 * free.  Firing reads the copy in the heap entry, so on the hot path the
 * slot is only written; cancel, when and reschedule read it. */
typedef struct ss_slot {
    uint64_t id;
    ss_time t;
    ss_event_fn fn;
    void *ctx;
    uint64_t arg;
} ss_slot;

/* A heap entry: a tombstone when slots[id & mask].id != id. */
typedef struct ss_qent {
    uint64_t t;
    uint64_t id;
    ss_event_fn fn;
    void *ctx;
    uint64_t arg;
} ss_qent;

/* One radix-heap bucket: entries v[head..len), capacity cap.  Only level-0
 * buckets are consumed from the front (head > 0); others are drained whole.
 * `dead` counts the tombstones among v[head..len). */
typedef struct ss_bucket {
    ss_qent *v;
    size_t head, len, cap;
    size_t dead;
} ss_bucket;

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

    /* the radix heap; invariant: last <= now, every entry t >= last */
    uint64_t last;
    uint32_t levels;            /* bit l set iff level l has a non-empty bucket */
    uint64_t used[NBUCKETS / 64];   /* bit i set iff bucket i has entries */
    size_t ndead;               /* sum of the buckets' dead counts */
    ss_bucket b[NBUCKETS];      /* bucket (l, d) is b[l * NDIGITS + d] */

    /* the slot table; slots[0..nslots) have been handed out at least once.
     * freed[0..nfree) holds the last id of each free slot (a stack, so a
     * hold-style model keeps reusing one warm slot). */
    ss_slot *slots;
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
 * t == last (x = 0) to level 0 without a branch: level 0 is bits 0..5. */
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
    e->levels |= UINT32_C(1) << (i / NDIGITS);
}

static inline void mark_empty(ss_engine *e, unsigned i)
{
    e->used[i / 64] &= ~(UINT64_C(1) << (i % 64));
    const uint64_t *w = &e->used[i / NDIGITS * LEVEL_WORDS];
    for (unsigned k = 0; k < LEVEL_WORDS; k++)
        if (w[k])
            return;
    e->levels &= ~(UINT32_C(1) << (i / NDIGITS));
}

/* The lowest non-empty bucket; e->levels != 0. */
static inline unsigned lowest_bucket(const ss_engine *e)
{
    unsigned l = lowest_bit(e->levels);
    const uint64_t *w = &e->used[l * LEVEL_WORDS];
    unsigned k = 0;
    while (!w[k])
        k++;
    return l * NDIGITS + k * 64 + lowest_bit(w[k]);
}

/* Room for `need` more entries at the end of bk. */
static int bucket_reserve(ss_bucket *bk, size_t need)
{
    if (bk->head && bk->head >= bk->len / 2) {      /* slide down instead */
        memmove(bk->v, bk->v + bk->head, (bk->len - bk->head) * sizeof *bk->v);
        bk->len -= bk->head;
        bk->head = 0;
    }
    if (bk->len + need <= bk->cap)
        return 0;
    size_t cap = bk->cap ? bk->cap : 16;
    while (cap < bk->len + need)
        cap *= 2;
    ss_qent *v = realloc(bk->v, cap * sizeof *v);
    if (!v)
        return -1;
    bk->v = v;
    bk->cap = cap;
    return 0;
}

static int q_push(ss_engine *e, uint64_t t, uint64_t id, ss_event_fn fn, void *ctx, uint64_t arg)
{
    unsigned i = bucket_of(t, e->last);
    ss_bucket *bk = &e->b[i];
    if (bk->len == bk->cap && bucket_reserve(bk, 1))
        return -1;
    ss_qent *q = &bk->v[bk->len++];
    q->t = t;
    q->id = id;
    q->fn = fn;
    q->ctx = ctx;
    q->arg = arg;
    mark_nonempty(e, i);
    return 0;
}

static inline int is_live(const ss_engine *e, uint64_t id)
{
    return e->slots[id & ID_SLOT_MASK].id == id;
}

/* Drop the tombstones of bucket i, keeping the order of the rest. */
static void bucket_purge(ss_engine *e, unsigned i)
{
    ss_bucket *bk = &e->b[i];
    size_t w = 0;
    for (size_t r = bk->head; r < bk->len; r++)
        if (is_live(e, bk->v[r].id))
            bk->v[w++] = bk->v[r];
    bk->head = 0;
    bk->len = w;
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
}

/* Move the whole of bucket i (on level l >= 1, the lowest non-empty bucket,
 * no tombstones) into lower levels, around its minimum m.  The lower levels
 * are empty and bucket i is only read, so if memory runs out midway,
 * emptying them again restores the heap exactly. */
static int q_redistribute(ss_engine *e, unsigned i, uint64_t m)
{
    ss_bucket *src = &e->b[i];
    unsigned l = i / NDIGITS;
    uint64_t used[NBUCKETS / 64];   /* bitmap of the levels below l */
    const ss_qent *v = src->v;
    size_t n = src->len;
    for (unsigned k = 0; k < l * LEVEL_WORDS; k++)
        used[k] = 0;
    for (size_t r = 0; r < n; r++) {
        unsigned j = bucket_of(v[r].t, m);
        ss_bucket *dst = &e->b[j];
        if (dst->len == dst->cap && bucket_reserve(dst, 1)) {
            for (unsigned k = 0; k < l * NDIGITS; k++)
                e->b[k].len = e->b[k].head = 0;
            return -1;
        }
        dst->v[dst->len++] = v[r];
        used[j / 64] |= UINT64_C(1) << (j % 64);
    }
    src->len = 0;
    mark_empty(e, i);
    for (unsigned k = 0; k < l * LEVEL_WORDS; k++) {
        e->used[k] = used[k];
        e->levels |= (uint32_t)(used[k] != 0) << (k / LEVEL_WORDS);
    }
    e->last = m;
    return 0;
}

/* Take the next live entry if its time is <= until.  1 if taken, 0 if none,
 * -1 if memory ran out (nothing changed). */
static int q_pop(ss_engine *e, uint64_t until, ss_qent *out)
{
    while (e->levels) {
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
        uint64_t m = bk->v[0].t;
        for (size_t r = 1; r < bk->len; r++)
            if (bk->v[r].t < m)
                m = bk->v[r].t;
        if (m > until)
            return 0;
        if (bk->len == 1) {
            /* A lone entry is the minimum: take it without moving it to
             * level 0 (the same argument as for redistribution: setting
             * last = m leaves every other entry where it belongs). */
            *out = bk->v[0];
            bk->len = 0;
            mark_empty(e, i);
            e->last = m;
            return 1;
        }
        if (q_redistribute(e, i, m))
            return -1;
    }
    return 0;
}

/* ---- slots and ids ----------------------------------------------------- */

static int slot_alloc(ss_engine *e, uint64_t *id)
{
    if (e->nfree) {
        *id = e->freed[--e->nfree] + (UINT64_C(1) << ID_SLOT_BITS);
        return 0;
    }
    if (e->nslots == e->capslots) {
        if (e->capslots >= MAX_SLOTS)
            return -1;
        uint32_t cap = e->capslots ? e->capslots * 2 : 64;
        ss_slot *s = realloc(e->slots, (size_t)cap * sizeof *s);
        if (!s)
            return -1;
        e->slots = s;
        uint64_t *f = realloc(e->freed, (size_t)cap * sizeof *f);
        if (!f)
            return -1;      /* slots grew, capslots did not: harmless */
        e->freed = f;
        e->capslots = cap;
    }
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
    return e;
}

void ss_engine_free(ss_engine *e)
{
    if (!e)
        return;
    for (unsigned i = 0; i < NBUCKETS; i++)
        free(e->b[i].v);
    free(e->slots);
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
    ss_slot *s = &e->slots[id & ID_SLOT_MASK];
    s->id = id;
    s->t = t;
    s->fn = fn;
    s->ctx = ctx;
    s->arg = arg;
    if (q_push(e, (uint64_t)t, id, fn, ctx, arg)) {
        slot_free(e, id);
        return 0;
    }
    e->live++;
    return id;
}

int ss_engine_cancel(ss_engine *e, ss_event_id id)
{
    ss_slot *s = slot_of(e, id);
    if (!s)
        return 0;
    e->b[bucket_of((uint64_t)s->t, e->last)].dead++;
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
    return s ? s->t : -1;
}

/* 1 fired, 0 nothing due, -1 out of memory. */
static int step(ss_engine *e, ss_time until)
{
    ss_qent q;
    if (until < e->now)
        return 0;
    int r = q_pop(e, (uint64_t)until, &q);
    if (r <= 0)
        return r;
    slot_free(e, q.id);     /* a firing event is no longer pending */
    e->live--;
    e->now = (ss_time)q.t;
    e->fired++;
    q.fn(e, q.ctx, q.arg);
    return 1;
}

int ss_engine_step(ss_engine *e, ss_time until)
{
    return step(e, until) > 0;
}

/* Running out of memory while reordering the heap stops the run like
 * ss_engine_stop (stopped() is 1, now() is the last event's time); nothing
 * is lost and the run can be resumed. */
uint64_t ss_engine_run(ss_engine *e, ss_time until)
{
    uint64_t n = 0;
    int r = 0;
    e->stop = 0;
    while (!e->stop && (r = step(e, until)) > 0)
        n++;
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
