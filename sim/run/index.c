/*
 * index.c -- DIR/index.h5 of a replication or a sweep
 * (include/snapsim/index.h; the schema is docs/output.md "index.h5").
 *
 * Tables: /points (one row per point), /runs (one per run), /metrics (one
 * per run and metric: long, so a fleet of a thousand VMs fits), /summary
 * (one per point and metric: n, mean, sd, 95 % CI, min, max, p95), and
 * /files/<run> external links to the run files that exist.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapsim/index.h"
#include "snapsim/output.h"
#include "snapsim/stats.h"
#include "snapsim/units.h"

#define W_LABEL 160
#define W_VALUE 64
#define W_SCOPE 16
#define W_ENTITY 64
#define W_METRIC 32
#define W_UNIT 8
#define W_STATUS 8
#define W_ERROR 256
#define W_FILE 32
#define MAXCOLS 64            /* fixed columns + parameters */

void ss_index_run_file(int point, int replication, char *buf, size_t n)
{
    snprintf(buf, n, "p%04d-r%04d.h5", point, replication);
}

/* One NaN for every NaN, so the bytes do not depend on how it was made. */
static double canon(double v) { return isnan(v) ? NAN : v; }

/* Columns: `fixed` columns, then one string column per parameter inserted
 * at position `at`. */
static int columns(const ss_plan *plan, const ss_column *fixed, int nfixed, int at, ss_column *out)
{
    int n = 0;
    for (int i = 0; i < nfixed; i++) {
        if (i == at)
            for (int k = 0; k < plan->nparams; k++) out[n++] = (ss_column){ plan->params[k].name, SS_COL_STR, W_VALUE, "" };
        out[n++] = fixed[i];
    }
    return n;
}

typedef struct writer {
    ss_out *o;
    const ss_plan *plan;
    const ss_result *res;
    int reps, points;
} writer;

/* Parameter values of `point` into row[at..]. */
static void put_params(const writer *w, int point, ss_value *row, int at)
{
    for (int k = 0; k < w->plan->nparams; k++) row[at + k].s = ss_plan_value(w->plan, point, k);
}

static int write_points(writer *w, ss_error *err)
{
    static const ss_column fixed[] = {
        { "point", SS_COL_I64, 0, "" }, { "label", SS_COL_STR, W_LABEL, "" },
        { "runs_ok", SS_COL_I64, 0, "" }, { "runs_failed", SS_COL_I64, 0, "" },
    };
    ss_column cols[MAXCOLS];
    int nc = columns(w->plan, fixed, 4, 2, cols);
    int t = ss_out_table(w->o, "/points", cols, nc, err);
    if (t < 0) return t;
    for (int p = 0; p < w->points; p++) {
        ss_value row[MAXCOLS];
        char label[W_LABEL];
        ss_plan_label(w->plan, p, label, sizeof label);
        int ok = 0, bad = 0;
        for (int r = 0; r < w->reps; r++) {
            ss_run_status s = w->res[p * w->reps + r].status;
            ok += s == SS_RUN_OK;
            bad += s == SS_RUN_FAILED || s == SS_RUN_CRASHED;
        }
        row[0].i = p;
        row[1].s = label;
        put_params(w, p, row, 2);
        row[2 + w->plan->nparams].i = ok;
        row[3 + w->plan->nparams].i = bad;
        ss_out_row(w->o, t, row);
    }
    return SS_OK;
}

static int write_runs(writer *w, ss_error *err)
{
    static const ss_column fixed[] = {
        { "run", SS_COL_I64, 0, "" },          { "point", SS_COL_I64, 0, "" },
        { "replication", SS_COL_I64, 0, "" },  { "seed", SS_COL_I64, 0, "" },
        { "status", SS_COL_STR, W_STATUS, "" }, { "error", SS_COL_STR, W_ERROR, "" },
        { "file", SS_COL_STR, W_FILE, "" },
    };
    ss_column cols[MAXCOLS];
    int nc = columns(w->plan, fixed, 7, 4, cols);
    int t = ss_out_table(w->o, "/runs", cols, nc, err);
    if (t < 0) return t;
    for (int run = 0; run < w->points * w->reps; run++) {
        const ss_result *r = &w->res[run];
        ss_value row[MAXCOLS];
        char file[W_FILE];
        ss_index_run_file(run / w->reps, run % w->reps, file, sizeof file);
        row[0].i = run;
        row[1].i = run / w->reps;
        row[2].i = run % w->reps;
        row[3].i = (int64_t)r->seed;
        put_params(w, run / w->reps, row, 4);
        int a = 4 + w->plan->nparams;
        row[a].s = ss_run_status_name(r->status);
        row[a + 1].s = r->error ? r->error : "";
        row[a + 2].s = r->status == SS_RUN_OK ? file : "";
        ss_out_row(w->o, t, row);
    }
    return SS_OK;
}

