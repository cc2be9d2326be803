/*
 * test_chain.c -- disk chains and snapshot deletion (SPEC §2.1-§2.3) run
 * through real Lua scenarios.  Expected numbers are derived by hand in the
 * comments; GiB = 2^30 B.
 */
#include "simtest.h"
#include "snapsim/format.h"

/* A VM "v" on datastore "ds" with a thick 30 GB disk in FORMAT; the
 * results of deletions land in R (done) and F (failed/refused). */
#define PRELUDE(cap, fmt)                                                                   \
    "scenario { name = 't', duration = '2h', seed = 3 }\n"                                  \
    "datastore 'ds' { capacity = '" cap "', bandwidth = '100MB/s' }\n"                      \
    "host 'h' {}\n"                                                                         \
    "vm 'v' { host = 'h', datastore = 'ds', memory = '1GB', power = 'on',\n"                \
    "         disk = { size = '30GB', format = '" fmt "' } }\n"                                 \
    "GB = 2^30\n"                                                                           \
    "R, F = {}, {}\n"                                                                       \
    "on('consolidation_done', function(e) R[#R+1] = e end)\n"                               \
    "on('consolidation_failed', function(e) F[#F+1] = e end)\n"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) n = 0;
    b[n] = 0;
    fclose(f);
    return b;
}

static ss_sim *run_seed(const char *format, const char *strategy)
{
    char *src = slurp(SNAPSIM_SOURCE_DIR "/scenarios/seed_vi3.lua");
    CHECK(src != NULL);
    char *full = malloc(strlen(src) + 200);
    sprintf(full, "FORMAT = '%s'\nSTRATEGY = '%s'\n%s", format, strategy, src);
    ss_error err = { 0, "" };
    ss_sim *sim = st_run("seed_vi3.lua", full, NULL, &err);
    if (!sim) fprintf(stderr, "seed: %s\n", err.msg);
    free(src);
    free(full);
    return sim;
}

/* The seed's three numbers, exactly, with the ideal format: deleting the
 * newest snapshot needs 15 GB, the first 0, Delete All (ESX 3.x) 15+17 =
 * 32 GB.  Bytes copied: 15; 5; 15 + 17 + 22 = 54 GB (each merge copies
 * the child's whole content, and the merged 000002 holds 17, 000001 22). */
static void t_seed_ideal(void)
{
    ss_sim *sim = run_seed("ideal", "esx35");
    if (!sim) { CHECK(0); return; }
    CHECK_EQ_U(st_num(sim, "RESULTS['vi3-newest'].peak_extra_bytes"), 15 * GiB);
    CHECK_EQ_U(st_num(sim, "RESULTS['vi3-newest'].worst_case_bytes"), 15 * GiB);
    CHECK_EQ_U(st_num(sim, "RESULTS['vi3-newest'].bytes_copied"), 15 * GiB);
    CHECK_EQ_U(st_num(sim, "RESULTS['vi3-first'].peak_extra_bytes"), 0);
    CHECK_EQ_U(st_num(sim, "RESULTS['vi3-first'].worst_case_bytes"), 0);
    CHECK_EQ_U(st_num(sim, "RESULTS['vi3-first'].bytes_copied"), 5 * GiB);
    CHECK_EQ_U(st_num(sim, "RESULTS['vi3-all'].peak_extra_bytes"), 32 * GiB);
    CHECK_EQ_U(st_num(sim, "RESULTS['vi3-all'].worst_case_bytes"), 32 * GiB);
    CHECK_EQ_U(st_num(sim, "RESULTS['vi3-all'].bytes_copied"), 54 * GiB);
    /* After Delete All only the flat file is left: 30 GB used. */
    CHECK_EQ_U(st_num(sim, "datastore_state('ds-vi3-all').used"), 30 * GiB);
    CHECK_EQ_U(st_num(sim, "#snapshots('vi3-all')"), 0);
    /* After deleting s3, 000002 holds 2 + 15 GB and is the top. */
    CHECK_EQ_U(st_num(sim, "datastore_state('ds-vi3-newest').used"), (30 + 5 + 17) * GiB);
    CHECK_EQ_U(st_num(sim, "#snapshots('vi3-newest')"), 2);
    /* A copy of X bytes costs 2X of I/O at 100 MB/s: 15 GB take 307.2 s. */
    CHECK_NEAR(st_num(sim, "RESULTS['vi3-newest'].duration"), 2 * 15 * 1024 / 100.0, 1e-3);
    ss_sim_free(sim);
}

