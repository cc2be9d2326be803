/*
 * output.c -- the HDF5 writer behind include/snapsim/output.h.
 *
 * A run writes one file, "<path>.tmp-<pid>-<n>", and ss_out_commit renames it
 * onto <path>; ss_out_abort and any failed commit unlink it instead, so a
 * reader never sees half a file.
 *
 * Determinism.  The same rows must give the same bytes (docs/output.md).  HDF5
 * stores an object's modification time in its header unless the object was
 * created with H5Pset_obj_track_times(plist, 0).  H5TBmake_table creates its
 * dataset with the default creation list (times tracked), and so does the
 * intermediate-group creation of H5Pset_create_intermediate_group, so this
 * file creates both itself: groups one level at a time with a group creation
 * list that does not track times, and tables as a chunked, deflated, 1-D
 * unlimited compound dataset carrying the attributes that make it an H5TB
 * table (CLASS="TABLE", VERSION="3.0", TITLE, FIELD_<i>_NAME; written with
 * H5LTset_attribute_string exactly as H5TBmake_table does).  Rows are then
 * added with H5TBappend_records, and H5TBget_table_info / H5TBread_table /
 * PyTables / h5py read the result as any other H5TB table.
 *
 * Layout.  A row is packed: columns in order, no padding; SS_COL_I64 is a
 * little-endian int64 (H5T_STD_I64LE), SS_COL_F64 an IEEE little-endian
 * double, SS_COL_STR a fixed-width NUL-terminated UTF-8 string of `strlen`
 * bytes (unused bytes are zero, so padding never leaks memory contents).
 * The in-memory row buffer uses the same packed layout (cells are memcpy'd),
 * which on a little-endian host makes the append a plain copy.
 *
 * Strings attributes are fixed-length, strlen(value)+1 bytes, NUL-terminated
 * (the H5LT convention: h5py reads them as bytes without the NUL).  The file
 * is created with library-version bounds [1.8, 1.10] so that attributes over
 * 64 KiB (the scenario's source text) go to dense attribute storage instead
 * of failing, and unlimited datasets get the 1.10 extensible-array index.
 *
 * Errors.  HDF5 prints its error stack by default; library code must not,
 * so every public entry point runs its HDF5 calls inside
 * H5E_BEGIN_TRY/H5E_END_TRY and turns failures into SS_ERR_IO plus a message
 * that quotes HDF5's innermost error.  The first failure is also kept in the
 * ss_out ("sticky"), so callers that ignore ss_out_row's return still get it
 * from ss_out_commit, which then removes the temporary file.
 */
#define _POSIX_C_SOURCE 200809L   /* getpid, strnlen */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "snapsim/output.h"

/* Rows per chunk (and per append): 4096, fewer for wide rows so that one
 * chunk stays under OUT_CHUNK_BYTES (HDF5's default chunk cache is 1 MiB). */
#define OUT_CHUNK_ROWS 4096
#define OUT_CHUNK_BYTES (256 * 1024)
#define OUT_DEFLATE 4
#define OUT_TMP_TRIES 1000

/* One table.  Invariants: 0 <= nbuf <= cap; buf holds nbuf packed rows of
 * rowsize bytes not yet in the file; nrows counts rows already appended.
 * off[i] / size[i] are column i's offset and width in a packed row. */
typedef struct ss_tab {
    char *path;
    int ncols;
    ss_coltype *type;
    size_t *off, *size;
    size_t rowsize;
    unsigned char *buf;
    size_t nbuf, cap;
    hsize_t nrows;
} ss_tab;

/* An open output file.  Invariants: file, gcpl and dcpl_base are valid
 * HDF5 ids until close; tmp names the file on disk; once `failed` is set,
 * fail holds the first error and every later call returns fail.code. */
struct ss_out {
    hid_t file;
    hid_t gcpl;             /* group creation: no times */
    char *path, *tmp;
    ss_tab *tab;
    int ntab, captab;
    int failed;
    ss_error fail;
};

