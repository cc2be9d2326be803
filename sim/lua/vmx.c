/*
 * vmx.c -- a VM's `vmx = { ["real.vmx.name"] = value, ... }` table: the
 * option names of a real .vmx file as aliases of snapsim's own options.
 *
 * The aliases are data: each maps a .vmx name onto the path of the snapsim
 * field it means (vm fields of declare.c), or onto nothing when snapsim does
 * not model what the option controls (accepted, so that KB 1189's "turn
 * every sync off" list can be pasted as it is).  A value may be written as
 * in a .vmx file ("TRUE", "FALSE", "0", "1", "20") or as a Lua value; it is
 * then validated by the field it maps onto, exactly as if that field had
 * been written.  An unknown name, or an option given both directly and
 * through its alias, is an error naming file:line.
 */
#include <stdio.h>
#include <string.h>

#include "lua/binding.h"

typedef struct vmx_alias {
    const char *vmx;          /* the .vmx option's name */
    const char *path;         /* the snapsim field it sets ("clock.resync.resume"), NULL: not modelled */
} vmx_alias;

/* Sources: KB 1189 and open-vm-tools lib/include/vmware/guestrpc/timesync.h
 * (time sync); KB 2039754 and KB 2082886 (consolidation). */
static const vmx_alias aliases[] = {
    { "tools.syncTime", "clock.tools_sync" },
    { "time.synchronize.tools.startup", "clock.resync.boot" },
    { "time.synchronize.tools.startup.backward", "clock.resync.boot_backward" },
    { "time.synchronize.resume.disk", "clock.resync.resume" },
    { "time.synchronize.restore", "clock.resync.revert" },
    { "snapshot.maxIterations", "consolidation.max_iterations" },
    { "snapshot.maxConsolidateTime", "consolidation.max_consolidate_time" },
    { "snapshot.asyncConsolidate.forceSync", "consolidation.force_sync" },
    /* Events snapsim does not model: accepted, no effect. */
    { "time.synchronize.continue", NULL },        /* after taking a snapshot */
    { "time.synchronize.shrink", NULL },          /* after a disk shrink */
    { "time.synchronize.resume.host", NULL },     /* after the host resumes from standby */
    { "time.synchronize.tools.enable", NULL },
};
#define NALIASES ((int)(sizeof aliases / sizeof aliases[0]))

const char *ss_lua_vmx_alias(int i, const char **path)
{
    if (i < 0 || i >= NALIASES) return NULL;
    *path = aliases[i].path;
    return aliases[i].vmx;
}

static const vmx_alias *find_alias(const char *name)
{
    for (int i = 0; i < NALIASES; i++)
        if (strcmp(aliases[i].vmx, name) == 0) return &aliases[i];
    return NULL;
}

/* The field at a dotted path of fs ("clock.resync.resume"), NULL if none. */
static const ss_field *field_at(const ss_fields *fs, const char *path)
{
    char seg[64];
    for (;;) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof seg) return NULL;
        memcpy(seg, path, n);
        seg[n] = 0;
        const ss_field *f = ss_fields_find(fs, seg);
        if (!f || !dot) return f;
        if (f->type != SS_F_TABLE) return NULL;
        fs = f->sub;
        path = dot + 1;
    }
}

/* Is the path given in the table at t (every level a table, the last non-nil)? */
static int given_at(lua_State *L, int t, const char *path)
{
    char seg[64];
    int pushed = 0, found = 0;
    lua_pushvalue(L, t);
    pushed++;
    for (;;) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof seg || !lua_istable(L, -1)) break;
        memcpy(seg, path, n);
        seg[n] = 0;
        lua_getfield(L, -1, seg);
        pushed++;
        if (!dot) { found = !lua_isnil(L, -1); break; }
        path = dot + 1;
    }
    lua_pop(L, pushed);
    return found;
}

/* Push the value at idx as the field's type wants it: .vmx booleans and
 * numbers are strings ("TRUE", "0", "20"). */
static void push_as(lua_State *L, int idx, const ss_field *f)
{
    if (lua_type(L, idx) == LUA_TSTRING) {
        const char *s = lua_tostring(L, idx);
        if (f->type == SS_F_BOOL) {
            if (!strcmp(s, "TRUE") || !strcmp(s, "true") || !strcmp(s, "1")) { lua_pushboolean(L, 1); return; }
            if (!strcmp(s, "FALSE") || !strcmp(s, "false") || !strcmp(s, "0")) { lua_pushboolean(L, 0); return; }
        } else if (lua_stringtonumber(L, s)) {
            return;
        }
    } else if (lua_type(L, idx) == LUA_TNUMBER && f->type == SS_F_BOOL) {
        double v = lua_tonumber(L, idx);
        if (v == 0 || v == 1) { lua_pushboolean(L, v == 1); return; }
    }
    lua_pushvalue(L, idx);
}

/* Wrap the value on top into nested tables along path: {a = {b = {c = v}}}. */
static void nest(lua_State *L, const char *path)
{
    char buf[160];
    char *segs[8];
    int n = 0;
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf; p && n < 8;) {
        segs[n++] = p;
        char *d = strchr(p, '.');
        if (d) *d = 0;
        p = d ? d + 1 : NULL;
    }
    for (int i = n - 1; i >= 0; i--) {
        lua_createtable(L, 0, 1);
        lua_insert(L, -2);
        lua_setfield(L, -2, segs[i]);
    }
}

void ss_lua_vmx(vctx *c, int t, const ss_fields *fs, void *target)
{
    lua_State *L = c->L;
    t = lua_absindex(L, t);
    if (!get_table(c, t, "", "vmx")) return;
    int v = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, v)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "%s: vmx: expected .vmx option names as keys, like [\"snapshot.maxIterations\"] = 20",
                       c->what);
        const char *name = lua_tostring(L, -2);
        const vmx_alias *a = find_alias(name);
        if (!a) {
            char list[1024] = "";
            for (int i = 0; i < NALIASES; i++) {
                strncat(list, aliases[i].vmx, sizeof list - strlen(list) - 1);
                if (i + 1 < NALIASES) strncat(list, ", ", sizeof list - strlen(list) - 1);
            }
            const char *names[NALIASES];
            for (int i = 0; i < NALIASES; i++) names[i] = aliases[i].vmx;
            const char *near = ss_closest_name(name, names, NALIASES);
            char hint[120] = "";
            if (near) snprintf(hint, sizeof hint, "did you mean \"%s\"? ", near);
            luaL_error(L, "%s: vmx: unknown .vmx option \"%s\" (%ssnapsim knows: %s)", c->what, name, hint, list);
        }
        if (a->path) {
            const ss_field *f = field_at(fs, a->path);
            if (!f) luaL_error(L, "%s: vmx: \"%s\" maps onto %s, which is not a field", c->what, name, a->path);
            if (given_at(L, t, a->path))
                luaL_error(L, "%s: vmx[\"%s\"] and %s are the same option: give one of them", c->what, name,
                           a->path);
            push_as(L, -1, f);
            nest(L, a->path);
            vctx sub = *c;
            snprintf(sub.what, sizeof sub.what, "%.80s: vmx[\"%.30s\"]", c->what, name);
            ss_fields_parse(&sub, -1, "", fs, target);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}
