/*
 * ops.c -- the scenario's operations beyond the VM's own life cycle:
 * backup() (VCB jobs through a proxy), fail_host() (a hostd outage),
 * convert() (VMware Converter) and set_guest_os().  Each translates its arguments and
 * calls the model; what a job does and refuses is the model's.
 */
#include <stdio.h>
#include <string.h>

#include "lua/binding.h"
#include "model/backup.h"
#include "model/convert.h"
#include "model/fleet.h"
#include "model/host.h"
#include "model/snapshot.h"
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

/* ---- convert(source, {...}) and set_guest_os(vm, id) ---- */

static const char *const cprov_names[] = { "thick", "thin", NULL };

typedef struct convert_in {
    char name[256];
    double bandwidth;
    uint64_t memory;
    uint64_t size;
    int provisioning;
} convert_in;

static const ss_field cdisk_f[] = {
    F_SIZE("size", convert_in, size, "the source disk's", "each new disk's capacity", SS_F_POSITIVE),
    F_ENUM("provisioning", convert_in, provisioning, cprov_names, "the source's (V2V), thick (P2V)",
           "the new disks' provisioning"),
    F_CUSTOM("format", "one of vmfsSparse, seSparse, qcow2, ideal", "the target host version's", "the delta format"),
};
static const ss_fields cdisk_fields = SS_FIELDS("convert.disk", cdisk_f);

static const ss_field convert_f[] = {
    F_STRING("name", convert_in, name, NULL, "the new VM's name (required)"),
    F_CUSTOM("host", "the name of a declared host", "the source VM's host, or the only host", "the target host"),
    F_CUSTOM("datastore", "the name of a declared datastore", "the source VM's datastore, or the only datastore",
             "the target datastore"),
    F_TABLE("disk", 0, &cdisk_fields, "the new VM's disks"),
    F_RATE("bandwidth", convert_in, bandwidth, "20MB/s", "the copy's rate, at most (the datastore may give less)",
           SS_F_POSITIVE),
    F_CUSTOM("converter", "one of 3.0, 4.0", "3.0", "the Converter release (3.0 has bug PR#142831)"),
    F_SIZE("memory", convert_in, memory, "the source's (P2V: 4GB)", "the new VM's memory", 0),
};
static const ss_fields convert_fields = SS_ROOT("convert", "convert(source, { ... })", convert_f);

typedef struct phys_in { uint64_t used; } phys_in;
static const ss_field phys_f[] = {
    F_CUSTOM("disks", "a list of sizes or disk tables { size = }", NULL, "the machine's disks (required)"),
    F_SIZE("used", phys_in, used, "0", "the data on them, filling the disks in order", 0),
    F_CUSTOM("guest_os", "a VMware guest OS identifier", "winnetstandard", "the machine's OS"),
};
static const ss_fields phys_fields = SS_FIELDS("convert.source.physical", phys_f);

/* The source table: its physical sub-table parses into phys (and again,
 * with its lists, in parse_physical). */
typedef struct psrc_in { phys_in phys; } psrc_in;
static const ss_field psrc_f[] = {
    F_TABLE("physical", offsetof(psrc_in, phys), &phys_fields, "a physical machine (P2V)"),
};
static const ss_fields psrc_fields = SS_ROOT("convert.source", "convert({ ... }, { name = ... })", psrc_f);

