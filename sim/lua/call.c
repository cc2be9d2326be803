/*
 * call.c -- calling into the scenario's Lua code: every error gets the
 * file:line of the scenario line it came from, an error in a callback
 * stops the run with its message, and no entry runs without bound (a count
 * hook charges every HOOK_STEP instructions to the entry's budget).
 */
#include <stdio.h>
#include <string.h>

#include "lua/binding.h"

/* ---- bounded work ---- */

#define HOOK_STEP 1000u       /* instructions between two calls of the hook */
#define POLL_STEPS 64u        /* hook calls between two polls of the run (signals, wall clock) */

static unsigned hook_step(const ss_script *s)
{
    uint64_t lim = s->sc->lua_limit ? s->sc->lua_limit : SS_LUA_LIMIT_DEFAULT;
    return lim < HOOK_STEP ? (unsigned)lim : HOOK_STEP;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    ss_script *s = *(ss_script **)lua_getextraspace(L);
    if (!s->killed) {
        unsigned step = hook_step(s);
        uint64_t lim = s->sc->lua_limit ? s->sc->lua_limit : SS_LUA_LIMIT_DEFAULT;
        char why[300] = "";
        s->work += step;
        if (s->work >= lim) {
            lua_getinfo(L, "Sl", ar);
            snprintf(s->kill_msg, sizeof s->kill_msg,
                     "%s:%d: %s ran more than %llu Lua instructions: an infinite loop? (the bound is "
                     "scenario{lua_limit=} or --lua-limit)",
                     ar->short_src, ar->currentline, s->entry, (unsigned long long)lim);
            s->killed = 1;
        } else if (++s->polls % POLL_STEPS == 0 && s->hooks.poll && s->hooks.poll(s->hooks.ctx, why, sizeof why)) {
            lua_getinfo(L, "Sl", ar);
            snprintf(s->kill_msg, sizeof s->kill_msg, "%s:%d: %s stopped: %s", ar->short_src, ar->currentline,
                     s->entry, why);
            s->killed = 1;
        }
        if (!s->killed) return;
        /* From now on every instruction raises, so an error that a pcall
         * in the script catches is raised again at its next instruction. */
        lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
    }
    lua_pushstring(L, s->kill_msg);
    lua_error(L);
}

void ss_lua_hook_install(ss_script *s)
{
    *(ss_script **)lua_getextraspace(s->L) = s;
    lua_sethook(s->L, count_hook, LUA_MASKCOUNT, (int)hook_step(s));
}

void ss_script_limit_changed(ss_script *s)
{
    if (!s->killed) lua_sethook(s->L, count_hook, LUA_MASKCOUNT, (int)hook_step(s));
}

void ss_lua_entry(ss_script *s, const char *what)
{
    s->work = 0;
    snprintf(s->entry, sizeof s->entry, "%s", what);
}

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
    lua_Debug ar;
    lua_pushvalue(L, base);
    lua_getinfo(L, ">S", &ar);
    char what[200];
    snprintf(what, sizeof what, "the callback defined at %s:%d", ar.short_src, ar.linedefined);
    ss_lua_entry(s, what);
    lua_pushcfunction(L, ss_lua_msgh);
    lua_insert(L, base);
    int rc = lua_pcall(L, nargs, 0, base);
    lua_remove(L, base);
    if (rc != LUA_OK) {
        const char *msg = s->killed ? s->kill_msg : lua_tostring(L, -1);
        fail(s, msg ? msg : "error in a scenario callback");
        lua_pop(L, 1);
    }
}
