/*
 * limits.h -- the bounds that keep a run finite (README.md,
 * "Limits"): what a scenario may ask for and how much work one entry into
 * its Lua code or one simulated second may cost.  A scenario past a bound
 * is an error with file:line and the field, never a hang.
 */
#ifndef SNAPSIM_LIMITS_H
#define SNAPSIM_LIMITS_H

#include <stdint.h>
#include <stdio.h>

#include "snapsim/engine.h"

/* Lua instructions one entry into the scenario's code may run (its top
 * level, one callback, one on() handler) unless scenario{lua_limit=} or
 * --lua-limit say otherwise: 10^8 took 0.57 s of CPU on the 2-core
 * test machine (a bare `while true do end`).  Bounded as Redis bounds its scripts: a count hook. */
#define SS_LUA_LIMIT_DEFAULT UINT64_C(100000000)
#define SS_LUA_LIMIT_MAX UINT64_C(1000000000000000)   /* 10^15: the flag's range */

/* The shortest periods.  every(): 1 ms, the finest timing any modelled
 * operation has (a stun is tens of ms, a merge step seconds); a shorter
 * period only multiplies callbacks.  tick: 1 ms, the same (it only decides
 * how soon a stall is seen; the writes' times are exact whatever it is).
 * sample_every: 1 s, the resolution of the series in the output (one row
 * per datastore, file and clock per sample: 1 ms would write 86.4 million
 * rows each per simulated day). */
#define SS_MIN_EVERY (SS_NS_PER_S / 1000)
#define SS_MIN_TICK (SS_NS_PER_S / 1000)
#define SS_MIN_SAMPLE SS_NS_PER_S

/* Engine events in any one simulated second: 10^6.  Guest I/Os cost no
 * events; the model's own periodic events (tick, samples, Tools syncs,
 * merge steps) come a few per second per VM, and every() at its shortest
 * period 10^3 a second; 10^6 events cost about a wall second with a small
 * Lua callback each, so a simulated second past it is a runaway (an on()
 * handler that triggers its own event, a chain of after(0, ...)). */
#define SS_MAX_EVENTS_PER_S UINT64_C(1000000)

/* Guest I/Os a VM may issue per simulated second (a workload's iops, or
 * its rate over its mean I/O size, at the peak of its profile; a rated
 * write()'s rate over its io_size): 10^7, forty GB/s of 4 KB I/Os, a
 * hundred times what the period's arrays delivered; the write path applies
 * 18 to 33 million I/Os per wall second (bench_writes, README.md), so a
 * simulated second of one VM never costs more than about a wall second.  An unrated
 * write() is bounded the same: at most 10^7 I/Os (or 1 MiB pieces) at
 * once. */
#define SS_MAX_IOPS 1e7

/* The bounds above, one line each with the flag or field that changes them
 * (for `snapsim --help`; sim/engine/limits.c). */
void ss_limits_print(FILE *f);

#endif
