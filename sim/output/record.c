/*
 * record.c -- one run's HDF5 file (record.h): the tables' columns, the rows
 * of events, deletions and their merges, the series sampled from the
 * world, the summaries and the root's attributes.  Column widths, units
 * and meanings are documented in docs/output.md.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/datastore.h"
#include "model/host.h"
#include "model/vm.h"
#include "output/record.h"
#include "snapsim/output.h"

#define SS_FORMAT_VERSION 1
#ifdef SNAPSIM_VERSION
#define SNAPSIM_VERSION_STRING SNAPSIM_VERSION
#else
#define SNAPSIM_VERSION_STRING "0.0.0"
#endif

/* ---- output tables ---- */

#define STR(n) SS_COL_STR, n
static const ss_column events_cols[] = {
    { "t", SS_COL_F64, 0, "s" },         { "kind", STR(32), "" },     { "vm", STR(64), "" },
    { "host", STR(64), "" },             { "datastore", STR(64), "" }, { "snapshot", STR(64), "" },
    { "bytes", SS_COL_I64, 0, "B" },     { "value", SS_COL_F64, 0, "" }, { "detail", STR(128), "" },
};
static const ss_column cons_cols[] = {
    { "t_start", SS_COL_F64, 0, "s" },   { "t_end", SS_COL_F64, 0, "s" },
    { "vm", STR(64), "" },               { "datastore", STR(64), "" },
    { "snapshot", STR(64), "" },         { "strategy", STR(16), "" },
    { "merges", SS_COL_I64, 0, "" },     { "bytes_copied", SS_COL_I64, 0, "B" },
    { "peak_extra_bytes", SS_COL_I64, 0, "B" }, { "worst_case_bytes", SS_COL_I64, 0, "B" },
    { "duration_s", SS_COL_F64, 0, "s" }, { "stun_s", SS_COL_F64, 0, "s" },
    { "iterations", SS_COL_I64, 0, "" }, { "result", STR(16), "" },
    { "detail", STR(128), "" },
};
static const ss_column steps_cols[] = {
    { "t_start", SS_COL_F64, 0, "s" }, { "t_end", SS_COL_F64, 0, "s" }, { "vm", STR(64), "" },
    { "child", STR(64), "" },          { "parent", STR(64), "" },       { "bytes", SS_COL_I64, 0, "B" },
    { "parent_growth", SS_COL_I64, 0, "B" }, { "stunned", SS_COL_I64, 0, "" },
};
static const ss_column backup_cols[] = {
    { "job", SS_COL_I64, 0, "" },        { "t_submit", SS_COL_F64, 0, "s" }, { "t_start", SS_COL_F64, 0, "s" },
    { "t_end", SS_COL_F64, 0, "s" },     { "vm", STR(64), "" },             { "host", STR(64), "" },
    { "datastore", STR(64), "" },        { "proxy", STR(64), "" },          { "mode", STR(8), "" },
    { "transport", STR(8), "" },         { "result", STR(16), "" },         { "phase", STR(16), "" },
    { "bytes", SS_COL_I64, 0, "B" },     { "wait_s", SS_COL_F64, 0, "s" },  { "quiesce_s", SS_COL_F64, 0, "s" },
    { "export_s", SS_COL_F64, 0, "s" },  { "delete_s", SS_COL_F64, 0, "s" },
    { "quiesce_attempts", SS_COL_I64, 0, "" }, { "consistency", STR(128), "" }, { "detail", STR(256), "" },
};
static const ss_column phase_cols[] = {
    { "job", SS_COL_I64, 0, "" }, { "vm", STR(64), "" },     { "phase", STR(16), "" },
    { "t_start", SS_COL_F64, 0, "s" }, { "t_end", SS_COL_F64, 0, "s" }, { "result", STR(16), "" },
    { "detail", STR(256), "" },
};
static const ss_column outage_cols[] = {
    { "host", STR(64), "" },           { "t_start", SS_COL_F64, 0, "s" }, { "t_end", SS_COL_F64, 0, "s" },
    { "duration_s", SS_COL_F64, 0, "s" }, { "cause", STR(16), "" },      { "result", STR(16), "" },
    { "hostd_memory", SS_COL_I64, 0, "B" }, { "ops_failed", SS_COL_I64, 0, "" },
    { "ops_delayed", SS_COL_I64, 0, "" },
};
static const ss_column hostsum_cols[] = {
    { "host", STR(64), "" },           { "version", STR(16), "" },       { "restarts", SS_COL_I64, 0, "" },
    { "outages", SS_COL_I64, 0, "" },  { "not_responding_s", SS_COL_F64, 0, "s" },
    { "ops", SS_COL_I64, 0, "" },      { "ops_failed", SS_COL_I64, 0, "" }, { "ops_delayed", SS_COL_I64, 0, "" },
    { "hostd_memory", SS_COL_I64, 0, "B" }, { "hostd_peak", SS_COL_I64, 0, "B" },
    { "hostd_limit", SS_COL_I64, 0, "B" },
};
static const ss_column ds_cols[] = {
    { "t", SS_COL_F64, 0, "s" }, { "datastore", STR(64), "" }, { "capacity", SS_COL_I64, 0, "B" },
    { "used", SS_COL_I64, 0, "B" }, { "free", SS_COL_I64, 0, "B" },
};
static const ss_column files_cols[] = {
    { "t", SS_COL_F64, 0, "s" }, { "vm", STR(64), "" }, { "file", STR(64), "" }, { "kind", STR(8), "" },
    { "size", SS_COL_I64, 0, "B" }, { "allocated", SS_COL_I64, 0, "B" },
};
static const ss_column clocks_cols[] = {
    { "t", SS_COL_F64, 0, "s" }, { "vm", STR(64), "" },
    { "host_offset_s", SS_COL_F64, 0, "s" }, { "guest_offset_s", SS_COL_F64, 0, "s" },
};
static const ss_column user_cols[] = {
    { "t", SS_COL_F64, 0, "s" }, { "name", STR(64), "" }, { "value", SS_COL_F64, 0, "" },
};
static const ss_column vmsum_cols[] = {
    { "vm", STR(64), "" }, { "host", STR(64), "" }, { "datastore", STR(64), "" }, { "strategy", STR(16), "" },
    { "bytes_written", SS_COL_I64, 0, "B" }, { "stalls", SS_COL_I64, 0, "" }, { "stall_s", SS_COL_F64, 0, "s" },
    { "throttled_s", SS_COL_F64, 0, "s" }, { "throttled_bytes", SS_COL_F64, 0, "B" },
    { "max_abs_offset_s", SS_COL_F64, 0, "s" }, { "beyond_skew_s", SS_COL_F64, 0, "s" },
    { "skew_limit_s", SS_COL_F64, 0, "s" }, { "steps_boot", SS_COL_I64, 0, "" },
    { "steps_resume", SS_COL_I64, 0, "" }, { "steps_revert", SS_COL_I64, 0, "" },
    { "steps_tools", SS_COL_I64, 0, "" }, { "max_backward_step_s", SS_COL_F64, 0, "s" },
    { "max_forward_step_s", SS_COL_F64, 0, "s" }, { "failed_snapshots", SS_COL_I64, 0, "" },
};
static const ss_column dssum_cols[] = {
    { "datastore", STR(64), "" }, { "capacity", SS_COL_I64, 0, "B" }, { "bandwidth", SS_COL_F64, 0, "B/s" },
    { "peak_used", SS_COL_I64, 0, "B" }, { "t_peak", SS_COL_F64, 0, "s" }, { "final_used", SS_COL_I64, 0, "B" },
    { "full_events", SS_COL_I64, 0, "" }, { "initial_used", SS_COL_I64, 0, "B" },
    { "headroom", SS_COL_I64, 0, "B" }, { "free_at_peak", SS_COL_I64, 0, "B" },
    { "t_first_full", SS_COL_F64, 0, "s" }, { "stall_s", SS_COL_F64, 0, "s" },
    { "thin_capacity", SS_COL_I64, 0, "B" }, { "provisioned", SS_COL_I64, 0, "B" },
};
#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))


