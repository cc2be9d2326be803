/*
 * workload.h -- guest write workloads: what the guest writes and when.
 *
 * A workload turns its VM's random stream into a sequence of I/Os.  Time is
 * "operational time" u: an I/O arrives every 1 unit (constant arrivals) or
 * after Exp(1) units (Poisson).  The VM model maps u to simulated time with
 * a speed (I/Os per second) that is the workload's rate times the daily
 * profile multiplier times any throttling; the speed is zero while the VM is
 * stalled, stunned, off or suspended.  Because the draws do not depend on
 * the speed, the sequence of I/Os (offsets, sizes) is the same under every
 * strategy and every throttling: common random numbers.
 *
 * Draw order per I/O (fixed, documented in docs/model.md):
 *  1. du: gsl_ran_exponential(rng, 1.0) for Poisson arrivals; exactly 1.0
 *     and no draw for constant arrivals;
 *  2. is_read: one gsl_rng_uniform(rng) < read_ratio, only if read_ratio > 0;
 *  3. len: one gsl_rng_uniform(rng) against the cumulative weights, only if
 *     nsizes > 1 (the first size whose cumulative weight exceeds the draw);
 *  4. offset, by pattern, inside the region R = [region_offset,
 *     region_offset + region_size) and aligned to len (random patterns):
 *     - uniform: slot = gsl_rng_uniform_int(rng, n) with n = floor(|R|/len),
 *       offset = region_offset + slot*len.  (The value is exactly that of
 *       gsl_rng_uniform_int, computed without a division per I/O.  When n
 *       exceeds the generator's range -- 2^32-1 for mt19937, i.e. 512 B
 *       I/Os over 2 TiB -- two or more draws; see uniform_any in workload.c.)
 *     - sequential: no draw.  The first I/O is at region_offset, each next
 *       one starts where the previous ended, and an I/O that would not fit
 *       before the region's end goes to region_offset instead.  For a fixed
 *       size s the distinct bytes after k I/Os are min(k*s, floor(|R|/s)*s).
 *       With mixed sizes offsets are contiguous, hence not aligned to len.
 *     - hotspot: the hot part is the first floor(hot_fraction*|R| / A) * A
 *       bytes of R, A the least common multiple of the sizes (the largest
 *       size when each size divides it, as with powers of two); the cold
 *       part is the rest.  One gsl_rng_uniform(rng) < hot_share chooses the
 *       hot part, then a uniform slot of len in that part (as uniform).
 *     - zipf: a rank r in 1..n (n = floor(|R|/len)) with P(r) ~ r^-s, drawn
 *       by rejection-inversion (Hoermann & Derflinger 1996, as in Apache
 *       Commons RNG's RejectionInversionZipfSampler): one gsl_rng_uniform
 *       draw per attempt, repeated until an attempt is accepted (nearly
 *       always the first).  The rank goes to a slot through the bijection
 *       slot = (a*(r-1)) mod n, a the first integer >= max(1,
 *       floor(n*0.6180339887498949)) coprime to n: golden-ratio spacing
 *       spreads the hot slots over the region (rank 1 is slot 0, rank 2
 *       about 62% into the region, ...).
 *     Random patterns draw per size: with mixed sizes, a 4 KiB and an 8 KiB
 *     I/O have separate slot grids (and separate zipf rankings).
 *
 * Reads draw like writes (a sequential stream advances on reads too); the
 * VM model ignores their offsets for growth.  A workload whose rate and iops
 * are both 0 is idle: ss_workload_iops() is 0 and the VM never asks it for
 * an I/O (ss_workload_next still works, should it be called).
 */
#ifndef SNAPSIM_WORKLOAD_H
#define SNAPSIM_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

typedef enum { SS_ARR_POISSON, SS_ARR_CONSTANT } ss_arrivals;
typedef enum { SS_PAT_UNIFORM, SS_PAT_SEQUENTIAL, SS_PAT_HOTSPOT, SS_PAT_ZIPF } ss_pattern;

#define SS_WL_MAX_SIZES 16

