/*
 * declare.c -- the declarations: scenario{}, datastore "n" {}, host "n" {}
 * and vm "n" {}, each a field table (fields.h) and the code that turns it
 * into the model's datastores, hosts and VMs.
 *
 * Declarations run at the top level only.  Each validates everything before
 * it allocates anything, so a Lua error (a longjmp) leaks nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/binding.h"
#include "model/datastore.h"
#include "model/fleet.h"
#include "model/host.h"
#include "model/proxy.h"
#include "model/guest_io.h"
#include "model/timesync.h"
#include "model/version.h"
#include "model/vm.h"
#include "snapsim/units.h"

_Static_assert(sizeof(ss_pattern) == sizeof(int) && sizeof(ss_arrivals) == sizeof(int),
               "enum fields are stored as int");

/* ---- the field tables ---- */

typedef struct scen_in {
    char name[256];
    ss_time duration, sample_every, tick;
    double seed, lua_limit;
    int fidelity;
} scen_in;

static const char *const fidelity_names[] = { "exact", "statistical", NULL };

static const ss_field scenario_f[] = {
    F_STRING("name", scen_in, name, "the file's name", "the scenario's name, in reports"),
    F_DURATION("duration", scen_in, duration, "1d", "simulated time", SS_F_POSITIVE),
    F_NUMBER("seed", scen_in, seed, 0, 9007199254740991.0, "1", "seed of every random stream (a whole number)"),
    F_DURATION("sample_every", scen_in, sample_every, "10m", "period of the series in the output", SS_F_POSITIVE),
    F_DURATION("tick", scen_in, tick, "1s", "how often every guest's writes are applied (stalls are seen within a tick)",
               SS_F_POSITIVE),
    F_ENUM("fidelity", scen_in, fidelity, fidelity_names, "exact",
           "exact: every guest write drawn and applied grain by grain; statistical: random writes counted per "
           "part of the disk, with the exact distributions (docs/model.md)"),
    F_NUMBER("lua_limit", scen_in, lua_limit, 1, 1e15, "1e8",
             "Lua instructions one entry into the script may run (its top level, a callback); --lua-limit wins"),
};
static const ss_fields scenario_fields = SS_ROOT("scenario", "scenario { ... }", scenario_f);

typedef struct ds_in { uint64_t capacity; double bandwidth; } ds_in;

static const ss_field datastore_f[] = {
    F_SIZE("capacity", ds_in, capacity, NULL, "the datastore's size", SS_F_REQUIRED),
    F_RATE("bandwidth", ds_in, bandwidth, "100MB/s", "I/O bandwidth shared by everything on it", SS_F_POSITIVE),
};
static const ss_fields datastore_fields = SS_ROOT("datastore", "datastore \"NAME\" { ... }", datastore_f);

typedef struct host_in {
    double drift_ppm, nbd_bandwidth;
    int ntp;
    uint64_t hostd_memory, hostd_limit, hostd_leak_op, hostd_leak_hour;   /* UINT64_MAX: not given */
    ss_time hostd_restart;                                                /* -1: not given */
    int hostd_wait;                                                       /* -1: not given */
} host_in;

static const ss_field hclock_f[] = {
    F_CUSTOM("offset", "a duration, may be negative (\"-90s\")", "0s", "the host clock's offset from true time"),
    F_NUMBER("drift_ppm", host_in, drift_ppm, -1e6, 1e6, "0", "the host clock's drift, parts per million"),
    F_BOOL("ntp", host_in, ntp, "false", "disciplined by NTP: the offset stays 0"),
};
static const ss_fields hclock_fields = SS_FIELDS("host.clock", hclock_f);

static const char *const unavail_names[] = { "fail", "wait", NULL };

static const ss_field hostd_f[] = {
    F_SIZE("memory", host_in, hostd_memory, "80MB", "hostd's memory at the start and after each restart", 0),
    F_SIZE("limit", host_in, hostd_limit, "400MB", "the watchdog restarts hostd when its memory reaches this (0: never)",
           0),
    F_SIZE("leak_per_op", host_in, hostd_leak_op, "the version's (2MB on 3.5u3, else 0)",
           "memory leaked per management operation (snapshot, delete, revert, power, backup start, convert)", 0),
    F_SIZE("leak_per_hour", host_in, hostd_leak_hour, "the version's (0)", "memory leaked per hour of uptime", 0),
    F_DURATION("restart", host_in, hostd_restart, "3m", "how long a restart leaves the host not responding",
               SS_F_POSITIVE),
    F_ENUM("on_unavailable", host_in, hostd_wait, unavail_names, "fail",
           "an operation issued while the host is not responding fails, or waits and runs when it answers"),
};
static const ss_fields hostd_fields = SS_FIELDS("host.hostd", hostd_f);

