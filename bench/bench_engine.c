/*
 * bench_engine.c -- events/s of the engine in the classic "hold" model, next
 * to a plain binary heap measured in the same run.
 *
 * Hold model: n events pending; each step removes the earliest and schedules
 * one at now + a random increment drawn from a GSL mt19937 stream (the draw
 * is inside the timed loop): uniform on {0, ..., 2 ms - 1 ns}
 * (gsl_rng_uniform_int, ~12 ns here), or exponential with mean 1 ms
 * (gsl_ran_exponential, ~30 ns here: glibc's log1p dominates).
 *
 * The engine runs the model through its public API: a handler that
 * schedules its successor, so the figure includes the callback, the slot
 * bookkeeping and the ids.  The baseline is a bare binary heap of
 * (time, seq) keys with an argument, popped and pushed in a loop -- no
 * callback, no ids, no cancellation -- so the ratio understates the gap.
 *
 * Each figure is the best of 3 repetitions (the worst is shown too), after
 * a warm-up of n events so the pending set is in its steady state.  Times
 * are thread CPU time, so that other processes sharing the 2 cores do not
 * count (they still slow us through shared caches: repeat and compare).
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

enum law { UNIFORM, EXPONENTIAL };

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int64_t draw(gsl_rng *rng, enum law law)
{
    if (law == UNIFORM)
        return (int64_t)gsl_rng_uniform_int(rng, (unsigned long)(2 * MEAN_NS));
    return (int64_t)gsl_ran_exponential(rng, MEAN_NS);
}

/* ---- the engine ---------------------------------------------------------- */

struct hold {
    gsl_rng *rng;
    enum law law;
    uint64_t left;      /* events still to fire before stopping */
};

static void hold_fn(ss_engine *eng, void *ctx, uint64_t arg)
{
    struct hold *h = ctx;
    if (--h->left == 0)
        ss_engine_stop(eng);
    ss_engine_at(eng, ss_engine_now(eng) + draw(h->rng, h->law), hold_fn, h, arg);
}

/* ns per event, or -1 on failure */
static double bench_engine(size_t n, uint64_t events, enum law law)
{
    ss_engine *eng = ss_engine_new(42);
    if (!eng)
        return -1;
    struct hold h = { ss_engine_stream(eng, "hold"), law, 0 };
    if (!h.rng)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!ss_engine_at(eng, draw(h.rng, law), hold_fn, &h, i))
            return -1;
    h.left = n;                                   /* warm-up */
    ss_engine_run(eng, SS_TIME_MAX);
    h.left = events;
    double t0 = cpu_s();
    uint64_t fired = ss_engine_run(eng, SS_TIME_MAX);
    double dt = cpu_s() - t0;
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

static double bench_heap(size_t n, uint64_t events, enum law law)
{
    struct heap h = { malloc(n * sizeof *h.v), 0, 0 };
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!h.v || !rng)
        return -1;
    gsl_rng_set(rng, 42);
    for (size_t i = 0; i < n; i++)
        heap_push(&h, draw(rng, law), i);
    double t0 = 0;
    for (uint64_t k = 0; k < n + events; k++) {   /* n warm-up events first */
        if (k == n)
            t0 = cpu_s();
        struct hent e = heap_pop(&h);
        heap_push(&h, e.t + draw(rng, law), e.arg);
    }
    double dt = cpu_s() - t0;
    free(h.v);
    gsl_rng_free(rng);
    return dt * 1e9 / (double)events;
}

/* ---- driver ------------------------------------------------------------- */

int main(void)
{
    static const size_t sizes[] = { 1000, 10000, 100000, 1000000 };
    static const uint64_t events[] = { 2000000, 2000000, 1000000, 300000 };
    static const char *const names[] = { "uniform", "exp" };
    printf("hold model; increments drawn with gsl mt19937: uniform on [0, 2 ms) or\n"
           "exponential, mean 1 ms; thread CPU time, best of %d [worst]\n", REPS);
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        for (int law = UNIFORM; law <= EXPONENTIAL; law++) {
            double eb = 1e300, ew = 0, hb = 1e300, hw = 0;
            for (int r = 0; r < REPS; r++) {
                double e = bench_engine(sizes[s], events[s], (enum law)law);
                double h = bench_heap(sizes[s], events[s], (enum law)law);
                if (e < 0 || h < 0) {
                    fprintf(stderr, "bench_engine: failed (out of memory?)\n");
                    return 1;
                }
                eb = e < eb ? e : eb;
                ew = e > ew ? e : ew;
                hb = h < hb ? h : hb;
                hw = h > hw ? h : hw;
            }
            printf("hold n=%zu %s: %.1f M events/s (%.1f ns/event [%.1f]); "
                   "binary heap: %.1f M events/s (%.1f ns/event [%.1f]); ratio %.2fx\n",
                   sizes[s], names[law], 1e3 / eb, eb, ew, 1e3 / hb, hb, hw, hb / eb);
            fflush(stdout);
        }
    }
    return 0;
}