typedef struct ss_workload_params {
    double rate;              /* bytes/s of writes+reads, or 0 if iops is given */
    double iops;              /* I/Os per second, or 0 if rate is given */
    /* io_size: one size (nsizes == 1) or a discrete distribution */
    int nsizes;
    uint64_t sizes[SS_WL_MAX_SIZES];   /* bytes, each a multiple of 512 */
    double weights[SS_WL_MAX_SIZES];   /* need not sum to 1 */
    ss_arrivals arrivals;
    ss_pattern pattern;
    double hot_fraction;      /* hotspot: the hot part is the first hot_fraction of the region */
    double hot_share;         /*          and receives hot_share of the I/Os */
    double zipf_s;            /* zipf exponent (> 0) */
    uint64_t region_offset;   /* bytes; the part of the disk written */
    uint64_t region_size;     /* bytes; 0 = to the end of the disk */
    double read_ratio;        /* fraction of I/Os that are reads (no growth) */
    int has_profile;
    double profile[24];       /* multiplier per hour of the day */
} ss_workload_params;

/* One I/O. */
typedef struct ss_io {
    double du;                /* operational-time gap since the previous I/O */
    uint64_t offset;          /* bytes, aligned to len (but see sequential) */
    uint64_t len;             /* bytes */
    int is_read;
} ss_io;

typedef struct ss_workload ss_workload;

/* Validates params against the disk capacity; on error returns NULL and
 * writes a reason naming the scenario field into why (e.g. "hot.fraction:
 * expected a number in (0,1), found 1.5"); why may be NULL.  Rules: rate and
 * iops >= 0, not both > 0 (both 0 = idle); 1 <= nsizes <= SS_WL_MAX_SIZES;
 * sizes > 0 and multiples of 512; with nsizes > 1 weights >= 0 with a
 * positive sum (weights are ignored when nsizes == 1); read_ratio in [0,1];
 * region inside the disk, region_offset a multiple of every size, |R| >=
 * the largest size; hotspot: hot_fraction in (0,1), hot_share in [0,1], and
 * both parts hold an I/O of the largest size; zipf: zipf_s > 0; profile
 * entries >= 0.  Fields of patterns not in use are not checked. */
ss_workload *ss_workload_new(const ss_workload_params *p, uint64_t disk_capacity, char *why, size_t whylen);
void ss_workload_free(ss_workload *wl);
/* The parameters as given (region_size 0 stays 0). */
const ss_workload_params *ss_workload_params_of(const ss_workload *wl);

/* What the statistical fidelity needs to know of a workload's random
 * writes (docs/model.md): the region and hot part as resolved by
 * ss_workload_new, and the probability of each size (0 for sizes never
 * drawn). */
typedef struct ss_workload_shape {
    ss_pattern pattern;
    uint64_t roff, rsize;     /* the region, bytes (rsize > 0) */
    uint64_t hot_bytes;       /* hotspot: the hot part is [roff, roff + hot_bytes) */
    int nsizes;
    uint64_t sizes[SS_WL_MAX_SIZES];
    double prob[SS_WL_MAX_SIZES];
} ss_workload_shape;
void ss_workload_shape_of(const ss_workload *wl, ss_workload_shape *out);

/* Draw the next I/O from rng, in the order described above.  Mutates wl
 * only for the sequential pattern (its position). */
void ss_workload_next(ss_workload *wl, gsl_rng *rng, ss_io *io);

/* Mean I/O size in bytes (weighted), I/Os per second at multiplier 1 (iops,
 * or rate / mean size), bytes/s demand at multiplier 1 (rate, or iops * mean
 * size).  Reads and writes together. */
double ss_workload_mean_size(const ss_workload *wl);
double ss_workload_iops(const ss_workload *wl);
double ss_workload_rate(const ss_workload *wl);
/* Profile multiplier at simulated time t_s: profile[h], h = floor(t_s/3600)
 * mod 24, the day starting at t = 0 (1 if no profile). */
double ss_workload_profile_at(const ss_workload *wl, double t_s);

#endif
