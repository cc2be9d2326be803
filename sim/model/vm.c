/*
 * vm.c -- a VM's creation and teardown (vm.h).
 */
#include <stdlib.h>
#include <string.h>

#include "model/vm.h"

const char *ss_power_name(ss_power p)
{
    static const char *const names[] = { "off", "on", "suspended" };
    return names[p];
}

const char *ss_tools_name(ss_tools t)
{
    static const char *const names[] = { "running", "not_running", "not_installed" };
    return names[t];
}

ss_vm *ss_vm_new(ss_world *w, const char *name, ss_host *h, ss_datastore *ds, int ndisks)
{
    ss_vm *vm = calloc(1, sizeof *vm);
    if (!vm) return NULL;
    size_t n = strlen(name) + 1;
    vm->name = malloc(n);
    vm->disks = calloc((size_t)ndisks, sizeof *vm->disks);
    if (!vm->name || !vm->disks) {
        free(vm->name);
        free(vm->disks);
        free(vm);
        return NULL;
    }
    memcpy(vm->name, name, n);
    vm->w = w;
    vm->host = h;
    vm->ds = ds;
    vm->dir.name = vm->name;
    vm->dir.ds = ds;
    vm->ndisks = ndisks;
    vm->throttle = 1;
    vm->space.owner = vm;
    vm->guest_os = ss_guest_os_find("winnetstandard");
    vm->tools = SS_TOOLS_RUNNING;
    vm->qcfg = (ss_quiesce_cfg){ 0, 20.0 * 1048576, 0, 10 };
    return vm;
}

double ss_vm_stall_seconds(const ss_vm *vm, ss_time now)
{
    return vm->stall_s + (vm->stalled && now > vm->stall_start ? ss_time_to_s(now - vm->stall_start) : 0);
}

void ss_vm_free(ss_vm *vm)
{
    if (!vm) return;
    ss_folder_free(&vm->dir);
    ss_workload_free(vm->wl);
    if (vm->rng) gsl_rng_free(vm->rng);
    free(vm->stream);
    for (int i = 0; i < vm->ndisks; i++) ss_zones_free(vm->disks[i].zm);
    free(vm->disks);
    free(vm->name);
    free(vm);
}

