/*
 * main.c -- the snapsim command line (README.md; `snapsim COMMAND --help`):
 *
 *   snapsim run SCENARIO.lua [-o OUT.h5] [--seed N] [--duration D] [--set k=v]... [-q|--verbose]
 *   snapsim run SCENARIO.lua --replications N [-j J] -o DIR [--resume]
 *   snapsim sweep SCENARIO.lua --param NAME=v1,v2,... [...] [--replications N] [-j J] -o DIR [--resume]
 *   snapsim check SCENARIO.lua
 *   snapsim demo [-o OUT.h5] [--set k=v]... [--seed N] [--duration D] [-q|--verbose]
 *   snapsim export RUN.h5 [--table T] [--format csv|json] [-o FILE]
 *   snapsim help [TOPIC]                  the scenario language (docs/language.md)
 *   snapsim --help | --version
 *
 * Options are parsed by getopt_long from one table, `options` below: a row
 * per option with its long and short names, its argument, the commands
 * that take it, what it does (a function that stores it) and its line of
 * help.  `snapsim COMMAND --help` is printed from the same rows, so a new
 * option is one row.  Long options take `--seed=5` or `--seed 5`; `--`
 * ends the options; `-` as the scenario reads it from standard input.
 *
 * Exit status: 0 ok, 1 scenario or model error, 2 usage error.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "snapsim/experiment.h"
#include "snapsim/limits.h"
#include "snapsim/export.h"
#include "snapsim/reference.h"
#include "snapsim/sim.h"
#include "snapsim/sweep.h"
#include "snapsim/units.h"

extern const char ss_demo_source[];   /* scenarios/seed_vi3.lua, embedded by CMake */

/* ---- the commands ---- */

enum { CMD_RUN = 1u, CMD_SWEEP = 2u, CMD_CHECK = 4u, CMD_DEMO = 8u, CMD_EXPORT = 16u };
#define CMD_SIMS (CMD_RUN | CMD_SWEEP | CMD_DEMO)
#define CMD_ALL (CMD_RUN | CMD_SWEEP | CMD_CHECK | CMD_DEMO | CMD_EXPORT)

typedef struct cli_cmd {
    const char *name;
    unsigned id;
    int npos;                 /* positional arguments it takes (the scenario, the run file) */
    const char *usage;        /* its synopsis lines, after "snapsim " */
    const char *what;
} cli_cmd;

static const cli_cmd commands[] = {
    { "run", CMD_RUN, 1,
      "run SCENARIO.lua [-o OUT.h5] [--seed N] [--duration D] [--set NAME=VALUE]... [-q|--verbose]\n"
      "run SCENARIO.lua --replications N [-j J] -o DIR [--resume]",
      "Run a scenario (a file, or - for standard input) and write its HDF5 file; with --replications,\n"
      "N runs whose seeds derive from (seed, k), each file and DIR/index.h5 in DIR." },
    { "sweep", CMD_SWEEP, 1,
      "sweep SCENARIO.lua --param NAME=v1,v2,... [--param ...] [--replications N] [-j J] -o DIR [--resume]",
      "Run the Cartesian product of the parameters (each a global the scenario reads), each point\n"
      "--replications times, into DIR (DIR/pPPPP-rRRRR.h5 and DIR/index.h5); under mpirun -n K\n"
      "the runs spread over the MPI ranks." },
    { "check", CMD_CHECK, 1, "check SCENARIO.lua [--set NAME=VALUE]...",
      "Validate a scenario (every declaration and field) and run nothing." },
    { "demo", CMD_DEMO, 0, "demo [-o OUT.h5] [--set NAME=VALUE]... [--seed N] [--duration D] [-q|--verbose]",
      "The built-in seed walk-through (scenarios/seed_vi3.lua), explained step by step." },
    { "export", CMD_EXPORT, 1, "export RUN.h5 [--table TABLE] [--format csv|json] [-o FILE]",
      "Write one table of a run file (or of an index.h5) as CSV or JSON to standard output (or FILE):\n"
      "consolidations, events, summary/datastores, series/files ... (docs/output.md). Without\n"
      "--table, list the file's tables." },
};
#define NCMDS ((int)(sizeof commands / sizeof commands[0]))

/* ---- what the options build ---- */

/* The options only experiments take. */
typedef struct xopts {
    ss_plan plan;
    int replications;         /* 0: not given */
    int jobs;
    int resume;
} xopts;