/* P2V: the physical machine at index t (source.physical) into spec. */
static void parse_physical(vctx *c, int t, ss_convert_spec *spec)
{
    lua_State *L = c->L;
    phys_in in = { 0 };
    ss_fields_parse(c, t, "source.physical", &phys_fields, &in);
    char buf[128];
    spec->os = ss_guest_os_find("winnetstandard");
    if (get_string(c, t, "source.physical", "guest_os", buf, sizeof buf))
        spec->os = ss_lua_guest_os(c, t, "source.physical", "guest_os", buf);
    if (!get_table(c, t, "source.physical", "disks"))
        luaL_error(L, "%s: field source.physical.disks is required (a list of sizes like { \"40GB\" })", c->what);
    int d = lua_gettop(L);
    int n = (int)lua_rawlen(L, d);
    if (n < 1 || n > SS_CONVERT_MAX_DISKS)
        verr_key(c, t, "source.physical", "disks", "a list of 1 to 64 sizes or disk tables", "");
    uint64_t total = 0;
    for (int i = 1; i <= n; i++) {
        char f[32];
        snprintf(f, sizeof f, "[%d]", i);
        lua_rawgeti(L, d, i);
        lua_createtable(L, 0, 1);
        lua_pushvalue(L, -2);
        lua_setfield(L, -2, "v");
        uint64_t sz = 0;
        if (lua_istable(L, -2)) {
            lua_getfield(L, -2, "size");
            lua_setfield(L, -2, "v");
        }
        char pre[64];
        snprintf(pre, sizeof pre, "source.physical.disks%s", f);
        if (!get_size(c, lua_gettop(L), pre, "v", &sz) || sz == 0)
            verr(c, pre, -2, "a disk size like \"40GB\" (or { size = \"40GB\" })", "");
        lua_pop(L, 2);
        spec->capacity[i - 1] = sz;
        total += sz;
    }
    lua_pop(L, 1);
    if (in.used > total) verr_key(c, t, "source.physical", "used", "at most the disks' total size", "");
    spec->ndisks = n;
    uint64_t left = in.used;
    for (int i = 0; i < n; i++) {
        spec->used[i] = left < spec->capacity[i] ? left : spec->capacity[i];
        left -= spec->used[i];
    }
    spec->p2v = 1;
    spec->source = "a physical machine";
    spec->memory = UINT64_C(4) << 30;
    spec->tools = SS_TOOLS_RUNNING;
}

/* V2V: the VM's disks as Converter copies them: a VM that is off as it is,
 * one that runs (or is suspended) as of its newest snapshot (a hot clone). */
static void parse_vm_source(lua_State *L, ss_vm *vm, ss_convert_spec *spec)
{
    const ss_snapshot *snap = vm->power == SS_POWER_OFF ? NULL : vm->cur;
    if (vm->power != SS_POWER_OFF && !snap)
        luaL_error(L, "convert: vm %s is %s and has no snapshot: power it off, or take a snapshot first (a hot "
                      "conversion copies the disks as of the snapshot)",
                   vm->name, vm->power == SS_POWER_ON ? "running" : "suspended");
    if (vm->ndisks > SS_CONVERT_MAX_DISKS) luaL_error(L, "convert: vm %s has too many disks", vm->name);
    ss_fleet_sync(ss_script_of(L)->w);
    spec->ndisks = vm->ndisks;
    for (int i = 0; i < vm->ndisks; i++) {
        const ss_disk *d = &vm->disks[i];
        spec->capacity[i] = d->capacity;
        spec->used[i] = ss_disk_data(d, snap ? snap->files[i] : d->top);
    }
    spec->thin = vm->disks[0].thin;
    spec->source = vm->name;
    spec->os = vm->guest_os;
    spec->memory = vm->memory;
    spec->tools = vm->tools;
}

