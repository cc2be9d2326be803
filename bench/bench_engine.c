/*
 * bench_engine.c -- events/s of the engine in the classic "hold" model, next
 * to a plain binary heap measured in the same run.
 *
 * Hold model: n events pending; each step removes the earliest and schedules
 * one at now + Exp(mean 1 ms), drawn from a GSL mt19937 stream (the draw is
 * inside the timed loop).  The engine runs it through its public API: a
 * handler that reschedules itself, so the figure includes the callback,
 * slot bookkeeping and id handling.  The baseline is a bare binary heap of
 * (time, seq) keys with an argument, popped and pushed in a loop -- no
 * callback, no ids, no cancellation -- so the ratio understates the gap.
 * Each figure is the best of 3 repetitions (spread shown), after a warm-up
 * of n events so the pending set is in its steady state.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "snapsim/engine.h"

#define MEAN_NS 1e6
#define REPS 3

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- the engine ---------------------------------------------------------- */

struct hold {
    gsl_rng *rng;
    uint64_t left;      /* events still to fire before stopping */
};

static void hold_fn(ss_engine *eng, void *ctx, uint64_t arg)
{
    struct hold *h = ctx;
    if (--h->left == 0)
        ss_engine_stop(eng);
    ss_time inc = (ss_time)gsl_ran_exponential(h->rng, MEAN_NS);
    ss_engine_at(eng, ss_engine_now(eng) + inc, hold_fn, h, arg);
}

/* ns per event, or -1 on failure */
static double bench_engine(size_t n, uint64_t events)
{
    ss_engine *eng = ss_engine_new(42);
    if (!eng)
        return -1;
    struct hold h = { ss_engine_stream(eng, "hold"), 0 };
    if (!h.rng)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!ss_engine_at(eng, (ss_time)gsl_ran_exponential(h.rng, MEAN_NS), hold_fn, &h, i))
            return -1;
    h.left = n;                                   /* warm-up */
    ss_engine_run(eng, SS_TIME_MAX);
    h.left = events;
    double t0 = now_s();
    uint64_t fired = ss_engine_run(eng, SS_TIME_MAX);
    double dt = now_s() - t0;
    int ok = fired == events && ss_engine_pending(eng) == n;
    ss_engine_free(eng);
    return ok ? dt * 1e9 / (double)events : -1;
}

/* ---- the baseline: a plain binary heap of (time, seq) ------------------ */

struct hent {
    int64_t t;
    uint64_t seq;
    uint64_t arg;
};

struct heap {
    struct hent *v;
    size_t len;
    uint64_t seq;
};

static int hless(const struct hent *a, const struct hent *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void heap_push(struct heap *h, int64_t t, uint64_t arg)
{
    struct hent x = { t, h->seq++, arg };
    size_t i = h->len++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!hless(&x, &h->v[p]))
            break;
        h->v[i] = h->v[p];
        i = p;
    }
    h->v[i] = x;
}

static struct hent heap_pop(struct heap *h)
{
    struct hent top = h->v[0], x = h->v[--h->len];
    size_t i = 0, n = h->len;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && hless(&h->v[c + 1], &h->v[c]))
            c++;
        if (!hless(&h->v[c], &x))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    h->v[i] = x;
    return top;
}

static double bench_heap(size_t n, uint64_t events)
{
    struct heap h = { malloc(n * sizeof *h.v), 0, 0 };
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!h.v || !rng)
        return -1;
    gsl_rng_set(rng, 42);
    for (size_t i = 0; i < n; i++)
        heap_push(&h, (int64_t)gsl_ran_exponential(rng, MEAN_NS), i);
    int64_t now = 0;
    double t0 = 0;
    for (uint64_t k = 0; k < n + events; k++) {
        if (k == n)
            t0 = now_s();
        struct hent e = heap_pop(&h);
        now = e.t;
        heap_push(&h, now + (int64_t)gsl_ran_exponential(rng, MEAN_NS), e.arg);
    }
    double dt = now_s() - t0;
    free(h.v);
    gsl_rng_free(rng);
    return dt * 1e9 / (double)events;
}

/* ---- driver ------------------------------------------------------------- */

static void report(const char *what, size_t n, double best, double worst)
{
    printf("%-6s n=%-8zu %6.1f M events/s (%6.1f ns/event; worst of %d: %.1f)\n",
           what, n, 1e3 / best, best, REPS, worst);
}

int main(void)
{
    static const size_t sizes[] = { 1000, 10000, 100000, 1000000 };
    static const uint64_t events[] = { 10000000, 10000000, 5000000, 2000000 };
    printf("hold model, Exp(%.0f ns) increments drawn with gsl mt19937, best of %d\n",
           MEAN_NS, REPS);
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        double eb = 1e300, ew = 0, hb = 1e300, hw = 0;
        for (int r = 0; r < REPS; r++) {
            double e = bench_engine(sizes[s], events[s]);
            double h = bench_heap(sizes[s], events[s]);
            if (e < 0 || h < 0) {
                fprintf(stderr, "bench_engine: failed (out of memory?)\n");
                return 1;
            }
            eb = e < eb ? e : eb; ew = e > ew ? e : ew;
            hb = h < hb ? h : hb; hw = h > hw ? h : hw;
        }
        report("hold", sizes[s], eb, ew);
        report("heap", sizes[s], hb, hw);
        printf("       engine is %.2fx the binary heap's rate\n", hb / eb);
    }
    return 0;
}
