/*
 * record.h -- the recorder: what one run writes into its HDF5 file
 * (record.c) and the figures its closing summary prints (summary.c).
 *
 * The recorder knows the file's schema (docs/output.md): /events,
 * /consolidations, /consolidation_steps, /backups, /backup_phases, /host_outages, the series sampled from the
 * world, /summary and the root's attributes.  It reads the model; the
 * model never calls it (the run passes the model's emitter calls on).
 * Without a file (ss_rec_open not called) it still keeps what the text
 * summary needs.
 */
#ifndef SNAPSIM_OUTPUT_RECORD_H
#define SNAPSIM_OUTPUT_RECORD_H

#include <stdint.h>
#include <stdio.h>

#include "model/world.h"
#include "snapsim/error.h"

/* One deletion, as the text summary lists it. */
typedef struct ss_cons_summary {
    char vm[64], snapshot[64], strategy[16], result[16];
    double t_start, duration, stun;
    int64_t bytes_copied, peak_extra, worst_case, iterations;
} ss_cons_summary;

/* What the root's attributes say about the run. */
typedef struct ss_run_info {
    const char *scenario, *path, *source;
    uint64_t seed;
    ss_time duration;
    uint64_t events;
} ss_run_info;

typedef struct ss_rec ss_rec;

ss_rec *ss_rec_new(void);                              /* NULL when out of memory */
/* Create the file (a temporary name until ss_rec_commit) and its tables. */
int ss_rec_open(ss_rec *r, const char *path, ss_error *err);
int ss_rec_is_open(const ss_rec *r);
void ss_rec_event(ss_rec *r, const ss_event *ev);
void ss_rec_consolidation(ss_rec *r, const ss_event *done, double t_start, const char *ds, const char *result);
void ss_rec_step(ss_rec *r, const ss_step_rec *s);
void ss_rec_backup(ss_rec *r, const ss_backup_rec *b);
void ss_rec_phase(ss_rec *r, const ss_phase_rec *p);
void ss_rec_outage(ss_rec *r, const ss_outage_rec *o);
void ss_rec_user(ss_rec *r, double t, const char *name, double value);
/* Rows of the series now: datastores, files, clocks. */
void ss_rec_sample(ss_rec *r, ss_world *w);
/* The summaries and attributes, then the file renamed into place. */
int ss_rec_commit(ss_rec *r, ss_world *w, const ss_run_info *info, ss_error *err);
/* Remove the temporary file (a failed run leaves nothing). */
void ss_rec_abort(ss_rec *r);
void ss_rec_free(ss_rec *r);

/* The planner's answer for one datastore (summary.c): what it needs and
 * when it ran out.  headroom = peak_used - initial_used; free_at_peak =
 * capacity - peak_used; t_first_full NaN: it never filled; stall_s adds
 * the stalls of the VMs whose folder is on it (one still going counts up
 * to now); thin_capacity sums the capacities of its thin disks,
 * provisioned those of all its disks (thick disks take theirs at once). */
typedef struct ss_ds_answer {
    uint64_t initial_used, peak_used, headroom, free_at_peak, thin_capacity, provisioned;
    double t_peak, t_first_full, stall_s;
    int vms, thin_disks;
} ss_ds_answer;
void ss_ds_answer_of(ss_world *w, const struct ss_datastore *ds, ss_ds_answer *a);

/* Per run: events of the kinds a planner counts. */
typedef struct ss_run_counts {
    int failed_snapshots, failed_backups, missed_backups;
} ss_run_counts;
ss_run_counts ss_rec_counts(const ss_rec *r);

int ss_rec_ncons(const ss_rec *r);
const ss_cons_summary *ss_rec_cons(const ss_rec *r, int i);

/* summary.c: the closing summary; level 0 totals only (-q), 1 the default,
 * 2 every deletion and VM (--verbose). */
void ss_summary_print(FILE *f, ss_world *w, const ss_rec *r, const ss_run_info *info, int level);

#endif