#define MAX_SETS 64

typedef struct cli {
    const cli_cmd *cmd;
    ss_options opt;
    const char *outpath;
    int quiet, verbose, help;
    ss_set sets[MAX_SETS];
    char *setbuf[MAX_SETS];   /* "NAME\0VALUE", owned */
    int nsets;
    xopts xo;
    const char *table;        /* export */
    ss_export_format format;
    char *stdin_src;          /* the scenario read from standard input ("-"), owned */
} cli;

/* An option's action: store arg (NULL for a flag) into c; 0, or -1 with a
 * message in err. */
typedef int (*opt_fn)(cli *c, const char *arg, char *err, size_t n);

static int whole(const char *opt, const char *arg, long lo, long hi, long *out, char *err, size_t n)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (!*arg || *end || errno || v < lo || v > hi) {
        snprintf(err, n, "%s \"%s\": expected a whole number from %ld to %ld", opt, arg, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static int set_output(cli *c, const char *arg, char *err, size_t n)
{
    (void)err; (void)n;
    c->outpath = arg;
    return 0;
}

/* arg as decimal digits only (no sign, no blank) in [lo, hi]: 0, or -1. */
static int whole_u64(const char *arg, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (!(arg[0] >= '0' && arg[0] <= '9') || *end || errno == ERANGE || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

static int set_seed(cli *c, const char *arg, char *err, size_t n)
{
    uint64_t s;
    if (whole_u64(arg, 0, UINT64_MAX, &s)) {
        snprintf(err, n, "--seed \"%.200s\": expected a whole number from 0 to 2^64-1 (%llu)", arg,
                 (unsigned long long)UINT64_MAX);
        return -1;
    }
    c->opt.has_seed = 1;
    c->opt.seed = s;
    return 0;
}

static int set_duration(cli *c, const char *arg, char *err, size_t n)
{
    char why[160] = "";
    if (ss_parse_duration(arg, &c->opt.duration, why, sizeof why) != SS_OK || c->opt.duration <= 0) {
        snprintf(err, n, "--duration \"%s\": %s", arg, why[0] ? why : "must be > 0");
        return -1;
    }
    c->opt.has_duration = 1;
    return 0;
}

static int set_fidelity(cli *c, const char *arg, char *err, size_t n)
{
    if (strcmp(arg, "exact") == 0) c->opt.fidelity = 1;
    else if (strcmp(arg, "statistical") == 0) c->opt.fidelity = 2;
    else {
        snprintf(err, n, "--fidelity \"%s\": expected exact or statistical", arg);
        return -1;
    }
    return 0;
}

static int set_lua_limit(cli *c, const char *arg, char *err, size_t n)
{
    uint64_t v;
    if (whole_u64(arg, 1, SS_LUA_LIMIT_MAX, &v)) {
        snprintf(err, n, "--lua-limit \"%s\": expected a whole number of instructions from 1 to 10^15", arg);
        return -1;
    }
    c->opt.lua_limit = v;
    return 0;
}

static int set_timeout(cli *c, const char *arg, char *err, size_t n)
{
    char why[160] = "";
    ss_time t = 0;
    if (ss_parse_duration(arg, &t, why, sizeof why) != SS_OK || t <= 0) {
        snprintf(err, n, "--timeout \"%s\": %s", arg, why[0] ? why : "must be > 0");
        return -1;
    }
    c->opt.timeout_s = ss_time_to_s(t);
    return 0;
}

static int set_global(cli *c, const char *arg, char *err, size_t n)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        snprintf(err, n, "--set \"%s\": expected NAME=VALUE", arg);
        return -1;
    }
    if (c->nsets == MAX_SETS) {
        snprintf(err, n, "--set: at most %d", MAX_SETS);
        return -1;
    }
    char *b = strdup(arg);
    if (!b) exit(1);
    b[eq - arg] = 0;
    c->setbuf[c->nsets] = b;
    c->sets[c->nsets] = (ss_set){ b, b + (eq - arg) + 1, NULL };
    c->nsets++;
    return 0;
}

static int set_quiet(cli *c, const char *arg, char *err, size_t n)
{
    (void)arg; (void)err; (void)n;
    c->quiet = 1;
    return 0;
}

static int set_verbose(cli *c, const char *arg, char *err, size_t n)
{
    (void)arg; (void)err; (void)n;
    c->verbose = 1;
    return 0;
}

static int set_replications(cli *c, const char *arg, char *err, size_t n)
{
    long v;
    if (whole("--replications", arg, 1, 1000000, &v, err, n)) return -1;
    c->xo.replications = (int)v;
    return 0;
}

static int set_jobs(cli *c, const char *arg, char *err, size_t n)
{
    long v;
    if (whole("-j", arg, 1, 1000000, &v, err, n)) return -1;
    c->xo.jobs = (int)v;
    return 0;
}

static int set_param(cli *c, const char *arg, char *err, size_t n)
{
    ss_error e;
    if (ss_plan_param(&c->xo.plan, arg, &e) != SS_OK) {
        snprintf(err, n, "%s", e.msg);
        return -1;
    }
    return 0;
}

static int set_resume(cli *c, const char *arg, char *err, size_t n)
{
    (void)arg; (void)err; (void)n;
    c->xo.resume = 1;
    return 0;
}

static int set_table(cli *c, const char *arg, char *err, size_t n)
{
    (void)err; (void)n;
    c->table = arg;
    return 0;
}

static int set_format(cli *c, const char *arg, char *err, size_t n)
{
    if (strcmp(arg, "csv") == 0) c->format = SS_EXPORT_CSV;
    else if (strcmp(arg, "json") == 0) c->format = SS_EXPORT_JSON;
    else {
        snprintf(err, n, "--format \"%s\": expected csv or json", arg);
        return -1;
    }
    return 0;
}

static int set_help(cli *c, const char *arg, char *err, size_t n)
{
    (void)arg; (void)err; (void)n;
    c->help = 1;
    return 0;
}

/* ---- the options: one row each ---- */

typedef struct cli_opt {
    const char *name;         /* the long name: --name */
    char letter;              /* the short name -l, or 0 */
    const char *arg;          /* the argument's name in help; NULL: a flag */
    unsigned cmds;            /* the commands that take it */
    opt_fn set;
    const char *help;         /* its help, one paragraph (wrapped when printed) */
} cli_opt;

static const cli_opt options[] = {
    { "output", 'o', "FILE", CMD_SIMS | CMD_EXPORT, set_output,
      "run, demo: the HDF5 file (default: the scenario's name with .h5); replications and sweeps: "
      "the directory DIR; export: a file instead of standard output. A folder that does not exist "
      "yet is created." },
    { "seed", 0, "N", CMD_SIMS, set_seed, "seed of the random streams (overrides scenario{seed=})" },
    { "duration", 0, "D", CMD_SIMS, set_duration, "simulated duration, e.g. 7d (overrides scenario{duration=})" },
    { "fidelity", 0, "F", CMD_SIMS, set_fidelity,
      "exact (every guest write drawn) or statistical (random writes counted per part of the disk, docs/model.md; overrides scenario{fidelity=})" },
    { "set", 0, "NAME=VALUE", CMD_SIMS | CMD_CHECK, set_global,
      "define the global NAME before the scenario runs (a number if VALUE reads as one, else a "
      "string); repeatable; a NAME the scenario never reads is refused" },
    { "lua-limit", 0, "N", CMD_SIMS | CMD_CHECK, set_lua_limit,
      "Lua instructions one entry into the script may run (its top level, each callback; default "
      "100000000, overrides scenario{lua_limit=})" },
    { "timeout", 0, "D", CMD_SIMS | CMD_CHECK, set_timeout,
      "stop with an error after D of wall time, e.g. 10m (default: none)" },
    { "quiet", 'q', NULL, CMD_SIMS, set_quiet, "no progress display; the summary gives only the totals" },
    { "verbose", 'v', NULL, CMD_SIMS, set_verbose, "the summary lists every deletion and VM" },
    { "replications", 0, "N", CMD_RUN | CMD_SWEEP, set_replications,
      "N runs; replication k's seeds derive from (seed, k), k = 0 is the plain run" },
    { "param", 0, "NAME=VALUES", CMD_SWEEP, set_param,
      "sweep NAME over v1,v2,... or FROM..TO[..STEP]; repeatable: the Cartesian product" },
    { "jobs", 'j', "J", CMD_RUN | CMD_SWEEP, set_jobs, "J runs at once in worker processes (default: one per core)" },
    { "resume", 0, NULL, CMD_RUN | CMD_SWEEP, set_resume,
      "finish an interrupted experiment in DIR: redo what is missing or failed" },
    { "table", 0, "TABLE", CMD_EXPORT, set_table,
      "the table: consolidations, events, summary/datastores, series/files, ... (docs/output.md)" },
    { "format", 0, "csv|json", CMD_EXPORT, set_format, "CSV (the default) or JSON (an array of row objects)" },
    { "help", 'h', NULL, CMD_ALL, set_help, "this help" },
};
#define NOPTS ((int)(sizeof options / sizeof options[0]))

/* ---- help and errors ---- */

static void print_usage(FILE *f)
{
    const char *lead = "usage: ";
    for (int i = 0; i < NCMDS; i++) {
        const char *u = commands[i].usage;
        while (*u) {
            const char *nl = strchr(u, '\n');
            int len = nl ? (int)(nl - u) : (int)strlen(u);
            fprintf(f, "%ssnapsim %.*s\n", lead, len, u);
            lead = "       ";
            u += len + (nl != NULL);
        }
    }
    fputs("       snapsim help [fields | functions | events | vmx | TABLE | FUNCTION | FIELD]\n"
          "       snapsim COMMAND --help | snapsim --help | snapsim --version\n",
          f);
}

/* "  -o, --output FILE        " then the help, its words wrapped at 78 columns. */
static void print_option(FILE *f, const cli_opt *o)
{
    char head[64];
    int k = 0;
    if (o->letter) k = snprintf(head, sizeof head, "-%c, ", o->letter);
    snprintf(head + k, sizeof head - (size_t)k, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    fprintf(f, "  %-24s", head);
    int col = 26;
    if ((int)strlen(head) > 23) {
        fprintf(f, "\n%26s", "");
    }
    const char *h = o->help;
    while (*h) {
        while (*h == ' ') h++;
        int len = (int)strcspn(h, " ");
        if (col > 26 && col + 1 + len > 78) {
            fprintf(f, "\n%26s", "");
            col = 26;
        }
        fprintf(f, "%s%.*s", col > 26 ? " " : "", len, h);
        col += (col > 26) + len;
        h += len;
    }
    fputc('\n', f);
}

static void print_command_help(FILE *f, const cli_cmd *cmd)
{
    const char *lead = "usage: ";
    const char *u = cmd->usage;
    while (*u) {
        const char *nl = strchr(u, '\n');
        int len = nl ? (int)(nl - u) : (int)strlen(u);
        fprintf(f, "%ssnapsim %.*s\n", lead, len, u);
        lead = "       ";
        u += len + (nl != NULL);
    }
    fprintf(f, "\n%s\n\nOptions:\n", cmd->what);
    for (int i = 0; i < NOPTS; i++)
        if (options[i].cmds & cmd->id) print_option(f, &options[i]);
    fputs("\nLong options take --name=VALUE or --name VALUE; -- ends the options.\n"
          "Exit status: 0 ok, 1 scenario or model error, 2 usage error.\n",
          f);
}

static const char help_text[] =
    "snapsim: a discrete-event simulator of virtual-disk I/O and VM snapshots.\n\n"
    "A Lua scenario describes datastores, hosts, VMs, guest workloads and what happens\n"
    "when (snapshots, reverts, deletions, suspends, backups); snapsim runs it and writes an\n"
    "HDF5 file (events, consolidations, series of datastore use, files and clocks).\n"
    "The language: docs/language.md and snapsim help fields. Each command's options:\n"
    "snapsim COMMAND --help.\n\n";

static int usage_error(const char *cmd, const char *msg)
{
    fprintf(stderr, "snapsim%s%s: %s\n", cmd ? " " : "", cmd ? cmd : "", msg);
    if (cmd) fprintf(stderr, "(snapsim %s --help lists its options)\n", cmd);
    else print_usage(stderr);
    return 2;
}

/* An unknown option: "--sed" -> did you mean "--seed"? */
static int unknown_option(const cli_cmd *cmd, const char *token)
{
    char name[128], m[300];
    const char *t = token;
    while (*t == '-') t++;
    snprintf(name, sizeof name, "%.*s", (int)strcspn(t, "="), t);
    const char *names[NOPTS];
    int n = 0;
    for (int i = 0; i < NOPTS; i++)
        if (options[i].cmds & cmd->id) names[n++] = options[i].name;
    const char *near = token[1] == '-' ? ss_closest_name(name, names, n) : NULL;
    if (near) snprintf(m, sizeof m, "unknown option \"%s\" (did you mean --%s?)", token, near);
    else snprintf(m, sizeof m, "unknown option \"%s\"", token);
    return usage_error(cmd->name, m);
}

/* ---- parsing ---- */

/* Parse argv[1..] of the command (argv[0] is its name).  0, or an exit status. */
static int parse(cli *c, int argc, char **argv)
{
    struct option longopts[NOPTS + 1];
    char shorts[3 * NOPTS + 2] = ":";
    for (int i = 0; i < NOPTS; i++) {
        const cli_opt *o = &options[i];
        longopts[i] = (struct option){ o->name, o->arg ? required_argument : no_argument, NULL,
                                       o->letter ? o->letter : 256 + i };
        if (o->letter) {
            size_t k = strlen(shorts);
            shorts[k++] = o->letter;
            if (o->arg) shorts[k++] = ':';
            shorts[k] = 0;
        }
    }
    memset(&longopts[NOPTS], 0, sizeof longopts[NOPTS]);
    opterr = 0;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, shorts, longopts, NULL)) != -1) {
        const cli_opt *o = NULL;
        if (ch == '?' || ch == ':') {
            /* optopt: the option getopt could not complete, 0 for an unknown long one. */
            for (int i = 0; i < NOPTS; i++)
                if ((options[i].letter && optopt == options[i].letter) || optopt == 256 + i) o = &options[i];
            char m[200];
            if (!o && optopt) {
                char s[3] = { '-', (char)optopt, 0 };
                return unknown_option(c->cmd, s);
            }
            if (!o) return unknown_option(c->cmd, argv[optind - 1]);   /* getopt has gone past it */
            if (ch == ':') snprintf(m, sizeof m, "--%s needs an argument: %s", o->name, o->arg);
            else snprintf(m, sizeof m, "--%s takes no argument", o->name);
            return usage_error(c->cmd->name, m);
        }
        for (int i = 0; i < NOPTS && !o; i++)
            if ((options[i].letter && ch == options[i].letter) || ch == 256 + i) o = &options[i];
        if (!o) return usage_error(c->cmd->name, "cannot parse the options");
        if (!(o->cmds & c->cmd->id)) {
            char m[200];
            snprintf(m, sizeof m, "--%s does not apply to %s", o->name, c->cmd->name);
            return usage_error(c->cmd->name, m);
        }
        char err[400] = "";
        if (o->set(c, optarg, err, sizeof err) != 0) return usage_error(c->cmd->name, err);
    }
    if (c->help) return 0;
    int npos = argc - optind;
    if (npos > c->cmd->npos) {
        char m[300];
        snprintf(m, sizeof m, "unexpected argument \"%s\"", argv[optind + c->cmd->npos]);
        return usage_error(c->cmd->name, m);
    }
    if (npos < c->cmd->npos)
        return usage_error(c->cmd->name, c->cmd->id == CMD_EXPORT ? "no run file given" : "no scenario file given");
    if (npos) c->opt.path = argv[optind];
    return 0;
}

