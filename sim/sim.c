/*
 * sim.c -- one run: the engine, the model's world, the events it emits (to
 * the output file and to the scenario's on() handlers), periodic sampling
 * and the closing summary.  Everything lives in the ss_sim; nothing is
 * global, so simulations can run side by side.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>

#include "sim_internal.h"
#include "snapsim/units.h"

ss_engine *ss_sim_engine(ss_sim *sim) { return sim->eng; }
ss_vm *ss_sim_vms(ss_sim *sim) { return sim->vms; }
ss_time ss_sim_duration(const ss_sim *sim) { return sim->duration; }
uint64_t ss_sim_seed(const ss_sim *sim) { return sim->seed; }
uint64_t ss_sim_events(const ss_sim *sim) { return ss_engine_fired(sim->eng); }
uint64_t ss_sim_guest_ios(const ss_sim *sim)
{
    uint64_t n = 0;
    for (const ss_vm *vm = sim->vms; vm; vm = vm->next) n += vm->ios;
    return n;
}
const char *ss_sim_name(const ss_sim *sim) { return sim->name ? sim->name : ""; }
struct lua_State *ss_sim_lua(ss_sim *sim) { return sim->L; }

void ss_sim_set_progress(ss_sim *sim, ss_progress_fn fn, void *ctx)
{
    sim->progress = fn;
    sim->progress_ctx = ctx;
}

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
    { "max_forward_step_s", SS_COL_F64, 0, "s" },
};
static const ss_column dssum_cols[] = {
    { "datastore", STR(64), "" }, { "capacity", SS_COL_I64, 0, "B" }, { "bandwidth", SS_COL_F64, 0, "B/s" },
    { "peak_used", SS_COL_I64, 0, "B" }, { "t_peak", SS_COL_F64, 0, "s" }, { "final_used", SS_COL_I64, 0, "B" },
    { "full_events", SS_COL_I64, 0, "" },
};
#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- events ---- */

static char *dup0(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (!p) abort();
    return memcpy(p, s, n);
}

/* An event waiting for its on() handlers (they run as an engine event at
 * the same time, after the model has finished what it was doing). */
typedef struct pending_ev {
    ss_event ev;
    char *s[7];
    struct pending_ev *prev, *next;   /* sim->pending, to free what never fired */
} pending_ev;

static void pending_free(ss_sim *sim, pending_ev *p)
{
    if (p->prev) p->prev->next = p->next;
    else sim->pending = p->next;
    if (p->next) p->next->prev = p->prev;
    for (int i = 0; i < 7; i++) free(p->s[i]);
    free(p);
}

static void dispatch_fire(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    ss_sim *sim = ctx;
    pending_ev *p = (pending_ev *)(uintptr_t)arg;
    ss_lua_dispatch(sim, &p->ev);
    pending_free(sim, p);
}

void ss_sim_emit(ss_sim *sim, const ss_event *ev)
{
    if (sim->out) {
        ss_value row[9] = { { .f = ev->t },     { .s = ev->kind },     { .s = ev->vm },
                            { .s = ev->host },  { .s = ev->datastore }, { .s = ev->snapshot },
                            { .i = ev->bytes }, { .f = ev->value },    { .s = ev->detail } };
        ss_out_row(sim->out, sim->t_events, row);
    }
    if (ss_lua_has_handler(sim, ev->kind)) {
        pending_ev *p = calloc(1, sizeof *p);
        if (!p) abort();
        p->ev = *ev;
        p->ev.kind = p->s[0] = dup0(ev->kind);
        p->ev.vm = p->s[1] = dup0(ev->vm);
        p->ev.host = p->s[2] = dup0(ev->host);
        p->ev.datastore = p->s[3] = dup0(ev->datastore);
        p->ev.snapshot = p->s[4] = dup0(ev->snapshot);
        p->ev.detail = p->s[5] = dup0(ev->detail);
        p->ev.strategy = p->s[6] = dup0(ev->strategy);
        p->next = sim->pending;
        if (sim->pending) sim->pending->prev = p;
        sim->pending = p;
        ss_engine_at(sim->eng, ss_engine_now(sim->eng), dispatch_fire, sim, (uint64_t)(uintptr_t)p);
    }
}

