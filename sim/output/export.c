/*
 * export.c -- a compound dataset of an HDF5 file as CSV or JSON
 * (include/snapsim/export.h): the file's columns are read into a native
 * memory type (integers as int64 or uint64, floats as double, fixed-length
 * strings as themselves), a block of rows at a time, and printed.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "snapsim/export.h"

#define BLOCK_ROWS 4096

/* One column: where it is in the memory row and how to print it. */
typedef struct col {
    char *name;
    H5T_class_t cls;          /* H5T_INTEGER, H5T_FLOAT or H5T_STRING */
    int is_unsigned;
    int space_padded;         /* a string padded with blanks rather than NULs */
    size_t off, size;         /* in the memory row; strings: the fixed length */
    hid_t str_type;           /* strings: the file's own type (its character set kept) */
} col;

typedef struct table {
    hid_t ds, mtype;
    col *cols;
    int ncols;
    size_t row_size;
    hsize_t rows;
} table;

/* HDF5 prints its error stack by default; a missing table is ours to report. */
typedef struct quiet { H5E_auto2_t fn; void *data; } quiet;
static void quiet_on(quiet *q)
{
    H5Eget_auto2(H5E_DEFAULT, &q->fn, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}
static void quiet_off(const quiet *q) { H5Eset_auto2(H5E_DEFAULT, q->fn, q->data); }

static void table_close(table *t)
{
    for (int i = 0; i < t->ncols; i++) {
        H5free_memory(t->cols[i].name);
        if (t->cols[i].str_type > 0) H5Tclose(t->cols[i].str_type);
    }
    free(t->cols);
    if (t->mtype >= 0) H5Tclose(t->mtype);
    if (t->ds >= 0) H5Dclose(t->ds);
}

/* Open ds as a table: 0, or -1 if it is not a one-dimensional compound
 * dataset of integers, floats and fixed-length strings. */
static int table_open(hid_t ds, table *t, char *why, size_t n)
{
    memset(t, 0, sizeof *t);
    t->ds = ds;
    t->mtype = -1;
    hid_t ft = H5Dget_type(ds), sp = H5Dget_space(ds);
    int rc = -1;
    if (ft < 0 || sp < 0 || H5Tget_class(ft) != H5T_COMPOUND || H5Sget_simple_extent_ndims(sp) != 1) {
        snprintf(why, n, "not a table (a one-dimensional compound dataset)");
        goto out;
    }
    H5Sget_simple_extent_dims(sp, &t->rows, NULL);
    int nm = H5Tget_nmembers(ft);
    t->cols = calloc(nm > 0 ? (size_t)nm : 1, sizeof *t->cols);
    if (!t->cols) { snprintf(why, n, "out of memory"); goto out; }
    /* The memory row: each member at an 8-byte aligned offset. */
    size_t off = 0;
    for (int i = 0; i < nm; i++, t->ncols++) {
        col *c = &t->cols[i];
        c->name = H5Tget_member_name(ft, (unsigned)i);
        hid_t mt = H5Tget_member_type(ft, (unsigned)i);
        c->cls = H5Tget_class(mt);
        if (c->cls == H5T_INTEGER) {
            c->is_unsigned = H5Tget_sign(mt) == H5T_SGN_NONE;
            c->size = 8;
        } else if (c->cls == H5T_FLOAT) {
            c->size = 8;
        } else if (c->cls == H5T_STRING && !H5Tis_variable_str(mt)) {
            c->size = H5Tget_size(mt);
            c->space_padded = H5Tget_strpad(mt) == H5T_STR_SPACEPAD;
            c->str_type = H5Tcopy(mt);
        } else {
            snprintf(why, n, "column %s: only integer, float and fixed-length string columns can be exported",
                     c->name ? c->name : "?");
            H5Tclose(mt);
            t->ncols++;
            goto out;
        }
        H5Tclose(mt);
        c->off = off;
        off += (c->size + 7) / 8 * 8;
    }
    t->row_size = off ? off : 8;
    t->mtype = H5Tcreate(H5T_COMPOUND, t->row_size);
    for (int i = 0; i < t->ncols; i++) {
        col *c = &t->cols[i];
        hid_t mt;
        if (c->cls == H5T_INTEGER) mt = H5Tcopy(c->is_unsigned ? H5T_NATIVE_UINT64 : H5T_NATIVE_INT64);
        else if (c->cls == H5T_FLOAT) mt = H5Tcopy(H5T_NATIVE_DOUBLE);
        else mt = H5Tcopy(c->str_type);
        H5Tinsert(t->mtype, c->name, c->off, mt);
        H5Tclose(mt);
    }
    rc = 0;
out:
    if (ft >= 0) H5Tclose(ft);
    if (sp >= 0) H5Sclose(sp);
    return rc;
}

/* The shortest %.*g that reads back to the same double. */
static void fmt_double(double v, char *buf, size_t n)
{
    for (int p = 15; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, v);
        if (strtod(buf, NULL) == v) return;
    }
}

