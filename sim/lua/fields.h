/*
 * fields.h -- the fields of the scenario language's tables, as data, and
 * their validation (fields.c).
 *
 * Every table a scenario writes (a declaration's body, its sub-tables, the
 * options of an action) is described by an ss_fields: its fields, each
 * with a type, where its value goes in a C struct, its default as users
 * write it and a line of documentation.  ss_fields_parse checks a Lua
 * table against it (unknown names are errors) and stores every field it
 * can convert by itself; fields whose conversion needs the model (names of
 * declared things, disks, workloads) are marked SS_F_CUSTOM and read by the
 * declaration's own code.  `snapsim help fields` and docs/language.md come
 * from the same tables, so documentation and validation cannot drift.
 *
 * Every error names file:line (the declaration's), the field's path, what
 * was expected and what was found:
 *   file:line: vm "db01": field disk.size: expected a size like "30GB", found "30 GX" (unknown unit "GX")
 */
#ifndef SNAPSIM_LUA_FIELDS_H
#define SNAPSIM_LUA_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "snapsim/engine.h"

typedef enum {
    SS_F_SIZE,        /* uint64_t bytes: 4096 or "30GB" */
    SS_F_DURATION,    /* ss_time: 90 (s) or "1h30m" */
    SS_F_SECONDS,     /* double seconds, written as a duration */
    SS_F_RATE,        /* double bytes/s: "100MB/s" */
    SS_F_NUMBER,      /* double in [lo, hi] */
    SS_F_INT,         /* int in [lo, hi], a whole number */
    SS_F_BOOL,        /* int 0/1 */
    SS_F_ENUM,        /* int: the index of the string in choices */
    SS_F_STRING,      /* char[len] */
    SS_F_TABLE,       /* a sub-table: sub's fields, stored from target + off */
    SS_F_CUSTOM,      /* read by the declaration's own code */
} ss_ftype;

#define SS_F_POSITIVE 1u      /* sizes, durations, rates: > 0 */
#define SS_F_REQUIRED 2u

typedef struct ss_fields ss_fields;

typedef struct ss_field {
    const char *name;
    ss_ftype type;
    ptrdiff_t off;                /* offset in the target struct (unused for SS_F_CUSTOM) */
    const char *dflt;             /* the default as users write it; NULL: none (or required) */
    const char *doc;              /* one line, for `snapsim help fields` and the reference */
    double lo, hi;                /* SS_F_NUMBER / SS_F_INT: the range */
    const char *const *choices;   /* SS_F_ENUM: NULL-terminated */
    const ss_fields *sub;         /* SS_F_TABLE */
    size_t len;                   /* SS_F_STRING: the buffer's size */
    unsigned flags;
    const char *type_doc;         /* SS_F_CUSTOM: what is expected, for the reference */
} ss_field;

/* A table of fields.  Every table the validator uses is listed in
 * sim/lua/reference.c (through each file's list of its tables) or is the
 * sub-table of one listed there: ss_fields_parse refuses any other, so
 * `snapsim help` and docs/language.md show every field that is accepted. */
struct ss_fields {
    const char *name;             /* "vm", "vm.disk", "workload" ...: what `snapsim help NAME` takes */
    const ss_field *f;
    int n;
    const char *usage;            /* how a script writes it ("vm \"NAME\" { ... }"); NULL for a
                                     sub-table (the reference derives it from the parent's) */
};

#define SS_FIELDS(name, arr) { name, arr, (int)(sizeof(arr) / sizeof((arr)[0])), NULL }
#define SS_ROOT(name, usage, arr) { name, arr, (int)(sizeof(arr) / sizeof((arr)[0])), usage }