/* Oldest first into a thick base needs no extra space at all. */
static void t_seed_vsphere41(void)
{
    ss_sim *sim = run_seed("ideal", "vsphere41");
    if (!sim) { CHECK(0); return; }
    CHECK_EQ_U(st_num(sim, "RESULTS['vi3-all'].peak_extra_bytes"), 0);
    CHECK_EQ_U(st_num(sim, "RESULTS['vi3-all'].worst_case_bytes"), 0);
    CHECK_EQ_U(st_num(sim, "RESULTS['vi3-all'].bytes_copied"), 22 * GiB);
    ss_sim_free(sim);
}

/* vmfsSparse: the same within the metadata overhead.  A vmfsSparse delta
 * holding D bytes in fresh 2 MiB regions needs D/128 of grain tables, at
 * most one 16 MiB step of rounding, plus the helper delta created at the
 * start (16 MiB + 2048 + 4*15360 bytes). */
static void t_seed_vmfssparse(void)
{
    ss_sim *sim = run_seed("vmfsSparse", "esx35");
    if (!sim) { CHECK(0); return; }
    double helper = 16 * MiB + 2048 + 4 * 15360;
    double p1 = st_num(sim, "RESULTS['vi3-newest'].peak_extra_bytes");
    CHECK(p1 >= 15 * GiB && p1 <= 15 * GiB * (1 + 1.0 / 128) + 16 * MiB + helper);
    double p2 = st_num(sim, "RESULTS['vi3-first'].peak_extra_bytes");
    CHECK(p2 >= 0 && p2 <= helper);
    double p3 = st_num(sim, "RESULTS['vi3-all'].peak_extra_bytes");
    CHECK(p3 >= 32 * GiB && p3 <= 32 * GiB * (1 + 1.0 / 128) + 2 * 16 * MiB + helper);
    ss_sim_free(sim);
}

/* The vmfsSparse formula against an ESX listing (facts §1): a 100 GiB
 * disk, deltas of 16,984,064, 1,224,943,616 and 1,594,042,368 bytes =
 * 2048 + 204,800 + k * 16 MiB for k = 1, 73, 95.  A delta with A grains
 * in T regions has k = max(1, ceil((512 A + 16 KiB T) / 16 MiB)). */
static void t_vmfssparse_formula(void)
{
    const ss_format *f = ss_format_find("vmfsSparse");
    uint64_t C = 100ULL << 30;
    CHECK_EQ_U(ss_format_filesize(f, C, 0, 0), 16984064ULL);
    /* k = 73: e.g. 1,151 MiB of data in 576 regions: 512A = 1151 MiB,
     * 16 KiB * 576 = 9 MiB, total 1160 MiB -> ceil(1160/16) = 73 (72.5). */
    CHECK_EQ_U(ss_format_filesize(f, C, 1151ULL * 2048, 576), 1224943616ULL);
    /* k = 95: 1,500 MiB in 750 regions: 1500 + 11.72 = 1511.7 MiB -> 95 */
    CHECK_EQ_U(ss_format_filesize(f, C, 1500ULL * 2048, 750), 1594042368ULL);
    /* One step more as soon as one byte more is needed. */
    CHECK_EQ_U(ss_format_filesize(f, C, 16ULL * 2048 - 32, 1), 16984064ULL);
    CHECK_EQ_U(ss_format_filesize(f, C, 16ULL * 2048 - 31, 1), 16984064ULL + (16ULL << 20));
    const ss_format *id = ss_format_find("ideal");
    CHECK_EQ_U(ss_format_filesize(id, C, 1000, 7), 4096000ULL);
    CHECK(ss_format_find("nope") == NULL);
}

