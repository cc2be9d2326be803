/*
 * test_engine.c -- the discrete-event engine: time conversion, event order
 * (including same-time ties), cancel/reschedule/when, run/step/stop, past
 * times, random streams, and a randomized differential test of the pending
 * set against a sorted-array reference.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif

#include <gsl/gsl_rng.h>

#include "snapsim/engine.h"
#include "testlib.h"

/* ---- helpers ------------------------------------------------------------ */

/* A log of fired events: which arg fired, and at what time. */
struct log {
    int n;
    uint64_t arg[64];
    ss_time t[64];
};

static void log_fn(ss_engine *eng, void *ctx, uint64_t arg)
{
    struct log *lg = ctx;
    if (lg->n < 64) {
        lg->arg[lg->n] = arg;
        lg->t[lg->n] = ss_engine_now(eng);
    }
    lg->n++;
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* ---- time ---------------------------------------------------------------- */

static void t_time_from_s(void)
{
    CHECK_EQ_I(ss_time_from_s(0.0), 0);
    CHECK_EQ_I(ss_time_from_s(1.5), 1500000000);
    CHECK_EQ_I(ss_time_from_s(-2.25), -2250000000);
    CHECK_EQ_I(ss_time_from_s(1e-9), 1);
    CHECK_EQ_I(ss_time_from_s(0.4e-9), 0);      /* nearest, not up */
    CHECK_EQ_I(ss_time_from_s(0.6e-9), 1);
    CHECK_EQ_I(ss_time_from_s(-0.6e-9), -1);
    CHECK_EQ_I(ss_time_from_s(0.1), 100000000); /* 0.1 is inexact in binary */
    CHECK_EQ_I(ss_time_from_s(3600.0), INT64_C(3600000000000));
    /* 9.2e9 s = 9.2e18 ns = 92 * 2^17 * 5^17: a 47-bit odd part, exact */
    CHECK_EQ_I(ss_time_from_s(9.2e9), INT64_C(9200000000000000000));
    /* 9.3e9 s = 9.3e18 ns > INT64_MAX ~ 9.223e18 */
    CHECK_EQ_I(ss_time_from_s(9.3e9), INT64_MAX);
    CHECK_EQ_I(ss_time_from_s(-9.3e9), -INT64_MAX);
    CHECK_EQ_I(ss_time_from_s(1e300), INT64_MAX);
    CHECK_EQ_I(ss_time_from_s(HUGE_VAL), INT64_MAX);
    CHECK_EQ_I(ss_time_from_s(-HUGE_VAL), -INT64_MAX);
    CHECK_EQ_I(ss_time_from_s(NAN), 0);
    CHECK_NEAR(ss_time_to_s(1500000000), 1.5, 0);
}

/* ---- order --------------------------------------------------------------- */

static void t_order_by_time(void)
{
    ss_engine *e = ss_engine_new(1);
    struct log lg = {0};
    static const ss_time ts[] = { 50, 10, 30, 20, 40, 1000000007, 3 };
    for (uint64_t i = 0; i < 7; i++)
        CHECK(ss_engine_at(e, ts[i], log_fn, &lg, i) != 0);
    CHECK_EQ_U(ss_engine_pending(e), 7);
    CHECK_EQ_U(ss_engine_run(e, SS_TIME_MAX - 1), 7);
    CHECK_EQ_I(lg.n, 7);
    /* sorted by time: 3, 10, 20, 30, 40, 50, 1000000007 -> args 6 1 3 2 4 0 5 */
    static const uint64_t want[] = { 6, 1, 3, 2, 4, 0, 5 };
    for (int i = 0; i < 7; i++) {
        CHECK_EQ_U(lg.arg[i], want[i]);
        CHECK_EQ_I(lg.t[i], ts[want[i]]);
    }
    CHECK_EQ_U(ss_engine_fired(e), 7);
    CHECK_EQ_U(ss_engine_pending(e), 0);
    ss_engine_free(e);
}

/* Fired order of many events with few distinct (shuffled) times must equal
 * a stable sort by time of the scheduling order. */
struct seq {
    size_t n, cap;
    uint64_t *arg;
};

static void seq_fn(ss_engine *eng, void *ctx, uint64_t arg)
{
    struct seq *s = ctx;
    (void)eng;
    if (s->n < s->cap)
        s->arg[s->n] = arg;
    s->n++;
}

struct key {
    ss_time t;
    uint64_t idx;
};

static int key_cmp(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;     /* = stable */
}

static void t_ties_fifo(void)
{
    enum { N = 20000 };
    struct key *k = malloc(N * sizeof *k);
    struct seq s = { 0, N, malloc(N * sizeof(uint64_t)) };
    ss_engine *e = ss_engine_new(2);
    uint64_t rs = 12345;
    for (uint64_t i = 0; i < N; i++) {
        /* 50 distinct times spread over several radix levels */
        k[i].t = (ss_time)(xorshift(&rs) % 50) * 977777;
        k[i].idx = i;
        CHECK(ss_engine_at(e, k[i].t, seq_fn, &s, i) != 0);
    }
    qsort(k, N, sizeof *k, key_cmp);
    CHECK_EQ_U(ss_engine_run(e, SS_TIME_MAX), N);
    CHECK_EQ_U(s.n, N);
    size_t bad = 0;
    for (size_t i = 0; i < N; i++)
        bad += s.arg[i] != k[i].idx;
    CHECK_EQ_U(bad, 0);
    ss_engine_free(e);
    free(k);
    free(s.arg);
}

/* A handler schedules at now(): after the events already pending at now. */
struct chain {
    struct log lg;
    int scheduled;
};

static void chain_fn(ss_engine *eng, void *ctx, uint64_t arg)
{
    struct chain *c = ctx;
    log_fn(eng, &c->lg, arg);
    if (arg == 0) {     /* the first of A B C at t=10 adds D (at now) and E (past) */
        CHECK(ss_engine_at(eng, ss_engine_now(eng), chain_fn, c, 3) != 0);
        ss_event_id id = ss_engine_at(eng, 5, chain_fn, c, 4);
        CHECK_EQ_I(ss_engine_when(eng, id), 10);
        c->scheduled = 1;
    }
}

static void t_same_time_from_handler(void)
{
    ss_engine *e = ss_engine_new(3);
    struct chain c = {{0}, 0};
    ss_engine_at(e, 10, chain_fn, &c, 0);
    ss_engine_at(e, 10, chain_fn, &c, 1);
    ss_engine_at(e, 10, chain_fn, &c, 2);
    ss_engine_at(e, 11, chain_fn, &c, 5);
    CHECK_EQ_U(ss_engine_run(e, 100), 6);
    CHECK(c.scheduled);
    static const uint64_t want[] = { 0, 1, 2, 3, 4, 5 };
    static const ss_time wt[] = { 10, 10, 10, 10, 10, 11 };
    CHECK_EQ_I(c.lg.n, 6);
    for (int i = 0; i < 6; i++) {
        CHECK_EQ_U(c.lg.arg[i], want[i]);
        CHECK_EQ_I(c.lg.t[i], wt[i]);
    }
    ss_engine_free(e);
}

/* ---- cancel, reschedule, when --------------------------------------------- */

static void t_cancel(void)
{
    ss_engine *e = ss_engine_new(4);
    struct log lg = {0};
    ss_event_id a = ss_engine_at(e, 10, log_fn, &lg, 1);
    ss_event_id b = ss_engine_at(e, 20, log_fn, &lg, 2);
    ss_event_id c = ss_engine_at(e, 30, log_fn, &lg, 3);
    CHECK(a && b && c && a != b && b != c && a != c);
    CHECK_EQ_U(ss_engine_pending(e), 3);
    CHECK_EQ_I(ss_engine_cancel(e, b), 1);          /* pending */
    CHECK_EQ_U(ss_engine_pending(e), 2);
    CHECK_EQ_I(ss_engine_cancel(e, b), 0);          /* twice */
    CHECK_EQ_I(ss_engine_cancel(e, 0), 0);          /* id 0 */
    CHECK_EQ_I(ss_engine_cancel(e, UINT64_C(0xdead00000777)), 0);  /* never issued */
    CHECK_EQ_I(ss_engine_cancel(e, c + (UINT64_C(1) << 32)), 0);   /* a neighbour of c */
    CHECK_EQ_U(ss_engine_pending(e), 2);
    CHECK_EQ_I(ss_engine_step(e, SS_TIME_MAX), 1);  /* fires a */
    CHECK_EQ_I(ss_engine_cancel(e, a), 0);          /* fired */
    /* b's slot is reused by a new event: the stale id b must not touch it */
    ss_event_id d = ss_engine_at(e, 25, log_fn, &lg, 4);
    CHECK(d != a && d != b && d != c);
    CHECK_EQ_I(ss_engine_cancel(e, b), 0);
    CHECK_EQ_I(ss_engine_cancel(e, a), 0);
    CHECK_EQ_I(ss_engine_when(e, d), 25);
    CHECK_EQ_U(ss_engine_run(e, 100), 2);
    CHECK_EQ_I(lg.n, 3);
    CHECK_EQ_U(lg.arg[0], 1);
    CHECK_EQ_U(lg.arg[1], 4);
    CHECK_EQ_U(lg.arg[2], 3);
    ss_engine_free(e);
}

/* Handlers cancel events at the same time and later; a firing event is no
 * longer pending, so it can neither be cancelled nor rescheduled. */
struct canceller {
    struct log lg;
    ss_event_id victim_same, victim_later, self;
    int self_cancel, self_resched;
};

static void canceller_fn(ss_engine *eng, void *ctx, uint64_t arg)
{
    struct canceller *c = ctx;
    log_fn(eng, &c->lg, arg);
    if (arg == 1) {
        CHECK_EQ_I(ss_engine_cancel(eng, c->victim_same), 1);
        CHECK_EQ_I(ss_engine_cancel(eng, c->victim_later), 1);
        c->self_cancel = ss_engine_cancel(eng, c->self);
        c->self_resched = ss_engine_reschedule(eng, c->self, 50) != 0;
    }
}

static void t_cancel_from_handler(void)
{
    ss_engine *e = ss_engine_new(5);
    struct canceller c;
    memset(&c, 0, sizeof c);
    c.self = ss_engine_at(e, 10, canceller_fn, &c, 1);
    c.victim_same = ss_engine_at(e, 10, canceller_fn, &c, 2);
    ss_engine_at(e, 10, canceller_fn, &c, 3);
    c.victim_later = ss_engine_at(e, 20, canceller_fn, &c, 4);
    ss_engine_at(e, 30, canceller_fn, &c, 5);
    CHECK_EQ_U(ss_engine_run(e, 100), 3);
    CHECK_EQ_I(c.lg.n, 3);
    CHECK_EQ_U(c.lg.arg[0], 1);
    CHECK_EQ_U(c.lg.arg[1], 3);
    CHECK_EQ_U(c.lg.arg[2], 5);
    CHECK_EQ_I(c.self_cancel, 0);
    CHECK_EQ_I(c.self_resched, 0);
    CHECK_EQ_U(ss_engine_pending(e), 0);
    ss_engine_free(e);
}

static void t_reschedule(void)
{
    ss_engine *e = ss_engine_new(6);
    struct log lg = {0};
    ss_event_id x = ss_engine_at(e, 10, log_fn, &lg, 1);
    ss_event_id y = ss_engine_at(e, 10, log_fn, &lg, 2);
    ss_event_id z = ss_engine_at(e, 20, log_fn, &lg, 3);
    ss_event_id w = ss_engine_at(e, 40, log_fn, &lg, 4);
    /* same time: x now orders after y */
    ss_event_id x2 = ss_engine_reschedule(e, x, 10);
    CHECK(x2 != 0 && x2 != x);
    CHECK_EQ_I(ss_engine_when(e, x), -1);
    CHECK_EQ_I(ss_engine_when(e, x2), 10);
    /* earlier: z moves to 5, first */
    ss_event_id z2 = ss_engine_reschedule(e, z, 5);
    CHECK_EQ_I(ss_engine_when(e, z2), 5);
    /* later: y to 40, after w (scheduled earlier at 40) */
    ss_event_id y2 = ss_engine_reschedule(e, y, 40);
    CHECK_EQ_I(ss_engine_when(e, y2), 40);
    /* not pending: the old ids, 0, unknown */
    CHECK_EQ_U(ss_engine_reschedule(e, x, 7), 0);
    CHECK_EQ_U(ss_engine_reschedule(e, 0, 7), 0);
    CHECK_EQ_U(ss_engine_reschedule(e, UINT64_C(0x500000123), 7), 0);
    CHECK_EQ_U(ss_engine_pending(e), 4);
    CHECK_EQ_U(ss_engine_run(e, 30), 2);            /* z2@5, x2@10 */
    /* into the past: clamps to now (30) */
    ss_event_id w2 = ss_engine_reschedule(e, w, 1);
    CHECK_EQ_I(ss_engine_when(e, w2), 30);
    CHECK_EQ_U(ss_engine_run(e, 100), 2);
    static const uint64_t want[] = { 3, 1, 4, 2 };
    static const ss_time wt[] = { 5, 10, 30, 40 };
    CHECK_EQ_I(lg.n, 4);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ_U(lg.arg[i], want[i]);
        CHECK_EQ_I(lg.t[i], wt[i]);
    }
    ss_engine_free(e);
}

