/*
 * metrics.c -- a list of named metrics and its exact text form
 * (include/snapsim/metrics.h).  Which metrics a run has is tally.c's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapsim/metrics.h"

/* Invariant: 0 <= n <= cap; v[0..n) each own their four strings. */
struct ss_metrics {
    ss_metric *v;
    int n, cap;
};

ss_metrics *ss_metrics_new(void) { return calloc(1, sizeof(ss_metrics)); }
int ss_metrics_count(const ss_metrics *m) { return m->n; }
const ss_metric *ss_metrics_at(const ss_metrics *m, int i) { return &m->v[i]; }

static void metric_free(ss_metric *x)
{
    free(x->scope);
    free(x->entity);
    free(x->name);
    free(x->unit);
}

void ss_metrics_free(ss_metrics *m)
{
    if (!m) return;
    for (int i = 0; i < m->n; i++) metric_free(&m->v[i]);
    free(m->v);
    free(m);
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *d = malloc(n);
    return d ? memcpy(d, s ? s : "", n) : NULL;
}

int ss_metrics_add(ss_metrics *m, const char *scope, const char *entity, const char *name, const char *unit,
                   double value)
{
    if (m->n == m->cap) {
        int nc = m->cap ? 2 * m->cap : 16;
        ss_metric *nv = realloc(m->v, (size_t)nc * sizeof *nv);
        if (!nv) return SS_ERR_NOMEM;
        m->v = nv;
        m->cap = nc;
    }
    ss_metric x = { dupstr(scope), dupstr(entity), dupstr(name), dupstr(unit), value };
    if (!x.scope || !x.entity || !x.name || !x.unit) {
        metric_free(&x);
        return SS_ERR_NOMEM;
    }
    m->v[m->n++] = x;
    return SS_OK;
}

int ss_metrics_find(const ss_metrics *m, const char *scope, const char *entity, const char *name)
{
    for (int i = 0; i < m->n; i++)
        if (strcmp(m->v[i].name, name) == 0 && strcmp(m->v[i].entity, entity) == 0
            && strcmp(m->v[i].scope, scope) == 0)
            return i;
    return -1;
}

/* ---- text ---- */

int ss_text_append(char **buf, size_t *len, const char *s, int escape)
{
    size_t n = strlen(s), need = *len + 2 * n + 1;
    char *b = realloc(*buf, need);
    if (!b) return SS_ERR_NOMEM;
    *buf = b;
    char *o = b + *len;
    for (const char *c = s; *c; c++) {
        if (escape && (*c == '\t' || *c == '\n' || *c == '\\')) {
            *o++ = '\\';
            *o++ = *c == '\t' ? 't' : *c == '\n' ? 'n' : '\\';
        } else {
            *o++ = *c;
        }
    }
    *o = 0;
    *len = (size_t)(o - b);
    return SS_OK;
}

void ss_text_unescape(char *s)
{
    char *o = s;
    for (char *c = s; *c; c++) {
        if (*c == '\\' && c[1]) {
            c++;
            *o++ = *c == 't' ? '\t' : *c == 'n' ? '\n' : *c;
        } else {
            *o++ = *c;
        }
    }
    *o = 0;
}

int ss_metrics_write(const ss_metrics *m, char **buf, size_t *len)
{
    int rc = SS_OK;
    for (int i = 0; i < m->n && rc == SS_OK; i++) {
        const ss_metric *x = &m->v[i];
        char num[64];
        if (isnan(x->value)) snprintf(num, sizeof num, "nan\n");   /* one NaN, whatever its sign bit */
        else snprintf(num, sizeof num, "%a\n", x->value);
        rc = ss_text_append(buf, len, "m\t", 0);
        const char *f[4] = { x->scope, x->entity, x->name, x->unit };
        for (int k = 0; k < 4 && rc == SS_OK; k++) {
            rc = ss_text_append(buf, len, f[k], 1);
            if (rc == SS_OK) rc = ss_text_append(buf, len, "\t", 0);
        }
        if (rc == SS_OK) rc = ss_text_append(buf, len, num, 0);
    }
    return rc;
}

int ss_metrics_read_line(ss_metrics *m, const char *line, ss_error *err)
{
    if (strncmp(line, "m\t", 2) != 0) return ss_error_set(err, SS_ERR_INPUT, "not a metric line");
    char *copy = dupstr(line + 2);
    if (!copy) return ss_error_set(err, SS_ERR_NOMEM, "out of memory");
    char *f[5];
    char *p = copy;
    int k = 0;
    for (; k < 5 && p; k++) {
        f[k] = p;
        p = strchr(p, '\t');
        if (p) *p++ = 0;
    }
    int rc;
    char *end = NULL;
    double v = k == 5 && !p ? strtod(f[4], &end) : 0;
    if (k != 5 || p || !end || end == f[4] || *end) {
        rc = ss_error_set(err, SS_ERR_INPUT, "a metric line needs 5 fields: %.80s", line);
    } else {
        for (int i = 0; i < 4; i++) ss_text_unescape(f[i]);
        rc = ss_metrics_add(m, f[0], f[1], f[2], f[3], v);
        if (rc != SS_OK) ss_error_set(err, rc, "out of memory");
    }
    free(copy);
    return rc;
}
