/*
 * test_output.c -- the HDF5 writer (sim/output.c), read back through the
 * HDF5 C API and the H5TB high-level table API, independently of the writer.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "snapsim/output.h"
#include "testlib.h"

static char *tpath(const char *name)
{
    static char buf[8][512];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 512, "%s/output_%s", SNAPSIM_TMPDIR, name);
    return p;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    return b;
}

/* Read a string attribute (any fixed length).  The result lives until 16
 * more reads have been made, so checks need not free it. */
static char *read_attr_str(hid_t f, const char *obj, const char *name)
{
    static char *ring[16];
    static int k;
    hid_t a = H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return NULL;
    hid_t t = H5Aget_type(a);
    char *s = NULL;
    if (H5Tget_class(t) == H5T_STRING && !H5Tis_variable_str(t)) {
        size_t n = H5Tget_size(t);
        s = calloc(n + 1, 1);
        if (H5Aread(a, t, s) < 0) { free(s); s = NULL; }
    }
    H5Tclose(t);
    H5Aclose(a);
    free(ring[k % 16]);
    ring[k++ % 16] = s;
    return s;
}

static int has_attr(hid_t f, const char *obj, const char *name)
{
    return H5Aexists_by_name(f, obj, name, H5P_DEFAULT) > 0;
}

static int64_t read_attr_i64(hid_t f, const char *obj, const char *name)
{
    int64_t v = -777;
    hid_t a = H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) { H5Aread(a, H5T_NATIVE_INT64, &v); H5Aclose(a); }
    return v;
}

static double read_attr_f64(hid_t f, const char *obj, const char *name)
{
    double v = -777;
    hid_t a = H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0) { H5Aread(a, H5T_NATIVE_DOUBLE, &v); H5Aclose(a); }
    return v;
}

static const ss_column ev_cols[] = {
    { "t", SS_COL_F64, 0, "s" },
    { "kind", SS_COL_STR, 8, "" },
    { "bytes", SS_COL_I64, 0, "B" },
};
static const char *kinds[] = { "write", "snap", "consolid" /* 8 chars: cut to 7 */, "" };

/* Row i of the events table: t = i/4 s (exact in binary), bytes = i*i - 5000
 * (negative for small i), kind cycles through `kinds`. */
static void ev_row(int i, ss_value v[3])
{
    v[0].f = i / 4.0;
    v[1].s = kinds[i % 4];
    v[2].i = (int64_t)i * i - 5000;
}

static int write_events(const char *path, int nrows, int tweak)
{
    ss_error err = { 0, "" };
    ss_out *o = ss_out_open(path, &err);
    if (!o) return err.code;
    int t = ss_out_table(o, "/events", ev_cols, 3, &err);
    CHECK_EQ_I(t, 0);
    for (int i = 0; i < nrows; i++) {
        ss_value v[3];
        ev_row(i, v);
        if (tweak && i == nrows / 2) v[2].i += 1;
        CHECK_EQ_I(ss_out_row(o, t, v), SS_OK);
    }
    CHECK_EQ_I(ss_out_attr_str(o, "/", "format", "snapsim"), SS_OK);
    CHECK_EQ_I(ss_out_attr_i64(o, "/", "seed", 42), SS_OK);
    /* A nested table and a new group: groups carry times unless told not to. */
    CHECK_EQ_I(ss_out_table(o, "/series/x", ev_cols + 2, 1, &err), 1);
    CHECK_EQ_I(ss_out_attr_f64(o, "/summary/vm", "stun_s", 0.25), SS_OK);
    CHECK_EQ_I(ss_out_open_objects(o), 1);
    return ss_out_commit(o, &err);
}