struct ss_rec {
    ss_out *out;              /* NULL: no file */
    int t_events, t_cons, t_steps, t_backups, t_phases, t_outages, t_ds, t_files, t_clocks, t_user;
    ss_cons_summary *cons;    /* every deletion, for the text summary */
    int ncons;
    ss_run_counts counts;     /* events counted as they pass */
};

ss_rec *ss_rec_new(void) { return calloc(1, sizeof(ss_rec)); }
int ss_rec_is_open(const ss_rec *r) { return r->out != NULL; }
int ss_rec_ncons(const ss_rec *r) { return r->ncons; }
const ss_cons_summary *ss_rec_cons(const ss_rec *r, int i) { return &r->cons[i]; }
ss_run_counts ss_rec_counts(const ss_rec *r) { return r->counts; }

int ss_rec_open(ss_rec *r, const char *path, ss_error *err)
{
    r->out = ss_out_open(path, err);
    if (!r->out) return SS_ERR_IO;
    struct { int *h; const char *p; const ss_column *c; int n; } t[] = {
        { &r->t_events, "/events", events_cols, NCOLS(events_cols) },
        { &r->t_cons, "/consolidations", cons_cols, NCOLS(cons_cols) },
        { &r->t_steps, "/consolidation_steps", steps_cols, NCOLS(steps_cols) },
        { &r->t_backups, "/backups", backup_cols, NCOLS(backup_cols) },
        { &r->t_phases, "/backup_phases", phase_cols, NCOLS(phase_cols) },
        { &r->t_outages, "/host_outages", outage_cols, NCOLS(outage_cols) },
        { &r->t_ds, "/series/datastores", ds_cols, NCOLS(ds_cols) },
        { &r->t_files, "/series/files", files_cols, NCOLS(files_cols) },
        { &r->t_clocks, "/series/clocks", clocks_cols, NCOLS(clocks_cols) },
        { &r->t_user, "/series/user", user_cols, NCOLS(user_cols) },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int h = ss_out_table(r->out, t[i].p, t[i].c, t[i].n, err);
        if (h < 0) {
            ss_rec_abort(r);
            return h;
        }
        *t[i].h = h;
    }
    return SS_OK;
}

