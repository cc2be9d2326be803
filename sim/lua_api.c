/*
 * lua_api.c -- the scenario language (SPEC §3): a restricted Lua 5.4 state,
 * the declarations scenario{} datastore{} host{} vm{}, scheduling, actions
 * and queries.  It only translates: it validates Lua values into C structs
 * and calls the model.  Every error names file:line, the field path, what
 * was expected and what was found.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "sim_internal.h"
#include "snapsim/units.h"

#define SIM_KEY "snapsim.sim"
#define HANDLERS_KEY "snapsim.handlers"

static ss_sim *get_sim(lua_State *L)
{
    return (ss_sim *)lua_touserdata(L, lua_upvalueindex(1));
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (!p) abort();
    return memcpy(p, s, n);
}

/* ---- validation helpers ----
 * A ctx names what is being declared ("vm \"db01\"") and where (file:line
 * of the declaration), so every message reads
 *   file:line: vm "db01": field disk.size: expected a size like "30GB", found "30 GX" (unknown unit "GX")
 */
typedef struct vctx {
    lua_State *L;
    char where[256];
    char what[128];
} vctx;

static void vctx_init(vctx *c, lua_State *L, const char *what)
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

static int verr(vctx *c, const char *field, int idx, const char *expected, const char *why)
{
    char fb[200];
    found(c->L, idx, fb, sizeof fb);
    if (why && *why)
        return luaL_error(c->L, "%s: field %s: expected %s, found %s (%s)", c->what, field, expected, fb,
                          why);
    return luaL_error(c->L, "%s: field %s: expected %s, found %s", c->what, field, expected, fb);
}

/* Every key of the table at idx must be in `allowed`. */
static void check_fields(vctx *c, int idx, const char *prefix, const char *const *allowed)
{
    lua_State *L = c->L;
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        char list[512] = "";
        for (const char *const *a = allowed; *a; a++) {
            strncat(list, *a, sizeof list - strlen(list) - 1);
            if (a[1]) strncat(list, ", ", sizeof list - strlen(list) - 1);
        }
        if (lua_type(L, -1) != LUA_TSTRING) {
            char fb[100];
            luaL_error(L, "%s: %s%sexpected named fields (%s), found the key %s", c->what,
                       prefix, *prefix ? ": " : "", list, found(L, -1, fb, sizeof fb));
        }
        const char *k = lua_tostring(L, -1);
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, k) == 0) ok = 1;
        if (!ok)
            luaL_error(L, "%s: unknown field %s%s%s (expected one of: %s)", c->what, prefix,
                       *prefix ? "." : "", k, list);
    }
}

static void path_of(char *buf, size_t n, const char *prefix, const char *key)
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

static int get_size(vctx *c, int t, const char *prefix, const char *key, uint64_t *out)
{
    return get_unit(c, t, prefix, key, &SIZE, out);
}
static int get_duration(vctx *c, int t, const char *prefix, const char *key, ss_time *out)
{
    return get_unit(c, t, prefix, key, &DURATION, out);
}
static int get_rate(vctx *c, int t, const char *prefix, const char *key, double *out)
{
    return get_unit(c, t, prefix, key, &RATE, out);
}

static int get_number(vctx *c, int t, const char *prefix, const char *key, double lo, double hi, double *out)
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

static int get_bool(vctx *c, int t, const char *prefix, const char *key, int *out)
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
static int get_enum(vctx *c, int t, const char *prefix, const char *key, const char *const *names)
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

static const char *get_string(vctx *c, int t, const char *prefix, const char *key, char *buf, size_t n)
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
static int get_table(vctx *c, int t, const char *prefix, const char *key)
{
    lua_State *L = c->L;
    char f[160];
    path_of(f, sizeof f, prefix, key);
    lua_getfield(L, t, key);
    if (lua_isnil(L, -1)) { lua_pop(L, 1); return 0; }
    if (!lua_istable(L, -1)) verr(c, f, -1, "a table", "");
    return 1;
}

/* ---- lookup ---- */

static ss_datastore *find_ds(ss_sim *sim, const char *name)
{
    for (ss_datastore *d = sim->dss; d; d = d->next)
        if (strcmp(d->name, name) == 0) return d;
    return NULL;
}
static ss_host *find_host(ss_sim *sim, const char *name)
{
    for (ss_host *h = sim->hosts; h; h = h->next)
        if (strcmp(h->name, name) == 0) return h;
    return NULL;
}
static ss_vm *find_vm(ss_sim *sim, const char *name)
{
    for (ss_vm *v = sim->vms; v; v = v->next)
        if (strcmp(v->name, name) == 0) return v;
    return NULL;
}

/* ---- declarations ---- */

static int ds_exists(ss_sim *sim, const char *n) { return find_ds(sim, n) != NULL; }
static int host_exists(ss_sim *sim, const char *n) { return find_host(sim, n) != NULL; }
static int vm_exists(ss_sim *sim, const char *n) { return find_vm(sim, n) != NULL; }

/* The common start of `kind "name" { ... }`: names what is declared in c,
 * checks it is at the top level, given a table of known fields and not
 * declared before.  Returns the name. */
static const char *decl_begin(lua_State *L, vctx *c, const char *kind, const char *const *fields,
                              int (*exists)(ss_sim *, const char *))
{
    ss_sim *sim = get_sim(L);
    const char *name = lua_tostring(L, lua_upvalueindex(2));
    char what[128];
    snprintf(what, sizeof what, "%s \"%s\"", kind, name);
    vctx_init(c, L, what);
    if (!sim->loading) luaL_error(L, "%s: declarations must be at the top level", what);
    if (!lua_istable(L, 1)) luaL_error(L, "%s: expected a table of fields", what);
    if (exists(sim, name)) luaL_error(L, "%s is declared twice", what);
    check_fields(c, 1, "", fields);
    return name;
}


static const char *const scenario_fields[] = { "name", "duration", "seed", "sample_every", "tick", NULL };

static int l_scenario(lua_State *L)
{
    ss_sim *sim = get_sim(L);
    vctx c;
    vctx_init(&c, L, "scenario");
    if (!sim->loading) return luaL_error(L, "scenario{} must be at the top level of the script");
    if (sim->declared_scenario) return luaL_error(L, "scenario{} is declared twice");
    if (!lua_istable(L, 1)) return luaL_error(L, "scenario: expected a table, like scenario { name = \"x\", duration = \"7d\" }");
    if (sim->dss || sim->hosts || sim->vms || sim->ncbs)
        return luaL_error(L, "scenario{} must come before every other declaration and schedule");
    check_fields(&c, 1, "", scenario_fields);
    char buf[256];
    if (get_string(&c, 1, "", "name", buf, sizeof buf)) { free(sim->name); sim->name = dupstr(buf); }
    ss_time d;
    if (get_duration(&c, 1, "", "duration", &d) && !sim->duration_forced) {
        if (d <= 0) { lua_getfield(L, 1, "duration"); verr(&c, "duration", -1, "a positive duration", ""); }
        sim->duration = d;
    }
    double seed;
    if (get_number(&c, 1, "", "seed", 0, 9007199254740991.0, &seed)) {
        if (seed != floor(seed)) { lua_getfield(L, 1, "seed"); verr(&c, "seed", -1, "a whole number", ""); }
        if (!sim->seed_forced) {
            sim->seed = (uint64_t)seed;
            ss_engine *e = ss_engine_new(sim->seed);
            if (!e) return luaL_error(L, "out of memory");
            ss_engine_free(sim->eng);
            sim->eng = e;
        }
    }
    if (get_duration(&c, 1, "", "sample_every", &d)) {
        if (d <= 0) { lua_getfield(L, 1, "sample_every"); verr(&c, "sample_every", -1, "a positive duration", ""); }
        sim->sample_every = d;
    }
    if (get_duration(&c, 1, "", "tick", &d)) {
        if (d <= 0) { lua_getfield(L, 1, "tick"); verr(&c, "tick", -1, "a positive duration", ""); }
        sim->tick = d;
    }
    sim->declared_scenario = 1;
    return 0;
}

