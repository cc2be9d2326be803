/*
 * test_fidelity.c -- where snapsim follows what real ESX and QEMU do
 * (docs/model.md names each source): the host version presets, the direct
 * stun of a small delta, selective mirroring, resync directions and .vmx
 * names, the snapshot depth limit, the files QEMU jobs keep, qcow2's layout,
 * the exact space a merge needs, and the bugs found by trying snapsim as a
 * new user would.  Expected numbers are derived in the comments (by hand,
 * from a formula, or from a real tool's measurement); MiB = 2^20 B.
 */
#include <hdf5.h>
#include <hdf5_hl.h>

#include "model/vm.h"
#include "model/version.h"
#include "simtest.h"
#include "snapsim/format.h"
#include "snapsim/grainset.h"

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
    ss_sim *sim;
    ss_error err = { 0, "" };
    if (st_load(name, src, &sim, &err) == SS_OK) {
        ss_sim_free(sim);
        snprintf(buf, n, "%s", "");
    } else {
        snprintf(buf, n, "%s", err.msg);
    }
    return buf;
}


/* Run with an output file (tests/tmp/fidelity_<name>.h5); returns the sim. */
static ss_sim *run_h5(const char *name, const char *src, char *path, size_t n)
{
    snprintf(path, n, "%s/fidelity_%s.h5", SNAPSIM_TMPDIR, name);
    ss_error err = { 0, "" };
    ss_sim *sim = st_run(name, src, path, &err);
    if (!sim) {
        fprintf(stderr, "%s: %s\n", name, err.msg);
        tl_failures++;
    }
    return sim;
}

/* The CLI's closing summary (the default level) as text. */
static const char *summary_text(ss_sim *sim, char *buf, size_t n)
{
    buf[0] = 0;
    FILE *mf = tmpfile();
    if (!mf) { CHECK(0); return buf; }
    ss_sim_summary(sim, mf);
    rewind(mf);
    size_t got = fread(buf, 1, n - 1, mf);
    buf[got] = 0;
    fclose(mf);
    return buf;
}

/* Field `field` of VM `vm`'s row in table `table` of an output file, read
 * with the H5TB API (independently of the writer); NaN if absent. */
static double h5_vm_field(const char *path, const char *table, const char *vm, const char *field, int is_int)
{
    double r = NAN;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return r;
    hsize_t nf = 0, nr = 0;
    if (H5TBget_table_info(f, table, &nf, &nr) >= 0 && nr > 0) {
        char (*names)[64] = calloc(nr, 64);
        size_t o0 = 0, s64 = 64, s8 = 8;
        if (names && H5TBread_fields_name(f, table, "vm", 0, nr, 64, &o0, &s64, names) >= 0) {
            for (hsize_t i = 0; i < nr; i++) {
                if (strncmp(names[i], vm, 64) != 0) continue;
                if (is_int) {
                    int64_t v;
                    if (H5TBread_fields_name(f, table, field, i, 1, 8, &o0, &s8, &v) >= 0) r = (double)v;
                } else {
                    double v;
                    if (H5TBread_fields_name(f, table, field, i, 1, 8, &o0, &s8, &v) >= 0) r = v;
                }
                break;
            }
        }
        free(names);
    }
    H5Fclose(f);
    return r;
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
    CHECK_CONTAINS(b, "3.5, 3.5u2, 3.5u3, 4.0, 4.1");
    CHECK_CONTAINS(b, "\"3.0\"");
}


/* ---- 2. consolidation: direct stun for a small delta ---- */

/* KB 337175's first branch: a live delta that can be copied into its
 * parent within max_consolidate_time is merged with the VM paused, no
 * helper.  The copy reads the delta and writes the parent on the same
 * datastore: 2 * allocated / B.  Datastores of B = 200 MB/s = 2e8 B/s
 * (written "200000000B/s": snapsim's "200MB/s" is 200 * 2^20); 'ideal'
 * disks (the delta holds exactly the bytes written), thick 1 GiB bases on
 * ESX 3.5 hosts (esx35: helper mode); each VM has its own datastore.
 *   d: a 48 MiB delta, max_consolidate_time 12 s: 2 * 48 MiB / 2e8 =
 *      0.50331648 s <= 12: one pause of 0.50331648 s, 0 helper iterations.
 *      d's guest rewrites those 48 MiB at 100 MiB/s meanwhile, on a
 *      datastore with 40 MiB free: a helper would take its writes during
 *      the copy, 100 MiB/s * 0.5033 s = 52.8 MB > 40 MiB, which the
 *      precheck counts for a helper (ss_helper_expected_growth) -- with the
 *      direct stun the guest is paused and the expected growth is 0: the
 *      deletion is approved.
 *   e: the same delta with max_consolidate_time 0.5 s (0.5033 > 0.5, the
 *      threshold 0.5 * 2e8 / 2 = 50,000,000 B = 47.68 MiB is just below 48
 *      MiB): a helper takes the writes (1 iteration), the delta is merged
 *      live in 0.5033 s without a pause, then the empty helper with the
 *      VM stunned for 0 s.
 *   f: max_consolidate_time 0.504 s, just above 0.50331648: direct.
 *   g, h: the default 12 s: threshold 12 * 2e8 / 2 = 1.2e9 B = 1144.4 MiB:
 *      1144 MiB (11.9957 s) is merged directly in one pause of
 *      2 * 1144 MiB / 2e8; 1145 MiB (12.0062 s) gets a helper. */
