/*
 * test_dynamics.c -- consolidation dynamics (SPEC §2.2): bandwidth shared
 * max-min fairly, merge times, the iterative helper and its convergence.
 * Closed forms are derived in the comments; MiB = 2^20 B, B = bandwidth.
 */
#include "simtest.h"

/* Two VMs, powered off, on one datastore of B = 100 MiB/s: at t = 0 each
 * deletes a snapshot whose delta (1 GiB, 3 GiB) merges into a thick base.
 * Each copy of X costs 2X of I/O.  Shared equally, both run at 50 MiB/s:
 * the first ends at 2*1024/50 = 40.96 s; then the second has 6144 - 2048 =
 * 4096 MiB of I/O left, alone at 100 MiB/s: it ends at 81.92 s. */
static void t_two_merges_share(void)
{
    const char *src =
        "scenario { name = 'share', duration = '1h', seed = 1 }\n"
        "datastore 'ds' { capacity = '200GB', bandwidth = '100MB/s' }\n"
        "host 'h' {}\n"
        "vm 'a' { host = 'h', power = 'on', disk = { size = '10GB', format = 'ideal' } }\n"
        "vm 'b' { host = 'h', power = 'on', disk = { size = '10GB', format = 'ideal' } }\n"
        "GB = 2^30; D = {}\n"
        "at(0, function()\n"
        "  snapshot('a', 's'); write('a', {offset = 0, bytes = 1*GB}); power_off('a')\n"
        "  snapshot('b', 's'); write('b', {offset = 0, bytes = 3*GB}); power_off('b')\n"
        "  delete_snapshot('a', 's', {strategy = 'offline'}); delete_snapshot('b', 's', {strategy = 'offline'})\n"
        "end)\n"
        "on('consolidation_done', function(e) D[e.vm] = e end)\n";
    ss_error err;
    ss_sim *sim = st_run("share.lua", src, NULL, &err);
    if (!sim) { fprintf(stderr, "%s\n", err.msg); CHECK(0); return; }
    CHECK_NEAR(st_num(sim, "D.a.duration"), 40.96, 1e-6);
    CHECK_NEAR(st_num(sim, "D.b.duration"), 81.92, 1e-6);
    CHECK_NEAR(st_num(sim, "D.b.stun_time"), 0, 0);       /* the VM was off */
    ss_sim_free(sim);
}

/* The helper's geometric series.  B = 100 MiB/s; the guest writes w = 25
 * MiB/s sequentially (6400 x 4 KiB per second, every write new) into its
 * active delta; deleting the snapshot (vsphere41, helper) merges X = 4 GiB
 * into the thick base while a helper takes the writes.  Max-min sharing
 * gives the guest its 25, the copy 75 MiB/s, so a merge of a takes 2a/75 s
 * and the next helper holds a_{k+1} = w * 2a_k/75 = (2/3) a_k, a_1 =
 * (2/3) X: 2730.67, 1820.44, 1213.63, 809.09, 539.39 MiB.  The estimate
 * 2a_k/B is 54.6, 36.4, 24.3, 16.2, 10.8 s: the 5th helper is under 12 s,
 * so it is merged under stun at the full 100 MiB/s: stun = 10.787 s.  Five
 * helpers were created. */