static void t_when(void)
{
    ss_engine *e = ss_engine_new(7);
    struct log lg = {0};
    ss_event_id a = ss_engine_at(e, 123456789, log_fn, &lg, 1);
    ss_event_id b = ss_engine_at(e, 5, log_fn, &lg, 2);
    CHECK_EQ_I(ss_engine_when(e, a), 123456789);
    CHECK_EQ_I(ss_engine_when(e, b), 5);
    CHECK_EQ_I(ss_engine_when(e, 0), -1);
    CHECK_EQ_I(ss_engine_when(e, UINT64_MAX), -1);
    CHECK_EQ_I(ss_engine_step(e, SS_TIME_MAX), 1);
    CHECK_EQ_I(ss_engine_when(e, b), -1);           /* fired */
    CHECK_EQ_I(ss_engine_cancel(e, a), 1);
    CHECK_EQ_I(ss_engine_when(e, a), -1);           /* cancelled */
    CHECK_EQ_U(ss_engine_at(e, 1, NULL, NULL, 0), 0);   /* no handler */
    ss_engine_free(e);
}

static void t_pending_exact(void)
{
    enum { N = 3000 };
    ss_engine *e = ss_engine_new(8);
    struct seq s = { 0, N, malloc(N * sizeof(uint64_t)) };
    ss_event_id *id = malloc(N * sizeof *id);
    uint64_t rs = 99;
    for (uint64_t i = 0; i < N; i++)
        id[i] = ss_engine_at(e, (ss_time)(xorshift(&rs) % 1000000), seq_fn, &s, i);
    size_t cancelled = 0;
    for (size_t i = 0; i < N; i += 3) {
        cancelled += (size_t)ss_engine_cancel(e, id[i]);
        CHECK_EQ_U(ss_engine_pending(e), N - cancelled);
    }
    CHECK_EQ_U(cancelled, (N + 2) / 3);
    for (size_t i = 0; i < N; i += 3)                   /* again: no effect */
        CHECK_EQ_I(ss_engine_cancel(e, id[i]), 0);
    CHECK_EQ_U(ss_engine_pending(e), N - cancelled);
    CHECK_EQ_U(ss_engine_run(e, SS_TIME_MAX), N - cancelled);
    CHECK_EQ_U(ss_engine_pending(e), 0);
    size_t bad = 0;
    for (size_t i = 0; i < s.n; i++)
        bad += s.arg[i] % 3 == 0;
    CHECK_EQ_U(bad, 0);
    ss_engine_free(e);
    free(s.arg);
    free(id);
}

