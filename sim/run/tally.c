/*
 * tally.c -- a run's key metrics (tally.h, docs/output.md "index.h5").
 *
 * The metrics are tables, so that a new one is a row: per datastore
 * (DS_METRICS), per VM (VM_METRICS: a value read from the VM at the end,
 * or a count of events of one kind), per consolidation kind (CONS_METRICS,
 * over the deletions of that kind that ended "done"), and per record()
 * series (its last and largest value).  Entities are listed in
 * declaration order, consolidation kinds and series in order of first
 * appearance, so the list is the same for the same run.
 *
 * Counting state.  ds[i] follows the i-th datastore of w->dss (initial use,
 * first time full); vmc[i * NVM + j] counts events for metric j of the i-th
 * VM of w->vms; both grow when the world gains entities during the run.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/datastore.h"
#include "model/vm.h"
#include "run/tally.h"

typedef struct ds_tally {
    double initial;           /* B in use when the run started */
    double t_full;            /* s, first datastore_full; NaN: never */
} ds_tally;

/* A consolidation kind: "<strategy>:one" (delete_snapshot) or ":all". */
typedef struct cons_tally {
    char kind[48];
    int n;
    double duration, copied, stun, stun_max;   /* sums, and the largest stun */
} cons_tally;

typedef struct rec_tally {
    char *name;
    double last, max;
} rec_tally;

struct ss_tally {
    ds_tally *ds;
    int nds;
    double *vmc;
    int nvm;
    cons_tally *cons;
    int ncons;
    rec_tally *rec;
    int nrec;
};

/* ---- the tables ---- */

static double ds_peak(const ds_tally *t, const ss_datastore *ds) { (void)t; return (double)ds->peak_used; }
static double ds_extra(const ds_tally *t, const ss_datastore *ds) { return (double)ds->peak_used - t->initial; }
static double ds_first_full(const ds_tally *t, const ss_datastore *ds) { (void)ds; return t->t_full; }
static double ds_filled(const ds_tally *t, const ss_datastore *ds) { (void)ds; return isnan(t->t_full) ? 0 : 1; }
static double ds_initial(const ds_tally *t, const ss_datastore *ds) { (void)ds; return t->initial; }
static double ds_free_at_peak(const ds_tally *t, const ss_datastore *ds)
{
    (void)t;
    return ds->peak_used < ds->capacity ? (double)(ds->capacity - ds->peak_used) : 0;
}

static const struct ds_metric {
    const char *name, *unit;
    double (*get)(const ds_tally *t, const ss_datastore *ds);
} DS_METRICS[] = {
    { "peak_used", "B", ds_peak },           /* highest use during the run */
    { "peak_extra", "B", ds_extra },         /* peak_used minus the use at the start */
    { "t_first_full", "s", ds_first_full },  /* first datastore_full; NaN: never */
    { "filled", "", ds_filled },             /* 1 if it ever filled (the mean is the share of runs) */
    { "initial_used", "B", ds_initial },     /* use at the start */
    { "free_at_peak", "B", ds_free_at_peak },/* capacity minus peak_used */
    { "stall_s", "s", NULL },                /* stalls of the VMs whose folder is on it (ds_stall) */
};

static double vm_stalls(const ss_vm *vm, ss_time now) { (void)now; return vm->stalls; }
/* A stall still going on at the end counts up to the end. */
static double vm_stall_s(const ss_vm *vm, ss_time now) { return ss_vm_stall_seconds(vm, now); }
static double ds_stall(ss_world *w, const ss_datastore *ds)
{
    double s = 0;
    for (ss_vm *v = w->vms; v; v = v->next)
        if (v->ds == ds) s += vm_stall_s(v, ss_now(w));
    return s;
}

static double vm_max_offset(const ss_vm *vm, ss_time now)
{
    ss_gclock_stats st;
    ss_gclock_stats_at((ss_gclock *)&vm->clock, now, &st);
    return st.max_abs;
}

/* A VM metric is either read from the VM (get) or counts the events of a
 * kind naming the VM (count). */
