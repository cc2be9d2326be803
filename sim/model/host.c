/*
 * host.c -- an ESX host: its version and its clock (host.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/host.h"

ss_host *ss_host_new(const char *name, double offset0_s, double drift_ppm, int ntp)
{
    ss_host *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    size_t n = strlen(name) + 1;
    h->name = malloc(n);
    if (!h->name) {
        free(h);
        return NULL;
    }
    memcpy(h->name, name, n);
    h->version = ss_version_default();
    ss_hclock_init(&h->clock, offset0_s, drift_ppm, ntp);
    h->nbd.bandwidth = INFINITY;
    return h;
}

void ss_host_free(ss_host *h)
{
    if (!h) return;
    free(h->name);
    free(h);
}
