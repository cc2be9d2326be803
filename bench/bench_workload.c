/*
 * bench_workload.c -- cost of drawing one I/O (ss_workload_next) per
 * pattern, on a 100 GiB disk of 4 KiB I/Os (26 M slots), with mt19937.
 * Baselines: one bare gsl_rng_get, and gsl_rng_uniform_int (whose per-call
 * division the uniform pattern avoids).  Each case runs 5 times; the best
 * run is the figure, the worst shows the spread (the machine is shared).
 */
#define _POSIX_C_SOURCE 200809L   /* clock_gettime */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_rng.h>

#include "snapsim/workload.h"

#define GiB (1024ULL * 1024 * 1024)
#define RUNS 5

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* kind: 0 = workload, 1 = bare gsl_rng_get, 2 = gsl_rng_uniform_int. */
static void run(const char *name, const ss_workload_params *p, int kind, long n)
{
    char why[256];
    ss_workload *wl = ss_workload_new(p, 100 * GiB, why, sizeof why);
    if (!wl) { printf("%s: %s\n", name, why); return; }
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 1);
    double best = 1e30, worst = 0;
    uint64_t sink = 0;
    unsigned long nslots = 100 * GiB / p->sizes[0];
    for (int k = 0; k < RUNS; k++) {
        double t0 = now();
        if (kind == 0) {
            ss_io io;
            for (long i = 0; i < n; i++) {
                ss_workload_next(wl, r, &io);
                sink += io.offset;
            }
        } else if (kind == 1) {
            for (long i = 0; i < n; i++) sink += gsl_rng_get(r);
        } else {
            for (long i = 0; i < n; i++) sink += gsl_rng_uniform_int(r, nslots);
        }
        double ns = (now() - t0) / (double)n * 1e9;
        if (ns < best) best = ns;
        if (ns > worst) worst = ns;
    }
    printf("%-34s %7.2f ns/IO (worst %6.2f)  %6.1f M I/Os/s  [sink %llu]\n", name, best, worst,
           1e3 / best, (unsigned long long)(sink & 0xff));
    gsl_rng_free(r);
    ss_workload_free(wl);
}

int main(void)
{
    ss_workload_params p;
    memset(&p, 0, sizeof p);
    p.iops = 1000;
    p.nsizes = 1;
    p.sizes[0] = 4096;
    p.arrivals = SS_ARR_CONSTANT;
    p.pattern = SS_PAT_UNIFORM;

    printf("bench_workload: ss_workload_next, 4 KiB I/Os on a 100 GiB disk, mt19937, best of %d\n", RUNS);
    run("baseline gsl_rng_get", &p, 1, 20000000);
    run("baseline gsl_rng_uniform_int", &p, 2, 20000000);
    run("uniform, constant arrivals", &p, 0, 20000000);
    p.arrivals = SS_ARR_POISSON;
    run("uniform, poisson arrivals", &p, 0, 10000000);
    p.arrivals = SS_ARR_CONSTANT;
    p.pattern = SS_PAT_SEQUENTIAL;
    run("sequential, constant", &p, 0, 20000000);
    p.pattern = SS_PAT_HOTSPOT;
    p.hot_fraction = 0.1;
    p.hot_share = 0.9;
    run("hotspot 0.1/0.9, constant", &p, 0, 20000000);
    p.pattern = SS_PAT_ZIPF;
    p.zipf_s = 1.0;
    run("zipf s=1.0, constant", &p, 0, 5000000);
    p.zipf_s = 0.8;
    run("zipf s=0.8, constant", &p, 0, 5000000);
    p.pattern = SS_PAT_UNIFORM;
    p.nsizes = 3;
    p.sizes[1] = 8192;
    p.sizes[2] = 65536;
    p.weights[0] = 6; p.weights[1] = 3; p.weights[2] = 1;
    run("uniform, 3 sizes, constant", &p, 0, 20000000);
    return 0;
}
