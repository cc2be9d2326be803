/*
 * bench_grainset.c -- grain sets (sim/grainset.c) against a flat bitmap and,
 * when built with SNAPSIM_HAVE_ROARING and libroaring, CRoaring.
 *
 * Writes: 10^7 uniform random 4 KiB writes on a 100 GiB disk, one GSL
 * mt19937 draw each, at 4 KiB grains (1 grain a write) and at 512 B grains
 * (8 aligned grains a write).  Set ops: count_andnot and union of two sets
 * of 10^6 / 10^7 random grains.  Memory: 10^3 / 10^6 / 10^7 random grains
 * and one contiguous 10 GiB range.  Each timing is the best of REPS runs;
 * the spread ((worst - best) / best) is printed next to it because the
 * machine may be shared.
 *
 * By hand, with roaring:
 *   gcc -std=c11 -O2 -DNDEBUG -DSNAPSIM_HAVE_ROARING -Iinclude bench/bench_grainset.c \
 *       sim/grainset.c -lroaring -lgsl -lgslcblas -lm -o /tmp/bench_grainset
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <malloc.h>

#include <gsl/gsl_rng.h>

#include "snapsim/grainset.h"

#if defined(SNAPSIM_HAVE_ROARING) && defined(__has_include)
#if __has_include(<roaring/roaring.h>)
#include <roaring/roaring.h>
#define USE_ROARING 1
#endif
#endif

#define REPS 3
#define NWRITES 10000000ull
#define DISK_4K 26214400ull /* 100 GiB / 4 KiB */

static double now(void)
{
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Best and worst of REPS timings. */
struct timing { double best, worst; };

static void tm_add(struct timing *t, double dt)
{
    if (t->best == 0 || dt < t->best) t->best = dt;
    if (dt > t->worst) t->worst = dt;
}

static double spread(const struct timing *t) { return 100 * (t->worst - t->best) / t->best; }

static size_t heap_used(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

enum { BARE, GSET, ROAR, NKIND };
static const char *kind_name[NKIND] = { "flat bitmap", "grainset", "roaring" };

/* 10^7 uniform writes; sub = grains per 4 KiB write (1 or 8). */
static double run_writes(int kind, unsigned sub, unsigned long seed, uint64_t *held)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    double t0 = 0, dt = 0;
    if (kind == BARE) {
        uint64_t *bm = calloc(DISK_4K * sub / 64 + 1, 8);
        t0 = now();
        if (sub == 1) {
            for (uint64_t i = 0; i < NWRITES; i++) {
                uint64_t x = gsl_rng_uniform_int(r, DISK_4K);
                bm[x >> 6] |= 1ull << (x & 63);
            }
        } else {
            for (uint64_t i = 0; i < NWRITES; i++) {
                uint64_t x = gsl_rng_uniform_int(r, DISK_4K);
                bm[x >> 3] |= 0xffull << ((x & 7) * 8);
            }
        }
        dt = now() - t0;
        uint64_t n = 0;
        for (uint64_t i = 0; i < DISK_4K * sub / 64 + 1; i++) n += (uint64_t)__builtin_popcountll(bm[i]);
        *held = n;
        free(bm);
    } else if (kind == GSET) {
        ss_grainset *gs = ss_gs_new(sub == 1 ? 8 : 12); /* 1 MiB / 2 MiB regions */
        t0 = now();
        if (sub == 1) {
            for (uint64_t i = 0; i < NWRITES; i++)
                ss_gs_add(gs, gsl_rng_uniform_int(r, DISK_4K));
        } else {
            for (uint64_t i = 0; i < NWRITES; i++)
                ss_gs_add_range(gs, gsl_rng_uniform_int(r, DISK_4K) * 8, 8);
        }
        dt = now() - t0;
        *held = ss_gs_count(gs);
        ss_gs_free(gs);
    } else {
#ifdef USE_ROARING
        roaring_bitmap_t *rb = roaring_bitmap_create();
        t0 = now();
        if (sub == 1) {
            for (uint64_t i = 0; i < NWRITES; i++)
                roaring_bitmap_add(rb, (uint32_t)gsl_rng_uniform_int(r, DISK_4K));
        } else {
            for (uint64_t i = 0; i < NWRITES; i++) {
                uint32_t x = (uint32_t)gsl_rng_uniform_int(r, DISK_4K) * 8;
                roaring_bitmap_add_range_closed(rb, x, x + 7);
            }
        }
        dt = now() - t0;
        *held = roaring_bitmap_get_cardinality(rb);
        roaring_bitmap_free(rb);
#endif
    }
    gsl_rng_free(r);
    return dt;
}

static void bench_writes(void)
{
    printf("== 1e7 uniform random 4 KiB writes, 100 GiB disk, gsl mt19937 uniform_int per write\n");
    for (unsigned sub = 1; sub <= 8; sub += 7) {
        struct timing t[NKIND] = {{0, 0}};
        uint64_t held[NKIND] = {0};
        for (int rep = 0; rep < REPS; rep++)
            for (int k = 0; k < NKIND; k++) {
#ifndef USE_ROARING
                if (k == ROAR) continue;
#endif
                tm_add(&t[k], run_writes(k, sub, 42, &held[k]));
            }
        printf("-- %s grains (%llu grains)\n", sub == 1 ? "4 KiB" : "512 B", DISK_4K * sub);
        for (int k = 0; k < NKIND; k++) {
            if (t[k].best == 0) continue;
            printf("  %-12s %7.1f M writes/s  (best of %d, spread %4.1f%%)  held %llu\n", kind_name[k],
                   NWRITES / t[k].best / 1e6, REPS, spread(&t[k]), (unsigned long long)held[k]);
        }
        printf("  grainset/bare throughput ratio: %.2f\n", t[BARE].best / t[GSET].best);
        if (t[ROAR].best > 0)
            printf("  grainset/roaring throughput ratio: %.2f\n", t[ROAR].best / t[GSET].best);
    }
}

/* Random grains on the 4 KiB-grain disk into both structures. */
static void fill_random(uint64_t n, unsigned long seed, ss_grainset *gs, void *rbv)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t x = gsl_rng_uniform_int(r, DISK_4K);
        if (gs) ss_gs_add(gs, x);
#ifdef USE_ROARING
        if (rbv) roaring_bitmap_add(rbv, (uint32_t)x);
#else
        (void)rbv;
#endif
    }
    gsl_rng_free(r);
}