/* ---- run, step, stop, clamping -------------------------------------------- */

static void t_run_until(void)
{
    ss_engine *e = ss_engine_new(9);
    struct log lg = {0};
    ss_engine_at(e, 10, log_fn, &lg, 1);
    ss_engine_at(e, 20, log_fn, &lg, 2);
    ss_engine_at(e, 30, log_fn, &lg, 3);
    CHECK_EQ_U(ss_engine_run(e, 20), 2);            /* the event at until fires */
    CHECK_EQ_I(ss_engine_now(e), 20);
    CHECK_EQ_I(lg.n, 2);
    CHECK_EQ_U(ss_engine_run(e, 25), 0);            /* nothing due: time moves */
    CHECK_EQ_I(ss_engine_now(e), 25);
    CHECK_EQ_U(ss_engine_run(e, 5), 0);             /* never backwards */
    CHECK_EQ_I(ss_engine_now(e), 25);
    CHECK_EQ_I(ss_engine_step(e, 29), 0);           /* step does not move time */
    CHECK_EQ_I(ss_engine_now(e), 25);
    CHECK_EQ_I(ss_engine_step(e, 30), 1);
    CHECK_EQ_I(ss_engine_now(e), 30);
    CHECK_EQ_I(ss_engine_step(e, SS_TIME_MAX), 0);  /* empty */
    CHECK_EQ_I(ss_engine_now(e), 30);
    CHECK_EQ_U(ss_engine_run(e, 1000), 0);          /* empty: now = until */
    CHECK_EQ_I(ss_engine_now(e), 1000);
    CHECK_EQ_I(ss_engine_stopped(e), 0);
    CHECK_EQ_U(ss_engine_fired(e), 3);
    CHECK_EQ_I(lg.t[2], 30);
    ss_engine_free(e);
}

