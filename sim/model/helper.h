/*
 * helper.h -- the steps of a deletion after each merge, and the iterative
 * Consolidate Helper loop (helper.c; job.h).
 */
#ifndef SNAPSIM_MODEL_HELPER_H
#define SNAPSIM_MODEL_HELPER_H

#include "model/job.h"

/* The next step: the plan's next merge, else the helper loop, else done. */
void ss_helper_next(ss_job *j);
/* At the start: a helper takes the guest's writes of each live delta in
 * the plan. */
void ss_helper_begin(ss_job *j);
/* The growth the helpers may take while the plan copies `copy_bytes`. */
double ss_helper_expected_growth(const ss_job *j, double copy_bytes);

#endif
