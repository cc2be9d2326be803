/*
 * backup.c -- VMware Consolidated Backup jobs and their phases (backup.h).
 *
 * A job is a small state machine: each phase either takes a time (a timer
 * event), moves data (the export: a read activity on the datastore), or
 * waits for something the model tells it through a callback (a proxy slot,
 * the end of the VM's deletion).  Every phase that ends writes a
 * /backup_phases row; the job's end writes its /backups row and frees it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/backup.h"
#include "model/delete.h"
#include "model/guest_io.h"
#include "model/job.h"
#include "model/quiesce.h"
#include "model/snapshot.h"
#include "model/tools.h"

typedef enum { P_QUEUE, P_START, P_PRE, P_QUIESCE, P_SNAPSHOT, P_EXPORT, P_UNMOUNT, P_DELETE } phase;
static const char *const phase_names[] = { "queue", "start", "pre_script", "quiesce", "snapshot", "export",
                                           "unmount", "delete" };

/* One job.  Invariants: it is on w->backups from submission to its end;
 * while phase == P_QUEUE it is in its proxy's queue, after that it holds a
 * slot; `snap` is _VCB-BACKUP_ while this job holds it (from the snapshot
 * to the deletion); the read activity is attached only during the export. */
typedef struct ss_backup {
    ss_world *w;
    int id;
    ss_vm *vm;
    ss_proxy *proxy;
    ss_backup_spec spec;
    phase ph;
    ss_time t_submit, t_start, t_phase;
    ss_proxy_job pj;
    ss_event_id timer;
    /* quiesce */
    int attempts;
    ss_quiesce_result qres;
    char how[200];            /* the last attempt's outcome; then the snapshot's consistency */
    double quiesce_s, export_s, delete_s;
    ss_snapshot *snap;
    /* export: remaining bytes of I/O as of t_last, at `rate` since */
    uint64_t bytes;
    double remaining, rate;
    ss_time t_last;
    ss_activity read;
    ss_share_flow via_proxy, via_nbd;
    /* start: waiting for the host's hostd to answer */
    ss_hostd_waiter hostd;
    /* delete */
    ss_vm_waiter idle;
    int deleting;
    struct ss_backup *next;
} ss_backup;

const char *ss_backup_mode_name(ss_backup_mode m) { return m == SS_BACKUP_FILE ? "file" : "fullvm"; }
const char *ss_transport_name(ss_transport t)
{
    static const char *const names[] = { "san", "nbd", "hotadd" };
    return names[t];
}

/* ---- rows and events ---- */

static void phase_row(ss_backup *b, const char *result, const char *detail)
{
    ss_phase_rec r = { b->id, ss_time_to_s(b->t_phase), ss_time_to_s(ss_now(b->w)), b->vm->name, phase_names[b->ph],
                       result, detail ? detail : "" };
    ss_emit_phase(b->w, &r);
}

static void enter(ss_backup *b, phase p)
{
    b->ph = p;
    b->t_phase = ss_now(b->w);
}

static ss_event backup_event(ss_backup *b, const char *kind)
{
    ss_event ev = { .t = ss_time_to_s(ss_now(b->w)), .kind = kind, .vm = b->vm->name, .host = b->vm->host->name,
                    .datastore = b->vm->ds->name, .snapshot = SS_VCB_SNAPSHOT, .phase = phase_names[b->ph],
                    .proxy = b->proxy->name, .job = b->id };
    return ev;
}

static void unlink_job(ss_backup *b)
{
    for (ss_backup **pp = &b->w->backups; *pp; pp = &(*pp)->next)
        if (*pp == b) { *pp = b->next; break; }
}

static void stop_export(ss_backup *b)
{
    ss_world *w = b->w;
    if (b->timer) ss_engine_cancel(w->eng, b->timer);
    b->timer = 0;
    if (b->read.attached) ss_ds_detach(w, &b->read);
    ss_share_leave(w, &b->via_proxy);
    ss_share_leave(w, &b->via_nbd);
}

