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
 * Draw order per I/O (fixed, documented in docs/model.md): arrival gap (only
 * for Poisson), then read/write (only if read_ratio > 0), then size (only if
 * io_size is a distribution), then offset (pattern-specific).
 */
#ifndef SNAPSIM_WORKLOAD_H
#define SNAPSIM_WORKLOAD_H

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
    uint64_t offset;          /* bytes, aligned to len */
    uint64_t len;             /* bytes */
    int is_read;
} ss_io;

typedef struct ss_workload ss_workload;

/* Validates params against the disk capacity; on error returns NULL and
 * writes a reason naming the field into why. */
ss_workload *ss_workload_new(const ss_workload_params *p, uint64_t disk_capacity, char *why, size_t whylen);
void ss_workload_free(ss_workload *wl);
const ss_workload_params *ss_workload_params_of(const ss_workload *wl);

/* Draw the next I/O from rng. */
void ss_workload_next(ss_workload *wl, gsl_rng *rng, ss_io *io);

/* Mean I/O size in bytes, I/Os per second at multiplier 1, bytes/s demand. */
double ss_workload_mean_size(const ss_workload *wl);
double ss_workload_iops(const ss_workload *wl);
/* Profile multiplier at simulated second-of-day t_s (1 if no profile). */
double ss_workload_profile_at(const ss_workload *wl, double t_s);

#endif
