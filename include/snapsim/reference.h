/*
 * reference.h -- the scenario language's reference, printed from the very
 * tables the validator uses (sim/lua/reference.c): `snapsim help fields`,
 * `snapsim help vm`, the field reference of docs/language.md, and the list
 * of names tests/check_language.py compares docs/language.md with.
 */
#ifndef SNAPSIM_REFERENCE_H
#define SNAPSIM_REFERENCE_H

#include <stdio.h>

#include "snapsim/error.h"

/* Print the help on one topic to f:
 *   NULL or "fields"    every table's fields, with types, defaults, meaning
 *   "functions"         every function of the language, with its signature
 *   "events"            every event kind on() takes
 *   "vmx"               the .vmx option names vm{vmx=} accepts
 *   a table's name      "vm", "vm.clock", "workload", "backup", "every", ...
 *   a function's name   its signature, then the fields of its options if any
 *   a field's name      "drift_ppm" (every table that has it) or a path
 *                       "vm.clock.drift_ppm"
 * SS_OK, or SS_ERR_USAGE (nothing printed) with a message that suggests
 * the closest topic. */
int ss_reference_print(FILE *f, const char *topic, ss_error *err);

/* The field reference of docs/language.md, as Markdown: one section per
 * table, one row per field. */
void ss_reference_markdown(FILE *f);

/* One name a line: "table vm", "field vm.clock.drift_ppm", "function
 * snapshot", "event power_on", "vmx tools.syncTime". */
void ss_reference_names(FILE *f);

#endif
