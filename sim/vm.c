/*
 * vm.c -- a VM: power states, the timing of its guest workload, stalls for
 * space, stuns, and its guest clock with the resyncs of boot, resume and
 * revert and VMware Tools' periodic sync.
 *
 * The workload is simulated lazily: nothing happens per guest write in the
 * event queue.  The workload's I/Os live on an operational time axis u
 * (workload.h); u advances at `speed` I/Os per simulated second since the
 * anchor (t_anchor, u_anchor).  ss_vm_sync(t) applies, in order, every I/O
 * whose u falls before the u reached at t, each at its exact time.  The
 * speed changes (profile hour, throttling, stall, stun, power) re-anchor
 * after a sync, so the I/O sequence -- and the grain sets -- are exactly
 * those of a write-by-write simulation with the same draws.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

const char *ss_power_name(ss_power p)
{
    static const char *const names[] = { "off", "on", "suspended" };
    return names[p];
}

static ss_time now_of(ss_sim *sim) { return ss_engine_now(ss_sim_engine(sim)); }

static double profile_mult(const ss_vm *vm, ss_time t)
{
    return ss_workload_profile_at(vm->wl, ss_time_to_s(t));
}

/* Bytes/s of I/O the guest wants now (x2 while its writes are mirrored). */
double ss_vm_demand(const ss_vm *vm)
{
    if (!vm->wl || vm->power != SS_POWER_ON || vm->stalled || vm->stunned) return 0;
    double d = ss_workload_iops(vm->wl) * ss_workload_mean_size(vm->wl) * profile_mult(vm, vm->t_anchor);
    int mirrored = 0;
    for (int i = 0; i < vm->ndisks; i++)
        if (vm->disks[i].mirror) mirrored = 1;
    return mirrored ? 2 * d : d;
}

static void stall(ss_sim *sim, ss_vm *vm, ss_time t)
{
    ss_datastore *ds = vm->ds;
    vm->stalled = 1;
    vm->stall_start = t;
    vm->stalls++;
    char detail[128];
    snprintf(detail, sizeof detail, "There is no more space for the redo log of %s",
             vm->disks[vm->wl_disk].top->name);
    ss_event ev = { .t = ss_time_to_s(t), .kind = "vm_stalled", .vm = vm->name, .host = vm->host->name,
                    .datastore = ds->name, .bytes = (int64_t)(ds->capacity - ds->used), .detail = detail };
    if (!ds->full) {
        ds->full = 1;
        ds->full_events++;
        ss_event full = { .t = ev.t, .kind = "datastore_full", .datastore = ds->name, .vm = vm->name,
                          .bytes = (int64_t)ds->capacity, .value = (double)ds->used };
        ss_sim_emit(sim, &full);
    }
    ss_sim_emit(sim, &ev);
    ss_ds_wait(ds, vm);
}

/* Draw the next SS_IOQ I/Os into the queue (it is empty). */
static void refill(ss_vm *vm)
{
    for (int k = 0; k < SS_IOQ; k++) {
        ss_workload_next(vm->wl, vm->rng, &vm->ioq[k]);
        vm->u_next += vm->ioq[k].du;
        vm->uq[k] = vm->u_next;
    }
    vm->qhead = 0;
    vm->qlen = SS_IOQ;
}

void ss_vm_drop_ios(ss_vm *vm)
{
    vm->qhead = vm->qlen = 0;
}

/* How far ahead to prefetch: a few writes, enough to overlap the misses. */
#define SS_PREFETCH 4