static void t_direct_stun(void)
{
    const char *src =
        "scenario { name = 'direct', duration = '1h', seed = 1 }\n"
        "host 'h35' { version = '3.5' }\n"
        "local function one(n, cap, mct, wl, size)\n"
        "  datastore ('ds_' .. n) { capacity = cap, bandwidth = '200000000B/s' }\n"
        "  vm (n) { host = 'h35', datastore = 'ds_' .. n, memory = '1GiB', disk = { size = '2GiB', format = 'ideal' },\n"
        "           consolidation = { max_consolidate_time = mct }, workload = wl }\n"
        "  at(10, function() snapshot(n, 's'); write(n, { offset = 0, bytes = size })\n"
        "    A[n] = vm_state(n).files[2].allocated; F[n] = datastore_state('ds_' .. n).free\n"
        "    OK[n], WHY[n] = delete_snapshot(n, 's') end)\n"
        "end\n"
        "A, F, OK, WHY, D, STEPS = {}, {}, {}, {}, {}, {}\n"
        "one('d', '2136MiB', '12s', { rate = '100MiB/s', io_size = '1MiB', arrivals = 'constant',\n"
        "     region = { offset = 0, size = '48MiB' } }, '48MiB')\n"
        "one('e', '10GiB', '0.5s', nil, '48MiB')\n"
        "one('f', '10GiB', '0.504s', nil, '48MiB')\n"
        "one('g', '10GiB', '12s', nil, '1144MiB')\n"
        "one('h', '10GiB', '12s', nil, '1145MiB')\n"
        "on('consolidation_done', function(e) D[e.vm] = e end)\n"
        "on('consolidation_step', function(e) STEPS[e.vm] = (STEPS[e.vm] or 0) + 1 end)\n";
    ss_sim *sim = run_src("direct.lua", src);
    if (!sim) return;
    char b[300];
    const double B = 2e8;
    /* d: 48 MiB on a datastore with 2136 - 2048 - 48 = 40 MiB free. */
    CHECK_EQ_U(st_num(sim, "A.d"), 48 * MiB);
    CHECK_EQ_U(st_num(sim, "F.d"), 40 * MiB);
    CHECK(100 * MiB * 2 * 48 * MiB / B > 40 * MiB);   /* what a helper would take */
    CHECK_STR(st_str(sim, "OK.d", b, sizeof b), "true");
    CHECK_EQ_I(st_num(sim, "D.d.iterations"), 0);
    CHECK_NEAR(st_num(sim, "D.d.stun_time"), 2 * 48 * MiB / B, 1e-6);
    CHECK_NEAR(st_num(sim, "D.d.stun_time"), 0.503, 0.0005);
    CHECK_NEAR(st_num(sim, "D.d.duration"), 2 * 48 * MiB / B, 1e-6);
    CHECK_EQ_I(st_num(sim, "STEPS.d"), 1);
    CHECK_CONTAINS(st_str(sim, "D.d.detail", b, sizeof b), "direct stun");
    /* e: just above the threshold: a helper. */
    CHECK(2 * 48 * MiB / B > 0.5);
    CHECK_EQ_I(st_num(sim, "D.e.iterations"), 1);
    CHECK_NEAR(st_num(sim, "D.e.stun_time"), 0, 1e-6);
    CHECK_NEAR(st_num(sim, "D.e.duration"), 2 * 48 * MiB / B, 1e-6);
    CHECK_EQ_I(st_num(sim, "STEPS.e"), 2);
    /* f: just below. */
    CHECK_EQ_I(st_num(sim, "D.f.iterations"), 0);
    CHECK_NEAR(st_num(sim, "D.f.stun_time"), 2 * 48 * MiB / B, 1e-6);
    CHECK_EQ_I(st_num(sim, "STEPS.f"), 1);
    /* g, h: the default threshold. */
    CHECK(2 * 1144 * MiB / B <= 12 && 2 * 1145 * MiB / B > 12);
    CHECK_EQ_I(st_num(sim, "D.g.iterations"), 0);
    CHECK_NEAR(st_num(sim, "D.g.stun_time"), 2 * 1144 * MiB / B, 1e-6);
    CHECK_EQ_I(st_num(sim, "D.h.iterations"), 1);
    CHECK_NEAR(st_num(sim, "D.h.stun_time"), 0, 1e-6);
    CHECK_NEAR(st_num(sim, "D.h.duration"), 2 * 1145 * MiB / B, 1e-6);
    ss_sim_free(sim);
}

/* The decision is made again when the live delta's merge comes up.
 * vsphere41 (ESX 4.1) merges oldest first: Delete All of s1 (1 GiB of new
 * data) and s2 (the live delta, 10 MiB: 2 * 10 MiB / 2e8 = 0.105 s <= 0.5 s
 * at the start, so no helper) merges s1's delta first.
 *   p: no workload: the live delta is still 10 MiB when its turn comes:
 *      one pause of 0.10485760 s, 0 iterations.
 *   q: a guest writing 20 MiB/s of new 1 MiB blocks: during s1's merge
 *      (about 2 GiB / 2e8 = 10.7 s) the live delta gains about 200 MiB,
 *      past the 0.5 s threshold (50,000,000 B): a helper takes the writes
 *      from there (iterations >= 1), and the first pause comes only at the
 *      helper's end. */
static void t_direct_stun_rechecked(void)
{
    const char *src =
        "scenario { name = 'recheck', duration = '1h', seed = 1 }\n"
        "host 'h41' { version = '4.1' }\n"
        "local function one(n, wl)\n"
        "  datastore ('ds_' .. n) { capacity = '20GiB', bandwidth = '200000000B/s' }\n"
        "  vm (n) { host = 'h41', datastore = 'ds_' .. n, memory = '1GiB', disk = { size = '8GiB', format = 'ideal' },\n"
        "           consolidation = { max_consolidate_time = '0.5s' }, workload = wl }\n"
        "  at(10, function() snapshot(n, 's1'); write(n, { offset = 0, bytes = '1GiB' })\n"
        "    snapshot(n, 's2'); write(n, { offset = 0, bytes = '10MiB' }); delete_all(n) end)\n"
        "end\n"
        "D, ST = {}, {}\n"
        "one('p', nil)\n"
        "one('q', { rate = '20MiB/s', io_size = '1MiB', pattern = 'sequential', arrivals = 'constant',\n"
        "           region = { offset = '2GiB', size = '4GiB' } })\n"
        "on('consolidation_done', function(e) D[e.vm] = e end)\n";
    ss_sim *sim = run_src("recheck.lua", src);
    if (!sim) return;
    const double B = 2e8;
    CHECK_STR(vm_named(sim, "p")->strategy->name, "vsphere41");
    CHECK_EQ_I(st_num(sim, "D.p.iterations"), 0);
    CHECK_NEAR(st_num(sim, "D.p.stun_time"), 2 * 10 * MiB / B, 1e-6);
    CHECK_NEAR(st_num(sim, "D.p.duration"), 2 * (1024 + 10) * MiB / B, 1e-6);
    CHECK(st_num(sim, "D.q.iterations") >= 1);
    CHECK(st_num(sim, "D.q.stun_time") <= 0.5 + 1e-9);
    ss_sim_free(sim);
}