/* Overlapping writes: 000001 = [0,4G), 000002 = [2G,6G), 000003 = [5G,8G).
 * Delete All, esx35: 000003 into 000002 adds [6G,8G) = 2 GB; the merged
 * 000002 = [2G,8G) into 000001 adds [4G,8G) = 4 GB; into the thick base 0.
 * Peak extra 6 GB (not the seed's 3 + 6 = 9 GB worst case); copied
 * 3 + 6 + 8 = 17 GB. */
static void t_overlap_delete_all(void)
{
    const char *src = PRELUDE("100GB", "ideal")
        "at(0, function()\n"
        "  snapshot('v','s1'); write('v', {offset = 0, bytes = 4*GB})\n"
        "  snapshot('v','s2'); write('v', {offset = 2*GB, bytes = 4*GB})\n"
        "  snapshot('v','s3'); write('v', {offset = 5*GB, bytes = 3*GB})\n"
        "  delete_all('v', {strategy = 'esx35'})\n"
        "end)\n";
    ss_error err;
    ss_sim *sim = st_run("overlap.lua", src, NULL, &err);
    if (!sim) { fprintf(stderr, "%s\n", err.msg); CHECK(0); return; }
    CHECK_EQ_U(st_num(sim, "R[1].peak_extra_bytes"), 6 * GiB);
    CHECK_EQ_U(st_num(sim, "R[1].worst_case_bytes"), 9 * GiB);
    CHECK_EQ_U(st_num(sim, "R[1].bytes_copied"), 17 * GiB);
    CHECK_EQ_U(st_num(sim, "datastore_state('ds').used"), 30 * GiB);
    ss_sim_free(sim);
}

/* Deleting the middle snapshot merges 000002 into 000001: it grows by
 * [4G,6G) = 2 GB; the worst case is 000002's size, 4 GB. */
static void t_overlap_delete_middle(void)
{
    const char *src = PRELUDE("100GB", "ideal")
        "at(0, function()\n"
        "  snapshot('v','s1'); write('v', {offset = 0, bytes = 4*GB})\n"
        "  snapshot('v','s2'); write('v', {offset = 2*GB, bytes = 4*GB})\n"
        "  snapshot('v','s3'); write('v', {offset = 5*GB, bytes = 3*GB})\n"
        "  delete_snapshot('v', 's2')\n"
        "end)\n"
        "at('1h', function() S = snapshots('v'); U = datastore_state('ds').used end)\n";
    ss_error err;
    ss_sim *sim = st_run("middle.lua", src, NULL, &err);
    if (!sim) { fprintf(stderr, "%s\n", err.msg); CHECK(0); return; }
    CHECK_EQ_U(st_num(sim, "R[1].peak_extra_bytes"), 2 * GiB);
    CHECK_EQ_U(st_num(sim, "R[1].worst_case_bytes"), 4 * GiB);
    CHECK_EQ_U(st_num(sim, "R[1].bytes_copied"), 4 * GiB);
    CHECK_EQ_U(st_num(sim, "#S"), 2);
    char b[64];
    CHECK_STR(st_str(sim, "S[1] .. ',' .. S[2]", b, sizeof b), "s1,s3");
    /* 30 + 6 (000001 = [0,6G)) + 3 (000003) */
    CHECK_EQ_U(st_num(sim, "U"), 39 * GiB);
    ss_sim_free(sim);
}

/* Revert and branches.  s1; A=[0,1G) -> 000001; s2; B=[1G,2G) -> 000002.
 * revert s1: 000002 discarded (-1 GB), 000003 starts under the flat file;
 * the VM is off (disk-only snapshot).  Power on, write C=[5G,6G): the flat
 * file now has two children (000001 of s2, and 000003): a branch.  Then
 * revert s2: 000003 discarded, 000004 starts under 000001. */