/* Apply the guest's I/Os up to time t. */
void ss_vm_sync(ss_sim *sim, ss_vm *vm, ss_time t)
{
    if (!vm->wl || vm->speed <= 0 || t <= vm->t_anchor) {
        if (t > vm->t_anchor && vm->speed <= 0) vm->t_anchor = t;
        return;
    }
    double dt = ss_time_to_s(t - vm->t_anchor);
    double u_target = vm->u_anchor + vm->speed * dt;
    ss_disk *d = &vm->disks[vm->wl_disk];
    /* The common case inline: no mirror, a file with a grain set, space far
     * from short.  Everything else goes through ss_disk_write. */
    ss_file *top = d->top;
    ss_datastore *ds = top->ds;
    int fast = !d->mirror && top->gs != NULL;
    unsigned gsh = d->grain_shift;
    uint64_t limit = ds->capacity > d->margin ? ds->capacity - d->margin : 0;
    for (;;) {
        if (vm->qlen == 0) refill(vm);
        /* The queued I/Os, with the counters in locals (stored once). */
        int h = vm->qhead, end = h + vm->qlen, k = h, full = 0;
        uint64_t written = 0;
        for (; k < end && vm->uq[k] <= u_target; k++) {
            const ss_io *io = &vm->ioq[k];
            if (k + SS_PREFETCH < end) ss_disk_prefetch(d, vm->ioq[k + SS_PREFETCH].offset);
            if (io->is_read) continue;
            if (fast && ds->used + 2 * io->len <= limit) {
                uint64_t g0 = io->offset >> gsh;
                ss_file_add(sim, top, g0, ((io->offset + io->len - 1) >> gsh) - g0 + 1);
            } else if (ss_disk_write(sim, d, io->offset, io->len)) {
                full = 1;
                break;
            }
            written += io->len;
        }
        vm->bytes_written += written;
        vm->ios += (uint64_t)(k - h);
        vm->qhead = k;
        vm->qlen = end - k;
        if (full) {
            /* The write at k stalls; it stays at the head of the queue. */
            ss_time t_io = vm->t_anchor + ss_time_from_s((vm->uq[k] - vm->u_anchor) / vm->speed);
            if (t_io > t) t_io = t;
            vm->u_anchor = vm->uq[k];
            vm->t_anchor = t_io;
            vm->speed = 0;
            stall(sim, vm, t_io);
            vm->t_anchor = t;
            if (vm->io.attached) ss_ds_detach(sim, &vm->io);
            return;
        }
        if (k < end) break;   /* the next I/O is after t */
    }
    vm->u_anchor = u_target;
    vm->t_anchor = t;
}

void ss_vm_sync_all(ss_sim *sim)
{
    ss_time t = now_of(sim);
    for (ss_vm *vm = ss_sim_vms(sim); vm; vm = vm->next) ss_vm_sync(sim, vm, t);
}

/* Throttling bookkeeping, called before the throttle changes: the
 * interval since throttle_since ran at the throttle and denial recorded
 * then (the activity's rate and demand may already be the new ones). */
static void account_throttle(ss_sim *sim, ss_vm *vm)
{
    ss_time t = now_of(sim);
    if (vm->throttle < 1) {
        double dt = ss_time_to_s(t - vm->throttle_since);
        vm->throttled_s += dt;
        vm->throttled_bytes += vm->denied * dt;
    }
    vm->throttle_since = t;
}

static void set_speed(ss_sim *sim, ss_vm *vm)
{
    account_throttle(sim, vm);
    double demand = ss_vm_demand(vm);
    vm->throttle = (demand > 0 && vm->io.attached && vm->io.rate < demand) ? vm->io.rate / demand : 1.0;
    vm->denied = vm->throttle < 1 ? demand - vm->io.rate : 0;
    if (demand <= 0) vm->speed = 0;
    else vm->speed = ss_workload_iops(vm->wl) * profile_mult(vm, now_of(sim)) * vm->throttle;
}

static void io_rate_changed(ss_sim *sim, ss_activity *a)
{
    ss_vm *vm = a->owner;
    ss_vm_sync(sim, vm, now_of(sim));
    set_speed(sim, vm);
}

/* Re-evaluate the workload after any change of state. */
void ss_vm_start_io(ss_sim *sim, ss_vm *vm)
{
    if (!vm->wl) return;
    ss_time t = now_of(sim);
    ss_vm_sync(sim, vm, t);
    if (vm->stalled) return;
    vm->t_anchor = t;
    vm->io.ds = vm->ds;
    vm->io.owner = vm;
    vm->io.on_rate = io_rate_changed;
    double demand = ss_vm_demand(vm);
    if (demand > 0) {
        vm->io.demand = demand;
        if (!vm->io.attached) ss_ds_attach(sim, &vm->io);
        else ss_ds_set_demand(sim, &vm->io, demand);
    } else if (vm->io.attached) {
        account_throttle(sim, vm);
        ss_ds_detach(sim, &vm->io);
    }
    set_speed(sim, vm);
}