/* 10,000 rows cross the 4096-row buffer/chunk twice (4096+4096+1808). */
static void t_roundtrip(void)
{
    const int n = 10000;
    const char *p = tpath("roundtrip.h5");
    CHECK_EQ_I(write_events(p, n, 0), SS_OK);
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    hsize_t nf = 0, nr = 0;
    CHECK(H5TBget_table_info(f, "/events", &nf, &nr) >= 0);
    CHECK_EQ_U(nf, 3);
    CHECK_EQ_U(nr, (unsigned)n);

    char *names[3];
    for (int i = 0; i < 3; i++) names[i] = calloc(256, 1);
    size_t sizes[3], offs[3], tsize = 0;
    CHECK(H5TBget_field_info(f, "/events", names, sizes, offs, &tsize) >= 0);
    CHECK_STR(names[0], "t");
    CHECK_STR(names[1], "kind");
    CHECK_STR(names[2], "bytes");
    CHECK_EQ_U(sizes[0], 8);
    CHECK_EQ_U(sizes[1], 8);
    CHECK_EQ_U(sizes[2], 8);
    CHECK_EQ_U(tsize, 24);            /* packed: 8 + 8 + 8 */
    for (int i = 0; i < 3; i++) free(names[i]);

    /* Column by column. */
    double *t = malloc(n * sizeof *t);
    int64_t *b = malloc(n * sizeof *b);
    char (*k)[8] = malloc(n * sizeof *k);
    size_t o0 = 0, s8 = 8;
    CHECK(H5TBread_fields_name(f, "/events", "t", 0, n, 8, &o0, &s8, t) >= 0);
    CHECK(H5TBread_fields_name(f, "/events", "bytes", 0, n, 8, &o0, &s8, b) >= 0);
    CHECK(H5TBread_fields_name(f, "/events", "kind", 0, n, 8, &o0, &s8, k) >= 0);
    int bad_t = 0, bad_b = 0, bad_k = 0;
    for (int i = 0; i < n; i++) {
        bad_t += t[i] != i / 4.0;
        bad_b += b[i] != (int64_t)i * i - 5000;
        const char *want = i % 4 == 2 ? "consoli" : kinds[i % 4];
        bad_k += k[i][7] != '\0' || strcmp(k[i], want) != 0;
    }
    CHECK_EQ_I(bad_t, 0);
    CHECK_EQ_I(bad_b, 0);
    CHECK_EQ_I(bad_k, 0);
    CHECK_EQ_I(b[0], -5000);
    CHECK_EQ_I(b[n - 1], 99980001LL - 5000);   /* 9999^2 = 99980001 */
    CHECK_NEAR(t[n - 1], 2499.75, 0);

    /* The whole table into a native, padded C struct (HDF5 converts). */
    struct ev { double t; char kind[8]; int64_t bytes; } *rows = malloc(n * sizeof *rows);
    size_t roffs[3] = { offsetof(struct ev, t), offsetof(struct ev, kind), offsetof(struct ev, bytes) };
    size_t rsz[3] = { 8, 8, 8 };
    CHECK(H5TBread_table(f, "/events", sizeof *rows, roffs, rsz, rows) >= 0);
    CHECK_NEAR(rows[4097].t, 4097 / 4.0, 0);
    CHECK_EQ_I(rows[8193].bytes, 8193LL * 8193 - 5000);
    CHECK_STR(rows[8194].kind, "consoli");      /* 8194 % 4 == 2 */
    CHECK_STR(rows[8195].kind, "");

    CHECK_STR(read_attr_str(f, "/events", "CLASS"), "TABLE");
    free(rows); free(t); free(b); free(k);
    H5Fclose(f);
}

static void t_truncate(void)
{
    const char *p = tpath("trunc.h5");
    ss_error err;
    ss_out *o = ss_out_open(p, &err);
    ss_column c[] = { { "s", SS_COL_STR, 5, "" } };
    int t = ss_out_table(o, "/s", c, 1, &err);
    const char *in[] = { "abcdefgh", "abcd", "abc", NULL, "" };
    for (int i = 0; i < 5; i++) {
        ss_value v = { .s = in[i] };
        CHECK_EQ_I(ss_out_row(o, t, &v), SS_OK);
    }
    CHECK_EQ_I(ss_out_commit(o, &err), SS_OK);
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    /* Read raw bytes with a 5-byte memory string of the same kind: the
     * padding must be zeros, position 4 always the NUL. */
    unsigned char raw[5][5];
    memset(raw, 0xAA, sizeof raw);
    size_t o0 = 0, s5 = 5;
    CHECK(H5TBread_fields_name(f, "/s", "s", 0, 5, 5, &o0, &s5, raw) >= 0);
    const char *want[] = { "abcd", "abcd", "abc", "", "" };
    for (int i = 0; i < 5; i++) {
        CHECK_STR((char *)raw[i], want[i]);
        for (size_t j = strlen(want[i]); j < 5; j++) CHECK_EQ_I(raw[i][j], 0);
    }
    H5Fclose(f);
}

