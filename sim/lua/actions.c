/*
 * actions.c -- what a scenario does at simulated times: power_on()
 * power_off() suspend() resume() snapshot() revert() delete_snapshot()
 * delete_all() write() set_workload().  Each translates its arguments and
 * calls the model; an action that cannot be done raises a Lua error with
 * the model's reason (a script may pcall it), one that was tried and
 * failed (no space) returns false and the reason.  The management
 * operations (power, snapshot, revert, deletions) go through the host's
 * hostd first (gate.c): while the host does not respond they return false
 * and the reason, or nil and the reason when they wait.
 */
#include <stdio.h>
#include <string.h>

#include "lua/binding.h"
#include "model/delete.h"
#include "model/fleet.h"
#include "model/guest_io.h"
#include "model/power.h"
#include "model/snapshot.h"
#include "model/stat_io.h"
#include "model/write.h"

static ss_script *action_script(lua_State *L, const char *fn)
{
    ss_script *s = ss_script_of(L);
    if (s->loading)
        luaL_error(L, "%s: actions run at simulated times, from a callback: wrap it, e.g. at(0, function() %s(...) end)",
                   fn, fn);
    ss_fleet_sync(s->w);
    return s;
}

ss_vm *ss_lua_arg_vm(lua_State *L, ss_script *s, int idx, const char *fn)
{
    const char *name = luaL_checkstring(L, idx);
    ss_vm *vm = ss_fleet_vm(s->w, name);
    if (!vm) luaL_error(L, "%s: unknown vm \"%s\"", fn, name);
    return vm;
}

typedef int (*power_fn)(ss_world *, ss_vm *, char *, size_t);

static int do_power(lua_State *L, const char *fn, power_fn f)
{
    int nargs = lua_gettop(L), nret = 0;
    ss_script *s = action_script(L, fn);
    ss_vm *vm = ss_lua_arg_vm(L, s, 1, fn);
    if (!ss_lua_hostd_gate(L, s, vm->host, fn, vm->name, nargs, &nret)) return nret;
    char why[256];
    if (f(s->w, vm, why, sizeof why) != 0) return luaL_error(L, "%s: %s", fn, why);
    ss_lua_hostd_done(s, vm->host);
    return 0;
}
static int l_power_on(lua_State *L) { return do_power(L, "power_on", ss_vm_power_on); }
static int l_power_off(lua_State *L) { return do_power(L, "power_off", ss_vm_power_off); }
static int l_suspend(lua_State *L) { return do_power(L, "suspend", ss_vm_suspend); }
static int l_resume(lua_State *L) { return do_power(L, "resume", ss_vm_resume); }

typedef struct snap_in { int memory, quiesce; } snap_in;
static const ss_field snap_f[] = {
    F_BOOL("memory", snap_in, memory, "false", "also save the VM's memory (a .vmsn of its size)"),
    F_BOOL("quiesce", snap_in, quiesce, "false", "quiesce the guest's file systems first (one attempt; see vm.quiesce)"),
};
static const ss_fields snap_fields = SS_ROOT("snapshot", "snapshot(vm, name, { ... })", snap_f);

static int l_snapshot(lua_State *L)
{
    int nargs = lua_gettop(L), nret = 0;
    ss_script *s = action_script(L, "snapshot");
    ss_vm *vm = ss_lua_arg_vm(L, s, 1, "snapshot");
    const char *name = luaL_checkstring(L, 2);
    snap_in in = { 0, 0 };
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        vctx c;
        vctx_init(&c, L, "snapshot");
        ss_fields_parse(&c, 3, "options", &snap_fields, &in);
    }
    if (!ss_lua_hostd_gate(L, s, vm->host, "snapshot", vm->name, nargs, &nret)) return nret;
    char why[256];
    int rc = ss_vm_snapshot(s->w, vm, name, in.memory, in.quiesce, why, sizeof why);
    if (rc < 0) return luaL_error(L, "snapshot: %s", why);
    ss_lua_hostd_done(s, vm->host);
    lua_pushboolean(L, rc == 0);
    if (rc == 0) return 1;
    lua_pushstring(L, why);
    return 2;
}

static int l_revert(lua_State *L)
{
    int nargs = lua_gettop(L), nret = 0;
    ss_script *s = action_script(L, "revert");
    ss_vm *vm = ss_lua_arg_vm(L, s, 1, "revert");
    const char *name = luaL_checkstring(L, 2);
    if (!ss_lua_hostd_gate(L, s, vm->host, "revert", vm->name, nargs, &nret)) return nret;
    char why[256];
    if (ss_vm_revert(s->w, vm, name, why, sizeof why) != 0) return luaL_error(L, "revert: %s", why);
    ss_lua_hostd_done(s, vm->host);
    return 0;
}

typedef struct delete_in { char strategy[64]; int precheck; int del; } delete_in;
static const ss_field delete_f[] = {
    F_STRING("strategy", delete_in, strategy, "the VM's", "the strategy of this deletion"),
    F_BOOL("precheck", delete_in, precheck, "true", "refuse up front if the worst case does not fit"),
    F_BOOL("delete", delete_in, del, "false",
           "qemu_commit: remove the committed overlays (libvirt's blockcommit --delete); else they stay"),
};
static const ss_fields delete_fields = SS_ROOT("delete_snapshot", "delete_snapshot(vm, name, { ... }) and delete_all(vm, { ... })", delete_f);