/* `datastore "n" { ... }`: the name call returns a closure taking the table. */
static int decl_name(lua_State *L, const char *what, lua_CFunction body)
{
    if (lua_type(L, 1) != LUA_TSTRING || lua_rawlen(L, 1) == 0) {
        return luaL_error(L, "%s: expected a name, as in %s \"name\" { ... }", what, what);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushcclosure(L, body, 2);
    return 1;
}

static const char *const ds_fields[] = { "capacity", "bandwidth", NULL };

static int l_datastore_body(lua_State *L)
{
    ss_sim *sim = get_sim(L);
    vctx c;
    const char *name = decl_begin(L, &c, "datastore", ds_fields, ds_exists);
    const char *what = c.what;
    /* Validate first, allocate after: a Lua error must leak nothing. */
    uint64_t cap = 0;
    double bw = 100.0 * 1048576;
    if (!get_size(&c, 1, "", "capacity", &cap))
        return luaL_error(L, "%s: field capacity is required (a size like \"500GB\")", what);
    if (get_rate(&c, 1, "", "bandwidth", &bw) && bw <= 0) {
        lua_getfield(L, 1, "bandwidth");
        verr(&c, "bandwidth", -1, "a positive rate", "");
    }
    ss_datastore *ds = calloc(1, sizeof *ds);
    if (!ds) return luaL_error(L, "out of memory");
    ds->capacity = cap;
    ds->bandwidth = bw;
    ds->name = dupstr(name);
    ss_datastore **pp = &sim->dss;
    while (*pp) pp = &(*pp)->next;
    *pp = ds;
    return 0;
}
static int l_datastore(lua_State *L) { return decl_name(L, "datastore", l_datastore_body); }

static const char *const host_fields[] = { "datastores", "clock", "hostd", NULL };
static const char *const hclock_fields[] = { "offset", "drift_ppm", "ntp", NULL };
static const char *const hostd_fields[] = { "memory", "limit", "leak_per_op", "leak_per_hour", "restart", "on_not_responding", NULL };

static int l_host_body(lua_State *L)
{
    ss_sim *sim = get_sim(L);
    vctx c;
    const char *name = decl_begin(L, &c, "host", host_fields, host_exists);
    if (get_table(&c, 1, "", "datastores")) {
        int n = (int)lua_rawlen(L, -1);
        for (int i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, i);
            char f[64];
            snprintf(f, sizeof f, "datastores[%d]", i);
            if (lua_type(L, -1) != LUA_TSTRING) verr(&c, f, -1, "a datastore name", "");
            if (!find_ds(sim, lua_tostring(L, -1))) verr(&c, f, -1, "the name of a declared datastore", "declare it before the host");
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    double off_s = 0, drift = 0;
    int ntp = 0;
    if (get_table(&c, 1, "", "clock")) {
        int t = lua_gettop(L);
        check_fields(&c, t, "clock", hclock_fields);
        ss_time off;
        lua_getfield(L, t, "offset");
        if (lua_type(L, -1) == LUA_TSTRING && lua_tostring(L, -1)[0] == '-') {
            /* A host clock may be behind: "-90s". */
            char why[160];
            if (ss_parse_duration(lua_tostring(L, -1) + 1, &off, why, sizeof why) != SS_OK)
                verr(&c, "clock.offset", -1, "a duration like \"90s\" or \"-2m\"", why);
            off_s = -ss_time_to_s(off);
            lua_pop(L, 1);
        } else if (lua_type(L, -1) == LUA_TNUMBER) {
            off_s = lua_tonumber(L, -1);
            lua_pop(L, 1);
        } else {
            lua_pop(L, 1);
            if (get_duration(&c, t, "clock", "offset", &off)) off_s = ss_time_to_s(off);
        }
        get_number(&c, t, "clock", "drift_ppm", -1e6, 1e6, &drift);
        get_bool(&c, t, "clock", "ntp", &ntp);
        lua_pop(L, 1);
    }
    if (get_table(&c, 1, "", "hostd")) {
        /* Validated now; the hostd model is coming next (SPEC §6). */
        int t = lua_gettop(L);
        check_fields(&c, t, "hostd", hostd_fields);
        uint64_t sz;
        ss_time d;
        get_size(&c, t, "hostd", "memory", &sz);
        get_size(&c, t, "hostd", "limit", &sz);
        get_size(&c, t, "hostd", "leak_per_op", &sz);
        get_size(&c, t, "hostd", "leak_per_hour", &sz);
        get_duration(&c, t, "hostd", "restart", &d);
        lua_pop(L, 1);
    }
    ss_host *h = calloc(1, sizeof *h);
    if (!h) return luaL_error(L, "out of memory");
    h->name = dupstr(name);
    ss_hclock_init(&h->clock, off_s, drift, ntp);
    ss_host **pp = &sim->hosts;
    while (*pp) pp = &(*pp)->next;
    *pp = h;
    return 0;
}
static int l_host(lua_State *L) { return decl_name(L, "host", l_host_body); }

static const char *const vm_fields[] = { "host", "datastore", "memory", "power", "disk", "disks", "strategy",
                                         "consolidation", "clock", "workload", NULL };
static const char *const disk_fields[] = { "size", "provisioning", "format", NULL };
static const char *const cons_fields[] = { "max_iterations", "max_consolidate_time", "force_sync", "switchover_stun", NULL };
static const char *const vclock_fields[] = { "drift_ppm", "tools_sync", "sync_interval", "sync_backward", "catch_up",
                                             "skew_limit", "resync", NULL };
static const char *const resync_fields[] = { "boot", "resume", "revert", NULL };
static const char *const wl_fields[] = { "rate", "iops", "io_size", "arrivals", "pattern", "hot", "zipf", "region",
                                         "read_ratio", "profile", "disk", "stream", NULL };

static void parse_disk(vctx *c, int t, const char *prefix, ss_disk *d)
{
    lua_State *L = c->L;
    check_fields(c, t, prefix, disk_fields);
    char f[160];
    if (!get_size(c, t, prefix, "size", &d->capacity) || d->capacity == 0) {
        path_of(f, sizeof f, prefix, "size");
        lua_getfield(L, t, "size");
        verr(c, f, -1, "a disk size like \"30GB\" (required, > 0)", "");
    }
    static const char *const prov[] = { "thick", "thin", NULL };
    int p = get_enum(c, t, prefix, "provisioning", prov);
    d->thin = p == 1;
    char buf[64];
    d->fmt = ss_format_find("vmfsSparse");
    if (get_string(c, t, prefix, "format", buf, sizeof buf)) {
        d->fmt = ss_format_find(buf);
        if (!d->fmt) {
            path_of(f, sizeof f, prefix, "format");
            lua_getfield(L, t, "format");
            char exp[160];
            snprintf(exp, sizeof exp, "one of %s", ss_format_names());
            verr(c, f, -1, exp, "");
        }
    }
}

/* Parse a workload table at t into params. */
static void parse_workload(vctx *c, int t, const char *prefix, ss_workload_params *p, int *disk, int ndisks)
{
    lua_State *L = c->L;
    memset(p, 0, sizeof *p);
    check_fields(c, t, prefix, wl_fields);
    char f[160];
    get_rate(c, t, prefix, "rate", &p->rate);
    get_number(c, t, prefix, "iops", 0, 1e9, &p->iops);
    if (p->rate > 0 && p->iops > 0) {
        path_of(f, sizeof f, prefix, "iops");
        lua_getfield(L, t, "iops");
        verr(c, f, -1, "either rate or iops, not both", "");
    }
    p->nsizes = 1;
    p->sizes[0] = 4096;
    p->weights[0] = 1;
    lua_getfield(L, t, "io_size");
    path_of(f, sizeof f, prefix, "io_size");
    if (lua_istable(L, -1)) {
        /* A distribution: { {"4KB", 0.7}, {"64KB", 0.3} } (an array, so the
         * order -- and the draws -- are deterministic). */
        int n = (int)lua_rawlen(L, -1);
        if (n < 1 || n > SS_WL_MAX_SIZES) verr(c, f, -1, "a size or a list of {size, weight} pairs (1 to 16)", "");
        p->nsizes = n;
        for (int i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, i);
            char fi[180];
            snprintf(fi, sizeof fi, "%s[%d]", f, i);
            if (!lua_istable(L, -1)) verr(c, fi, -1, "a pair {size, weight}", "");
            lua_rawgeti(L, -1, 1);
            char why[160] = "";
            uint64_t sz = 0;
            int ok = lua_type(L, -1) == LUA_TSTRING ? ss_parse_size(lua_tostring(L, -1), &sz, why, sizeof why) == SS_OK
                     : lua_type(L, -1) == LUA_TNUMBER ? (sz = (uint64_t)lua_tonumber(L, -1), 1) : 0;
            if (!ok) verr(c, fi, -1, "a size like \"4KB\" as the pair's first element", why);
            lua_pop(L, 1);
            lua_rawgeti(L, -1, 2);
            if (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) >= 0))
                verr(c, fi, -1, "a weight >= 0 as the pair's second element", "");
            p->sizes[i - 1] = sz;
            p->weights[i - 1] = lua_tonumber(L, -1);
            lua_pop(L, 2);
        }
        lua_pop(L, 1);
    } else {
        lua_pop(L, 1);
        get_size(c, t, prefix, "io_size", &p->sizes[0]);
    }
    static const char *const arr[] = { "poisson", "constant", NULL };
    static const char *const pat[] = { "uniform", "sequential", "hotspot", "zipf", NULL };
    int a = get_enum(c, t, prefix, "arrivals", arr);
    p->arrivals = a == 1 ? SS_ARR_CONSTANT : SS_ARR_POISSON;
    int pt = get_enum(c, t, prefix, "pattern", pat);
    p->pattern = pt < 0 ? SS_PAT_UNIFORM : (ss_pattern)pt;
    p->hot_fraction = 0.1;
    p->hot_share = 0.9;
    p->zipf_s = 1.0;
    char sub[180];
    if (get_table(c, t, prefix, "hot")) {
        int h = lua_gettop(L);
        static const char *const hf[] = { "fraction", "share", NULL };
        path_of(sub, sizeof sub, prefix, "hot");
        check_fields(c, h, sub, hf);
        get_number(c, h, sub, "fraction", 0, 1, &p->hot_fraction);
        get_number(c, h, sub, "share", 0, 1, &p->hot_share);
        lua_pop(L, 1);
    }
    if (get_table(c, t, prefix, "zipf")) {
        int h = lua_gettop(L);
        static const char *const zf[] = { "s", NULL };
        path_of(sub, sizeof sub, prefix, "zipf");
        check_fields(c, h, sub, zf);
        get_number(c, h, sub, "s", 1e-9, 100, &p->zipf_s);
        lua_pop(L, 1);
    }
    if (get_table(c, t, prefix, "region")) {
        int h = lua_gettop(L);
        static const char *const rf[] = { "offset", "size", NULL };
        path_of(sub, sizeof sub, prefix, "region");
        check_fields(c, h, sub, rf);
        get_size(c, h, sub, "offset", &p->region_offset);
        get_size(c, h, sub, "size", &p->region_size);
        lua_pop(L, 1);
    }
    get_number(c, t, prefix, "read_ratio", 0, 1, &p->read_ratio);
    if (get_table(c, t, prefix, "profile")) {
        path_of(f, sizeof f, prefix, "profile");
        if (lua_rawlen(L, -1) != 24) verr(c, f, -1, "24 multipliers, one per hour of the day", "");
        for (int i = 1; i <= 24; i++) {
            lua_rawgeti(L, -1, i);
            if (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) >= 0)) {
                char fi[180];
                snprintf(fi, sizeof fi, "%s[%d]", f, i);
                verr(c, fi, -1, "a multiplier >= 0", "");
            }
            p->profile[i - 1] = lua_tonumber(L, -1);
            lua_pop(L, 1);
        }
        p->has_profile = 1;
        lua_pop(L, 1);
    }
    double dk = 1;
    char exp[64];
    snprintf(exp, sizeof exp, "a disk number from 1 to %d", ndisks);
    if (get_number(c, t, prefix, "disk", 1, ndisks, &dk) && dk != floor(dk)) {
        path_of(f, sizeof f, prefix, "disk");
        lua_getfield(L, t, "disk");
        verr(c, f, -1, exp, "");
    }
    *disk = (int)dk - 1;
}

