/*
 * main.c -- the snapsim command line (README.md, docs/language.md):
 *
 *   snapsim run SCENARIO.lua [-o OUT.h5] [--seed N] [--duration D] [--set k=v]... [-q|--verbose]
 *   snapsim run SCENARIO.lua --replications N [-j J] -o DIR [--resume]
 *   snapsim sweep SCENARIO.lua --param NAME=v1,v2,... [...] [--replications N] [-j J] -o DIR [--resume]
 *   snapsim check SCENARIO.lua
 *   snapsim demo [-o OUT.h5] [--set k=v]... [--seed N] [--duration D] [-q|--verbose]
 *   snapsim help [TOPIC]                  the scenario language (docs/language.md)
 *   snapsim --help | --version
 *
 * Exit status: 0 ok, 1 scenario or model error, 2 usage error.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "snapsim/experiment.h"
#include "snapsim/reference.h"
#include "snapsim/sim.h"
#include "snapsim/sweep.h"
#include "snapsim/units.h"

extern const char ss_demo_source[];   /* scenarios/seed_vi3.lua, embedded by CMake */

static const char usage[] =
    "usage: snapsim run SCENARIO.lua [-o OUT.h5] [--seed N] [--duration D] [--set NAME=VALUE]... [-q|--verbose]\n"
    "       snapsim run SCENARIO.lua --replications N [-j J] -o DIR [--resume]\n"
    "       snapsim sweep SCENARIO.lua --param NAME=v1,v2,... [--param ...] [--replications N] [-j J] -o DIR [--resume]\n"
    "       mpirun -n K snapsim sweep ...   the same sweep over MPI ranks\n"
    "       snapsim check SCENARIO.lua      validate only, run nothing\n"
    "       snapsim demo [-o OUT.h5] [--set NAME=VALUE]... [--seed N] [--duration D] [-q|--verbose]\n"
    "                                       the built-in seed walk-through, explained step by step\n"
    "       snapsim help [fields | functions | events | vmx | TABLE | FUNCTION | FIELD]\n"
    "                                       the scenario language's reference (docs/language.md)\n"
    "       snapsim --help | --version\n";

static const char help[] =
    "snapsim: a discrete-event simulator of virtual-disk I/O and VM snapshots.\n\n"
    "A Lua scenario describes datastores, hosts, VMs, guest workloads and what happens\n"
    "when (snapshots, reverts, deletions, suspends); snapsim runs it and writes an HDF5\n"
    "file (events, consolidations, series of datastore use, files and clocks).\n\n"
    "Options of run:\n"
    "  -o OUT.h5          output file (default: the scenario's name with .h5)\n"
    "  --seed N           seed of the random streams (overrides scenario{seed=})\n"
    "  --duration D       simulated duration, e.g. 7d (overrides scenario{duration=})\n"
    "  --set NAME=VALUE   define the global NAME before the scenario runs (a number\n"
    "                     if VALUE reads as one, else a string); repeatable\n"
    "  -q                 no progress display; the summary gives only the totals\n"
    "  -v, --verbose      the summary lists every deletion and VM\n\n"
    "Replications and sweeps (write DIR/pPPPP-rRRRR.h5 per run and DIR/index.h5):\n"
    "  --replications N   N runs; replication k's seeds derive from (seed, k), k = 0 is the plain run\n"
    "  --param NAME=VALUES  sweep NAME over v1,v2,... or FROM..TO[..STEP] (sweep; repeatable:\n"
    "                     the Cartesian product)\n"
    "  -j J               J runs at once in worker processes (default: one per core)\n"
    "  --resume           finish an interrupted experiment in DIR: redo what is missing or failed\n\n"
    "Exit status: 0 ok, 1 scenario or model error, 2 usage error.\n";

typedef struct progress { int on; double t0, last; } progress;

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void show_progress(void *ctx, double t, double dur, uint64_t events)
{
    progress *p = ctx;
    double w = wall();
    if (!p->on || w - p->t0 < 1.5 || w - p->last < 0.25) return;
    p->last = w;
    char tb[64];
    ss_format_duration(ss_time_from_s(t), tb, sizeof tb);
    fprintf(stderr, "\r  simulated %s (%3.0f%%), %.2f M events/s   ", tb, 100.0 * t / dur,
            (double)events / (w - p->t0) / 1e6);
    fflush(stderr);
}

static int usage_error(const char *msg)
{
    fprintf(stderr, "snapsim: %s\n%s", msg, usage);
    return 2;
}

static char *default_out(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".lua") == 0) n -= 4;
    char *o = malloc(n + 4);
    if (!o) exit(1);
    memcpy(o, base, n);
    strcpy(o + n, ".h5");
    return o;
}

/* ---- replications and sweeps (include/snapsim/experiment.h) ---- */

/* The options only experiments take. */
typedef struct xopts {
    ss_plan plan;
    int replications;         /* 0: not given */
    int jobs;
    int resume;
} xopts;