static void t_revert_branches(void)
{
    const char *src = PRELUDE("100GB", "ideal")
        "at(0, function()\n"
        "  snapshot('v','s1'); write('v', {offset = 0, bytes = 1*GB})\n"
        "  snapshot('v','s2'); write('v', {offset = 1*GB, bytes = 1*GB})\n"
        "  revert('v', 's1')\n"
        "  P1 = vm_state('v').power; U1 = datastore_state('ds').used; S1 = #snapshots('v')\n"
        "  power_on('v'); write('v', {offset = 5*GB, bytes = 1*GB})\n"
        "  U2 = datastore_state('ds').used; D2 = vm_state('v').chain_depth; N2 = #vm_state('v').files\n"
        "  revert('v', 's2')\n"
        "  U3 = datastore_state('ds').used; S3 = #snapshots('v'); D3 = vm_state('v').chain_depth\n"
        "  local st = vm_state('v'); TOP = st.files[#st.files].name; PARENT = st.files[#st.files].parent\n"
        "  delete_snapshot('v', 's1')\n"
        "end)\n"
        "at('1h', function() U4 = datastore_state('ds').used; S4 = #snapshots('v') end)\n";
    ss_error err;
    ss_sim *sim = st_run("revert.lua", src, NULL, &err);
    if (!sim) { fprintf(stderr, "%s\n", err.msg); CHECK(0); return; }
    char b[128];
    CHECK_STR(st_str(sim, "P1", b, sizeof b), "off");
    CHECK_EQ_U(st_num(sim, "U1"), 31 * GiB);        /* flat + 000001 */
    CHECK_EQ_U(st_num(sim, "S1"), 1);
    CHECK_EQ_U(st_num(sim, "U2"), 32 * GiB);        /* + 000003 with C */
    CHECK_EQ_U(st_num(sim, "D2"), 1);
    CHECK_EQ_U(st_num(sim, "N2"), 3);               /* flat, 000001, 000003 */
    CHECK_EQ_U(st_num(sim, "U3"), 31 * GiB);        /* 000003 discarded */
    CHECK_EQ_U(st_num(sim, "S3"), 2);
    CHECK_EQ_U(st_num(sim, "D3"), 2);
    CHECK_STR(st_str(sim, "TOP", b, sizeof b), "v-000004-delta.vmdk");
    CHECK_STR(st_str(sim, "PARENT", b, sizeof b), "v-000001-delta.vmdk");
    /* Deleting s1 merges its only child 000001 into the flat file: 0 extra,
     * the flat file is thick; 000004 now sits on the flat file. */
    CHECK_EQ_U(st_num(sim, "U4"), 30 * GiB);
    CHECK_EQ_U(st_num(sim, "S4"), 1);
    ss_sim_free(sim);
}

/* A snapshot whose file serves two branches keeps its file. */
static void t_delete_shared(void)
{
    const char *src = PRELUDE("100GB", "ideal")
        "at(0, function()\n"
        "  snapshot('v','s1'); write('v', {offset = 0, bytes = 1*GB})\n"
        "  snapshot('v','s2'); write('v', {offset = 1*GB, bytes = 1*GB})\n"
        "  revert('v', 's2'); power_on('v'); write('v', {offset = 3*GB, bytes = 1*GB})\n"
        "  snapshot('v','s3')\n"
        "  revert('v', 's2'); power_on('v'); write('v', {offset = 4*GB, bytes = 2*GB})\n"
        "  U0 = datastore_state('ds').used\n"
        "  delete_snapshot('v', 's2')\n"
        "end)\n"
        "at('1h', function() U1 = datastore_state('ds').used; S = #snapshots('v') end)\n";
    ss_error err;
    ss_sim *sim = st_run("shared.lua", src, NULL, &err);
    if (!sim) { fprintf(stderr, "%s\n", err.msg); CHECK(0); return; }
    /* 000001 (1G) now has two children: 000004 (frozen by s3, 1 GB) and
     * 000006 (current, 2 GB): s2 goes from the tree, no data moves. */
    CHECK_EQ_U(st_num(sim, "U0"), (30 + 1 + 1 + 2) * GiB);
    CHECK_EQ_U(st_num(sim, "U1"), (30 + 1 + 1 + 2) * GiB);
    CHECK_EQ_U(st_num(sim, "S"), 1);
    CHECK_EQ_U(st_num(sim, "R[1].bytes_copied"), 0);
    char b[128];
    CHECK_CONTAINS(st_str(sim, "R[1].detail", b, sizeof b), "shared by several branches");
    ss_sim_free(sim);
}