static void t_helper_converges(void)
{
    const char *src =
        "scenario { name = 'helper', duration = '1h', seed = 1 }\n"
        "datastore 'ds' { capacity = '200GB', bandwidth = '100MB/s' }\n"
        "host 'h' {}\n"
        "vm 'v' { host = 'h', power = 'on', disk = { size = '60GB', format = 'ideal' } }\n"
        "GB = 2^30\n"
        "at(0, function()\n"
        "  snapshot('v', 's'); write('v', {offset = 0, bytes = 4*GB})\n"
        "  set_workload('v', { iops = 6400, io_size = '4KB', arrivals = 'constant', pattern = 'sequential',\n"
        "                      region = { offset = '8GB', size = '50GB' } })\n"
        "  delete_snapshot('v', 's', {strategy = 'vsphere41'})\n"
        "end)\n"
        "on('consolidation_done', function(e) D = e end)\n";
    ss_error err;
    ss_sim *sim = st_run("helper.lua", src, NULL, &err);
    if (!sim) { fprintf(stderr, "%s\n", err.msg); CHECK(0); return; }
    double X = 4096, r = 2.0 / 3, a = X, dur = 0;
    for (int k = 1; k <= 4; k++) { dur += 2 * a / 75; a *= r; }   /* merges of X, a1..a3 */
    dur += 2 * a / 75;                                            /* a4 merged while H5 fills */
    double a5 = a * r;
    CHECK_EQ_I(st_num(sim, "D.iterations"), 5);
    CHECK_NEAR(st_num(sim, "D.stun_time"), 2 * a5 / 100, 0.01);
    CHECK_NEAR(st_num(sim, "D.duration"), dur + 2 * a5 / 100, 0.05);
    ss_sim_free(sim);
}

/* A guest writing at w = 40 MiB/s leaves the copy 60: each helper is
 * 2*40/60 = 4/3 of the previous one: no convergence.  After the default
 * 10 helpers, force_sync stuns for the last merge; without it the deletion
 * fails with VMware's message and the VM stays on its helper. */
static void t_helper_no_convergence(void)
{
    const char *tmpl =
        "scenario { name = 'nc', duration = '6h', seed = 1 }\n"
        "datastore 'ds' { capacity = '500GB', bandwidth = '100MB/s' }\n"
        "host 'h' {}\n"
        "vm 'v' { host = 'h', power = 'on', disk = { size = '400GB', format = 'ideal' },\n"
        "         consolidation = { force_sync = %s } }\n"
        "GB = 2^30\n"
        "at(0, function()\n"
        "  snapshot('v', 's'); write('v', {offset = 0, bytes = 1*GB})\n"
        "  set_workload('v', { iops = 10240, io_size = '4KB', arrivals = 'constant', pattern = 'sequential',\n"
        "                      region = { offset = '2GB', size = '390GB' } })\n"
        "  delete_snapshot('v', 's', {strategy = 'esx35'})\n"
        "end)\n"
        "on('consolidation_done', function(e) D = e end)\n"
        "on('consolidation_failed', function(e) F = e end)\n"
        "at('6h', function() local f = vm_state('v').files; TOPKIND = f[#f].kind end)\n";
    char src[2048];
    snprintf(src, sizeof src, tmpl, "true");
    ss_error err;
    ss_sim *sim = st_run("nc.lua", src, NULL, &err);
    if (!sim) { fprintf(stderr, "%s\n", err.msg); CHECK(0); return; }
    /* a_10 = (4/3)^10 * 1024 MiB = 18.2 GiB: stunned for 2 a_10 / 100. */
    double a10 = 1024 * pow(4.0 / 3, 10);
    CHECK_EQ_I(st_num(sim, "D.iterations"), 10);
    CHECK_NEAR(st_num(sim, "D.stun_time"), 2 * a10 / 100, 0.05);
    ss_sim_free(sim);
    snprintf(src, sizeof src, tmpl, "false");
    sim = st_run("nc.lua", src, NULL, &err);
    if (!sim) { fprintf(stderr, "%s\n", err.msg); CHECK(0); return; }
    char b[200];
    CHECK_CONTAINS(st_str(sim, "F.detail", b, sizeof b), "maximum consolidate retries was exceeded");
    CHECK_EQ_I(st_num(sim, "F.iterations"), 10);
    CHECK_STR(st_str(sim, "TOPKIND", b, sizeof b), "helper");
    ss_sim_free(sim);
}

static const struct tl_test tl_tests[] = {
    TL(t_two_merges_share), TL(t_helper_converges), TL(t_helper_no_convergence), { 0, 0 },
};

int main(int argc, char **argv) { return tl_main(tl_tests, argc, argv); }
