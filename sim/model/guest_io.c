/*
 * guest_io.c -- the guest workload's timing and the write path: a VM's
 * writes applied lazily, in order, throttled by the datastore's bandwidth,
 * stalled when the datastore is full (vm.h).
 *
 * Nothing happens per guest write in the event queue.  The workload's I/Os
 * live on an operational time axis u (workload.h); u advances at `speed`
 * I/Os per simulated second since the anchor (t_anchor, u_anchor).
 * ss_vm_sync(t) applies, in order, every I/O whose u falls before the u
 * reached at t, each at its exact time.  The speed changes (profile hour,
 * throttling, stall, stun, power) re-anchor after a sync, so the I/O
 * sequence -- and the grain sets -- are exactly those of a write-by-write
 * simulation with the same draws.
 *
 * A write that does not fit stalls the VM ("There is no more space for the
 * redo log"): it waits at the head of its queue until the datastore says
 * space was freed, then is retried; nothing is lost.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/guest_io.h"
#include "model/stat_io.h"

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

static void on_space(ss_world *w, ss_waiter *wt);

void ss_vm_stall_begin(ss_world *w, ss_vm *vm, ss_time t, const ss_file *file, ss_waiter *wt)
{
    ss_datastore *ds = vm->ds;
    vm->stalled = 1;
    vm->stall_wt = wt;
    vm->stall_start = t;
    vm->stalls++;
    char detail[128];
    snprintf(detail, sizeof detail, "There is no more space for the redo log of %s", file->name);
    ss_event ev = { .t = ss_time_to_s(t), .kind = "vm_stalled", .vm = vm->name, .host = vm->host->name,
                    .datastore = ds->name, .bytes = (int64_t)(ds->capacity - ds->used), .detail = detail };
    if (!ds->full) {
        ds->full = 1;
        if (!ds->full_events) ds->t_first_full = t;
        ds->full_events++;
        ss_event full = { .t = ev.t, .kind = "datastore_full", .datastore = ds->name, .vm = vm->name,
                          .bytes = (int64_t)ds->capacity, .value = (double)ds->used };
        ss_emit(w, &full);
    }
    ss_emit(w, &ev);
    ss_ds_wait(ds, wt);
}

void ss_vm_stall(ss_world *w, ss_vm *vm, ss_time t)
{
    vm->space.on_space = on_space;
    ss_vm_stall_begin(w, vm, t, vm->disks[vm->wl_disk].top, &vm->space);
}

double ss_vm_stall_close(ss_vm *vm, ss_time t)
{
    if (!vm->stalled) return 0;
    ss_ds_unwait(vm->ds, vm->stall_wt);
    double len = ss_time_to_s(t - vm->stall_start);
    vm->stalled = 0;
    vm->stall_wt = NULL;
    vm->stall_s += len;
    return len;
}

void ss_vm_stall_end(ss_world *w, ss_vm *vm)
{
    ss_time t = ss_now(w);
    double len = ss_vm_stall_close(vm, t);
    ss_event ev = { .t = ss_time_to_s(t), .kind = "vm_resumed_io", .vm = vm->name, .host = vm->host->name,
                    .datastore = vm->ds->name, .value = len };
    ss_emit(w, &ev);
    vm->t_anchor = t;
    ss_vm_start_io(w, vm);
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
void ss_vm_sync(ss_world *w, ss_vm *vm, ss_time t)
{
    if (vm->sio) {
        ss_stat_sync(w, vm, t);
        return;
    }
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
    int fast = !d->mirror && top->ct.gs != NULL && top->ct.st == NULL;
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
                ss_file_add(w, top, g0, ((io->offset + io->len - 1) >> gsh) - g0 + 1);
            } else if (ss_disk_write(w, d, io->offset, io->len)) {
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
            vm->space.on_space = on_space;
            ss_vm_stall_begin(w, vm, t_io, d->top, &vm->space);
            vm->t_anchor = t;
            if (vm->io.attached) ss_ds_detach(w, &vm->io);
            return;
        }
        if (k < end) break;   /* the next I/O is after t */
    }
    vm->u_anchor = u_target;
    vm->t_anchor = t;
}


/* Throttling bookkeeping, called before the throttle changes: the
 * interval since throttle_since ran at the throttle and denial recorded
 * then (the activity's rate and demand may already be the new ones). */
static void account_throttle(ss_world *w, ss_vm *vm)
{
    ss_time t = ss_now(w);
    if (vm->throttle < 1) {
        double dt = ss_time_to_s(t - vm->throttle_since);
        vm->throttled_s += dt;
        vm->throttled_bytes += vm->denied * dt;
    }
    vm->throttle_since = t;
}