void ss_vm_resume_io(ss_sim *sim, ss_vm *vm)
{
    if (!vm->stalled) return;
    ss_disk *d = &vm->disks[vm->wl_disk];
    const ss_io *io = &vm->ioq[vm->qhead];   /* the write that stalled */
    if (ss_disk_write(sim, d, io->offset, io->len)) {
        ss_ds_wait(vm->ds, vm);
        return;
    }
    ss_time t = now_of(sim);
    vm->stalled = 0;
    double len = ss_time_to_s(t - vm->stall_start);
    vm->stall_s += len;
    vm->bytes_written += io->len;
    vm->ios++;
    vm->qhead++;
    vm->qlen--;
    vm->t_anchor = t;
    ss_event ev = { .t = ss_time_to_s(t), .kind = "vm_resumed_io", .vm = vm->name, .host = vm->host->name,
                    .datastore = vm->ds->name, .value = len };
    ss_sim_emit(sim, &ev);
    ss_vm_start_io(sim, vm);
}

/* ---- guest clock ---- */

static double host_offset(ss_sim *sim, ss_vm *vm) { return ss_hclock_offset(&vm->host->clock, now_of(sim)); }

static void clock_step(ss_sim *sim, ss_vm *vm, double target, ss_clk_cause cause)
{
    ss_time t = now_of(sim);
    double step = ss_gclock_step(&vm->clock, t, target, cause);
    ss_event ev = { .t = ss_time_to_s(t), .kind = "clock_step", .vm = vm->name, .host = vm->host->name,
                    .value = step, .detail = ss_clk_cause_name(cause) };
    ss_sim_emit(sim, &ev);
}

/* Tools periodic sync is driven from sim.c (it needs the sim); see
 * ss_vm_tools_tick below. */
void ss_vm_tools_tick(ss_sim *sim, ss_vm *vm)
{
    if (vm->power != SS_POWER_ON || !vm->ccl.tools_sync || vm->stunned) return;
    ss_time t = now_of(sim);
    double step = 0;
    if (ss_gclock_tools_sync(&vm->clock, t, host_offset(sim, vm), ss_time_to_s(vm->ccl.sync_interval),
                             vm->ccl.sync_backward, &step)) {
        ss_event ev = { .t = ss_time_to_s(t), .kind = "clock_step", .vm = vm->name, .host = vm->host->name,
                        .value = step, .detail = ss_clk_cause_name(SS_CLK_TOOLS) };
        ss_sim_emit(sim, &ev);
    }
}

/* ---- power ---- */

/* The suspended state's file goes on resume, power-off and revert. */
static void release_vmss(ss_sim *sim, ss_vm *vm)
{
    for (ss_file *f = vm->files; f; f = f->next)
        if (f->kind == SS_FILE_VMSS) {
            ss_file_release(sim, f);
            return;
        }
}

/* A stalled VM that stops running gives up its pending write (the guest
 * is gone or frozen) and leaves the datastore's wait queue. */
static void drop_stall(ss_vm *vm, ss_time t)
{
    if (!vm->stalled) return;
    ss_ds_unwait(vm->ds, vm);
    vm->stalled = 0;
    vm->stall_s += ss_time_to_s(t - vm->stall_start);
    vm->qhead++;   /* the write that stalled is lost with the guest's state */
    vm->qlen--;
}

static void emit_simple(ss_sim *sim, ss_vm *vm, const char *kind)
{
    ss_event ev = { .t = ss_time_to_s(now_of(sim)), .kind = kind, .vm = vm->name, .host = vm->host->name,
                    .datastore = vm->ds->name };
    ss_sim_emit(sim, &ev);
}

static int busy(ss_vm *vm, char *why, size_t n)
{
    if (vm->job) {
        snprintf(why, n, "vm %s is busy: a snapshot deletion is running", vm->name);
        return 1;
    }
    return 0;
}