static void stop_fn(ss_engine *eng, void *ctx, uint64_t arg)
{
    log_fn(eng, ctx, arg);
    if (arg == 2)
        ss_engine_stop(eng);
}

static void t_stop(void)
{
    ss_engine *e = ss_engine_new(10);
    struct log lg = {0};
    ss_engine_at(e, 10, stop_fn, &lg, 1);
    ss_engine_at(e, 20, stop_fn, &lg, 2);
    ss_engine_at(e, 20, stop_fn, &lg, 3);
    ss_engine_at(e, 30, stop_fn, &lg, 4);
    CHECK_EQ_U(ss_engine_run(e, 100), 2);
    CHECK_EQ_I(ss_engine_stopped(e), 1);
    CHECK_EQ_I(ss_engine_now(e), 20);               /* not 100 */
    CHECK_EQ_U(ss_engine_pending(e), 2);
    CHECK_EQ_U(ss_engine_run(e, 100), 2);           /* resumes */
    CHECK_EQ_I(ss_engine_stopped(e), 0);
    CHECK_EQ_I(ss_engine_now(e), 100);
    CHECK_EQ_I(lg.n, 4);
    CHECK_EQ_U(lg.arg[2], 3);
    CHECK_EQ_I(lg.t[2], 20);
    ss_engine_free(e);
}

static void t_clamp_past(void)
{
    ss_engine *e = ss_engine_new(11);
    struct log lg = {0};
    ss_engine_run(e, 1000);
    ss_event_id a = ss_engine_at(e, 500, log_fn, &lg, 1);
    ss_event_id b = ss_engine_at(e, -7, log_fn, &lg, 2);
    ss_event_id c = ss_engine_at(e, INT64_MIN, log_fn, &lg, 3);
    CHECK_EQ_I(ss_engine_when(e, a), 1000);
    CHECK_EQ_I(ss_engine_when(e, b), 1000);
    CHECK_EQ_I(ss_engine_when(e, c), 1000);
    ss_engine_at(e, 999, log_fn, &lg, 4);
    CHECK_EQ_U(ss_engine_run(e, 1000), 4);
    CHECK_EQ_I(lg.n, 4);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ_U(lg.arg[i], (uint64_t)i + 1);
        CHECK_EQ_I(lg.t[i], 1000);
    }
    /* the far end of time still orders */
    ss_engine_at(e, SS_TIME_MAX, log_fn, &lg, 6);
    ss_engine_at(e, SS_TIME_MAX - 1, log_fn, &lg, 5);
    CHECK_EQ_U(ss_engine_run(e, SS_TIME_MAX), 2);
    CHECK_EQ_U(lg.arg[4], 5);
    CHECK_EQ_U(lg.arg[5], 6);
    CHECK_EQ_I(ss_engine_now(e), SS_TIME_MAX);
    ss_engine_free(e);
}

/* ---- two engines ----------------------------------------------------------- */

struct owner {
    ss_engine *expect;
    int wrong, count;
};

static void owner_fn(ss_engine *eng, void *ctx, uint64_t arg)
{
    struct owner *o = ctx;
    o->wrong += eng != o->expect;
    o->count++;
    if (arg)        /* chain: next one 7 ns later */
        ss_engine_at(eng, ss_engine_now(eng) + 7, owner_fn, ctx, arg - 1);
}

