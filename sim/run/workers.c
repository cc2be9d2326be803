/*
 * workers.c -- a pool of forked worker processes, one run each
 * (include/snapsim/workers.h).
 */
#define _POSIX_C_SOURCE 200809L   /* sigaction, strsignal */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "snapsim/workers.h"

/* A slot: free when pid == 0; otherwise child `pid` runs job `job` and
 * its text arrives on fd into buf[0..len). */
typedef struct slot {
    int pid, job, fd;
    char *buf;
    size_t len, cap;
} slot;

struct ss_pool {
    slot *s;
    int n, busy;
    ss_pool_work_fn work;
    void *ctx;
};

int ss_pool_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

ss_pool *ss_pool_new(int slots, ss_pool_work_fn work, void *ctx)
{
    ss_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->n = slots > 0 ? slots : 1;
    p->s = calloc((size_t)p->n, sizeof *p->s);
    if (!p->s) {
        free(p);
        return NULL;
    }
    p->work = work;
    p->ctx = ctx;
    return p;
}

int ss_pool_idle(const ss_pool *p) { return p->n - p->busy; }
int ss_pool_busy(const ss_pool *p) { return p->busy; }

/* The child: default signal actions (the parent's handlers are not its
 * own), do the job, send the text, exit without running atexit handlers
 * or flushing the parent's stdio buffers. */
static void child(ss_pool *p, int job, int fd)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    for (int i = 0; i < p->n; i++)
        if (p->s[i].pid) close(p->s[i].fd);
    ss_result r = { SS_RUN_MISSING, 0, NULL, NULL };
    p->work(p->ctx, job, &r);
    char *buf = NULL;
    size_t len = 0;
    int code = ss_result_write(&r, &buf, &len) == SS_OK ? 0 : 3;
    for (size_t at = 0; code == 0 && at < len;) {
        ssize_t k = write(fd, buf + at, len - at);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) code = 4;
        else at += (size_t)k;
    }
    free(buf);
    ss_result_clear(&r);
    close(fd);
    _exit(code);
}

int ss_pool_start(ss_pool *p, int job, ss_error *err)
{
    int i = 0;
    while (i < p->n && p->s[i].pid) i++;
    if (i == p->n) return ss_error_set(err, SS_ERR_USAGE, "workers: no free slot");
    int fds[2];
    if (pipe(fds) != 0) return ss_error_set(err, SS_ERR_IO, "workers: pipe: %s", strerror(errno));
    fflush(NULL);   /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return ss_error_set(err, SS_ERR_IO, "workers: fork: %s", strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        child(p, job, fds[1]);
    }
    close(fds[1]);
    slot *s = &p->s[i];
    s->pid = (int)pid;
    s->job = job;
    s->fd = fds[0];
    s->len = 0;
    p->busy++;
    return SS_OK;
}

/* Parse a child's text into r; 0 if it is not a whole outcome. */
static int parse(char *text, ss_result *r)
{
    int seen_status = 0;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        if (!nl) return 0;
        *nl = 0;
        ss_error e;
        if (ss_result_read_line(r, line, &e) != SS_OK) return 0;
        seen_status |= strncmp(line, "status ", 7) == 0;
        line = nl + 1;
    }
    return seen_status;
}

/* Slot i's child closed its pipe: reap it and make its outcome. */
static void finish(ss_pool *p, int i, ss_pool_done_fn done, void *ctx)
{
    slot *s = &p->s[i];
    close(s->fd);
    int st = 0;
    while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR) {}
    ss_result r = { SS_RUN_MISSING, 0, NULL, NULL };
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        if (sig != SIGINT && sig != SIGTERM && sig != SIGHUP)
            ss_result_fail(&r, SS_RUN_CRASHED, "the worker was killed by signal %d (%s)", sig, strsignal(sig));
    } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        ss_result_fail(&r, SS_RUN_CRASHED, "the worker exited with status %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    } else {
        char *text = s->len ? s->buf : NULL;
        if (!text || !parse(text, &r)) {
            ss_result_clear(&r);
            ss_result_fail(&r, SS_RUN_CRASHED, "the worker sent no outcome");
        }
    }
    int job = s->job, pid = s->pid;
    s->pid = 0;
    s->len = 0;
    p->busy--;
    if (done) done(ctx, job, pid, &r);
    ss_result_clear(&r);
}

int ss_pool_wait(ss_pool *p, int timeout_ms, ss_pool_done_fn done, void *ctx)
{
    struct pollfd fds[p->n > 0 ? p->n : 1];
    int idx[p->n > 0 ? p->n : 1];
    int nf = 0;
    for (int i = 0; i < p->n; i++)
        if (p->s[i].pid) {
            fds[nf] = (struct pollfd){ p->s[i].fd, POLLIN, 0 };
            idx[nf++] = i;
        }
    if (nf == 0) {
        if (timeout_ms > 0) poll(NULL, 0, timeout_ms);
        return 0;
    }
    int k = poll(fds, (nfds_t)nf, timeout_ms);
    if (k <= 0) return 0;
    int ended = 0;
    for (int f = 0; f < nf; f++) {
        if (!fds[f].revents) continue;
        slot *s = &p->s[idx[f]];
        if (s->cap - s->len < 4096 + 1) {
            size_t nc = s->cap ? 2 * s->cap : 65536;
            char *nb = realloc(s->buf, nc);
            if (!nb) continue;   /* try again on the next wait */
            s->buf = nb;
            s->cap = nc;
        }
        ssize_t got = read(s->fd, s->buf + s->len, s->cap - s->len - 1);
        if (got < 0 && errno == EINTR) continue;
        if (got > 0) {
            s->len += (size_t)got;
            s->buf[s->len] = 0;
            continue;
        }
        finish(p, idx[f], done, ctx);
        ended++;
    }
    return ended;
}

void ss_pool_stop(ss_pool *p, ss_pool_done_fn done, void *ctx)
{
    for (int i = 0; i < p->n; i++)
        if (p->s[i].pid) kill(p->s[i].pid, SIGTERM);
    while (p->busy) ss_pool_wait(p, -1, done, ctx);
}

void ss_pool_free(ss_pool *p)
{
    if (!p) return;
    ss_pool_stop(p, NULL, NULL);
    for (int i = 0; i < p->n; i++) free(p->s[i].buf);
    free(p->s);
    free(p);
}