static int write_metrics(writer *w, ss_error *err)
{
    static const ss_column cols[] = {
        { "run", SS_COL_I64, 0, "" },           { "scope", SS_COL_STR, W_SCOPE, "" },
        { "entity", SS_COL_STR, W_ENTITY, "" }, { "metric", SS_COL_STR, W_METRIC, "" },
        { "unit", SS_COL_STR, W_UNIT, "" },     { "value", SS_COL_F64, 0, "" },
    };
    int t = ss_out_table(w->o, "/metrics", cols, 6, err);
    if (t < 0) return t;
    for (int run = 0; run < w->points * w->reps; run++) {
        const ss_metrics *m = w->res[run].status == SS_RUN_OK ? w->res[run].metrics : NULL;
        for (int i = 0; m && i < ss_metrics_count(m); i++) {
            const ss_metric *x = ss_metrics_at(m, i);
            ss_value row[6] = { { .i = run }, { .s = x->scope }, { .s = x->entity }, { .s = x->name },
                                { .s = x->unit }, { .f = canon(x->value) } };
            ss_out_row(w->o, t, row);
        }
    }
    return SS_OK;
}

/* The metrics of a point: the union over its ok runs, in order of first
 * appearance (run order, then each run's own order); m[] points into the
 * runs' lists. */
typedef struct point_metrics {
    const ss_metric **m;
    int n, cap;
} point_metrics;

static int union_metrics(const writer *w, int point, point_metrics *pm)
{
    pm->n = 0;
    for (int r = 0; r < w->reps; r++) {
        const ss_result *res = &w->res[point * w->reps + r];
        if (res->status != SS_RUN_OK || !res->metrics) continue;
        for (int i = 0; i < ss_metrics_count(res->metrics); i++) {
            const ss_metric *x = ss_metrics_at(res->metrics, i);
            int seen = i < pm->n && strcmp(pm->m[i]->name, x->name) == 0 && strcmp(pm->m[i]->entity, x->entity) == 0
                       && strcmp(pm->m[i]->scope, x->scope) == 0;
            for (int j = 0; j < pm->n && !seen; j++)
                seen = strcmp(pm->m[j]->name, x->name) == 0 && strcmp(pm->m[j]->entity, x->entity) == 0
                       && strcmp(pm->m[j]->scope, x->scope) == 0;
            if (seen) continue;
            if (pm->n == pm->cap) {
                int nc = pm->cap ? 2 * pm->cap : 64;
                const ss_metric **nm = realloc(pm->m, (size_t)nc * sizeof *nm);
                if (!nm) return SS_ERR_NOMEM;
                pm->m = nm;
                pm->cap = nc;
            }
            pm->m[pm->n++] = x;
        }
    }
    return SS_OK;
}

/* The values of metric x over the point's runs (NaN where a run lacks it
 * or failed); the stats then skip them. */
static int point_stats(const writer *w, int point, const ss_metric *x, int idx, double *vals, ss_stats *st)
{
    int ok = 0;
    for (int r = 0; r < w->reps; r++) {
        const ss_result *res = &w->res[point * w->reps + r];
        vals[r] = NAN;
        if (res->status != SS_RUN_OK || !res->metrics) continue;
        ok++;
        int i = idx < ss_metrics_count(res->metrics) ? idx : -1;
        if (i >= 0) {
            const ss_metric *y = ss_metrics_at(res->metrics, i);
            if (strcmp(y->name, x->name) || strcmp(y->entity, x->entity) || strcmp(y->scope, x->scope)) i = -1;
        }
        if (i < 0) i = ss_metrics_find(res->metrics, x->scope, x->entity, x->name);
        if (i >= 0) vals[r] = ss_metrics_at(res->metrics, i)->value;
    }
    ss_stats_of(vals, w->reps, st);
    return ok;
}

