/*
 * test_scenario.c -- the scenario language: bad scenarios (file:line and
 * the field in every message), timing of at/after/every/on, the CLI end
 * to end, the HDF5 round trip and determinism.
 */
#include <hdf5.h>
#include <hdf5_hl.h>
#include <sys/wait.h>

#include "simtest.h"

#define OK_PRELUDE                                                        \
    "scenario { name = 't', duration = '1h', seed = 5 }\n"                \
    "datastore 'ds' { capacity = '100GB' }\n"                              \
    "host 'h' {}\n"

static ss_sim *load_only(const char *name, const char *src, ss_error *err)
{
    ss_sim *sim;
    return st_load(name, src, &sim, err) == SS_OK ? sim : NULL;
}

/* Each bad scenario: the message must name file:line and the field. */
static void t_bad_scenarios(void)
{
    static const struct { const char *src, *where, *field, *more; } cases[] = {
        { OK_PRELUDE "vm 'v' { disk = { size = '30 GX' } }\n", "bad.lua:4:", "disk.size", "unknown unit \"GX\"" },
        { OK_PRELUDE "vm 'v' { disk = { size = '30GB' }, colour = 'red' }\n", "bad.lua:4:", "colour", "expected one of" },
        { OK_PRELUDE "vm 'v' { host = 'nope', disk = { size = '30GB' } }\n", "bad.lua:4:", "field host", "declared host" },
        { OK_PRELUDE "vm 'v' { datastore = 'x', disk = { size = '30GB' } }\n", "bad.lua:4:", "field datastore", "\"x\"" },
        { OK_PRELUDE "vm 'v' { disk = { size = '-3GB' } }\n", "bad.lua:4:", "disk.size", "negative" },
        { OK_PRELUDE "vm 'v' { disk = { size = '30GB', format = 'vhdx' } }\n", "bad.lua:4:", "disk.format", "vmfsSparse" },
        { OK_PRELUDE "vm 'v' { disk = { size = '30GB' }, strategy = 'fast' }\n", "bad.lua:4:", "strategy", "esx35" },
        { OK_PRELUDE "vm 'v' { disk = { size = '30GB' },\n  workload = { rate = '3MB', pattern = 'uniform' } }\n", "bad.lua:4:", "workload.rate", "/s" },
        { OK_PRELUDE "vm 'v' { disk = { size = '30GB' },\n  workload = { rate = '3MB/s', pattern = 'random' } }\n", "bad.lua:4:", "workload.pattern", "\"random\"" },
        { OK_PRELUDE "vm 'v' { disk = { size = '30GB' }, clock = { drift_ppm = 'fast' } }\n", "bad.lua:4:", "clock.drift_ppm", "a number" },
        { OK_PRELUDE "vm 'v' { disk = { size = '30GB' }, clock = { resync = { boot = 1 } } }\n", "bad.lua:4:", "clock.resync.boot", "true or false" },
        { "scenario { name = 't', duration = '1x' }\n", "bad.lua:1:", "duration", "unknown unit" },
        { OK_PRELUDE "datastore 'd2' { capacity = '' }\n", "bad.lua:4:", "capacity", "empty" },
        { OK_PRELUDE "datastore 'd2' { bandwidth = '1MB/s' }\n", "bad.lua:4:", "capacity", "required" },
        { OK_PRELUDE "host 'h2' { datastores = { 'nope' } }\n", "bad.lua:4:", "datastores[1]", "declared datastore" },
        { OK_PRELUDE "vm 'v' { disk = { size = '30GB' },\n workload = { rate = '1MB/s', hot = { fraction = 1.5 } } }\n", "bad.lua:4:", "workload.hot.fraction", "1.5" },
        { OK_PRELUDE "vm 'v' { disk = { size = '30GB' }, power = 'maybe' }\n", "bad.lua:4:", "power", "\"maybe\"" },
        { OK_PRELUDE "\nvm 'v' { disk = { size = '30GB' } }\nsnapshot('v', 's')\n", "bad.lua:6:", "snapshot", "at(0" },
        { OK_PRELUDE "on('snapshot_made', function() end)\n", "bad.lua:4:", "snapshot_made", "unknown event kind" },
        /* Unknown names get the closest known one (edit distance <= 2). */
        { OK_PRELUDE "vm 'v' { dsk = { size = '30GB' } }\n", "bad.lua:4:", "unknown field dsk", "did you mean \"disk\"?" },
        { OK_PRELUDE "vm 'v' { disk = { size = '30GB' },\n  clock = { drift_pmm = 5 } }\n", "bad.lua:4:",
          "unknown field clock.drift_pmm", "did you mean \"drift_ppm\"?" },
        { OK_PRELUDE "datastore 'd2' { Capacity = '1GB' }\n", "bad.lua:4:", "Capacity", "did you mean \"capacity\"?" },
        { OK_PRELUDE "vm 'v' { disk = { size = '30GB' }, vmx = { ['snapshot.maxIteration'] = 3 } }\n", "bad.lua:4:",
          "snapshot.maxIteration", "did you mean \"snapshot.maxIterations\"?" },
        { OK_PRELUDE "on('snapshot_create', function() end)\n", "bad.lua:4:", "snapshot_create",
          "did you mean \"snapshot_created\"?" },
        { OK_PRELUDE "every('1h', function() end, { strat = '1h' })\n", "bad.lua:4:", "options.strat",
          "did you mean \"start\"?" },
        { OK_PRELUDE "every('-1h', function() end)\n", "bad.lua:4:", "every", "negative" },
        { OK_PRELUDE "x = io.open('/etc/passwd')\n", "bad.lua:4:", "io", "nil" },
        { OK_PRELUDE "vm 'v' { disk = { size = '30GB' } \n", "bad.lua:", "", "expected" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ss_error err = { 0, "" };
        ss_sim *sim = load_only("bad.lua", cases[i].src, &err);
        if (sim) {
            fprintf(stderr, "case %zu: loaded, expected an error\n", i);
            tl_failures++;
            ss_sim_free(sim);
            continue;
        }
        CHECK_EQ_I(err.code, SS_ERR_INPUT);
        CHECK_CONTAINS(err.msg, cases[i].where);
        CHECK_CONTAINS(err.msg, cases[i].field);
        CHECK_CONTAINS(err.msg, cases[i].more);
        /* file:line once, at the start. */
        const char *second = strstr(err.msg + 1, "bad.lua:");
        CHECK(strncmp(err.msg, "bad.lua:", 8) == 0);
        if (second) fprintf(stderr, "file:line twice: %s\n", err.msg);
        CHECK(second == NULL);
    }
    /* A name far from every field gets no guess. */
    ss_error err = { 0, "" };
    CHECK(load_only("bad.lua", OK_PRELUDE "vm 'v' { disk = { size = '30GB' }, colour = 'red' }\n", &err) == NULL);
    CHECK(strstr(err.msg, "did you mean") == NULL);
}

/* at(t) fires at t; after(d) at now+d; every(d, {start, stop}) at start,
 * start+d, ... up to stop; on(kind) right after the event, at its time. */
static void t_callback_timing(void)
{
    const char *src = OK_PRELUDE
        "vm 'v' { host = 'h', disk = { size = '1GB', format = 'ideal' } }\n"
        "T = {}\n"
        "at(90, function() T.at = now(); after('1m30s', function() T.after = now() end) end)\n"
        "E = {}\n"
        "every('10m', function() E[#E+1] = now() end, { start = '5m', stop = '35m' })\n"
        "at('20m', function() snapshot('v', 'x') end)\n"
        "on('snapshot_created', function(e) T.on = now(); T.ev_t = e.t; T.name = e.snapshot end)\n"
        "EV = {}\n"
        "every(3600, function() EV[#EV+1] = now() end)\n";
    ss_error err;
    ss_sim *sim = st_run("timing.lua", src, NULL, &err);
    if (!sim) { fprintf(stderr, "%s\n", err.msg); CHECK(0); return; }
    CHECK_EQ_I(st_num(sim, "T.at"), 90);
    CHECK_EQ_I(st_num(sim, "T.after"), 180);
    CHECK_EQ_I(st_num(sim, "#E"), 4);               /* 5, 15, 25, 35 min */
    CHECK_EQ_I(st_num(sim, "E[1]"), 300);
    CHECK_EQ_I(st_num(sim, "E[4]"), 2100);
    CHECK_EQ_I(st_num(sim, "T.on"), 1200);
    CHECK_EQ_I(st_num(sim, "T.ev_t"), 1200);
    char b[32];
    CHECK_STR(st_str(sim, "T.name", b, sizeof b), "x");
    CHECK_EQ_I(st_num(sim, "#EV"), 1);               /* at 3600 = the end */
    ss_sim_free(sim);
}

/* ---- HDF5 round trip and determinism ---- */

static const char *run_src =
    "scenario { name = 'roundtrip', duration = '2h', seed = 11, sample_every = '10m' }\n"
    "datastore 'ds' { capacity = '200GB', bandwidth = '200MB/s' }\n"
    "host 'h' {}\n"
    "vm 'v' { host = 'h', memory = '2GB', disk = { size = '20GB', format = 'vmfsSparse' },\n"
    "         workload = { rate = '2MB/s', io_size = '8KB', pattern = 'hotspot' } }\n"
    "at('10m', function() snapshot('v', 'a') end)\n"
    "at('40m', function() snapshot('v', 'b') end)\n"
    "at('70m', function() delete_all('v') end)\n"
    "every('30m', function() record('used', datastore_state('ds').used) end)\n";

static hid_t open_h5(const char *p) { return H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT); }

