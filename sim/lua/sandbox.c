/*
 * sandbox.c -- the scenario's Lua state: the libraries it may use (no io,
 * os, package, debug, no loading of files or bytecode), math.random routed
 * to the engine's stream "lua:math.random", the registration of the
 * language's functions, and loading the script.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lualib.h>

#include "lua/binding.h"

/* ---- the state ---- */

/* math.random and math.randomseed routed to the engine stream. */
static int l_random(lua_State *L)
{
    ss_script *s = ss_script_of(L);
    gsl_rng *r = ss_engine_stream(s->w->eng, "lua:math.random");
    double u = gsl_rng_uniform(r);
    int n = lua_gettop(L);
    if (n == 0) { lua_pushnumber(L, u); return 1; }
    lua_Integer lo = 1, hi;
    if (n == 1) hi = luaL_checkinteger(L, 1);
    else { lo = luaL_checkinteger(L, 1); hi = luaL_checkinteger(L, 2); }
    luaL_argcheck(L, lo <= hi, n, "interval is empty");
    lua_pushinteger(L, lo + (lua_Integer)(u * (double)(hi - lo + 1)));
    return 1;
}
static int l_randomseed(lua_State *L)
{
    return luaL_error(L, "math.randomseed: the seed is the scenario's (scenario{seed=} or --seed)");
}

static void open_lib(lua_State *L, const char *name, lua_CFunction f)
{
    luaL_requiref(L, name, f, 1);
    lua_pop(L, 1);
}

static void reg_all(lua_State *L, ss_script *s, const luaL_Reg *fns)
{
    for (; fns->name; fns++) {
        lua_pushlightuserdata(L, s);
        lua_pushcclosure(L, fns->func, 1);
        lua_setglobal(L, fns->name);
    }
}

static int setup_state(lua_State *L)
{
    ss_script *s = lua_touserdata(L, 1);
    open_lib(L, "_G", luaopen_base);
    open_lib(L, LUA_TABLIBNAME, luaopen_table);
    open_lib(L, LUA_STRLIBNAME, luaopen_string);
    open_lib(L, LUA_MATHLIBNAME, luaopen_math);
    open_lib(L, LUA_UTF8LIBNAME, luaopen_utf8);
    open_lib(L, LUA_COLIBNAME, luaopen_coroutine);
    static const char *const banned[] = { "dofile", "loadfile", "load", "require", "collectgarbage", NULL };
    for (const char *const *b = banned; *b; b++) {
        lua_pushnil(L);
        lua_setglobal(L, *b);
    }
    lua_getglobal(L, "math");
    lua_pushlightuserdata(L, s);
    lua_pushcclosure(L, l_random, 1);
    lua_setfield(L, -2, "random");
    lua_pushlightuserdata(L, s);
    lua_pushcclosure(L, l_randomseed, 1);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, SS_HANDLERS_KEY);
    reg_all(L, s, ss_lua_declare);
    reg_all(L, s, ss_lua_schedule);
    reg_all(L, s, ss_lua_queries);
    reg_all(L, s, ss_lua_actions);
    reg_all(L, s, ss_lua_ops);
    return 0;
}

ss_script *ss_script_new(ss_world *w, ss_scenario *sc, const ss_script_hooks *hooks, FILE *out, ss_error *err)
{
    ss_script *s = calloc(1, sizeof *s);
    if (!s) {
        ss_error_set(err, SS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    s->w = w;
    s->sc = sc;
    if (hooks) s->hooks = *hooks;
    s->outf = out ? out : stdout;
    s->L = luaL_newstate();
    if (!s->L) {
        free(s);
        ss_error_set(err, SS_ERR_NOMEM, "out of memory");
        return NULL;
    }
    lua_pushcfunction(s->L, setup_state);
    lua_pushlightuserdata(s->L, s);
    if (lua_pcall(s->L, 1, 0, 0) != LUA_OK) {
        ss_error_set(err, SS_ERR_NOMEM, "cannot set up Lua: %s", lua_tostring(s->L, -1));
        ss_script_free(s);
        return NULL;
    }
    return s;
}

void ss_script_set_global(ss_script *s, const char *name, const char *value)
{
    char *end;
    double d = strtod(value, &end);
    if (*value && *end == 0 && isfinite(d)) lua_pushnumber(s->L, d);
    else lua_pushstring(s->L, value);
    lua_setglobal(s->L, name);
}

int ss_script_load(ss_script *s, const char *path, const char *src, size_t len, ss_error *err)
{
    lua_State *L = s->L;
    char chunk[1100];
    snprintf(chunk, sizeof chunk, "@%s", path);
    s->loading = 1;
    lua_pushcfunction(L, ss_lua_msgh);
    int rc = luaL_loadbufferx(L, src, len, chunk, "t");
    if (rc == LUA_OK) rc = lua_pcall(L, 0, 0, -2);
    if (rc == LUA_OK) lua_pop(L, 1);                /* the handler */
    s->loading = 0;
    if (rc != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        return ss_error_set(err, SS_ERR_INPUT, "%s", m ? m : "error while loading the scenario");
    }
    return SS_OK;
}

int ss_script_failed(const ss_script *s, ss_error *err)
{
    if (!s->failed) return 0;
    if (err) *err = s->err;
    return 1;
}

lua_State *ss_script_lua(ss_script *s) { return s->L; }

void ss_script_free(ss_script *s)
{
    if (!s) return;
    ss_lua_free_pending(s);
    if (s->L) lua_close(s->L);
    free(s->cbs);
    free(s);
}