/* Shorthands for the tables (T: the target struct type). */
#define F_SIZE(n, T, m, d, doc, fl) { n, SS_F_SIZE, offsetof(T, m), d, doc, 0, 0, NULL, NULL, 0, fl, NULL }
#define F_DURATION(n, T, m, d, doc, fl) { n, SS_F_DURATION, offsetof(T, m), d, doc, 0, 0, NULL, NULL, 0, fl, NULL }
#define F_SECONDS(n, T, m, d, doc, fl) { n, SS_F_SECONDS, offsetof(T, m), d, doc, 0, 0, NULL, NULL, 0, fl, NULL }
#define F_RATE(n, T, m, d, doc, fl) { n, SS_F_RATE, offsetof(T, m), d, doc, 0, 0, NULL, NULL, 0, fl, NULL }
#define F_NUMBER(n, T, m, lo, hi, d, doc) { n, SS_F_NUMBER, offsetof(T, m), d, doc, lo, hi, NULL, NULL, 0, 0, NULL }
#define F_INT(n, T, m, lo, hi, d, doc) { n, SS_F_INT, offsetof(T, m), d, doc, lo, hi, NULL, NULL, 0, 0, NULL }
#define F_BOOL(n, T, m, d, doc) { n, SS_F_BOOL, offsetof(T, m), d, doc, 0, 0, NULL, NULL, 0, 0, NULL }
#define F_ENUM(n, T, m, ch, d, doc) { n, SS_F_ENUM, offsetof(T, m), d, doc, 0, 0, ch, NULL, 0, 0, NULL }
#define F_STRING(n, T, m, d, doc) { n, SS_F_STRING, offsetof(T, m), d, doc, 0, 0, NULL, NULL, sizeof(((T *)0)->m), 0, NULL }
#define F_TABLE(n, off, sub, doc) { n, SS_F_TABLE, off, NULL, doc, 0, 0, NULL, sub, 0, 0, NULL }
#define F_CUSTOM(n, type_doc, d, doc) { n, SS_F_CUSTOM, 0, d, doc, 0, 0, NULL, NULL, 0, 0, type_doc }

/* What is being validated ("vm \"db01\"") and where (file:line). */
typedef struct vctx {
    lua_State *L;
    char where[256];
    char what[128];
} vctx;

void vctx_init(vctx *c, lua_State *L, const char *what);
/* Raise "what: field F: expected E, found V (why)". */
int verr(vctx *c, const char *field, int idx, const char *expected, const char *why);
/* Raise the same for t[key] (pushed here). */
int verr_key(vctx *c, int t, const char *prefix, const char *key, const char *expected, const char *why);
/* "prefix.key", or "key" when prefix is empty. */
void path_of(char *buf, size_t n, const char *prefix, const char *key);

/* Every key of the table at idx must be one of fs's field names. */
void ss_fields_check(vctx *c, int idx, const char *prefix, const ss_fields *fs);
/* Check, then store every field present (SS_F_CUSTOM ones excepted) into
 * target; fields absent leave target as it is. */
void ss_fields_parse(vctx *c, int idx, const char *prefix, const ss_fields *fs, void *target);
const ss_field *ss_fields_find(const ss_fields *fs, const char *name);
/* reference.c: is fs one of the tables of the reference (listed, or a
 * sub-table of a listed one)? */
int ss_lua_fields_listed(const ss_fields *fs);

/* Single getters: each pushes t[key]; if nil leaves *out alone and returns
 * 0; otherwise validates, stores and returns 1.  Errors do not return. */
int get_size(vctx *c, int t, const char *prefix, const char *key, uint64_t *out);
int get_duration(vctx *c, int t, const char *prefix, const char *key, ss_time *out);
int get_rate(vctx *c, int t, const char *prefix, const char *key, double *out);
int get_number(vctx *c, int t, const char *prefix, const char *key, double lo, double hi, double *out);
int get_bool(vctx *c, int t, const char *prefix, const char *key, int *out);
/* A string from a list; returns its index, or -1 if absent. */
int get_enum(vctx *c, int t, const char *prefix, const char *key, const char *const *names);
const char *get_string(vctx *c, int t, const char *prefix, const char *key, char *buf, size_t n);
/* Pushes t[key] if it is a table (returns 1), nothing if nil (0). */
int get_table(vctx *c, int t, const char *prefix, const char *key);

#endif
