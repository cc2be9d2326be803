/*
 * write.c -- write(): explicit guest writes, all at once or at a rate
 * (vm.h).
 *
 * A ranged write applies [offset, offset+bytes) in 1 MiB pieces, so a full
 * datastore stops it where a guest would stop.  Random writes draw
 * io_size writes by pattern from the stream "vm:<name>:write", so the VM's
 * workload draws are untouched.  With a rate, a write job applies one
 * second's worth at a time (at the end of each second); it waits while the
 * VM is not running or stalled.  A second's worth that does not fit stalls
 * the VM as a workload write does (guest_io.h: vm_stalled, the guest
 * waits, vm_resumed_io once the rest of that second fitted); the next
 * second comes one second after the resume.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/guest_io.h"
#include "model/write.h"
#include "snapsim/limits.h"

typedef struct ss_wjob {
    ss_world *w;
    ss_vm *vm;
    ss_write_spec ws;         /* offset advances, bytes counts down */
    ss_workload *wl;          /* random writes */
    gsl_rng *rng;
    uint64_t pending;         /* bytes of the current second not yet applied (stalled) */
    ss_waiter space;          /* queued on the datastore while stalled */
    struct ss_wjob *next;
} ss_wjob;

/* Apply up to `bytes` of the spec now; returns bytes applied (< bytes
 * only when the datastore is full). */