/* ---- running ---- */

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

/* The folders above path that do not exist yet (mkdir -p of its dirname):
 * 0, or -1 with a message. */
static int make_parents(const char *path, char *err, size_t n)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf) return 0;
    *slash = 0;
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == 0) {
            char keep = *p;
            *p = 0;
            struct stat st;
            if (stat(buf, &st) != 0) {
                if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                    snprintf(err, n, "cannot create the folder %.200s for %.200s: %.100s", buf, path, strerror(errno));
                    return -1;
                }
            } else if (!S_ISDIR(st.st_mode)) {
                snprintf(err, n, "%.250s: %.250s is not a folder", path, buf);
                return -1;
            }
            *p = keep;
            if (!keep) break;
        }
    }
    return 0;
}

/* A scenario given as "-": its text from standard input. */
static char *read_stdin(void)
{
    size_t cap = 65536, len = 0;
    char *b = malloc(cap);
    if (!b) return NULL;
    size_t got;
    while ((got = fread(b + len, 1, cap - len - 1, stdin)) > 0) {
        len += got;
        if (cap - len < 2) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) { free(b); return NULL; }
            b = nb;
        }
    }
    b[len] = 0;
    return b;
}

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

static int run_experiment(cli *c)
{
    const char *dir = c->outpath;
    xopts *xo = &c->xo;
    if (!dir) return usage_error(c->cmd->name, "replications and sweeps need -o DIR (a directory)");
    if (xo->replications) xo->plan.replications = xo->replications;
    int show = !c->quiet && isatty(2);
    ss_experiment x = { c->opt, &xo->plan, dir, xo->jobs, xo->resume, &x_stop, x_progress, &show, stdout };
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = x_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    ss_xoutcome out;
    ss_error err = { 0, "" };
    int rc = ss_experiment_run(&x, &out, &err);
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

/* ---- the watchdog ----
 *
 * --timeout is enforced by the run itself (the library polls the wall
 * clock between events and in the Lua hook).  Code that never returns to
 * either (a C function of Lua's string library matching a pathological
 * pattern) is caught here: SIGALRM, WATCHDOG_GRACE seconds after the
 * deadline, removes what the run's temporary output would be called and
 * exits 1 from the handler (unlink, write and _exit only: async-signal-safe). */

#define WATCHDOG_GRACE 3
#define TMP_NAMES 4           /* the output layer's first tries: <out>.tmp-<pid>-<n> */
static char wd_tmp[TMP_NAMES][4200];
static int wd_ntmp;

static void wd_fire(int sig)
{
    (void)sig;
    for (int i = 0; i < wd_ntmp; i++) unlink(wd_tmp[i]);
    static const char m[] = "\nsnapsim: the run did not stop at --timeout (stuck in one Lua library call?): killed\n";
    ssize_t w = write(2, m, sizeof m - 1);
    (void)w;
    _exit(1);
}

static void watchdog(double timeout_s, const char *outpath)
{
    if (timeout_s <= 0) return;
    wd_ntmp = 0;
    if (outpath && strlen(outpath) < 4096)
        for (int n = 0; n < TMP_NAMES; n++)
            snprintf(wd_tmp[wd_ntmp++], sizeof wd_tmp[0], "%s.tmp-%ld-%d", outpath, (long)getpid(), n);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = wd_fire;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    double t = ceil(timeout_s) + WATCHDOG_GRACE;
    alarm(t > 1e6 ? 1000000u : (unsigned)t);
}

static int run_one(cli *c)
{
    ss_error err = { 0, "" };
    ss_sim *sim = NULL;
    int status = 0;
    char *autoname = NULL;
    const char *outpath = c->outpath;
    int is_check = c->cmd->id == CMD_CHECK;
    if (!outpath && c->cmd->id == CMD_RUN) outpath = autoname = default_out(c->opt.path);
    watchdog(c->opt.timeout_s, is_check ? NULL : outpath);
    if (ss_sim_load(&sim, &c->opt, &err) != SS_OK) {
        fprintf(stderr, "snapsim: %s\n", err.msg);
        status = err.code == SS_ERR_USAGE ? 2 : 1;   /* e.g. a --set the scenario never reads */
    } else if (is_check) {
        printf("%s: ok (%s)\n", c->opt.path, ss_sim_name(sim));
    } else {
        progress p = { !c->quiet && isatty(2), wall(), 0 };
        ss_sim_set_progress(sim, show_progress, &p);
        double w0 = wall();
        int rc = ss_sim_run(sim, outpath, &err);
        if (p.on && wall() - p.t0 >= 1.5) fputs("\n", stderr);
        if (rc != SS_OK) {
            fprintf(stderr, "snapsim: %s\n", err.msg);
            status = 1;
        } else {
            double w = wall() - w0;
            ss_sim_summary_level(sim, stdout, c->verbose ? 2 : c->quiet ? 0 : 1);
            if (outpath) printf("  wrote %s\n", outpath);
            printf("  %.2f s wall: %.2f M engine events/s, %.2f M guest I/Os/s (%llu I/Os)\n", w,
                   w > 0 ? (double)ss_sim_events(sim) / w / 1e6 : 0.0,
                   w > 0 ? (double)ss_sim_guest_ios(sim) / w / 1e6 : 0.0, (unsigned long long)ss_sim_guest_ios(sim));
        }
    }
    ss_sim_free(sim);
    free(autoname);
    return status;
}

static int run_export(cli *c)
{
    ss_error err = { 0, "" };
    FILE *out = stdout;
    char tmp[4200] = "";
    if (c->outpath && strcmp(c->outpath, "-") != 0) {
        char m[600];
        if (make_parents(c->outpath, m, sizeof m) != 0) {
            fprintf(stderr, "snapsim: %s\n", m);
            return 1;
        }
        snprintf(tmp, sizeof tmp, "%s.tmp-%ld", c->outpath, (long)getpid());
        if (!(out = fopen(tmp, "w"))) {
            fprintf(stderr, "snapsim: cannot write %s: %s\n", c->outpath, strerror(errno));
            return 1;
        }
    }
    int rc = c->table ? ss_export_table(c->opt.path, c->table, c->format, out, &err)
                      : ss_export_list(c->opt.path, out, &err);
    if (out != stdout) {
        if (fclose(out) != 0 && rc == SS_OK) rc = ss_error_set(&err, SS_ERR_IO, "cannot write %s", c->outpath);
        if (rc == SS_OK && rename(tmp, c->outpath) != 0)
            rc = ss_error_set(&err, SS_ERR_IO, "cannot write %s: %s", c->outpath, strerror(errno));
        if (rc != SS_OK) remove(tmp);
    } else if (fflush(stdout) != 0 && rc == SS_OK) {
        rc = ss_error_set(&err, SS_ERR_IO, "cannot write the export to standard output");
    }
    if (rc != SS_OK) fprintf(stderr, "snapsim: %s\n", err.msg);
    return rc == SS_OK ? 0 : 1;
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
    if (argc != 1)
        return usage_error("help", "help takes one topic: fields, functions, events, vmx, a table, a function or a field");
    ss_error err = { 0, "" };
    if (ss_reference_print(stdout, argv[0], &err) != SS_OK) {
        fprintf(stderr, "snapsim: %s\n", err.msg);
        return 2;
    }
    return 0;
}

static void cli_free(cli *c)
{
    for (int i = 0; i < c->nsets; i++) free(c->setbuf[i]);
    ss_plan_free(&c->xo.plan);
    free(c->stdin_src);
}

static int dispatch(cli *c)
{
    const char *path = c->opt.path;
    unsigned id = c->cmd->id;
    c->opt.sets = c->sets;
    c->opt.nsets = c->nsets;
    if (id == CMD_EXPORT) return run_export(c);
    if (id == CMD_DEMO) {
        c->opt.path = "seed_vi3.lua (built in)";
        c->opt.source = ss_demo_source;
    } else if (strcmp(path, "-") == 0) {
        char *src = read_stdin();
        if (!src) {
            fprintf(stderr, "snapsim: cannot read the scenario from standard input\n");
            return 1;
        }
        c->opt.source = c->stdin_src = src;
        c->opt.path = "stdin";
    }
    if (id == CMD_SWEEP && !c->xo.plan.nparams)
        return usage_error(c->cmd->name, "sweep needs at least one --param NAME=v1,v2,...");
    if (c->outpath && id != CMD_CHECK) {
        char m[600];
        if (make_parents(c->outpath, m, sizeof m) != 0) {
            fprintf(stderr, "snapsim: %s\n", m);
            return 1;
        }
    }
    if (id == CMD_SWEEP || c->xo.replications || c->xo.resume || c->xo.jobs) {
        if (id != CMD_SWEEP && !c->xo.replications)
            return usage_error(c->cmd->name, "-j and --resume go with --replications N (or sweep)");
        return run_experiment(c);
    }
    return run_one(c);
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage_error(NULL, "no command given");
    const char *name = argv[1];
    if (strcmp(name, "help") == 0 && argc > 2) return help_topic(argc - 2, argv + 2);
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        fputs(help_text, stdout);
        ss_limits_print(stdout);
        print_usage(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0) {
        printf("snapsim %s\n", SNAPSIM_VERSION);
        return 0;
    }
    cli c;
    memset(&c, 0, sizeof c);
    ss_plan_init(&c.xo.plan);
    for (int i = 0; i < NCMDS; i++)
        if (strcmp(commands[i].name, name) == 0) c.cmd = &commands[i];
    if (!c.cmd) {
        const char *names[NCMDS + 1];
        for (int i = 0; i < NCMDS; i++) names[i] = commands[i].name;
        names[NCMDS] = "help";
        const char *near = ss_closest_name(name, names, NCMDS + 1);
        char m[300];
        if (near) snprintf(m, sizeof m, "unknown command \"%s\" (did you mean %s?)", name, near);
        else snprintf(m, sizeof m, "unknown command \"%s\"", name);
        return usage_error(NULL, m);
    }
    int rc = parse(&c, argc - 1, argv + 1);
    if (rc == 0 && c.help) print_command_help(stdout, c.cmd);
    else if (rc == 0) rc = dispatch(&c);
    cli_free(&c);
    return rc;
}