static void install_workload(vctx *c, ss_sim *sim, ss_vm *vm, int t, const char *prefix)
{
    ss_workload_params p;
    int disk = 0;
    parse_workload(c, t, prefix, &p, &disk, vm->ndisks);
    char why[256];
    ss_workload *wl = ss_workload_new(&p, vm->disks[disk].capacity, why, sizeof why);
    if (!wl) luaL_error(c->L, "%s: field %s: %s", c->what, prefix, why);
    ss_workload_free(vm->wl);
    vm->wl = wl;
    vm->wl_disk = disk;
    ss_vm_drop_ios(vm);
    /* The workload's own random stream: "vm:<name>", or "workload:<stream>"
     * when several VMs should draw the very same I/O sequence (common
     * random numbers across strategies in one run).  Each VM has its own
     * generator instance, so sharing a name shares the sequence, not the
     * draws. */
    char sname[300], buf[200];
    if (get_string(c, t, prefix, "stream", buf, sizeof buf)) snprintf(sname, sizeof sname, "workload:%s", buf);
    else snprintf(sname, sizeof sname, "vm:%s", vm->name);
    if (!vm->rng) vm->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!vm->rng) luaL_error(c->L, "out of memory");
    free(vm->stream);
    vm->stream = dupstr(sname);
    ss_vm_seed(sim, vm);
}

