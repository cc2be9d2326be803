/*
 * export.h -- a table of a run file (or of an experiment's index.h5) as
 * CSV or JSON, like scavetool's export: `snapsim export RUN.h5 --table
 * consolidations --format csv` (sim/output/export.c; docs/output.md).
 *
 * A table is any compound dataset of the file: "consolidations",
 * "/events", "summary/datastores", "series/files" ...  Columns come in the
 * file's order.  Integers are written in full; floats in the shortest form
 * that reads back to the same double (so a round trip is exact); NaN (the
 * file's "never") is `nan` in CSV and null in JSON, infinities `inf` /
 * `-inf` and null; strings as stored, without their NUL padding.
 *   CSV: RFC 4180 -- a header row of the column names, a field quoted when
 *        it holds a comma, a quote, a line break or leading/trailing blanks
 *        (quotes doubled); lines end with "\n".
 *   JSON: an array with one object per row, keys the column names
 *        (UTF-8, control characters escaped as \u00XX).
 * Rows are read a block at a time, so a table of any length exports in a
 * bounded amount of memory.
 */
#ifndef SNAPSIM_EXPORT_H
#define SNAPSIM_EXPORT_H

#include <stdio.h>

#include "snapsim/error.h"

typedef enum { SS_EXPORT_CSV, SS_EXPORT_JSON } ss_export_format;

/* Write the table of the HDF5 file at path to out.  SS_OK; SS_ERR_IO if
 * the file cannot be read; SS_ERR_INPUT if it has no such table (the
 * message lists the tables it has). */
int ss_export_table(const char *path, const char *table, ss_export_format fmt, FILE *out, ss_error *err);

/* One line per table of the file: its path, rows and columns. */
int ss_export_list(const char *path, FILE *out, ss_error *err);

#endif
