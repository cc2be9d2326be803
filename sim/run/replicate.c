/*
 * replicate.c -- one run of an experiment, its outcome and the outcome's
 * text form (include/snapsim/replicate.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapsim/replicate.h"

const char *ss_run_status_name(ss_run_status s)
{
    static const char *const n[] = { "missing", "ok", "failed", "crashed" };
    return s >= SS_RUN_MISSING && s <= SS_RUN_CRASHED ? n[s] : "?";
}

void ss_result_clear(ss_result *r)
{
    free(r->error);
    ss_metrics_free(r->metrics);
    *r = (ss_result){ SS_RUN_MISSING, 0, NULL, NULL };
}

int ss_result_fail(ss_result *r, ss_run_status status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *c = msg; *c; c++)
        if (*c == '\n' || *c == '\t') *c = ' ';   /* one line */
    free(r->error);
    r->status = status;
    r->error = malloc(strlen(msg) + 1);
    if (!r->error) return SS_ERR_NOMEM;
    strcpy(r->error, msg);
    return SS_OK;
}

int ss_result_write(const ss_result *r, char **buf, size_t *len)
{
    char head[96];
    snprintf(head, sizeof head, "status %s\nseed %" PRIu64 "\n", ss_run_status_name(r->status), r->seed);
    int rc = ss_text_append(buf, len, head, 0);
    if (rc == SS_OK && r->error) {
        rc = ss_text_append(buf, len, "error ", 0);
        if (rc == SS_OK) rc = ss_text_append(buf, len, r->error, 1);
        if (rc == SS_OK) rc = ss_text_append(buf, len, "\n", 0);
    }
    if (rc == SS_OK && r->metrics) rc = ss_metrics_write(r->metrics, buf, len);
    return rc;
}

int ss_result_read_line(ss_result *r, const char *line, ss_error *err)
{
    if (strncmp(line, "status ", 7) == 0) {
        for (int s = SS_RUN_MISSING; s <= SS_RUN_CRASHED; s++)
            if (strcmp(line + 7, ss_run_status_name((ss_run_status)s)) == 0) {
                r->status = (ss_run_status)s;
                return SS_OK;
            }
        return ss_error_set(err, SS_ERR_INPUT, "unknown status \"%.40s\"", line + 7);
    }
    if (strncmp(line, "seed ", 5) == 0) {
        char *end;
        r->seed = strtoull(line + 5, &end, 10);
        return *end ? ss_error_set(err, SS_ERR_INPUT, "bad seed \"%.40s\"", line + 5) : SS_OK;
    }
    if (strncmp(line, "error ", 6) == 0) {
        free(r->error);
        r->error = malloc(strlen(line + 6) + 1);
        if (!r->error) return ss_error_set(err, SS_ERR_NOMEM, "out of memory");
        strcpy(r->error, line + 6);
        ss_text_unescape(r->error);
        return SS_OK;
    }
    if (!r->metrics && !(r->metrics = ss_metrics_new())) return ss_error_set(err, SS_ERR_NOMEM, "out of memory");
    return ss_metrics_read_line(r->metrics, line, err);
}

void ss_replicate(const ss_options *opt, uint64_t k, const char *h5path, ss_result *r)
{
    ss_result_clear(r);
    ss_options o = *opt;
    o.replication = k;
    ss_sim *sim = NULL;
    ss_error err = { 0, "" };
    if (ss_sim_load(&sim, &o, &err) != SS_OK) {
        ss_result_fail(r, SS_RUN_FAILED, "%s", err.msg);
        return;
    }
    r->seed = ss_sim_seed(sim);
    if (ss_sim_run(sim, h5path, &err) != SS_OK) {
        ss_result_fail(r, SS_RUN_FAILED, "%s", err.msg);
    } else if (!(r->metrics = ss_metrics_new()) || ss_sim_metrics(sim, r->metrics) != SS_OK) {
        ss_result_fail(r, SS_RUN_FAILED, "out of memory");
    } else {
        r->status = SS_RUN_OK;
    }
    ss_sim_free(sim);
}
