/*
 * schedule.c -- at(), after(), every() and on(): Lua callbacks at
 * simulated times, and the model's events delivered to on() handlers.
 *
 * A callback is an engine event whose argument indexes s->cbs (the
 * function is kept in the registry).  An event with handlers is copied and
 * delivered by an engine event at the same time, so the handlers run after
 * the model has finished what it was doing (never in the middle of a
 * merge or a write), in the order the events happened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/binding.h"
#include "snapsim/units.h"

static void cb_fire(ss_engine *eng, void *ctx, uint64_t arg);

static int add_cb(ss_script *s, lua_State *L, int fn_idx, ss_time period, ss_time stop)
{
    /* cbs holds ncbs, its capacity the next power of two: doubling keeps a
     * chain of a million after(0, f) linear (growing by one copied the
     * array each time under an allocator that never grows in place). */
    if ((s->ncbs & (s->ncbs - 1)) == 0) {
        ss_callback *p = realloc(s->cbs, (size_t)(s->ncbs ? 2 * s->ncbs : 1) * sizeof *p);
        if (!p) return luaL_error(L, "out of memory");
        s->cbs = p;
    }
    lua_pushvalue(L, fn_idx);
    s->cbs[s->ncbs] = (ss_callback){ luaL_ref(L, LUA_REGISTRYINDEX), period, stop };
    return s->ncbs++;
}

static ss_time arg_time(lua_State *L, int idx, const char *fn, const char *what)
{
    ss_time t;
    if (lua_type(L, idx) == LUA_TNUMBER) {
        double v = lua_tonumber(L, idx);
        if (!(v >= 0) || v > 9.2e9)
            luaL_error(L, "%s: %s: expected from 0 to 9.2e9 seconds (int64 nanoseconds: about 292 years), found %f%s", fn,
                       what, v, v < 0 ? " (negative values are not allowed)" : "");
        return ss_time_from_s(v);
    }
    if (lua_type(L, idx) == LUA_TSTRING) {
        char why[160];
        if (ss_parse_duration(lua_tostring(L, idx), &t, why, sizeof why) != SS_OK)
            luaL_error(L, "%s: %s: expected a duration like \"1h30m\", found \"%s\" (%s)", fn, what,
                       lua_tostring(L, idx), why);
        return t;
    }
    luaL_error(L, "%s: %s: expected a time in seconds or a duration like \"2h\", found a %s", fn, what,
               luaL_typename(L, idx));
    return 0;
}

static int l_at(lua_State *L)
{
    ss_script *s = ss_script_of(L);
    ss_time t = arg_time(L, 1, "at", "the time");
    luaL_checktype(L, 2, LUA_TFUNCTION);
    ss_time now = ss_engine_now(s->w->eng);
    if (t < now)
        return luaL_error(L, "at: time %f s is in the past (now is %f s)", ss_time_to_s(t), ss_time_to_s(now));
    int i = add_cb(s, L, 2, 0, 0);
    ss_engine_at(s->w->eng, t, cb_fire, s, (uint64_t)i);
    return 0;
}

/* now + d, or an error naming fn and what if that is past the last time
 * the engine represents (int64 nanoseconds: about 292 years). */
static ss_time later(lua_State *L, ss_time now, ss_time d, const char *fn, const char *what)
{
    if (d > SS_TIME_MAX - now) {
        char nb[64], db[64];
        ss_format_duration(now, nb, sizeof nb);
        ss_format_duration(d, db, sizeof db);
        luaL_error(L, "%s: %s: %s after now (%s) is past the last time the simulator represents (2^63 ns, about 292 years)",
                   fn, what, db, nb);
    }
    return now + d;
}

static int l_after(lua_State *L)
{
    ss_script *s = ss_script_of(L);
    ss_time d = arg_time(L, 1, "after", "the delay");
    luaL_checktype(L, 2, LUA_TFUNCTION);
    ss_time t = later(L, ss_engine_now(s->w->eng), d, "after", "the delay");
    int i = add_cb(s, L, 2, 0, 0);
    ss_engine_at(s->w->eng, t, cb_fire, s, (uint64_t)i);
    return 0;
}