void ss_sim_record_consolidation(ss_sim *sim, const ss_event *d, double t_start, const char *ds,
                                 const char *result)
{
    ss_cons_summary *c = realloc(sim->cons, (size_t)(sim->ncons + 1) * sizeof *c);
    if (!c) abort();
    sim->cons = c;
    c = &sim->cons[sim->ncons++];
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
    if (!sim->out) return;
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
    ss_out_row(sim->out, sim->t_cons, row);
}

void ss_sim_record_step(ss_sim *sim, ss_vm *vm, double t0, double t1, const char *child, const char *parent,
                        int64_t bytes, int64_t growth, int stunned)
{
    if (!sim->out) return;
    ss_value row[8] = { { .f = t0 },      { .f = t1 },     { .s = vm->name }, { .s = child },
                        { .s = parent },  { .i = bytes },  { .i = growth },   { .i = stunned } };
    ss_out_row(sim->out, sim->t_steps, row);
}

void ss_sim_record_user(ss_sim *sim, const char *name, double value)
{
    if (!sim->out) return;
    ss_value row[3] = { { .f = ss_time_to_s(ss_engine_now(sim->eng)) }, { .s = name }, { .f = value } };
    ss_out_row(sim->out, sim->t_user, row);
}

void ss_sim_sample(ss_sim *sim)
{
    if (!sim->out || !sim->running) return;
    ss_time now = ss_engine_now(sim->eng);
    ss_vm_sync_all(sim);
    double t = ss_time_to_s(now);
    for (ss_datastore *ds = sim->dss; ds; ds = ds->next) {
        ss_value row[5] = { { .f = t }, { .s = ds->name }, { .i = (int64_t)ds->capacity }, { .i = (int64_t)ds->used },
                            { .i = (int64_t)(ds->capacity > ds->used ? ds->capacity - ds->used : 0) } };
        ss_out_row(sim->out, sim->t_ds, row);
    }
    for (ss_vm *vm = sim->vms; vm; vm = vm->next) {
        for (ss_file *f = vm->files; f; f = f->next) {
            ss_value row[6] = { { .f = t },
                                { .s = vm->name },
                                { .s = f->name },
                                { .s = ss_file_kind_name(f->kind) },
                                { .i = (int64_t)f->size },
                                { .i = (int64_t)ss_file_allocated(f) } };
            ss_out_row(sim->out, sim->t_files, row);
        }
        ss_value row[4] = { { .f = t }, { .s = vm->name }, { .f = ss_hclock_offset(&vm->host->clock, now) },
                            { .f = ss_gclock_offset(&vm->clock, now) } };
        ss_out_row(sim->out, sim->t_clocks, row);
    }
}

/* ---- periodic events ---- */

static void sample_fire(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)arg;
    ss_sim *sim = ctx;
    ss_sim_sample(sim);
    ss_time next = ss_engine_now(eng) + sim->sample_every;
    if (next < sim->duration) ss_engine_at(eng, next, sample_fire, sim, 0);
}

/* The tick applies every VM's writes so far: stalls are seen within a tick
 * of when they happen (their times are exact). */
static void tick_fire(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)arg;
    ss_sim *sim = ctx;
    ss_vm_sync_all(sim);
    ss_time next = ss_engine_now(eng) + sim->tick;
    if (next < sim->duration) ss_engine_at(eng, next, tick_fire, sim, 0);
}

typedef struct vm_tick { ss_sim *sim; ss_vm *vm; } vm_tick;

static void tools_tick(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)arg;
    vm_tick *vt = ctx;
    ss_vm_tools_tick(vt->sim, vt->vm);
    ss_time next = ss_engine_now(eng) + vt->vm->ccl.sync_interval;
    if (next < vt->sim->duration) ss_engine_at(eng, next, tools_tick, vt, 0);
}