/* Precheck: 50 GB datastore, thick 30 + 5 + 2 + 10 = 47 GB used, 3 free.
 * Delete All esx35 needs 10 + 12 = 22 GB: refused, nothing changes.
 * Without precheck the first merge cannot grow 000002 by 10 GB: failed. */
static void t_precheck_refusal(void)
{
    const char *src = PRELUDE("50GB", "ideal")
        "at(0, function()\n"
        "  snapshot('v','s1'); write('v', {offset = 0, bytes = 5*GB})\n"
        "  snapshot('v','s2'); write('v', {offset = 5*GB, bytes = 2*GB})\n"
        "  snapshot('v','s3'); write('v', {offset = 7*GB, bytes = 10*GB})\n"
        "  U0 = datastore_state('ds').used; N0 = #vm_state('v').files\n"
        "  OK, WHY = delete_all('v', {strategy = 'esx35'})\n"
        "  U1 = datastore_state('ds').used; N1 = #vm_state('v').files; S1 = #snapshots('v')\n"
        "  OK2 = delete_all('v', {strategy = 'esx35', precheck = false})\n"
        "end)\n"
        "at('1h', function() U2 = datastore_state('ds').used; S2 = #snapshots('v') end)\n";
    ss_error err;
    ss_sim *sim = st_run("precheck.lua", src, NULL, &err);
    if (!sim) { fprintf(stderr, "%s\n", err.msg); CHECK(0); return; }
    char b[300];
    CHECK_EQ_U(st_num(sim, "U0"), 47 * GiB);
    CHECK_STR(st_str(sim, "OK", b, sizeof b), "false");
    CHECK_CONTAINS(st_str(sim, "WHY", b, sizeof b), "needs 23622320128 bytes");   /* 22 GiB */
    CHECK_CONTAINS(st_str(sim, "WHY", b, sizeof b), "3221225472 free");           /* 3 GiB */
    CHECK_EQ_U(st_num(sim, "U1"), 47 * GiB);
    CHECK_EQ_U(st_num(sim, "N1"), st_num(sim, "N0"));
    CHECK_EQ_U(st_num(sim, "S1"), 3);
    CHECK_STR(st_str(sim, "OK2", b, sizeof b), "true");
    CHECK_EQ_U(st_num(sim, "#F"), 2);
    CHECK_CONTAINS(st_str(sim, "F[1].detail", b, sizeof b), "refused by precheck");
    CHECK_CONTAINS(st_str(sim, "F[2].detail", b, sizeof b), "cannot grow");
    ss_sim_free(sim);
}

/* Bad actions raise Lua errors with the reason (caught here by pcall). */
static void t_bad_actions(void)
{
    const char *src = PRELUDE("100GB", "ideal")
        "E = {}\n"
        "local function try(k, f, ...)\n"
        "  local a = table.pack(...)\n"
        "  local ok, m = pcall(function() return f(table.unpack(a, 1, a.n)) end)\n"
        "  E[k] = ok and 'no error' or m\n"
        "end\n"
        "at(0, function()\n"
        "  snapshot('v','s1'); write('v', {offset = 0, bytes = 1*GB})\n"
        "  snapshot('v','s2'); write('v', {offset = 1*GB, bytes = 1*GB})\n"
        "  try('unknown', delete_snapshot, 'v', 'nope')\n"
        "  try('unknownvm', snapshot, 'w', 'x')\n"
        "  delete_snapshot('v', 's1')\n"
        "  try('second', delete_snapshot, 'v', 's2')\n"
        "  try('dup', snapshot, 'v', 's2')\n"
        "end)\n"
        "at('1h', function()\n"
        "  try('reverted', revert, 'v', 's1')\n"
        "  power_off('v')\n"
        "  try('off', write, 'v', {offset = 0, bytes = 4096})\n"
        "  try('strategy', delete_all, 'v', {strategy = 'esx99'})\n"
        "end)\n";
    ss_error err;
    ss_sim *sim = st_run("bad.lua", src, NULL, &err);
    if (!sim) { fprintf(stderr, "%s\n", err.msg); CHECK(0); return; }
    char b[300];
    CHECK_CONTAINS(st_str(sim, "E.unknown", b, sizeof b), "has no snapshot \"nope\"");
    CHECK_CONTAINS(st_str(sim, "E.unknownvm", b, sizeof b), "unknown vm \"w\"");
    CHECK_CONTAINS(st_str(sim, "E.second", b, sizeof b), "already running on vm v");
    CHECK_CONTAINS(st_str(sim, "E.dup", b, sizeof b), "busy");
    CHECK_CONTAINS(st_str(sim, "E.reverted", b, sizeof b), "has no snapshot \"s1\" (deleted");
    CHECK_CONTAINS(st_str(sim, "E.off", b, sizeof b), "vm v is off");
    CHECK_CONTAINS(st_str(sim, "E.strategy", b, sizeof b), "expected one of esx35");
    /* The messages carry the scenario's file:line. */
    CHECK_CONTAINS(st_str(sim, "E.unknown", b, sizeof b), "bad.lua:");
    ss_sim_free(sim);
}