static const ss_field host_f[] = {
    F_CUSTOM("version", "one of 3.5, 3.5u2, 3.5u3, 4.0, 4.1, 5.0, 5.1, 5.5, 6.0, 6.5, 6.7, 7.0", "3.5",
             "the ESX/ESXi release: its VMs' defaults (strategy, delta format, force_sync, Tools sync) are that release's"),
    F_CUSTOM("datastores", "a list of datastore names", "{}", "the datastores the host sees"),
    F_TABLE("clock", 0, &hclock_fields, "the host's clock"),
    F_TABLE("hostd", 0, &hostd_fields, "the management agent: its memory leak and watchdog restarts"),
    F_RATE("nbd_bandwidth", host_in, nbd_bandwidth, "40MB/s",
           "the network NBD backup exports read through, shared by them", SS_F_POSITIVE),
};
static const ss_fields host_fields = SS_ROOT("host", "host \"NAME\" { ... }", host_f);

typedef struct proxy_in { double bandwidth; int max_concurrent; } proxy_in;

static const ss_field proxy_f[] = {
    F_RATE("bandwidth", proxy_in, bandwidth, "no limit", "what the proxy reads, split equally among its exports",
           SS_F_POSITIVE),
    F_INT("max_concurrent", proxy_in, max_concurrent, 1, 1000, "1", "backup jobs it runs at once; more wait (FIFO)"),
    F_CUSTOM("datastores", "a list of datastore names", "every datastore",
             "the datastores it sees (san and hotadd read from them)"),
};
static const ss_fields proxy_fields = SS_ROOT("proxy", "proxy \"NAME\" { ... }", proxy_f);

static const char *const power_names[] = { "off", "on", NULL };
static const char *const prov_names[] = { "thick", "thin", NULL };
static const char *const arrival_names[] = { "poisson", "constant", NULL };
static const char *const pattern_names[] = { "uniform", "sequential", "hotspot", "zipf", NULL };

typedef struct disk_in { uint64_t size, used; int provisioning; } disk_in;

static const ss_field disk_f[] = {
    F_SIZE("size", disk_in, size, NULL, "the virtual disk's capacity", SS_F_REQUIRED | SS_F_POSITIVE),
    F_ENUM("provisioning", disk_in, provisioning, prov_names, "thick", "thick: full size from creation; thin: grows"),
    F_SIZE("used", disk_in, used, "0 (thin), the whole disk (thick)",
           "guest data already in the base at the start, from offset 0 (what backups and conversions copy)", 0),
    F_CUSTOM("format", "one of vmfsSparse, seSparse, qcow2, ideal", "the host version's (vmfsSparse; seSparse on 6.5+)",
             "the delta format"),
};
static const ss_fields disk_fields = SS_ROOT("vm.disk", "vm \"NAME\" { disk = { ... } } or disks = { { ... }, ... }", disk_f);

static const ss_field cons_f[] = {
    F_INT("max_iterations", ss_consolidation_cfg, max_iterations, 0, 1000, "10",
          "Consolidate Helper iterations before a forced stun (0: stun directly)"),
    F_SECONDS("max_consolidate_time", ss_consolidation_cfg, max_consolidate_time, "12s",
              "a live delta (then no helper) or a helper estimated to merge within this is merged stunned", 0),
    F_BOOL("force_sync", ss_consolidation_cfg, force_sync, "the host version's (true up to 5.1)",
           "after max_iterations: force a stunned merge (true) or fail (false)"),
    F_SECONDS("switchover_stun", ss_consolidation_cfg, switchover_stun, "100ms", "mirror's stun at the switch-over", 0),
};
static const ss_fields cons_fields = SS_FIELDS("vm.consolidation", cons_f);

static const ss_field resync_f[] = {
    F_BOOL("boot", ss_clock_cfg, resync_boot, "true", "step the guest clock to the host's at power-on"),
    F_BOOL("resume", ss_clock_cfg, resync_resume, "true", "... at resume from suspend"),
    F_BOOL("revert", ss_clock_cfg, resync_revert, "true", "... at revert to a snapshot"),
    F_BOOL("boot_backward", ss_clock_cfg, boot_backward, "the host version's (true up to 6.5)",
           "the boot sync may step a guest that is ahead back (the others never do)"),
};
static const ss_fields resync_fields = SS_FIELDS("vm.clock.resync", resync_f);

static const ss_field vclock_f[] = {
    F_NUMBER("drift_ppm", ss_clock_cfg, drift_ppm, -1e6, 1e6, "0", "the guest clock's drift while it runs, ppm"),
    F_BOOL("tools_sync", ss_clock_cfg, tools_sync, "false", "VMware Tools periodic time sync"),
    F_DURATION("sync_interval", ss_clock_cfg, sync_interval, "60s", "period of the Tools sync", SS_F_POSITIVE),
    F_BOOL("sync_backward", ss_clock_cfg, sync_backward, "the host version's (false up to 4.0)",
           "Tools slew a clock that is ahead back"),
    F_BOOL("catch_up", ss_clock_cfg, catch_up, "true", "missed ticks delivered after a stun"),
    F_SECONDS("skew_limit", ss_clock_cfg, skew_limit, "5m", "the skew reported as too large (Kerberos: 5 min)", 0),
    F_TABLE("resync", 0, &resync_fields, "one-off resyncs, each can be turned off"),
};
static const ss_fields vclock_fields = SS_FIELDS("vm.clock", vclock_f);