static void profile_tick(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)arg;
    vm_tick *vt = ctx;
    ss_vm_start_io(vt->sim, vt->vm);
    ss_time next = ss_engine_now(eng) + 3600 * SS_NS_PER_S;
    if (next < vt->sim->duration) ss_engine_at(eng, next, profile_tick, vt, 0);
}

static vm_tick *new_tick(ss_sim *sim, ss_vm *vm)
{
    vm_tick *vt = malloc(sizeof *vt);
    if (!vt) abort();
    vt->sim = sim;
    vt->vm = vm;
    vm_tick **p = realloc(sim->ticks, (size_t)(sim->nticks + 1) * sizeof *p);
    if (!p) abort();
    sim->ticks = p;
    sim->ticks[sim->nticks++] = vt;
    return vt;
}

/* ---- run ---- */

static int open_output(ss_sim *sim, const char *path, ss_error *err)
{
    sim->out = ss_out_open(path, err);
    if (!sim->out) return SS_ERR_IO;
    struct { int *h; const char *p; const ss_column *c; int n; } t[] = {
        { &sim->t_events, "/events", events_cols, NCOLS(events_cols) },
        { &sim->t_cons, "/consolidations", cons_cols, NCOLS(cons_cols) },
        { &sim->t_steps, "/consolidation_steps", steps_cols, NCOLS(steps_cols) },
        { &sim->t_ds, "/series/datastores", ds_cols, NCOLS(ds_cols) },
        { &sim->t_files, "/series/files", files_cols, NCOLS(files_cols) },
        { &sim->t_clocks, "/series/clocks", clocks_cols, NCOLS(clocks_cols) },
        { &sim->t_user, "/series/user", user_cols, NCOLS(user_cols) },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int h = ss_out_table(sim->out, t[i].p, t[i].c, t[i].n, err);
        if (h < 0) return h;
        *t[i].h = h;
    }
    return SS_OK;
}

static int write_summary(ss_sim *sim, ss_error *err)
{
    ss_out *o = sim->out;
    ss_time now = ss_engine_now(sim->eng);
    int tv = ss_out_table(o, "/summary/vms", vmsum_cols, NCOLS(vmsum_cols), err);
    if (tv < 0) return tv;
    for (ss_vm *vm = sim->vms; vm; vm = vm->next) {
        ss_gclock_stats st;
        ss_gclock_stats_at(&vm->clock, now, &st);
        ss_value row[18] = { { .s = vm->name },
                             { .s = vm->host->name },
                             { .s = vm->ds->name },
                             { .s = vm->strategy->name },
                             { .i = (int64_t)vm->bytes_written },
                             { .i = vm->stalls },
                             { .f = vm->stall_s },
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
                             { .f = st.max_fwd_step } };
        ss_out_row(o, tv, row);
    }
    int td = ss_out_table(o, "/summary/datastores", dssum_cols, NCOLS(dssum_cols), err);
    if (td < 0) return td;
    for (ss_datastore *ds = sim->dss; ds; ds = ds->next) {
        ss_value row[7] = { { .s = ds->name },       { .i = (int64_t)ds->capacity },
                            { .f = ds->bandwidth },  { .i = (int64_t)ds->peak_used },
                            { .f = ss_time_to_s(ds->t_peak) }, { .i = (int64_t)ds->used },
                            { .i = ds->full_events } };
        ss_out_row(o, td, row);
    }
    ss_out_attr_str(o, "/", "format", "snapsim");
    ss_out_attr_i64(o, "/", "format_version", SS_FORMAT_VERSION);
    ss_out_attr_str(o, "/", "snapsim_version", SNAPSIM_VERSION_STRING);
    ss_out_attr_str(o, "/", "scenario", ss_sim_name(sim));
    ss_out_attr_str(o, "/", "scenario_file", sim->path ? sim->path : "");
    ss_out_attr_i64(o, "/", "seed", (int64_t)sim->seed);
    ss_out_attr_f64(o, "/", "duration_s", ss_time_to_s(sim->duration));
    ss_out_attr_str(o, "/", "source", sim->source ? sim->source : "");
    ss_out_attr_i64(o, "/", "events_fired", (int64_t)ss_engine_fired(sim->eng));
    return SS_OK;
}