static int do_delete(lua_State *L, const char *fn, int all)
{
    int nargs = lua_gettop(L), nret = 0;
    ss_script *s = action_script(L, fn);
    ss_vm *vm = ss_lua_arg_vm(L, s, 1, fn);
    const char *name = all ? NULL : luaL_checkstring(L, 2);
    int oi = all ? 2 : 3;
    const ss_strategy *st = vm->strategy;
    delete_in in = { "", 1, 0 };
    ss_strategy stv = *st;
    if (!lua_isnoneornil(L, oi)) {
        luaL_checktype(L, oi, LUA_TTABLE);
        vctx c;
        vctx_init(&c, L, fn);
        ss_fields_parse(&c, oi, "options", &delete_fields, &in);
        if (in.strategy[0] && !(st = ss_strategy_find(in.strategy)))
            return luaL_error(L, "%s: options.strategy: expected one of %s, found \"%s\"", fn, ss_strategy_names(),
                              in.strategy);
        stv = *st;
        if (in.del) {
            if (st->order != SS_ORDER_COMMIT)
                return luaL_error(L, "%s: options.delete: only for qemu_commit (libvirt's blockcommit --delete); "
                                  "strategy %s %s", fn, st->name,
                                  st->keep_files ? "keeps its files (block-stream has no delete)"
                                                 : "removes its merged files anyway");
            stv.keep_files = 0;
        }
    }
    if (!ss_lua_hostd_gate(L, s, vm->host, fn, vm->name, nargs, &nret)) return nret;
    char why[300];
    int rc = ss_delete_start(s->w, vm, name, &stv, in.precheck, why, sizeof why);
    if (rc == -2) return luaL_error(L, "%s: %s", fn, why);
    ss_lua_hostd_done(s, vm->host);
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

static const char *const pattern_names[] = { "uniform", "sequential", "hotspot", "zipf", NULL };
typedef struct write_in {
    uint64_t bytes, offset, io_size;
    double rate, disk;
    int pattern;
} write_in;
static const ss_field write_f[] = {
    F_SIZE("bytes", write_in, bytes, NULL, "how much to write (required)", 0),
    F_SIZE("offset", write_in, offset, NULL, "a sequential range from this offset (else random writes)", 0),
    F_ENUM("pattern", write_in, pattern, pattern_names, "uniform", "random writes' pattern"),
    F_SIZE("io_size", write_in, io_size, "4KB", "the size of each random write", 0),
    F_RATE("rate", write_in, rate, "at once", "spread the writes at this rate", 0),
    F_CUSTOM("disk", "a disk number from 1", "1", "the disk written"),
};
static const ss_fields write_fields = SS_ROOT("write", "write(vm, { ... })", write_f);

static int l_write(lua_State *L)
{
    ss_script *s = action_script(L, "write");
    ss_vm *vm = ss_lua_arg_vm(L, s, 1, "write");
    luaL_checktype(L, 2, LUA_TTABLE);
    vctx c;
    vctx_init(&c, L, "write");
    write_in in = { 0, UINT64_MAX, 4096, 0, 1, -1 };
    ss_fields_parse(&c, 2, "options", &write_fields, &in);
    if (in.bytes == 0) return luaL_error(L, "write: options.bytes is required (a size > 0)");
    get_number(&c, 2, "options", "disk", 1, vm->ndisks, &in.disk);
    ss_write_spec ws = { .io_size = in.io_size, .pattern = SS_PAT_UNIFORM, .bytes = in.bytes, .rate = in.rate };
    ws.ranged = in.offset != UINT64_MAX;
    ws.offset = ws.ranged ? in.offset : 0;
    ws.disk = (int)in.disk - 1;
    if (in.pattern >= 0) ws.pattern = (ss_pattern)in.pattern;
    if (ws.pattern == SS_PAT_SEQUENTIAL) ws.ranged = 1;
    char why[300];
    int rc = ss_vm_write(s->w, vm, &ws, why, sizeof why);
    if (rc < 0) return luaL_error(L, "write: %s", why);
    lua_pushboolean(L, rc == 0);
    if (rc) { lua_pushstring(L, why); return 2; }
    return 1;
}

static int l_set_workload(lua_State *L)
{
    ss_script *s = action_script(L, "set_workload");
    ss_vm *vm = ss_lua_arg_vm(L, s, 1, "set_workload");
    if (lua_isnoneornil(L, 2)) {
        ss_vm_set_workload(s->w, vm, NULL, 0, NULL);
        return 0;
    }
    luaL_checktype(L, 2, LUA_TTABLE);
    vctx c;
    char what[128];
    snprintf(what, sizeof what, "set_workload(\"%s\")", vm->name);
    vctx_init(&c, L, what);
    ss_workload_params p;
    int disk = 0;
    char stream[300], why[256];
    ss_lua_workload(&c, 2, "workload", vm->name, vm->disks, vm->ndisks, &p, &disk, stream, sizeof stream);
    ss_workload *wl = ss_workload_new(&p, vm->disks[disk].capacity, why, sizeof why);
    if (!wl) return luaL_error(L, "%s: field workload: %s", what, why);
    if (ss_stat_check(s->w, vm, wl, disk, why, sizeof why) != 0) {
        ss_workload_free(wl);
        return luaL_error(L, "%s: field workload: %s", what, why);
    }
    ss_vm_set_workload(s->w, vm, wl, disk, stream);
    return 0;
}

const ss_fields *const ss_lua_action_fields[] = { &snap_fields, &delete_fields, &write_fields, NULL };

const luaL_Reg ss_lua_actions[] = {
    { "power_on", l_power_on }, { "power_off", l_power_off }, { "suspend", l_suspend }, { "resume", l_resume },
    { "snapshot", l_snapshot }, { "revert", l_revert }, { "delete_snapshot", l_delete_snapshot },
    { "delete_all", l_delete_all }, { "write", l_write }, { "set_workload", l_set_workload }, { NULL, NULL },
};
