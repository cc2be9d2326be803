/*
 * fleet.h -- everything a scenario declared, as a whole (fleet.c): finding
 * datastores, hosts and VMs by name, starting the run, the tick that
 * applies every guest's writes, teardown and the model's invariants.  The
 * top of the model: it may use every other part.
 */
#ifndef SNAPSIM_MODEL_FLEET_H
#define SNAPSIM_MODEL_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "model/world.h"

ss_world *ss_fleet_new(uint64_t seed);          /* NULL when out of memory */
void ss_fleet_free(ss_world *w);
struct ss_datastore *ss_fleet_ds(const ss_world *w, const char *name);
struct ss_host *ss_fleet_host(const ss_world *w, const char *name);
struct ss_vm *ss_fleet_vm(const ss_world *w, const char *name);
struct ss_proxy *ss_fleet_proxy(const ss_world *w, const char *name);
/* Start every VM (clocks, workloads, Tools sync) at time 0; then the tick
 * that applies the guests' writes every `tick` (0: none). */
void ss_fleet_start(ss_world *w);
void ss_fleet_start_tick(ss_world *w, ss_time tick);
/* Apply every VM's guest writes up to now. */
void ss_fleet_sync(ss_world *w);
/* The run ended: deletions and backups still running get their
 * "unfinished" rows. */
void ss_fleet_finish(ss_world *w);
/* The model's invariants (datastore use = the sum of its files, sizes =
 * the format's formula, child counts, each disk's top a leaf): 0, or -1
 * with the first violation in why. */
int ss_fleet_check(const ss_world *w, char *why, size_t n);

#endif