static const struct vm_metric {
    const char *name, *unit;
    double (*get)(const ss_vm *vm, ss_time now);
    const char *count;
} VM_METRICS[] = {
    { "stalls", "", vm_stalls, NULL },
    { "stall_s", "s", vm_stall_s, NULL },
    { "failed_snapshots", "", NULL, "snapshot_failed" },
    { "failed_backups", "", NULL, "backup_failed" },
    { "missed_backups", "", NULL, "backup_missed" },
    { "max_abs_offset_s", "s", vm_max_offset, NULL },
};
#define NVM ((int)(sizeof VM_METRICS / sizeof VM_METRICS[0]))

static double cons_count(const cons_tally *c) { return c->n; }
static double cons_duration(const cons_tally *c) { return c->duration / c->n; }
static double cons_copied(const cons_tally *c) { return c->copied / c->n; }
static double cons_stun(const cons_tally *c) { return c->stun / c->n; }
static double cons_stun_max(const cons_tally *c) { return c->stun_max; }

static const struct cons_metric {
    const char *name, *unit;
    double (*get)(const cons_tally *c);
} CONS_METRICS[] = {
    { "count", "", cons_count },             /* deletions of this kind that ended done */
    { "duration_s", "s", cons_duration },    /* mean per deletion */
    { "bytes_copied", "B", cons_copied },    /* mean per deletion */
    { "stun_s", "s", cons_stun },            /* mean per deletion */
    { "stun_max_s", "s", cons_stun_max },    /* the longest */
};

/* ---- counting ---- */

ss_tally *ss_tally_new(void) { return calloc(1, sizeof(ss_tally)); }

void ss_tally_free(ss_tally *t)
{
    if (!t) return;
    for (int i = 0; i < t->nrec; i++) free(t->rec[i].name);
    free(t->rec);
    free(t->cons);
    free(t->vmc);
    free(t->ds);
    free(t);
}

/* Grow ds[] and vmc[] to the world's datastores and VMs (new ones: zero
 * counts, never full, initial use as now). */
static int fit_world(ss_tally *t, ss_world *w)
{
    int nds = 0, nvm = 0;
    for (ss_datastore *d = w->dss; d; d = d->next) nds++;
    for (ss_vm *v = w->vms; v; v = v->next) nvm++;
    if (nds > t->nds) {
        ds_tally *n = realloc(t->ds, (size_t)nds * sizeof *n);
        if (!n) return SS_ERR_NOMEM;
        t->ds = n;
        int i = 0;
        for (ss_datastore *d = w->dss; d; d = d->next, i++)
            if (i >= t->nds) t->ds[i] = (ds_tally){ (double)d->used, NAN };
        t->nds = nds;
    }
    if (nvm > t->nvm) {
        double *n = realloc(t->vmc, (size_t)nvm * NVM * sizeof *n);
        if (!n) return SS_ERR_NOMEM;
        memset(n + (size_t)t->nvm * NVM, 0, (size_t)(nvm - t->nvm) * NVM * sizeof *n);
        t->vmc = n;
        t->nvm = nvm;
    }
    return SS_OK;
}

void ss_tally_start(ss_tally *t, ss_world *w)
{
    fit_world(t, w);
    int i = 0;
    for (ss_datastore *d = w->dss; d && i < t->nds; d = d->next, i++) t->ds[i].initial = (double)d->used;
}

void ss_tally_event(ss_tally *t, ss_world *w, const ss_event *ev)
{
    if (strcmp(ev->kind, "datastore_full") == 0 && ev->datastore && fit_world(t, w) == SS_OK) {
        int i = 0;
        for (ss_datastore *d = w->dss; d; d = d->next, i++)
            if (strcmp(d->name, ev->datastore) == 0 && isnan(t->ds[i].t_full)) t->ds[i].t_full = ev->t;
        return;
    }
    for (int j = 0; j < NVM; j++) {
        if (!VM_METRICS[j].count || strcmp(VM_METRICS[j].count, ev->kind) != 0 || !ev->vm) continue;
        if (fit_world(t, w) != SS_OK) return;
        int i = 0;
        for (ss_vm *v = w->vms; v; v = v->next, i++)
            if (strcmp(v->name, ev->vm) == 0) t->vmc[(size_t)i * NVM + j] += 1;
    }
}