static void t_empty(void)
{
    const char *p = tpath("empty.h5");
    ss_error err;
    ss_out *o = ss_out_open(p, &err);
    CHECK_EQ_I(ss_out_table(o, "/consolidations", ev_cols, 3, &err), 0);
    CHECK_EQ_I(ss_out_commit(o, &err), SS_OK);
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(f >= 0);
    hsize_t nf = 9, nr = 9;
    CHECK(H5TBget_table_info(f, "/consolidations", &nf, &nr) >= 0);
    CHECK_EQ_U(nf, 3);
    CHECK_EQ_U(nr, 0);
    CHECK_STR(read_attr_str(f, "/consolidations", "unit_t"), "s");
    H5Fclose(f);
}

static void t_attrs(void)
{
    const char *p = tpath("attrs.h5");
    /* ~100 KB of "source": numbered lines, so every byte position matters. */
    size_t cap = 110000, len = 0;
    char *src = malloc(cap);
    for (int i = 0; len < 100000; i++)
        len += (size_t)snprintf(src + len, cap - len, "vm%d = { disk = \"%d GiB\" }\n", i, i % 97);
    ss_error err;
    ss_out *o = ss_out_open(p, &err);
    int t = ss_out_table(o, "/events", ev_cols, 3, &err);
    CHECK(t >= 0);
    CHECK_EQ_I(ss_out_attr_str(o, "/", "source", src), SS_OK);
    CHECK_EQ_I(ss_out_attr_str(o, "/", "format", "old"), SS_OK);
    CHECK_EQ_I(ss_out_attr_str(o, "/", "format", "snapsim"), SS_OK);   /* replaces */
    CHECK_EQ_I(ss_out_attr_str(o, "/", "empty", ""), SS_OK);
    CHECK_EQ_I(ss_out_attr_i64(o, "/", "seed", INT64_MIN), SS_OK);
    CHECK_EQ_I(ss_out_attr_f64(o, "/", "duration_s", 0.1), SS_OK);
    CHECK_EQ_I(ss_out_attr_str(o, "/events", "note", "hello"), SS_OK);
    CHECK_EQ_I(ss_out_attr_i64(o, "/events", "n", 1234567890123LL), SS_OK);
    CHECK_EQ_I(ss_out_attr_f64(o, "/events", "x", -2.5e-300), SS_OK);
    CHECK_EQ_I(ss_out_open_objects(o), 1);
    CHECK_EQ_I(ss_out_commit(o, &err), SS_OK);

    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    char *s = read_attr_str(f, "/", "source");
    CHECK(s && strlen(s) == len && memcmp(s, src, len) == 0);
    CHECK_STR(read_attr_str(f, "/", "format"), "snapsim");
    CHECK_STR(read_attr_str(f, "/", "empty"), "");
    CHECK_EQ_I(read_attr_i64(f, "/", "seed"), INT64_MIN);
    CHECK(read_attr_f64(f, "/", "duration_s") == 0.1);
    CHECK_STR(read_attr_str(f, "/events", "note"), "hello");
    CHECK_EQ_I(read_attr_i64(f, "/events", "n"), 1234567890123LL);
    CHECK(read_attr_f64(f, "/events", "x") == -2.5e-300);
    /* The string type: fixed length, strlen+1, NUL-terminated. */
    hid_t a = H5Aopen_by_name(f, "/", "format", H5P_DEFAULT, H5P_DEFAULT);
    hid_t ty = H5Aget_type(a);
    CHECK_EQ_U(H5Tget_size(ty), 8);
    CHECK(H5Tget_strpad(ty) == H5T_STR_NULLTERM);
    H5Tclose(ty);
    H5Aclose(a);
    H5Fclose(f);
    free(src);
}