/* ---- small helpers ---------------------------------------------------- */

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* H5Ewalk2 callback: keep the description of the innermost error (the
 * walk goes upward, from where the error arose to the API call, so the
 * first entry is the real cause: "No such file or directory", ...). */
static herr_t innermost(unsigned n, const H5E_error2_t *e, void *data)
{
    char *buf = data;
    if (n == 0 && e->desc) snprintf(buf, 256, "%s", e->desc);
    return 0;
}

/* Record an error: in err (if given) and, the first time, in o->fail.
 * Appends HDF5's own reason when the default error stack has one. */
static int fail(ss_out *o, ss_error *err, int code, const char *what)
{
    char h5[256] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, h5);
    H5Eclear2(H5E_DEFAULT);
    const char *tmp = o && o->tmp ? o->tmp : "?";
    ss_error local;
    if (!err) err = &local;
    if (h5[0])
        ss_error_set(err, code, "output %s: %s (%s)", tmp, what, h5);
    else
        ss_error_set(err, code, "output %s: %s", tmp, what);
    if (o && !o->failed) {
        o->failed = 1;
        o->fail = *err;
    }
    return code;
}

/* An object path we accept: absolute, no empty component, no trailing '/',
 * and not just "/" (which names the root, never a new object). */
static int valid_path(const char *p)
{
    if (!p || p[0] != '/' || p[1] == '\0') return 0;
    for (const char *c = p; *c; c++)
        if (c[0] == '/' && (c[1] == '/' || c[1] == '\0')) return 0;
    return 1;
}

/* Create the groups on `path` that do not exist yet: every component but
 * the last, and the last too when `all`.  Done by hand rather than with
 * H5Pset_create_intermediate_group so each group gets o->gcpl (no times). */
static int make_groups(ss_out *o, const char *path, int all)
{
    size_t n = strlen(path);
    char *p = dupstr(path);
    if (!p) return SS_ERR_NOMEM;
    int rc = SS_OK;
    for (size_t i = 1; i <= n && rc == SS_OK; i++) {
        if (p[i] != '/' && !(p[i] == '\0' && all)) continue;
        char c = p[i];
        p[i] = '\0';
        htri_t e = H5Lexists(o->file, p, H5P_DEFAULT);
        if (e < 0) {
            rc = SS_ERR_IO;
        } else if (e == 0) {
            hid_t g = H5Gcreate2(o->file, p, H5P_DEFAULT, o->gcpl, H5P_DEFAULT);
            if (g < 0) rc = SS_ERR_IO;
            else H5Gclose(g);
        }
        p[i] = c;
    }
    free(p);
    return rc;
}

/* ---- open ------------------------------------------------------------- */

/* Reserve "<path>.tmp-<pid>-<n>" with O_EXCL: the name is then ours even if
 * other ss_outs in this or another process write next to the same path. */
static char *reserve_tmp(const char *path, int *eno)
{
    size_t cap = strlen(path) + 64;
    char *tmp = malloc(cap);
    if (!tmp) { *eno = ENOMEM; return NULL; }
    for (int n = 0; n < OUT_TMP_TRIES; n++) {
        snprintf(tmp, cap, "%s.tmp-%ld-%d", path, (long)getpid(), n);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd >= 0) { close(fd); return tmp; }
        if (errno != EEXIST) break;
    }
    *eno = errno;
    free(tmp);
    return NULL;
}