/* Datastore full: 40 GB; v's thick base 30 GB, a spacer VM's 5 GB base and
 * a 2 GB delta: 3 GB free.  v writes sequentially (every write new) 4 KiB
 * at 1000 I/O per second, constant arrivals, into a delta taken at 0:
 * write k happens at k/1000 s and needs k*4 KiB; 3 GiB = 786432 writes fit,
 * write 786433 at 786.433 s stalls.  At 1000 s the spacer's snapshot is
 * deleted: 2 GiB merged into its thick base take 2*2 GiB / 100 MiB/s =
 * 40.96 s, then 2 GiB are freed and v resumes at 1040.96 s, 254.527 s
 * after it stalled.  By 1200 s it has done 786433 + 1000*(1200-1040.96) =
 * 945473 writes, all of them in its delta: nothing was lost. */
static void t_stall_and_resume(void)
{
    const char *src =
        "scenario { name = 'stall', duration = 1200, seed = 1 }\n"
        "datastore 'ds' { capacity = '40GB', bandwidth = '100MB/s' }\n"
        "host 'h' {}\n"
        "vm 'v' { host = 'h', datastore = 'ds', memory = '1GB', disk = { size = '30GB', format = 'ideal' },\n"
        "         workload = { iops = 1000, io_size = '4KB', arrivals = 'constant', pattern = 'sequential' } }\n"
        "vm 'spacer' { host = 'h', datastore = 'ds', memory = '1GB', disk = { size = '5GB', format = 'ideal' } }\n"
        "GB = 2^30\n"
        "at(0, function() snapshot('v', 's'); snapshot('spacer', 'x'); write('spacer', {offset = 0, bytes = 2*GB}) end)\n"
        "at(1000, function() delete_snapshot('spacer', 'x') end)\n"
        "on('vm_stalled', function(e) ST = e.t end)\n"
        "on('datastore_full', function(e) FULL = e.t end)\n"
        "on('vm_resumed_io', function(e) RT = e.t; LEN = e.value end)\n"
        "at(1200, function() local f = vm_state('v').files; A = f[#f].allocated; W = vm_state('v').bytes_written end)\n";
    ss_error err;
    ss_sim *sim = st_run("stall.lua", src, NULL, &err);
    if (!sim) { fprintf(stderr, "%s\n", err.msg); CHECK(0); return; }
    CHECK_NEAR(st_num(sim, "ST"), 786.433, 1e-6);
    CHECK_NEAR(st_num(sim, "FULL"), 786.433, 1e-6);
    CHECK_NEAR(st_num(sim, "RT"), 1040.96, 1e-6);
    CHECK_NEAR(st_num(sim, "LEN"), 254.527, 1e-6);
    CHECK_EQ_U(st_num(sim, "W"), 945473.0 * 4096);
    CHECK_EQ_U(st_num(sim, "A"), 945473.0 * 4096);
    ss_sim_free(sim);
}

