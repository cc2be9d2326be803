/*
 * script.h -- a scenario's Lua side, as the run sees it: a restricted Lua
 * 5.4 state whose top level declares the world and schedules callbacks,
 * and whose on() handlers hear the model's events.
 *
 * The binding only translates: it validates Lua values into C structs and
 * calls the model; what the scenario{} declaration says goes into an
 * ss_scenario the run owns; record() goes to the run through a hook.
 *
 *   sandbox.c    the restricted state, loading the script
 *   call.c       calls into Lua, with file:line on every error
 *   fields.c     the fields of every table, as data, and their validation
 *   declare.c    scenario{} datastore{} host{} vm{}
 *   schedule.c   at() after() every() on(), and delivering events to on()
 *   actions.c    power_on() snapshot() delete_all() write() ...
 *   ops.c        backup() fail_host() ...
 *   queries.c    now() snapshots() vm_state() record() print() ...
 */
#ifndef SNAPSIM_LUA_SCRIPT_H
#define SNAPSIM_LUA_SCRIPT_H

#include <stdint.h>
#include <stdio.h>

#include "model/world.h"
#include "snapsim/error.h"

/* What scenario{} declares (and the command line may force). */
typedef struct ss_scenario {
    char *name;
    uint64_t seed;
    int seed_forced, duration_forced, fidelity_forced;
    uint64_t replication;     /* k: the seed used is ss_replication_seed(seed given, k) */
    ss_time duration, sample_every, tick;
    uint64_t lua_limit;       /* Lua instructions per entry (snapsim/limits.h) */
    int lua_limit_forced;     /* --lua-limit given: scenario{lua_limit=} does not change it */
    int declared;
} ss_scenario;

typedef struct ss_script_hooks {
    void *ctx;
    void (*record)(void *ctx, const char *name, double value);   /* record(name, value) */
    /* Asked now and then while Lua code runs: nonzero (with why filled)
     * stops the code with that message (a signal, the wall-clock
     * timeout).  May be NULL. */
    int (*poll)(void *ctx, char *why, size_t n);
} ss_script_hooks;

typedef struct ss_script ss_script;

/* A new state for the world w; print() writes to out. */
ss_script *ss_script_new(ss_world *w, ss_scenario *sc, const ss_script_hooks *hooks, FILE *out, ss_error *err);
/* --set NAME=VALUE (`option` says which flag gave it, for messages): a
 * global the script reads, an integer or a float if VALUE reads as one in
 * Lua (lua_stringtonumber: "5" -> 5, "1.5" -> 1.5), else a string.  The
 * value is kept out of _G and served by _G's __index, which marks it read
 * (sandbox.c).  SS_ERR_USAGE if NAME is not a Lua name, is a built-in of the
 * language, or was given twice. */
int ss_script_set_global(ss_script *s, const char *option, const char *name, const char *value, ss_error *err);
/* After ss_script_load: SS_ERR_USAGE if the script neither read the --set
 * NAME while its top level ran nor names it anywhere in its code src (a
 * typo like KEEEP=5); the message suggests the closest name it does use. */
int ss_script_check_set(ss_script *s, const char *option, const char *name, const char *value, const char *src,
                        size_t len, ss_error *err);
/* Run the script's top level (its declarations and schedules). */
int ss_script_load(ss_script *s, const char *path, const char *src, size_t len, ss_error *err);
/* An event happened: run the on() handlers for its kind right after the
 * model has finished what it is doing (an engine event at the same time). */
void ss_script_post(ss_script *s, const ss_event *ev);
/* scenario{lua_limit=} changed sc->lua_limit: the hook follows. */
void ss_script_limit_changed(ss_script *s);
/* A callback raised an error: the run stops; *err gets the message. */
int ss_script_failed(const ss_script *s, ss_error *err);
struct lua_State *ss_script_lua(ss_script *s);
void ss_script_free(ss_script *s);

#endif