/* ---- 4. resync directions and the real .vmx names ---- */

/* One-off syncs step forward only ("For other events, synchronization is
 * forward in time": VMware Tools docs GUID-C0D8326A; open-vm-tools
 * TimeSyncDoSync steps when behind, or ahead with backward allowed).  Two
 * hosts whose clocks lose 1000 ppm: H(t) = -0.001 t; guests at 0 ppm start
 * at H(0) = 0, so at 5000 s every guest is 5 s ahead of its host.
 *   r:   suspended at 5000, resumed at 5001: G = 0 - 1 = -1 (it stood still
 *        1 s), H = -5.001: ahead 4.001 s: a resume sync of 0, G stays -1.
 *   m:   memory snapshot at 5000 (G = 0), revert at 5002: the image brings
 *        back G = 0 - 2 = -2, H = -5.002: ahead: a revert sync of 0.
 *   b35: off at 5000, on at 5001 on a 3.5 host (startup.backward true):
 *        the boot sync steps back by -5.001 - (-1) = -4.001.
 *   b70: the same on a 7.0 host (false): a boot sync of 0, G = -1.
 *   bvx: on the 7.0 host with vmx["time.synchronize.tools.startup.backward"]
 *        = "TRUE": stepped back like b35.
 * Periodic sync is off everywhere: each one-off sync still happens (one
 * clock_step each). */
static void t_resync_forward_only(void)
{
    const char *src =
        "scenario { name = 'fwd', duration = '2h', seed = 1 }\n"
        "datastore 'ds' { capacity = '500GB' }\n"
        "host 'h35' { version = '3.5', clock = { drift_ppm = -1000 } }\n"
        "host 'h70' { version = '7.0', clock = { drift_ppm = -1000 } }\n"
        "for _, v in ipairs{ {'r','h35'}, {'m','h35'}, {'b35','h35'}, {'b70','h70'} } do\n"
        "  vm (v[1]) { host = v[2], memory = '1GB', disk = { size = '10GB', format = 'ideal' } }\n"
        "end\n"
        "vm 'bvx' { host = 'h70', memory = '1GB', disk = { size = '10GB', format = 'ideal' },\n"
        "           vmx = { ['time.synchronize.tools.startup.backward'] = 'TRUE' } }\n"
        "S, N = {}, {}\n"
        "on('clock_step', function(e) S[e.vm] = e.value; N[e.vm] = (N[e.vm] or 0) + 1 end)\n"
        "local function G(v) return vm_state(v).guest_offset end\n"
        "at(5000, function()\n"
        "  A = G('r') - vm_state('r').host_offset\n"
        "  suspend('r'); snapshot('m', 's', { memory = true })\n"
        "  power_off('b35'); power_off('b70'); power_off('bvx')\n"
        "end)\n"
        "at(5001, function() resume('r'); power_on('b35'); power_on('b70'); power_on('bvx')\n"
        "  GR, G35, G70, GVX = G('r'), G('b35'), G('b70'), G('bvx') end)\n"
        "at(5002, function() revert('m', 's'); GM = G('m') end)\n";
    ss_sim *sim = run_src("fwd.lua", src);
    if (!sim) return;
    const double tol = 1e-6;
    CHECK_NEAR(st_num(sim, "A"), 5.0, tol);
    CHECK_NEAR(st_num(sim, "S.r"), 0, tol);
    CHECK_NEAR(st_num(sim, "GR"), -1.0, tol);
    CHECK_NEAR(st_num(sim, "S.m"), 0, tol);
    CHECK_NEAR(st_num(sim, "GM"), -2.0, tol);
    CHECK_NEAR(st_num(sim, "S.b35"), -5.001 - (-1.0), tol);
    CHECK_NEAR(st_num(sim, "G35"), -5.001, tol);
    CHECK_NEAR(st_num(sim, "S.b70"), 0, tol);
    CHECK_NEAR(st_num(sim, "G70"), -1.0, tol);
    CHECK_NEAR(st_num(sim, "S.bvx"), -4.001, tol);
    CHECK_NEAR(st_num(sim, "GVX"), -5.001, tol);
    for (int i = 0; i < 5; i++) {
        static const char *const v[] = { "r", "m", "b35", "b70", "bvx" };
        char e[32];
        snprintf(e, sizeof e, "N['%s']", v[i]);
        CHECK_EQ_I(st_num(sim, e), 1);
    }
    ss_sim_free(sim);
}

/* The real .vmx names set the options they alias (KB 1189, KB 2039754,
 * KB 2082886), with values written as in a .vmx file or as Lua values. */