static void put_csv_string(FILE *out, const char *s, size_t len)
{
    int quote = len > 0 && (s[0] == ' ' || s[len - 1] == ' ');
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        fwrite(s, 1, len, out);
        return;
    }
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"') fputc('"', out);
        fputc(s[i], out);
    }
    fputc('"', out);
}

static void put_json_string(FILE *out, const char *s, size_t len)
{
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') fprintf(out, "\\%c", ch);
        else if (ch < 0x20) fprintf(out, "\\u%04x", ch);
        else fputc(ch, out);
    }
    fputc('"', out);
}

static void put_value(FILE *out, const col *c, const char *row, ss_export_format fmt)
{
    const char *p = row + c->off;
    char buf[64];
    if (c->cls == H5T_INTEGER) {
        if (c->is_unsigned) {
            uint64_t v;
            memcpy(&v, p, sizeof v);
            fprintf(out, "%" PRIu64, v);
        } else {
            int64_t v;
            memcpy(&v, p, sizeof v);
            fprintf(out, "%" PRId64, v);
        }
    } else if (c->cls == H5T_FLOAT) {
        double v;
        memcpy(&v, p, sizeof v);
        if (isnan(v)) fputs(fmt == SS_EXPORT_JSON ? "null" : "nan", out);
        else if (isinf(v)) fputs(fmt == SS_EXPORT_JSON ? "null" : v > 0 ? "inf" : "-inf", out);
        else {
            fmt_double(v, buf, sizeof buf);
            fputs(buf, out);
        }
    } else {
        size_t len = strnlen(p, c->size);
        while (c->space_padded && len > 0 && p[len - 1] == ' ') len--;
        if (fmt == SS_EXPORT_JSON) put_json_string(out, p, len);
        else put_csv_string(out, p, len);
    }
}

static int write_table(table *t, ss_export_format fmt, FILE *out, ss_error *err)
{
    if (fmt == SS_EXPORT_CSV) {
        for (int i = 0; i < t->ncols; i++) {
            if (i) fputc(',', out);
            put_csv_string(out, t->cols[i].name, strlen(t->cols[i].name));
        }
        fputc('\n', out);
    } else {
        fputs(t->rows ? "[\n" : "[", out);
    }
    char *buf = malloc(t->row_size * BLOCK_ROWS);
    if (!buf) return ss_error_set(err, SS_ERR_NOMEM, "out of memory");
    hid_t fsp = H5Dget_space(t->ds);
    int rc = SS_OK;
    for (hsize_t r0 = 0; r0 < t->rows && rc == SS_OK; r0 += BLOCK_ROWS) {
        hsize_t cnt = t->rows - r0 < BLOCK_ROWS ? t->rows - r0 : BLOCK_ROWS;
        hid_t msp = H5Screate_simple(1, &cnt, NULL);
        memset(buf, 0, t->row_size * cnt);
        if (msp < 0 || H5Sselect_hyperslab(fsp, H5S_SELECT_SET, &r0, NULL, &cnt, NULL) < 0 ||
            H5Dread(t->ds, t->mtype, msp, fsp, H5P_DEFAULT, buf) < 0)
            rc = ss_error_set(err, SS_ERR_IO, "cannot read rows %llu to %llu", (unsigned long long)r0,
                              (unsigned long long)(r0 + cnt));
        if (msp >= 0) H5Sclose(msp);
        for (hsize_t k = 0; k < cnt && rc == SS_OK; k++) {
            const char *row = buf + k * t->row_size;
            if (fmt == SS_EXPORT_JSON) fputs("  {", out);
            for (int i = 0; i < t->ncols; i++) {
                if (fmt == SS_EXPORT_JSON) {
                    fputs(i ? ", " : "", out);
                    put_json_string(out, t->cols[i].name, strlen(t->cols[i].name));
                    fputs(": ", out);
                } else if (i) {
                    fputc(',', out);
                }
                put_value(out, &t->cols[i], row, fmt);
            }
            if (fmt == SS_EXPORT_JSON) fputs(r0 + k + 1 < t->rows ? "},\n" : "}\n", out);
            else fputc('\n', out);
        }
    }
    if (fmt == SS_EXPORT_JSON) fputs("]\n", out);
    H5Sclose(fsp);
    free(buf);
    if (rc == SS_OK && ferror(out)) rc = ss_error_set(err, SS_ERR_IO, "cannot write the export");
    return rc;
}