static void t_h5_roundtrip(void)
{
    const char *path = SNAPSIM_TMPDIR "/roundtrip.h5";
    ss_error err;
    ss_sim *sim = st_run("roundtrip.lua", run_src, path, &err);
    if (!sim) { fprintf(stderr, "%s\n", err.msg); CHECK(0); return; }
    double peak = st_num(sim, "datastore_state('ds').peak_used");
    ss_sim_free(sim);
    hid_t f = open_h5(path);
    CHECK(f >= 0);
    if (f < 0) return;
    char fmt[32] = "";
    H5LTget_attribute_string(f, "/", "format", fmt);
    CHECK_STR(fmt, "snapsim");
    long long ver = 0;
    H5LTget_attribute_long_long(f, "/", "format_version", &ver);
    CHECK_EQ_I(ver, 1);
    hsize_t nf, nr;
    CHECK(H5TBget_table_info(f, "/events", &nf, &nr) >= 0);
    CHECK_EQ_U(nf, 9);
    /* snapshot_created x2, consolidation_started, steps, done: >= 5 */
    CHECK(nr >= 5);
    /* consolidations: one row, result done, strategy esx35 */
    CHECK(H5TBget_table_info(f, "/consolidations", &nf, &nr) >= 0);
    CHECK_EQ_U(nr, 1);
    char result[16] = "", strat[16] = "";
    size_t off = 0, sz = 16;
    H5TBread_fields_name(f, "/consolidations", "result", 0, 1, 16, &off, &sz, result);
    H5TBread_fields_name(f, "/consolidations", "strategy", 0, 1, 16, &off, &sz, strat);
    CHECK_STR(result, "done");
    CHECK_STR(strat, "esx35");
    /* /series/user: record() at 30, 60, 90, 120 min */
    CHECK(H5TBget_table_info(f, "/series/user", &nf, &nr) >= 0);
    CHECK_EQ_U(nr, 4);
    /* /summary/datastores: the peak equals what datastore_state said */
    long long pk = 0;
    size_t o8 = 0, s8 = 8;
    H5TBread_fields_name(f, "/summary/datastores", "peak_used", 0, 1, 8, &o8, &s8, &pk);
    CHECK_EQ_U(pk, peak);
    /* /series/datastores: samples every 10 min from 0 plus state changes */
    CHECK(H5TBget_table_info(f, "/series/datastores", &nf, &nr) >= 0);
    CHECK(nr >= 13);
    char unit[8] = "";
    H5LTget_attribute_string(f, "/series/datastores", "unit_used", unit);
    CHECK_STR(unit, "B");
    H5Fclose(f);
}