static void t_two_engines(void)
{
    ss_engine *e1 = ss_engine_new(1), *e2 = ss_engine_new(1);
    struct owner o1 = { e1, 0, 0 }, o2 = { e2, 0, 0 };
    ss_event_id i1 = ss_engine_at(e1, 100, owner_fn, &o1, 9);
    ss_event_id i2 = ss_engine_at(e2, 50, owner_fn, &o2, 4);
    CHECK_EQ_I(ss_engine_when(e1, i1), 100);
    CHECK_EQ_I(ss_engine_when(e2, i2), 50);
    CHECK_EQ_U(ss_engine_run(e1, 120), 3);          /* 100, 107, 114 */
    CHECK_EQ_I(ss_engine_now(e1), 120);
    CHECK_EQ_I(ss_engine_now(e2), 0);
    CHECK_EQ_U(ss_engine_pending(e2), 1);
    CHECK_EQ_I(ss_engine_when(e2, i2), 50);
    CHECK_EQ_U(ss_engine_run(e2, SS_TIME_MAX), 5);  /* 50 .. 78 */
    CHECK_EQ_U(ss_engine_run(e1, SS_TIME_MAX), 7);
    CHECK_EQ_I(o1.count, 10);
    CHECK_EQ_I(o2.count, 5);
    CHECK_EQ_I(o1.wrong + o2.wrong, 0);
    CHECK_EQ_U(ss_engine_fired(e1), 10);
    CHECK_EQ_U(ss_engine_fired(e2), 5);
    ss_engine_free(e1);
    ss_engine_free(e2);
}

/* ---- random streams --------------------------------------------------------- */

/* Independent re-derivation of ss_stream_seed from its documented parts,
 * each checked against a published test vector. */
static uint64_t ref_fnv1a(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037);
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

static uint64_t ref_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void t_stream_seed(void)
{
    /* FNV-1a 64 vectors (Fowler/Noll/Vo test suite): "" and "a", "foobar" */
    CHECK_EQ_U(ref_fnv1a(""), UINT64_C(0xcbf29ce484222325));
    CHECK_EQ_U(ref_fnv1a("a"), UINT64_C(0xaf63dc4c8601ec8c));
    CHECK_EQ_U(ref_fnv1a("foobar"), UINT64_C(0x85944171f73967e8));
    /* SplitMix64 from state 0: first output 0xe220a8397b1dcdaf */
    CHECK_EQ_U(ref_mix(UINT64_C(0x9e3779b97f4a7c15)), UINT64_C(0xe220a8397b1dcdaf));
    static const char *const names[] = { "vm:a", "vm:b", "", "host:esx01", "vm:db01" };
    static const uint64_t seeds[] = { 0, 1, 7, UINT64_MAX };
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++) {
            uint64_t want = ref_mix(ref_fnv1a(names[i]) ^ ref_mix(seeds[j] + UINT64_C(0x9e3779b97f4a7c15)));
            CHECK_EQ_U(ss_stream_seed(seeds[j], names[i]), want);
        }
    /* the stream is GSL's mt19937 seeded with the 64-bit seed folded lo ^ hi */
    ss_engine *e = ss_engine_new(7);
    gsl_rng *r = ss_engine_stream(e, "vm:db01");
    gsl_rng *ref = gsl_rng_alloc(gsl_rng_mt19937);
    uint64_t s64 = ss_stream_seed(7, "vm:db01");
    gsl_rng_set(ref, (unsigned long)(uint32_t)(s64 ^ (s64 >> 32)));
    int same = 1;
    for (int i = 0; i < 100; i++)
        same &= gsl_rng_get(r) == gsl_rng_get(ref);
    CHECK(same);
    CHECK_STR(gsl_rng_name(r), "mt19937");
    gsl_rng_free(ref);
    ss_engine_free(e);
}

static void draws(gsl_rng *r, unsigned long *out, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = gsl_rng_get(r);
}

static void t_stream_independence(void)
{
    enum { K = 20 };
    unsigned long a0[K], a1[K], a2[K], a3[K], b[K], x[K], y[K];

    ss_engine *e0 = ss_engine_new(42);          /* "vm:a" alone */
    draws(ss_engine_stream(e0, "vm:a"), a0, K);

    ss_engine *e1 = ss_engine_new(42);          /* "vm:b" created and drawn first */
    draws(ss_engine_stream(e1, "vm:b"), b, K);
    draws(ss_engine_stream(e1, "vm:a"), a1, K);

    ss_engine *e2 = ss_engine_new(42);          /* interleaved, plus 300 others */
    gsl_rng *ra = ss_engine_stream(e2, "vm:a");
    for (int i = 0; i < K; i++) {
        a2[i] = gsl_rng_get(ra);
        gsl_rng_get(ss_engine_stream(e2, "vm:b"));
    }
    char name[32];
    for (int i = 0; i < 300; i++) {             /* grows the table several times */
        snprintf(name, sizeof name, "vm:%d", i);
        CHECK(ss_engine_stream(e2, name) != NULL);
    }
    CHECK(ss_engine_stream(e2, "vm:a") == ra);  /* same name, same gsl_rng */
    CHECK(ss_engine_stream(e2, "vm:b") != ra);

    ss_engine *e3 = ss_engine_new(42);          /* "vm:a" first, "vm:b" after */
    draws(ss_engine_stream(e3, "vm:a"), a3, K);
    gsl_rng_get(ss_engine_stream(e3, "vm:b"));

    CHECK(memcmp(a0, a1, sizeof a0) == 0);
    CHECK(memcmp(a0, a2, sizeof a0) == 0);
    CHECK(memcmp(a0, a3, sizeof a0) == 0);
    CHECK(memcmp(a0, b, sizeof a0) != 0);       /* other name, other draws */

    ss_engine *e4 = ss_engine_new(43);          /* other seed, other draws */
    draws(ss_engine_stream(e4, "vm:a"), x, K);
    CHECK(memcmp(a0, x, sizeof a0) != 0);
    ss_engine *e5 = ss_engine_new(42);          /* near-identical names differ */
    draws(ss_engine_stream(e5, "vm:a "), y, K);
    CHECK(memcmp(a0, y, sizeof a0) != 0);
    CHECK_EQ_U(ss_engine_seed(e4), 43);

    ss_engine_free(e0);
    ss_engine_free(e1);
    ss_engine_free(e2);
    ss_engine_free(e3);
    ss_engine_free(e4);
    ss_engine_free(e5);
}