static const ss_field quiesce_f[] = {
    F_NUMBER("fail", ss_quiesce_cfg, fail, 0, 1, "0", "probability that one quiesce attempt fails (stream vm:<name>:quiesce)"),
    F_RATE("max_write_rate", ss_quiesce_cfg, max_write_rate, "20MB/s",
           "a guest writing faster than this cannot be quiesced (the SYNC driver cannot hold its writes)", 0),
    F_INT("retries", ss_quiesce_cfg, retries, 0, 100, "0", "a backup's quiesce attempts after the first"),
    F_SECONDS("time", ss_quiesce_cfg, time, "10s", "how long one quiesce attempt takes", 0),
};
static const ss_fields quiesce_fields = SS_FIELDS("vm.quiesce", quiesce_f);

static const char *const tools_names[] = { "running", "not_running", "not_installed", NULL };

typedef struct vm_in {
    uint64_t memory;
    int power, tools, disk_full;
    ss_consolidation_cfg cc;
    ss_clock_cfg cl;
    ss_quiesce_cfg q;
} vm_in;

static const ss_field vm_f[] = {
    F_CUSTOM("host", "the name of a declared host", "the only host", "where the VM runs"),
    F_CUSTOM("datastore", "the name of a declared datastore", "the only datastore", "where its files are"),
    F_SIZE("memory", vm_in, memory, "4GB", "the VM's memory (.vmsn and .vmss files are this size)", 0),
    F_ENUM("power", vm_in, power, power_names, "on", "the power state at the start"),
    F_CUSTOM("disk", "a disk table", NULL, "the VM's one disk (or disks = { ... })"),
    F_CUSTOM("disks", "a list of disk tables", NULL, "several disks"),
    F_CUSTOM("strategy", "one of esx35, vsphere41, vsphere6, offline, qemu_commit, qemu_stream",
             "the host version's (esx35 up to 4.0, vsphere41 to 5.5, vsphere6 from 6.0)", "how its snapshots are deleted"),
    F_TABLE("consolidation", offsetof(vm_in, cc), &cons_fields, "the helper loop's settings"),
    F_TABLE("clock", offsetof(vm_in, cl), &vclock_fields, "the guest clock"),
    F_CUSTOM("workload", "a workload table", NULL, "what the guest writes"),
    F_CUSTOM("vmx", "a table of .vmx options by their real names", "{}",
             "aliases of the fields above, e.g. [\"snapshot.maxIterations\"] = 20 (sim/lua/vmx.c, docs/model.md)"),
    F_CUSTOM("guest_os", "a VMware guest OS identifier (win2000serv, winnetstandard, rhel5, ...)", "winnetstandard",
             "the .vmx guestOS: quiescing depends on it"),
    F_ENUM("tools", vm_in, tools, tools_names, "running", "VMware Tools in the guest, while it runs"),
    F_BOOL("guest_disk_full", vm_in, disk_full, "false", "the guest's own file systems are full (quiescing fails)"),
    F_TABLE("quiesce", offsetof(vm_in, q), &quiesce_fields, "quiescing the guest for a snapshot or a backup"),
};
static const ss_fields vm_fields = SS_ROOT("vm", "vm \"NAME\" { ... }", vm_f);

static const ss_field hot_f[] = {
    F_NUMBER("fraction", ss_workload_params, hot_fraction, 0, 1, "0.1", "the hot part's share of the region"),
    F_NUMBER("share", ss_workload_params, hot_share, 0, 1, "0.9", "the share of the I/Os that go there"),
};
static const ss_fields hot_fields = SS_FIELDS("workload.hot", hot_f);
static const ss_field zipf_f[] = {
    F_NUMBER("s", ss_workload_params, zipf_s, 1e-9, 100, "1", "the exponent: P(rank r) ~ r^-s"),
};
static const ss_fields zipf_fields = SS_FIELDS("workload.zipf", zipf_f);
static const ss_field region_f[] = {
    F_SIZE("offset", ss_workload_params, region_offset, "0", "where the written part of the disk starts", 0),
    F_SIZE("size", ss_workload_params, region_size, "to the end", "its size", 0),
};
static const ss_fields region_fields = SS_FIELDS("workload.region", region_f);

static const ss_field wl_f[] = {
    F_RATE("rate", ss_workload_params, rate, NULL, "bytes/s of I/O (or iops)", 0),
    F_NUMBER("iops", ss_workload_params, iops, 0, 1e9, NULL, "I/Os per second (or rate)"),
    F_CUSTOM("io_size", "a size, or a list of {size, weight} pairs", "4KB", "the size of each I/O"),
    F_ENUM("arrivals", ss_workload_params, arrivals, arrival_names, "poisson", "when I/Os arrive"),
    F_ENUM("pattern", ss_workload_params, pattern, pattern_names, "uniform", "where they go"),
    F_TABLE("hot", 0, &hot_fields, "hotspot: the hot part"),
    F_TABLE("zipf", 0, &zipf_fields, "zipf: the exponent"),
    F_TABLE("region", 0, &region_fields, "the part of the disk written"),
    F_NUMBER("read_ratio", ss_workload_params, read_ratio, 0, 1, "0", "the share of I/Os that are reads"),
    F_CUSTOM("profile", "24 multipliers, one per hour of the day", NULL, "a daily profile of the rate"),
    F_CUSTOM("disk", "a disk number from 1", "1", "the disk written"),
    F_CUSTOM("stream", "a name", "the VM's own", "share a stream name to draw the very same I/O sequence"),
};
static const ss_fields wl_fields = SS_ROOT("workload", "vm \"NAME\" { workload = { ... } } and set_workload(vm, { ... })", wl_f);