/* Uniform random 4 KiB writes through a VM's workload: k = 262144 writes
 * (1024/s constant for 256 s) on N = 262144 slots (a 1 GiB disk, ideal
 * format).  Distinct grains: E = N(1-(1-1/N)^k), Var = N(N-1)(1-2/N)^k +
 * N(1-1/N)^k - N^2(1-1/N)^{2k}; 5 standard deviations (about 5 * 214). */
static void t_uniform_occupancy(void)
{
    const char *src =
        "scenario { name = 'occ', duration = 256, seed = 42 }\n"
        "datastore 'ds' { capacity = '10GB', bandwidth = '1GB/s' }\n"
        "host 'h' {}\n"
        "vm 'v' { host = 'h', datastore = 'ds', disk = { size = '1GB', format = 'ideal' },\n"
        "         workload = { iops = 1024, io_size = '4KB', arrivals = 'constant', pattern = 'uniform' } }\n"
        "at(0, function() snapshot('v', 's') end)\n"
        "at(256, function() local f = vm_state('v').files; A = f[#f].allocated / 4096; W = vm_state('v').bytes_written / 4096 end)\n";
    ss_error err;
    ss_sim *sim = st_run("occ.lua", src, NULL, &err);
    if (!sim) { fprintf(stderr, "%s\n", err.msg); CHECK(0); return; }
    double N = 262144, k = 262144;
    double E = N * (1 - pow(1 - 1 / N, k));
    double V = N * (N - 1) * pow(1 - 2 / N, k) + N * pow(1 - 1 / N, k) - N * N * pow(1 - 1 / N, 2 * k);
    CHECK_EQ_U(st_num(sim, "W"), k);
    CHECK_NEAR(st_num(sim, "A"), E, 5 * sqrt(V));
    ss_sim_free(sim);
}

/* write() with a rate: 10 MiB sequential at 1 MiB/s is applied one
 * second's worth at the end of each second: 5 MiB at 5 s (checked just
 * after), all 10 MiB from 10 s on.  Random writes: 4 MiB of 64 KiB writes
 * at 2 MiB/s, uniform: 64 writes over 2 s, each a whole 64 KiB. */
static void t_write_rate(void)
{
    const char *src = PRELUDE("100GB", "ideal")
        "at(0, function() snapshot('v','s')\n"
        "  write('v', {offset = 0, bytes = '10MiB', rate = '1MiB/s'})\n"
        "  write('v', {bytes = '4MiB', io_size = '64KB', rate = '2MiB/s', pattern = 'uniform', disk = 1}) end)\n"
        "local function alloc() local f = vm_state('v').files; return f[#f].allocated end\n"
        "at(5.5, function() A5 = alloc(); W5 = vm_state('v').bytes_written end)\n"
        "at(20, function() A20 = alloc(); W20 = vm_state('v').bytes_written end)\n";
    ss_error err;
    ss_sim *sim = st_run("rate.lua", src, NULL, &err);
    if (!sim) { fprintf(stderr, "%s\n", err.msg); CHECK(0); return; }
    CHECK_EQ_U(st_num(sim, "W5"), 5 * MiB + 4 * MiB);
    CHECK_EQ_U(st_num(sim, "W20"), 14 * MiB);
    /* The random 64 KiB writes may overlap the range or each other:
     * allocated is at most the sum and at least the 10 MiB range. */
    CHECK(st_num(sim, "A20") >= 10 * MiB && st_num(sim, "A20") <= 14 * MiB);
    CHECK(st_num(sim, "A5") >= 5 * MiB && st_num(sim, "A5") <= 9 * MiB);
    ss_sim_free(sim);
}

static const struct tl_test tl_tests[] = {
    TL(t_seed_ideal), TL(t_seed_vsphere41), TL(t_seed_vmfssparse), TL(t_vmfssparse_formula),
    TL(t_overlap_delete_all), TL(t_overlap_delete_middle), TL(t_revert_branches), TL(t_delete_shared),
    TL(t_precheck_refusal), TL(t_bad_actions), TL(t_stall_and_resume), TL(t_uniform_occupancy), TL(t_write_rate), { 0, 0 },
};

int main(int argc, char **argv) { return tl_main(tl_tests, argc, argv); }
