/*
 * fields.c -- validating the scenario's tables against their field tables
 * (fields.h): unknown names, types, units, ranges; every message names
 * file:line, the field's path, what was expected and what was found.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>

#include "lua/fields.h"
#include "snapsim/error.h"
#include "snapsim/units.h"

void vctx_init(vctx *c, lua_State *L, const char *what)
{
    c->L = L;
    luaL_where(L, 1);
    snprintf(c->where, sizeof c->where, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    snprintf(c->what, sizeof c->what, "%s", what);
}

static const char *found(lua_State *L, int idx, char *buf, size_t n)
{
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: snprintf(buf, n, "\"%s\"", lua_tostring(L, idx)); break;
    case LUA_TNUMBER: snprintf(buf, n, "%s", lua_tostring(L, idx)); break;
    case LUA_TBOOLEAN: snprintf(buf, n, "%s", lua_toboolean(L, idx) ? "true" : "false"); break;
    default: snprintf(buf, n, "a %s", luaL_typename(L, idx)); break;
    }
    return buf;
}

int verr(vctx *c, const char *field, int idx, const char *expected, const char *why)
{
    char fb[200];
    found(c->L, idx, fb, sizeof fb);
    if (why && *why)
        return luaL_error(c->L, "%s: field %s: expected %s, found %s (%s)", c->what, field, expected, fb,
                          why);
    return luaL_error(c->L, "%s: field %s: expected %s, found %s", c->what, field, expected, fb);
}

void ss_fields_check(vctx *c, int idx, const char *prefix, const ss_fields *fs)
{
    lua_State *L = c->L;
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        char list[1024] = "";
        for (int i = 0; i < fs->n; i++) {
            strncat(list, fs->f[i].name, sizeof list - strlen(list) - 1);
            if (i + 1 < fs->n) strncat(list, ", ", sizeof list - strlen(list) - 1);
        }
        if (lua_type(L, -1) != LUA_TSTRING) {
            char fb[100];
            luaL_error(L, "%s: %s%sexpected named fields (%s), found the key %s", c->what,
                       prefix, *prefix ? ": " : "", list, found(L, -1, fb, sizeof fb));
        }
        const char *k = lua_tostring(L, -1);
        if (!ss_fields_find(fs, k)) {
            const char *names[64];
            int n = 0;
            for (int i = 0; i < fs->n && n < 64; i++) names[n++] = fs->f[i].name;
            const char *near = ss_closest_name(k, names, n);
            char hint[120] = "";
            if (near) snprintf(hint, sizeof hint, "did you mean \"%s\"? ", near);
            luaL_error(L, "%s: unknown field %s%s%s (%sexpected one of: %s; see docs/language.md, "
                       "or snapsim help %s)", c->what, prefix, *prefix ? "." : "", k, hint, list, fs->name);
        }
    }
}

void path_of(char *buf, size_t n, const char *prefix, const char *key)
{
    if (*prefix) snprintf(buf, n, "%s.%s", prefix, key);
    else snprintf(buf, n, "%s", key);
}

/* Each getter pushes t[key]; if nil leaves *out alone and returns 0;
 * otherwise validates, stores, returns 1.  Errors do not return.
 *
 * Sizes, durations and rates share one getter: a number is taken in the
 * base unit (bytes, seconds, bytes/s) and checked by `num`; a string goes
 * to the units parser.  `example` is what the message says is expected. */
typedef struct unit_kind {
    const char *example;                                   /* "a size like \"30GB\"" */
    const char *number;                                    /* what a bare number means */
    int (*num)(double v, void *out);                       /* 0 if v is out of range */
    int (*parse)(const char *s, void *out, char *why, size_t n);
} unit_kind;

static int size_num(double v, void *out)
{
    if (!(v >= 0) || v != floor(v) || v > 9.2e18) return 0;
    *(uint64_t *)out = (uint64_t)v;
    return 1;
}
static int size_parse(const char *s, void *out, char *why, size_t n) { return ss_parse_size(s, out, why, n); }
static int dur_num(double v, void *out)
{
    if (!(v >= 0) || v > 9.2e9) return 0;
    *(ss_time *)out = ss_time_from_s(v);
    return 1;
}
static int dur_parse(const char *s, void *out, char *why, size_t n) { return ss_parse_duration(s, out, why, n); }
static int rate_num(double v, void *out)
{
    if (!(v >= 0) || isinf(v)) return 0;
    *(double *)out = v;
    return 1;
}
static int rate_parse(const char *s, void *out, char *why, size_t n) { return ss_parse_rate(s, out, why, n); }

