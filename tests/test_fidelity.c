/*
 * test_fidelity.c -- where snapsim follows what real ESX and QEMU do
 * (docs/model.md names each source): the host version presets, the direct
 * stun of a small delta, selective mirroring, resync directions and .vmx
 * names, the snapshot depth limit, the files QEMU jobs keep, qcow2's layout,
 * the exact space a merge needs, and the bugs found by trying snapsim as a
 * new user would.  Expected numbers are derived in the comments (by hand,
 * from a formula, or from a real tool's measurement); MiB = 2^20 B.
 */
#include "model/vm.h"
#include "model/version.h"
#include "simtest.h"
#include "snapsim/format.h"

static ss_vm *vm_named(ss_sim *sim, const char *name)
{
    for (ss_vm *vm = ss_sim_world(sim)->vms; vm; vm = vm->next)
        if (strcmp(vm->name, name) == 0) return vm;
    return NULL;
}

static ss_sim *run_src(const char *name, const char *src)
{
    ss_error err = { 0, "" };
    ss_sim *sim = st_run(name, src, NULL, &err);
    if (!sim) {
        fprintf(stderr, "%s: %s\n", name, err.msg);
        tl_failures++;
    }
    return sim;
}

/* Load only; returns the error message (empty if it loaded). */
static const char *load_error(const char *name, const char *src, char *buf, size_t n)
{
    ss_options o;
    memset(&o, 0, sizeof o);
    o.path = name;
    o.source = src;
    o.out = st_null();
    ss_sim *sim = NULL;
    ss_error err = { 0, "" };
    if (ss_sim_load(&sim, &o, &err) == SS_OK) {
        ss_sim_free(sim);
        snprintf(buf, n, "%s", "");
    } else {
        snprintf(buf, n, "%s", err.msg);
    }
    return buf;
}

/* ---- 1. host version presets ---- */

/* Every row names a strategy and formats that exist, and the list of names
 * in messages is the table's. */
static void t_version_table(void)
{
    char names[256] = "";
    int n = 0;
    for (const ss_version *v; (v = ss_version_at(n)); n++) {
        CHECK(ss_format_find(v->format) != NULL);
        if (v->large_format) CHECK(ss_format_find(v->large_format) != NULL);
        CHECK(v->max_chain > 0);
        if (n) strcat(names, ", ");
        strcat(names, v->name);
        CHECK(ss_version_find(v->name) == v);
    }
    CHECK_STR(ss_version_names(), names);
    CHECK(n >= 7);
    CHECK(ss_version_find("9.9") == NULL);
    CHECK_STR(ss_version_default()->name, "3.5");
}

/* One VM per version, each with the same two disks, nothing but the disks
 * given; a snapshot at 0.  What each takes from its host's version. */
static void t_version_defaults(void)
{
    static const char *const vers[] = { "3.5", "4.0", "4.1", "5.0", "5.1", "5.5", "6.0", "6.5", "6.7", "7.0" };
    /* Expected, from the table of docs/model.md (its sources there). */
    static const struct { const char *strategy, *small, *large; int force_sync, tools_back; } want[] = {
        { "esx35", "vmfsSparse", "vmfsSparse", 1, 0 },     { "esx35", "vmfsSparse", "vmfsSparse", 1, 0 },
        { "vsphere41", "vmfsSparse", "vmfsSparse", 1, 1 }, { "vsphere41", "vmfsSparse", "vmfsSparse", 1, 1 },
        { "vsphere41", "vmfsSparse", "vmfsSparse", 1, 1 }, { "vsphere41", "vmfsSparse", "seSparse", 0, 1 },
        { "vsphere6", "vmfsSparse", "seSparse", 0, 1 },    { "vsphere6", "seSparse", "seSparse", 0, 1 },
        { "vsphere6", "seSparse", "seSparse", 0, 1 },      { "vsphere6", "seSparse", "seSparse", 0, 1 },
    };
    char src[8192];
    int k = snprintf(src, sizeof src,
                     "scenario { name = 'versions', duration = '1m', seed = 1 }\n"
                     "datastore 'ds' { capacity = '100TB' }\n");
    for (int i = 0; i < 10; i++)
        k += snprintf(src + k, sizeof src - (size_t)k,
                      "host 'h%d' { version = '%s' }\n"
                      "vm 'v%d' { host = 'h%d', power = 'off', disks = { { size = '10GB' }, { size = '3TB', provisioning = 'thin' } } }\n",
                      i, vers[i], i, i);
    ss_sim *sim = run_src("versions.lua", src);
    if (!sim) return;
    for (int i = 0; i < 10; i++) {
        char name[8];
        snprintf(name, sizeof name, "v%d", i);
        ss_vm *vm = vm_named(sim, name);
        if (!vm) { CHECK(0); continue; }
        CHECK_STR(vm->host->version->name, vers[i]);
        CHECK_STR(vm->strategy->name, want[i].strategy);
        CHECK_STR(vm->disks[0].fmt->name, want[i].small);
        CHECK_STR(vm->disks[1].fmt->name, want[i].large);
        CHECK_EQ_I(vm->ccfg.force_sync, want[i].force_sync);
        CHECK_EQ_I(vm->ccl.sync_backward, want[i].tools_back);
    }
    ss_sim_free(sim);
}

