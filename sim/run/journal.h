/*
 * journal.h -- an experiment's journal, DIR/journal (journal.c): every run
 * outcome, appended and flushed to disk as each run ends, so that
 * `--resume` after Ctrl-C, a crash or a power cut knows what is done.
 *
 * The file: a header line "snapsim-journal 1 <fingerprint>" (a hash of the
 * scenario text and the experiment's options: a resume with other options
 * is refused), then one block per outcome: "run N\n", the outcome's text
 * (replicate.h), "end N\n".  A block without its "end" (the process died
 * while writing it) is ignored, so that run is done again; a later block
 * for the same run replaces an earlier one.
 */
#ifndef SNAPSIM_RUN_JOURNAL_H
#define SNAPSIM_RUN_JOURNAL_H

#include <stdint.h>

#include "snapsim/error.h"
#include "snapsim/replicate.h"

typedef struct ss_journal ss_journal;

/* Open `path` for the experiment with this fingerprint.  Without resume
 * the file must not exist yet; with resume an existing one must have the
 * same fingerprint, and its outcomes are read into results[0..nruns). */
int ss_journal_open(ss_journal **out, const char *path, uint64_t fingerprint, int resume, ss_result *results,
                    int nruns, ss_error *err);
int ss_journal_append(ss_journal *j, int run, const ss_result *r, ss_error *err);
void ss_journal_close(ss_journal *j);

#endif
