/*
 * output.h -- the HDF5 writer.  It only records: models hand it rows.
 *
 * A run's file is written to "<path>.tmp-<pid>-<n>" and renamed to <path> by
 * ss_out_commit; ss_out_abort (or a failed commit) removes the temporary
 * file, so a failed run leaves nothing half-written.  Tables are HDF5
 * high-level tables (H5TB): named columns, chunked, deflate-compressed, each
 * column's unit in an attribute "unit_<column>" (and all in "units").
 * Object modification times are not tracked, so the same rows give the same
 * bytes.  Rows are buffered and appended in blocks.
 */
#ifndef SNAPSIM_OUTPUT_H
#define SNAPSIM_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "snapsim/error.h"

typedef enum { SS_COL_I64, SS_COL_F64, SS_COL_STR } ss_coltype;

typedef struct ss_column {
    const char *name;
    ss_coltype type;
    size_t strlen;            /* SS_COL_STR: fixed width incl. NUL; longer strings are cut */
    const char *unit;         /* "s", "B", "B/s", "" ... */
} ss_column;

/* One cell of a row, in column order. */
typedef union ss_value {
    int64_t i;
    double f;
    const char *s;            /* NULL is written as "" */
} ss_value;

typedef struct ss_out ss_out;

ss_out *ss_out_open(const char *path, ss_error *err);
/* Create a table at an absolute path ("/events", "/series/files"); parent
 * groups are created.  Returns a table handle >= 0 or a negative error. */
int ss_out_table(ss_out *o, const char *path, const ss_column *cols, int ncols, ss_error *err);
int ss_out_row(ss_out *o, int table, const ss_value *vals);
/* Attributes on a group or table ("/" for the root).  A missing object is
 * created as a group (with its parents); an existing attribute is replaced.
 * Strings are stored fixed-length, strlen(value)+1 bytes, NUL-terminated
 * UTF-8 (any size: the scenario's source text goes here); numbers as
 * little-endian int64 / IEEE double.  Return SS_OK or a negative code; after
 * an I/O failure every call returns it and ss_out_commit reports it. */
int ss_out_attr_str(ss_out *o, const char *obj, const char *name, const char *value);
int ss_out_attr_i64(ss_out *o, const char *obj, const char *name, int64_t value);
int ss_out_attr_f64(ss_out *o, const char *obj, const char *name, double value);
/* An external link at `path` (parent groups are created) to the object
 * `obj` ("/" for the root) of the HDF5 file `file`.  A relative `file` is
 * found, when the link is followed, in the current directory and then in
 * the directory of this file (HDF5's rule), so an index can name its run
 * files by their bare names.  SS_OK or a negative code. */
int ss_out_link_external(ss_out *o, const char *path, const char *file, const char *obj, ss_error *err);
/* Flush, close and rename into place.  Frees o in every case. */
int ss_out_commit(ss_out *o, ss_error *err);
/* Close and delete the temporary file.  Frees o. */
void ss_out_abort(ss_out *o);
/* How many HDF5 objects of this file are open, the file included (so 1
 * between calls); -1 if o is not open.  For tests: every id opened
 * internally must be closed again. */
long ss_out_open_objects(const ss_out *o);

#endif
