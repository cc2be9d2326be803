/*
 * guestos.h -- VMware's guest OS identifiers, as data (guestos.c): the
 * `guestOS` value of a .vmx ("win2000serv", "winnetstandard", "rhel5", ...),
 * its display name, and what quiescing a VCB backup can use in it.
 */
#ifndef SNAPSIM_MODEL_GUESTOS_H
#define SNAPSIM_MODEL_GUESTOS_H

#include <stddef.h>

/* How a backup's quiesce step can freeze the guest's file systems. */
typedef enum {
    SS_QUIESCE_NONE,          /* no quiescing: the snapshot is crash-consistent */
    SS_QUIESCE_SYNC,          /* VMware Tools' SYNC driver (32-bit Windows 2000/XP/2003) */
    SS_QUIESCE_VSS,           /* Microsoft VSS only (from ESX 3.5 U2: 64-bit 2003, Vista, 2008, 7) */
} ss_quiesce_kind;

typedef struct ss_guest_os {
    const char *id;           /* the .vmx guestOS value, lowercase */
    const char *name;         /* as VirtualCenter shows it */
    int windows;
    ss_quiesce_kind quiesce;  /* what the guest offers */
    int vss;                  /* VSS is used for it from ESX 3.5 U2 (Windows XP/2003 and later) */
    int win2003;              /* a Windows Server 2003 edition (ESX 3.5 U3's Tools status bug) */
} ss_guest_os;

const ss_guest_os *ss_guest_os_find(const char *id);   /* NULL if unknown */
/* The identifiers, ", "-separated, for error messages (truncated to n). */
void ss_guest_os_names(char *buf, size_t n);

#endif
