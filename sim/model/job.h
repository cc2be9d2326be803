/*
 * job.h -- a deletion's job, and the files that run it, bottom to top:
 *
 *   job.c      the job record: the files released at its end, its end
 *   merge.c    one merge: the copy through the datastore's bandwidth, the
 *              live handling of the delta a running guest writes to (stun,
 *              mirror), and the file tree after it
 *   helper.c   what comes after each merge: the plan's next one, then the
 *              iterative Consolidate Helper loop of ESX 3.x-5.x
 *   delete.c   the plan of merges for delete_snapshot / delete_all, the
 *              precheck and the seed's worst case, the start
 *
 * A job is a plan of merges run one after the other (j->plan[j->next ..]),
 * then the helper loop, then ss_job_finish.  A merge that finishes calls
 * j->after_merge (helper.c's next step), so merge.c needs nothing above it.  Invariants: while a merge
 * runs, j->running and its copy activity is attached to the datastore;
 * j->helper[d] is the helper taking disk d's writes (its top) or NULL.
 */
#ifndef SNAPSIM_MODEL_JOB_H
#define SNAPSIM_MODEL_JOB_H

#include "model/snapshot.h"
#include "model/strategy.h"

typedef struct ss_job ss_job;

typedef enum { SS_M_MERGE, SS_M_STREAM, SS_M_COMMIT } ss_mkind;

typedef struct ss_merge {
    ss_mkind kind;
    ss_disk *disk;
    ss_file *child, *parent;  /* data flows child -> parent (stream: parent -> child) */
    int final_helper;         /* the stunned merge that ends the helper loop */
} ss_merge;

struct ss_job {
    ss_world *w;
    ss_vm *vm;
    const ss_strategy *st;    /* == &stv */
    ss_strategy stv;          /* the strategy as this deletion's options set it */
    char *label;              /* snapshot name or "(all)" */
    const char *note;         /* said in consolidation_done's detail (static text) */
    ss_time t_start;
    uint64_t used_before;
    ss_watch watch;
    uint64_t bytes_copied, worst_case;
    int iterations, merges;
    double stun_s;
    ss_merge *plan;
    int nplan, next;
    ss_file **release;        /* released when the job ends */
    int nrelease;
    ss_file **kept;           /* merged files left on the datastore (st->keep_files) */
    int nkept;
    ss_file **helper;         /* per disk: the helper taking the writes, or NULL */
    int *iter;                /* per disk: helpers created */
    /* The merge running now. */
    ss_merge cur;
    int running;
    uint64_t copy_bytes;
    uint64_t growth;
    ss_activity copy;
    double remaining;         /* bytes of I/O left, as of t_last */
    double rate;              /* bytes/s of I/O in force since t_last */
    ss_time t_last, t_merge0;
    ss_event_id done_ev;
    int stunned;              /* we stunned the VM for this merge */
    int mirrored;
    void (*after_merge)(ss_job *j);   /* what a finished merge goes on with (helper.c) */
    /* Who started it, told when it ends (result "done" or "failed"; reason
     * NULL when done), after vm->job is cleared: a backup's deletion. */
    void (*on_end)(void *ctx, const char *result, const char *reason);
    void *end_ctx;
};

/* job.c */
void ss_job_free(ss_job *j);
/* The run ended during the job: a /consolidations row that says so. */
void ss_job_report_unfinished(ss_world *w, ss_vm *vm);
void ss_job_release_later(ss_job *j, ss_file *f);       /* released when the job ends */
/* A merged file the job leaves on the datastore: out of the tree now
 * (no parent, no snapshot's), marked kept, named at the job's end. */
void ss_job_keep(ss_job *j, ss_file *f);
void ss_job_finish(ss_job *j, const char *result, const char *reason);
void ss_job_fail(ss_job *j, const char *reason);        /* unstun, then finish "failed" */
/* Is f the delta the running guest writes to? */
int ss_job_is_active(const ss_job *j, const ss_file *f);
/* Wait for the VM's running deletion to end (wt->on_idle is called once,
 * after vm->job is cleared); unwait takes a waiter out. */
void ss_vm_wait_idle(ss_vm *vm, ss_vm_waiter *wt);
void ss_vm_unwait_idle(ss_vm *vm, ss_vm_waiter *wt);

#endif