static uint64_t apply_writes(ss_world *w, ss_vm *vm, ss_write_spec *ws, ss_workload *wl, gsl_rng *rng, uint64_t bytes)
{
    ss_disk *d = &vm->disks[ws->disk];
    uint64_t done = 0;
    if (ws->ranged) {
        uint64_t piece = UINT64_C(1) << 20;
        while (done < bytes) {
            uint64_t l = bytes - done < piece ? bytes - done : piece;
            if (ss_disk_write(w, d, ws->offset, l)) break;
            ws->offset += l;
            done += l;
        }
    } else {
        while (done + ws->io_size <= bytes) {
            ss_io x;
            ss_workload_next(wl, rng, &x);
            if (ss_disk_write(w, d, x.offset, x.len)) break;
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

static void wjob_tick(ss_engine *eng, void *ctx, uint64_t arg);

/* The job goes on: its next second, or its end. */
static void wjob_next(ss_wjob *j)
{
    ss_vm *vm = j->vm;
    if (j->ws.bytes >= (j->ws.ranged ? 1 : j->ws.io_size)) {
        ss_engine *eng = j->w->eng;
        ss_engine_at(eng, ss_time_add(ss_engine_now(eng), SS_NS_PER_S), wjob_tick, j, 0);
        return;
    }
    for (ss_wjob **pp = &vm->wjobs; *pp; pp = &(*pp)->next)
        if (*pp == j) { *pp = j->next; break; }
    wjob_free(j);
}

/* Apply what is pending; 1 if it all fitted. */
static int wjob_apply(ss_wjob *j)
{
    uint64_t done = apply_writes(j->w, j->vm, &j->ws, j->wl, j->rng, j->pending);
    j->ws.bytes -= done;
    j->pending -= done;
    ss_changed(j->w);
    /* Random writes come in io_size pieces: less than one left is done. */
    if (!j->ws.ranged && j->pending < j->ws.io_size) j->pending = 0;
    return j->pending == 0;
}

static void wjob_space(ss_world *w, ss_waiter *wt)
{
    ss_wjob *j = wt->owner;
    ss_vm *vm = j->vm;
    if (!vm->stalled || vm->stall_wt != wt) return;
    if (!wjob_apply(j)) {
        ss_ds_wait(vm->ds, wt);
        return;
    }
    ss_vm_stall_end(w, vm);
    wjob_next(j);
}

static void wjob_tick(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)arg;
    (void)eng;
    ss_wjob *j = ctx;
    ss_vm *vm = j->vm;
    if (vm->power == SS_POWER_ON && !vm->stalled) {
        uint64_t chunk = (uint64_t)j->ws.rate;
        if (!j->ws.ranged) chunk -= chunk % j->ws.io_size;
        if (chunk == 0) chunk = j->ws.ranged ? 1 : j->ws.io_size;
        if (chunk > j->ws.bytes) chunk = j->ws.bytes;
        ss_vm_sync(j->w, vm, ss_engine_now(eng));   /* the workload's writes before this second's */
        if (!vm->stalled) {
            j->pending = chunk;
            if (!wjob_apply(j)) {
                /* The datastore is full: the guest stalls on this write. */
                j->space.on_space = wjob_space;
                j->space.owner = j;
                ss_vm_stall_begin(j->w, vm, ss_engine_now(eng), vm->disks[j->ws.disk].top, &j->space);
                ss_vm_start_io(j->w, vm);
                return;
            }
        }
    }
    wjob_next(j);
}

void ss_vm_write_unstalled(ss_world *w, ss_vm *vm, ss_waiter *wt)
{
    (void)w;
    (void)vm;
    ss_wjob *j = wt->owner;
    j->pending = 0;   /* the rest of the second that stalled comes with the next ones */
    wjob_next(j);
}

int ss_vm_write(ss_world *w, ss_vm *vm, const ss_write_spec *ws, char *why, size_t n)
{
    if (vm->power != SS_POWER_ON) {
        snprintf(why, n, "vm %s is %s: only a running guest writes", vm->name, ss_power_name(vm->power));
        return -1;
    }
    ss_disk *d = &vm->disks[ws->disk];
    if (ws->io_size == 0 || ws->io_size % 512) {
        snprintf(why, n, "io_size must be a positive multiple of 512 bytes, found %llu", (unsigned long long)ws->io_size);
        return -1;
    }
    if (ws->ranged && (ws->offset > d->capacity || ws->bytes > d->capacity - ws->offset)) {
        snprintf(why, n, "write of %llu bytes at %llu is outside disk %d (%llu bytes)", (unsigned long long)ws->bytes,
                 (unsigned long long)ws->offset, ws->disk + 1, (unsigned long long)d->capacity);
        return -1;
    }
    /* The bound on I/Os per simulated second (snapsim/limits.h): a rated
     * write applies rate bytes a second, an unrated one all at once. */
    double unit = ws->ranged ? (double)(UINT64_C(1) << 20) : (double)ws->io_size;
    double per_s = (ws->rate > 0 ? ws->rate : (double)ws->bytes) / unit;
    if (!(per_s <= SS_MAX_IOPS)) {
        snprintf(why, n, "%s of %.4g %s in one simulated second is more than the simulator's bound of %.0e "
                 "(README.md, Limits)", ws->rate > 0 ? "a rate" : "a write", per_s,
                 ws->ranged ? "1 MiB pieces" : "I/Os", SS_MAX_IOPS);
        return -1;
    }
    ss_workload *wl = NULL;
    gsl_rng *rng = NULL;
    if (!ws->ranged) {
        ss_workload_params p;
        memset(&p, 0, sizeof p);
        p.iops = 1;
        p.nsizes = 1;
        p.sizes[0] = ws->io_size;
        p.weights[0] = 1;
        p.arrivals = SS_ARR_CONSTANT;
        p.pattern = ws->pattern;
        p.hot_fraction = 0.1;
        p.hot_share = 0.9;
        p.zipf_s = 1;
        if (!(wl = ss_workload_new(&p, d->capacity, why, n))) return -1;
        char sname[300];
        snprintf(sname, sizeof sname, "vm:%s:write", vm->name);
        rng = ss_engine_stream(w->eng, sname);
    }
    if (ws->rate > 0) {
        ss_wjob *j = calloc(1, sizeof *j);
        if (!j) abort();
        *j = (ss_wjob){ .w = w, .vm = vm, .ws = *ws, .wl = wl, .rng = rng, .next = vm->wjobs };
        vm->wjobs = j;
        ss_engine *eng = w->eng;
        ss_engine_at(eng, ss_time_add(ss_engine_now(eng), SS_NS_PER_S), wjob_tick, j, 0);
        return 0;
    }
    ss_write_spec cur = *ws;
    uint64_t done = apply_writes(w, vm, &cur, wl, rng, ws->bytes);
    ss_workload_free(wl);
    ss_changed(w);
    if (done + (ws->ranged ? 0 : ws->io_size) <= ws->bytes && done < ws->bytes) {
        snprintf(why, n, "datastore %s is full: wrote %llu of %llu bytes", vm->ds->name, (unsigned long long)done,
                 (unsigned long long)ws->bytes);
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