static void *find_host_v(ss_sim *sim, const char *n) { return find_host(sim, n); }
static void *find_ds_v(ss_sim *sim, const char *n) { return find_ds(sim, n); }

/* A field naming a declared host or datastore: required unless exactly
 * one is declared (then that one is meant). */
static void *ref_field(vctx *c, const char *key, void *only, int just_one, void *(*find)(ss_sim *, const char *),
                       ss_sim *sim)
{
    char buf[256], exp[96];
    snprintf(exp, sizeof exp, "the name of a declared %s", key);
    if (get_string(c, 1, "", key, buf, sizeof buf)) {
        void *p = find(sim, buf);
        if (!p) {
            lua_getfield(c->L, 1, key);
            verr(c, key, -1, exp, "declare it before the vm");
        }
        return p;
    }
    if (just_one) return only;
    luaL_error(c->L, "%s: field %s is required (%s)", c->what, key, exp);
    return NULL;
}

static int l_vm_body(lua_State *L)
{
    ss_sim *sim = get_sim(L);
    vctx c;
    const char *name = decl_begin(L, &c, "vm", vm_fields, vm_exists);
    const char *what = c.what;
    char buf[256];
    ss_host *host = ref_field(&c, "host", sim->hosts, sim->hosts && !sim->hosts->next, find_host_v, sim);
    ss_datastore *ds = ref_field(&c, "datastore", sim->dss, sim->dss && !sim->dss->next, find_ds_v, sim);
    /* Parse everything before allocating, so an error leaks nothing. */
    uint64_t memory = UINT64_C(4) << 30;
    get_size(&c, 1, "", "memory", &memory);
    static const char *const powers[] = { "off", "on", NULL };
    int power = get_enum(&c, 1, "", "power", powers);
    const ss_strategy *st = ss_strategy_find("esx35");
    if (get_string(&c, 1, "", "strategy", buf, sizeof buf)) {
        st = ss_strategy_find(buf);
        if (!st) {
            char exp[160];
            snprintf(exp, sizeof exp, "one of %s", ss_strategy_names());
            lua_getfield(L, 1, "strategy");
            verr(&c, "strategy", -1, exp, "");
        }
    }
    ss_consolidation_cfg cc = { 10, 12.0, 1, 0.1 };
    if (get_table(&c, 1, "", "consolidation")) {
        int t = lua_gettop(L);
        check_fields(&c, t, "consolidation", cons_fields);
        double v;
        if (get_number(&c, t, "consolidation", "max_iterations", 0, 1000, &v)) cc.max_iterations = (int)v;
        ss_time d;
        if (get_duration(&c, t, "consolidation", "max_consolidate_time", &d)) cc.max_consolidate_time = ss_time_to_s(d);
        get_bool(&c, t, "consolidation", "force_sync", &cc.force_sync);
        if (get_duration(&c, t, "consolidation", "switchover_stun", &d)) cc.switchover_stun = ss_time_to_s(d);
        lua_pop(L, 1);
    }
    ss_clock_cfg cl = { 0, 0, 60 * SS_NS_PER_S, 0, 1, 1, 1, 1, 300 };
    if (get_table(&c, 1, "", "clock")) {
        int t = lua_gettop(L);
        check_fields(&c, t, "clock", vclock_fields);
        get_number(&c, t, "clock", "drift_ppm", -1e6, 1e6, &cl.drift_ppm);
        get_bool(&c, t, "clock", "tools_sync", &cl.tools_sync);
        ss_time d;
        if (get_duration(&c, t, "clock", "sync_interval", &d)) {
            if (d <= 0) { lua_getfield(L, t, "sync_interval"); verr(&c, "clock.sync_interval", -1, "a positive duration", ""); }
            cl.sync_interval = d;
        }
        get_bool(&c, t, "clock", "sync_backward", &cl.sync_backward);
        get_bool(&c, t, "clock", "catch_up", &cl.catch_up);
        if (get_duration(&c, t, "clock", "skew_limit", &d)) cl.skew_limit = ss_time_to_s(d);
        if (get_table(&c, t, "clock", "resync")) {
            int r = lua_gettop(L);
            check_fields(&c, r, "clock.resync", resync_fields);
            get_bool(&c, r, "clock.resync", "boot", &cl.resync_boot);
            get_bool(&c, r, "clock.resync", "resume", &cl.resync_resume);
            get_bool(&c, r, "clock.resync", "revert", &cl.resync_revert);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    /* Disks. */
    lua_getfield(L, 1, "disk");
    int has_disk = !lua_isnil(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, 1, "disks");
    int has_disks = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (has_disk == has_disks)
        return luaL_error(L, "%s: give exactly one of disk = {...} or disks = { {...}, ... }", what);
    int nd = 1;
    if (has_disks) {
        get_table(&c, 1, "", "disks");
        nd = (int)lua_rawlen(L, -1);
        lua_pop(L, 1);
        if (nd < 1 || nd > 64) { lua_getfield(L, 1, "disks"); verr(&c, "disks", -1, "a list of 1 to 64 disk tables", ""); }
    }
    /* Parsed into a Lua-owned buffer, so nothing leaks if parse_disk raises. */
    ss_disk *tmp = lua_newuserdatauv(L, (size_t)nd * sizeof *tmp, 0);
    memset(tmp, 0, (size_t)nd * sizeof *tmp);
    if (has_disk) {
        get_table(&c, 1, "", "disk");
        parse_disk(&c, lua_gettop(L), "disk", &tmp[0]);
        lua_pop(L, 1);
    } else {
        get_table(&c, 1, "", "disks");
        for (int i = 1; i <= nd; i++) {
            lua_rawgeti(L, -1, i);
            char f[32];
            snprintf(f, sizeof f, "disks[%d]", i);
            if (!lua_istable(L, -1)) verr(&c, f, -1, "a disk table", "");
            parse_disk(&c, lua_gettop(L), f, &tmp[i - 1]);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    /* The workload is validated against a scratch VM before the real one
     * exists. */
    ss_workload_params wp;
    int wdisk = 0, has_wl = 0;
    if (get_table(&c, 1, "", "workload")) {
        parse_workload(&c, lua_gettop(L), "workload", &wp, &wdisk, nd);
        char why[256];
        ss_workload *probe = ss_workload_new(&wp, tmp[wdisk].capacity, why, sizeof why);
        if (!probe) return luaL_error(L, "%s: field workload: %s", what, why);
        ss_workload_free(probe);
        lua_pop(L, 1);
        has_wl = 1;
    }

    ss_vm *vm = calloc(1, sizeof *vm);
    if (!vm) return luaL_error(L, "out of memory");
    vm->name = dupstr(name);
    vm->host = host;
    vm->ds = ds;
    vm->memory = memory;
    vm->power = power == 0 ? SS_POWER_OFF : SS_POWER_ON;
    vm->strategy = st;
    vm->ccfg = cc;
    vm->ccl = cl;
    vm->throttle = 1;
    vm->ndisks = nd;
    vm->disks = calloc((size_t)nd, sizeof *vm->disks);
    if (!vm->disks) abort();
    ss_vm **pp = &sim->vms;
    while (*pp) pp = &(*pp)->next;
    *pp = vm;
    for (int i = 0; i < nd; i++) {
        vm->disks[i].capacity = tmp[i].capacity;
        vm->disks[i].thin = tmp[i].thin;
        vm->disks[i].fmt = tmp[i].fmt;
        ss_disk_init(sim, vm, &vm->disks[i], i);
    }
    ss_vm_clock_start(sim, vm);
    if (has_wl) {
        get_table(&c, 1, "", "workload");
        install_workload(&c, sim, vm, lua_gettop(L), "workload");
        lua_pop(L, 1);
    }
    return 0;
}
static int l_vm(lua_State *L) { return decl_name(L, "vm", l_vm_body); }

/* ---- scheduling ---- */

static void cb_fire(ss_engine *eng, void *ctx, uint64_t arg);

static int add_cb(ss_sim *sim, lua_State *L, int fn_idx, ss_time period, ss_time stop)
{
    ss_callback *p = realloc(sim->cbs, (size_t)(sim->ncbs + 1) * sizeof *p);
    if (!p) return luaL_error(L, "out of memory");
    sim->cbs = p;
    lua_pushvalue(L, fn_idx);
    sim->cbs[sim->ncbs] = (ss_callback){ luaL_ref(L, LUA_REGISTRYINDEX), period, stop };
    return sim->ncbs++;
}

static ss_time arg_time(lua_State *L, int idx, const char *fn, const char *what)
{
    ss_time t;
    if (lua_type(L, idx) == LUA_TNUMBER) {
        double v = lua_tonumber(L, idx);
        if (!(v >= 0) || v > 9.2e9) luaL_error(L, "%s: %s must be >= 0 seconds, found %f", fn, what, v);
        return ss_time_from_s(v);
    }
    if (lua_type(L, idx) == LUA_TSTRING) {
        char why[160];
        if (ss_parse_duration(lua_tostring(L, idx), &t, why, sizeof why) != SS_OK)
            luaL_error(L, "%s: %s: expected a duration like \"1h30m\", found \"%s\" (%s)", fn, what, lua_tostring(L, idx), why);
        return t;
    }
    luaL_error(L, "%s: %s: expected a time in seconds or a duration like \"2h\", found a %s", fn, what, luaL_typename(L, idx));
    return 0;
}

static int l_at(lua_State *L)
{
    ss_sim *sim = get_sim(L);
    ss_time t = arg_time(L, 1, "at", "the time");
    luaL_checktype(L, 2, LUA_TFUNCTION);
    if (t < ss_engine_now(sim->eng)) return luaL_error(L, "at: time %f s is in the past (now is %f s)", ss_time_to_s(t), ss_time_to_s(ss_engine_now(sim->eng)));
    int i = add_cb(sim, L, 2, 0, 0);
    ss_engine_at(sim->eng, t, cb_fire, sim, (uint64_t)i);
    return 0;
}

static int l_after(lua_State *L)
{
    ss_sim *sim = get_sim(L);
    ss_time d = arg_time(L, 1, "after", "the delay");
    luaL_checktype(L, 2, LUA_TFUNCTION);
    int i = add_cb(sim, L, 2, 0, 0);
    ss_engine_at(sim->eng, ss_engine_now(sim->eng) + d, cb_fire, sim, (uint64_t)i);
    return 0;
}

static int l_every(lua_State *L)
{
    ss_sim *sim = get_sim(L);
    ss_time d = arg_time(L, 1, "every", "the period");
    if (d <= 0) return luaL_error(L, "every: the period must be > 0");
    luaL_checktype(L, 2, LUA_TFUNCTION);
    ss_time start = ss_engine_now(sim->eng) + d, stop = SS_TIME_MAX;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        vctx c;
        vctx_init(&c, L, "every");
        static const char *const ef[] = { "start", "stop", NULL };
        check_fields(&c, 3, "options", ef);
        ss_time v;
        if (get_duration(&c, 3, "options", "start", &v)) start = v;
        if (get_duration(&c, 3, "options", "stop", &v)) stop = v;
    }
    int i = add_cb(sim, L, 2, d, stop);
    if (start <= stop) ss_engine_at(sim->eng, start, cb_fire, sim, (uint64_t)i);
    return 0;
}

static const char *const event_kinds[] = {
    "power_on", "power_off", "suspend", "resume", "snapshot_created", "snapshot_failed", "revert",
    "consolidation_started", "consolidation_step", "consolidation_done", "consolidation_failed", "vm_stalled",
    "vm_resumed_io", "datastore_full", "clock_step", "backup_started", "backup_done", "backup_failed",
    "host_not_responding", "host_responding", NULL
};

static int l_on(lua_State *L)
{
    const char *kind = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    int ok = 0;
    for (const char *const *k = event_kinds; *k; k++)
        if (strcmp(*k, kind) == 0) ok = 1;
    if (!ok) return luaL_error(L, "on: unknown event kind \"%s\" (see SPEC §3 for the kinds)", kind);
    lua_getfield(L, LUA_REGISTRYINDEX, HANDLERS_KEY);
    if (lua_getfield(L, -1, kind) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, kind);
    }
    lua_pushvalue(L, 2);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    return 0;
}

int ss_lua_has_handler(ss_sim *sim, const char *kind)
{
    lua_State *L = sim->L;
    lua_getfield(L, LUA_REGISTRYINDEX, HANDLERS_KEY);
    int has = lua_getfield(L, -1, kind) == LUA_TTABLE;
    lua_pop(L, 2);
    return has;
}

/* The message handler of every protected call: an error raised inside a
 * C function called from C (ipairs' iterator on nil, say) carries no
 * position; give it the file:line of the innermost scenario line. */
static int msgh(lua_State *L)
{
    const char *m = lua_tostring(L, 1);
    if (!m) m = luaL_tolstring(L, 1, NULL);
    lua_Debug ar;
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        lua_getinfo(L, "Sl", &ar);
        if (ar.currentline <= 0) continue;
        size_t n = strlen(ar.short_src);
        if (strncmp(m, ar.short_src, n) != 0 || m[n] != ':')
            lua_pushfstring(L, "%s:%d: %s", ar.short_src, ar.currentline, m);
        else
            lua_pushstring(L, m);
        return 1;
    }
    lua_pushstring(L, m);
    return 1;
}

/* Call the function on top of the stack with nargs; on error stop the run. */
static void protected_call(ss_sim *sim, int nargs)
{
    lua_State *L = sim->L;
    int base = lua_gettop(L) - nargs;          /* the function's index */
    lua_pushcfunction(L, msgh);
    lua_insert(L, base);
    int rc = lua_pcall(L, nargs, 0, base);
    lua_remove(L, base);
    if (rc != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        ss_sim_fail(sim, msg ? msg : "error in a scenario callback");
        lua_pop(L, 1);
    }
}

static void push_event(lua_State *L, const ss_event *ev)
{
    lua_createtable(L, 0, 16);
    lua_pushnumber(L, ev->t); lua_setfield(L, -2, "t");
#define SETS(k) if (ev->k) { lua_pushstring(L, ev->k); lua_setfield(L, -2, #k); }
    SETS(kind) SETS(vm) SETS(host) SETS(datastore) SETS(snapshot) SETS(detail) SETS(strategy)
#undef SETS
    lua_pushinteger(L, ev->bytes); lua_setfield(L, -2, "bytes");
    lua_pushnumber(L, ev->value); lua_setfield(L, -2, "value");
    if (ev->used > 0) { lua_pushinteger(L, ev->used); lua_setfield(L, -2, "used"); }
    if (ev->strategy) {
        lua_pushinteger(L, ev->bytes_copied); lua_setfield(L, -2, "bytes_copied");
        lua_pushinteger(L, ev->peak_extra_bytes); lua_setfield(L, -2, "peak_extra_bytes");
        lua_pushinteger(L, ev->worst_case_bytes); lua_setfield(L, -2, "worst_case_bytes");
        lua_pushnumber(L, ev->duration); lua_setfield(L, -2, "duration");
        lua_pushnumber(L, ev->stun_time); lua_setfield(L, -2, "stun_time");
        lua_pushinteger(L, ev->iterations); lua_setfield(L, -2, "iterations");
    }
}

void ss_lua_dispatch(ss_sim *sim, const ss_event *ev)
{
    lua_State *L = sim->L;
    if (sim->failed) return;
    lua_getfield(L, LUA_REGISTRYINDEX, HANDLERS_KEY);
    if (lua_getfield(L, -1, ev->kind) != LUA_TTABLE) { lua_pop(L, 2); return; }
    int n = (int)lua_rawlen(L, -1);
    for (int i = 1; i <= n && !sim->failed; i++) {
        lua_rawgeti(L, -1, i);
        push_event(L, ev);
        protected_call(sim, 1);
    }
    lua_pop(L, 2);
}

static void cb_fire(ss_engine *eng, void *ctx, uint64_t arg)
{
    ss_sim *sim = ctx;
    ss_callback *cb = &sim->cbs[arg];
    if (sim->failed) return;
    if (cb->period > 0) {
        ss_time next = ss_engine_now(eng) + cb->period;
        if (next <= cb->stop && next <= sim->duration) ss_engine_at(eng, next, cb_fire, sim, arg);
    }
    lua_rawgeti(sim->L, LUA_REGISTRYINDEX, cb->ref);
    protected_call(sim, 0);
}

/* ---- actions ---- */

static ss_sim *action_sim(lua_State *L, const char *fn)
{
    ss_sim *sim = get_sim(L);
    if (sim->loading)
        luaL_error(L, "%s: actions run at simulated times, from a callback: wrap it, e.g. at(0, function() %s(...) end)", fn, fn);
    ss_vm_sync_all(sim);
    return sim;
}

static ss_vm *arg_vm(lua_State *L, ss_sim *sim, int idx, const char *fn)
{
    const char *name = luaL_checkstring(L, idx);
    ss_vm *vm = find_vm(sim, name);
    if (!vm) luaL_error(L, "%s: unknown vm \"%s\"", fn, name);
    return vm;
}

typedef int (*power_fn)(ss_sim *, ss_vm *, char *, size_t);

static int do_power(lua_State *L, const char *fn, power_fn f)
{
    ss_sim *sim = action_sim(L, fn);
    ss_vm *vm = arg_vm(L, sim, 1, fn);
    char why[256];
    if (f(sim, vm, why, sizeof why) != 0) return luaL_error(L, "%s: %s", fn, why);
    return 0;
}
static int l_power_on(lua_State *L) { return do_power(L, "power_on", ss_vm_power_on); }
static int l_power_off(lua_State *L) { return do_power(L, "power_off", ss_vm_power_off); }
static int l_suspend(lua_State *L) { return do_power(L, "suspend", ss_vm_suspend); }
static int l_resume(lua_State *L) { return do_power(L, "resume", ss_vm_resume); }

static int l_snapshot(lua_State *L)
{
    ss_sim *sim = action_sim(L, "snapshot");
    ss_vm *vm = arg_vm(L, sim, 1, "snapshot");
    const char *name = luaL_checkstring(L, 2);
    int memory = 0, quiesce = 0;
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        vctx c;
        vctx_init(&c, L, "snapshot");
        static const char *const sf[] = { "memory", "quiesce", NULL };
        check_fields(&c, 3, "options", sf);
        get_bool(&c, 3, "options", "memory", &memory);
        get_bool(&c, 3, "options", "quiesce", &quiesce);
    }
    if (!*name) return luaL_error(L, "snapshot: the name must not be empty");
    if (vm->power == SS_POWER_SUSPENDED) return luaL_error(L, "snapshot: vm %s is suspended", vm->name);
    if (vm->job) return luaL_error(L, "snapshot: vm %s is busy: a snapshot deletion is running", vm->name);
    if (ss_snapshot_find(vm, name)) return luaL_error(L, "snapshot: vm %s already has a snapshot \"%s\"", vm->name, name);
    if (memory && vm->power != SS_POWER_ON) return luaL_error(L, "snapshot: memory = true needs a running vm (%s is %s)", vm->name, ss_power_name(vm->power));
    char why[256];
    double t = ss_time_to_s(ss_engine_now(sim->eng));
    uint64_t before = vm->ds->used;
    if (ss_snapshot_take(sim, vm, name, memory, why, sizeof why) != 0) {
        ss_event ev = { .t = t, .kind = "snapshot_failed", .vm = vm->name, .host = vm->host->name,
                        .datastore = vm->ds->name, .snapshot = name, .detail = why };
        ss_sim_emit(sim, &ev);
        lua_pushboolean(L, 0);
        lua_pushstring(L, why);
        return 2;
    }
    ss_vm_start_io(sim, vm);
    ss_event ev = { .t = t, .kind = "snapshot_created", .vm = vm->name, .host = vm->host->name,
                    .datastore = vm->ds->name, .snapshot = name, .bytes = (int64_t)(vm->ds->used - before),
                    .detail = memory ? "memory" : "disk-only" };
    ss_sim_emit(sim, &ev);
    ss_sim_sample(sim);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_revert(lua_State *L)
{
    ss_sim *sim = action_sim(L, "revert");
    ss_vm *vm = arg_vm(L, sim, 1, "revert");
    const char *name = luaL_checkstring(L, 2);
    ss_snapshot *s = ss_snapshot_find(vm, name);
    if (!s) return luaL_error(L, "revert: vm %s has no snapshot \"%s\" (deleted, or never taken)", vm->name, name);
    if (vm->job) return luaL_error(L, "revert: vm %s is busy: a snapshot deletion is running", vm->name);
    char why[256];
    if (ss_snapshot_revert(sim, vm, s, why, sizeof why) != 0) return luaL_error(L, "revert: %s", why);
    ss_event ev = { .t = ss_time_to_s(ss_engine_now(sim->eng)), .kind = "revert", .vm = vm->name,
                    .host = vm->host->name, .datastore = vm->ds->name, .snapshot = name,
                    .detail = s->memory ? "memory" : "disk-only" };
    ss_sim_emit(sim, &ev);
    ss_vm_after_revert(sim, vm, s);
    ss_sim_sample(sim);
    return 0;
}

static int do_delete(lua_State *L, const char *fn, int all)
{
    ss_sim *sim = action_sim(L, fn);
    ss_vm *vm = arg_vm(L, sim, 1, fn);
    const char *name = all ? NULL : luaL_checkstring(L, 2);
    int oi = all ? 2 : 3;
    const ss_strategy *st = vm->strategy;
    int precheck = 1;
    if (!lua_isnoneornil(L, oi)) {
        luaL_checktype(L, oi, LUA_TTABLE);
        vctx c;
        vctx_init(&c, L, fn);
        static const char *const df[] = { "strategy", "precheck", NULL };
        check_fields(&c, oi, "options", df);
        char buf[64];
        if (get_string(&c, oi, "options", "strategy", buf, sizeof buf)) {
            st = ss_strategy_find(buf);
            if (!st) return luaL_error(L, "%s: options.strategy: expected one of %s, found \"%s\"", fn, ss_strategy_names(), buf);
        }
        get_bool(&c, oi, "options", "precheck", &precheck);
    }
    char why[300];
    int rc = ss_delete_start(sim, vm, name, st, precheck, why, sizeof why);
    if (rc == -2) return luaL_error(L, "%s: %s", fn, why);
    if (rc == -1) {
        lua_pushboolean(L, 0);
        lua_pushstring(L, why);
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}
static int l_delete_snapshot(lua_State *L) { return do_delete(L, "delete_snapshot", 0); }
static int l_delete_all(lua_State *L) { return do_delete(L, "delete_all", 1); }

static int l_write(lua_State *L)
{
    ss_sim *sim = action_sim(L, "write");
    ss_vm *vm = arg_vm(L, sim, 1, "write");
    luaL_checktype(L, 2, LUA_TTABLE);
    vctx c;
    vctx_init(&c, L, "write");
    static const char *const wf[] = { "bytes", "offset", "pattern", "io_size", "rate", "disk", NULL };
    check_fields(&c, 2, "options", wf);
    ss_write_spec w = { .io_size = 4096, .pattern = SS_PAT_UNIFORM };
    if (!get_size(&c, 2, "options", "bytes", &w.bytes) || w.bytes == 0)
        return luaL_error(L, "write: options.bytes is required (a size > 0)");
    w.ranged = get_size(&c, 2, "options", "offset", &w.offset);
    get_size(&c, 2, "options", "io_size", &w.io_size);
    get_rate(&c, 2, "options", "rate", &w.rate);
    double dk = 1;
    get_number(&c, 2, "options", "disk", 1, vm->ndisks, &dk);
    w.disk = (int)dk - 1;
    static const char *const pat[] = { "uniform", "sequential", "hotspot", "zipf", NULL };
    int pt = get_enum(&c, 2, "options", "pattern", pat);
    if (pt >= 0) w.pattern = (ss_pattern)pt;
    if (w.pattern == SS_PAT_SEQUENTIAL) w.ranged = 1;
    char why[300];
    int rc = ss_vm_write(sim, vm, &w, why, sizeof why);
    if (rc < 0) return luaL_error(L, "write: %s", why);
    lua_pushboolean(L, rc == 0);
    if (rc) { lua_pushstring(L, why); return 2; }
    return 1;
}

static int l_set_workload(lua_State *L)
{
    ss_sim *sim = action_sim(L, "set_workload");
    ss_vm *vm = arg_vm(L, sim, 1, "set_workload");
    ss_vm_sync(sim, vm, ss_engine_now(sim->eng));
    if (lua_isnoneornil(L, 2)) {
        ss_workload_free(vm->wl);
        vm->wl = NULL;
        if (vm->io.attached) ss_ds_detach(sim, &vm->io);
        vm->speed = 0;
        return 0;
    }
    luaL_checktype(L, 2, LUA_TTABLE);
    vctx c;
    char what[128];
    snprintf(what, sizeof what, "set_workload(\"%s\")", vm->name);
    vctx_init(&c, L, what);
    install_workload(&c, sim, vm, 2, "workload");
    vm->t_anchor = ss_engine_now(sim->eng);
    vm->u_anchor = vm->u_next = 0;
    ss_vm_start_io(sim, vm);
    return 0;
}

static int l_not_yet(lua_State *L)
{
    return luaL_error(L, "%s is not simulated in this version of snapsim (VCB backups and hostd faults are "
                         "the next milestone; see README)", lua_tostring(L, lua_upvalueindex(2)));
}

/* ---- queries ---- */

static int l_now(lua_State *L)
{
    lua_pushnumber(L, ss_time_to_s(ss_engine_now(get_sim(L)->eng)));
    return 1;
}

static int l_day(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)(ss_engine_now(get_sim(L)->eng) / (86400 * SS_NS_PER_S)));
    return 1;
}