static void t_vmx_aliases(void)
{
    const char *src =
        "scenario { name = 'vmx', duration = '1m', seed = 1 }\n"
        "datastore 'ds' { capacity = '500GB' }\n"
        "host 'h' {}\n"
        "vm 'v' { host = 'h', disk = { size = '10GB' }, vmx = {\n"
        "  ['time.synchronize.resume.disk'] = false, ['tools.syncTime'] = '1',\n"
        "  ['time.synchronize.restore'] = 'FALSE', ['time.synchronize.tools.startup'] = 0,\n"
        "  ['snapshot.maxIterations'] = 20, ['snapshot.maxConsolidateTime'] = '60',\n"
        "  ['snapshot.asyncConsolidate.forceSync'] = 'FALSE', ['time.synchronize.continue'] = 'FALSE' } }\n"
        "vm 'w' { host = 'h', disk = { size = '10GB' } }\n";
    ss_sim *sim = run_src("vmx.lua", src);
    if (!sim) return;
    ss_vm *v = vm_named(sim, "v"), *w = vm_named(sim, "w");
    if (v && w) {
        CHECK_EQ_I(v->ccl.resync_resume, 0);
        CHECK_EQ_I(v->ccl.tools_sync, 1);
        CHECK_EQ_I(v->ccl.resync_revert, 0);
        CHECK_EQ_I(v->ccl.resync_boot, 0);
        CHECK_EQ_I(v->ccfg.max_iterations, 20);
        CHECK_NEAR(v->ccfg.max_consolidate_time, 60, 0);
        CHECK_EQ_I(v->ccfg.force_sync, 0);
        /* w gives nothing: the defaults (3.5 host). */
        CHECK_EQ_I(w->ccl.resync_resume, 1);
        CHECK_EQ_I(w->ccl.tools_sync, 0);
        CHECK_EQ_I(w->ccfg.max_iterations, 10);
        CHECK_NEAR(w->ccfg.max_consolidate_time, 12, 0);
        CHECK_EQ_I(w->ccfg.force_sync, 1);
    }
    ss_sim_free(sim);
}

static void t_vmx_bad(void)
{
#define VMXPRE "scenario { name = 't', duration = '1h' }\ndatastore 'ds' { capacity = '100GB' }\nhost 'h' {}\n"
    static const struct { const char *src, *a, *b; } cases[] = {
        { VMXPRE "vm 'v' { disk = { size = '10GB' },\n vmx = { ['snapshot.maxIteration'] = 20 } }\n", "bad.lua:4:",
          "unknown .vmx option \"snapshot.maxIteration\"" },
        { VMXPRE "vm 'v' { disk = { size = '10GB' }, consolidation = { max_iterations = 5 },\n"
                 " vmx = { ['snapshot.maxIterations'] = 20 } }\n", "bad.lua:4:", "consolidation.max_iterations" },
        { VMXPRE "vm 'v' { disk = { size = '10GB' }, vmx = { ['snapshot.maxIterations'] = 'many' } }\n", "bad.lua:4:",
          "vmx[\"snapshot.maxIterations\"]: field consolidation.max_iterations" },
        { VMXPRE "vm 'v' { disk = { size = '10GB' }, vmx = { ['tools.syncTime'] = 'yes' } }\n", "bad.lua:4:",
          "true or false" },
        { VMXPRE "vm 'v' { disk = { size = '10GB' }, vmx = { 20 } }\n", "bad.lua:4:", "option names as keys" },
    };
#undef VMXPRE
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char b[1024];
        load_error("bad.lua", cases[i].src, b, sizeof b);
        CHECK_CONTAINS(b, cases[i].a);
        CHECK_CONTAINS(b, cases[i].b);
    }
}

/* ---- 5. the snapshot depth limit ---- */

/* "A maximum of 32 snapshots are supported in a chain" (KB 1025279): 32
 * snapshots one above the other are taken; the 33rd is refused with
 * snapshot_failed, snapshot() returns false and the reason, and the chain
 * keeps its 32 (32 deltas + the base = 33 files).  After a deletion there
 * is room for one more. */
static void t_depth_limit(void)
{
    const char *src =
        "scenario { name = 'depth', duration = '1h', seed = 1 }\n"
        "datastore 'ds' { capacity = '500GB' }\n"
        "host 'h' {}\n"
        "vm 'v' { host = 'h', disk = { size = '10GB', format = 'ideal' } }\n"
        "F = {}\n"
        "on('snapshot_failed', function(e) F[#F+1] = e end)\n"
        "at(0, function()\n"
        "  for i = 1, 32 do assert(snapshot('v', 's' .. i)) end\n"
        "  OK, WHY = snapshot('v', 's33'); N = #snapshots('v'); NF = #vm_state('v').files\n"
        "  delete_snapshot('v', 's1', { strategy = 'offline' })\n"
        "end)\n"
        "at('10m', function() OK2 = snapshot('v', 's33'); N2 = #snapshots('v') end)\n";
    ss_sim *sim = run_src("depth.lua", src);
    if (!sim) return;
    char b[300];
    CHECK_STR(st_str(sim, "OK", b, sizeof b), "false");
    CHECK_CONTAINS(st_str(sim, "WHY", b, sizeof b), "already holds 32 snapshots");
    CHECK_EQ_I(st_num(sim, "N"), 32);
    CHECK_EQ_I(st_num(sim, "NF"), 33);
    CHECK_EQ_I(st_num(sim, "#F"), 1);
    CHECK_STR(st_str(sim, "F[1].snapshot", b, sizeof b), "s33");
    CHECK_CONTAINS(st_str(sim, "F[1].detail", b, sizeof b), "32 snapshots");
    CHECK_STR(st_str(sim, "OK2", b, sizeof b), "true");
    CHECK_EQ_I(st_num(sim, "N2"), 32);
    ss_vm *vm = vm_named(sim, "v");
    if (vm) CHECK_EQ_I(vm->snaps_failed, 1);
    ss_sim_free(sim);
}

/* ---- 7. qcow2's layout ---- */