static const unit_kind SIZE = { "a size like \"30GB\"", "a size in whole bytes or a string like \"30GB\"", size_num, size_parse };
static const unit_kind DURATION = { "a duration like \"1h30m\"", "a duration in seconds or a string like \"1h30m\"", dur_num, dur_parse };
static const unit_kind RATE = { "a rate like \"100MB/s\"", "a rate in bytes/s or a string like \"100MB/s\"", rate_num, rate_parse };

static int get_unit(vctx *c, int t, const char *prefix, const char *key, const unit_kind *k, void *out)
{
    lua_State *L = c->L;
    char f[160];
    path_of(f, sizeof f, prefix, key);
    lua_getfield(L, t, key);
    int r = 1;
    if (lua_isnil(L, -1)) r = 0;
    else if (lua_type(L, -1) == LUA_TNUMBER) {
        double v = lua_tonumber(L, -1);
        if (!k->num(v, out)) verr(c, f, -1, k->number, v < 0 ? "negative values are not allowed" : "");
    } else if (lua_type(L, -1) == LUA_TSTRING) {
        char why[160];
        if (k->parse(lua_tostring(L, -1), out, why, sizeof why) != SS_OK) verr(c, f, -1, k->example, why);
    } else verr(c, f, -1, k->example, "");
    lua_pop(L, 1);
    return r;
}

int get_size(vctx *c, int t, const char *prefix, const char *key, uint64_t *out)
{
    return get_unit(c, t, prefix, key, &SIZE, out);
}
int get_duration(vctx *c, int t, const char *prefix, const char *key, ss_time *out)
{
    return get_unit(c, t, prefix, key, &DURATION, out);
}
int get_rate(vctx *c, int t, const char *prefix, const char *key, double *out)
{
    return get_unit(c, t, prefix, key, &RATE, out);
}

int get_number(vctx *c, int t, const char *prefix, const char *key, double lo, double hi, double *out)
{
    lua_State *L = c->L;
    char f[160], exp[100];
    path_of(f, sizeof f, prefix, key);
    lua_getfield(L, t, key);
    int r = 1;
    if (lua_isnil(L, -1)) r = 0;
    else {
        double v = lua_tonumber(L, -1);
        snprintf(exp, sizeof exp, "a number from %g to %g", lo, hi);
        if (lua_type(L, -1) != LUA_TNUMBER || !(v >= lo && v <= hi)) verr(c, f, -1, exp, "");
        *out = v;
    }
    lua_pop(L, 1);
    return r;
}

int get_bool(vctx *c, int t, const char *prefix, const char *key, int *out)
{
    lua_State *L = c->L;
    char f[160];
    path_of(f, sizeof f, prefix, key);
    lua_getfield(L, t, key);
    int r = 1;
    if (lua_isnil(L, -1)) r = 0;
    else if (lua_type(L, -1) != LUA_TBOOLEAN) verr(c, f, -1, "true or false", "");
    else *out = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return r;
}

/* A string from a list; returns its index, or -1 if absent. */
int get_enum(vctx *c, int t, const char *prefix, const char *key, const char *const *names)
{
    lua_State *L = c->L;
    char f[160], exp[300] = "one of ";
    path_of(f, sizeof f, prefix, key);
    lua_getfield(L, t, key);
    int r = -1;
    if (!lua_isnil(L, -1)) {
        for (const char *const *n = names; *n; n++) {
            strncat(exp, "\"", sizeof exp - strlen(exp) - 1);
            strncat(exp, *n, sizeof exp - strlen(exp) - 1);
            strncat(exp, n[1] ? "\", " : "\"", sizeof exp - strlen(exp) - 1);
        }
        if (lua_type(L, -1) == LUA_TSTRING)
            for (int i = 0; names[i]; i++)
                if (strcmp(names[i], lua_tostring(L, -1)) == 0) r = i;
        if (r < 0) verr(c, f, -1, exp, "");
    }
    lua_pop(L, 1);
    return r;
}

const char *get_string(vctx *c, int t, const char *prefix, const char *key, char *buf, size_t n)
{
    lua_State *L = c->L;
    char f[160];
    path_of(f, sizeof f, prefix, key);
    lua_getfield(L, t, key);
    const char *r = NULL;
    if (!lua_isnil(L, -1)) {
        if (lua_type(L, -1) != LUA_TSTRING) verr(c, f, -1, "a string", "");
        snprintf(buf, n, "%s", lua_tostring(L, -1));
        r = buf;
    }
    lua_pop(L, 1);
    return r;
}