typedef struct every_in { ss_time start, stop; } every_in;
static const ss_field every_f[] = {
    F_DURATION("start", every_in, start, "the period", "the first call", 0),
    F_DURATION("stop", every_in, stop, "never", "no call after this", 0),
};
static const ss_fields every_fields = SS_ROOT("every", "every(period, fn, { ... })", every_f);

static int l_every(lua_State *L)
{
    ss_script *s = ss_script_of(L);
    ss_time d = arg_time(L, 1, "every", "the period");
    if (d < SS_MIN_EVERY) {
        char db[64];
        ss_format_duration(d, db, sizeof db);
        return luaL_error(L, "every: the period %s is shorter than the shortest period, 1ms (README.md, Limits: "
                          "callbacks more often than that are a runaway, not a model)", db);
    }
    luaL_checktype(L, 2, LUA_TFUNCTION);
    every_in in = { later(L, ss_engine_now(s->w->eng), d, "every", "the period"), SS_TIME_MAX };
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        vctx c;
        vctx_init(&c, L, "every");
        ss_fields_parse(&c, 3, "options", &every_fields, &in);
    }
    int i = add_cb(s, L, 2, d, in.stop);
    if (in.start <= in.stop) ss_engine_at(s->w->eng, in.start, cb_fire, s, (uint64_t)i);
    return 0;
}

const ss_fields *const ss_lua_schedule_fields[] = { &every_fields, NULL };

/* The kinds on() accepts (docs/language.md describes each). */
const char *const ss_lua_event_kinds[] = {
    "power_on", "power_off", "suspend", "resume", "snapshot_created", "snapshot_failed", "revert",
    "consolidation_started", "consolidation_step", "consolidation_done", "consolidation_failed", "vm_stalled",
    "vm_resumed_io", "datastore_full", "clock_step", "backup_started", "backup_done", "backup_failed",
    "backup_missed", "tools_status", "host_not_responding", "host_responding", "operation_failed",
    "operation_delayed", "convert_started", "convert_done", "convert_failed", "guest_os_changed", NULL
};