/* ---- listing the tables ---- */

typedef struct lister {
    FILE *out;                /* NULL: only collect names */
    char names[2048];         /* for messages: "events, consolidations, ..." */
    int n;
} lister;

static herr_t list_one(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    lister *l = data;
    if (info->type != H5L_TYPE_HARD) return 0;     /* an index's links to its run files */
    hid_t ds = H5Dopen2(g, name, H5P_DEFAULT);
    if (ds < 0) return 0;                          /* a group */
    table t;
    char why[200];
    if (table_open(ds, &t, why, sizeof why) == 0) {
        if (l->out) fprintf(l->out, "/%-28s %8llu rows  %d columns\n", name, (unsigned long long)t.rows, t.ncols);
        size_t len = strlen(l->names);
        if (len + strlen(name) + 3 < sizeof l->names)
            snprintf(l->names + len, sizeof l->names - len, "%s%s", l->n ? ", " : "", name);
        l->n++;
    }
    table_close(&t);
    return 0;
}

static hid_t open_file(const char *path, ss_error *err)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) ss_error_set(err, SS_ERR_IO, "%s: cannot open it as an HDF5 file", path);
    return f;
}

int ss_export_list(const char *path, FILE *out, ss_error *err)
{
    quiet q;
    quiet_on(&q);
    hid_t f = open_file(path, err);
    int rc = SS_ERR_IO;
    if (f >= 0) {
        lister l = { out, "", 0 };
        H5Lvisit(f, H5_INDEX_NAME, H5_ITER_INC, list_one, &l);
        H5Fclose(f);
        rc = SS_OK;
    }
    quiet_off(&q);
    return rc;
}

int ss_export_table(const char *path, const char *name, ss_export_format fmt, FILE *out, ss_error *err)
{
    quiet q;
    quiet_on(&q);
    int rc;
    hid_t f = open_file(path, err);
    if (f < 0) {
        quiet_off(&q);
        return SS_ERR_IO;
    }
    char full[512];
    snprintf(full, sizeof full, "%s%s", name[0] == '/' ? "" : "/", name);
    hid_t ds = H5Dopen2(f, full, H5P_DEFAULT);
    table t;
    char why[200];
    if (ds < 0) {
        lister l = { NULL, "", 0 };
        H5Lvisit(f, H5_INDEX_NAME, H5_ITER_INC, list_one, &l);
        rc = ss_error_set(err, SS_ERR_INPUT, "%s: no table %s (it has: %s)", path, full, l.names);
    } else if (table_open(ds, &t, why, sizeof why) != 0) {
        rc = ss_error_set(err, SS_ERR_INPUT, "%s: %s: %s", path, full, why);
        table_close(&t);
    } else {
        rc = write_table(&t, fmt, out, err);
        table_close(&t);
    }
    H5Fclose(f);
    quiet_off(&q);
    return rc;
}
