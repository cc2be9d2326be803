/*
 * sweep.c -- an experiment's plan: parameters, points, runs
 * (include/snapsim/sweep.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapsim/sweep.h"

void ss_plan_init(ss_plan *p) { *p = (ss_plan){ NULL, 0, 1 }; }

static void param_free(ss_param *q)
{
    for (int i = 0; i < q->nvalues; i++) free(q->values[i]);
    free(q->values);
    free(q->name);
}

void ss_plan_free(ss_plan *p)
{
    for (int i = 0; i < p->nparams; i++) param_free(&p->params[i]);
    free(p->params);
    ss_plan_init(p);
}

static int add_value(ss_param *q, const char *s, size_t n)
{
    char **nv = realloc(q->values, (size_t)(q->nvalues + 1) * sizeof *nv);
    if (!nv) return SS_ERR_NOMEM;
    q->values = nv;
    if (!(nv[q->nvalues] = malloc(n + 1))) return SS_ERR_NOMEM;
    memcpy(nv[q->nvalues], s, n);
    nv[q->nvalues++][n] = 0;
    return SS_OK;
}

/* A whole number, all of s. */
static int whole(const char *s, long long *v)
{
    char *end;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return *s && !*end && errno == 0;
}

/* "A..B" or "A..B..STEP" with whole numbers: 1 and the values added; 0 if
 * item is not a range at all; negative on error (message in err). */
static int add_range(ss_param *q, const char *spec, const char *item, ss_error *err)
{
    const char *dd = strstr(item, "..");
    if (!dd) return 0;
    char a[64], b[64], c[64] = "1";
    const char *dd2 = strstr(dd + 2, "..");
    size_t la = (size_t)(dd - item), lb = dd2 ? (size_t)(dd2 - dd - 2) : strlen(dd + 2);
    if (la >= sizeof a || lb >= sizeof b || (dd2 && strlen(dd2 + 2) >= sizeof c))
        return ss_error_set(err, SS_ERR_USAGE, "--param %s: range \"%s\" is too long", spec, item);
    memcpy(a, item, la);
    a[la] = 0;
    memcpy(b, dd + 2, lb);
    b[lb] = 0;
    if (dd2) strcpy(c, dd2 + 2);
    long long x, y, st;
    if (!whole(a, &x) || !whole(b, &y) || !whole(c, &st) || st < 1 || x > y)
        return ss_error_set(err, SS_ERR_USAGE,
                            "--param %s: a range is FROM..TO or FROM..TO..STEP with whole numbers, FROM <= TO, "
                            "STEP >= 1 (found \"%s\")", spec, item);
    if ((y - x) / st >= 100000)
        return ss_error_set(err, SS_ERR_USAGE, "--param %s: range \"%s\" has too many values", spec, item);
    for (long long v = x; v <= y; v += st) {
        char num[32];
        int n = snprintf(num, sizeof num, "%lld", v);
        if (add_value(q, num, (size_t)n) != SS_OK) return ss_error_set(err, SS_ERR_NOMEM, "out of memory");
    }
    return 1;
}

int ss_plan_param(ss_plan *p, const char *spec, ss_error *err)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1])
        return ss_error_set(err, SS_ERR_USAGE, "--param \"%s\": expected NAME=v1,v2,... or NAME=FROM..TO", spec);
    ss_param q = { NULL, NULL, 0 };
    size_t nl = (size_t)(eq - spec);
    if (!(q.name = malloc(nl + 1))) return ss_error_set(err, SS_ERR_NOMEM, "out of memory");
    memcpy(q.name, spec, nl);
    q.name[nl] = 0;
    for (int i = 0; i < p->nparams; i++)
        if (strcmp(p->params[i].name, q.name) == 0) {
            param_free(&q);
            return ss_error_set(err, SS_ERR_USAGE, "--param %s: %.*s is swept twice", spec, (int)nl, spec);
        }
    int rc = SS_OK;
    for (const char *it = eq + 1; rc == SS_OK;) {
        const char *comma = strchr(it, ',');
        size_t n = comma ? (size_t)(comma - it) : strlen(it);
        char item[256];
        if (n == 0 || n >= sizeof item) {
            rc = ss_error_set(err, SS_ERR_USAGE, "--param %s: %s value", spec, n ? "a too long" : "an empty");
            break;
        }
        memcpy(item, it, n);
        item[n] = 0;
        int r = add_range(&q, spec, item, err);
        if (r < 0) rc = r;
        else if (r == 0 && add_value(&q, item, n) != SS_OK) rc = ss_error_set(err, SS_ERR_NOMEM, "out of memory");
        if (!comma) break;
        it = comma + 1;
    }
    for (int i = 0; rc == SS_OK && i < q.nvalues; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(q.values[i], q.values[j]) == 0) {
                rc = ss_error_set(err, SS_ERR_USAGE, "--param %s: value %s is given twice", spec, q.values[i]);
                break;
            }
    long long runs = (long long)ss_plan_runs(p) * (q.nvalues ? q.nvalues : 1);
    if (rc == SS_OK && runs > SS_PLAN_MAX_RUNS)
        rc = ss_error_set(err, SS_ERR_USAGE, "--param %s: the sweep would have %lld runs (at most %d)", spec, runs,
                          SS_PLAN_MAX_RUNS);
    ss_param *np = rc == SS_OK ? realloc(p->params, (size_t)(p->nparams + 1) * sizeof *np) : NULL;
    if (rc == SS_OK && !np) rc = ss_error_set(err, SS_ERR_NOMEM, "out of memory");
    if (rc != SS_OK) {
        param_free(&q);
        return rc;
    }
    p->params = np;
    p->params[p->nparams++] = q;
    return SS_OK;
}

int ss_plan_points(const ss_plan *p)
{
    int n = 1;
    for (int i = 0; i < p->nparams; i++) n *= p->params[i].nvalues;
    return n;
}

int ss_plan_runs(const ss_plan *p) { return ss_plan_points(p) * p->replications; }

const char *ss_plan_value(const ss_plan *p, int point, int param)
{
    for (int i = p->nparams - 1; i > param; i--) point /= p->params[i].nvalues;
    return p->params[param].values[point % p->params[param].nvalues];
}

void ss_plan_label(const ss_plan *p, int point, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = 0;
    for (int i = 0; i < p->nparams && at < n; i++) {
        int k = snprintf(buf + at, n - at, "%s%s=%s", i ? " " : "", p->params[i].name, ss_plan_value(p, point, i));
        if (k < 0) break;
        at += (size_t)k;
    }
}
