/*
 * ops.c -- the scenario's operations beyond the VM's own life cycle:
 * backup() (VCB jobs through a proxy) and fail_host() (a hostd outage).  Each translates its arguments and
 * calls the model; what a job does and refuses is the model's.
 */
#include <stdio.h>
#include <string.h>

#include "lua/binding.h"
#include "model/backup.h"
#include "model/fleet.h"
#include "model/host.h"
#include "snapsim/units.h"

static ss_script *op_script(lua_State *L, const char *fn)
{
    ss_script *s = ss_script_of(L);
    if (s->loading)
        luaL_error(L, "%s: actions run at simulated times, from a callback: wrap it, e.g. at(0, function() %s(...) end)",
                   fn, fn);
    ss_fleet_sync(s->w);
    return s;
}

/* ---- backup(vm, {...}) ---- */

static const char *const mode_names[] = { "fullvm", "file", NULL };
static const char *const transport_names[] = { "san", "nbd", "hotadd", NULL };

typedef struct backup_in {
    int mode, transport, quiesce;
    double file_fraction;
    ss_time pre_script, unmount;
} backup_in;

static const ss_field window_f[] = {
    F_CUSTOM("start", "a time of day like \"22:00\"", NULL, "jobs may start from this time of day (required)"),
    F_CUSTOM("stop", "a time of day like \"06:00\"", NULL, "jobs not started by then are missed (required)"),
};
static const ss_fields window_fields = SS_FIELDS("backup.window", window_f);

static const ss_field backup_f[] = {
    F_ENUM("mode", backup_in, mode, mode_names, "fullvm", "fullvm: the disks' allocated data; file: a fraction of it"),
    F_CUSTOM("proxy", "the name of a declared proxy", "the only proxy", "the VCB proxy that runs the job"),
    F_BOOL("quiesce", backup_in, quiesce, "true", "quiesce the guest before the snapshot (vm.quiesce)"),
    F_ENUM("transport", backup_in, transport, transport_names, "san",
           "san/hotadd: read from the datastore (the proxy must see it); nbd: through the host's network"),
    F_NUMBER("file_fraction", backup_in, file_fraction, 0, 1, "0.5", "file mode: the share of the allocated data read"),
    F_DURATION("pre_script", backup_in, pre_script, "10s", "the pre-backup script", 0),
    F_DURATION("unmount", backup_in, unmount, "10s", "the post-backup unmount", 0),
    F_TABLE("window", 0, &window_fields, "the time of day the job may start in; queued past its stop: missed"),
};
static const ss_fields backup_fields = SS_ROOT("backup", "backup(vm, { ... })", backup_f);

/* "22:00", "6:30", "23:59:59" (and "24:00", midnight at the end) -> seconds. */
static int parse_tod(const char *s, int *out)
{
    int h = 0, m = 0, sec = 0, n = 0;
    char extra;
    int k = sscanf(s, "%d:%d%n", &h, &m, &n);
    if (k != 2) return -1;
    if (s[n] == ':') {
        int n2 = 0;
        if (sscanf(s + n + 1, "%d%n", &sec, &n2) != 1) return -1;
        n += 1 + n2;
    }
    if (sscanf(s + n, "%c", &extra) == 1) return -1;
    if (h < 0 || m < 0 || m > 59 || sec < 0 || sec > 59 || h > 24 || (h == 24 && (m || sec))) return -1;
    *out = (h * 3600 + m * 60 + sec) % 86400;
    return 0;
}

static void window_time(vctx *c, int t, const char *key, int *out)
{
    char buf[64], f[32];
    snprintf(f, sizeof f, "window.%s", key);
    if (!get_string(c, t, "window", key, buf, sizeof buf))
        luaL_error(c->L, "%s: field %s is required (a time of day like \"22:00\")", c->what, f);
    if (parse_tod(buf, out) != 0) verr_key(c, t, "window", key, "a time of day like \"22:00\" (00:00 to 24:00)", "");
}

static int l_backup(lua_State *L)
{
    ss_script *s = op_script(L, "backup");
    ss_vm *vm = ss_lua_arg_vm(L, s, 1, "backup");
    backup_in in = { SS_BACKUP_FULLVM, SS_TRANSPORT_SAN, 1, 0.5, 10 * SS_NS_PER_S, 10 * SS_NS_PER_S };
    ss_backup_spec spec;
    memset(&spec, 0, sizeof spec);
    ss_proxy *p = s->w->proxies && !s->w->proxies->next ? s->w->proxies : NULL;
    vctx c;
    vctx_init(&c, L, "backup");
    int given = 0;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        ss_fields_parse(&c, 2, "options", &backup_fields, &in);
        char buf[256];
        if (get_string(&c, 2, "options", "proxy", buf, sizeof buf)) {
            given = 1;
            if (!(p = ss_fleet_proxy(s->w, buf)))
                verr_key(&c, 2, "options", "proxy", "the name of a declared proxy", "declare it with proxy \"name\" {}");
        }
        if (get_table(&c, 2, "options", "window")) {
            int t = lua_gettop(L);
            spec.has_window = 1;
            window_time(&c, t, "start", &spec.win_start);
            window_time(&c, t, "stop", &spec.win_stop);
            if (spec.win_start == spec.win_stop)
                verr_key(&c, t, "window", "stop", "a time of day other than the window's start", "");
            lua_pop(L, 1);
        }
    }
    if (!p && !given)
        return luaL_error(L, "backup: options.proxy is required (%s)",
                          s->w->proxies ? "several proxies are declared" : "declare one with proxy \"name\" {}");
    spec.mode = (ss_backup_mode)in.mode;
    spec.transport = (ss_transport)in.transport;
    spec.quiesce = in.quiesce;
    spec.file_fraction = in.file_fraction;
    spec.pre_script = in.pre_script;
    spec.unmount = in.unmount;
    char why[300];
    int id = ss_backup_submit(s->w, vm, p, &spec, why, sizeof why);
    if (id < 0) return luaL_error(L, "backup: options.proxy: %s", why);
    lua_pushinteger(L, id);
    return 1;
}

/* fail_host(host, duration): hostd stops answering for that long. */
static int l_fail_host(lua_State *L)
{
    ss_script *s = op_script(L, "fail_host");
    const char *name = luaL_checkstring(L, 1);
    ss_host *h = ss_fleet_host(s->w, name);
    if (!h) return luaL_error(L, "fail_host: unknown host \"%s\"", name);
    ss_time d = 0;
    if (lua_type(L, 2) == LUA_TNUMBER) {
        double v = lua_tonumber(L, 2);
        if (!(v > 0) || v > 9.2e9) return luaL_error(L, "fail_host: the duration must be > 0 seconds, found %f", v);
        d = ss_time_from_s(v);
    } else if (lua_type(L, 2) == LUA_TSTRING) {
        char why[160] = "";
        if (ss_parse_duration(lua_tostring(L, 2), &d, why, sizeof why) != SS_OK || d <= 0)
            return luaL_error(L, "fail_host: expected a duration like \"10m\" as the second argument, found \"%s\"%s%s",
                              lua_tostring(L, 2), *why ? ": " : "", why);
    } else
        return luaL_error(L, "fail_host: expected a duration like \"10m\" as the second argument, found a %s",
                          luaL_typename(L, 2));
    ss_hostd_fail(s->w, h, d);
    return 0;
}

const ss_fields *const ss_lua_op_fields[] = { &backup_fields, NULL };

const luaL_Reg ss_lua_ops[] = {
    { "backup", l_backup }, { "fail_host", l_fail_host }, { NULL, NULL },
};