/* Ctrl-C / SIGTERM during an experiment: stop cleanly (what is done stays
 * in DIR/journal for --resume). */
static volatile sig_atomic_t x_stop;
static void x_on_signal(int sig) { (void)sig; x_stop = 1; }

static void x_progress(void *ctx, const ss_xprogress *p)
{
    if (!*(int *)ctx) return;
    char eta[64] = "?";
    if (!isnan(p->eta_s)) ss_format_duration_human(p->eta_s, eta, sizeof eta);
    fprintf(stderr, "\r  %d/%d runs done%s%.0d%s, ETA %s   ", p->done, p->total, p->failed ? ", " : "", p->failed,
            p->failed ? " failed" : "", eta);
    if (p->done == p->total) fputs("\n", stderr);
    fflush(stderr);
}

static int run_experiment(const ss_options *opt, const char *dir, xopts *xo, int quiet)
{
    if (!dir) return usage_error("replications and sweeps need -o DIR (a directory)");
    if (xo->replications) xo->plan.replications = xo->replications;
    int show = !quiet && isatty(2);
    ss_experiment x = { *opt, &xo->plan, dir, xo->jobs, xo->resume, &x_stop, x_progress, &show, stdout };
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = x_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    ss_xoutcome out;
    ss_error err = { 0, "" };
    int rc = ss_experiment_run(&x, &out, &err);
    ss_plan_free(&xo->plan);
    if (rc != SS_OK) {
        fprintf(stderr, "snapsim: %s\n", err.msg);
        return rc == SS_ERR_USAGE ? 2 : 1;
    }
    if (out.rank != 0) return 0;
    if (out.interrupted) {
        fprintf(stderr, "\nsnapsim: interrupted: %d of %d runs done; %s/index.h5 holds them; finish with --resume\n",
                out.ok + out.failed, out.runs, dir);
        return 130;
    }
    char ranks[32] = "";
    if (out.ranks > 1) snprintf(ranks, sizeof ranks, " on %d MPI ranks", out.ranks);
    printf("  %d runs: %d ok, %d failed; %.2f s wall%s; index %s/index.h5\n", out.runs, out.ok, out.failed, out.wall_s,
           ranks, dir);
    return out.failed ? 1 : 0;
}

/* snapsim help TOPIC | help fields --markdown | help --list (the
 * scenario language's reference, include/snapsim/reference.h). */