/* ---- heavy cancel / reschedule ------------------------------------------- */

static size_t heap_in_use(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    return mallinfo2().uordblks;
#else
    return 0;
#endif
}

/* 100 timers, each pushed back a million times in total: the tombstones must
 * be recycled, so the heap in use after 10^6 reschedules is no larger than
 * after 10^5 (plus slack for allocator noise).  With glibc's malloc only;
 * elsewhere (or under ASan) the memory check is vacuous but the order check
 * still runs. */
static void t_reschedule_storm(void)
{
    enum { N = 100 };
    ss_engine *e = ss_engine_new(12);
    struct seq s = { 0, N, malloc(N * sizeof(uint64_t)) };
    ss_event_id id[N];
    ss_time when[N];
    uint64_t rs = 7;
    for (int i = 0; i < N; i++) {
        when[i] = 1000 + i;
        id[i] = ss_engine_at(e, when[i], seq_fn, &s, (uint64_t)i);
    }
    size_t mem1 = 0;
    for (int k = 0; k < 1000000; k++) {
        int i = (int)(xorshift(&rs) % N);
        when[i] = 1000 + (ss_time)(xorshift(&rs) % (UINT64_C(1) << 40));
        id[i] = ss_engine_reschedule(e, id[i], when[i]);
        if (k == 100000)
            mem1 = heap_in_use();
    }
    size_t mem2 = heap_in_use();
    CHECK(mem2 <= mem1 + 64 * 1024);
    CHECK_EQ_U(ss_engine_pending(e), N);
    for (int i = 0; i < N; i++)
        CHECK_EQ_I(ss_engine_when(e, id[i]), when[i]);
    CHECK_EQ_U(ss_engine_run(e, SS_TIME_MAX), N);
    size_t bad = 0;
    for (size_t k = 1; k < s.n; k++)
        bad += when[s.arg[k - 1]] > when[s.arg[k]];
    CHECK_EQ_U(bad, 0);
    ss_engine_free(e);
    free(s.arg);
}

/* ---- differential test against a sorted array --------------------------- */

/* Reference pending set: live events sorted by (t, seq); a new event has the
 * largest seq so it goes after every event with t' <= t. */
struct ref_ev {
    ss_time t;
    uint64_t tag;
    ss_event_id id;
};

struct diff {
    ss_engine *eng;
    struct ref_ev *ev;
    size_t n, cap;
    ss_event_id *ids;           /* every id ever issued */
    size_t nids, capids;
    uint64_t tags, rs;
    size_t mismatches, fired, cancels, reschedules;
};

static void diff_fn(ss_engine *eng, void *ctx, uint64_t arg);

static void ref_insert(struct diff *d, ss_time t, uint64_t tag, ss_event_id id)
{
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (d->ev[mid].t <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 256;
        d->ev = realloc(d->ev, d->cap * sizeof *d->ev);
    }
    memmove(d->ev + lo + 1, d->ev + lo, (d->n - lo) * sizeof *d->ev);
    d->ev[lo] = (struct ref_ev){ t, tag, id };
    d->n++;
    if (d->nids == d->capids) {
        d->capids = d->capids ? 2 * d->capids : 256;
        d->ids = realloc(d->ids, d->capids * sizeof *d->ids);
    }
    d->ids[d->nids++] = id;
}

static long ref_find(const struct diff *d, ss_event_id id)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->ev[i].id == id)
            return (long)i;
    return -1;
}

static void ref_remove(struct diff *d, size_t i)
{
    memmove(d->ev + i, d->ev + i + 1, (d->n - i - 1) * sizeof *d->ev);
    d->n--;
}

/* A random time offset: often 0 or tiny (ties), sometimes large (high radix
 * levels), sometimes negative (clamped to now). */
static ss_time rand_offset(struct diff *d)
{
    uint64_t r = xorshift(&d->rs);
    switch (r % 8) {
    case 0: return 0;
    case 1: return -(ss_time)(r >> 8 & 1023);
    case 2: case 3: return (ss_time)(r >> 8 & 63);
    case 4: case 5: return (ss_time)(r >> 8 & 0xfffff);
    case 6: return (ss_time)(r >> 8 & 0xffffffffff);
    default: return (ss_time)(r >> 8 & 0xfffffffffff);     /* < 2^44: no overflow */
    }
}

static void diff_schedule(struct diff *d)
{
    ss_time now = ss_engine_now(d->eng);
    ss_time t = now + rand_offset(d);
    uint64_t tag = d->tags++;
    ss_event_id id = ss_engine_at(d->eng, t, diff_fn, d, tag);
    if (!id) {
        d->mismatches++;
        return;
    }
    ref_insert(d, t < now ? now : t, tag, id);
}

/* Half the time a pending event, half the time any id ever issued. */
static ss_event_id pick_id(struct diff *d)
{
    uint64_t r = xorshift(&d->rs);
    if (r & 1 && d->n)
        return d->ev[(r >> 1) % d->n].id;
    return d->ids[(r >> 1) % d->nids];
}

static void diff_cancel(struct diff *d)
{
    if (!d->nids)
        return;
    ss_event_id id = pick_id(d);
    long i = ref_find(d, id);
    int got = ss_engine_cancel(d->eng, id);
    if (got != (i >= 0))
        d->mismatches++;
    if (i >= 0) {
        ref_remove(d, (size_t)i);
        d->cancels++;
    }
}