/* The size of a new vmfsSparse delta.  2048 B header + 4 B of grain
 * directory per 2 MiB of capacity, then 16 MiB steps.
 *   ESX 3.5, 100 GiB: one step at creation: 2048 + 4*51200 + 16 MiB =
 *     16,984,064 B (the ESX listing of docs/model.md, to the byte).
 *   ESX 5.0, 10 GiB: header and directory only: 2048 + 4*5120 = 22,528 B,
 *     within 4 KiB of the "24.0k" an ls -lh shows; one 4 KiB write makes
 *     it grow by one step: 22,528 + 16 MiB. */
static void t_new_delta_size(void)
{
    const char *src =
        "scenario { name = 'newdelta', duration = '1m', seed = 1 }\n"
        "datastore 'ds' { capacity = '500GB' }\n"
        "host 'old' { version = '3.5' }\n"
        "host 'new' { version = '5.0' }\n"
        "vm 'a' { host = 'old', disk = { size = '100GB' } }\n"
        "vm 'b' { host = 'new', disk = { size = '10GB' } }\n"
        "at(0, function()\n"
        "  snapshot('a', 's'); snapshot('b', 's')\n"
        "  A = vm_state('a').files[2].size; B0 = vm_state('b').files[2].size\n"
        "  write('b', { offset = 0, bytes = 4096 }); B1 = vm_state('b').files[2].size\n"
        "end)\n"
        "on('snapshot_created', function(e) if e.vm == 'a' then EA = e.bytes end end)\n";
    ss_sim *sim = run_src("newdelta.lua", src);
    if (!sim) return;
    double a = 2048 + 4 * (100 * GiB / (2 * MiB)) + 16 * MiB;
    double b = 2048 + 4 * (10 * GiB / (2 * MiB));
    CHECK_EQ_U(a, 16984064);
    CHECK_EQ_U(st_num(sim, "A"), a);
    CHECK_EQ_U(st_num(sim, "EA"), a);
    CHECK_EQ_U(st_num(sim, "B0"), b);
    CHECK(fabs(b - 24 * 1024) <= 4096);
    CHECK_EQ_U(st_num(sim, "B1"), b + 16 * MiB);
    ss_sim_free(sim);
}

/* A field the VM gives wins over its host version's default. */
static void t_version_explicit_wins(void)
{
    const char *src =
        "scenario { name = 'wins', duration = '1m', seed = 1 }\n"
        "datastore 'ds' { capacity = '500GB' }\n"
        "host 'h' { version = '6.7' }\n"
        "vm 'v' { host = 'h', disk = { size = '10GB', format = 'vmfsSparse' }, strategy = 'esx35',\n"
        "         consolidation = { force_sync = true }, clock = { sync_backward = false } }\n";
    ss_sim *sim = run_src("wins.lua", src);
    if (!sim) return;
    ss_vm *vm = vm_named(sim, "v");
    if (vm) {
        CHECK_STR(vm->strategy->name, "esx35");
        CHECK_STR(vm->disks[0].fmt->name, "vmfsSparse");
        /* The format's layout is still the host's: no step at creation on 6.7. */
        CHECK_EQ_U(vm->disks[0].fmt->min_steps, 0);
        CHECK_EQ_I(vm->ccfg.force_sync, 1);
        CHECK_EQ_I(vm->ccl.sync_backward, 0);
    }
    ss_sim_free(sim);
}

static void t_version_bad(void)
{
    char b[512];
    load_error("bad.lua",
               "scenario { name = 't', duration = '1h' }\n"
               "datastore 'ds' { capacity = '100GB' }\n"
               "host 'h' { version = '3.0' }\n", b, sizeof b);
    CHECK_CONTAINS(b, "bad.lua:3:");
    CHECK_CONTAINS(b, "field version");
    CHECK_CONTAINS(b, "3.5, 4.0, 4.1");
    CHECK_CONTAINS(b, "\"3.0\"");
}

static const struct tl_test tl_tests[] = {
    TL(t_version_table),
    TL(t_version_defaults),
    TL(t_new_delta_size),
    TL(t_version_explicit_wins),
    TL(t_version_bad),
    { 0, 0 },
};

int main(int argc, char **argv) { return tl_main(tl_tests, argc, argv); }