static void bench_setops(void)
{
    printf("== set ops on two sets of n random grains (4 KiB grains, 100 GiB)\n");
    for (uint64_t n = 1000000; n <= 10000000; n *= 10) {
        ss_grainset *a = ss_gs_new(8), *b = ss_gs_new(8);
        void *ra = NULL, *rb = NULL;
#ifdef USE_ROARING
        ra = roaring_bitmap_create();
        rb = roaring_bitmap_create();
#endif
        fill_random(n, 1, a, ra);
        fill_random(n, 2, b, rb);
        struct timing ta = {0, 0}, tu = {0, 0}, rta = {0, 0}, rtu = {0, 0};
        uint64_t an = 0, un = 0, ran = 0, run = 0;
        for (int rep = 0; rep < REPS; rep++) {
            double t0 = now();
            an = ss_gs_count_andnot(a, b);
            tm_add(&ta, now() - t0);
            ss_grainset *c = ss_gs_copy(a);
            t0 = now();
            un = ss_gs_union(c, b);
            tm_add(&tu, now() - t0);
            ss_gs_free(c);
#ifdef USE_ROARING
            t0 = now();
            ran = roaring_bitmap_andnot_cardinality(ra, rb);
            tm_add(&rta, now() - t0);
            roaring_bitmap_t *rc = roaring_bitmap_copy(ra);
            uint64_t before = roaring_bitmap_get_cardinality(rc);
            t0 = now();
            roaring_bitmap_or_inplace(rc, rb);
            tm_add(&rtu, now() - t0);
            run = roaring_bitmap_get_cardinality(rc) - before;
            roaring_bitmap_free(rc);
#endif
        }
        printf("-- n = %llu: |a\\b| = %llu, union adds %llu\n", (unsigned long long)n,
               (unsigned long long)an, (unsigned long long)un);
        printf("  grainset  count_andnot %8.3f ms (spread %4.1f%%)  union %8.3f ms (spread %4.1f%%)\n",
               1e3 * ta.best, spread(&ta), 1e3 * tu.best, spread(&tu));
#ifdef USE_ROARING
        printf("  roaring   count_andnot %8.3f ms (spread %4.1f%%)  union %8.3f ms (spread %4.1f%%)  [%llu, %llu]\n",
               1e3 * rta.best, spread(&rta), 1e3 * rtu.best, spread(&rtu),
               (unsigned long long)ran, (unsigned long long)run);
        roaring_bitmap_free(ra);
        roaring_bitmap_free(rb);
#else
        (void)ran; (void)run; (void)rta; (void)rtu;
#endif
        ss_gs_free(a);
        ss_gs_free(b);
    }
}

static void bench_memory(void)
{
    printf("== memory (4 KiB grains, 100 GiB disk; flat bitmap = %llu B)\n", DISK_4K / 8);
    printf("  %-22s %12s %12s | %12s %12s %12s\n", "set", "gs_memory", "gs heap", "roar portable",
           "roar size", "roar heap");
    for (int c = 0; c < 4; c++) {
        uint64_t n = c == 0 ? 1000 : c == 1 ? 1000000 : 10000000;
        size_t h0 = heap_used();
        ss_grainset *gs = ss_gs_new(8);
        if (c < 3) fill_random(n, 3, gs, NULL);
        else ss_gs_add_range(gs, 1000000, 2621440); /* 10 GiB of 4 KiB grains */
        size_t gmem = ss_gs_memory(gs), gheap = heap_used() - h0;
        char name[64];
        if (c < 3) snprintf(name, sizeof name, "%llu random", (unsigned long long)n);
        else snprintf(name, sizeof name, "10 GiB contiguous");
        printf("  %-22s %12zu %12zu |", name, gmem, gheap);
        ss_gs_free(gs);
#ifdef USE_ROARING
        h0 = heap_used();
        roaring_bitmap_t *rb = roaring_bitmap_create();
        if (c < 3) fill_random(n, 3, NULL, rb);
        else roaring_bitmap_add_range_closed(rb, 1000000, 1000000 + 2621440 - 1);
        size_t rheap = heap_used() - h0;
        printf(" %12zu %12zu %12zu", roaring_bitmap_portable_size_in_bytes(rb),
               roaring_bitmap_size_in_bytes(rb), rheap);
        roaring_bitmap_free(rb);
#endif
        printf("\n");
    }
}

int main(void)
{
#ifndef USE_ROARING
    printf("(built without roaring: define SNAPSIM_HAVE_ROARING and link -lroaring to compare)\n");
#endif
    bench_writes();
    bench_setops();
    bench_memory();
    return 0;
}
