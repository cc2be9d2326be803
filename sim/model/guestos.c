/*
 * guestos.c -- VMware's guest OS identifiers (guestos.h).
 *
 * The identifiers are the .vmx `guestOS` values (open-vm-tools
 * lib/include/guest_os.h spells them win2000Serv, win2000AdvServ, ...; the
 * .vmx writes them in lowercase, as here).  Quiescing per the VCB guide:
 * the SYNC driver freezes NTFS/FAT on 32-bit Windows 2000, XP and 2003;
 * from ESX 3.5 U2 VSS is used on Windows XP/2003 and later (KB 5962168 /
 * Broadcom 343375).  Other guests get a crash-consistent snapshot.  The
 * table is a subset; any identifier here may be given to vm{guest_os=}.
 */
#include <stdio.h>
#include <string.h>

#include "model/guestos.h"

#define SYNC SS_QUIESCE_SYNC
#define VSSQ SS_QUIESCE_VSS
#define NONE SS_QUIESCE_NONE

static const ss_guest_os table[] = {
    /* id                  name                                      win quiesce vss 2003 */
    { "win2000pro",        "Microsoft Windows 2000 Professional",      1, SYNC, 0, 0 },
    { "win2000serv",       "Microsoft Windows 2000 Server",            1, SYNC, 0, 0 },
    { "win2000advserv",    "Microsoft Windows 2000 Advanced Server",   1, SYNC, 0, 0 },
    { "winxphome",         "Microsoft Windows XP Home Edition",        1, SYNC, 1, 0 },
    { "winxppro",          "Microsoft Windows XP Professional",        1, SYNC, 1, 0 },
    { "winxppro-64",       "Microsoft Windows XP Professional x64",    1, VSSQ, 1, 0 },
    { "winnetweb",         "Microsoft Windows Server 2003, Web Edition", 1, SYNC, 1, 1 },
    { "winnetstandard",    "Microsoft Windows Server 2003, Standard Edition", 1, SYNC, 1, 1 },
    { "winnetenterprise",  "Microsoft Windows Server 2003, Enterprise Edition", 1, SYNC, 1, 1 },
    { "winnetdatacenter",  "Microsoft Windows Server 2003, Datacenter Edition", 1, SYNC, 1, 1 },
    { "winnetbusiness",    "Microsoft Small Business Server 2003",     1, SYNC, 1, 1 },
    { "winnetstandard-64", "Microsoft Windows Server 2003, Standard Edition (64-bit)", 1, VSSQ, 1, 1 },
    { "winnetenterprise-64", "Microsoft Windows Server 2003, Enterprise Edition (64-bit)", 1, VSSQ, 1, 1 },
    { "winvista",          "Microsoft Windows Vista",                  1, VSSQ, 1, 0 },
    { "winvista-64",       "Microsoft Windows Vista (64-bit)",         1, VSSQ, 1, 0 },
    { "longhorn",          "Microsoft Windows Server 2008",            1, VSSQ, 1, 0 },
    { "longhorn-64",       "Microsoft Windows Server 2008 (64-bit)",   1, VSSQ, 1, 0 },
    { "windows7",          "Microsoft Windows 7",                      1, VSSQ, 1, 0 },
    { "windows7-64",       "Microsoft Windows 7 (64-bit)",             1, VSSQ, 1, 0 },
    { "windows7srv-64",    "Microsoft Windows Server 2008 R2 (64-bit)", 1, VSSQ, 1, 0 },
    { "rhel3",             "Red Hat Enterprise Linux 3",               0, NONE, 0, 0 },
    { "rhel4",             "Red Hat Enterprise Linux 4",               0, NONE, 0, 0 },
    { "rhel4-64",          "Red Hat Enterprise Linux 4 (64-bit)",      0, NONE, 0, 0 },
    { "rhel5",             "Red Hat Enterprise Linux 5",               0, NONE, 0, 0 },
    { "rhel5-64",          "Red Hat Enterprise Linux 5 (64-bit)",      0, NONE, 0, 0 },
    { "sles10",            "SUSE Linux Enterprise Server 10",          0, NONE, 0, 0 },
    { "sles10-64",         "SUSE Linux Enterprise Server 10 (64-bit)", 0, NONE, 0, 0 },
    { "ubuntu",            "Ubuntu Linux",                             0, NONE, 0, 0 },
    { "debian4",           "Debian GNU/Linux 4",                       0, NONE, 0, 0 },
    { "other26xlinux",     "Other 2.6.x Linux",                        0, NONE, 0, 0 },
    { "otherlinux",        "Other Linux",                              0, NONE, 0, 0 },
    { "solaris10",         "Sun Solaris 10",                           0, NONE, 0, 0 },
    { "freebsd",           "FreeBSD",                                  0, NONE, 0, 0 },
    { "netware6",          "Novell NetWare 6.x",                       0, NONE, 0, 0 },
    { "other",             "Other",                                    0, NONE, 0, 0 },
};

const ss_guest_os *ss_guest_os_find(const char *id)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].id, id) == 0) return &table[i];
    return NULL;
}

void ss_guest_os_names(char *buf, size_t n)
{
    size_t k = 0;
    if (n) buf[0] = 0;
    for (size_t i = 0; i < sizeof table / sizeof table[0] && k + 1 < n; i++) {
        int m = snprintf(buf + k, n - k, "%s%s", i ? ", " : "", table[i].id);
        if (m < 0) break;
        k += (size_t)m;
    }
}