void ss_rec_event(ss_rec *r, const ss_event *ev)
{
    if (strcmp(ev->kind, "snapshot_failed") == 0) r->counts.failed_snapshots++;
    else if (strcmp(ev->kind, "backup_failed") == 0) r->counts.failed_backups++;
    else if (strcmp(ev->kind, "backup_missed") == 0) r->counts.missed_backups++;
    if (!r->out) return;
    ss_value row[9] = { { .f = ev->t },     { .s = ev->kind },      { .s = ev->vm },
                        { .s = ev->host },  { .s = ev->datastore }, { .s = ev->snapshot },
                        { .i = ev->bytes }, { .f = ev->value },     { .s = ev->detail } };
    ss_out_row(r->out, r->t_events, row);
}

void ss_rec_consolidation(ss_rec *r, const ss_event *d, double t_start, const char *ds, const char *result)
{
    ss_cons_summary *c = realloc(r->cons, (size_t)(r->ncons + 1) * sizeof *c);
    if (!c) abort();
    r->cons = c;
    c = &r->cons[r->ncons++];
    snprintf(c->vm, sizeof c->vm, "%s", d->vm);
    snprintf(c->snapshot, sizeof c->snapshot, "%s", d->snapshot ? d->snapshot : "");
    snprintf(c->strategy, sizeof c->strategy, "%s", d->strategy ? d->strategy : "");
    snprintf(c->result, sizeof c->result, "%s", result);
    c->t_start = t_start;
    c->duration = d->duration;
    c->bytes_copied = d->bytes_copied;
    c->peak_extra = d->peak_extra_bytes;
    c->worst_case = d->worst_case_bytes;
    c->stun = d->stun_time;
    c->iterations = d->iterations;
    if (!r->out) return;
    ss_value row[15] = { { .f = t_start },
                         { .f = d->t },
                         { .s = d->vm },
                         { .s = ds },
                         { .s = d->snapshot },
                         { .s = d->strategy },
                         { .i = d->merges },
                         { .i = d->bytes_copied },
                         { .i = d->peak_extra_bytes },
                         { .i = d->worst_case_bytes },
                         { .f = d->duration },
                         { .f = d->stun_time },
                         { .i = d->iterations },
                         { .s = result },
                         { .s = d->detail } };
    ss_out_row(r->out, r->t_cons, row);
}