/* The guest stops (power off, suspend): its writes up to now are applied,
 * a stalled write is dropped, its clock stands still. */
static void stop_running(ss_sim *sim, ss_vm *vm, ss_power to, const char *kind)
{
    ss_time t = now_of(sim);
    ss_vm_sync(sim, vm, t);
    drop_stall(vm, t);
    vm->power = to;
    ss_gclock_freeze(&vm->clock, t);
    emit_simple(sim, vm, kind);
    ss_vm_start_io(sim, vm);
    ss_sim_sample(sim);
}

int ss_vm_power_on(ss_sim *sim, ss_vm *vm, char *why, size_t n)
{
    if (vm->power == SS_POWER_ON) { snprintf(why, n, "vm %s is already on", vm->name); return -1; }
    if (vm->power == SS_POWER_SUSPENDED) {
        snprintf(why, n, "vm %s is suspended: use resume()", vm->name);
        return -1;
    }
    if (busy(vm, why, n)) return -1;
    ss_time t = now_of(sim);
    vm->power = SS_POWER_ON;
    ss_gclock_thaw(&vm->clock, t);
    emit_simple(sim, vm, "power_on");
    if (vm->ccl.resync_boot) clock_step(sim, vm, host_offset(sim, vm), SS_CLK_BOOT);
    ss_vm_start_io(sim, vm);
    ss_sim_sample(sim);
    return 0;
}

int ss_vm_power_off(ss_sim *sim, ss_vm *vm, char *why, size_t n)
{
    if (vm->power == SS_POWER_OFF) { snprintf(why, n, "vm %s is already off", vm->name); return -1; }
    if (busy(vm, why, n)) return -1;
    /* Powering off a suspended VM discards its suspended state. */
    if (vm->power == SS_POWER_SUSPENDED) release_vmss(sim, vm);
    stop_running(sim, vm, SS_POWER_OFF, "power_off");
    return 0;
}

int ss_vm_suspend(ss_sim *sim, ss_vm *vm, char *why, size_t n)
{
    if (vm->power != SS_POWER_ON) { snprintf(why, n, "vm %s is not on (it is %s)", vm->name, ss_power_name(vm->power)); return -1; }
    if (busy(vm, why, n)) return -1;
    ss_vm_sync(sim, vm, now_of(sim));     /* the guest's writes come first */
    if (!ss_ds_fits(vm->ds, vm->memory)) {
        snprintf(why, n, "not enough space on datastore %s for the .vmss (%llu bytes)", vm->ds->name,
                 (unsigned long long)vm->memory);
        return -1;
    }
    char name[300];
    snprintf(name, sizeof name, "%s.vmss", vm->name);
    ss_file_new(sim, vm, NULL, SS_FILE_VMSS, name, NULL, vm->memory);
    stop_running(sim, vm, SS_POWER_SUSPENDED, "suspend");
    return 0;
}

int ss_vm_resume(ss_sim *sim, ss_vm *vm, char *why, size_t n)
{
    if (vm->power != SS_POWER_SUSPENDED) {
        snprintf(why, n, "vm %s is not suspended (it is %s)", vm->name, ss_power_name(vm->power));
        return -1;
    }
    ss_time t = now_of(sim);
    release_vmss(sim, vm);
    vm->power = SS_POWER_ON;
    ss_gclock_thaw(&vm->clock, t);
    emit_simple(sim, vm, "resume");
    if (vm->ccl.resync_resume) clock_step(sim, vm, host_offset(sim, vm), SS_CLK_RESUME);
    ss_vm_start_io(sim, vm);
    ss_sim_sample(sim);
    return 0;
}

