/*
 * host.h -- an ESX host (host.c): its product version, whose defaults its
 * VMs take (version.h), and its clock, against which guests resync; the
 * network NBD backup exports read through.
 */
#ifndef SNAPSIM_MODEL_HOST_H
#define SNAPSIM_MODEL_HOST_H

#include "model/share.h"
#include "model/version.h"
#include "model/world.h"
#include "snapsim/clock.h"

typedef struct ss_host {
    char *name;
    const ss_version *version;    /* never NULL */
    ss_hclock clock;
    ss_share nbd;             /* NBD backup exports share this bandwidth */
    struct ss_host *next;
} ss_host;

/* A host called name whose clock is offset0_s off and drifts drift_ppm
 * (exact under NTP); NULL when out of memory. */
ss_host *ss_host_new(const char *name, double offset0_s, double drift_ppm, int ntp);
void ss_host_free(ss_host *h);

#endif
