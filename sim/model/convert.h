/*
 * convert.h -- VMware Converter (convert.c): convert(source, {...}) makes a
 * new VM from a VM of the scenario (V2V) or from a physical machine's
 * description (P2V).  The used data is copied at the conversion's bandwidth
 * as a write flow on the target datastore (X bytes copied cost X of its
 * I/O, shared with everything there); then the new VM exists, powered off,
 * on the target host and datastore (convert_started, convert_done or
 * convert_failed).  Its guest OS is the source's, unless the Converter
 * preset has a guest-OS bug (PR#142831 in 3.0: win2000serv arrives as
 * win2000advserv, a guest_os_changed event).  The presets are data.
 */
#ifndef SNAPSIM_MODEL_CONVERT_H
#define SNAPSIM_MODEL_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#include "model/vm.h"

/* A Converter release: what it changes on the way. */
typedef struct ss_converter {
    const char *name;         /* "3.0", "4.0" as users write it */
    const char *bug_from;     /* a source guest OS it gets wrong (NULL: none) ... */
    const char *bug_to;       /* ... and what the new VM says instead */
    const char *bug;          /* the bug's name, for the event */
} ss_converter;

const ss_converter *ss_converter_find(const char *name);   /* NULL if unknown */
const char *ss_converter_names(void);                       /* "3.0, 4.0" */

#define SS_CONVERT_MAX_DISKS 64

/* What to convert, filled in (and validated) by the caller.  Strings are
 * copied. */
typedef struct ss_convert_spec {
    const char *name;         /* the new VM's */
    const char *source;       /* a VM's name, or "physical" */
    int p2v;
    ss_host *host;
    ss_datastore *ds;
    int ndisks;
    uint64_t capacity[SS_CONVERT_MAX_DISKS], used[SS_CONVERT_MAX_DISKS];  /* per target disk */
    int thin;
    const ss_format *fmt;     /* NULL: the host version's for each disk's size */
    double bandwidth;         /* bytes/s the copy asks for */
    const ss_converter *conv;
    const ss_guest_os *os;    /* the source's */
    uint64_t memory;
    ss_tools tools;
} ss_convert_spec;

/* Start a conversion; returns its number (1, 2, ...), or -1 (why) when the
 * name is taken.  The caller checked everything else. */
int ss_convert_start(ss_world *w, const ss_convert_spec *spec, char *why, size_t n);
/* Is a VM of that name being made by a running conversion? */
int ss_convert_pending(const ss_world *w, const char *name);
void ss_convert_free_all(ss_world *w);

/* set_guest_os(vm, os): the .vmx guestOS, which the next boot uses; 0 done,
 * -1 the VM is not powered off (why says to shut it down first). */
int ss_vm_set_guest_os(ss_world *w, ss_vm *vm, const ss_guest_os *os, char *why, size_t n);

#endif