/* Every table of the language, for `snapsim help fields` and the checks
 * of docs/language.md. */
const ss_fields *const ss_lua_decl_fields[] = {
    &scenario_fields, &datastore_fields, &host_fields, &hclock_fields, &hostd_fields, &proxy_fields, &vm_fields,
    &disk_fields, &cons_fields, &vclock_fields, &resync_fields, &quiesce_fields, &wl_fields, &hot_fields,
    &zipf_fields, &region_fields, NULL,
};

/* ---- scenario{} ---- */

static int l_scenario(lua_State *L)
{
    ss_script *s = ss_script_of(L);
    ss_scenario *sc = s->sc;
    vctx c;
    vctx_init(&c, L, "scenario");
    if (!s->loading) return luaL_error(L, "scenario{} must be at the top level of the script");
    if (sc->declared) return luaL_error(L, "scenario{} is declared twice");
    if (!lua_istable(L, 1)) return luaL_error(L, "scenario: expected a table, like scenario { name = \"x\", duration = \"7d\" }");
    if (s->w->dss || s->w->hosts || s->w->vms || s->ncbs)
        return luaL_error(L, "scenario{} must come before every other declaration and schedule");
    scen_in in = { "", -1, -1, -1, -1, -1, -1 };
    ss_fields_parse(&c, 1, "", &scenario_fields, &in);
    if (in.seed >= 0 && in.seed != floor(in.seed)) verr_key(&c, 1, "", "seed", "a whole number", "");
    if (in.lua_limit >= 0 && in.lua_limit != floor(in.lua_limit))
        verr_key(&c, 1, "", "lua_limit", "a whole number of instructions", "");
    if (in.sample_every >= 0 && in.sample_every < SS_MIN_SAMPLE)
        verr_key(&c, 1, "", "sample_every", "a period of at least 1s", "the output's series are sampled at most once a second");
    if (in.tick >= 0 && in.tick < SS_MIN_TICK)
        verr_key(&c, 1, "", "tick", "a period of at least 1ms", "a shorter tick only multiplies events");
    if (in.name[0]) {
        size_t n = strlen(in.name) + 1;
        char *p = malloc(n);
        if (!p) return luaL_error(L, "out of memory");
        free(sc->name);
        sc->name = memcpy(p, in.name, n);
    }
    if (in.duration > 0 && !sc->duration_forced) sc->duration = in.duration;
    if (in.seed >= 0 && !sc->seed_forced) {
        sc->seed = ss_replication_seed((uint64_t)in.seed, sc->replication);
        ss_engine *e = ss_engine_new(sc->seed);
        if (!e) return luaL_error(L, "out of memory");
        ss_engine_free(s->w->eng);
        s->w->eng = e;
    }
    if (in.sample_every > 0) sc->sample_every = in.sample_every;
    if (in.tick > 0) sc->tick = in.tick;
    if (in.fidelity >= 0 && !sc->fidelity_forced) s->w->statistical = in.fidelity == 1;
    if (in.lua_limit > 0 && !sc->lua_limit_forced) {
        sc->lua_limit = (uint64_t)in.lua_limit;
        ss_script_limit_changed(s);
    }
    sc->declared = 1;
    return 0;
}

/* ---- kind "name" { ... } ---- */

/* `datastore "n" { ... }`: the name call returns a closure taking the table. */
static int decl_name(lua_State *L, const char *what, lua_CFunction body)
{
    if (lua_type(L, 1) != LUA_TSTRING || lua_rawlen(L, 1) == 0)
        return luaL_error(L, "%s: expected a name, as in %s \"name\" { ... }", what, what);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushcclosure(L, body, 2);
    return 1;
}

/* The common start of a declaration's body: names what is declared in c,
 * checks it is at the top level, given a table and not declared before,
 * then parses the table into target.  Returns the name. */
static const char *decl_begin(lua_State *L, vctx *c, const char *kind, const ss_fields *fs, void *target,
                              int exists)
{
    ss_script *s = ss_script_of(L);
    const char *name = lua_tostring(L, lua_upvalueindex(2));
    char what[128];
    snprintf(what, sizeof what, "%s \"%s\"", kind, name);
    vctx_init(c, L, what);
    if (!s->loading) luaL_error(L, "%s: declarations must be at the top level", what);
    if (!lua_istable(L, 1)) luaL_error(L, "%s: expected a table of fields", what);
    if (exists) luaL_error(L, "%s is declared twice", what);
    ss_fields_parse(c, 1, "", fs, target);
    return name;
}

