/*
 * journal.c -- an experiment's journal of run outcomes (journal.h).
 */
#define _POSIX_C_SOURCE 200809L   /* fsync, fileno, getline */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/journal.h"

struct ss_journal {
    FILE *f;
    char *path;
};

#define MAGIC "snapsim-journal 1 "

/* Read the blocks of f into results (complete blocks only). */
static int read_blocks(FILE *f, const char *path, ss_result *results, int nruns, ss_error *err)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int run = -1, rc = SS_OK;
    ss_result cur = { SS_RUN_MISSING, 0, NULL, NULL };
    while (rc == SS_OK && (n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] != '\n') break;            /* a last line cut short */
        line[n - 1] = 0;
        if (strncmp(line, "run ", 4) == 0) {
            ss_result_clear(&cur);
            run = atoi(line + 4);
            if (run < 0 || run >= nruns) run = -1;
        } else if (strncmp(line, "end ", 4) == 0) {
            if (run >= 0 && atoi(line + 4) == run) {
                ss_result_clear(&results[run]);
                results[run] = cur;
                cur = (ss_result){ SS_RUN_MISSING, 0, NULL, NULL };
            }
            run = -1;
        } else if (run >= 0) {
            ss_error e;
            if (ss_result_read_line(&cur, line, &e) != SS_OK)
                rc = ss_error_set(err, SS_ERR_INPUT, "%s: %s", path, e.msg);
        }
    }
    ss_result_clear(&cur);
    free(line);
    return rc;
}

int ss_journal_open(ss_journal **out, const char *path, uint64_t fingerprint, int resume, ss_result *results,
                    int nruns, ss_error *err)
{
    *out = NULL;
    char want[64];
    snprintf(want, sizeof want, MAGIC "%016" PRIx64 "\n", fingerprint);
    FILE *f = fopen(path, "r");
    if (f && !resume) {
        fclose(f);
        return ss_error_set(err, SS_ERR_USAGE,
                            "%s exists: that directory holds an experiment already (add --resume to finish it, "
                            "or give another -o)", path);
    }
    int rc = SS_OK;
    if (f) {
        char head[64] = "";
        if (!fgets(head, sizeof head, f) || strncmp(head, MAGIC, strlen(MAGIC)) != 0)
            rc = ss_error_set(err, SS_ERR_INPUT, "%s: not a snapsim journal", path);
        else if (strcmp(head, want) != 0)
            rc = ss_error_set(err, SS_ERR_USAGE,
                              "%s: that experiment had another scenario or other options (--param, --set, --seed, "
                              "--duration, --replications): --resume needs the same ones", path);
        else
            rc = read_blocks(f, path, results, nruns, err);
        fclose(f);
        if (rc != SS_OK) return rc;
    }
    ss_journal *j = calloc(1, sizeof *j);
    if (!j || !(j->path = malloc(strlen(path) + 1))) {
        free(j);
        return ss_error_set(err, SS_ERR_NOMEM, "out of memory");
    }
    strcpy(j->path, path);
    j->f = fopen(path, "a");
    if (!j->f) {
        rc = ss_error_set(err, SS_ERR_IO, "%s: cannot write the journal: %s", path, strerror(errno));
        ss_journal_close(j);
        return rc;
    }
    fseek(j->f, 0, SEEK_END);
    if (ftell(j->f) == 0 && (fputs(want, j->f) == EOF || fflush(j->f) != 0)) {
        rc = ss_error_set(err, SS_ERR_IO, "%s: cannot write the journal: %s", path, strerror(errno));
        ss_journal_close(j);
        return rc;
    }
    *out = j;
    return SS_OK;
}

int ss_journal_append(ss_journal *j, int run, const ss_result *r, ss_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    char head[32], tail[32];
    snprintf(head, sizeof head, "run %d\n", run);
    snprintf(tail, sizeof tail, "end %d\n", run);
    int rc = ss_text_append(&buf, &len, head, 0);
    if (rc == SS_OK) rc = ss_result_write(r, &buf, &len);
    if (rc == SS_OK) rc = ss_text_append(&buf, &len, tail, 0);
    if (rc != SS_OK) {
        free(buf);
        return ss_error_set(err, rc, "out of memory");
    }
    /* One write of the whole block, then to the disk: a crash leaves at
     * most one block without its end. */
    int bad = fwrite(buf, 1, len, j->f) != len || fflush(j->f) != 0 || fsync(fileno(j->f)) != 0;
    free(buf);
    if (bad) return ss_error_set(err, SS_ERR_IO, "%s: cannot write the journal: %s", j->path, strerror(errno));
    return SS_OK;
}

void ss_journal_close(ss_journal *j)
{
    if (!j) return;
    if (j->f) fclose(j->f);
    free(j->path);
    free(j);
}