static int write_summary(writer *w, ss_error *err)
{
    static const ss_column fixed[] = {
        { "point", SS_COL_I64, 0, "" },         { "scope", SS_COL_STR, W_SCOPE, "" },
        { "entity", SS_COL_STR, W_ENTITY, "" }, { "metric", SS_COL_STR, W_METRIC, "" },
        { "unit", SS_COL_STR, W_UNIT, "" },     { "n", SS_COL_I64, 0, "" },
        { "runs", SS_COL_I64, 0, "" },          { "mean", SS_COL_F64, 0, "" },
        { "sd", SS_COL_F64, 0, "" },            { "ci95_lo", SS_COL_F64, 0, "" },
        { "ci95_hi", SS_COL_F64, 0, "" },       { "min", SS_COL_F64, 0, "" },
        { "max", SS_COL_F64, 0, "" },           { "p95", SS_COL_F64, 0, "" },
    };
    ss_column cols[MAXCOLS];
    int nc = columns(w->plan, fixed, 14, 1, cols);
    int t = ss_out_table(w->o, "/summary", cols, nc, err);
    if (t < 0) return t;
    point_metrics pm = { NULL, 0, 0 };
    double *vals = malloc((size_t)w->reps * sizeof *vals);
    int rc = vals ? SS_OK : SS_ERR_NOMEM;
    for (int p = 0; p < w->points && rc == SS_OK; p++) {
        if ((rc = union_metrics(w, p, &pm)) != SS_OK) break;
        for (int i = 0; i < pm.n; i++) {
            ss_stats st;
            int ok = point_stats(w, p, pm.m[i], i, vals, &st);
            ss_value row[MAXCOLS];
            int a = 1 + w->plan->nparams;
            row[0].i = p;
            put_params(w, p, row, 1);
            row[a].s = pm.m[i]->scope;
            row[a + 1].s = pm.m[i]->entity;
            row[a + 2].s = pm.m[i]->name;
            row[a + 3].s = pm.m[i]->unit;
            row[a + 4].i = st.n;
            row[a + 5].i = ok;
            double f[8] = { st.mean, st.sd, st.ci_lo, st.ci_hi, st.min, st.max, st.p95 };
            for (int k = 0; k < 7; k++) row[a + 6 + k].f = canon(f[k]);
            ss_out_row(w->o, t, row);
        }
    }
    free(pm.m);
    free(vals);
    return rc == SS_OK ? SS_OK : ss_error_set(err, rc, "index: out of memory");
}

int ss_index_write(const char *path, const ss_plan *plan, const ss_result *results, const ss_index_info *info,
                   ss_error *err)
{
    if (plan->nparams + 16 > MAXCOLS)
        return ss_error_set(err, SS_ERR_USAGE, "index: at most %d parameters", MAXCOLS - 16);
    ss_out *o = ss_out_open(path, err);
    if (!o) return err && err->code ? err->code : SS_ERR_IO;
    writer w = { o, plan, results, plan->replications, ss_plan_points(plan) };
    int rc = write_points(&w, err);
    if (rc == SS_OK) rc = write_runs(&w, err);
    if (rc == SS_OK) rc = write_metrics(&w, err);
    if (rc == SS_OK) rc = write_summary(&w, err);
    int ok = 0, bad = 0;
    for (int run = 0; run < w.points * w.reps && rc == SS_OK; run++) {
        ok += results[run].status == SS_RUN_OK;
        bad += results[run].status == SS_RUN_FAILED || results[run].status == SS_RUN_CRASHED;
        if (results[run].status != SS_RUN_OK) continue;
        char file[W_FILE], link[W_FILE + 8];
        ss_index_run_file(run / w.reps, run % w.reps, file, sizeof file);
        snprintf(link, sizeof link, "/files/%.*s", (int)(strlen(file) - 3), file);
        rc = ss_out_link_external(o, link, file, "/", err);
    }
    if (rc != SS_OK) {
        ss_out_abort(o);
        return rc;
    }
    char params[1024] = "";
    for (int k = 0, at = 0; k < plan->nparams && at < (int)sizeof params; k++)
        at += snprintf(params + at, sizeof params - (size_t)at, "%s%s", k ? "," : "", plan->params[k].name);
    ss_out_attr_str(o, "/", "format", "snapsim-index");
    ss_out_attr_i64(o, "/", "format_version", 1);
    ss_out_attr_str(o, "/", "snapsim_version", SNAPSIM_VERSION);
    ss_out_attr_str(o, "/", "scenario", info->scenario ? info->scenario : "");
    ss_out_attr_str(o, "/", "scenario_file", info->path ? info->path : "");
    ss_out_attr_str(o, "/", "source", info->source ? info->source : "");
    ss_out_attr_i64(o, "/", "seed", (int64_t)info->seed);
    ss_out_attr_str(o, "/", "parameters", params);
    ss_out_attr_i64(o, "/", "points", w.points);
    ss_out_attr_i64(o, "/", "replications", w.reps);
    ss_out_attr_i64(o, "/", "runs", (int64_t)w.points * w.reps);
    ss_out_attr_i64(o, "/", "runs_ok", ok);
    ss_out_attr_i64(o, "/", "runs_failed", bad);
    ss_out_attr_i64(o, "/", "runs_missing", (int64_t)w.points * w.reps - ok - bad);
    return ss_out_commit(o, err);
}