static int help_topic(int argc, char **argv)
{
    if (argc == 1 && strcmp(argv[0], "--list") == 0) {
        ss_reference_names(stdout);
        return 0;
    }
    if (argc == 2 && strcmp(argv[0], "fields") == 0 && strcmp(argv[1], "--markdown") == 0) {
        ss_reference_markdown(stdout);
        return 0;
    }
    if (argc != 1) return usage_error("help takes one topic: fields, functions, events, vmx, a table, a function or a field");
    ss_error err = { 0, "" };
    if (ss_reference_print(stdout, argv[0], &err) != SS_OK) {
        fprintf(stderr, "snapsim: %s\n", err.msg);
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage_error("no command given");
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 && argc > 2) return help_topic(argc - 2, argv + 2);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(help, stdout);
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("snapsim %s\n", SNAPSIM_VERSION);
        return 0;
    }
    int is_run = strcmp(cmd, "run") == 0, is_check = strcmp(cmd, "check") == 0, is_demo = strcmp(cmd, "demo") == 0;
    int is_sweep = strcmp(cmd, "sweep") == 0;
    xopts xo = { { NULL, 0, 1 }, 0, 0, 0 };
    if (is_sweep) is_run = 1;   /* a sweep takes run's options too */
    if (!is_run && !is_check && !is_demo) {
        char m[300];
        snprintf(m, sizeof m, "unknown command \"%s\"", cmd);
        return usage_error(m);
    }
    ss_options opt;
    memset(&opt, 0, sizeof opt);
    const char *outpath = NULL;
    int quiet = 0, verbose = 0;
    ss_set sets[64];
    char *setbuf[64];
    int nsets = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-q") == 0) quiet = 1;
        else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) verbose = 1;
        else if (strcmp(a, "-o") == 0 && !is_check) {
            if (++i >= argc) return usage_error("-o needs a file name");
            outpath = argv[i];
        } else if (strcmp(a, "--seed") == 0 && (is_run || is_demo)) {
            if (++i >= argc) return usage_error("--seed needs a number");
            char *end;
            unsigned long long s = strtoull(argv[i], &end, 10);
            if (!*argv[i] || *end || argv[i][0] == '-') return usage_error("--seed needs a whole number >= 0");
            opt.has_seed = 1;
            opt.seed = s;
        } else if (strcmp(a, "--duration") == 0 && (is_run || is_demo)) {
            if (++i >= argc) return usage_error("--duration needs a duration like 7d");
            char why[160];
            if (ss_parse_duration(argv[i], &opt.duration, why, sizeof why) != SS_OK || opt.duration <= 0) {
                char m[300];
                snprintf(m, sizeof m, "--duration \"%s\": %s", argv[i], opt.duration <= 0 && !why[0] ? "must be > 0" : why);
                return usage_error(m);
            }
            opt.has_duration = 1;
        } else if (strcmp(a, "--set") == 0 && (is_run || is_check || is_demo)) {
            if (++i >= argc) return usage_error("--set needs NAME=VALUE");
            const char *eq = strchr(argv[i], '=');
            if (!eq || eq == argv[i] || nsets == 64) return usage_error("--set needs NAME=VALUE");
            setbuf[nsets] = strdup(argv[i]);
            setbuf[nsets][eq - argv[i]] = 0;
            sets[nsets].name = setbuf[nsets];
            sets[nsets].value = setbuf[nsets] + (eq - argv[i]) + 1;
            sets[nsets].option = NULL;
            nsets++;
        } else if ((strcmp(a, "--replications") == 0 || strcmp(a, "-j") == 0) && is_run) {
            if (++i >= argc) return usage_error(a[1] == 'j' ? "-j needs a number of jobs" : "--replications needs a number");
            char *end;
            long v = strtol(argv[i], &end, 10);
            if (!*argv[i] || *end || v < 1 || v > 1000000) {
                char m[300];
                snprintf(m, sizeof m, "%s \"%s\": expected a whole number from 1 to 1000000", a, argv[i]);
                return usage_error(m);
            }
            if (a[1] == 'j') xo.jobs = (int)v;
            else xo.replications = (int)v;
        } else if (strcmp(a, "--param") == 0 && is_sweep) {
            if (++i >= argc) return usage_error("--param needs NAME=v1,v2,...");
            ss_error e;
            if (ss_plan_param(&xo.plan, argv[i], &e) != SS_OK) return usage_error(e.msg);
        } else if (strcmp(a, "--resume") == 0 && is_run) {
            xo.resume = 1;
        } else if (a[0] == '-' && a[1]) {
            char m[300];
            snprintf(m, sizeof m, "unknown option \"%s\" for %s", a, cmd);
            return usage_error(m);
        } else if (!opt.path && !is_demo) {
            opt.path = a;
        } else {
            char m[300];
            snprintf(m, sizeof m, "unexpected argument \"%s\"", a);
            return usage_error(m);
        }
    }
    opt.sets = sets;
    opt.nsets = nsets;
    if (is_demo) {
        opt.path = "seed_vi3.lua (built in)";
        opt.source = ss_demo_source;
    } else if (!opt.path) {
        return usage_error("no scenario file given");
    }
    if (is_sweep && !xo.plan.nparams) return usage_error("sweep needs at least one --param NAME=v1,v2,...");
    if (is_sweep || xo.replications || xo.resume || xo.jobs) {
        if (!is_sweep && !xo.replications) return usage_error("-j and --resume go with --replications N (or sweep)");
        int rc = run_experiment(&opt, outpath, &xo, quiet);
        for (int k = 0; k < nsets; k++) free(setbuf[k]);
        return rc;
    }

    ss_error err = { 0, "" };
    ss_sim *sim = NULL;
    int status = 0;
    char *autoname = NULL;
    if (ss_sim_load(&sim, &opt, &err) != SS_OK) {
        fprintf(stderr, "snapsim: %s\n", err.msg);
        status = err.code == SS_ERR_USAGE ? 2 : 1;   /* e.g. a --set the scenario never reads */
    } else if (is_check) {
        printf("%s: ok (%s)\n", opt.path, ss_sim_name(sim));
    } else {
        if (!outpath && is_run) outpath = autoname = default_out(opt.path);
        progress p = { !quiet && isatty(2), wall(), 0 };
        ss_sim_set_progress(sim, show_progress, &p);
        double w0 = wall();
        int rc = ss_sim_run(sim, outpath, &err);
        if (p.on && wall() - p.t0 >= 1.5) fputs("\n", stderr);
        if (rc != SS_OK) {
            fprintf(stderr, "snapsim: %s\n", err.msg);
            status = 1;
        } else {
            double w = wall() - w0;
            ss_sim_summary_level(sim, stdout, verbose ? 2 : quiet ? 0 : 1);
            if (outpath) printf("  wrote %s\n", outpath);
            printf("  %.2f s wall: %.2f M engine events/s, %.2f M guest I/Os/s (%llu I/Os)\n", w,
                   w > 0 ? (double)ss_sim_events(sim) / w / 1e6 : 0.0,
                   w > 0 ? (double)ss_sim_guest_ios(sim) / w / 1e6 : 0.0, (unsigned long long)ss_sim_guest_ios(sim));
        }
    }
    ss_sim_free(sim);
    free(autoname);
    for (int i = 0; i < nsets; i++) free(setbuf[i]);
    return status;
}