static void set_speed(ss_world *w, ss_vm *vm)
{
    account_throttle(w, vm);
    double demand = ss_vm_demand(vm);
    vm->throttle = (demand > 0 && vm->io.attached && vm->io.rate < demand) ? vm->io.rate / demand : 1.0;
    vm->denied = vm->throttle < 1 ? demand - vm->io.rate : 0;
    if (demand <= 0) vm->speed = 0;
    else vm->speed = ss_workload_iops(vm->wl) * profile_mult(vm, ss_now(w)) * vm->throttle;
}

static void io_rate_changed(ss_world *w, ss_activity *a)
{
    ss_vm *vm = a->owner;
    ss_vm_sync(w, vm, ss_now(w));
    set_speed(w, vm);
}

/* Re-evaluate the workload after any change of state. */
void ss_vm_start_io(ss_world *w, ss_vm *vm)
{
    if (!vm->wl) return;
    ss_time t = ss_now(w);
    ss_vm_sync(w, vm, t);
    if (vm->stalled) {
        /* A write() job's stall holds the guest too (a workload stall has
         * let go of the bandwidth already). */
        if (vm->io.attached) {
            set_speed(w, vm);
            ss_ds_detach(w, &vm->io);
        }
        return;
    }
    vm->t_anchor = t;
    vm->io.ds = vm->ds;
    vm->io.owner = vm;
    vm->io.on_rate = io_rate_changed;
    double demand = ss_vm_demand(vm);
    if (demand > 0) {
        /* Attached: ss_ds_set_demand reshares the datastore, and only if
         * the demand changed -- so it must see the old one. */
        if (!vm->io.attached) {
            vm->io.demand = demand;
            ss_ds_attach(w, &vm->io);
        } else ss_ds_set_demand(w, &vm->io, demand);
    } else if (vm->io.attached) {
        account_throttle(w, vm);
        ss_ds_detach(w, &vm->io);
    }
    set_speed(w, vm);
}

/* Space was freed on the datastore: retry the workload's write that
 * stalled (it is applied at once, then the guest goes on). */
static void on_space(ss_world *w, ss_waiter *wt)
{
    ss_vm *vm = wt->owner;
    if (!vm->stalled || vm->stall_wt != wt) return;
    ss_disk *d = &vm->disks[vm->wl_disk];
    uint64_t bytes;
    if (vm->sio) {
        if (ss_stat_retry(w, vm, &bytes)) {
            ss_ds_wait(vm->ds, &vm->space);
            return;
        }
    } else {
        const ss_io *io = &vm->ioq[vm->qhead];   /* the write that stalled */
        if (ss_disk_write(w, d, io->offset, io->len)) {
            ss_ds_wait(vm->ds, &vm->space);
            return;
        }
        bytes = io->len;
        vm->qhead++;
        vm->qlen--;
    }
    vm->bytes_written += bytes;
    vm->ios++;
    ss_vm_stall_end(w, vm);
}

/* ---- guest clock ---- */

/* Seeded from (scenario seed, stream name) only: common random numbers. */
void ss_vm_seed(ss_world *w, ss_vm *vm)
{
    if (vm->rng && vm->stream)
        gsl_rng_set(vm->rng, (unsigned long)ss_stream_seed(ss_engine_seed(w->eng), vm->stream));
}

void ss_vm_install_workload(ss_world *w, ss_vm *vm, ss_workload *wl, int disk, const char *stream)
{
    ss_workload_free(vm->wl);
    vm->wl = wl;
    vm->wl_disk = disk;
    ss_vm_drop_ios(vm);
    if (!vm->rng) vm->rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!vm->rng) abort();
    free(vm->stream);
    size_t n = strlen(stream) + 1;
    vm->stream = malloc(n);
    if (!vm->stream) abort();
    memcpy(vm->stream, stream, n);
    ss_vm_seed(w, vm);
    ss_stat_install(w, vm);
}

void ss_vm_set_workload(ss_world *w, ss_vm *vm, ss_workload *wl, int disk, const char *stream)
{
    ss_vm_sync(w, vm, ss_now(w));
    if (!wl) {
        ss_workload_free(vm->wl);
        vm->wl = NULL;
        /* vm->sio stays: a write that stalled is retried from it */
        if (vm->io.attached) ss_ds_detach(w, &vm->io);
        vm->speed = 0;
        return;
    }
    if (vm->stalled && vm->stall_wt == &vm->space) {
        /* The write that stalled belongs to the stream being replaced: it
         * goes with it (as when the guest stops, power.c), and the new
         * stream starts from an empty queue.  (A write() job's stall is
         * not the stream's: it stays.) */
        ss_vm_stall_close(vm, ss_now(w));
    }
    ss_vm_install_workload(w, vm, wl, disk, stream);
    vm->t_anchor = ss_now(w);
    vm->u_anchor = vm->u_next = 0;
    ss_vm_start_io(w, vm);
}