void ss_tally_consolidation(ss_tally *t, const ss_event *done, const char *result)
{
    if (strcmp(result, "done") != 0) return;
    char kind[48];
    snprintf(kind, sizeof kind, "%s:%s", done->strategy ? done->strategy : "",
             done->snapshot && strcmp(done->snapshot, "(all)") == 0 ? "all" : "one");
    int i = 0;
    while (i < t->ncons && strcmp(t->cons[i].kind, kind) != 0) i++;
    if (i == t->ncons) {
        cons_tally *n = realloc(t->cons, (size_t)(t->ncons + 1) * sizeof *n);
        if (!n) return;
        t->cons = n;
        memset(&n[i], 0, sizeof n[i]);
        memcpy(n[i].kind, kind, sizeof kind);
        t->ncons++;
    }
    cons_tally *c = &t->cons[i];
    c->n++;
    c->duration += done->duration;
    c->copied += (double)done->bytes_copied;
    c->stun += done->stun_time;
    if (done->stun_time > c->stun_max) c->stun_max = done->stun_time;
}

void ss_tally_record(ss_tally *t, const char *name, double value)
{
    int i = 0;
    while (i < t->nrec && strcmp(t->rec[i].name, name) != 0) i++;
    if (i == t->nrec) {
        rec_tally *n = realloc(t->rec, (size_t)(t->nrec + 1) * sizeof *n);
        char *nm = malloc(strlen(name) + 1);
        if (n) t->rec = n;
        if (!n || !nm) {
            free(nm);
            return;
        }
        n[i] = (rec_tally){ strcpy(nm, name), value, value };
        t->nrec++;
    }
    t->rec[i].last = value;
    if (value > t->rec[i].max || isnan(t->rec[i].max)) t->rec[i].max = value;
}

int ss_tally_metrics(ss_tally *t, ss_world *w, ss_metrics *m)
{
    int rc = fit_world(t, w);
    int i = 0;
    for (ss_datastore *d = w->dss; d && rc == SS_OK; d = d->next, i++)
        for (size_t j = 0; j < sizeof DS_METRICS / sizeof DS_METRICS[0] && rc == SS_OK; j++)
            rc = ss_metrics_add(m, "datastore", d->name, DS_METRICS[j].name, DS_METRICS[j].unit,
                                DS_METRICS[j].get ? DS_METRICS[j].get(&t->ds[i], d) : ds_stall(w, d));
    i = 0;
    for (ss_vm *v = w->vms; v && rc == SS_OK; v = v->next, i++)
        for (int j = 0; j < NVM && rc == SS_OK; j++)
            rc = ss_metrics_add(m, "vm", v->name, VM_METRICS[j].name, VM_METRICS[j].unit,
                                VM_METRICS[j].get ? VM_METRICS[j].get(v, ss_now(w)) : t->vmc[(size_t)i * NVM + j]);
    for (int k = 0; k < t->ncons && rc == SS_OK; k++)
        for (size_t j = 0; j < sizeof CONS_METRICS / sizeof CONS_METRICS[0] && rc == SS_OK; j++)
            rc = ss_metrics_add(m, "consolidation", t->cons[k].kind, CONS_METRICS[j].name, CONS_METRICS[j].unit,
                                CONS_METRICS[j].get(&t->cons[k]));
    for (int k = 0; k < t->nrec && rc == SS_OK; k++) {
        rc = ss_metrics_add(m, "record", t->rec[k].name, "last", "", t->rec[k].last);
        if (rc == SS_OK) rc = ss_metrics_add(m, "record", t->rec[k].name, "max", "", t->rec[k].max);
    }
    return rc;
}
