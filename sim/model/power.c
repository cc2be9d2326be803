/*
 * power.c -- a VM's power states (on, off, suspended, and the state a
 * revert leaves), stuns, and its start when the run begins (power.h).  The
 * guest's writes are guest_io.c's, its clock's resyncs timesync.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/guest_io.h"
#include "model/power.h"
#include "model/timesync.h"
#include "model/tools.h"
#include "model/write.h"

/* ---- periodic events of a running world ---- */

static void tools_tick(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)arg;
    ss_vm *vm = ctx;
    ss_vm_tools_tick(vm->w, vm);
    ss_time next = ss_time_add(ss_engine_now(eng), vm->ccl.sync_interval);
    if (next < vm->w->duration) ss_engine_at(eng, next, tools_tick, vm, 0);
}

/* The daily profile's multiplier changes on the hour. */
static void profile_tick(ss_engine *eng, void *ctx, uint64_t arg)
{
    (void)arg;
    ss_vm *vm = ctx;
    ss_vm_start_io(vm->w, vm);
    ss_time next = ss_time_add(ss_engine_now(eng), 3600 * SS_NS_PER_S);
    if (next < vm->w->duration) ss_engine_at(eng, next, profile_tick, vm, 0);
}

void ss_vm_start(ss_world *w, ss_vm *vm)
{
    ss_vm_clock_start(w, vm);
    ss_vm_start_io(w, vm);
    if (vm->ccl.tools_sync) ss_engine_at(w->eng, vm->ccl.sync_interval, tools_tick, vm, 0);
    if (vm->wl && ss_workload_params_of(vm->wl)->has_profile)
        ss_engine_at(w->eng, 3600 * SS_NS_PER_S, profile_tick, vm, 0);
}

/* ---- power ---- */

/* The suspended state's file goes on resume, power-off and revert. */
static void release_vmss(ss_world *w, ss_vm *vm)
{
    for (ss_file *f = vm->dir.files; f; f = f->next)
        if (f->kind == SS_FILE_VMSS) {
            ss_file_release(w, f);
            return;
        }
}

/* A stalled VM that stops running gives up its pending write (the guest
 * is gone or frozen) and leaves the datastore's wait queue; a write()
 * job's second is kept for when the guest runs again (write.c). */
static void drop_stall(ss_world *w, ss_vm *vm, ss_time t)
{
    if (!vm->stalled) return;
    int workload = vm->stall_wt == &vm->space;
    ss_waiter *wt = vm->stall_wt;
    ss_vm_stall_close(vm, t);
    if (!workload) ss_vm_write_unstalled(w, vm, wt);
    else if (vm->qlen > 0) {   /* the write that stalled is lost with the guest's state */
        vm->qhead++;
        vm->qlen--;
    }
}