/* The /backups row; result done, failed, missed or unfinished. */
static void job_row(ss_backup *b, const char *result, const char *detail)
{
    ss_world *w = b->w;
    double t = ss_time_to_s(ss_now(w));
    int started = b->ph != P_QUEUE;
    ss_backup_rec r = { .job = b->id, .t_submit = ss_time_to_s(b->t_submit),
                        .t_start = started ? ss_time_to_s(b->t_start) : t, .t_end = t, .vm = b->vm->name,
                        .host = b->vm->host->name, .datastore = b->vm->ds->name, .proxy = b->proxy->name,
                        .mode = ss_backup_mode_name(b->spec.mode), .transport = ss_transport_name(b->spec.transport),
                        .result = result, .phase = strcmp(result, "done") == 0 ? "done" : phase_names[b->ph],
                        .consistency = b->snap || b->deleting || strcmp(result, "done") == 0 ? b->how : "",
                        .detail = detail ? detail : "", .bytes = (int64_t)b->bytes,
                        .quiesce_attempts = b->attempts,
                        .wait_s = ss_time_to_s((started ? b->t_start : ss_now(w)) - b->t_submit),
                        .quiesce_s = b->quiesce_s, .export_s = b->export_s, .delete_s = b->delete_s };
    ss_emit_backup(w, &r);
}

/* The job ends: its row, its event, its slot to the next job. */
static void finish(ss_backup *b, const char *result, const char *reason)
{
    ss_world *w = b->w;
    ss_proxy *p = b->proxy;
    int held_slot = b->ph != P_QUEUE;
    stop_export(b);
    ss_vm_unwait_idle(b->vm, &b->idle);
    char detail[400];
    detail[0] = 0;
    if (reason) {
        int left = b->snap && ss_snapshot_find(b->vm, SS_VCB_SNAPSHOT) == b->snap;
        snprintf(detail, sizeof detail, "%s%s", reason, left ? "; " SS_VCB_SNAPSHOT " left behind" : "");
    }
    if (b->snap) b->snap->held = 0;
    phase_row(b, reason ? "failed" : "ok", reason ? detail : NULL);
    int done = strcmp(result, "done") == 0;
    ss_event ev = backup_event(b, done ? "backup_done" : "backup_failed");
    char evd[480];
    if (done) {
        ev.bytes = (int64_t)b->bytes;
        ev.value = ss_time_to_s(ss_now(w) - b->t_start);
        ev.detail = b->how;
        p->done++;
    } else {
        snprintf(evd, sizeof evd, "%s: %s", phase_names[b->ph], detail);
        ev.detail = evd;
        ev.value = ss_time_to_s(ss_now(w) - b->t_start);
        ev.bytes = (int64_t)b->bytes;
        p->failed++;
    }
    ss_emit(w, &ev);
    job_row(b, result, done ? NULL : detail);
    unlink_job(b);
    free(b);
    ss_changed(w);
    if (held_slot) ss_proxy_release(w, p);
}

static void fail(ss_backup *b, const char *reason) { finish(b, "failed", reason); }

/* ---- phases ---- */

static void at_timer(ss_backup *b, ss_time d, ss_event_fn fn)
{
    b->timer = ss_engine_at(b->w->eng, ss_time_add(ss_now(b->w), d), fn, b, 0);
}

static void start_delete(ss_backup *b);
static void start_export(ss_backup *b);
static void quiesce_attempt(ss_backup *b);

static void take_snapshot(ss_backup *b)
{
    enter(b, P_SNAPSHOT);
    char why[300];
    if (ss_vm_snapshot_note(b->w, b->vm, SS_VCB_SNAPSHOT, 0, b->how, why, sizeof why) != 0) {
        fail(b, why);
        return;
    }
    b->snap = ss_snapshot_find(b->vm, SS_VCB_SNAPSHOT);
    b->snap->held = 1;
    /* VCB's commands against the VM: on 3.5 U3 VirtualCenter then shows
     * a Windows 2003 guest's Tools as not running. */
    ss_tools_vcb_command(b->w, b->vm, b->vm->host->version->tools_display_bug);
    phase_row(b, "ok", b->how);
    start_export(b);
}