/* Sizes of an overlay after writes, measured with Debian 12's qemu-utils
 * 7.2 (qemu-img version 7.2.22):
 *   qemu-img create -f qcow2 b.qcow2 CAP
 *   qemu-img create -f qcow2 -b b.qcow2 -F qcow2 o.qcow2
 *   qemu-io -c 'write -P 1 OFF LEN' o.qcow2      (one -c per write below)
 *   stat -c %s o.qcow2
 * The formula (docs/interop/qcow2.txt, format.c): 64 KiB clusters;
 * empty: 3 clusters (header, refcount table, first refcount block) + the
 * L1 table, 8 B per 512 MiB of capacity, unpadded; with data: N0 = 3 + L1
 * clusters + L2 tables (one per 512 MiB region touched) + data clusters,
 * R = ceil((N0-1)/32767) refcount blocks, size = (N0 + R - 1) * 64 KiB.
 * The expected sizes are qemu-img's, not the formula's: each row's comment
 * works the formula out by hand. */
#define QK UINT64_C(1024)
#define QM (QK * QK)
#define QG (QM * QK)
struct qrow {
    uint64_t cap;
    int nw;
    uint64_t off[8], len[8];
    uint64_t size;            /* stat -c %s after the writes */
};
static const struct qrow qrows[] = {
    /* 196608 + 8*20 */
    { 10 * QG, 0, { 0 }, { 0 }, 196768 },
    /* 196608 + 8*2 */
    { 1 * QG, 0, { 0 }, { 0 }, 196624 },
    /* 196608 + 8*200 */
    { 100 * QG, 0, { 0 }, { 0 }, 198208 },
    /* L1 exactly one cluster: 196608 + 8*1024 */
    { 512 * QG, 0, { 0 }, { 0 }, 204800 },
    /* L1 past one cluster: 196608 + 8*1026 */
    { 513 * QG, 0, { 0 }, { 0 }, 204816 },
    /* 196608 + 8*4096 */
    { 2048 * QG, 0, { 0 }, { 0 }, 229376 },
    /* 'write -P 1 0 4k': N0 = 3+1+1+1 = 6, R = 1: 6 clusters */
    { 10 * QG, 1, { 0 }, { 4 * QK }, 393216 },
    /* 'write -P 1 0 64k': the same cluster */
    { 10 * QG, 1, { 0 }, { 64 * QK }, 393216 },
    /* 'write -P 1 5G 4k' */
    { 10 * QG, 1, { 5 * QG }, { 4 * QK }, 393216 },
    /* 'write -P 1 0 1M': 3+1+1+16 = 21 clusters */
    { 10 * QG, 1, { 0 }, { 1 * QM }, 1376256 },
    /* 'write -P 1 100M 4k' 'write -P 1 100M 64k' 'write -P 1 200M 128k':
     * 3 data clusters, one L2: 3+1+1+3 = 8 */
    { 10 * QG, 3, { 100 * QM, 100 * QM, 200 * QM }, { 4 * QK, 64 * QK, 128 * QK }, 524288 },
    /* 1 TiB, 'write -P 1 700G 4k': L1 of 16 KiB is one cluster: 6 */
    { 1024 * QG, 1, { 700 * QG }, { 4 * QK }, 393216 },
    /* 8 TiB, 'write -P 1 0 4k' (and the same at 7T): L1 of 128 KiB is two
     * clusters: 3+2+1+1 = 7 */
    { 8192 * QG, 1, { 0 }, { 4 * QK }, 458752 },
    { 8192 * QG, 1, { 7168 * QG }, { 4 * QK }, 458752 },
    /* 100 GiB, scattered 4k writes at 0 1G 10G 50G 99G 1028K 1536M: 7 data
     * clusters in 6 regions (0, 2, 3, 20, 100, 198): 3+1+6+7 = 17 */
    { 100 * QG, 7, { 0, 1 * QG, 10 * QG, 50 * QG, 99 * QG, 1028 * QK, 1536 * QM },
      { 4 * QK, 4 * QK, 4 * QK, 4 * QK, 4 * QK, 4 * QK, 4 * QK }, 1114112 },
    /* 'write -P 1 0 1G' (as 512M twice): 3+1+2+16384 = 16390, R = 1 */
    { 10 * QG, 2, { 0, 512 * QM }, { 512 * QM, 512 * QM }, 1074135040 },
    /* 2100M in 512M writes: N0 = 3+1+5+33600 = 33609, R = ceil(33608/32767)
     * = 2: 33610 clusters; qemu-img check: "Image end offset: 2202664960" */
    { 10 * QG, 5, { 0, 512 * QM, 1024 * QM, 1536 * QM, 2048 * QM },
      { 512 * QM, 512 * QM, 512 * QM, 512 * QM, 52 * QM }, 2202664960 },
    /* The second refcount block's edge: 1536M in 512M writes, then
     * 'write -P 1 1536M 523776K': 32760 data clusters, 4 L2: N0 = 32768, R
     * = 1: 2 GiB exactly; one cluster more ('... 1536M 523840K'): N0 =
     * 32769, R = 2: 32770 clusters */
    { 10 * QG, 4, { 0, 512 * QM, 1024 * QM, 1536 * QM },
      { 512 * QM, 512 * QM, 512 * QM, 523776 * QK }, 2147483648 },
    { 10 * QG, 4, { 0, 512 * QM, 1024 * QM, 1536 * QM },
      { 512 * QM, 512 * QM, 512 * QM, 523840 * QK }, 2147614720 },
};

/* Each measured row through the grain set (64 KiB grains, 2^13 per L2
 * region) and the format formula. */
