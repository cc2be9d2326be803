/*
 * gate.c -- management operations go through the host's hostd (host.h):
 * an action asks ss_lua_hostd_gate before it calls the model.  When the
 * host does not respond the action either returns false and the reason
 * (on_unavailable = "fail") or nil and the reason, having kept the call
 * (the function and its arguments) to make it again when the host answers
 * ("wait").  A kept call that fails then cannot raise into any script: its
 * error becomes an operation_failed event.
 */
#include <stdio.h>
#include <string.h>

#include "lua/binding.h"
#include "model/host.h"

/* A kept call: a Lua table { fn, arg1, ..., n = nargs } in the registry,
 * which also anchors this waiter (a userdata in the table's "w" field, so
 * Lua owns its memory; the host only links it until it runs). */
typedef struct kept_call {
    ss_hostd_waiter wt;
    ss_script *s;
    ss_host *host;
    int ref;
    char op[32], vm[64];
} kept_call;

static void run_kept(ss_world *w, ss_hostd_waiter *wt)
{
    kept_call *k = wt->owner;
    ss_script *s = k->s;
    lua_State *L = s->L;
    (void)w;
    if (s->failed) return;
    lua_rawgeti(L, LUA_REGISTRYINDEX, k->ref);
    int t = lua_gettop(L);
    lua_getfield(L, t, "n");
    int n = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    lua_pushcfunction(L, ss_lua_msgh);
    for (int i = 0; i <= n; i++) lua_rawgeti(L, t, i + 1);
    /* The table stays on the stack (it anchors k) until the call is over. */
    if (lua_pcall(L, n, 0, t + 1) != LUA_OK) {
        ss_hostd_report_failed(s->w, k->host, k->op, k->vm[0] ? k->vm : NULL, lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
    luaL_unref(L, LUA_REGISTRYINDEX, k->ref);
}

int ss_lua_hostd_gate(lua_State *L, ss_script *s, ss_host *h, const char *op, const char *vm, int nargs, int *nret)
{
    char why[400];
    ss_hostd_answer a = ss_hostd_begin(s->w, h, op, vm, why, sizeof why);
    if (a == SS_HOSTD_GO) return 1;
    if (a == SS_HOSTD_FAILED) {
        lua_pushboolean(L, 0);
        lua_pushstring(L, why);
        *nret = 2;
        return 0;
    }
    /* Keep the call: this very function (level 0) and its arguments. */
    lua_createtable(L, nargs + 1, 2);
    int t = lua_gettop(L);
    lua_Debug ar;
    if (!lua_getstack(L, 0, &ar) || !lua_getinfo(L, "f", &ar)) return luaL_error(L, "%s: cannot keep the call", op);
    lua_rawseti(L, t, 1);
    for (int i = 1; i <= nargs; i++) {
        lua_pushvalue(L, i);
        lua_rawseti(L, t, i + 1);
    }
    lua_pushinteger(L, nargs);
    lua_setfield(L, t, "n");
    kept_call *k = lua_newuserdatauv(L, sizeof *k, 0);
    memset(k, 0, sizeof *k);
    lua_setfield(L, t, "w");
    k->s = s;
    k->host = h;
    snprintf(k->op, sizeof k->op, "%s", op);
    snprintf(k->vm, sizeof k->vm, "%s", vm ? vm : "");
    k->wt = (ss_hostd_waiter){ .run = run_kept, .owner = k };
    k->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    ss_hostd_wait(h, &k->wt);
    lua_pushnil(L);
    lua_pushstring(L, why);
    *nret = 2;
    return 0;
}

void ss_lua_hostd_done(ss_script *s, ss_host *h) { ss_hostd_done(s->w, h); }