static void quiesce_done(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    (void)arg;
    ss_backup *b = ctx;
    b->timer = 0;
    b->quiesce_s += b->vm->qcfg.time;
    if (b->qres == SS_QUIESCED) {
        phase_row(b, "ok", b->how);
        take_snapshot(b);
        return;
    }
    if (b->attempts <= b->vm->qcfg.retries) {
        quiesce_attempt(b);
        return;
    }
    char why[300];
    snprintf(why, sizeof why, SS_QUIESCE_FAILED " (%s; %d attempt%s)", b->how, b->attempts, b->attempts > 1 ? "s" : "");
    fail(b, why);
}

/* The outcome is decided from the guest's state when the attempt begins
 * (the driver holds its writes from then on) and known when it ends. */
static void quiesce_attempt(ss_backup *b)
{
    b->attempts++;
    b->qres = ss_quiesce_attempt(b->w, b->vm, b->vm->host->version->vss, b->how, sizeof b->how);
    /* Nothing to quiesce (no support in the guest, or a VM that is not
     * running: its disks are consistent as they are): no time spent. */
    if (b->qres == SS_CRASH_CONSISTENT || (b->qres == SS_QUIESCED && b->vm->power != SS_POWER_ON)) {
        b->attempts--;
        phase_row(b, "skipped", b->how);
        take_snapshot(b);
        return;
    }
    at_timer(b, ss_time_from_s(b->vm->qcfg.time), quiesce_done);
}

static void pre_done(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    (void)arg;
    ss_backup *b = ctx;
    b->timer = 0;
    phase_row(b, "ok", NULL);
    if (!b->spec.quiesce) {
        snprintf(b->how, sizeof b->how, "crash-consistent: quiesce = false");
        take_snapshot(b);
        return;
    }
    enter(b, P_QUIESCE);
    quiesce_attempt(b);
}

static void login(ss_backup *b);

static void hostd_answers(ss_world *w, ss_hostd_waiter *wt)
{
    (void)w;
    login(wt->owner);
}

/* vcbMounter logs in to the host: a management operation of its hostd,
 * which may not respond (the job fails, or waits holding its slot). */
static void login(ss_backup *b)
{
    ss_world *w = b->w;
    ss_host *h = b->vm->host;
    char why[400];
    ss_hostd_answer a = ss_hostd_begin(w, h, "backup", b->vm->name, why, sizeof why);
    if (a == SS_HOSTD_FAILED) {
        fail(b, why);
        return;
    }
    if (a == SS_HOSTD_WAIT) {
        b->hostd = (ss_hostd_waiter){ .run = hostd_answers, .owner = b };
        ss_hostd_wait(h, &b->hostd);
        return;
    }
    ss_hostd_done(w, h);
    if (ss_snapshot_find(b->vm, SS_VCB_SNAPSHOT)) {
        snprintf(why, sizeof why, "a snapshot named " SS_VCB_SNAPSHOT " already exists on vm %s (left by an "
                 "earlier backup?): delete it first", b->vm->name);
        fail(b, why);
        return;
    }
    phase_row(b, "ok", NULL);
    enter(b, P_PRE);
    at_timer(b, b->spec.pre_script, pre_done);
}

/* A slot is ours: the job starts. */
static void on_slot(ss_world *w, ss_proxy_job *pj)
{
    ss_backup *b = pj->owner;
    b->t_start = ss_now(w);
    phase_row(b, "ok", NULL);
    enter(b, P_START);
    ss_event ev = backup_event(b, "backup_started");
    char d[200];
    snprintf(d, sizeof d, "%s backup over %s through proxy %s (job %d)", ss_backup_mode_name(b->spec.mode),
             ss_transport_name(b->spec.transport), b->proxy->name, b->id);
    ev.detail = d;
    ss_emit(w, &ev);
    login(b);
}