static int l_on(lua_State *L)
{
    const char *kind = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    int ok = 0, n = 0;
    for (const char *const *k = ss_lua_event_kinds; *k; k++, n++)
        if (strcmp(*k, kind) == 0) ok = 1;
    if (!ok) {
        const char *near = ss_closest_name(kind, ss_lua_event_kinds, n);
        char hint[100] = "";
        if (near) snprintf(hint, sizeof hint, "did you mean \"%s\"? ", near);
        return luaL_error(L, "on: unknown event kind \"%s\" (%sdocs/language.md and snapsim help events list the kinds)",
                          kind, hint);
    }
    lua_getfield(L, LUA_REGISTRYINDEX, SS_HANDLERS_KEY);
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

int ss_lua_has_handler(ss_script *s, const char *kind)
{
    lua_State *L = s->L;
    lua_getfield(L, LUA_REGISTRYINDEX, SS_HANDLERS_KEY);
    int has = lua_getfield(L, -1, kind) == LUA_TTABLE;
    lua_pop(L, 2);
    return has;
}

static void push_event(lua_State *L, const ss_event *ev)
{
    lua_createtable(L, 0, 16);
    lua_pushnumber(L, ev->t); lua_setfield(L, -2, "t");
#define SETS(k) if (ev->k) { lua_pushstring(L, ev->k); lua_setfield(L, -2, #k); }
    SETS(kind) SETS(vm) SETS(host) SETS(datastore) SETS(snapshot) SETS(detail) SETS(strategy) SETS(phase) SETS(proxy)
#undef SETS
    lua_pushinteger(L, ev->bytes); lua_setfield(L, -2, "bytes");
    lua_pushnumber(L, ev->value); lua_setfield(L, -2, "value");
    if (ev->used > 0) { lua_pushinteger(L, ev->used); lua_setfield(L, -2, "used"); }
    if (ev->phase) { lua_pushinteger(L, ev->job); lua_setfield(L, -2, "job"); }
    if (ev->strategy) {
        lua_pushinteger(L, ev->bytes_copied); lua_setfield(L, -2, "bytes_copied");
        lua_pushinteger(L, ev->peak_extra_bytes); lua_setfield(L, -2, "peak_extra_bytes");
        lua_pushinteger(L, ev->worst_case_bytes); lua_setfield(L, -2, "worst_case_bytes");
        lua_pushnumber(L, ev->duration); lua_setfield(L, -2, "duration");
        lua_pushnumber(L, ev->stun_time); lua_setfield(L, -2, "stun_time");
        lua_pushinteger(L, ev->iterations); lua_setfield(L, -2, "iterations");
        lua_pushstring(L, ev->kept_files ? ev->kept_files : ""); lua_setfield(L, -2, "kept_files");
        lua_pushinteger(L, ev->kept_bytes); lua_setfield(L, -2, "kept_bytes");
    }
}

static void dispatch(ss_script *s, const ss_event *ev)
{
    lua_State *L = s->L;
    if (s->failed) return;
    lua_getfield(L, LUA_REGISTRYINDEX, SS_HANDLERS_KEY);
    if (lua_getfield(L, -1, ev->kind) != LUA_TTABLE) { lua_pop(L, 2); return; }
    int n = (int)lua_rawlen(L, -1);
    for (int i = 1; i <= n && !s->failed; i++) {
        lua_rawgeti(L, -1, i);
        push_event(L, ev);
        ss_lua_call(s, 1);
    }
    lua_pop(L, 2);
}

static void cb_fire(ss_engine *eng, void *ctx, uint64_t arg)
{
    ss_script *s = ctx;
    ss_callback *cb = &s->cbs[arg];
    if (s->failed) return;
    if (cb->period > 0) {
        ss_time next = ss_time_add(ss_engine_now(eng), cb->period);
        if (next <= cb->stop && next <= s->w->duration) ss_engine_at(eng, next, cb_fire, s, arg);
    }
    lua_rawgeti(s->L, LUA_REGISTRYINDEX, cb->ref);
    ss_lua_call(s, 0);
}

/* ---- events waiting for their handlers ---- */

static char *dup0(const char *str)
{
    if (!str) return NULL;
    size_t n = strlen(str) + 1;
    char *p = malloc(n);
    if (!p) abort();
    return memcpy(p, str, n);
}

typedef struct pending_ev {
    ss_event ev;
    char *str[10];
    struct pending_ev *prev, *next;   /* s->pending, to free what never fired */
} pending_ev;

static void pending_free(ss_script *s, pending_ev *p)
{
    if (p->prev) p->prev->next = p->next;
    else s->pending = p->next;
    if (p->next) p->next->prev = p->prev;
    for (int i = 0; i < 10; i++) free(p->str[i]);
    free(p);
}

void ss_lua_free_pending(ss_script *s)
{
    while (s->pending) pending_free(s, s->pending);
}

static void dispatch_fire(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    ss_script *s = ctx;
    pending_ev *p = (pending_ev *)(uintptr_t)arg;
    dispatch(s, &p->ev);
    pending_free(s, p);
}

void ss_script_post(ss_script *s, const ss_event *ev)
{
    if (!ss_lua_has_handler(s, ev->kind)) return;
    pending_ev *p = calloc(1, sizeof *p);
    if (!p) abort();
    p->ev = *ev;
    p->ev.kind = p->str[0] = dup0(ev->kind);
    p->ev.vm = p->str[1] = dup0(ev->vm);
    p->ev.host = p->str[2] = dup0(ev->host);
    p->ev.datastore = p->str[3] = dup0(ev->datastore);
    p->ev.snapshot = p->str[4] = dup0(ev->snapshot);
    p->ev.detail = p->str[5] = dup0(ev->detail);
    p->ev.strategy = p->str[6] = dup0(ev->strategy);
    p->ev.phase = p->str[7] = dup0(ev->phase);
    p->ev.proxy = p->str[8] = dup0(ev->proxy);
    p->ev.kept_files = p->str[9] = dup0(ev->kept_files);
    p->next = s->pending;
    if (s->pending) s->pending->prev = p;
    s->pending = p;
    ss_engine_at(s->w->eng, ss_engine_now(s->w->eng), dispatch_fire, s, (uint64_t)(uintptr_t)p);
}

const luaL_Reg ss_lua_schedule[] = {
    { "at", l_at }, { "after", l_after }, { "every", l_every }, { "on", l_on }, { NULL, NULL },
};
