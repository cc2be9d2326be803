/*
 * version.h -- host product versions as data (version.c): the defaults that
 * changed across ESX/ESXi releases, one row per version.  A host declares
 * its version (`host "h" { version = "4.1" }`, default "3.5", the seed's
 * era); a VM takes each of these defaults from its host's version unless it
 * gives the field itself.  docs/model.md has the table with its sources.
 *
 * Adding a version is adding a row.  Adding a default that changed across
 * releases is adding a member here (with its meaning and its source in the
 * comment) and its value in each row: rows are written with designated
 * initializers, so a member a row leaves out is 0 there.
 */
#ifndef SNAPSIM_MODEL_VERSION_H
#define SNAPSIM_MODEL_VERSION_H

#include <stdint.h>

typedef struct ss_version {
    const char *name;           /* "3.5", "4.1", ... as users write it */
    const char *strategy;       /* the VM's default deletion strategy (a strategy.c name) */
    const char *format;         /* the default delta format (a format.c name) ... */
    const char *large_format;   /* ... and the one for disks of large_disk bytes or more */
    uint64_t large_disk;        /* 0: no such threshold */
    unsigned vmfs_new_steps;    /* 16 MiB growth steps a new vmfsSparse delta starts with */
    int force_sync;             /* snapshot.asyncConsolidate.forceSync: stun after the last helper */
    int boot_backward;          /* time.synchronize.tools.startup.backward: the boot sync may step back */
    int tools_backward;         /* Tools' periodic sync slews a guest that is ahead back */
    int max_chain;              /* snapshots in one chain; a deeper one is refused */
    /* Operations (backup.c, quiesce.c, tools.c, hostd.c): */
    int vss;                    /* quiesces Windows XP/2003 and later with VSS (from ESX 3.5 U2) */
    int tools_display_bug;      /* 3.5 U3: a Windows 2003 guest's Tools shown "not running" after VCB */
    uint64_t hostd_leak_op;     /* 3.5 U3: hostd leaks this much per management operation (bytes) */
    uint64_t hostd_leak_hour;   /* ... and this much per hour */
} ss_version;

/* NULL if unknown. */
const ss_version *ss_version_find(const char *name);
/* The version of a host that does not say ("3.5"). */
const ss_version *ss_version_default(void);
/* "3.5, 4.0, 4.1, ..." for messages. */
const char *ss_version_names(void);
/* Row i of the table, NULL past the end (tests and documentation). */
const ss_version *ss_version_at(int i);
/* The default delta format's name for a disk of `capacity` bytes. */
const char *ss_version_format(const ss_version *v, uint64_t capacity);

#endif