static ss_out *out_open(const char *path, ss_error *err)
{
    if (!path || !*path) {
        ss_error_set(err, SS_ERR_USAGE, "output: empty path");
        return NULL;
    }
    ss_out *o = calloc(1, sizeof *o);
    if (!o || !(o->path = dupstr(path))) {
        free(o);
        ss_error_set(err, SS_ERR_NOMEM, "output %s: out of memory", path);
        return NULL;
    }
    o->file = o->gcpl = H5I_INVALID_HID;
    int eno = 0;
    if (!(o->tmp = reserve_tmp(path, &eno))) {
        ss_error_set(err, eno == ENOMEM ? SS_ERR_NOMEM : SS_ERR_IO,
                     "output %s: cannot create temporary file: %s", path, strerror(eno));
        free(o->path);
        free(o);
        return NULL;
    }
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    o->gcpl = H5Pcreate(H5P_GROUP_CREATE);
    int ok = fcpl >= 0 && fapl >= 0 && o->gcpl >= 0
        && H5Pset_obj_track_times(fcpl, 0) >= 0         /* the root group */
        && H5Pset_obj_track_times(o->gcpl, 0) >= 0
        && H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V110) >= 0
        && H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) >= 0;
    if (ok) o->file = H5Fcreate(o->tmp, H5F_ACC_TRUNC, fcpl, fapl);
    if (fcpl >= 0) H5Pclose(fcpl);
    if (fapl >= 0) H5Pclose(fapl);
    if (!ok || o->file < 0) {
        fail(o, err, SS_ERR_IO, "cannot create HDF5 file");
        ss_out_abort(o);
        return NULL;
    }
    return o;
}

ss_out *ss_out_open(const char *path, ss_error *err)
{
    ss_out *o = NULL;
    H5E_BEGIN_TRY {
        o = out_open(path, err);
    } H5E_END_TRY;
    return o;
}

/* ---- tables ----------------------------------------------------------- */

static void tab_free(ss_tab *t)
{
    free(t->path);
    free(t->type);
    free(t->off);
    free(t->size);
    free(t->buf);
}

/* The packed file type of a table (see "Layout" above). */
static hid_t tab_type(const ss_tab *t, const ss_column *cols)
{
    hid_t ct = H5Tcreate(H5T_COMPOUND, t->rowsize);
    if (ct < 0) return ct;
    for (int i = 0; i < t->ncols; i++) {
        hid_t mt;
        if (cols[i].type == SS_COL_I64) mt = H5Tcopy(H5T_STD_I64LE);
        else if (cols[i].type == SS_COL_F64) mt = H5Tcopy(H5T_IEEE_F64LE);
        else {
            mt = H5Tcopy(H5T_C_S1);
            if (mt >= 0 && (H5Tset_size(mt, cols[i].strlen) < 0
                            || H5Tset_strpad(mt, H5T_STR_NULLTERM) < 0
                            || H5Tset_cset(mt, H5T_CSET_UTF8) < 0)) {
                H5Tclose(mt);
                mt = H5I_INVALID_HID;
            }
        }
        if (mt < 0 || H5Tinsert(ct, cols[i].name, t->off[i], mt) < 0) {
            if (mt >= 0) H5Tclose(mt);
            H5Tclose(ct);
            return H5I_INVALID_HID;
        }
        H5Tclose(mt);
    }
    return ct;
}

static int attr_str(ss_out *o, const char *obj, const char *name, const char *value);