/* Pushes t[key] if it is a table (returns 1), nothing if nil (0). */
int get_table(vctx *c, int t, const char *prefix, const char *key)
{
    lua_State *L = c->L;
    char f[160];
    path_of(f, sizeof f, prefix, key);
    lua_getfield(L, t, key);
    if (lua_isnil(L, -1)) { lua_pop(L, 1); return 0; }
    if (!lua_istable(L, -1)) verr(c, f, -1, "a table", "");
    return 1;
}


int verr_key(vctx *c, int t, const char *prefix, const char *key, const char *expected, const char *why)
{
    char f[160];
    path_of(f, sizeof f, prefix, key);
    lua_getfield(c->L, t, key);
    return verr(c, f, -1, expected, why);
}

const ss_field *ss_fields_find(const ss_fields *fs, const char *name)
{
    for (int i = 0; i < fs->n; i++)
        if (strcmp(fs->f[i].name, name) == 0) return &fs->f[i];
    return NULL;
}

/* "a positive size", "a positive duration", ... for SS_F_POSITIVE. */
static void check_positive(vctx *c, int t, const char *prefix, const ss_field *f, int zero)
{
    static const char *const what[] = { "a positive size", "a positive duration", "a positive duration",
                                        "a positive rate" };
    if (zero && (f->flags & SS_F_POSITIVE)) verr_key(c, t, prefix, f->name, what[f->type], "");
}

static void parse_one(vctx *c, int t, const char *prefix, const ss_field *f, char *target)
{
    void *p = target + f->off;
    int got = 0;
    switch (f->type) {
    case SS_F_SIZE:
        if ((got = get_size(c, t, prefix, f->name, p))) check_positive(c, t, prefix, f, *(uint64_t *)p == 0);
        break;
    case SS_F_DURATION:
        if ((got = get_duration(c, t, prefix, f->name, p))) check_positive(c, t, prefix, f, *(ss_time *)p <= 0);
        break;
    case SS_F_SECONDS: {
        ss_time d;
        if ((got = get_duration(c, t, prefix, f->name, &d))) {
            check_positive(c, t, prefix, f, d <= 0);
            *(double *)p = ss_time_to_s(d);
        }
        break;
    }
    case SS_F_RATE:
        if ((got = get_rate(c, t, prefix, f->name, p))) check_positive(c, t, prefix, f, *(double *)p <= 0);
        break;
    case SS_F_NUMBER:
        got = get_number(c, t, prefix, f->name, f->lo, f->hi, p);
        break;
    case SS_F_INT: {
        double v;
        if ((got = get_number(c, t, prefix, f->name, f->lo, f->hi, &v))) {
            if (v != floor(v)) {
                char exp[100];
                snprintf(exp, sizeof exp, "a whole number from %g to %g", f->lo, f->hi);
                verr_key(c, t, prefix, f->name, exp, "");
            }
            *(int *)p = (int)v;
        }
        break;
    }
    case SS_F_BOOL:
        got = get_bool(c, t, prefix, f->name, p);
        break;
    case SS_F_ENUM: {
        int i = get_enum(c, t, prefix, f->name, f->choices);
        if ((got = i >= 0)) *(int *)p = i;
        break;
    }
    case SS_F_STRING:
        got = get_string(c, t, prefix, f->name, p, f->len) != NULL;
        break;
    case SS_F_TABLE: {
        char sub[180];
        path_of(sub, sizeof sub, prefix, f->name);
        if ((got = get_table(c, t, prefix, f->name))) {
            ss_fields_parse(c, lua_gettop(c->L), sub, f->sub, p);
            lua_pop(c->L, 1);
        }
        break;
    }
    case SS_F_CUSTOM:
        return;
    }
    if (!got && (f->flags & SS_F_REQUIRED)) {
        static const char *const example[] = { " (a size like \"500GB\")", " (a duration like \"1h30m\")",
                                                " (a duration like \"1h30m\")", " (a rate like \"100MB/s\")" };
        luaL_error(c->L, "%s: field %s%s%s is required%s", c->what, prefix, *prefix ? "." : "", f->name,
                   f->type <= SS_F_RATE ? example[f->type] : "");
    }
}

void ss_fields_parse(vctx *c, int idx, const char *prefix, const ss_fields *fs, void *target)
{
    if (!ss_lua_fields_listed(fs))
        luaL_error(c->L, "internal error: the field table \"%s\" is not listed in sim/lua/reference.c, so "
                         "`snapsim help` and docs/language.md do not show it", fs->name);
    idx = lua_absindex(c->L, idx);
    ss_fields_check(c, idx, prefix, fs);
    for (int i = 0; i < fs->n; i++) parse_one(c, idx, prefix, &fs->f[i], target);
}
