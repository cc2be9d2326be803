/*
 * tools.h -- VMware Tools in a guest (tools.c): its true state and the
 * status VirtualCenter shows, and the `tools_status` events when either
 * changes while the VM runs.
 *
 * vm->tools is what Tools does while the guest runs (running, installed
 * but not running, not installed); a VM that is off or suspended runs no
 * Tools.  VirtualCenter shows the true state, except on a host version
 * with ESX 3.5 U3's display bug: after a VCB command on a Windows Server
 * 2003 guest it shows "not running" although Tools runs, until the guest
 * boots again (vm->tools_shown_stopped).  Quiescing uses the true state.
 */
#ifndef SNAPSIM_MODEL_TOOLS_H
#define SNAPSIM_MODEL_TOOLS_H

#include "model/vm.h"

ss_tools ss_tools_now(const ss_vm *vm);        /* the true state now */
ss_tools ss_tools_shown(const ss_vm *vm);      /* what VirtualCenter shows */
/* Tools starts, stops or is removed in the guest (set_guest{tools=}). */
void ss_tools_set(ss_world *w, ss_vm *vm, ss_tools t);
/* A VCB command ran against the VM on a host with the display bug. */
void ss_tools_vcb_command(ss_world *w, ss_vm *vm, int display_bug);
/* The guest boots: Tools starts afresh, VirtualCenter sees it again. */
void ss_tools_boot(ss_vm *vm);

#endif