/* After the chain was reverted to s: power state and guest clock. */
void ss_vm_after_revert(ss_sim *sim, ss_vm *vm, ss_snapshot *s)
{
    ss_time t = now_of(sim);
    ss_vm_sync(sim, vm, t);
    drop_stall(vm, t);
    if (vm->power == SS_POWER_SUSPENDED)
        release_vmss(sim, vm);
    if (s->memory) {
        /* The memory image brings back the guest clock of the snapshot
         * moment: guest time = its guest time then (SPEC §2.4). */
        vm->power = SS_POWER_ON;
        ss_gclock_restore(&vm->clock, t, s->t, s->guest_offset);
        if (vm->ccl.resync_revert) clock_step(sim, vm, host_offset(sim, vm), SS_CLK_REVERT);
    } else {
        /* A disk-only snapshot holds no running state: the VM is off; the
         * next power-on boots and syncs. */
        vm->power = SS_POWER_OFF;
        ss_gclock_freeze(&vm->clock, t);
    }
    ss_vm_start_io(sim, vm);
}

void ss_vm_stun(ss_sim *sim, ss_vm *vm, int on)
{
    ss_time t = now_of(sim);
    if (on && !vm->stunned) {
        ss_vm_sync(sim, vm, t);
        vm->stunned = 1;
        ss_gclock_stun_begin(&vm->clock, t);
        ss_vm_start_io(sim, vm);
    } else if (!on && vm->stunned) {
        vm->stunned = 0;
        ss_gclock_stun_end(&vm->clock, t, vm->ccl.catch_up);
        ss_vm_start_io(sim, vm);
    }
}

/* ---- write(): explicit writes ----
 * A ranged write applies [offset, offset+bytes) in 1 MiB pieces, so a full
 * datastore stops it where a guest would stop.  Random writes draw
 * io_size writes by pattern from the stream "vm:<name>:write", so the VM's
 * workload draws are untouched.  With a rate, a write job applies one
 * second's worth at a time (at the end of each second); it waits while the
 * VM is not running or the datastore is full. */
typedef struct ss_wjob {
    ss_sim *sim;
    ss_vm *vm;
    ss_write_spec w;          /* offset advances, bytes counts down */
    ss_workload *wl;          /* random writes */
    gsl_rng *rng;
    struct ss_wjob *next;
} ss_wjob;

/* Apply up to `bytes` of the spec now; returns bytes applied (< bytes
 * only when the datastore is full). */
static uint64_t apply_writes(ss_sim *sim, ss_vm *vm, ss_write_spec *w, ss_workload *wl, gsl_rng *rng, uint64_t bytes)
{
    ss_disk *d = &vm->disks[w->disk];
    uint64_t done = 0;
    if (w->ranged) {
        uint64_t piece = UINT64_C(1) << 20;
        while (done < bytes) {
            uint64_t l = bytes - done < piece ? bytes - done : piece;
            if (ss_disk_write(sim, d, w->offset, l)) break;
            w->offset += l;
            done += l;
        }
    } else {
        while (done + w->io_size <= bytes) {
            ss_io x;
            ss_workload_next(wl, rng, &x);
            if (ss_disk_write(sim, d, x.offset, x.len)) break;
            done += x.len;
        }
    }
    vm->bytes_written += done;
    return done;
}

static void wjob_free(ss_wjob *j)
{
    ss_workload_free(j->wl);
    free(j);
}

static void wjob_tick(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)arg;
    ss_wjob *j = ctx;
    ss_vm *vm = j->vm;
    if (vm->power == SS_POWER_ON) {
        uint64_t chunk = (uint64_t)j->w.rate;
        if (!j->w.ranged) chunk -= chunk % j->w.io_size;
        if (chunk == 0) chunk = j->w.ranged ? 1 : j->w.io_size;
        if (chunk > j->w.bytes) chunk = j->w.bytes;
        j->w.bytes -= apply_writes(j->sim, vm, &j->w, j->wl, j->rng, chunk);
        ss_sim_sample(j->sim);
    }
    if (j->w.bytes >= (j->w.ranged ? 1 : j->w.io_size)) {
        ss_engine_at(eng, ss_engine_now(eng) + SS_NS_PER_S, wjob_tick, j, 0);
        return;
    }
    for (ss_wjob **pp = &vm->wjobs; *pp; pp = &(*pp)->next)
        if (*pp == j) { *pp = j->next; break; }
    wjob_free(j);
}

