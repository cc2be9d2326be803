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
 * the plan, unless that delta is merged by a direct stun. */
void ss_helper_begin(ss_job *j);
/* Is `live` (a delta the running guest writes to) merged by a direct
 * stun: helper mode, and 2 * allocated / bandwidth <= max_consolidate_time
 * (KB 337175's first branch; helper.c). */
int ss_helper_direct(const ss_job *j, const ss_file *live);
/* The growth the guest's writes may take while the plan copies (0 when
 * no live delta is in the plan, or it is merged by a direct stun). */
double ss_helper_expected_growth(const ss_job *j);

#endif
