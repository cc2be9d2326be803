/*
 * engine.h -- the discrete-event engine: simulated time, the pending-event
 * set, and per-entity random streams.  It knows nothing about disks: models
 * schedule callbacks on it.
 *
 * Time is an integer count of nanoseconds since the start of the run
 * (ss_time); scenarios see seconds.  Events fire in (time, insertion order):
 * two events at the same time fire in the order they were scheduled.
 * Simulated time never goes backwards: scheduling before now() is clamped to
 * now().
 */
#ifndef SNAPSIM_ENGINE_H
#define SNAPSIM_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

typedef int64_t ss_time;                 /* nanoseconds since the start */
#define SS_NS_PER_S INT64_C(1000000000)
#define SS_TIME_MAX INT64_MAX
static inline double ss_time_to_s(ss_time t) { return (double)t / 1e9; }
ss_time ss_time_from_s(double s);         /* rounds to nearest ns, saturates */

typedef struct ss_engine ss_engine;

/* An event handler.  `ctx` and `arg` are what was given to ss_engine_at. */
typedef void (*ss_event_fn)(ss_engine *eng, void *ctx, uint64_t arg);

/* Names a scheduled event, for cancel/reschedule.  0 is never a valid id.
 * An id stays unique for the life of the engine (a fired or cancelled
 * event's id is never reused), so a stale id is harmless. */
typedef uint64_t ss_event_id;

ss_engine *ss_engine_new(uint64_t seed);  /* NULL when out of memory */
void ss_engine_free(ss_engine *eng);

ss_time ss_engine_now(const ss_engine *eng);
uint64_t ss_engine_seed(const ss_engine *eng);

/* Schedule fn(eng, ctx, arg) at absolute time t (clamped to now). */
ss_event_id ss_engine_at(ss_engine *eng, ss_time t, ss_event_fn fn, void *ctx, uint64_t arg);
/* Cancel a pending event: 1 if it was pending, 0 if it had fired, was
 * cancelled already or never existed. */
int ss_engine_cancel(ss_engine *eng, ss_event_id id);
/* Move a pending event to time t.  It then orders as if scheduled now
 * (after events already pending at t).  Returns the event's id, which
 * may differ from `id`, or 0 if `id` was not pending. */
ss_event_id ss_engine_reschedule(ss_engine *eng, ss_event_id id, ss_time t);
/* Time of a pending event, or -1. */
ss_time ss_engine_when(const ss_engine *eng, ss_event_id id);

/* Fire the next event if its time is <= until; advances now().  Returns 1 if
 * an event fired, 0 if none is pending at or before `until` (now() is then
 * left where it was). */
int ss_engine_step(ss_engine *eng, ss_time until);
/* Fire events until none remain at or before `until` or ss_engine_stop is
 * called; then set now() to `until` if it was reached.  Returns the number
 * of events fired. */
uint64_t ss_engine_run(ss_engine *eng, ss_time until);
void ss_engine_stop(ss_engine *eng);      /* from inside a handler */
int ss_engine_stopped(const ss_engine *eng);

/* The guard against runaway models, checked by ss_engine_run after every
 * event: more than max_per_s events (0: no bound) in one simulated second
 * [k s, (k+1) s) stops the run for good, and ss_engine_runaway then gives
 * k s (it is -1 until then); poll(ctx) (NULL: none) is called every 4096
 * events and a nonzero answer stops the run like ss_engine_stop. */
void ss_engine_guard(ss_engine *eng, uint64_t max_per_s, int (*poll)(void *ctx), void *ctx);
ss_time ss_engine_runaway(const ss_engine *eng);

/* a + b for b >= 0, saturating at SS_TIME_MAX (a time that never comes):
 * periodic events add their period to now() with it, so a period of 290
 * years cannot wrap to the past. */
static inline ss_time ss_time_add(ss_time a, ss_time b)
{
    return b > 0 && a > SS_TIME_MAX - b ? SS_TIME_MAX : a + b;
}

size_t ss_engine_pending(const ss_engine *eng);
uint64_t ss_engine_fired(const ss_engine *eng);   /* events fired so far */

/* The random stream of the entity called `name` (e.g. "vm:db01").  Seeded
 * from (engine seed, name) only, so adding or removing another entity never
 * changes this stream's draws.  Created on first use and owned by the
 * engine; the same name gives the same gsl_rng. NULL when out of memory. */
gsl_rng *ss_engine_stream(ss_engine *eng, const char *name);

/* The 64-bit seed a stream called `name` gets (exposed for tests). */
uint64_t ss_stream_seed(uint64_t seed, const char *name);

/* The seed of replication k of a run whose seed is `seed`: k = 0 gives
 * `seed` itself (replication 0 is the plain run), k > 0 a number below 2^53
 * that depends on (seed, k) only, so replication k is the same whatever the
 * number of replications, workers or machines. */
uint64_t ss_replication_seed(uint64_t seed, uint64_t k);

#endif
