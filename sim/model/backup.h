/*
 * backup.h -- VMware Consolidated Backup jobs (backup.c): backup(vm, {...}).
 *
 * One job runs the VCB sequence as timed phases (facts §5, the VCB guide's
 * flow): it waits in its proxy's queue (proxy.h) for a slot inside its
 * window, then
 *
 *   start       vcbMounter logs in (a hostd operation: a host not responding
 *               fails the job or makes it wait, host.h); a leftover
 *               _VCB-BACKUP_ fails the job
 *   pre_script  the backup software's pre-backup script
 *   quiesce     VMware Tools quiesces the guest (quiesce.h), one attempt of
 *               vm.quiesce.time each, up to 1 + vm.quiesce.retries attempts
 *   snapshot    _VCB-BACKUP_ is taken (disk-only)
 *   export      the disks as of that snapshot are read to the proxy: fullvm
 *               the allocated data, file mode a fraction of it; X bytes read
 *               cost X of the datastore's bandwidth, capped by the proxy's
 *               share (and the host's NBD network for nbd)
 *   unmount     the post-backup script unmounts the export
 *   delete      _VCB-BACKUP_ is deleted with the VM's strategy: a real
 *               consolidation of what the guest wrote meanwhile
 *
 * The job holds its proxy slot until it ends (vcbMounter's unmount waits
 * for the snapshot's removal).  A job that fails once its snapshot exists
 * leaves _VCB-BACKUP_ behind when the snapshot cannot be deleted, and the
 * next backup of the VM fails at its start until it is deleted.
 * Events: backup_started, backup_done, backup_failed (phase and reason),
 * backup_missed; one /backups row per job, one /backup_phases row per phase.
 */
#ifndef SNAPSIM_MODEL_BACKUP_H
#define SNAPSIM_MODEL_BACKUP_H

#include <stddef.h>

#include "model/proxy.h"
#include "model/vm.h"

#define SS_VCB_SNAPSHOT "_VCB-BACKUP_"

typedef enum { SS_BACKUP_FULLVM, SS_BACKUP_FILE } ss_backup_mode;
typedef enum { SS_TRANSPORT_SAN, SS_TRANSPORT_NBD, SS_TRANSPORT_HOTADD } ss_transport;

typedef struct ss_backup_spec {
    ss_backup_mode mode;
    ss_transport transport;
    int quiesce;
    double file_fraction;     /* file mode: the share of the allocated data read */
    ss_time pre_script, unmount;
    int has_window;
    int win_start, win_stop;  /* seconds after midnight; a window past midnight has stop < start */
} ss_backup_spec;

/* Queue a job; returns its number (1, 2, ...), or -1 when it cannot be
 * (why: the proxy does not see the VM's datastore, ...). */
int ss_backup_submit(ss_world *w, ss_vm *vm, ss_proxy *p, const ss_backup_spec *spec, char *why, size_t n);
/* The window occurrence a job submitted at t may start in: [*open, *close). */
void ss_backup_window(const ss_backup_spec *spec, ss_time t, ss_time *open, ss_time *close);
/* The run ended: queued and running jobs get an "unfinished" row. */
void ss_backup_finish_run(ss_world *w);
void ss_backup_free_all(ss_world *w);

const char *ss_backup_mode_name(ss_backup_mode m);
const char *ss_transport_name(ss_transport t);

#endif