int ss_sim_run(ss_sim *sim, const char *h5path, ss_error *err)
{
    int rc;
    if (h5path && (rc = open_output(sim, h5path, err)) != SS_OK) {
        if (sim->out) ss_out_abort(sim->out);
        sim->out = NULL;
        return rc;
    }
    sim->running = 1;
    ss_engine *eng = sim->eng;
    for (ss_vm *vm = sim->vms; vm; vm = vm->next) {
        ss_vm_clock_start(sim, vm);
        ss_vm_start_io(sim, vm);
        if (vm->ccl.tools_sync) ss_engine_at(eng, vm->ccl.sync_interval, tools_tick, new_tick(sim, vm), 0);
        if (vm->wl && ss_workload_params_of(vm->wl)->has_profile)
            ss_engine_at(eng, 3600 * SS_NS_PER_S, profile_tick, new_tick(sim, vm), 0);
    }
    ss_engine_at(eng, 0, sample_fire, sim, 0);
    if (sim->tick > 0) ss_engine_at(eng, sim->tick, tick_fire, sim, 0);

    /* Run in slices so that progress can be reported. */
    ss_time slice = sim->duration / 100 + 1;
    while (!ss_engine_stopped(eng) && ss_engine_now(eng) < sim->duration) {
        ss_time until = ss_engine_now(eng) + slice;
        if (until > sim->duration) until = sim->duration;
        ss_engine_run(eng, until);
        if (sim->progress)
            sim->progress(sim->progress_ctx, ss_time_to_s(ss_engine_now(eng)), ss_time_to_s(sim->duration),
                          ss_engine_fired(eng));
    }
    if (sim->failed) {
        if (err) *err = sim->run_err;
        if (sim->out) ss_out_abort(sim->out);
        sim->out = NULL;
        return sim->run_err.code ? sim->run_err.code : SS_ERR_INPUT;
    }
    ss_vm_sync_all(sim);
    ss_sim_sample(sim);
    for (ss_vm *vm = sim->vms; vm; vm = vm->next) ss_job_report_unfinished(sim, vm);
    sim->running = 0;
    if (sim->out) {
        if ((rc = write_summary(sim, err)) != SS_OK) {
            ss_out_abort(sim->out);
            sim->out = NULL;
            return rc;
        }
        rc = ss_out_commit(sim->out, err);
        sim->out = NULL;
        if (rc != SS_OK) return rc;
    }
    return SS_OK;
}

int ss_sim_check(const ss_sim *sim, ss_error *err)
{
    for (const ss_datastore *ds = sim->dss; ds; ds = ds->next) {
        uint64_t sum = 0;
        for (const ss_vm *vm = sim->vms; vm; vm = vm->next)
            for (const ss_file *f = vm->files; f; f = f->next)
                if (f->ds == ds) sum += f->size;
        if (sum != ds->used)
            return ss_error_set(err, SS_ERR_USAGE, "datastore %s: used %llu but its files hold %llu", ds->name,
                                (unsigned long long)ds->used, (unsigned long long)sum);
    }
    for (const ss_vm *vm = sim->vms; vm; vm = vm->next) {
        for (const ss_file *f = vm->files; f; f = f->next) {
            int children = 0;
            for (const ss_file *g = vm->files; g; g = g->next)
                if (g->parent == f) children++;
            if (children != f->nchildren)
                return ss_error_set(err, SS_ERR_USAGE, "%s: %d children counted, %d found", f->name, f->nchildren,
                                    children);
            if (f->disk && !f->thick) {
                uint64_t want = ss_file_size_for(f, ss_gs_count(f->gs), ss_gs_regions(f->gs));
                if (want != f->size)
                    return ss_error_set(err, SS_ERR_USAGE, "%s: size %llu, formula %llu", f->name,
                                        (unsigned long long)f->size, (unsigned long long)want);
            }
        }
        for (int i = 0; i < vm->ndisks; i++)
            if (vm->disks[i].top->nchildren != 0)
                return ss_error_set(err, SS_ERR_USAGE, "vm %s disk %d: the top %s has children", vm->name, i + 1,
                                    vm->disks[i].top->name);
    }
    return SS_OK;
}

