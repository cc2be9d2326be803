/*
 * simtest.h -- helpers for tests that run scenarios in-process: load a
 * scenario from a string, run it, then evaluate Lua expressions against the
 * finished model (the scenario's globals and queries stay available).
 */
#ifndef SNAPSIM_SIMTEST_H
#define SNAPSIM_SIMTEST_H

#include <lauxlib.h>
#include <lua.h>

#include "snapsim/sim.h"
#include "testlib.h"

static FILE *st_null(void)
{
    static FILE *f;   /* test-process only: a sink for print() */
    if (!f) f = fopen("/dev/null", "w");
    return f;
}

/* Load a scenario given as text (print() goes to /dev/null). */
static inline int st_load(const char *name, const char *src, ss_sim **sim, ss_error *err)
{
    ss_options o;
    memset(&o, 0, sizeof o);
    o.path = name;
    o.source = src;
    o.out = st_null();
    *sim = NULL;
    return ss_sim_load(sim, &o, err);
}

/* Load and run; returns the sim (NULL on error, with the message in err). */
static inline ss_sim *st_run(const char *name, const char *src, const char *h5, ss_error *err)
{
    ss_sim *sim;
    if (st_load(name, src, &sim, err) != SS_OK) return NULL;
    if (ss_sim_run(sim, h5, err) != SS_OK) {
        ss_sim_free(sim);
        return NULL;
    }
    /* Every scenario test also checks the model's invariants at the end. */
    ss_error inv;
    if (ss_sim_check(sim, &inv) != SS_OK) {
        fprintf(stderr, "%s: invariant broken: %s\n", name, inv.msg);
        tl_failures++;
    }
    return sim;
}

/* st_run for a scenario that must run: a failure is counted and its
 * message printed; NULL then. */
static inline ss_sim *st_run_ok(const char *name, const char *src, const char *h5)
{
    ss_error err = { 0, "" };
    ss_sim *sim = st_run(name, src, h5, &err);
    if (!sim) {
        fprintf(stderr, "%s: %s\n", name, err.msg);
        tl_failures++;
    }
    return sim;
}

/* A scenario that must fail with an input error whose message holds
 * where (file:line), the field and more. */
typedef struct st_bad { const char *src, *where, *field, *more; } st_bad;

/* Run each case; count a failure for one that runs, or fails otherwise. */
static inline void st_expect_input_errors(const st_bad *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ss_error err = { 0, "" };
        ss_sim *sim = st_run("bad.lua", cases[i].src, NULL, &err);
        if (sim) {
            fprintf(stderr, "case %zu: ran, expected an error\n", i);
            tl_failures++;
            ss_sim_free(sim);
            continue;
        }
        CHECK_EQ_I(err.code, SS_ERR_INPUT);
        CHECK_CONTAINS(err.msg, cases[i].where);
        CHECK_CONTAINS(err.msg, cases[i].field);
        CHECK_CONTAINS(err.msg, cases[i].more);
    }
}

/* Evaluate `return <expr>` in the scenario's state, as a number. */
static inline double st_num(ss_sim *sim, const char *expr)
{
    lua_State *L = ss_sim_lua(sim);
    char buf[1024];
    snprintf(buf, sizeof buf, "return %s", expr);
    if (luaL_loadstring(L, buf) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
        fprintf(stderr, "st_num(%s): %s\n", expr, lua_tostring(L, -1));
        lua_pop(L, 1);
        tl_failures++;
        return NAN;
    }
    double v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return v;
}

static inline const char *st_str(ss_sim *sim, const char *expr, char *out, size_t n)
{
    lua_State *L = ss_sim_lua(sim);
    char buf[1024];
    snprintf(buf, sizeof buf, "return tostring(%s)", expr);
    if (luaL_loadstring(L, buf) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
        snprintf(out, n, "<error: %s>", lua_tostring(L, -1));
        lua_pop(L, 1);
        return out;
    }
    snprintf(out, n, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    return out;
}

#define GiB (1024.0 * 1024.0 * 1024.0)
#define MiB (1024.0 * 1024.0)

#endif