static int l_datastore_body(lua_State *L)
{
    ss_script *s = ss_script_of(L);
    vctx c;
    ds_in in = { 0, 100.0 * 1048576 };
    const char *name = lua_tostring(L, lua_upvalueindex(2));
    decl_begin(L, &c, "datastore", &datastore_fields, &in, ss_fleet_ds(s->w, name) != NULL);
    ss_datastore *ds = calloc(1, sizeof *ds);
    char *n = malloc(strlen(name) + 1);
    if (!ds || !n) {
        free(ds);
        free(n);
        return luaL_error(L, "out of memory");
    }
    ds->name = strcpy(n, name);
    ds->capacity = in.capacity;
    ds->bandwidth = in.bandwidth;
    ss_datastore **pp = &s->w->dss;
    while (*pp) pp = &(*pp)->next;
    *pp = ds;
    return 0;
}
static int l_datastore(lua_State *L) { return decl_name(L, "datastore", l_datastore_body); }

/* `datastores = { "ds1", ... }` of the declaration at index 1: each must be
 * declared; stores up to max of them in out (when out is given).  Returns
 * how many were listed. */
static int datastore_list(vctx *c, ss_world *w, const char *whom, ss_datastore **out, int max)
{
    lua_State *L = c->L;
    if (!get_table(c, 1, "", "datastores")) return 0;
    int n = (int)lua_rawlen(L, -1);
    if (out && n > max) verr_key(c, 1, "", "datastores", "a shorter list of datastore names", "");
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        char f[64], why[96];
        snprintf(f, sizeof f, "datastores[%d]", i);
        if (lua_type(L, -1) != LUA_TSTRING) verr(c, f, -1, "a datastore name", "");
        ss_datastore *ds = ss_fleet_ds(w, lua_tostring(L, -1));
        snprintf(why, sizeof why, "declare it before %s", whom);
        if (!ds) verr(c, f, -1, "the name of a declared datastore", why);
        if (out) out[i - 1] = ds;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return n;
}

static int l_host_body(lua_State *L)
{
    ss_script *s = ss_script_of(L);
    vctx c;
    host_in in;
    memset(&in, 0, sizeof in);
    in.nbd_bandwidth = 40.0 * 1048576;
    in.hostd_memory = in.hostd_limit = in.hostd_leak_op = in.hostd_leak_hour = UINT64_MAX;
    in.hostd_restart = -1;
    in.hostd_wait = -1;
    const char *name = lua_tostring(L, lua_upvalueindex(2));
    decl_begin(L, &c, "host", &host_fields, &in, ss_fleet_host(s->w, name) != NULL);
    const ss_version *ver = ss_version_default();
    char vbuf[32];
    if (get_string(&c, 1, "", "version", vbuf, sizeof vbuf) && !(ver = ss_version_find(vbuf))) {
        char exp[160];
        snprintf(exp, sizeof exp, "one of %s", ss_version_names());
        verr_key(&c, 1, "", "version", exp, "");
    }
    datastore_list(&c, s->w, "the host", NULL, 0);
    double off_s = 0;
    if (get_table(&c, 1, "", "clock")) {
        int t = lua_gettop(L);
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
            if (!(fabs(off_s) <= 9.2e9))
                verr(&c, "clock.offset", -1, "seconds from -9.2e9 to 9.2e9 (about 292 years) or a duration like \"-2m\"",
                     "");
            lua_pop(L, 1);
        } else {
            lua_pop(L, 1);
            if (get_duration(&c, t, "clock", "offset", &off)) off_s = ss_time_to_s(off);
        }
        lua_pop(L, 1);
    }
    /* hostd: the version's defaults, then the fields given. */
    ss_host probe;
    memset(&probe, 0, sizeof probe);
    ss_host_set_version(&probe, ver);
    ss_hostd_cfg hc = probe.hostd;
    if (in.hostd_memory != UINT64_MAX) hc.memory = in.hostd_memory;
    if (in.hostd_limit != UINT64_MAX) hc.limit = in.hostd_limit;
    if (in.hostd_leak_op != UINT64_MAX) hc.leak_op = in.hostd_leak_op;
    if (in.hostd_leak_hour != UINT64_MAX) hc.leak_hour = in.hostd_leak_hour;
    if (in.hostd_restart >= 0) hc.restart = in.hostd_restart;
    if (in.hostd_wait >= 0) hc.wait = in.hostd_wait;
    if (hc.limit && hc.limit <= hc.memory && get_table(&c, 1, "", "hostd")) {
        int t = lua_gettop(L);
        verr_key(&c, t, "hostd", in.hostd_limit != UINT64_MAX ? "limit" : "memory",
                 "a limit above hostd's memory at the start (or limit = 0: no watchdog restart)", "");
    }
    ss_host *h = ss_host_new(name, off_s, in.drift_ppm, in.ntp);
    if (!h) return luaL_error(L, "out of memory");
    ss_host_set_version(h, ver);
    h->hostd = hc;
    h->nbd.bandwidth = in.nbd_bandwidth;
    ss_host **pp = &s->w->hosts;
    while (*pp) pp = &(*pp)->next;
    *pp = h;
    return 0;
}
static int l_host(lua_State *L) { return decl_name(L, "host", l_host_body); }