static void t_qcow2_layout(void)
{
    const ss_format *f = ss_format_find("qcow2");
    if (!f) { CHECK(0); return; }
    for (size_t i = 0; i < sizeof qrows / sizeof qrows[0]; i++) {
        const struct qrow *r = &qrows[i];
        ss_grainset *gs = ss_gs_new(f->region_shift);
        for (int k = 0; k < r->nw; k++) {
            uint64_t g0 = r->off[k] / f->grain, g1 = (r->off[k] + r->len[k] - 1) / f->grain;
            ss_gs_add_range(gs, g0, g1 - g0 + 1);
        }
        uint64_t got = ss_format_filesize(f, r->cap, ss_gs_count(gs), ss_gs_regions(gs));
        if (got != r->size) fprintf(stderr, "qcow2 row %zu: %llu, qemu-img %llu\n", i, (unsigned long long)got,
                                    (unsigned long long)r->size);
        CHECK_EQ_U(got, r->size);
        /* The size only changes at a step: the need it holds maps back to it. */
        uint64_t need = ss_gs_count(gs) * f->grain + ss_gs_regions(gs) * f->region_meta;
        CHECK_EQ_U(ss_format_need_held(f, need), need);
        ss_gs_free(gs);
    }
}

/* The same through a run: a qcow2 VM's overlay after snapshot and writes
 * (rows 0, 6 and 10 above: empty, 'write -P 1 0 4k', then two more writes
 * making 3 data clusters... here 100M 64k and 200M 128k on top of 0 4k:
 * 4 data clusters in one region: 3+1+1+4 = 9 clusters = 589,824 B; that
 * one is the formula, the other two qemu-img's). */
static void t_qcow2_run(void)
{
    const char *src =
        "scenario { name = 'q', duration = '1m', seed = 1 }\n"
        "datastore 'ds' { capacity = '500GB' }\n"
        "host 'h' { }\n"
        "vm 'v' { host = 'h', disk = { size = '10GiB', format = 'qcow2' } }\n"
        "at(0, function()\n"
        "  snapshot('v', 's'); S0 = vm_state('v').files[2].size\n"
        "  write('v', { offset = 0, bytes = 4096 }); S1 = vm_state('v').files[2].size\n"
        "  write('v', { offset = 100 * 2^20, bytes = 65536 })\n"
        "  write('v', { offset = 200 * 2^20, bytes = 131072 }); S2 = vm_state('v').files[2].size\n"
        "end)\n";
    ss_sim *sim = run_src("qcow2.lua", src);
    if (!sim) return;
    CHECK_EQ_U(st_num(sim, "S0"), 196768);
    CHECK_EQ_U(st_num(sim, "S1"), 393216);
    CHECK_EQ_U(st_num(sim, "S2"), 9 * 65536);
    ss_sim_free(sim);
}


/* ---- 9. bugs found by trying snapsim as a new user would ---- */

/* (a) A stall still open when the run ends counts up to the end.  A thin
 * 'ideal' disk (no metadata: the file is exactly the bytes written)
 * written sequentially, 1 MiB at a time, 100 a second at constant
 * arrivals, on a 10 GiB datastore that already holds a thick 3 GiB disk:
 * 7 GiB = 7168 writes fit, the 7169th (at 7169/100 = 71.69 s) stalls and
 * nothing frees space.  Stall seconds: 200 - T; the file's /summary/vms
 * said 0 before the fix. */
static void t_stall_open_at_end(void)
{
    const char *src =
        "scenario { name = 'openstall', duration = '200s', seed = 1 }\n"
        "datastore 'ds' { capacity = '10GiB', bandwidth = '1GB/s' }\n"
        "host 'h' {}\n"
        "vm 'v' { host = 'h', memory = '1GB', disk = { size = '20GiB', provisioning = 'thin', format = 'ideal' },\n"
        "         workload = { rate = '100MiB/s', io_size = '1MiB', pattern = 'sequential', arrivals = 'constant' } }\n"
        "vm 'b' { host = 'h', memory = '1GB', power = 'off', disk = { size = '3GiB', format = 'ideal' } }\n"
        "on('vm_stalled', function(e) T = e.t; N = (N or 0) + 1 end)\n";
    char path[512], txt[8192], want[200];
    ss_sim *sim = run_h5("openstall", src, path, sizeof path);
    if (!sim) return;
    double t = st_num(sim, "T");
    CHECK_EQ_I(st_num(sim, "N"), 1);
    CHECK_NEAR(t, 7169 / 100.0, 1e-6);
    ss_vm *vm = vm_named(sim, "v");
    if (vm) {
        CHECK(vm->stalled);
        CHECK_NEAR(ss_vm_stall_seconds(vm, ss_now(ss_sim_world(sim))), 200 - t, 1e-9);
    }
    summary_text(sim, txt, sizeof txt);
    /* 200 - 71.69 = 128.31 s: "2m8s" in the human format. */
    snprintf(want, sizeof want, "  vm %-10s stalled 1 time(s), 2m8s in all (still stalled at the end)", "v");
    CHECK_CONTAINS(txt, want);
    CHECK_CONTAINS(txt, "  VMs: 2, 1 stalled (2m8s in all)");
    ss_sim_free(sim);
    CHECK_NEAR(h5_vm_field(path, "/summary/vms", "v", "stall_s", 0), 200 - t, 1e-9);
    CHECK_EQ_I(h5_vm_field(path, "/summary/vms", "v", "stalls", 1), 1);
    CHECK_NEAR(h5_vm_field(path, "/summary/vms", "b", "stall_s", 0), 0, 0);
}

/* (b) Failed snapshots counted per VM: one refused for space (a memory
 * snapshot's 4 GiB .vmsn on a datastore with 2 GiB free), one for the
 * chain's depth (the 33rd), one for quiescing (Tools not running), all on
 * VM a; VM c fails none.  The CLI summary, /summary/vms and the run's
 * events agree. */
