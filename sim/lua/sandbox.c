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
    /* The width in unsigned arithmetic: [minint, maxint] is 2^64 wide. */
    double width = (double)((lua_Unsigned)hi - (lua_Unsigned)lo) + 1.0;
    lua_Unsigned k = (lua_Unsigned)(u * width);
    lua_pushinteger(L, (lua_Integer)((lua_Unsigned)lo + k));
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
    ss_lua_hook_install(s);
    return s;
}

/* ---- --set globals ----
 *
 * A --set value is not put in _G: it lives in the registry table SETS_KEY
 * (name -> value), and _G gets a metatable whose __index serves it and
 * records the name in READ_KEY.  A script that assigns the global
 * (KEEP = KEEP or 3) first reads it through __index, then owns its own
 * copy; a script that never reads it leaves it unmarked, and
 * ss_script_check_sets then looks for the name in the code itself, since a
 * callback that has not run yet (on(...), every(...)) may still read it. */

#define SETS_KEY "snapsim.sets"
#define READ_KEY "snapsim.sets_read"

static int l_set_index(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, SETS_KEY);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, -2) != LUA_TNIL) {
        lua_getfield(L, LUA_REGISTRYINDEX, READ_KEY);
        lua_pushvalue(L, 2);
        lua_pushboolean(L, 1);
        lua_rawset(L, -3);
        lua_pop(L, 1);
    }
    return 1;
}