static int l_proxy_body(lua_State *L)
{
    ss_script *s = ss_script_of(L);
    vctx c;
    proxy_in in = { 0, 1 };
    const char *name = lua_tostring(L, lua_upvalueindex(2));
    decl_begin(L, &c, "proxy", &proxy_fields, &in, ss_fleet_proxy(s->w, name) != NULL);
    int nds = 0;
    for (ss_datastore *d = s->w->dss; d; d = d->next) nds++;
    /* Parsed into a Lua-owned buffer, so nothing leaks if a name is bad. */
    ss_datastore **list = lua_newuserdatauv(L, (size_t)(nds + 1) * sizeof *list, 0);
    int n = datastore_list(&c, s->w, "the proxy", list, nds);
    ss_proxy *p = ss_proxy_new(name, in.bandwidth, in.max_concurrent);
    if (!p) return luaL_error(L, "out of memory");
    if (n > 0 && ss_proxy_set_datastores(p, list, n) != 0) {
        ss_proxy_free(p);
        return luaL_error(L, "out of memory");
    }
    ss_proxy **pp = &s->w->proxies;
    while (*pp) pp = &(*pp)->next;
    *pp = p;
    return 0;
}
static int l_proxy(lua_State *L) { return decl_name(L, "proxy", l_proxy_body); }

/* ---- vm "name" { ... } ---- */

/* A disk table; its format defaults to the host version's for its size. */
static void parse_disk(vctx *c, int t, const char *prefix, const ss_version *ver, ss_disk *d)
{
    lua_State *L = c->L;
    disk_in in = { 0, UINT64_MAX, 0 };
    ss_fields_parse(c, t, prefix, &disk_fields, &in);
    d->capacity = in.size;
    d->thin = in.provisioning == 1;
    if (in.used != UINT64_MAX && in.used > in.size) verr_key(c, t, prefix, "used", "at most the disk's size", "");
    d->used = in.used != UINT64_MAX ? in.used : d->thin ? 0 : in.size;
    char buf[64];
    d->fmt = ss_format_find(ss_version_format(ver, d->capacity));
    if (get_string(c, t, prefix, "format", buf, sizeof buf)) {
        d->fmt = ss_format_find(buf);
        if (!d->fmt) {
            char exp[160];
            snprintf(exp, sizeof exp, "one of %s", ss_format_names());
            verr_key(c, t, prefix, "format", exp, "");
        }
    }
    (void)L;
}

/* A size given as a number of bytes: whole, >= 0, below 2^63. */
static int size_number(double v, uint64_t *out, char *why, size_t n)
{
    if (!(v >= 0) || v != floor(v) || v >= 9223372036854775808.0) {
        snprintf(why, n, "%s", v < 0 ? "negative values are not allowed" : "a whole number of bytes below 2^63");
        return 0;
    }
    *out = (uint64_t)v;
    return 1;
}

/* io_size: one size, or a distribution { {"4KB", 0.7}, {"64KB", 0.3} } (an
 * array, so the order -- and the draws -- are deterministic). */
static void parse_io_size(vctx *c, int t, const char *prefix, ss_workload_params *p)
{
    lua_State *L = c->L;
    char f[160];
    p->nsizes = 1;
    p->sizes[0] = 4096;
    p->weights[0] = 1;
    lua_getfield(L, t, "io_size");
    path_of(f, sizeof f, prefix, "io_size");
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        get_size(c, t, prefix, "io_size", &p->sizes[0]);
        return;
    }
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
                 : lua_type(L, -1) == LUA_TNUMBER ? size_number(lua_tonumber(L, -1), &sz, why, sizeof why) : 0;
        if (!ok) verr(c, fi, -1, "a size like \"4KB\" as the pair's first element", why);
        lua_pop(L, 1);
        lua_rawgeti(L, -1, 2);
        if (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) >= 0) || isinf(lua_tonumber(L, -1)))
            verr(c, fi, -1, "a finite weight >= 0 as the pair's second element", "");
        p->sizes[i - 1] = sz;
        p->weights[i - 1] = lua_tonumber(L, -1);
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
}

static void parse_profile(vctx *c, int t, const char *prefix, ss_workload_params *p)
{
    lua_State *L = c->L;
    if (!get_table(c, t, prefix, "profile")) return;
    char f[160];
    path_of(f, sizeof f, prefix, "profile");
    if (lua_rawlen(L, -1) != 24) verr(c, f, -1, "24 multipliers, one per hour of the day", "");
    for (int i = 1; i <= 24; i++) {
        lua_rawgeti(L, -1, i);
        if (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) >= 0) || isinf(lua_tonumber(L, -1))) {
            char fi[180];
            snprintf(fi, sizeof fi, "%s[%d]", f, i);
            verr(c, fi, -1, "a finite multiplier >= 0", "");
        }
        p->profile[i - 1] = lua_tonumber(L, -1);
        lua_pop(L, 1);
    }
    p->has_profile = 1;
    lua_pop(L, 1);
}