static void t_failed_snapshots_counted(void)
{
    const char *src =
        "scenario { name = 'snapfail', duration = '1h', seed = 1 }\n"
        "datastore 'ds' { capacity = '100GiB' }\n"
        "datastore 'small' { capacity = '10GiB' }\n"
        "host 'h' {}\n"
        "vm 'a' { host = 'h', datastore = 'ds', memory = '4GiB', disk = { size = '10GiB', format = 'ideal' } }\n"
        "vm 'q' { host = 'h', datastore = 'ds', memory = '1GiB', tools = 'not_running', disk = { size = '1GiB', format = 'ideal' } }\n"
        "vm 'm' { host = 'h', datastore = 'small', memory = '4GiB', disk = { size = '8GiB', format = 'ideal' } }\n"
        "vm 'c' { host = 'h', datastore = 'ds', memory = '1GiB', disk = { size = '1GiB', format = 'ideal' } }\n"
        "R = {}\n"
        "at(0, function()\n"
        "  for i = 1, 32 do assert(snapshot('a', 's' .. i)) end\n"
        "  R.depth = select(2, snapshot('a', 's33'))\n"
        "  R.space = select(2, snapshot('m', 'mem', { memory = true }))\n"
        "  R.quiesce = select(2, snapshot('q', 'qs', { quiesce = true }))\n"
        "  assert(snapshot('c', 'ok'))\n"
        "end)\n";
    char path[512], txt[8192], want[200];
    ss_sim *sim = run_h5("snapfail", src, path, sizeof path);
    if (!sim) return;
    char b[300];
    CHECK_CONTAINS(st_str(sim, "R.depth", b, sizeof b), "32 snapshots");
    CHECK_CONTAINS(st_str(sim, "R.space", b, sizeof b), "not enough space");
    CHECK_CONTAINS(st_str(sim, "R.quiesce", b, sizeof b), "Could not quiesce");
    summary_text(sim, txt, sizeof txt);
    CHECK_CONTAINS(txt, "  snapshots failed: 3;");
    CHECK_CONTAINS(txt, "  VMs: 4, 0 stalled (0s in all), 3 with failed snapshots");
    static const struct { const char *vm; int n; } want_n[] = { { "a", 1 }, { "q", 1 }, { "m", 1 }, { "c", 0 } };
    for (int i = 0; i < 4; i++) {
        snprintf(want, sizeof want, "  vm %-10s %d snapshot(s) failed\n", want_n[i].vm, want_n[i].n);
        if (want_n[i].n) CHECK_CONTAINS(txt, want);
        else CHECK(strstr(txt, want) == NULL);
        ss_vm *vm = vm_named(sim, want_n[i].vm);
        if (vm) CHECK_EQ_I(vm->snaps_failed, want_n[i].n);
    }
    ss_sim_free(sim);
    for (int i = 0; i < 4; i++)
        CHECK_EQ_I(h5_vm_field(path, "/summary/vms", want_n[i].vm, "failed_snapshots", 1), want_n[i].n);
}

/* (c) A thick disk takes its whole size at declaration: one larger than
 * the datastore's free space then is refused, with file:line and the
 * field; so is the second VM whose thick disk no longer fits after the
 * first's.  Thin disks may overcommit (1 TiB of thin disks on 500 GiB
 * loads), and so does a thick disk that fits exactly. */
static void t_thick_too_large(void)
{
#define TKPRE "scenario { name = 't', duration = '1h' }\ndatastore 'ds' { capacity = '500GiB' }\nhost 'h' {}\n"
    static const struct { const char *src, *a, *b; } bad[] = {
        { TKPRE "vm 'v' { disk = { size = '1TiB' } }\n", "bad.lua:4:", "field disk.size" },
        { TKPRE "vm 'v' { disks = { { size = '100GiB' },\n { size = '450GiB' } } }\n", "bad.lua:4:",
          "field disks[2].size" },
        { TKPRE "vm 'v' { disk = { size = '300GiB' } }\nvm 'w' { disk = { size = '201GiB' } }\n", "bad.lua:5:",
          "field disk.size" },
        { TKPRE "vm 'v' { disk = { size = '300GiB' } }\nvm 'w' { disk = { size = '400GiB', provisioning = 'thin', used = '201GiB' } }\n",
          "bad.lua:5:", "field disk.used" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char b[1024];
        load_error("bad.lua", bad[i].src, b, sizeof b);
        CHECK_CONTAINS(b, bad[i].a);
        CHECK_CONTAINS(b, bad[i].b);
        CHECK_CONTAINS(b, "free on datastore ds");
    }
    /* The first case's message in full: the size, the free space, what to do. */
    char b[1024];
    load_error("bad.lua", bad[0].src, b, sizeof b);
    CHECK_CONTAINS(b, "a thick disk takes its whole size at once: 1 TB does not fit in the 500 GB free on datastore ds");
    static const char *const good[] = {
        TKPRE "vm 'v' { disk = { size = '1TiB', provisioning = 'thin' } }\n",
        TKPRE "vm 'v' { disk = { size = '300GiB' } }\nvm 'w' { disk = { size = '200GiB' } }\n",
        TKPRE "vm 'v' { disk = { size = '300GiB' } }\nvm 'w' { disk = { size = '2TiB', provisioning = 'thin', used = '200GiB' } }\n",
    };
#undef TKPRE
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        load_error("good.lua", good[i], b, sizeof b);
        CHECK_STR(b, "");
    }
    /* The overcommitted thin disk loads and the summary says so. */
    ss_sim *sim = run_src("thin.lua", "scenario { name = 't', duration = '1m' }\n"
                                      "datastore 'ds' { capacity = '500GiB' }\nhost 'h' {}\n"
                                      "vm 'v' { disk = { size = '1TiB', provisioning = 'thin' } }\n");
    if (!sim) return;
    char txt[8192];
    summary_text(sim, txt, sizeof txt);
    CHECK_CONTAINS(txt, "OVERCOMMITTED: 1 thin disk(s) of 1 TB; all disks 1 TB on 500 GB (205 %)");
    ss_sim_free(sim);
}

