/*
 * snapshot.h -- a VM's snapshot tree (snapshot.c): taking a snapshot,
 * reverting to one, and the records deletions remove.
 *
 * A snapshot records, per disk, the file that was the top when it was
 * taken; that file is frozen from then on (a new delta above it takes the
 * writes).  Reverting discards the current top and starts a new delta
 * above the snapshot's file, so writing after a revert makes a branch.
 * `vm->cur` is the snapshot "you are here" hangs from; the current branch
 * is cur and its ancestors.
 */
#ifndef SNAPSIM_MODEL_SNAPSHOT_H
#define SNAPSIM_MODEL_SNAPSHOT_H

#include <stddef.h>

#include "model/vm.h"

typedef struct ss_snapshot {
    char *name;
    struct ss_snapshot *parent;
    ss_file **files;          /* per disk: the frozen file holding the disk as it was */
    ss_file *vmsn;
    int memory;               /* memory snapshot: revert resumes the VM */
    int held;                 /* a backup reads its files now: it cannot be deleted */
    int deleting;             /* a running Delete All takes it: it leaves the tree when a merge
                               * loses its state (merge.c) or when the job succeeds; a job that
                               * fails gives the rest back (job.c).  Hidden from find, snapshots() */
    double guest_offset;      /* guest clock offset at the snapshot moment */
    ss_time t;
    struct ss_snapshot *next; /* the VM's snapshots, in creation order */
} ss_snapshot;

/* snapshot(vm, name, {memory=, quiesce=}): 0 taken (snapshot_created), 1
 * failed for want of space, because the chain already holds the host
 * version's most snapshots, or because the guest could not be quiesced
 * (snapshot_failed, why says so; counted in snaps_failed), -1 impossible
 * now (why says why: a suspended VM, a name taken, a deletion running,
 * ...).  quiesce: one attempt first (quiesce.h); a guest with no
 * quiescing gets a crash-consistent snapshot and the event says so. */
int ss_vm_snapshot(ss_world *w, ss_vm *vm, const char *name, int memory, int quiesce, char *why, size_t n);
/* The same without quiescing, `note` added to snapshot_created's detail
 * (a backup's snapshot says how its own quiesce phase went). */
int ss_vm_snapshot_note(ss_world *w, ss_vm *vm, const char *name, int memory, const char *note, char *why,
                        size_t n);
/* revert(vm, name): 0 done (a revert event), -1 impossible (why). */
int ss_vm_revert(ss_world *w, ss_vm *vm, const char *name, char *why, size_t n);

ss_snapshot *ss_snapshot_find(ss_vm *vm, const char *name);
/* Forget a snapshot record (its files are the caller's business). */
void ss_snapshot_unlink(ss_vm *vm, ss_snapshot *s);

#endif