static void on_missed(ss_world *w, ss_proxy_job *pj)
{
    ss_backup *b = pj->owner;
    char d[300];
    char a[16], c[16];
    snprintf(a, sizeof a, "%02d:%02d", b->spec.win_start / 3600, b->spec.win_start / 60 % 60);
    snprintf(c, sizeof c, "%02d:%02d", b->spec.win_stop / 3600, b->spec.win_stop / 60 % 60);
    snprintf(d, sizeof d, "the window %s-%s closed with the job still queued at proxy %s", a, c, b->proxy->name);
    phase_row(b, "missed", d);
    ss_event ev = backup_event(b, "backup_missed");
    ev.detail = d;
    ev.value = ss_time_to_s(ss_now(w) - b->t_submit);
    ss_emit(w, &ev);
    job_row(b, "missed", d);
    unlink_job(b);
    free(b);
    ss_changed(w);
}

/* ---- export ---- */

static void export_done(ss_engine *eng, void *ctx, uint64_t arg);

static void export_reschedule(ss_backup *b)
{
    ss_world *w = b->w;
    if (b->timer) ss_engine_cancel(w->eng, b->timer);
    b->timer = 0;
    ss_time t = ss_now(w);
    if (b->remaining <= 0.5) b->timer = ss_engine_at(w->eng, t, export_done, b, 0);
    else if (b->rate > 0) b->timer = ss_engine_at(w->eng, ss_time_add(t, ss_time_from_s(b->remaining / b->rate)), export_done, b, 0);
}

/* The datastore gave the export a new rate: account the progress at the
 * old one, reschedule the end at the new one (as a merge's copy does). */
static void export_rate(ss_world *w, ss_activity *a)
{
    ss_backup *b = a->owner;
    ss_time t = ss_now(w);
    b->remaining -= b->rate * ss_time_to_s(t - b->t_last);
    if (b->remaining < 0) b->remaining = 0;
    b->t_last = t;
    b->rate = a->rate;
    export_reschedule(b);
}

/* What the export asks of its datastore: its share of the proxy, and of
 * the host's NBD network for nbd. */
static double export_cap(const ss_backup *b)
{
    double cap = ss_share_each(&b->proxy->share);
    if (b->via_nbd.share) {
        double nbd = ss_share_each(b->via_nbd.share);
        if (nbd < cap) cap = nbd;
    }
    return cap;
}

static void export_share_changed(ss_world *w, ss_share_flow *f)
{
    ss_backup *b = f->owner;
    ss_ds_set_demand(w, &b->read, export_cap(b));
}

static void start_export(ss_backup *b)
{
    ss_world *w = b->w;
    ss_vm *vm = b->vm;
    enter(b, P_EXPORT);
    ss_vm_sync(w, vm, ss_now(w));
    uint64_t data = 0;
    for (int i = 0; i < vm->ndisks; i++) data += ss_disk_data(&vm->disks[i], b->snap->files[i]);
    b->bytes = b->spec.mode == SS_BACKUP_FILE ? (uint64_t)llround((double)data * b->spec.file_fraction) : data;
    b->remaining = (double)b->bytes;   /* X bytes read cost X of the datastore's I/O */
    b->rate = 0;
    b->t_last = ss_now(w);
    b->via_proxy = (ss_share_flow){ .on_change = export_share_changed, .owner = b };
    b->via_nbd = (ss_share_flow){ .on_change = export_share_changed, .owner = b };
    ss_share_join(w, &b->proxy->share, &b->via_proxy);
    if (b->spec.transport == SS_TRANSPORT_NBD) ss_share_join(w, &vm->host->nbd, &b->via_nbd);
    b->read = (ss_activity){ .ds = vm->ds, .demand = export_cap(b), .on_rate = export_rate, .owner = b };
    ss_ds_attach(w, &b->read);
    if (!b->timer) export_reschedule(b);
}

static void unmount_done(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    (void)arg;
    ss_backup *b = ctx;
    b->timer = 0;
    phase_row(b, "ok", NULL);
    b->snap->held = 0;
    start_delete(b);
}

