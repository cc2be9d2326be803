/*
 * call.c -- calling into the scenario's Lua code: every error gets the
 * file:line of the scenario line it came from, and an error in a callback
 * stops the run with its message.
 */
#include <string.h>

#include "lua/binding.h"

/* The message handler of every protected call: an error raised inside a
 * C function called from C (ipairs' iterator on nil, say) carries no
 * position; give it the file:line of the innermost scenario line. */
int ss_lua_msgh(lua_State *L)
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

/* A callback raised an error: the run stops with its message. */
static void fail(ss_script *s, const char *msg)
{
    if (s->failed) return;
    s->failed = 1;
    ss_error_set(&s->err, SS_ERR_INPUT, "%s", msg);
    ss_engine_stop(s->w->eng);
}

void ss_lua_call(ss_script *s, int nargs)
{
    lua_State *L = s->L;
    int base = lua_gettop(L) - nargs;          /* the function's index */
    lua_pushcfunction(L, ss_lua_msgh);
    lua_insert(L, base);
    int rc = lua_pcall(L, nargs, 0, base);
    lua_remove(L, base);
    if (rc != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        fail(s, msg ? msg : "error in a scenario callback");
        lua_pop(L, 1);
    }
}