static void t_units(void)
{
    const char *p = tpath("units.h5");
    CHECK_EQ_I(write_events(p, 3, 0), SS_OK);
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK_STR(read_attr_str(f, "/events", "units"), "t=s,bytes=B");
    CHECK_STR(read_attr_str(f, "/events", "unit_t"), "s");
    CHECK_STR(read_attr_str(f, "/events", "unit_bytes"), "B");
    CHECK(!has_attr(f, "/events", "unit_kind"));   /* "" means no unit */
    CHECK_STR(read_attr_str(f, "/events", "FIELD_1_NAME"), "kind");
    H5Fclose(f);
}

static int is_group(hid_t f, const char *path)
{
    H5O_info_t info;
    if (H5Oget_info_by_name(f, path, &info, H5P_DEFAULT) < 0) return 0;
    return info.type == H5O_TYPE_GROUP;
}

static void t_groups(void)
{
    const char *p = tpath("groups.h5");
    ss_error err;
    ss_out *o = ss_out_open(p, &err);
    ss_column c[] = { { "t", SS_COL_F64, 0, "s" }, { "v", SS_COL_F64, 0, "" } };
    int a = ss_out_table(o, "/series/files", c, 2, &err);
    int b = ss_out_table(o, "/series/clocks", c, 2, &err);
    int d = ss_out_table(o, "/a/b/c/d", c, 2, &err);
    CHECK_EQ_I(a, 0);
    CHECK_EQ_I(b, 1);
    CHECK_EQ_I(d, 2);
    /* Interleaved rows go to the right tables. */
    for (int i = 0; i < 5000; i++) {
        ss_value v[2] = { { .f = i }, { .f = -i } };
        ss_out_row(o, a, v);
        if (i % 2 == 0) ss_out_row(o, b, v);
    }
    CHECK_EQ_I(ss_out_attr_f64(o, "/summary/vm1", "stun_s", 1.5), SS_OK);
    CHECK_EQ_I(ss_out_attr_str(o, "/series", "what", "time series"), SS_OK);
    CHECK_EQ_I(ss_out_commit(o, &err), SS_OK);
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(is_group(f, "/series"));
    CHECK(is_group(f, "/a/b/c"));
    CHECK(is_group(f, "/summary"));
    CHECK(is_group(f, "/summary/vm1"));
    CHECK(!is_group(f, "/series/files"));
    hsize_t nf, nr;
    CHECK(H5TBget_table_info(f, "/series/files", &nf, &nr) >= 0);
    CHECK_EQ_U(nr, 5000);
    CHECK(H5TBget_table_info(f, "/series/clocks", &nf, &nr) >= 0);
    CHECK_EQ_U(nr, 2500);
    double v[2] = { 0, 0 };
    size_t o0 = 0, s8 = 8;
    CHECK(H5TBread_fields_name(f, "/series/clocks", "t", 2499, 1, 8, &o0, &s8, v) >= 0);
    CHECK_NEAR(v[0], 4998, 0);
    CHECK_NEAR(read_attr_f64(f, "/summary/vm1", "stun_s"), 1.5, 0);
    CHECK_STR(read_attr_str(f, "/series", "what"), "time series");
    H5Fclose(f);
}

/* Two runs with the same rows must give the same bytes.  The second run is
 * written more than a second later, so any stored wall-clock time (HDF5
 * keeps seconds) would differ.  A third file with one value changed must
 * differ: the comparison itself can fail. */