void ss_rec_step(ss_rec *r, const ss_step_rec *s)
{
    if (!r->out) return;
    ss_value row[8] = { { .f = s->t0 },      { .f = s->t1 },    { .s = s->vm },     { .s = s->child },
                        { .s = s->parent },  { .i = s->bytes }, { .i = s->growth }, { .i = s->stunned } };
    ss_out_row(r->out, r->t_steps, row);
}

void ss_rec_backup(ss_rec *r, const ss_backup_rec *b)
{
    if (!r->out) return;
    ss_value row[20] = { { .i = b->job },        { .f = b->t_submit },   { .f = b->t_start },     { .f = b->t_end },
                         { .s = b->vm },         { .s = b->host },       { .s = b->datastore },   { .s = b->proxy },
                         { .s = b->mode },       { .s = b->transport },  { .s = b->result },      { .s = b->phase },
                         { .i = b->bytes },      { .f = b->wait_s },     { .f = b->quiesce_s },   { .f = b->export_s },
                         { .f = b->delete_s },   { .i = b->quiesce_attempts }, { .s = b->consistency },
                         { .s = b->detail } };
    ss_out_row(r->out, r->t_backups, row);
}

void ss_rec_phase(ss_rec *r, const ss_phase_rec *p)
{
    if (!r->out) return;
    ss_value row[7] = { { .i = p->job }, { .s = p->vm }, { .s = p->phase }, { .f = p->t0 },
                        { .f = p->t1 },  { .s = p->result }, { .s = p->detail } };
    ss_out_row(r->out, r->t_phases, row);
}

void ss_rec_outage(ss_rec *r, const ss_outage_rec *o)
{
    if (!r->out) return;
    ss_value row[9] = { { .s = o->host },   { .f = o->t_start },  { .f = o->t_end },
                        { .f = o->t_end - o->t_start }, { .s = o->cause }, { .s = o->result },
                        { .i = (int64_t)llround(o->memory) }, { .i = o->ops_failed }, { .i = o->ops_delayed } };
    ss_out_row(r->out, r->t_outages, row);
}

void ss_rec_user(ss_rec *r, double t, const char *name, double value)
{
    if (!r->out) return;
    ss_value row[3] = { { .f = t }, { .s = name }, { .f = value } };
    ss_out_row(r->out, r->t_user, row);
}

void ss_rec_sample(ss_rec *r, ss_world *w)
{
    if (!r->out) return;
    ss_time now = ss_now(w);
    double t = ss_time_to_s(now);
    for (ss_datastore *ds = w->dss; ds; ds = ds->next) {
        ss_value row[5] = { { .f = t }, { .s = ds->name }, { .i = (int64_t)ds->capacity }, { .i = (int64_t)ds->used },
                            { .i = (int64_t)ss_ds_free_bytes(ds) } };
        ss_out_row(r->out, r->t_ds, row);
    }
    for (ss_vm *vm = w->vms; vm; vm = vm->next) {
        for (ss_file *f = vm->dir.files; f; f = f->next) {
            ss_value row[6] = { { .f = t },
                                { .s = vm->name },
                                { .s = f->name },
                                { .s = ss_file_kind_name(f->kind) },
                                { .i = (int64_t)f->size },
                                { .i = (int64_t)ss_file_allocated(f) } };
            ss_out_row(r->out, r->t_files, row);
        }
        ss_value row[4] = { { .f = t }, { .s = vm->name }, { .f = ss_hclock_offset(&vm->host->clock, now) },
                            { .f = ss_gclock_offset(&vm->clock, now) } };
        ss_out_row(r->out, r->t_clocks, row);
    }
}