static int is_lua_name(const char *n)
{
    static const char *const kw[] = { "and", "break", "do", "else", "elseif", "end", "false", "for", "function",
                                       "goto", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then",
                                       "true", "until", "while", NULL };
    if (!(*n == '_' || (*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z'))) return 0;
    for (const char *c = n; *c; c++)
        if (!(*c == '_' || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
            return 0;
    for (const char *const *k = kw; *k; k++)
        if (strcmp(n, *k) == 0) return 0;
    return 1;
}

int ss_script_set_global(ss_script *s, const char *option, const char *name, const char *value, ss_error *err)
{
    lua_State *L = s->L;
    if (!option) option = "--set";
    if (!is_lua_name(name))
        return ss_error_set(err, SS_ERR_USAGE, "%s %s=%s: \"%s\" is not a Lua name (letters, digits, _; not a keyword)",
                            option, name, value, name);
    if (lua_getglobal(L, name) != LUA_TNIL) {
        lua_pop(L, 1);
        return ss_error_set(err, SS_ERR_USAGE, "%s %s=%s: %s is a built-in of the scenario language", option, name,
                            value, name);
    }
    lua_pop(L, 1);
    if (lua_getfield(L, LUA_REGISTRYINDEX, SETS_KEY) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, SETS_KEY);
        lua_newtable(L);
        lua_setfield(L, LUA_REGISTRYINDEX, READ_KEY);
        lua_pushglobaltable(L);
        lua_newtable(L);
        lua_pushcfunction(L, l_set_index);
        lua_setfield(L, -2, "__index");
        lua_setmetatable(L, -2);
        lua_pop(L, 1);
    }
    if (lua_getfield(L, -1, name) != LUA_TNIL) {
        lua_pop(L, 2);
        return ss_error_set(err, SS_ERR_USAGE, "%s %s: %s is given twice", option, name, name);
    }
    lua_pop(L, 1);
    /* Lua's own reading of numerals: "5" and "0x10" are integers, "1.5"
     * and "1e3" floats; anything else ("esx35", "3MB/s") a string. */
    if (lua_stringtonumber(L, value) == 0) lua_pushstring(L, value);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
    return SS_OK;
}

/* A small Lua lexer: calls fn for every name token of src that is not a
 * field or method name (after a single '.' or ':'), skipping comments,
 * strings and numerals.  Enough to tell whether the code names a global. */
static size_t long_bracket(const char *p, const char *end)
{
    /* At '[': the level of "[==[" (1 + number of '='), or 0. */
    const char *q = p + 1;
    while (q < end && *q == '=') q++;
    return q < end && *q == '[' ? (size_t)(q - p) : 0;
}

static const char *skip_long(const char *p, const char *end, size_t level)
{
    for (p += level + 1; p < end; p++) {
        if (*p != ']') continue;
        const char *q = p + 1;
        while (q < end && *q == '=') q++;
        if (q < end && *q == ']' && (size_t)(q - p) == level) return q + 1;
    }
    return end;
}

static void lua_names(const char *src, size_t len, void (*fn)(void *ctx, const char *name, size_t n), void *ctx)
{
    const char *p = src, *end = src + len;
    char last = 0;   /* the last significant character before a token */
    int dotdot = 0;  /* it closed a ".." or "..." */
    while (p < end) {
        char c = *p;
        if (c == '-' && p + 1 < end && p[1] == '-') {
            p += 2;
            size_t lv = p < end && *p == '[' ? long_bracket(p, end) : 0;
            if (lv) p = skip_long(p, end, lv);
            else while (p < end && *p != '\n') p++;
        } else if (c == '"' || c == '\'') {
            for (p++; p < end && *p != c && *p != '\n'; p++)
                if (*p == '\\' && p + 1 < end) p++;
            p++;
            last = 's';
        } else if (c == '[' && long_bracket(p, end)) {
            p = skip_long(p, end, long_bracket(p, end));
            last = 's';
        } else if (c >= '0' && c <= '9') {
            while (p < end && (*p == '.' || *p == '_' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z')
                               || (*p >= 'A' && *p <= 'Z')
                               || ((*p == '+' || *p == '-') && (p[-1] == 'e' || p[-1] == 'E' || p[-1] == 'p' || p[-1] == 'P'))))
                p++;
            last = '0';
        } else if (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            const char *b = p;
            while (p < end && (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
                p++;
            if (!((last == '.' && !dotdot) || last == ':')) fn(ctx, b, (size_t)(p - b));
            last = 'a';
        } else {
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                dotdot = c == '.' && last == '.';
                if (c == '.' && dotdot) last = '.';
                else last = c;
            }
            p++;
        }
    }
}

typedef struct name_hunt {
    const char *want;
    int found;
    char best[64];
    int best_d;
} name_hunt;

static void hunt(void *ctx, const char *name, size_t n)
{
    name_hunt *h = ctx;
    if (strlen(h->want) == n && memcmp(h->want, name, n) == 0) {
        h->found = 1;
        return;
    }
    int d = ss_edit_distance(h->want, name, n);
    if (d < h->best_d && n < sizeof h->best) {
        h->best_d = d;
        memcpy(h->best, name, n);
        h->best[n] = 0;
    }
}

int ss_script_check_set(ss_script *s, const char *option, const char *name, const char *value, const char *src,
                        size_t len, ss_error *err)
{
    lua_State *L = s->L;
    int top = lua_gettop(L);
    if (!option) option = "--set";
    lua_getfield(L, LUA_REGISTRYINDEX, READ_KEY);
    int read = lua_istable(L, -1) && lua_getfield(L, -1, name) != LUA_TNIL;
    lua_settop(L, top);
    if (read) return SS_OK;
    name_hunt h = { name, 0, "", 3 };
    lua_names(src, len, hunt, &h);
    if (h.found) return SS_OK;
    if (h.best[0])
        return ss_error_set(err, SS_ERR_USAGE, "%s %s=%s: the scenario never reads %s (it uses %s: a typo?)", option,
                            name, value, name, h.best);
    return ss_error_set(err, SS_ERR_USAGE, "%s %s=%s: the scenario never reads %s, so setting it changes nothing",
                        option, name, value, name);
}

int ss_script_load(ss_script *s, const char *path, const char *src, size_t len, ss_error *err)
{
    lua_State *L = s->L;
    char chunk[1100];
    snprintf(chunk, sizeof chunk, "@%s", path);
    s->loading = 1;
    ss_lua_entry(s, "the scenario's top level");
    lua_pushcfunction(L, ss_lua_msgh);
    int rc = luaL_loadbufferx(L, src, len, chunk, "t");
    if (rc == LUA_OK) rc = lua_pcall(L, 0, 0, -2);
    if (rc == LUA_OK) lua_pop(L, 1);                /* the handler */
    s->loading = 0;
    if (rc != LUA_OK) {
        const char *m = s->killed ? s->kill_msg : lua_tostring(L, -1);
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
    /* Finalizers run at close, with a budget of their own. */
    ss_lua_entry(s, "a finalizer (__gc) run at the end");
    if (s->L) lua_close(s->L);
    free(s->cbs);
    free(s);
}