/* Called from the Lua side when a callback raised an error. */
void ss_sim_fail(ss_sim *sim, const char *msg)
{
    if (sim->failed) return;
    sim->failed = 1;
    ss_error_set(&sim->run_err, SS_ERR_INPUT, "%s", msg);
    ss_engine_stop(sim->eng);
}

void ss_sim_summary(const ss_sim *sim, FILE *f)
{
    char a[64], b[64], c[64];
    fprintf(f, "snapsim: %s, %s simulated, seed %llu, %llu events\n", ss_sim_name(sim),
            (ss_format_duration(sim->duration, a, sizeof a), a), (unsigned long long)sim->seed,
            (unsigned long long)ss_engine_fired(sim->eng));
    for (ss_datastore *ds = sim->dss; ds; ds = ds->next) {
        ss_format_size(ds->peak_used, a, sizeof a);
        ss_format_size(ds->capacity, b, sizeof b);
        ss_format_duration(ds->t_peak, c, sizeof c);
        fprintf(f, "  datastore %-14s peak use %s of %s at %s%s\n", ds->name, a, b, c,
                ds->full_events ? " (ran full)" : "");
    }
    for (int i = 0; i < sim->ncons; i++) {
        const ss_cons_summary *k = &sim->cons[i];
        ss_format_size((uint64_t)k->peak_extra, a, sizeof a);
        ss_format_size((uint64_t)k->bytes_copied, b, sizeof b);
        ss_format_size((uint64_t)k->worst_case, c, sizeof c);
        fprintf(f, "  delete %-12s on %-12s %-11s %-7s peak extra %s, copied %s, worst case %s, %.1f s, stun %.2f s, %d iter.\n",
                k->snapshot, k->vm, k->strategy, k->result, a, b, c, k->duration, k->stun, (int)k->iterations);
    }
    for (ss_vm *vm = sim->vms; vm; vm = vm->next) {
        ss_gclock_stats st;
        ss_gclock_stats_at((ss_gclock *)&vm->clock, ss_engine_now(sim->eng), &st);
        if (vm->stalls)
            fprintf(f, "  vm %-10s stalled %d time(s), %.1f s in all\n", vm->name, vm->stalls, vm->stall_s);
        /* A clock beyond the skew limit is worth a line even without any
         * step (a guest that drifts away with no resync at all). */
        if (st.steps || st.over_limit_s > 0)
            fprintf(f, "  vm %-10s clock: %d step(s) (boot %d, resume %d, revert %d, tools %d), max |offset| %.3f s, beyond %.0f s skew for %.0f s\n",
                    vm->name, (int)st.steps, (int)st.steps_by_cause[SS_CLK_BOOT], (int)st.steps_by_cause[SS_CLK_RESUME],
                    (int)st.steps_by_cause[SS_CLK_REVERT], (int)st.steps_by_cause[SS_CLK_TOOLS], st.max_abs,
                    vm->ccl.skew_limit, st.over_limit_s);
    }
}

void ss_sim_free(ss_sim *sim)
{
    if (!sim) return;
    if (sim->out) ss_out_abort(sim->out);
    while (sim->pending) pending_free(sim, sim->pending);
    if (sim->L) lua_close(sim->L);
    while (sim->vms) {
        ss_vm *v = sim->vms;
        sim->vms = v->next;
        ss_vm_free(v);
    }
    while (sim->hosts) {
        ss_host *h = sim->hosts;
        sim->hosts = h->next;
        free(h->name);
        free(h);
    }
    while (sim->dss) {
        ss_datastore *d = sim->dss;
        sim->dss = d->next;
        ss_ds_free(d);
    }
    for (int i = 0; i < sim->nticks; i++) free(sim->ticks[i]);
    free(sim->ticks);
    free(sim->cons);
    free(sim->cbs);
    free(sim->name);
    free(sim->path);
    free(sim->source);
    ss_engine_free(sim->eng);
    free(sim);
}