void ss_lua_workload(vctx *c, int t, const char *prefix, const char *vm, const ss_disk *disks, int ndisks,
                     ss_workload_params *p, int *disk, char *stream, size_t n)
{
    lua_State *L = c->L;
    memset(p, 0, sizeof *p);
    p->hot_fraction = 0.1;
    p->hot_share = 0.9;
    p->zipf_s = 1.0;
    ss_fields_parse(c, t, prefix, &wl_fields, p);
    if (p->rate > 0 && p->iops > 0) verr_key(c, t, prefix, "iops", "either rate or iops, not both", "");
    parse_io_size(c, t, prefix, p);
    parse_profile(c, t, prefix, p);
    double dk = 1;
    char exp[64];
    snprintf(exp, sizeof exp, "a disk number from 1 to %d", ndisks);
    if (get_number(c, t, prefix, "disk", 1, ndisks, &dk) && dk != floor(dk)) verr_key(c, t, prefix, "disk", exp, "");
    *disk = (int)dk - 1;
    /* The workload's own random stream: "vm:<name>", or "workload:<stream>"
     * when several VMs should draw the very same I/O sequence (common
     * random numbers across strategies in one run).  Each VM has its own
     * generator instance, so sharing a name shares the sequence, not the
     * draws. */
    char buf[200];
    if (get_string(c, t, prefix, "stream", buf, sizeof buf)) snprintf(stream, n, "workload:%s", buf);
    else snprintf(stream, n, "vm:%s", vm);
    /* Validated against the disk now, so that the caller's ss_workload_new
     * cannot fail. */
    char why[256];
    ss_workload *probe = ss_workload_new(p, disks[*disk].capacity, why, sizeof why);
    if (!probe) luaL_error(L, "%s: field %s: %s", c->what, prefix, why);
    ss_workload_free(probe);
}

/* A field naming a declared host or datastore: required unless exactly
 * one is declared (then that one is meant). */
static void *ref_field(vctx *c, const char *key, void *only, int just_one, void *found_p, int given)
{
    char exp[96];
    snprintf(exp, sizeof exp, "the name of a declared %s", key);
    if (given) {
        if (!found_p) verr_key(c, 1, "", key, exp, "declare it before the vm");
        return found_p;
    }
    if (just_one) return only;
    luaL_error(c->L, "%s: field %s is required (%s)", c->what, key, exp);
    return NULL;
}