static int l_snapshots(lua_State *L)
{
    ss_sim *sim = get_sim(L);
    ss_vm *vm = arg_vm(L, sim, 1, "snapshots");
    int n = 0;
    for (ss_snapshot *s = vm->cur; s; s = s->parent) n++;
    lua_createtable(L, n, 0);
    int i = n;
    for (ss_snapshot *s = vm->cur; s; s = s->parent) {
        lua_pushstring(L, s->name);
        lua_rawseti(L, -2, i--);
    }
    return 1;
}

static int l_datastore_state(lua_State *L)
{
    ss_sim *sim = get_sim(L);
    const char *name = luaL_checkstring(L, 1);
    ss_datastore *ds = find_ds(sim, name);
    if (!ds) return luaL_error(L, "datastore_state: unknown datastore \"%s\"", name);
    if (!sim->loading) ss_vm_sync_all(sim);
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, (lua_Integer)ds->capacity); lua_setfield(L, -2, "capacity");
    lua_pushinteger(L, (lua_Integer)ds->used); lua_setfield(L, -2, "used");
    lua_pushinteger(L, (lua_Integer)(ds->capacity > ds->used ? ds->capacity - ds->used : 0)); lua_setfield(L, -2, "free");
    lua_pushinteger(L, (lua_Integer)ds->peak_used); lua_setfield(L, -2, "peak_used");
    return 1;
}