/* ---- the closing text ---- */

static void print_size_stat(FILE *f, const char *what, const ss_stats *st)
{
    char a[32], b[32], c[32];
    ss_format_size(st->mean > 0 ? (uint64_t)st->mean : 0, a, sizeof a);
    if (st->n >= 2) {
        ss_format_size(st->ci_lo > 0 ? (uint64_t)st->ci_lo : 0, b, sizeof b);
        ss_format_size(st->ci_hi > 0 ? (uint64_t)st->ci_hi : 0, c, sizeof c);
        fprintf(f, "%s %s [%s, %s]", what, a, b, c);
        ss_format_size(st->p95 > 0 ? (uint64_t)st->p95 : 0, a, sizeof a);
        fprintf(f, " p95 %s", a);
    } else {
        fprintf(f, "%s %s", what, a);
    }
}

void ss_index_print(FILE *f, const ss_plan *plan, const ss_result *results)
{
    writer w = { NULL, plan, results, plan->replications, ss_plan_points(plan) };
    point_metrics pm = { NULL, 0, 0 };
    double *vals = malloc((size_t)w.reps * sizeof *vals);
    if (!vals) return;
    for (int p = 0; p < w.points; p++) {
        char label[W_LABEL];
        ss_plan_label(plan, p, label, sizeof label);
        if (union_metrics(&w, p, &pm) != SS_OK) break;
        fprintf(f, "%s%s(mean [95 %% CI] over %d replication%s)\n", label, label[0] ? " " : "", w.reps,
                w.reps == 1 ? "" : "s");
        for (int i = 0; i < pm.n; i++) {
            const ss_metric *x = pm.m[i];
            if (strcmp(x->scope, "datastore") != 0 || strcmp(x->name, "peak_used") != 0) continue;
            ss_stats peak, st;
            int ok = point_stats(&w, p, x, i, vals, &peak);
            fprintf(f, "  datastore %-12s ", x->entity);
            print_size_stat(f, "peak use", &peak);
            static const char *const order[] = { "initial_used", "peak_extra", "free_at_peak", "t_first_full", "stall_s" };
            for (size_t o = 0; o < sizeof order / sizeof order[0]; o++)
                for (int k = 0; k < pm.n; k++) {
                    if (strcmp(pm.m[k]->scope, "datastore") || strcmp(pm.m[k]->entity, x->entity)
                        || strcmp(pm.m[k]->name, order[o]))
                        continue;
                    point_stats(&w, p, pm.m[k], k, vals, &st);
                    if (o == 0) print_size_stat(f, ", at the start", &st);
                    else if (o == 1) print_size_stat(f, ", needs", &st);
                    else if (o == 2) print_size_stat(f, ", free at peak", &st);
                    else if (o == 3) fprintf(f, ", filled in %d of %d", st.n, ok);
                    else if (st.n >= 1 && st.max > 0) {
                        char a[32], b[32], c[32], d[32];
                        ss_format_duration_human(st.mean, a, sizeof a);
                        ss_format_duration_human(st.ci_lo > 0 ? st.ci_lo : 0, b, sizeof b);
                        ss_format_duration_human(st.ci_hi, c, sizeof c);
                        ss_format_duration_human(st.p95, d, sizeof d);
                        if (st.n >= 2) fprintf(f, ", VMs stalled %s [%s, %s] p95 %s", a, b, c, d);
                        else fprintf(f, ", VMs stalled %s", a);
                    }
                }
            fputc('\n', f);
        }
        for (int r = 0; r < w.reps; r++) {
            const ss_result *res = &results[p * w.reps + r];
            if (res->status == SS_RUN_FAILED || res->status == SS_RUN_CRASHED)
                fprintf(f, "  replication %d %s: %s\n", r, ss_run_status_name(res->status), res->error ? res->error : "");
        }
    }
    free(pm.m);
    free(vals);
}
