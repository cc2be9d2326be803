/*
 * test_engine.c -- the event engine: ordering by (time, insertion order),
 * same-time ties, cancellation, rescheduling, run boundaries, and the
 * independence of per-entity random streams.
 */
#include "snapsim/engine.h"
#include "testlib.h"

typedef struct rec { int n; int order[4096]; ss_time at[4096]; } rec;

static void note(ss_engine *e, void *ctx, uint64_t arg)
{
    rec *r = ctx;
    r->order[r->n] = (int)arg;
    r->at[r->n++] = ss_engine_now(e);
}

/* Times with many duplicates, scheduled in a scrambled order: they must
 * fire sorted by time, equal times in scheduling order (a stable sort). */
static void t_order_and_ties(void)
{
    ss_engine *e = ss_engine_new(1);
    static rec r;
    r.n = 0;
    ss_time t[2000];
    for (int i = 0; i < 2000; i++) {
        t[i] = (ss_time)((i * 7919) % 50);
        ss_engine_at(e, t[i], note, &r, (uint64_t)i);
    }
    ss_engine_run(e, 100);
    CHECK_EQ_I(r.n, 2000);
    for (int k = 1; k < r.n; k++) {
        int a = r.order[k - 1], b = r.order[k];
        CHECK(t[a] < t[b] || (t[a] == t[b] && a < b));
    }
    CHECK_EQ_I(ss_engine_now(e), 100);
    ss_engine_free(e);
}

static void sched_same_time(ss_engine *e, void *ctx, uint64_t arg)
{
    rec *r = ctx;
    note(e, ctx, arg);
    if (arg == 1) ss_engine_at(e, ss_engine_now(e), note, r, 99);
}

/* An event scheduled by a handler at the current time fires after the
 * events already pending at that time. */
static void t_same_time_from_handler(void)
{
    ss_engine *e = ss_engine_new(1);
    static rec r;
    r.n = 0;
    ss_engine_at(e, 10, sched_same_time, &r, 1);
    ss_engine_at(e, 10, note, &r, 2);
    ss_engine_at(e, 10, note, &r, 3);
    ss_engine_run(e, 10);
    CHECK_EQ_I(r.n, 4);
    CHECK_EQ_I(r.order[0], 1);
    CHECK_EQ_I(r.order[1], 2);
    CHECK_EQ_I(r.order[2], 3);
    CHECK_EQ_I(r.order[3], 99);
    ss_engine_free(e);
}

static void t_cancel_reschedule(void)
{
    ss_engine *e = ss_engine_new(1);
    static rec r;
    r.n = 0;
    ss_event_id a = ss_engine_at(e, 5, note, &r, 1);
    ss_event_id b = ss_engine_at(e, 6, note, &r, 2);
    ss_event_id c = ss_engine_at(e, 7, note, &r, 3);
    ss_engine_at(e, 8, note, &r, 4);
    CHECK_EQ_U(ss_engine_pending(e), 4);
    CHECK_EQ_I(ss_engine_cancel(e, b), 1);
    CHECK_EQ_I(ss_engine_cancel(e, b), 0);         /* twice */
    CHECK_EQ_I(ss_engine_cancel(e, 0), 0);         /* id 0 */
    CHECK_EQ_I(ss_engine_cancel(e, 123456), 0);    /* never existed */
    CHECK_EQ_U(ss_engine_pending(e), 3);
    CHECK_EQ_I(ss_engine_when(e, c), 7);
    ss_event_id c2 = ss_engine_reschedule(e, c, 8);   /* after 4, scheduled earlier at 8 */
    CHECK(c2 != 0);
    CHECK_EQ_I(ss_engine_when(e, c2), 8);
    ss_event_id a2 = ss_engine_reschedule(e, a, 2);   /* earlier */
    CHECK_EQ_I(ss_engine_when(e, a2), 2);
    ss_engine_run(e, 100);
    CHECK_EQ_I(r.n, 3);
    CHECK_EQ_I(r.order[0], 1);
    CHECK_EQ_I(r.at[0], 2);
    CHECK_EQ_I(r.order[1], 4);
    CHECK_EQ_I(r.order[2], 3);
    CHECK_EQ_I(ss_engine_cancel(e, a2), 0);        /* fired */
    CHECK_EQ_I(ss_engine_reschedule(e, a2, 200), 0);
    CHECK_EQ_U(ss_engine_pending(e), 0);
    ss_engine_free(e);
}