static void t_determinism(void)
{
    const char *p1 = tpath("det1.h5"), *p2 = tpath("det2.h5"), *p3 = tpath("det3.h5");
    CHECK_EQ_I(write_events(p1, 10000, 0), SS_OK);
    sleep(2);
    CHECK_EQ_I(write_events(p2, 10000, 0), SS_OK);
    CHECK_EQ_I(write_events(p3, 10000, 1), SS_OK);
    size_t n1 = 0, n2 = 0, n3 = 0;
    unsigned char *b1 = slurp(p1, &n1), *b2 = slurp(p2, &n2), *b3 = slurp(p3, &n3);
    CHECK(b1 && b2 && b3);
    CHECK(n1 > 1000);
    CHECK_EQ_U(n1, n2);
    size_t ndiff = 0;
    for (size_t i = 0; i < n1 && i < n2; i++) ndiff += b1[i] != b2[i];
    CHECK_EQ_U(ndiff, 0);
    CHECK(n1 != n3 || memcmp(b1, b3, n1) != 0);
    free(b1); free(b2); free(b3);
}

/* Count directory entries whose name starts with `prefix`. */
static int count_prefix(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

static void t_abort(void)
{
    const char *p = tpath("aborted.h5");
    unlink(p);
    ss_error err;
    ss_out *o = ss_out_open(p, &err);
    CHECK(o != NULL);
    CHECK_EQ_I(count_prefix(SNAPSIM_TMPDIR, "output_aborted.h5.tmp-"), 1);
    int t = ss_out_table(o, "/events", ev_cols, 3, &err);
    for (int i = 0; i < 5000; i++) {
        ss_value v[3];
        ev_row(i, v);
        ss_out_row(o, t, v);
    }
    ss_out_abort(o);
    CHECK_EQ_I(count_prefix(SNAPSIM_TMPDIR, "output_aborted.h5"), 0);
    ss_out_abort(NULL);   /* harmless */
}

static void t_commit_replaces(void)
{
    const char *p = tpath("replace.h5");
    FILE *junk = fopen(p, "w");
    fputs("not hdf5", junk);
    fclose(junk);
    for (int round = 1; round <= 2; round++) {
        ss_error err;
        ss_out *o = ss_out_open(p, &err);
        CHECK_EQ_I(ss_out_attr_i64(o, "/", "round", round), SS_OK);
        CHECK_EQ_I(ss_out_commit(o, &err), SS_OK);
        hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
        CHECK(f >= 0);
        CHECK_EQ_I(read_attr_i64(f, "/", "round"), round);
        H5Fclose(f);
    }
    CHECK_EQ_I(count_prefix(SNAPSIM_TMPDIR, "output_replace.h5.tmp"), 0);
}

/* Two writers on one path get different temporary files; the last commit wins. */
static void t_two_writers(void)
{
    const char *p = tpath("two.h5");
    ss_error err;
    ss_out *a = ss_out_open(p, &err), *b = ss_out_open(p, &err);
    CHECK(a && b);
    CHECK_EQ_I(count_prefix(SNAPSIM_TMPDIR, "output_two.h5.tmp-"), 2);
    ss_out_attr_str(a, "/", "who", "a");
    ss_out_attr_str(b, "/", "who", "b");
    CHECK_EQ_I(ss_out_commit(a, &err), SS_OK);
    CHECK_EQ_I(ss_out_commit(b, &err), SS_OK);
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK_STR(read_attr_str(f, "/", "who"), "b");
    H5Fclose(f);
    CHECK_EQ_I(count_prefix(SNAPSIM_TMPDIR, "output_two.h5.tmp"), 0);
}

/* Run fn with stderr (fd 2) sent to a file; return how many bytes it got. */
static long quiet(void (*fn)(void))
{
    const char *cap = tpath("stderr.txt");
    fflush(stderr);
    int saved = dup(2);
    int fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    close(fd);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    struct stat st;
    return stat(cap, &st) == 0 ? (long)st.st_size : -1;
}

static int nodir_rc, nodir_ok;
static char nodir_msg[1024];
static void nodir_body(void)
{
    ss_error err = { 0, "" };
    ss_out *o = ss_out_open(SNAPSIM_TMPDIR "/no/such/dir/x.h5", &err);
    nodir_ok = o == NULL;
    nodir_rc = err.code;
    memcpy(nodir_msg, err.msg, sizeof nodir_msg);
}

static void t_nodir(void)
{
    CHECK_EQ_I(quiet(nodir_body), 0);
    CHECK(nodir_ok);
    CHECK_EQ_I(nodir_rc, SS_ERR_IO);
    CHECK_CONTAINS(nodir_msg, "no/such/dir/x.h5");
    CHECK_CONTAINS(nodir_msg, "No such file or directory");
    if (getenv("SHOW_MSG")) printf("nodir: %s\n", nodir_msg);
}

/* Misuse is reported, without printing, and does not spoil the file. */
static int misuse_fails;
static void misuse_body(void)
{
    const char *p = tpath("misuse.h5");
    ss_error err = { 0, "" };
    ss_out *o = ss_out_open(p, &err);
    int t = ss_out_table(o, "/events", ev_cols, 3, &err);
    CHECK_EQ_I(t, 0);
    CHECK_EQ_I(ss_out_table(o, "/events", ev_cols, 3, &err), SS_ERR_USAGE);
    CHECK_CONTAINS(err.msg, "/events already exists");
    CHECK_EQ_I(ss_out_table(o, "events", ev_cols, 3, &err), SS_ERR_USAGE);
    CHECK_EQ_I(ss_out_table(o, "/x//y", ev_cols, 3, &err), SS_ERR_USAGE);
    CHECK_EQ_I(ss_out_table(o, "/x", ev_cols, 0, &err), SS_ERR_USAGE);
    ss_column dup[] = { { "a", SS_COL_I64, 0, "" }, { "a", SS_COL_F64, 0, "" } };
    CHECK_EQ_I(ss_out_table(o, "/dup", dup, 2, &err), SS_ERR_USAGE);
    CHECK_CONTAINS(err.msg, "duplicate column a");
    ss_column zero[] = { { "s", SS_COL_STR, 0, "" } };
    CHECK_EQ_I(ss_out_table(o, "/zero", zero, 1, &err), SS_ERR_USAGE);
    ss_value v[3] = { { .f = 1 }, { .s = "x" }, { .i = 2 } };
    CHECK_EQ_I(ss_out_row(o, 1, v), SS_ERR_USAGE);
    CHECK_EQ_I(ss_out_row(o, -1, v), SS_ERR_USAGE);
    CHECK_EQ_I(ss_out_row(o, t, v), SS_OK);
    CHECK_EQ_I(ss_out_open_objects(o), 1);
    CHECK_EQ_I(ss_out_commit(o, &err), SS_OK);
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    hsize_t nf, nr = 0;
    CHECK(H5TBget_table_info(f, "/events", &nf, &nr) >= 0);
    CHECK_EQ_U(nr, 1);
    CHECK(H5Lexists(f, "/dup", H5P_DEFAULT) == 0);
    H5Fclose(f);
    misuse_fails = 1;
}

static void t_misuse(void)
{
    CHECK_EQ_I(quiet(misuse_body), 0);
    CHECK(misuse_fails);
}

/* An HDF5 failure inside (a group below a dataset) is sticky: commit
 * reports it and leaves neither the file nor the temporary file. */
static int sticky_rc1, sticky_rc2, sticky_rc3;
static char sticky_msg[1024];
static void sticky_body(void)
{
    const char *p = tpath("sticky.h5");
    unlink(p);
    ss_error err = { 0, "" };
    ss_out *o = ss_out_open(p, &err);
    ss_out_table(o, "/events", ev_cols, 3, &err);
    sticky_rc1 = ss_out_attr_i64(o, "/events/sub", "x", 1);
    sticky_rc2 = ss_out_attr_i64(o, "/", "y", 1);      /* refused after a failure */
    sticky_rc3 = ss_out_commit(o, &err);
    memcpy(sticky_msg, err.msg, sizeof sticky_msg);
}

static void t_sticky(void)
{
    CHECK_EQ_I(quiet(sticky_body), 0);
    CHECK_EQ_I(sticky_rc1, SS_ERR_IO);
    CHECK_EQ_I(sticky_rc2, SS_ERR_IO);
    CHECK_EQ_I(sticky_rc3, SS_ERR_IO);
    CHECK_CONTAINS(sticky_msg, "attribute x on /events/sub");
    if (getenv("SHOW_MSG")) printf("sticky: %s\n", sticky_msg);
    CHECK_EQ_I(count_prefix(SNAPSIM_TMPDIR, "output_sticky.h5"), 0);
}

/* Commit onto a path that cannot be replaced (a non-empty directory). */
static void t_commit_fails(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s", tpath("isdir.h5"));
    mkdir(dir, 0755);
    char inside[600];
    snprintf(inside, sizeof inside, "%s/keep", dir);
    FILE *k = fopen(inside, "w");
    if (k) fclose(k);
    ss_error err = { 0, "" };
    ss_out *o = ss_out_open(dir, &err);
    CHECK(o != NULL);
    CHECK_EQ_I(ss_out_commit(o, &err), SS_ERR_IO);
    CHECK_CONTAINS(err.msg, "cannot rename");
    CHECK_EQ_I(count_prefix(SNAPSIM_TMPDIR, "output_isdir.h5.tmp"), 0);
}

static void check_layout(hid_t f, const char *ds, hsize_t want_chunk)
{
    hid_t d = H5Dopen2(f, ds, H5P_DEFAULT);
    hid_t pl = H5Dget_create_plist(d);
    CHECK(H5Pget_layout(pl) == H5D_CHUNKED);
    hsize_t chunk = 0;
    CHECK_EQ_I(H5Pget_chunk(pl, 1, &chunk), 1);
    CHECK_EQ_U(chunk, want_chunk);
    CHECK_EQ_I(H5Pget_nfilters(pl), 1);
    unsigned flags, cd[4] = { 0 };
    size_t ncd = 4;
    char name[64];
    unsigned cfg;
    CHECK(H5Pget_filter2(pl, 0, &flags, &ncd, cd, sizeof name, name, &cfg) == H5Z_FILTER_DEFLATE);
    CHECK_EQ_U(cd[0], 4);
    H5Pclose(pl);
    H5Dclose(d);
}

static void t_chunks(void)
{
    const char *p = tpath("chunks.h5");
    ss_error err;
    ss_out *o = ss_out_open(p, &err);
    ss_out_table(o, "/narrow", ev_cols, 3, &err);
    /* 300,000-byte rows: 256 KiB / 300000 < 1, so one row per chunk;
     * 1000-byte rows: 262144 / 1000 = 262 rows per chunk. */
    ss_column wide[] = { { "s", SS_COL_STR, 300000, "" } };
    ss_column mid[] = { { "s", SS_COL_STR, 1000, "" } };
    int w = ss_out_table(o, "/wide", wide, 1, &err);
    int m = ss_out_table(o, "/mid", mid, 1, &err);
    for (int i = 0; i < 3; i++) {
        ss_value v = { .s = "big" };
        CHECK_EQ_I(ss_out_row(o, w, &v), SS_OK);
        CHECK_EQ_I(ss_out_row(o, m, &v), SS_OK);
    }
    CHECK_EQ_I(ss_out_commit(o, &err), SS_OK);
    hid_t f = H5Fopen(p, H5F_ACC_RDONLY, H5P_DEFAULT);
    check_layout(f, "/narrow", 4096);
    check_layout(f, "/wide", 1);
    check_layout(f, "/mid", 262);
    hsize_t nf, nr = 0;
    CHECK(H5TBget_table_info(f, "/wide", &nf, &nr) >= 0);
    CHECK_EQ_U(nr, 3);
    H5Fclose(f);
}

static const struct tl_test tl_tests[] = {
    TL(t_roundtrip), TL(t_truncate), TL(t_empty), TL(t_attrs), TL(t_units), TL(t_groups),
    TL(t_determinism), TL(t_abort), TL(t_commit_replaces), TL(t_two_writers), TL(t_nodir),
    TL(t_misuse), TL(t_sticky), TL(t_commit_fails), TL(t_chunks), { 0 },
};

int main(int c, char **v) { return tl_main(tl_tests, c, v); }