static void emit_simple(ss_world *w, ss_vm *vm, const char *kind)
{
    ss_event ev = { .t = ss_time_to_s(ss_now(w)), .kind = kind, .vm = vm->name, .host = vm->host->name,
                    .datastore = vm->ds->name };
    ss_emit(w, &ev);
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
static void stop_running(ss_world *w, ss_vm *vm, ss_power to, const char *kind)
{
    ss_time t = ss_now(w);
    ss_vm_sync(w, vm, t);
    drop_stall(w, vm, t);
    vm->power = to;
    ss_gclock_freeze(&vm->clock, t);
    emit_simple(w, vm, kind);
    ss_vm_start_io(w, vm);
    ss_changed(w);
}

/* The guest runs again (power on, resume): its clock runs on from where it
 * stood, then steps to the host's if that resync is on. */
static void start_running(ss_world *w, ss_vm *vm, const char *kind, int resync, ss_clk_cause cause)
{
    vm->power = SS_POWER_ON;
    ss_gclock_thaw(&vm->clock, ss_now(w));
    emit_simple(w, vm, kind);
    if (resync) ss_vm_resync(w, vm, cause);
    ss_vm_start_io(w, vm);
    ss_changed(w);
}

int ss_vm_power_on(ss_world *w, ss_vm *vm, char *why, size_t n)
{
    if (vm->power == SS_POWER_ON) { snprintf(why, n, "vm %s is already on", vm->name); return -1; }
    if (vm->power == SS_POWER_SUSPENDED) {
        snprintf(why, n, "vm %s is suspended: use resume()", vm->name);
        return -1;
    }
    if (busy(vm, why, n)) return -1;
    ss_tools_boot(vm);     /* a boot clears ESX 3.5 U3's wrong Tools status */
    start_running(w, vm, "power_on", vm->ccl.resync_boot, SS_CLK_BOOT);
    return 0;
}

int ss_vm_power_off(ss_world *w, ss_vm *vm, char *why, size_t n)
{
    if (vm->power == SS_POWER_OFF) { snprintf(why, n, "vm %s is already off", vm->name); return -1; }
    if (busy(vm, why, n)) return -1;
    /* Powering off a suspended VM discards its suspended state. */
    if (vm->power == SS_POWER_SUSPENDED) release_vmss(w, vm);
    stop_running(w, vm, SS_POWER_OFF, "power_off");
    return 0;
}

int ss_vm_suspend(ss_world *w, ss_vm *vm, char *why, size_t n)
{
    if (vm->power != SS_POWER_ON) { snprintf(why, n, "vm %s is not on (it is %s)", vm->name, ss_power_name(vm->power)); return -1; }
    if (busy(vm, why, n)) return -1;
    ss_vm_sync(w, vm, ss_now(w));     /* the guest's writes come first */
    if (!ss_ds_fits(vm->ds, vm->memory)) {
        snprintf(why, n, "not enough space on datastore %s for the .vmss (%llu bytes)", vm->ds->name,
                 (unsigned long long)vm->memory);
        return -1;
    }
    char name[300];
    snprintf(name, sizeof name, "%s.vmss", vm->name);
    ss_file_new(w, &vm->dir, NULL, SS_FILE_VMSS, name, NULL, vm->memory);
    stop_running(w, vm, SS_POWER_SUSPENDED, "suspend");
    return 0;
}

int ss_vm_resume(ss_world *w, ss_vm *vm, char *why, size_t n)
{
    if (vm->power != SS_POWER_SUSPENDED) {
        snprintf(why, n, "vm %s is not suspended (it is %s)", vm->name, ss_power_name(vm->power));
        return -1;
    }
    release_vmss(w, vm);
    start_running(w, vm, "resume", vm->ccl.resync_resume, SS_CLK_RESUME);
    return 0;
}

void ss_vm_after_revert(ss_world *w, ss_vm *vm, int memory, ss_time t_snap, double guest_offset)
{
    ss_time t = ss_now(w);
    ss_vm_sync(w, vm, t);
    drop_stall(w, vm, t);
    if (vm->power == SS_POWER_SUSPENDED)
        release_vmss(w, vm);
    if (memory) {
        /* The memory image brings back the guest clock of the snapshot
         * moment: guest time = its guest time then (docs/model.md). */
        vm->power = SS_POWER_ON;
        ss_gclock_restore(&vm->clock, t, t_snap, guest_offset);
        if (vm->ccl.resync_revert) ss_vm_resync(w, vm, SS_CLK_REVERT);
    } else {
        /* A disk-only snapshot holds no running state: the VM is off; the
         * next power-on boots and syncs. */
        vm->power = SS_POWER_OFF;
        ss_gclock_freeze(&vm->clock, t);
    }
    ss_vm_start_io(w, vm);
}

void ss_vm_stun(ss_world *w, ss_vm *vm, int on)
{
    ss_time t = ss_now(w);
    if (on && !vm->stunned) {
        ss_vm_sync(w, vm, t);
        vm->stunned = 1;
        ss_gclock_stun_begin(&vm->clock, t);
        ss_vm_start_io(w, vm);
    } else if (!on && vm->stunned) {
        vm->stunned = 0;
        ss_gclock_stun_end(&vm->clock, t, vm->ccl.catch_up);
        ss_vm_start_io(w, vm);
    }
}