static int l_vm_body(lua_State *L)
{
    ss_script *s = ss_script_of(L);
    ss_world *w = s->w;
    vctx c;
    vm_in in;
    memset(&in, 0, sizeof in);
    in.memory = UINT64_C(4) << 30;
    in.power = 1;
    /* -1: not given, the host version's default (below). */
    in.cc = (ss_consolidation_cfg){ 10, 12.0, -1, 0.1 };
    in.cl = (ss_clock_cfg){ 0, 0, 60 * SS_NS_PER_S, -1, 1, 1, 1, 1, -1, 300 };
    in.q = (ss_quiesce_cfg){ 0, 20.0 * 1048576, 0, 10 };
    const char *name = lua_tostring(L, lua_upvalueindex(2));
    decl_begin(L, &c, "vm", &vm_fields, &in, ss_fleet_vm(w, name) != NULL);
    ss_lua_vmx(&c, 1, &vm_fields, &in);
    const char *what = c.what;
    char buf[256];
    const ss_guest_os *os = ss_guest_os_find("winnetstandard");
    if (get_string(&c, 1, "", "guest_os", buf, sizeof buf)) os = ss_lua_guest_os(&c, 1, "", "guest_os", buf);
    int given = get_string(&c, 1, "", "host", buf, sizeof buf) != NULL;
    ss_host *host = ref_field(&c, "host", w->hosts, w->hosts && !w->hosts->next, given ? ss_fleet_host(w, buf) : NULL,
                              given);
    given = get_string(&c, 1, "", "datastore", buf, sizeof buf) != NULL;
    ss_datastore *ds = ref_field(&c, "datastore", w->dss, w->dss && !w->dss->next,
                                 given ? ss_fleet_ds(w, buf) : NULL, given);
    const ss_version *ver = host->version;
    if (in.cc.force_sync < 0) in.cc.force_sync = ver->force_sync;
    if (in.cl.sync_backward < 0) in.cl.sync_backward = ver->tools_backward;
    if (in.cl.boot_backward < 0) in.cl.boot_backward = ver->boot_backward;
    const ss_strategy *st = ss_strategy_find(ver->strategy);
    if (get_string(&c, 1, "", "strategy", buf, sizeof buf)) {
        st = ss_strategy_find(buf);
        if (!st) {
            char exp[160];
            snprintf(exp, sizeof exp, "one of %s", ss_strategy_names());
            verr_key(&c, 1, "", "strategy", exp, "");
        }
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
        if (nd < 1 || nd > 64) verr_key(&c, 1, "", "disks", "a list of 1 to 64 disk tables", "");
    }
    /* Parsed into a Lua-owned buffer, so nothing leaks if parse_disk raises. */
    ss_disk *tmp = lua_newuserdatauv(L, (size_t)nd * sizeof *tmp, 0);
    memset(tmp, 0, (size_t)nd * sizeof *tmp);
    if (has_disk) {
        get_table(&c, 1, "", "disk");
        parse_disk(&c, lua_gettop(L), "disk", host->version, &tmp[0]);
        lua_pop(L, 1);
    } else {
        get_table(&c, 1, "", "disks");
        for (int i = 1; i <= nd; i++) {
            lua_rawgeti(L, -1, i);
            char f[32];
            snprintf(f, sizeof f, "disks[%d]", i);
            if (!lua_istable(L, -1)) verr(&c, f, -1, "a disk table", "");
            parse_disk(&c, lua_gettop(L), f, host->version, &tmp[i - 1]);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    /* Space at declaration: a thick disk takes its whole size at once, a
     * thin one what it holds (`used`, in whole thin blocks); each must fit
     * in what the datastore has free after the disks declared before it.
     * Thin capacities may overcommit (the summary says so). */
    uint64_t freeb = ds->used < ds->capacity ? ds->capacity - ds->used : 0;
    for (int i = 0; i < nd; i++) {
        uint64_t blk = tmp[i].fmt->thin_block ? tmp[i].fmt->thin_block : 1;
        uint64_t take = tmp[i].thin ? (tmp[i].used + blk - 1) / blk * blk : tmp[i].capacity;
        if (take <= freeb) {
            freeb -= take;
            continue;
        }
        char f[48], a[32], b[32];
        if (has_disk) snprintf(f, sizeof f, "disk.%s", tmp[i].thin ? "used" : "size");
        else snprintf(f, sizeof f, "disks[%d].%s", i + 1, tmp[i].thin ? "used" : "size");
        ss_format_size(take, a, sizeof a);
        ss_format_size(freeb, b, sizeof b);
        if (tmp[i].thin)
            return luaL_error(L, "%s: field %s: a thin disk's used bytes are allocated at the start: %s does not fit in the %s free on datastore %s",
                              what, f, a, b, ds->name);
        return luaL_error(L, "%s: field %s: a thick disk takes its whole size at once: %s does not fit in the %s free on datastore %s "
                          "(provisioning = \"thin\" may overcommit)", what, f, a, b, ds->name);
    }
    ss_workload_params wp;
    int wdisk = 0, has_wl = 0;
    char stream[300];
    if (get_table(&c, 1, "", "workload")) {
        ss_lua_workload(&c, lua_gettop(L), "workload", name, tmp, nd, &wp, &wdisk, stream, sizeof stream);
        lua_pop(L, 1);
        has_wl = 1;
    }

    /* Everything is valid: build the VM. */
    ss_vm *vm = ss_vm_new(w, name, host, ds, nd);
    if (!vm) return luaL_error(L, "out of memory");
    vm->memory = in.memory;
    vm->power = in.power == 0 ? SS_POWER_OFF : SS_POWER_ON;
    vm->strategy = st;
    vm->ccfg = in.cc;
    vm->ccl = in.cl;
    vm->qcfg = in.q;
    vm->guest_os = os;
    vm->tools = (ss_tools)in.tools;
    vm->guest_disk_full = in.disk_full;
    ss_vm **pp = &w->vms;
    while (*pp) pp = &(*pp)->next;
    *pp = vm;
    for (int i = 0; i < nd; i++) {
        vm->disks[i].capacity = tmp[i].capacity;
        vm->disks[i].thin = tmp[i].thin;
        ss_disk_set_format(&vm->disks[i], tmp[i].fmt, ver);
        vm->disks[i].used = tmp[i].used;
        ss_disk_init(w, &vm->dir, &vm->disks[i], i);
    }
    ss_vm_clock_start(w, vm);
    if (has_wl) {
        char why[256];
        ss_workload *wl = ss_workload_new(&wp, vm->disks[wdisk].capacity, why, sizeof why);
        if (!wl) return luaL_error(L, "%s: field workload: %s", what, why);
        ss_vm_install_workload(w, vm, wl, wdisk, stream);
    }
    return 0;
}
static int l_vm(lua_State *L) { return decl_name(L, "vm", l_vm_body); }

/* A guest OS identifier (vm{guest_os=}, set_guest_os(), convert's
 * physical.guest_os): raises with the list of known ones. */
const ss_guest_os *ss_lua_guest_os(vctx *c, int t, const char *prefix, const char *key, const char *id)
{
    const ss_guest_os *os = ss_guest_os_find(id);
    if (!os) {
        char names[1200], exp[1300];
        ss_guest_os_names(names, sizeof names);
        snprintf(exp, sizeof exp, "a VMware guest OS identifier (one of %s)", names);
        verr_key(c, t, prefix, key, exp, "");
    }
    return os;
}

const luaL_Reg ss_lua_declare[] = {
    { "scenario", l_scenario }, { "datastore", l_datastore }, { "host", l_host }, { "proxy", l_proxy },
    { "vm", l_vm },             { NULL, NULL },
};