static int l_convert(lua_State *L)
{
    int nargs = lua_gettop(L), nret = 0;
    ss_script *s = op_script(L, "convert");
    ss_world *w = s->w;
    vctx c;
    vctx_init(&c, L, "convert");
    ss_convert_spec spec;
    memset(&spec, 0, sizeof spec);
    ss_vm *src = NULL;
    if (lua_type(L, 1) == LUA_TSTRING) {
        src = ss_lua_arg_vm(L, s, 1, "convert");
        parse_vm_source(L, src, &spec);
    } else if (lua_istable(L, 1)) {
        psrc_in pin = { { 0 } };
        ss_fields_parse(&c, 1, "source", &psrc_fields, &pin);
        if (!get_table(&c, 1, "source", "physical"))
            return luaL_error(L, "convert: source: expected a vm name or { physical = { disks = {...}, used = } }");
        parse_physical(&c, lua_gettop(L), &spec);
        lua_pop(L, 1);
    } else
        return luaL_error(L, "convert: expected a vm name or { physical = {...} } as the source, found a %s",
                          luaL_typename(L, 1));
    if (!lua_istable(L, 2)) return luaL_error(L, "convert: expected an options table, like { name = \"new\" }");
    convert_in in = { "", 20.0 * 1048576, UINT64_MAX, 0, -1 };
    ss_fields_parse(&c, 2, "options", &convert_fields, &in);
    if (!in.name[0]) return luaL_error(L, "convert: field options.name is required (the new VM's name)");
    if (ss_fleet_vm(w, in.name) || ss_convert_pending(w, in.name))
        verr_key(&c, 2, "options", "name", "the name of no vm yet", "a vm of that name exists or is being made");
    char buf[256];
    spec.host = src ? src->host : w->hosts && !w->hosts->next ? w->hosts : NULL;
    if (get_string(&c, 2, "options", "host", buf, sizeof buf) && !(spec.host = ss_fleet_host(w, buf)))
        verr_key(&c, 2, "options", "host", "the name of a declared host", "");
    if (!spec.host) return luaL_error(L, "convert: field options.host is required (several hosts are declared)");
    spec.ds = src ? src->ds : w->dss && !w->dss->next ? w->dss : NULL;
    if (get_string(&c, 2, "options", "datastore", buf, sizeof buf) && !(spec.ds = ss_fleet_ds(w, buf)))
        verr_key(&c, 2, "options", "datastore", "the name of a declared datastore", "");
    if (!spec.ds)
        return luaL_error(L, "convert: field options.datastore is required (several datastores are declared)");
    spec.conv = ss_converter_find("3.0");
    if (get_string(&c, 2, "options", "converter", buf, sizeof buf) && !(spec.conv = ss_converter_find(buf))) {
        char exp[96];
        snprintf(exp, sizeof exp, "one of %s", ss_converter_names());
        verr_key(&c, 2, "options", "converter", exp, "");
    }
    if (get_table(&c, 2, "options", "disk")) {
        int t = lua_gettop(L);
        if (in.size) {
            for (int i = 0; i < spec.ndisks; i++) {
                if (in.size < spec.used[i])
                    verr_key(&c, t, "options.disk", "size", "at least the data copied onto each disk", "");
                spec.capacity[i] = in.size;
            }
        }
        if (get_string(&c, t, "options.disk", "format", buf, sizeof buf) && !(spec.fmt = ss_format_find(buf))) {
            char exp[160];
            snprintf(exp, sizeof exp, "one of %s", ss_format_names());
            verr_key(&c, t, "options.disk", "format", exp, "");
        }
        lua_pop(L, 1);
    }
    if (in.provisioning >= 0) spec.thin = in.provisioning == 1;
    if (in.memory != UINT64_MAX) spec.memory = in.memory;
    spec.bandwidth = in.bandwidth;
    spec.name = in.name;
    if (!ss_lua_hostd_gate(L, s, spec.host, "convert", in.name, nargs, &nret)) return nret;
    char why[300];
    int id = ss_convert_start(w, &spec, why, sizeof why);
    if (id < 0) return luaL_error(L, "convert: %s", why);
    ss_lua_hostd_done(s, spec.host);
    lua_pushinteger(L, id);
    return 1;
}

static int l_set_guest_os(lua_State *L)
{
    ss_script *s = op_script(L, "set_guest_os");
    ss_vm *vm = ss_lua_arg_vm(L, s, 1, "set_guest_os");
    const char *id = luaL_checkstring(L, 2);
    vctx c;
    vctx_init(&c, L, "set_guest_os");
    /* The identifier as a field, so that an unknown one is named with the list. */
    lua_createtable(L, 0, 1);
    lua_pushvalue(L, 2);
    lua_setfield(L, -2, "guest_os");
    const ss_guest_os *os = ss_lua_guest_os(&c, lua_gettop(L), "", "guest_os", id);
    lua_pop(L, 1);
    char why[256];
    if (ss_vm_set_guest_os(s->w, vm, os, why, sizeof why) != 0) return luaL_error(L, "set_guest_os: %s", why);
    return 0;
}

const ss_fields *const ss_lua_op_fields[] = { &backup_fields, &convert_fields, &psrc_fields, NULL };

const luaL_Reg ss_lua_ops[] = {
    { "backup", l_backup }, { "fail_host", l_fail_host }, { "convert", l_convert }, { "set_guest_os", l_set_guest_os },
    { NULL, NULL },
};
