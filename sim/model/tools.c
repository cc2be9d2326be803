/*
 * tools.c -- VMware Tools: its true state and what VirtualCenter shows
 * (tools.h).
 */
#include <stdio.h>

#include "model/tools.h"

ss_tools ss_tools_now(const ss_vm *vm)
{
    if (vm->tools == SS_TOOLS_NOT_INSTALLED) return SS_TOOLS_NOT_INSTALLED;
    return vm->power == SS_POWER_ON ? vm->tools : SS_TOOLS_NOT_RUNNING;
}

ss_tools ss_tools_shown(const ss_vm *vm)
{
    ss_tools t = ss_tools_now(vm);
    return t == SS_TOOLS_RUNNING && vm->tools_shown_stopped ? SS_TOOLS_NOT_RUNNING : t;
}

static void emit_status(ss_world *w, ss_vm *vm, const char *cause)
{
    char detail[160];
    snprintf(detail, sizeof detail, "VMware Tools %s, VirtualCenter shows %s (%s)", ss_tools_name(ss_tools_now(vm)),
             ss_tools_name(ss_tools_shown(vm)), cause);
    ss_event ev = { .t = ss_time_to_s(ss_now(w)), .kind = "tools_status", .vm = vm->name, .host = vm->host->name,
                    .datastore = vm->ds->name, .detail = detail };
    ss_emit(w, &ev);
    ss_changed(w);
}

void ss_tools_set(ss_world *w, ss_vm *vm, ss_tools t)
{
    if (vm->tools == t) return;
    ss_tools before = ss_tools_now(vm), shown = ss_tools_shown(vm);
    vm->tools = t;
    if (ss_tools_now(vm) != before || ss_tools_shown(vm) != shown) emit_status(w, vm, "changed in the guest");
}

void ss_tools_vcb_command(ss_world *w, ss_vm *vm, int display_bug)
{
    if (!display_bug || !vm->guest_os->win2003 || vm->tools_shown_stopped) return;
    vm->tools_shown_stopped = 1;
    if (ss_tools_now(vm) == SS_TOOLS_RUNNING) emit_status(w, vm, "display bug after a VCB command");
}

void ss_tools_boot(ss_vm *vm)
{
    vm->tools_shown_stopped = 0;
}