int ss_vm_write(ss_sim *sim, ss_vm *vm, const ss_write_spec *w, char *why, size_t n)
{
    if (vm->power != SS_POWER_ON) {
        snprintf(why, n, "vm %s is %s: only a running guest writes", vm->name, ss_power_name(vm->power));
        return -1;
    }
    ss_disk *d = &vm->disks[w->disk];
    if (w->io_size == 0 || w->io_size % 512) {
        snprintf(why, n, "io_size must be a positive multiple of 512 bytes, found %llu", (unsigned long long)w->io_size);
        return -1;
    }
    if (w->ranged && (w->offset > d->capacity || w->bytes > d->capacity - w->offset)) {
        snprintf(why, n, "write of %llu bytes at %llu is outside disk %d (%llu bytes)", (unsigned long long)w->bytes,
                 (unsigned long long)w->offset, w->disk + 1, (unsigned long long)d->capacity);
        return -1;
    }
    ss_workload *wl = NULL;
    gsl_rng *rng = NULL;
    if (!w->ranged) {
        ss_workload_params p;
        memset(&p, 0, sizeof p);
        p.iops = 1;
        p.nsizes = 1;
        p.sizes[0] = w->io_size;
        p.weights[0] = 1;
        p.arrivals = SS_ARR_CONSTANT;
        p.pattern = w->pattern;
        p.hot_fraction = 0.1;
        p.hot_share = 0.9;
        p.zipf_s = 1;
        if (!(wl = ss_workload_new(&p, d->capacity, why, n))) return -1;
        char sname[300];
        snprintf(sname, sizeof sname, "vm:%s:write", vm->name);
        rng = ss_engine_stream(ss_sim_engine(sim), sname);
    }
    if (w->rate > 0) {
        ss_wjob *j = calloc(1, sizeof *j);
        if (!j) abort();
        *j = (ss_wjob){ sim, vm, *w, wl, rng, vm->wjobs };
        vm->wjobs = j;
        ss_engine *eng = ss_sim_engine(sim);
        ss_engine_at(eng, ss_engine_now(eng) + SS_NS_PER_S, wjob_tick, j, 0);
        return 0;
    }
    ss_write_spec cur = *w;
    uint64_t done = apply_writes(sim, vm, &cur, wl, rng, w->bytes);
    ss_workload_free(wl);
    ss_sim_sample(sim);
    if (done + (w->ranged ? 0 : w->io_size) <= w->bytes && done < w->bytes) {
        snprintf(why, n, "datastore %s is full: wrote %llu of %llu bytes", vm->ds->name, (unsigned long long)done,
                 (unsigned long long)w->bytes);
        return 1;
    }
    return 0;
}

void ss_vm_free_writes(ss_vm *vm)
{
    while (vm->wjobs) {
        ss_wjob *j = vm->wjobs;
        vm->wjobs = j->next;
        wjob_free(j);
    }
}

void ss_vm_clock_start(ss_sim *sim, ss_vm *vm)
{
    ss_time t = now_of(sim);
    double off = ss_hclock_offset(&vm->host->clock, t);
    ss_gclock_init(&vm->clock, t, off, vm->ccl.drift_ppm, vm->ccl.skew_limit, vm->power == SS_POWER_ON);
}

/* Seeded from (scenario seed, stream name) only: common random numbers. */
void ss_vm_seed(ss_sim *sim, ss_vm *vm)
{
    if (vm->rng && vm->stream)
        gsl_rng_set(vm->rng, (unsigned long)ss_stream_seed(ss_engine_seed(ss_sim_engine(sim)), vm->stream));
}

void ss_vm_free(ss_vm *vm)
{
    while (vm->snaps) ss_snapshot_unlink(vm, vm->snaps);
    while (vm->files) {
        ss_file *f = vm->files;
        vm->files = f->next;
        ss_gs_free(f->gs);
        free(f->name);
        free(f);
    }
    ss_job_free(vm->job);
    ss_vm_free_writes(vm);
    ss_workload_free(vm->wl);
    if (vm->rng) gsl_rng_free(vm->rng);
    free(vm->stream);
    free(vm->disks);
    free(vm->name);
    free(vm);
}
