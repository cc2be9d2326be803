/*
 * queries.c -- what a scenario can ask and say: now() day() snapshots()
 * datastore_state() vm_state() host_state() record() print().  Queries at simulated
 * times first apply every guest's writes so far, so what they return is
 * the state at now().
 */
#include <math.h>
#include <stdio.h>

#include "lua/binding.h"
#include "model/fleet.h"
#include "model/snapshot.h"
#include "model/tools.h"
#include "snapsim/units.h"

static int l_now(lua_State *L)
{
    lua_pushnumber(L, ss_time_to_s(ss_engine_now(ss_script_of(L)->w->eng)));
    return 1;
}

static int l_day(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)(ss_engine_now(ss_script_of(L)->w->eng) / (86400 * SS_NS_PER_S)));
    return 1;
}

static int l_snapshots(lua_State *L)
{
    ss_script *s = ss_script_of(L);
    ss_vm *vm = ss_lua_arg_vm(L, s, 1, "snapshots");
    int n = 0;
    for (ss_snapshot *p = vm->cur; p; p = p->parent) n += !p->deleting;
    lua_createtable(L, n, 0);
    int i = n;
    for (ss_snapshot *p = vm->cur; p; p = p->parent) {
        if (p->deleting) continue;   /* a running Delete All's */
        lua_pushstring(L, p->name);
        lua_rawseti(L, -2, i--);
    }
    return 1;
}

static int l_datastore_state(lua_State *L)
{
    ss_script *s = ss_script_of(L);
    const char *name = luaL_checkstring(L, 1);
    ss_datastore *ds = ss_fleet_ds(s->w, name);
    if (!ds) return luaL_error(L, "datastore_state: unknown datastore \"%s\"", name);
    if (!s->loading) ss_fleet_sync(s->w);
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, (lua_Integer)ds->capacity); lua_setfield(L, -2, "capacity");
    lua_pushinteger(L, (lua_Integer)ds->used); lua_setfield(L, -2, "used");
    lua_pushinteger(L, (lua_Integer)ss_ds_free_bytes(ds)); lua_setfield(L, -2, "free");
    lua_pushinteger(L, (lua_Integer)ds->peak_used); lua_setfield(L, -2, "peak_used");
    return 1;
}

/* host_state(h): hostd's state and its totals so far. */
static int l_host_state(lua_State *L)
{
    ss_script *s = ss_script_of(L);
    const char *name = luaL_checkstring(L, 1);
    ss_host *h = ss_fleet_host(s->w, name);
    if (!h) return luaL_error(L, "host_state: unknown host \"%s\"", name);
    lua_createtable(L, 0, 8);
    lua_pushboolean(L, !h->down); lua_setfield(L, -2, "responding");
    lua_pushinteger(L, (lua_Integer)llround(ss_hostd_memory(s->w, h))); lua_setfield(L, -2, "hostd_memory");
    lua_pushinteger(L, (lua_Integer)h->restarts); lua_setfield(L, -2, "restarts");
    lua_pushinteger(L, (lua_Integer)h->ops); lua_setfield(L, -2, "ops");
    lua_pushinteger(L, (lua_Integer)h->ops_failed); lua_setfield(L, -2, "ops_failed");
    lua_pushinteger(L, (lua_Integer)h->ops_delayed); lua_setfield(L, -2, "ops_delayed");
    lua_pushnumber(L, ss_hostd_down_s(s->w, h)); lua_setfield(L, -2, "not_responding_s");
    lua_pushstring(L, h->version->name); lua_setfield(L, -2, "version");
    return 1;
}

static int l_vm_state(lua_State *L)
{
    ss_script *s = ss_script_of(L);
    ss_vm *vm = ss_lua_arg_vm(L, s, 1, "vm_state");
    if (!s->loading) ss_fleet_sync(s->w);
    ss_time now = ss_engine_now(s->w->eng);
    lua_createtable(L, 0, 14);
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
    /* VMware Tools: the true state and what VirtualCenter shows (they differ
     * after a VCB command on a version with the display bug); the guest OS
     * identifier the next boot uses. */
    lua_pushstring(L, ss_tools_name(ss_tools_now(vm))); lua_setfield(L, -2, "tools");
    lua_pushstring(L, ss_tools_name(ss_tools_shown(vm))); lua_setfield(L, -2, "tools_reported");
    lua_pushstring(L, vm->guest_os->id); lua_setfield(L, -2, "guest_os");
    lua_newtable(L);
    int i = 1;
    for (ss_file *f = vm->dir.files; f; f = f->next) {
        lua_createtable(L, 0, 5);
        lua_pushstring(L, f->name); lua_setfield(L, -2, "name");
        lua_pushstring(L, ss_file_kind_name(f->kind)); lua_setfield(L, -2, "kind");
        lua_pushinteger(L, (lua_Integer)f->size); lua_setfield(L, -2, "size");
        lua_pushinteger(L, (lua_Integer)ss_file_allocated(f)); lua_setfield(L, -2, "allocated");
        if (f->ct.gs) { lua_pushinteger(L, (lua_Integer)ss_ct_regions(&f->ct)); lua_setfield(L, -2, "regions"); }
        if (f->parent) { lua_pushstring(L, f->parent->name); lua_setfield(L, -2, "parent"); }
        if (f->kept) { lua_pushboolean(L, 1); lua_setfield(L, -2, "kept"); }
        lua_rawseti(L, -2, i++);
    }
    lua_setfield(L, -2, "files");
    return 1;
}

static int l_record(lua_State *L)
{
    ss_script *s = ss_script_of(L);
    const char *name = luaL_checkstring(L, 1);
    double v = luaL_checknumber(L, 2);
    if (!isfinite(v)) return luaL_error(L, "record: %s: expected a finite number, found %f", name, v);
    if (s->hooks.record) s->hooks.record(s->hooks.ctx, name, v);
    return 0;
}

/* duration_text(seconds): the summary's duration form ("1h0m55s", "12.4s"). */
static int l_duration_text(lua_State *L)
{
    char tb[64];
    ss_format_duration_human(luaL_checknumber(L, 1), tb, sizeof tb);
    lua_pushstring(L, tb);
    return 1;
}

static int l_print(lua_State *L)
{
    ss_script *s = ss_script_of(L);
    int n = lua_gettop(L);
    char tb[64];
    ss_format_duration_human(ss_time_to_s(ss_engine_now(s->w->eng)), tb, sizeof tb);
    fprintf(s->outf, "[%8s] ", tb);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *str = luaL_tolstring(L, i, &len);
        if (i > 1) fputc('\t', s->outf);
        fwrite(str, 1, len, s->outf);
        lua_pop(L, 1);
    }
    fputc('\n', s->outf);
    return 0;
}

const luaL_Reg ss_lua_queries[] = {
    { "now", l_now }, { "day", l_day }, { "snapshots", l_snapshots }, { "datastore_state", l_datastore_state },
    { "vm_state", l_vm_state }, { "host_state", l_host_state }, { "record", l_record }, { "print", l_print },
    { "duration_text", l_duration_text }, { NULL, NULL },
};