/* Create the dataset and its H5TB and unit attributes. */
static int tab_create(ss_out *o, const ss_tab *t, const ss_column *cols, hsize_t chunk)
{
    hsize_t dims = 0, maxdims = H5S_UNLIMITED;
    hid_t ft = tab_type(t, cols);
    hid_t sp = H5Screate_simple(1, &dims, &maxdims);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t ds = H5I_INVALID_HID;
    if (ft >= 0 && sp >= 0 && dcpl >= 0
        && H5Pset_obj_track_times(dcpl, 0) >= 0
        && H5Pset_chunk(dcpl, 1, &chunk) >= 0
        && H5Pset_deflate(dcpl, OUT_DEFLATE) >= 0)
        ds = H5Dcreate2(o->file, t->path, ft, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (ds >= 0) H5Dclose(ds);
    if (dcpl >= 0) H5Pclose(dcpl);
    if (sp >= 0) H5Sclose(sp);
    if (ft >= 0) H5Tclose(ft);
    if (ds < 0) return SS_ERR_IO;

    /* The attributes H5TBmake_table would have written. */
    const char *leaf = strrchr(t->path, '/') + 1;
    if (H5LTset_attribute_string(o->file, t->path, "CLASS", "TABLE") < 0
        || H5LTset_attribute_string(o->file, t->path, "VERSION", "3.0") < 0
        || H5LTset_attribute_string(o->file, t->path, "TITLE", leaf) < 0)
        return SS_ERR_IO;
    char an[64];
    for (int i = 0; i < t->ncols; i++) {
        snprintf(an, sizeof an, "FIELD_%d_NAME", i);
        if (H5LTset_attribute_string(o->file, t->path, an, cols[i].name) < 0)
            return SS_ERR_IO;
    }

    /* Units: "units" lists "col=unit" for every column that has one, and
     * each such column also gets "unit_<col>". */
    size_t ulen = 1;
    for (int i = 0; i < t->ncols; i++)
        if (cols[i].unit && *cols[i].unit)
            ulen += strlen(cols[i].name) + strlen(cols[i].unit) + 2;
    char *units = malloc(ulen);
    if (!units) return SS_ERR_NOMEM;
    units[0] = '\0';
    size_t at = 0;
    int rc = SS_OK;
    for (int i = 0; i < t->ncols && rc == SS_OK; i++) {
        if (!cols[i].unit || !*cols[i].unit) continue;
        at += (size_t)snprintf(units + at, ulen - at, "%s%s=%s", at ? "," : "",
                               cols[i].name, cols[i].unit);
        size_t nlen = strlen(cols[i].name) + 6;
        char *un = malloc(nlen);
        if (!un) { rc = SS_ERR_NOMEM; break; }
        snprintf(un, nlen, "unit_%s", cols[i].name);
        rc = attr_str(o, t->path, un, cols[i].unit);
        free(un);
    }
    if (rc == SS_OK) rc = attr_str(o, t->path, "units", units);
    free(units);
    return rc;
}

static int out_table(ss_out *o, const char *path, const ss_column *cols, int ncols, ss_error *err)
{
    if (!o) return ss_error_set(err, SS_ERR_USAGE, "output: no file");
    if (o->failed) {
        if (err) *err = o->fail;
        return o->fail.code;
    }
    if (!valid_path(path))
        return ss_error_set(err, SS_ERR_USAGE, "output %s: bad table path \"%s\"",
                            o->tmp, path ? path : "(null)");
    if (!cols || ncols < 1)
        return ss_error_set(err, SS_ERR_USAGE, "output %s: table %s has no columns", o->tmp, path);
    for (int i = 0; i < ncols; i++) {
        if (!cols[i].name || !*cols[i].name)
            return ss_error_set(err, SS_ERR_USAGE, "output %s: table %s: column %d has no name",
                                o->tmp, path, i);
        if (cols[i].type != SS_COL_I64 && cols[i].type != SS_COL_F64 && cols[i].type != SS_COL_STR)
            return ss_error_set(err, SS_ERR_USAGE, "output %s: table %s: column %s: bad type",
                                o->tmp, path, cols[i].name);
        if (cols[i].type == SS_COL_STR && cols[i].strlen < 1)
            return ss_error_set(err, SS_ERR_USAGE,
                                "output %s: table %s: column %s: string width must be >= 1",
                                o->tmp, path, cols[i].name);
        for (int j = 0; j < i; j++)
            if (strcmp(cols[i].name, cols[j].name) == 0)
                return ss_error_set(err, SS_ERR_USAGE, "output %s: table %s: duplicate column %s",
                                    o->tmp, path, cols[i].name);
    }
    if (o->ntab == o->captab) {
        int nc = o->captab ? 2 * o->captab : 8;
        ss_tab *nt = realloc(o->tab, (size_t)nc * sizeof *nt);
        if (!nt) return fail(o, err, SS_ERR_NOMEM, "out of memory");
        o->tab = nt;
        o->captab = nc;
    }
    ss_tab *t = &o->tab[o->ntab];
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    t->path = dupstr(path);
    t->type = malloc((size_t)ncols * sizeof *t->type);
    t->off = malloc((size_t)ncols * sizeof *t->off);
    t->size = malloc((size_t)ncols * sizeof *t->size);
    if (!t->path || !t->type || !t->off || !t->size) {
        tab_free(t);
        return fail(o, err, SS_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < ncols; i++) {
        t->type[i] = cols[i].type;
        t->off[i] = t->rowsize;
        t->size[i] = cols[i].type == SS_COL_STR ? cols[i].strlen : 8;
        t->rowsize += t->size[i];
    }
    size_t chunk = OUT_CHUNK_BYTES / t->rowsize;
    if (chunk > OUT_CHUNK_ROWS) chunk = OUT_CHUNK_ROWS;
    if (chunk < 1) chunk = 1;
    t->cap = chunk;
    if (!(t->buf = malloc(t->cap * t->rowsize))) {
        tab_free(t);
        return fail(o, err, SS_ERR_NOMEM, "out of memory");
    }

    /* An existing object is the caller's mistake (two tables on one path),
     * not an I/O failure: report it without poisoning the file.  Parents
     * first, as H5Lexists fails on a path whose parent is missing. */
    int rc = make_groups(o, path, 0);
    if (rc == SS_OK && H5Lexists(o->file, path, H5P_DEFAULT) > 0) {
        tab_free(t);
        return ss_error_set(err, SS_ERR_USAGE, "output %s: %s already exists", o->tmp, path);
    }
    if (rc == SS_OK) rc = tab_create(o, t, cols, (hsize_t)chunk);
    if (rc != SS_OK) {
        tab_free(t);
        char what[512];
        snprintf(what, sizeof what, "cannot create table %s", path);
        return fail(o, err, rc, what);
    }
    return o->ntab++;
}

int ss_out_table(ss_out *o, const char *path, const ss_column *cols, int ncols, ss_error *err)
{
    int rc = 0;
    H5E_BEGIN_TRY {
        rc = out_table(o, path, cols, ncols, err);
    } H5E_END_TRY;
    return rc;
}

/* Append the buffered rows of t to its dataset. */
static int tab_flush(ss_out *o, ss_tab *t)
{
    if (t->nbuf == 0) return SS_OK;
    if (H5TBappend_records(o->file, t->path, (hsize_t)t->nbuf, t->rowsize, t->off, t->size,
                           t->buf) < 0) {
        char what[512];
        snprintf(what, sizeof what, "cannot append %zu rows to %s", t->nbuf, t->path);
        return fail(o, NULL, SS_ERR_IO, what);
    }
    t->nrows += t->nbuf;
    t->nbuf = 0;
    return SS_OK;
}

int ss_out_row(ss_out *o, int table, const ss_value *vals)
{
    if (!o || !vals) return SS_ERR_USAGE;
    if (o->failed) return o->fail.code;
    if (table < 0 || table >= o->ntab) return SS_ERR_USAGE;
    ss_tab *t = &o->tab[table];
    unsigned char *row = t->buf + t->nbuf * t->rowsize;
    for (int i = 0; i < t->ncols; i++) {
        unsigned char *cell = row + t->off[i];
        if (t->type[i] == SS_COL_STR) {
            /* Cut to width-1 bytes (a cut may split a UTF-8 sequence; names
             * are ASCII in practice) and zero the rest: deterministic bytes. */
            const char *s = vals[i].s ? vals[i].s : "";
            size_t n = strnlen(s, t->size[i] - 1);
            memcpy(cell, s, n);
            memset(cell + n, 0, t->size[i] - n);
        } else {
            memcpy(cell, &vals[i], 8);   /* int64_t or double, both 8 bytes */
        }
    }
    if (++t->nbuf < t->cap) return SS_OK;
    int rc = SS_OK;
    H5E_BEGIN_TRY {
        rc = tab_flush(o, t);
    } H5E_END_TRY;
    return rc;
}

/* ---- attributes ------------------------------------------------------- */

/* Write (or replace) scalar attribute `name` of type `ft` on `obj`, creating
 * the groups of `obj` when it does not exist. */
static int attr_put(ss_out *o, const char *obj, const char *name, hid_t ft, hid_t mt,
                    const void *val)
{
    if (!o || !obj || !name || !*name) return SS_ERR_USAGE;
    if (o->failed) return o->fail.code;
    if (strcmp(obj, "/") != 0) {
        if (!valid_path(obj)) return SS_ERR_USAGE;
        if (make_groups(o, obj, 1) != SS_OK) goto bad;
    }
    hid_t ob = H5Oopen(o->file, obj, H5P_DEFAULT);
    if (ob < 0) goto bad;
    htri_t ex = H5Aexists(ob, name);
    hid_t sp = H5Screate(H5S_SCALAR), a = H5I_INVALID_HID;
    int ok = ex >= 0 && sp >= 0 && (ex == 0 || H5Adelete(ob, name) >= 0);
    if (ok) a = H5Acreate2(ob, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT);
    ok = ok && a >= 0 && H5Awrite(a, mt, val) >= 0;
    if (a >= 0) H5Aclose(a);
    if (sp >= 0) H5Sclose(sp);
    H5Oclose(ob);
    if (ok) return SS_OK;
bad:;
    char what[512];
    snprintf(what, sizeof what, "cannot write attribute %s on %s", name, obj);
    return fail(o, NULL, SS_ERR_IO, what);
}

static int attr_str(ss_out *o, const char *obj, const char *name, const char *value)
{
    if (!value) value = "";
    hid_t st = H5Tcopy(H5T_C_S1);
    if (st < 0 || H5Tset_size(st, strlen(value) + 1) < 0
        || H5Tset_strpad(st, H5T_STR_NULLTERM) < 0 || H5Tset_cset(st, H5T_CSET_UTF8) < 0) {
        if (st >= 0) H5Tclose(st);
        return fail(o, NULL, SS_ERR_IO, "cannot make a string type");
    }
    int rc = attr_put(o, obj, name, st, st, value);
    H5Tclose(st);
    return rc;
}

int ss_out_attr_str(ss_out *o, const char *obj, const char *name, const char *value)
{
    int rc = 0;
    H5E_BEGIN_TRY {
        rc = attr_str(o, obj, name, value);
    } H5E_END_TRY;
    return rc;
}

int ss_out_attr_i64(ss_out *o, const char *obj, const char *name, int64_t value)
{
    int rc = 0;
    H5E_BEGIN_TRY {
        rc = attr_put(o, obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
    } H5E_END_TRY;
    return rc;
}

int ss_out_attr_f64(ss_out *o, const char *obj, const char *name, double value)
{
    int rc = 0;
    H5E_BEGIN_TRY {
        rc = attr_put(o, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
    } H5E_END_TRY;
    return rc;
}

/* ---- external links ---------------------------------------------------- */

static int link_external(ss_out *o, const char *path, const char *file, const char *obj, ss_error *err)
{
    if (!o) return ss_error_set(err, SS_ERR_USAGE, "output: no file");
    if (o->failed) {
        if (err) *err = o->fail;
        return o->fail.code;
    }
    if (!valid_path(path) || !file || !*file || !obj || !*obj)
        return ss_error_set(err, SS_ERR_USAGE, "output %s: bad link %s -> %s:%s", o->tmp, path ? path : "(null)",
                            file ? file : "(null)", obj ? obj : "(null)");
    int rc = make_groups(o, path, 0);
    if (rc == SS_OK && H5Lexists(o->file, path, H5P_DEFAULT) > 0)
        return ss_error_set(err, SS_ERR_USAGE, "output %s: %s already exists", o->tmp, path);
    if (rc == SS_OK && H5Lcreate_external(file, obj, o->file, path, H5P_DEFAULT, H5P_DEFAULT) < 0) rc = SS_ERR_IO;
    if (rc != SS_OK) {
        char what[512];
        snprintf(what, sizeof what, "cannot link %s to %s", path, file);
        return fail(o, err, rc, what);
    }
    return SS_OK;
}

int ss_out_link_external(ss_out *o, const char *path, const char *file, const char *obj, ss_error *err)
{
    int rc = 0;
    H5E_BEGIN_TRY {
        rc = link_external(o, path, file, obj, err);
    } H5E_END_TRY;
    return rc;
}

/* ---- closing ---------------------------------------------------------- */

long ss_out_open_objects(const ss_out *o)
{
    long n = -1;
    if (!o || o->file < 0) return n;
    H5E_BEGIN_TRY {
        n = (long)H5Fget_obj_count(o->file, H5F_OBJ_ALL);
    } H5E_END_TRY;
    return n;
}

/* Close the file and free o; returns SS_OK or SS_ERR_IO if H5Fclose failed
 * (data may not have reached the disk).  Leaves o->tmp on disk: callers
 * rename or unlink it. */
static int out_close(ss_out *o, char **tmp)
{
    int rc = SS_OK;
    if (o->file >= 0) {
        /* Only the file itself may still be open: everything else is closed
         * where it was opened.  (H5F_CLOSE_STRONG would close leftovers, but
         * a leftover is a bug worth catching in debug builds.) */
        assert(H5Fget_obj_count(o->file, H5F_OBJ_ALL) == 1);
        if (H5Fclose(o->file) < 0) rc = SS_ERR_IO;
    }
    if (o->gcpl >= 0) H5Pclose(o->gcpl);
    for (int i = 0; i < o->ntab; i++) tab_free(&o->tab[i]);
    free(o->tab);
    free(o->path);
    *tmp = o->tmp;
    free(o);
    return rc;
}

static int out_commit(ss_out *o, ss_error *err)
{
    for (int i = 0; i < o->ntab && !o->failed; i++) tab_flush(o, &o->tab[i]);
    char *path = dupstr(o->path), *tmp = NULL;
    if (!path) fail(o, NULL, SS_ERR_NOMEM, "out of memory");
    if (o->failed) {
        ss_error e = o->fail;
        out_close(o, &tmp);
        if (tmp) unlink(tmp);
        free(tmp);
        free(path);
        if (err) *err = e;
        return e.code;
    }
    if (out_close(o, &tmp) != SS_OK) {
        ss_error_set(err, SS_ERR_IO, "output %s: cannot close HDF5 file", tmp);
        unlink(tmp);
        free(tmp);
        free(path);
        return SS_ERR_IO;
    }
    int rc = SS_OK;
    if (rename(tmp, path) != 0) {
        rc = ss_error_set(err, SS_ERR_IO, "output %s: cannot rename %s into place: %s", path,
                          tmp, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    free(path);
    return rc;
}

int ss_out_commit(ss_out *o, ss_error *err)
{
    if (!o) return ss_error_set(err, SS_ERR_USAGE, "output: no file");
    int rc = 0;
    H5E_BEGIN_TRY {
        rc = out_commit(o, err);
    } H5E_END_TRY;
    return rc;
}

void ss_out_abort(ss_out *o)
{
    if (!o) return;
    char *tmp = NULL;
    H5E_BEGIN_TRY {
        out_close(o, &tmp);
    } H5E_END_TRY;
    if (tmp) unlink(tmp);
    free(tmp);
}