static void stopper(ss_engine *e, void *ctx, uint64_t arg)
{
    note(e, ctx, arg);
    ss_engine_stop(e);
}

/* run(until): an event exactly at `until` fires, later ones do not; a
 * handler can stop the run; the past clamps to now. */
static void t_run_boundaries(void)
{
    ss_engine *e = ss_engine_new(1);
    static rec r;
    r.n = 0;
    ss_engine_at(e, 10, note, &r, 1);
    ss_engine_at(e, 11, note, &r, 2);
    ss_engine_run(e, 10);
    CHECK_EQ_I(r.n, 1);
    CHECK_EQ_I(ss_engine_now(e), 10);
    ss_engine_at(e, 3, note, &r, 3);               /* in the past: clamped to 10 */
    ss_engine_at(e, 12, stopper, &r, 4);
    ss_engine_at(e, 13, note, &r, 5);
    ss_engine_run(e, 100);
    CHECK_EQ_I(r.n, 4);
    CHECK_EQ_I(r.at[1], 10);
    CHECK_EQ_I(r.order[3], 4);
    CHECK(ss_engine_stopped(e));
    CHECK_EQ_I(ss_engine_now(e), 12);
    ss_engine_free(e);
}

/* Streams: seeded by (seed, name) only. */
static void t_streams(void)
{
    ss_engine *e1 = ss_engine_new(7), *e2 = ss_engine_new(7), *e3 = ss_engine_new(8);
    gsl_rng *a1 = ss_engine_stream(e1, "vm:a");
    gsl_rng *b2 = ss_engine_stream(e2, "vm:b");      /* another entity first, and drawn from */
    for (int i = 0; i < 100; i++) gsl_rng_get(b2);
    gsl_rng *a2 = ss_engine_stream(e2, "vm:a");
    gsl_rng *a3 = ss_engine_stream(e3, "vm:a");
    CHECK(ss_engine_stream(e1, "vm:a") == a1);
    int same = 1, diff_seed = 0, diff_name = 0;
    gsl_rng *b1 = ss_engine_stream(e1, "vm:b");
    for (int i = 0; i < 1000; i++) {
        unsigned long x = gsl_rng_get(a1), y = gsl_rng_get(a2), z = gsl_rng_get(a3), w = gsl_rng_get(b1);
        if (x != y) same = 0;
        if (x != z) diff_seed = 1;
        if (x != w) diff_name = 1;
    }
    CHECK(same);
    CHECK(diff_seed);
    CHECK(diff_name);
    CHECK(ss_stream_seed(7, "vm:a") != ss_stream_seed(7, "vm:b"));
    CHECK(ss_stream_seed(7, "vm:a") == ss_stream_seed(7, "vm:a"));
    ss_engine_free(e1);
    ss_engine_free(e2);
    ss_engine_free(e3);
}

static void t_time_from_s(void)
{
    CHECK_EQ_I(ss_time_from_s(1.5), 1500000000);
    CHECK_EQ_I(ss_time_from_s(1e-9), 1);
    CHECK_EQ_I(ss_time_from_s(1e30), INT64_MAX);
}

static const struct tl_test tl_tests[] = {
    TL(t_order_and_ties), TL(t_same_time_from_handler), TL(t_cancel_reschedule), TL(t_run_boundaries),
    TL(t_streams), TL(t_time_from_s), { 0, 0 },
};

int main(int argc, char **argv) { return tl_main(tl_tests, argc, argv); }