static void export_done(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)eng;
    (void)arg;
    ss_backup *b = ctx;
    b->timer = 0;
    b->rate = 0;
    stop_export(b);
    b->export_s = ss_time_to_s(ss_now(b->w) - b->t_phase);
    char d[64];
    snprintf(d, sizeof d, "%llu bytes", (unsigned long long)b->bytes);
    phase_row(b, "ok", d);
    enter(b, P_UNMOUNT);
    at_timer(b, b->spec.unmount, unmount_done);
}

/* ---- delete ---- */

static void delete_ended(void *ctx, const char *result, const char *reason)
{
    ss_backup *b = ctx;
    b->delete_s = ss_time_to_s(ss_now(b->w) - b->t_phase);
    b->snap = NULL;           /* gone from the tree, merged or not */
    if (strcmp(result, "done") == 0) finish(b, "done", NULL);
    else fail(b, reason ? reason : result);
}

static void vm_idle(ss_world *w, ss_vm_waiter *wt)
{
    (void)w;
    start_delete(wt->owner);
}

static void start_delete(ss_backup *b)
{
    ss_vm *vm = b->vm;
    if (b->ph != P_DELETE) enter(b, P_DELETE);
    if (vm->job) {
        /* Someone else's deletion runs on the VM: ours comes after it. */
        b->idle = (ss_vm_waiter){ .on_idle = vm_idle, .owner = b };
        ss_vm_wait_idle(vm, &b->idle);
        return;
    }
    char why[300];
    b->deleting = 1;
    int rc = ss_delete_start_then(b->w, vm, SS_VCB_SNAPSHOT, vm->strategy, 1, delete_ended, b, why, sizeof why);
    if (rc != 0) {
        b->deleting = 0;
        fail(b, why);
    }
}

/* ---- submission, the end of the run ---- */

void ss_backup_window(const ss_backup_spec *spec, ss_time t, ss_time *open, ss_time *close)
{
    if (!spec->has_window) {
        *open = t;
        *close = SS_TIME_MAX;
        return;
    }
    const ss_time day = 86400 * SS_NS_PER_S;
    ss_time len = (ss_time)((spec->win_stop - spec->win_start + 86400) % 86400) * SS_NS_PER_S;
    if (len == 0) len = day;
    /* The occurrence open now, else the next one. */
    for (ss_time d = t / day - 1;; d++) {
        ss_time o = d * day + (ss_time)spec->win_start * SS_NS_PER_S;
        if (t < o + len) {
            *open = o;
            *close = o + len;
            return;
        }
    }
}

int ss_backup_submit(ss_world *w, ss_vm *vm, ss_proxy *p, const ss_backup_spec *spec, char *why, size_t n)
{
    if (spec->transport != SS_TRANSPORT_NBD && !ss_proxy_sees(p, vm->ds)) {
        snprintf(why, n, "proxy %s does not see datastore %s of vm %s: give it in the proxy's datastores, or use "
                 "transport = \"nbd\"", p->name, vm->ds->name, vm->name);
        return -1;
    }
    ss_backup *b = calloc(1, sizeof *b);
    if (!b) abort();
    b->w = w;
    b->id = ++w->nbackups;
    b->vm = vm;
    b->proxy = p;
    b->spec = *spec;
    b->t_submit = b->t_phase = ss_now(w);
    b->ph = P_QUEUE;
    ss_backup **pp = &w->backups;
    while (*pp) pp = &(*pp)->next;
    *pp = b;
    b->pj.owner = b;
    b->pj.on_start = on_slot;
    b->pj.on_missed = on_missed;
    ss_backup_window(spec, ss_now(w), &b->pj.t_open, &b->pj.t_close);
    int id = b->id;
    ss_proxy_submit(w, p, &b->pj);   /* it may start, even end, at once */
    return id;
}

void ss_backup_finish_run(ss_world *w)
{
    for (ss_backup *b = w->backups; b; b = b->next) {
        char d[160];
        snprintf(d, sizeof d, "the run ended during the %s phase", phase_names[b->ph]);
        phase_row(b, "unfinished", d);
        job_row(b, "unfinished", d);
    }
}

void ss_backup_free_all(ss_world *w)
{
    while (w->backups) {
        ss_backup *b = w->backups;
        w->backups = b->next;
        free(b);
    }
}