static unsigned char *read_dataset(hid_t f, const char *name, size_t *n)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t t = H5Dget_type(d);
    hid_t s = H5Dget_space(d);
    hssize_t np = H5Sget_simple_extent_npoints(s);
    *n = (size_t)np * H5Tget_size(t);
    unsigned char *buf = malloc(*n + 1);
    if (np > 0) H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    H5Sclose(s);
    H5Tclose(t);
    H5Dclose(d);
    return buf;
}

static void t_determinism(void)
{
    const char *p1 = SNAPSIM_TMPDIR "/det1.h5", *p2 = SNAPSIM_TMPDIR "/det2.h5";
    ss_error err;
    ss_sim *a = st_run("det.lua", run_src, p1, &err);
    ss_sim *b = st_run("det.lua", run_src, p2, &err);
    CHECK(a && b);
    ss_sim_free(a);
    ss_sim_free(b);
    hid_t f1 = open_h5(p1), f2 = open_h5(p2);
    static const char *const sets[] = { "/events", "/consolidations", "/consolidation_steps", "/series/datastores",
                                        "/series/files", "/series/clocks", "/series/user", "/summary/vms" };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        size_t n1, n2;
        unsigned char *x = read_dataset(f1, sets[i], &n1), *y = read_dataset(f2, sets[i], &n2);
        CHECK_EQ_U(n1, n2);
        if (n1 == n2) CHECK(memcmp(x, y, n1) == 0);
        free(x);
        free(y);
    }
    H5Fclose(f1);
    H5Fclose(f2);
}