static int l_vm_state(lua_State *L)
{
    ss_sim *sim = get_sim(L);
    ss_vm *vm = arg_vm(L, sim, 1, "vm_state");
    if (!sim->loading) ss_vm_sync_all(sim);
    ss_time now = ss_engine_now(sim->eng);
    lua_createtable(L, 0, 8);
    lua_pushstring(L, ss_power_name(vm->power)); lua_setfield(L, -2, "power");
    lua_pushboolean(L, vm->stalled); lua_setfield(L, -2, "stalled");
    lua_pushboolean(L, vm->stunned); lua_setfield(L, -2, "stunned");
    lua_pushnumber(L, ss_gclock_offset(&vm->clock, now)); lua_setfield(L, -2, "guest_offset");
    lua_pushnumber(L, ss_hclock_offset(&vm->host->clock, now)); lua_setfield(L, -2, "host_offset");
    int depth = 0;
    for (ss_file *f = vm->disks[0].top; f; f = f->parent) depth++;
    lua_pushinteger(L, depth - 1); lua_setfield(L, -2, "chain_depth");
    lua_pushinteger(L, (lua_Integer)vm->bytes_written); lua_setfield(L, -2, "bytes_written");
    lua_pushboolean(L, vm->job != NULL); lua_setfield(L, -2, "consolidating");
    lua_newtable(L);
    int i = 1;
    for (ss_file *f = vm->files; f; f = f->next) {
        lua_createtable(L, 0, 5);
        lua_pushstring(L, f->name); lua_setfield(L, -2, "name");
        lua_pushstring(L, ss_file_kind_name(f->kind)); lua_setfield(L, -2, "kind");
        lua_pushinteger(L, (lua_Integer)f->size); lua_setfield(L, -2, "size");
        lua_pushinteger(L, (lua_Integer)ss_file_allocated(f)); lua_setfield(L, -2, "allocated");
        if (f->parent) { lua_pushstring(L, f->parent->name); lua_setfield(L, -2, "parent"); }
        lua_rawseti(L, -2, i++);
    }
    lua_setfield(L, -2, "files");
    return 1;
}