static int write_summary(ss_rec *r, ss_world *w, const ss_run_info *info, ss_error *err)
{
    ss_out *o = r->out;
    ss_time now = ss_now(w);
    int tv = ss_out_table(o, "/summary/vms", vmsum_cols, NCOLS(vmsum_cols), err);
    if (tv < 0) return tv;
    for (ss_vm *vm = w->vms; vm; vm = vm->next) {
        ss_gclock_stats st;
        ss_gclock_stats_at(&vm->clock, now, &st);
        ss_value row[19] = { { .s = vm->name },
                             { .s = vm->host->name },
                             { .s = vm->ds->name },
                             { .s = vm->strategy->name },
                             { .i = (int64_t)vm->bytes_written },
                             { .i = vm->stalls },
                             { .f = ss_vm_stall_seconds(vm, now) },
                             { .f = vm->throttled_s },
                             { .f = vm->throttled_bytes },
                             { .f = st.max_abs },
                             { .f = st.over_limit_s },
                             { .f = vm->ccl.skew_limit },
                             { .i = st.steps_by_cause[SS_CLK_BOOT] },
                             { .i = st.steps_by_cause[SS_CLK_RESUME] },
                             { .i = st.steps_by_cause[SS_CLK_REVERT] },
                             { .i = st.steps_by_cause[SS_CLK_TOOLS] },
                             { .f = st.max_back_step },
                             { .f = st.max_fwd_step },
                             { .i = vm->snaps_failed } };
        ss_out_row(o, tv, row);
    }
    int td = ss_out_table(o, "/summary/datastores", dssum_cols, NCOLS(dssum_cols), err);
    if (td < 0) return td;
    for (ss_datastore *ds = w->dss; ds; ds = ds->next) {
        ss_ds_answer a;
        ss_ds_answer_of(w, ds, &a);
        ss_value row[14] = { { .s = ds->name },       { .i = (int64_t)ds->capacity },
                             { .f = ds->bandwidth },  { .i = (int64_t)ds->peak_used },
                             { .f = ss_time_to_s(ds->t_peak) }, { .i = (int64_t)ds->used },
                             { .i = ds->full_events }, { .i = (int64_t)a.initial_used },
                             { .i = (int64_t)a.headroom }, { .i = (int64_t)a.free_at_peak },
                             { .f = a.t_first_full }, { .f = a.stall_s },
                             { .i = (int64_t)a.thin_capacity }, { .i = (int64_t)a.provisioned } };
        ss_out_row(o, td, row);
    }
    int th = ss_out_table(o, "/summary/hosts", hostsum_cols, NCOLS(hostsum_cols), err);
    if (th < 0) return th;
    for (ss_host *h = w->hosts; h; h = h->next) {
        double peak = ss_hostd_memory(w, h) > h->peak_mem ? ss_hostd_memory(w, h) : h->peak_mem;
        ss_value row[11] = { { .s = h->name },      { .s = h->version->name }, { .i = h->restarts },
                             { .i = h->outages },   { .f = ss_hostd_down_s(w, h) }, { .i = h->ops },
                             { .i = h->ops_failed }, { .i = h->ops_delayed },
                             { .i = (int64_t)llround(ss_hostd_memory(w, h)) }, { .i = (int64_t)llround(peak) },
                             { .i = (int64_t)h->hostd.limit } };
        ss_out_row(o, th, row);
    }
    ss_out_attr_str(o, "/", "format", "snapsim");
    ss_out_attr_i64(o, "/", "format_version", SS_FORMAT_VERSION);
    ss_out_attr_str(o, "/", "snapsim_version", SNAPSIM_VERSION_STRING);
    ss_out_attr_str(o, "/", "scenario", info->scenario ? info->scenario : "");
    ss_out_attr_str(o, "/", "scenario_file", info->path ? info->path : "");
    ss_out_attr_i64(o, "/", "seed", (int64_t)info->seed);
    ss_out_attr_f64(o, "/", "duration_s", ss_time_to_s(info->duration));
    ss_out_attr_str(o, "/", "source", info->source ? info->source : "");
    ss_out_attr_i64(o, "/", "events_fired", (int64_t)info->events);
    return SS_OK;
}

int ss_rec_commit(ss_rec *r, ss_world *w, const ss_run_info *info, ss_error *err)
{
    if (!r->out) return SS_OK;
    int rc = write_summary(r, w, info, err);
    if (rc != SS_OK) {
        ss_rec_abort(r);
        return rc;
    }
    rc = ss_out_commit(r->out, err);
    r->out = NULL;
    return rc;
}

void ss_rec_abort(ss_rec *r)
{
    if (r->out) ss_out_abort(r->out);
    r->out = NULL;
}

void ss_rec_free(ss_rec *r)
{
    if (!r) return;
    ss_rec_abort(r);
    free(r->cons);
    free(r);
}