/* ---- the CLI, end to end ---- */

static int sh(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void t_cli(void)
{
    char cmd[2048];
    const char *bin = SNAPSIM_BINARY;
    snprintf(cmd, sizeof cmd, "%s --version > /dev/null", bin);
    CHECK_EQ_I(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s frobnicate 2> /dev/null", bin);
    CHECK_EQ_I(sh(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s run 2> /dev/null", bin);
    CHECK_EQ_I(sh(cmd), 2);
    snprintf(cmd, sizeof cmd, "%s check %s/scenarios/seed_vi3.lua > /dev/null", bin, SNAPSIM_SOURCE_DIR);
    CHECK_EQ_I(sh(cmd), 0);
    /* A failing scenario exits 1 and leaves no output file behind. */
    FILE *f = fopen(SNAPSIM_TMPDIR "/fails.lua", "w");
    fputs(OK_PRELUDE "vm 'v' { host = 'h', disk = { size = '1GB' } }\n"
                     "at('10m', function() revert('v', 'ghost') end)\n", f);
    fclose(f);
    remove(SNAPSIM_TMPDIR "/fails.h5");
    snprintf(cmd, sizeof cmd, "%s run %s/fails.lua -q -o %s/fails.h5 2> %s/fails.err", bin, SNAPSIM_TMPDIR,
             SNAPSIM_TMPDIR, SNAPSIM_TMPDIR);
    CHECK_EQ_I(sh(cmd), 1);
    CHECK(fopen(SNAPSIM_TMPDIR "/fails.h5", "r") == NULL);
    snprintf(cmd, sizeof cmd, "grep -q 'fails.lua:5:.*no snapshot \"ghost\"' %s/fails.err", SNAPSIM_TMPDIR);
    CHECK_EQ_I(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "ls %s | grep -q 'fails.h5.tmp'", SNAPSIM_TMPDIR);
    CHECK(sh(cmd) != 0);
    /* --set reaches the scenario; the demo runs. */
    snprintf(cmd, sizeof cmd, "%s run %s/scenarios/seed_vi3.lua --set STRATEGY=vsphere41 -q -o %s/set.h5 | grep -q vsphere41",
             bin, SNAPSIM_SOURCE_DIR, SNAPSIM_TMPDIR);
    CHECK_EQ_I(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s demo | grep -q '32.00 GB'", bin);
    CHECK_EQ_I(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s run %s/scenarios/seed_vi3.lua --duration 5x 2> /dev/null", bin, SNAPSIM_SOURCE_DIR);
    CHECK_EQ_I(sh(cmd), 2);
    /* help: a field by its path, a function with its option table, and a
     * topic that does not exist (exit 2, with the closest one). */
    snprintf(cmd, sizeof cmd, "%s help vm.clock.drift_ppm | grep -q 'guest clock.s drift'", bin);
    CHECK_EQ_I(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s help delete_all | grep -q '^  precheck '", bin);
    CHECK_EQ_I(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s help drift_pmm 2>&1 >/dev/null | grep -q 'did you mean \"drift_ppm\"'", bin);
    CHECK_EQ_I(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s help drift_pmm 2> /dev/null", bin);
    CHECK_EQ_I(sh(cmd), 2);
}

/* A deletion still running when the run ends gets a /consolidations row
 * with result "unfinished" and t_end = the end of the run: 8 GiB into a
 * thick base at 100 MiB/s takes 163.84 s, the run lasts 100 s. */
static void t_unfinished_consolidation(void)
{
    const char *path = SNAPSIM_TMPDIR "/unfinished.h5";
    const char *src =
        "scenario { name = 't', duration = 100, seed = 5 }\n"
        "datastore 'ds' { capacity = '100GB', bandwidth = '100MB/s' }\n"
        "host 'h' {}\n"
        "vm 'v' { host = 'h', disk = { size = '30GB', format = 'ideal' } }\n"
        "at(0, function() snapshot('v','s'); write('v', {offset = 0, bytes = 8 * 2^30}); delete_snapshot('v','s') end)\n";
    ss_error err;
    ss_sim *sim = st_run("unfinished.lua", src, path, &err);
    if (!sim) { fprintf(stderr, "%s\n", err.msg); CHECK(0); return; }
    ss_sim_free(sim);
    hid_t f = open_h5(path);
    hsize_t nf, nr;
    CHECK(H5TBget_table_info(f, "/consolidations", &nf, &nr) >= 0);
    CHECK_EQ_U(nr, 1);
    char result[16] = "";
    double t_end = 0;
    size_t off = 0, sz = 16, o8 = 0, s8 = 8;
    H5TBread_fields_name(f, "/consolidations", "result", 0, 1, 16, &off, &sz, result);
    H5TBread_fields_name(f, "/consolidations", "t_end", 0, 1, 8, &o8, &s8, &t_end);
    CHECK_STR(result, "unfinished");
    CHECK_NEAR(t_end, 100, 1e-9);
    H5Fclose(f);
}

/* No global state: two simulations loaded side by side, run in either
 * order, give what each gives alone. */
static void t_side_by_side(void)
{
    ss_options o;
    memset(&o, 0, sizeof o);
    o.path = "sbs.lua";
    o.source = run_src;
    o.out = st_null();
    ss_sim *a = NULL, *b = NULL, *alone = NULL;
    ss_error err;
    CHECK(ss_sim_load(&a, &o, &err) == SS_OK);
    o.has_seed = 1;
    o.seed = 99;
    CHECK(ss_sim_load(&b, &o, &err) == SS_OK);
    if (!a || !b) return;
    CHECK(ss_sim_run(b, NULL, &err) == SS_OK);   /* b first, then a */
    CHECK(ss_sim_run(a, NULL, &err) == SS_OK);
    o.has_seed = 0;
    CHECK(ss_sim_load(&alone, &o, &err) == SS_OK);
    CHECK(ss_sim_run(alone, NULL, &err) == SS_OK);
    CHECK_EQ_U(st_num(a, "vm_state('v').bytes_written"), st_num(alone, "vm_state('v').bytes_written"));
    CHECK_EQ_U(st_num(a, "datastore_state('ds').peak_used"), st_num(alone, "datastore_state('ds').peak_used"));
    CHECK(st_num(a, "vm_state('v').bytes_written") != st_num(b, "vm_state('v').bytes_written"));
    ss_sim_free(a);
    ss_sim_free(b);
    ss_sim_free(alone);
}

static const struct tl_test tl_tests[] = {
    TL(t_bad_scenarios), TL(t_callback_timing), TL(t_h5_roundtrip), TL(t_determinism), TL(t_cli), TL(t_unfinished_consolidation), TL(t_side_by_side), { 0, 0 },
};

int main(int argc, char **argv) { return tl_main(tl_tests, argc, argv); }