static int l_record(lua_State *L)
{
    ss_sim *sim = get_sim(L);
    const char *name = luaL_checkstring(L, 1);
    double v = luaL_checknumber(L, 2);
    ss_sim_record_user(sim, name, v);
    return 0;
}

static int l_print(lua_State *L)
{
    ss_sim *sim = get_sim(L);
    int n = lua_gettop(L);
    char tb[64];
    ss_format_duration(ss_engine_now(sim->eng), tb, sizeof tb);
    fprintf(sim->outf, "[%8s] ", tb);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s = luaL_tolstring(L, i, &len);
        if (i > 1) fputc('\t', sim->outf);
        fwrite(s, 1, len, sim->outf);
        lua_pop(L, 1);
    }
    fputc('\n', sim->outf);
    return 0;
}

/* math.random and math.randomseed routed to the engine stream "lua". */
static int l_random(lua_State *L)
{
    ss_sim *sim = get_sim(L);
    gsl_rng *r = ss_engine_stream(sim->eng, "lua:math.random");
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

/* ---- the state ---- */

static void open_lib(lua_State *L, const char *name, lua_CFunction f)
{
    luaL_requiref(L, name, f, 1);
    lua_pop(L, 1);
}

static void reg(lua_State *L, ss_sim *sim, const char *name, lua_CFunction f)
{
    lua_pushlightuserdata(L, sim);
    lua_pushcclosure(L, f, 1);
    lua_setglobal(L, name);
}

static int setup_state(lua_State *L)
{
    ss_sim *sim = lua_touserdata(L, 1);
    open_lib(L, "_G", luaopen_base);
    open_lib(L, LUA_TABLIBNAME, luaopen_table);
    open_lib(L, LUA_STRLIBNAME, luaopen_string);
    open_lib(L, LUA_MATHLIBNAME, luaopen_math);
    open_lib(L, LUA_UTF8LIBNAME, luaopen_utf8);
    open_lib(L, LUA_COLIBNAME, luaopen_coroutine);
    /* No io, os, package, debug; no loading of files or bytecode. */
    static const char *const banned[] = { "dofile", "loadfile", "load", "require", "collectgarbage", NULL };
    for (const char *const *b = banned; *b; b++) {
        lua_pushnil(L);
        lua_setglobal(L, *b);
    }
    lua_getglobal(L, "math");
    lua_pushlightuserdata(L, sim);
    lua_pushcclosure(L, l_random, 1);
    lua_setfield(L, -2, "random");
    lua_pushlightuserdata(L, sim);
    lua_pushcclosure(L, l_randomseed, 1);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, HANDLERS_KEY);

    static const struct { const char *n; lua_CFunction f; } fns[] = {
        { "scenario", l_scenario }, { "datastore", l_datastore }, { "host", l_host }, { "vm", l_vm },
        { "at", l_at }, { "after", l_after }, { "every", l_every }, { "on", l_on },
        { "now", l_now }, { "day", l_day }, { "record", l_record }, { "print", l_print },
        { "power_on", l_power_on }, { "power_off", l_power_off }, { "suspend", l_suspend }, { "resume", l_resume },
        { "snapshot", l_snapshot }, { "revert", l_revert }, { "delete_snapshot", l_delete_snapshot },
        { "delete_all", l_delete_all }, { "write", l_write }, { "set_workload", l_set_workload },
        { "snapshots", l_snapshots }, { "datastore_state", l_datastore_state }, { "vm_state", l_vm_state },
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) reg(L, sim, fns[i].n, fns[i].f);
    static const char *const later[] = { "backup", "fail_host", NULL };
    for (const char *const *n = later; *n; n++) {
        lua_pushlightuserdata(L, sim);
        lua_pushstring(L, *n);
        lua_pushcclosure(L, l_not_yet, 2);
        lua_setglobal(L, *n);
    }
    return 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) { fclose(f); return NULL; }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        cap *= 2;
        char *nb = realloc(buf, cap + 1);
        if (!nb) free(buf);
        buf = nb;
    }
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