static void diff_reschedule(struct diff *d)
{
    if (!d->nids)
        return;
    ss_event_id id = pick_id(d);
    long i = ref_find(d, id);
    ss_time now = ss_engine_now(d->eng);
    ss_time t = now + rand_offset(d);
    ss_event_id nid = ss_engine_reschedule(d->eng, id, t);
    if ((nid != 0) != (i >= 0) || (nid && ss_engine_when(d->eng, id) != -1))
        d->mismatches++;
    if (i >= 0 && nid) {
        uint64_t tag = d->ev[i].tag;
        ref_remove(d, (size_t)i);
        ref_insert(d, t < now ? now : t, tag, nid);
        d->reschedules++;
    }
}

static void diff_fn(ss_engine *eng, void *ctx, uint64_t arg)
{
    struct diff *d = ctx;
    d->fired++;
    if (!d->n || d->ev[0].tag != arg || d->ev[0].t != ss_engine_now(eng)) {
        if (d->mismatches++ == 0)
            fprintf(stderr, "diff: fired tag %" PRIu64 " at %" PRId64 ", expected tag %"
                    PRIu64 " at %" PRId64 "\n", arg, ss_engine_now(eng),
                    d->n ? d->ev[0].tag : 0, d->n ? d->ev[0].t : -1);
        return;
    }
    ref_remove(d, 0);
    /* handlers act on the queue too */
    uint64_t r = xorshift(&d->rs) % 10;
    if (r < 3)
        diff_schedule(d);
    else if (r == 3)
        diff_cancel(d);
    else if (r == 4)
        diff_reschedule(d);
}

static void t_differential(void)
{
    struct diff d;
    memset(&d, 0, sizeof d);
    d.eng = ss_engine_new(13);
    d.rs = 0x9e3779b97f4a7c15u;
    for (int op = 0; op < 200000; op++) {
        uint64_t r = xorshift(&d.rs) % 100;
        /* keep the pending set around a few hundred */
        if ((int)r < 35 + (d.n < 200 ? 10 : 0) - (d.n > 600 ? 20 : 0)) {
            diff_schedule(&d);
        } else if (r < 50) {
            diff_cancel(&d);
        } else if (r < 65) {
            diff_reschedule(&d);
        } else if (r < 95) {
            ss_time now = ss_engine_now(d.eng);
            ss_time until = now + rand_offset(&d);
            int due = d.n && d.ev[0].t <= until;
            int got = ss_engine_step(d.eng, until);
            if (got != due)     /* the handler checks what fired, and when */
                d.mismatches++;
            if (!got && ss_engine_now(d.eng) != now)
                d.mismatches++;
        } else {
            ss_time now = ss_engine_now(d.eng);
            ss_time until = now + (ss_time)(xorshift(&d.rs) % 2000000);
            ss_engine_run(d.eng, until);
            if (ss_engine_now(d.eng) != until || (d.n && d.ev[0].t <= until))
                d.mismatches++;
        }
        if (ss_engine_pending(d.eng) != d.n)
            d.mismatches++;
        if (op % 64 == 0 && d.nids) {
            ss_event_id id = d.ids[xorshift(&d.rs) % d.nids];
            long i = ref_find(&d, id);
            if (ss_engine_when(d.eng, id) != (i >= 0 ? d.ev[i].t : -1))
                d.mismatches++;
        }
    }
    /* drain */
    ss_engine_run(d.eng, SS_TIME_MAX);
    CHECK_EQ_U(d.n, 0);
    CHECK_EQ_U(d.mismatches, 0);
    /* every path was exercised (about 100k fired, 12k cancelled, 20k moved) */
    CHECK(d.fired > 50000);
    CHECK(d.cancels > 5000);
    CHECK(d.reschedules > 10000);
    CHECK_EQ_U(ss_engine_fired(d.eng), d.fired);
    ss_engine_free(d.eng);
    free(d.ev);
    free(d.ids);
}

/* ---- at scale: the deep levels and the spare arrays ------------------------ */

/* Tens of thousands pending with times spread over 2^22 ns and beyond, so
 * that buckets of hundreds of entries are redistributed (their arrays
 * passing through the spares) while handlers add ties, cancel and
 * reschedule.  Each event carries a tag; a scheduling counter `seq` gives
 * the order the header promises: events fire in strictly increasing
 * (time, seq), where a reschedule takes a new seq.  That, with every
 * event scheduled and not cancelled firing exactly once at its recorded
 * time, is the whole specification, checked in O(1) per event (the
 * differential test does it against a reference, but only a few hundred
 * events deep). */
struct big {
    ss_engine *eng;
    uint64_t rs, seq, tags, max_tags;
    ss_event_id *id;        /* per tag */
    ss_time *t;             /* per tag: when it must fire */
    uint64_t *tseq;         /* per tag: its seq */
    unsigned char *state;   /* per tag: 0 pending, 1 fired, 2 cancelled */
    ss_time last_t;
    uint64_t last_seq, fired, cancels, reschedules, bad;
};

static void big_fn(ss_engine *eng, void *ctx, uint64_t tag);