/* (d) write(vm, {rate=}) on a full datastore stalls and resumes like the
 * workload's writes.  10 GiB datastore; VM f holds a thick 1 GiB disk and,
 * suspended at 0, a 2 GiB .vmss: 7168 MiB free.  VM v writes 10 GiB
 * sequentially at 100 MiB/s into a thin 'ideal' disk (the file is the
 * bytes written), one second's worth at the end of each second:
 *   t = 1..71: 7100 MiB; t = 72: 68 MiB fit, the rest waits: vm_stalled
 *     at 72 with 0 B free;
 *   t = 100: resume('f') frees the 2 GiB .vmss: the 32 MiB waiting go in,
 *     vm_resumed_io at 100 with a stall of 28 s; 2016 MiB free;
 *   t = 101..120: 2000 MiB; t = 121: 16 MiB fit, stalled again, to the end
 *     (200 s): 79 s more.
 * Stalls: 2, 107 s in all; written 7168 + 2048 = 9216 MiB.  VM g, alone on
 * its own full datastore, stalls the same way at 11 s (1000 MiB free, a
 * 1100 MiB second), is powered off at 50 s (the stall ends silently after
 * 39 s) and back on at 60 s: it stalls again at 61 s, to the end: 39 +
 * 139 = 178 s. */
static void t_write_rate_stalls(void)
{
    const char *src =
        "scenario { name = 'wstall', duration = '200s', seed = 1 }\n"
        "datastore 'ds' { capacity = '10GiB', bandwidth = '10GB/s' }\n"
        "datastore 'ds2' { capacity = '1000MiB', bandwidth = '10GB/s' }\n"
        "host 'h' {}\n"
        "vm 'v' { host = 'h', datastore = 'ds', memory = '1GiB', disk = { size = '20GiB', provisioning = 'thin', format = 'ideal' } }\n"
        "vm 'f' { host = 'h', datastore = 'ds', memory = '2GiB', disk = { size = '1GiB', format = 'ideal' } }\n"
        "vm 'g' { host = 'h', datastore = 'ds2', memory = '1GiB', disk = { size = '20GiB', provisioning = 'thin', format = 'ideal' } }\n"
        "S, R = {}, {}\n"
        "on('vm_stalled', function(e) S[#S+1] = { vm = e.vm, t = e.t, bytes = e.bytes } end)\n"
        "on('vm_resumed_io', function(e) R[#R+1] = { vm = e.vm, t = e.t, value = e.value } end)\n"
        "at(0, function() suspend('f')\n"
        "  write('v', { offset = 0, bytes = '10GiB', rate = '100MiB/s' })\n"
        "  write('g', { offset = 0, bytes = '10GiB', rate = '100MiB/s' }) end)\n"
        "at(80, function() ST80 = vm_state('v').stalled end)\n"
        "at(50, function() power_off('g'); G50 = vm_state('g').stalled end)\n"
        "at(60, function() power_on('g') end)\n"
        "at(100, function() resume('f') end)\n";
    char path[512];
    ss_sim *sim = run_h5("wstall", src, path, sizeof path);
    if (!sim) return;
    char b[64];
    CHECK_EQ_I(st_num(sim, "#S"), 4);
    CHECK_EQ_I(st_num(sim, "#R"), 1);
    /* In time order: g at 11, g at 60, v at 72, v at 121. */
    CHECK_STR(st_str(sim, "S[1].vm", b, sizeof b), "g");
    CHECK_NEAR(st_num(sim, "S[1].t"), 11, 1e-9);
    CHECK_STR(st_str(sim, "S[2].vm", b, sizeof b), "g");
    CHECK_NEAR(st_num(sim, "S[2].t"), 60, 1e-9);
    CHECK_STR(st_str(sim, "S[3].vm", b, sizeof b), "v");
    CHECK_NEAR(st_num(sim, "S[3].t"), 72, 1e-9);
    CHECK_EQ_I(st_num(sim, "S[3].bytes"), 0);
    CHECK_STR(st_str(sim, "S[4].vm", b, sizeof b), "v");
    CHECK_NEAR(st_num(sim, "S[4].t"), 121, 1e-9);
    CHECK_STR(st_str(sim, "R[1].vm", b, sizeof b), "v");
    CHECK_NEAR(st_num(sim, "R[1].t"), 100, 1e-9);
    CHECK_NEAR(st_num(sim, "R[1].value"), 28, 1e-9);
    CHECK_STR(st_str(sim, "ST80", b, sizeof b), "true");
    CHECK_STR(st_str(sim, "G50", b, sizeof b), "false");
    ss_vm *v = vm_named(sim, "v"), *g = vm_named(sim, "g");
    ss_time now = ss_now(ss_sim_world(sim));
    if (v && g) {
        CHECK_EQ_I(v->stalls, 2);
        CHECK_NEAR(ss_vm_stall_seconds(v, now), 28 + 79, 1e-9);
        CHECK_EQ_U(v->bytes_written, 9216 * MiB);
        CHECK_EQ_I(g->stalls, 2);
        CHECK_NEAR(ss_vm_stall_seconds(g, now), 39 + 140, 1e-9);
        CHECK_EQ_U(g->bytes_written, 1000 * MiB);
    }
    ss_sim_free(sim);
    CHECK_NEAR(h5_vm_field(path, "/summary/vms", "v", "stall_s", 0), 107, 1e-9);
    CHECK_NEAR(h5_vm_field(path, "/summary/vms", "g", "stall_s", 0), 179, 1e-9);
}

static const struct tl_test tl_tests[] = {
    TL(t_version_table),
    TL(t_version_defaults),
    TL(t_new_delta_size),
    TL(t_version_explicit_wins),
    TL(t_version_bad),
    TL(t_direct_stun),
    TL(t_direct_stun_rechecked),
    TL(t_resync_forward_only),
    TL(t_vmx_aliases),
    TL(t_vmx_bad),
    TL(t_depth_limit),
    TL(t_qcow2_layout),
    TL(t_qcow2_run),
    TL(t_stall_open_at_end),
    TL(t_failed_snapshots_counted),
    TL(t_thick_too_large),
    TL(t_write_rate_stalls),
    { 0, 0 },
};

int main(int argc, char **argv) { return tl_main(tl_tests, argc, argv); }