int ss_sim_load(ss_sim **out, const ss_options *opt, ss_error *err)
{
    *out = NULL;
    ss_sim *sim = calloc(1, sizeof *sim);
    if (!sim) return ss_error_set(err, SS_ERR_NOMEM, "out of memory");
    sim->outf = opt->out ? opt->out : stdout;
    sim->path = dupstr(opt->path ? opt->path : "scenario");
    sim->seed = opt->has_seed ? opt->seed : 1;
    sim->seed_forced = opt->has_seed;
    sim->duration = opt->has_duration ? opt->duration : 86400 * SS_NS_PER_S;
    sim->duration_forced = opt->has_duration;
    sim->sample_every = 600 * SS_NS_PER_S;
    sim->tick = SS_NS_PER_S;
    size_t len = 0;
    if (opt->source) {
        len = strlen(opt->source);
        sim->source = dupstr(opt->source);
    } else {
        sim->source = read_file(sim->path, &len);
        if (!sim->source) {
            int rc = ss_error_set(err, SS_ERR_IO, "%s: cannot read the scenario file", sim->path);
            ss_sim_free(sim);
            return rc;
        }
    }
    const char *base = strrchr(sim->path, '/');
    sim->name = dupstr(base ? base + 1 : sim->path);
    sim->eng = ss_engine_new(sim->seed);
    sim->L = luaL_newstate();
    if (!sim->eng || !sim->L) {
        ss_sim_free(sim);
        return ss_error_set(err, SS_ERR_NOMEM, "out of memory");
    }
    lua_State *L = sim->L;
    lua_pushcfunction(L, setup_state);
    lua_pushlightuserdata(L, sim);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        int rc = ss_error_set(err, SS_ERR_NOMEM, "cannot set up Lua: %s", lua_tostring(L, -1));
        ss_sim_free(sim);
        return rc;
    }
    for (int i = 0; i < opt->nsets; i++) {
        const char *v = opt->sets[i].value;
        char *end;
        double d = strtod(v, &end);
        if (*v && *end == 0 && isfinite(d)) lua_pushnumber(L, d);
        else lua_pushstring(L, v);
        lua_setglobal(L, opt->sets[i].name);
    }
    char chunk[1100];
    snprintf(chunk, sizeof chunk, "@%s", sim->path);
    sim->loading = 1;
    lua_pushcfunction(L, msgh);
    int rc = luaL_loadbufferx(L, sim->source, len, chunk, "t");
    if (rc == LUA_OK) rc = lua_pcall(L, 0, 0, -2);
    if (rc == LUA_OK) lua_pop(L, 1);                /* the handler */
    sim->loading = 0;
    if (rc != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        rc = ss_error_set(err, SS_ERR_INPUT, "%s", m ? m : "error while loading the scenario");
        ss_sim_free(sim);
        return rc;
    }
    if (!sim->vms && !sim->dss) {
        rc = ss_error_set(err, SS_ERR_INPUT, "%s:1: the scenario declares nothing (expected datastore, host and vm declarations)", sim->path);
        ss_sim_free(sim);
        return rc;
    }
    *out = sim;
    return SS_OK;
}