static ss_time big_offset(struct big *b)
{
    uint64_t r = xorshift(&b->rs);
    switch (r % 10) {
    case 0: return 0;                                       /* a tie with now */
    case 1: return (ss_time)(r >> 8 & 255) * 3;             /* level 0..1 */
    case 2: case 3: return (ss_time)(r >> 8 & 0xffff);      /* level 1 */
    case 4: return (ss_time)(r >> 8 & 0xffffffffff);        /* far: level 4 */
    default: return (ss_time)(r >> 8 & 0x3fffff) & ~(ss_time)1023;    /* level 2, ties */
    }
}

static void big_schedule(struct big *b, ss_time t)
{
    if (b->tags == b->max_tags)
        return;
    uint64_t tag = b->tags++;
    b->t[tag] = t;
    b->tseq[tag] = b->seq++;
    b->id[tag] = ss_engine_at(b->eng, t, big_fn, b, tag);
    b->bad += b->id[tag] == 0;
}

static void big_fn(ss_engine *eng, void *ctx, uint64_t tag)
{
    struct big *b = ctx;
    ss_time now = ss_engine_now(eng);
    if (b->state[tag] != 0 || b->t[tag] != now || now < b->last_t ||
        (now == b->last_t && b->tseq[tag] <= b->last_seq))
        b->bad++;
    b->state[tag] = 1;
    b->last_t = now;
    b->last_seq = b->tseq[tag];
    b->fired++;
    /* one successor always, and 3/16 a second one, so the population grows
     * (cancels take at most 2/16) until max_tags, then drains */
    big_schedule(b, now + big_offset(b));
    uint64_t r = xorshift(&b->rs) % 16;
    /* cancel or move one of the last 50000 tags: pending or not */
    uint64_t span = b->tags < 50000 ? b->tags : 50000;
    uint64_t k = b->tags - 1 - xorshift(&b->rs) % span;
    if (r < 3) {
        big_schedule(b, now + big_offset(b));
    } else if (r < 5) {
        int got = ss_engine_cancel(eng, b->id[k]);
        b->bad += got != (b->state[k] == 0);
        if (got) {
            b->state[k] = 2;
            b->cancels++;
        }
    } else if (r < 7) {                 /* a new seq, maybe a new id */
        ss_time t = now + big_offset(b);
        ss_event_id nid = ss_engine_reschedule(eng, b->id[k], t);
        b->bad += (nid != 0) != (b->state[k] == 0);
        if (nid) {
            b->id[k] = nid;
            b->t[k] = t;
            b->tseq[k] = b->seq++;
            b->reschedules++;
        }
    }
}

static void t_at_scale(void)
{
    enum { START = 30000, MAX = 400000 };
    struct big b;
    memset(&b, 0, sizeof b);
    b.eng = ss_engine_new(14);
    b.rs = 0x2545f4914f6cdd1du;
    b.max_tags = MAX;
    b.id = calloc(MAX, sizeof *b.id);
    b.t = calloc(MAX, sizeof *b.t);
    b.tseq = calloc(MAX, sizeof *b.tseq);
    b.state = calloc(MAX, 1);
    b.last_t = -1;
    for (int i = 0; i < START; i++)
        big_schedule(&b, (ss_time)(xorshift(&b.rs) % (UINT64_C(1) << 22)));
    /* run in slices, so `until` often falls short of a big bucket */
    uint64_t slices = 0;
    while (ss_engine_pending(b.eng)) {
        ss_time now = ss_engine_now(b.eng);
        ss_time until = now + (ss_time)(xorshift(&b.rs) % 100000);
        if (slices++ % 64 == 63)
            until = SS_TIME_MAX;
        ss_engine_run(b.eng, until);
        if (ss_engine_now(b.eng) != until && until != SS_TIME_MAX)
            b.bad++;
        /* spot-check when(): exact for pending tags, -1 for the others */
        uint64_t k = xorshift(&b.rs) % b.tags;
        if (ss_engine_when(b.eng, b.id[k]) != (b.state[k] == 0 ? b.t[k] : -1))
            b.bad++;
    }
    CHECK_EQ_U(b.bad, 0);
    CHECK_EQ_U(b.tags, MAX);
    /* every tag fired or was cancelled, never both */
    uint64_t fired = 0, cancelled = 0;
    for (uint64_t k = 0; k < b.tags; k++) {
        fired += b.state[k] == 1;
        cancelled += b.state[k] == 2;
    }
    CHECK_EQ_U(fired, b.fired);
    CHECK_EQ_U(cancelled, b.cancels);
    CHECK_EQ_U(fired + cancelled, MAX);
    CHECK_EQ_U(ss_engine_fired(b.eng), b.fired);
    /* each path ran many times: 2/16 of the ~380k handlers try to cancel,
     * 2/16 to move, hitting a pending tag about half the time */
    CHECK(b.cancels > 10000);
    CHECK(b.reschedules > 10000);
    ss_engine_free(b.eng);
    free(b.id);
    free(b.t);
    free(b.tseq);
    free(b.state);
}

static const struct tl_test tl_tests[] = {
    TL(t_time_from_s),
    TL(t_order_by_time),
    TL(t_ties_fifo),
    TL(t_same_time_from_handler),
    TL(t_cancel),
    TL(t_cancel_from_handler),
    TL(t_reschedule),
    TL(t_when),
    TL(t_pending_exact),
    TL(t_run_until),
    TL(t_stop),
    TL(t_clamp_past),
    TL(t_two_engines),
    TL(t_stream_seed),
    TL(t_stream_independence),
    TL(t_reschedule_storm),
    TL(t_differential),
    TL(t_at_scale),
    {0}
};

int main(int c, char **v) { return tl_main(tl_tests, c, v); }
