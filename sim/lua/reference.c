/*
 * reference.c -- the scenario language's reference (include/snapsim/
 * reference.h), printed from the tables the binding validates with: each
 * file's list of field tables (declare.c, schedule.c, actions.c, ops.c)
 * and their sub-tables, the functions sandbox.c registers, the event kinds
 * on() takes and vm{vmx=}'s aliases.  ss_fields_parse accepts only the
 * tables found here, so no accepted field can be missing from `snapsim
 * help` or, through tests/check_language.py, from docs/language.md.
 *
 * What the tables do not say -- a function's signature and one line on
 * what it does, an event's meaning -- is in the two tables below; a
 * function or event kind without a line is printed as "(undocumented)",
 * which the language test refuses.
 */
#include <stdio.h>
#include <string.h>

#include "lua/binding.h"
#include "snapsim/reference.h"

/* ---- the tables of fields, in reference order ---- */

#define MAX_TABLES 64

/* A table of the reference and how a script writes it. */
typedef struct ref_table {
    const ss_fields *fs;
    char usage[256];
    int depth;                /* 0: listed by a file; 1: its sub-table ... */
} ref_table;

typedef struct ref_list {
    ref_table t[MAX_TABLES];
    int n;
} ref_list;

static const ss_fields *const *const lists[] = {
    ss_lua_decl_fields, ss_lua_schedule_fields, ss_lua_action_fields, ss_lua_op_fields,
};
#define NLISTS ((int)(sizeof lists / sizeof lists[0]))

/* Is fs the sub-table of a field of any listed table? */
static int is_sub(const ss_fields *fs)
{
    for (int l = 0; l < NLISTS; l++)
        for (const ss_fields *const *p = lists[l]; *p; p++)
            for (int i = 0; i < (*p)->n; i++)
                if ((*p)->f[i].type == SS_F_TABLE && (*p)->f[i].sub == fs) return 1;
    return 0;
}

/* "vm \"NAME\" { ... }" and field "clock" -> "vm \"NAME\" { clock = { ... } }":
 * the first "{ ... }" of the parent's usage (its first form: up to " and "
 * or " or ") gets the field. */
static void sub_usage(char *out, size_t n, const char *parent, const char *field)
{
    char first[256];
    snprintf(first, sizeof first, "%s", parent);
    char *cut = strstr(first, " and ");
    if (!cut) cut = strstr(first, " or ");
    if (cut) *cut = 0;
    char *hole = strstr(first, "{ ... }");
    if (!hole) {
        snprintf(out, n, "%.200s, field %.40s", first, field);
        return;
    }
    *hole = 0;
    snprintf(out, n, "%.150s{ %.40s = { ... } }%.40s", first, field, hole + strlen("{ ... }"));   /* < 256 */
}

static void visit(ref_list *r, const ss_fields *fs, const char *usage, int depth)
{
    for (int i = 0; i < r->n; i++)
        if (r->t[i].fs == fs) return;
    if (r->n == MAX_TABLES) return;
    ref_table *t = &r->t[r->n++];
    t->fs = fs;
    t->depth = depth;
    snprintf(t->usage, sizeof t->usage, "%s", usage);
    for (int i = 0; i < fs->n; i++)
        if (fs->f[i].type == SS_F_TABLE) {
            char u[256];
            sub_usage(u, sizeof u, t->usage, fs->f[i].name);
            visit(r, fs->f[i].sub, u, depth + 1);
        }
}

static void collect(ref_list *r)
{
    r->n = 0;
    for (int l = 0; l < NLISTS; l++)
        for (const ss_fields *const *p = lists[l]; *p; p++)
            if (!is_sub(*p)) visit(r, *p, (*p)->usage ? (*p)->usage : (*p)->name, 0);
}

/* Is fs t or one of t's sub-tables, at any depth? */
static int within(const ss_fields *t, const ss_fields *fs, int depth)
{
    if (t == fs) return 1;
    if (depth > 8) return 0;
    for (int i = 0; i < t->n; i++)
        if (t->f[i].type == SS_F_TABLE && within(t->f[i].sub, fs, depth + 1)) return 1;
    return 0;
}

int ss_lua_fields_listed(const ss_fields *fs)
{
    for (int l = 0; l < NLISTS; l++)
        for (const ss_fields *const *p = lists[l]; *p; p++)
            if (within(*p, fs, 0)) return 1;
    return 0;
}

/* ---- one field as text ---- */

static const char *const type_words[] = { "size", "duration", "duration", "rate" };

/* What a field takes: "size", "one of \"thick\", \"thin\"", "a number from 0 to 1" ... */
static void type_text(const ss_field *f, char *buf, size_t n)
{
    switch (f->type) {
    case SS_F_SIZE: case SS_F_DURATION: case SS_F_SECONDS: case SS_F_RATE:
        snprintf(buf, n, "%s%s", (f->flags & SS_F_POSITIVE) ? "positive " : "", type_words[f->type]);
        break;
    case SS_F_NUMBER: snprintf(buf, n, "number from %.15g to %.15g", f->lo, f->hi); break;
    case SS_F_INT: snprintf(buf, n, "whole number from %.15g to %.15g", f->lo, f->hi); break;
    case SS_F_BOOL: snprintf(buf, n, "true or false"); break;
    case SS_F_ENUM:
        snprintf(buf, n, "one of");
        for (const char *const *c = f->choices; *c; c++) {
            size_t l = strlen(buf);
            snprintf(buf + l, n - l, " \"%s\"%s", *c, c[1] ? "," : "");
        }
        break;
    case SS_F_STRING: snprintf(buf, n, "string"); break;
    case SS_F_TABLE: snprintf(buf, n, "table (%s)", f->sub->name); break;
    case SS_F_CUSTOM: snprintf(buf, n, "%s", f->type_doc ? f->type_doc : "see the meaning"); break;
    }
}

static const char *default_text(const ss_field *f)
{
    if (f->flags & SS_F_REQUIRED) return "required";
    if (f->dflt) return f->dflt;
    return f->type == SS_F_TABLE ? "see its fields" : "none";
}

static void print_table(FILE *out, const ref_table *t)
{
    fprintf(out, "%s    %s\n", t->fs->name, t->usage);
    for (int i = 0; i < t->fs->n; i++) {
        const ss_field *f = &t->fs->f[i];
        char ty[512];
        type_text(f, ty, sizeof ty);
        fprintf(out, "  %-22s %s; default: %s\n  %-22s %s\n", f->name, ty, default_text(f), "", f->doc);
    }
}

/* ---- functions and events: what the tables do not say ---- */

typedef struct fn_doc { const char *name, *sig, *what; } fn_doc;

static const fn_doc fn_docs[] = {
    { "scenario", "scenario { ... }", "the run's name, duration, seed, sampling period and tick (first, at most once)" },
    { "datastore", "datastore \"NAME\" { ... }", "declare a datastore: its capacity and bandwidth" },
    { "host", "host \"NAME\" { ... }", "declare a host: its version, datastores and clock" },
    { "proxy", "proxy \"NAME\" { ... }", "declare a VCB backup proxy" },
    { "vm", "vm \"NAME\" { ... }", "declare a VM: where it runs, its disks, workload, strategy, clock" },
    { "at", "at(time, fn)", "call fn() at the simulated time (seconds or a duration like \"2h\")" },
    { "after", "after(delay, fn)", "call fn() this long after now" },
    { "every", "every(period, fn [, { start =, stop = }])", "call fn() every period (first at start)" },
    { "on", "on(kind, fn)", "call fn(e) after each event of this kind (snapsim help events)" },
    { "power_on", "power_on(vm)", "power a VM on (a boot: the guest clock may be resynced)" },
    { "power_off", "power_off(vm)", "power a VM off" },
    { "suspend", "suspend(vm)", "suspend a running VM (writes a .vmss of its memory)" },
    { "resume", "resume(vm)", "resume a suspended VM" },
    { "snapshot", "snapshot(vm, name [, { memory =, quiesce = }]) -> ok [, why]",
      "take a snapshot: a new delta on every disk becomes the one written" },
    { "revert", "revert(vm, name)", "go back to a snapshot: what was written since is discarded, a new delta starts" },
    { "delete_snapshot", "delete_snapshot(vm, name [, { strategy =, precheck = }]) -> ok [, why]",
      "delete one snapshot: its delta is merged (consolidated) with the VM's strategy" },
    { "delete_all", "delete_all(vm [, { strategy =, precheck = }]) -> ok [, why]",
      "Delete All: merge every snapshot of the VM into its base disks" },
    { "write", "write(vm, { bytes =, ... }) -> ok [, why]", "the guest writes this much now (or at a rate)" },
    { "set_workload", "set_workload(vm, { ... } or nil)", "replace the VM's workload (nil: stop writing)" },
    { "backup", "backup(vm [, { ... }]) -> job", "submit a VCB backup job through a proxy; returns its number" },
    { "fail_host", "fail_host(host, duration)", "hostd stops answering for that long: the host is not responding" },
    { "convert", "convert(vm or { physical = {...} }, { name =, ... }) -> n",
      "VMware Converter: copy the data to a new VM, powered off at the end; returns its number" },
    { "set_guest_os", "set_guest_os(vm, id)", "set a powered-off VM's guest OS type (the .vmx guestOS)" },
    { "now", "now() -> seconds", "the simulated time since the start" },
    { "day", "day() -> n", "whole days since the start (0 on the first day)" },
    { "snapshots", "snapshots(vm) -> { name, ... }", "the VM's snapshots from the oldest to the current one" },
    { "datastore_state", "datastore_state(name) -> { capacity, used, free, peak_used }", "a datastore's space now, in bytes" },
    { "vm_state", "vm_state(vm) -> { power, stalled, files, ... }", "a VM's state now (docs/language.md lists the fields)" },
    { "host_state", "host_state(host) -> { responding, hostd_memory, restarts, ... }",
      "a host's hostd now and its totals so far" },
    { "record", "record(name, value)", "add a row (now, name, value) to /series/user of the output" },
    { "print", "print(...)", "print, stamped with the simulated time" },
    { "duration_text", "duration_text(seconds) -> text", "a duration as the summary writes it (\"1h0m55s\")" },
};
#define NFN ((int)(sizeof fn_docs / sizeof fn_docs[0]))

typedef struct ev_doc { const char *kind, *what; } ev_doc;

static const ev_doc ev_docs[] = {
    { "power_on", "a VM was powered on" },
    { "power_off", "a VM was powered off" },
    { "suspend", "a VM was suspended" },
    { "resume", "a VM was resumed" },
    { "snapshot_created", "a snapshot was taken (e.bytes: what the datastore's use grew by)" },
    { "snapshot_failed", "a snapshot could not be taken (e.detail: why)" },
    { "revert", "a VM went back to a snapshot" },
    { "consolidation_started", "a deletion started (e.detail: its strategy; e.bytes: the worst case it may need)" },
    { "consolidation_step", "one merge of a deletion ended (e.bytes copied, e.used: the datastore's use)" },
    { "consolidation_done", "a deletion ended (e.bytes_copied, e.peak_extra_bytes, e.duration, e.stun_time)" },
    { "consolidation_failed", "a deletion failed or was refused (e.detail: why)" },
    { "vm_stalled", "a VM's write found its datastore full: its I/O stalls" },
    { "vm_resumed_io", "a stalled VM writes again (e.value: the stall's length, s)" },
    { "datastore_full", "a datastore filled (e.vm: the VM whose write filled it)" },
    { "clock_step", "a guest clock was stepped (e.value: the step, s; e.detail: the cause)" },
    { "backup_started", "a backup job started (e.job, e.proxy)" },
    { "backup_done", "a backup job ended well (e.bytes exported, e.value: its length, s)" },
    { "backup_failed", "a backup job failed (e.phase, e.detail)" },
    { "backup_missed", "a backup job did not start within its window" },
    { "tools_status", "what VirtualCenter shows of VMware Tools changed (e.detail)" },
    { "host_not_responding", "hostd stopped answering (its watchdog restarted it, or fail_host)" },
    { "host_responding", "hostd answers again (e.value: how long it did not, s)" },
    { "operation_failed", "a management operation failed: the host was not responding (e.detail)" },
    { "operation_delayed", "a management operation waits for the host to answer (e.detail)" },
    { "convert_started", "a conversion started (e.vm: the new VM; e.bytes: to copy)" },
    { "convert_done", "a conversion ended: the new VM exists, powered off (e.value: its length, s)" },
    { "convert_failed", "a conversion could not create its VM (e.detail: why)" },
    { "guest_os_changed", "a conversion changed the guest OS type (e.detail: from -> to, the bug)" },
};
#define NEV ((int)(sizeof ev_docs / sizeof ev_docs[0]))

static const luaL_Reg *const fn_lists[] = { ss_lua_declare, ss_lua_schedule, ss_lua_actions, ss_lua_ops,
                                            ss_lua_queries };
#define NFNLISTS ((int)(sizeof fn_lists / sizeof fn_lists[0]))

static const fn_doc *find_fn(const char *name)
{
    for (int i = 0; i < NFN; i++)
        if (strcmp(fn_docs[i].name, name) == 0) return &fn_docs[i];
    return NULL;
}

static int is_function(const char *name)
{
    for (int l = 0; l < NFNLISTS; l++)
        for (const luaL_Reg *r = fn_lists[l]; r->name; r++)
            if (strcmp(r->name, name) == 0) return 1;
    return 0;
}

static void print_fn(FILE *out, const char *name)
{
    const fn_doc *d = find_fn(name);
    if (d) fprintf(out, "  %s\n      %s\n", d->sig, d->what);
    else fprintf(out, "  %s  (undocumented)\n", name);
}

static void print_events(FILE *out)
{
    fputs("on(kind, function(e) ... end): e.t (s), e.kind, e.vm, e.host, e.datastore, e.snapshot,\n"
          "e.bytes, e.value, e.detail, and per kind the fields below (docs/language.md, Events).\n", out);
    for (const char *const *k = ss_lua_event_kinds; *k; k++) {
        const char *what = "(undocumented)";
        for (int i = 0; i < NEV; i++)
            if (strcmp(ev_docs[i].kind, *k) == 0) what = ev_docs[i].what;
        fprintf(out, "  %-22s %s\n", *k, what);
    }
}

static void print_vmx(FILE *out)
{
    fputs("vm \"NAME\" { vmx = { [\".vmx option\"] = value } }: real .vmx names, each the same as a field\n", out);
    const char *path;
    for (int i = 0; ss_lua_vmx_alias(i, &path); i++) {
        const char *name = ss_lua_vmx_alias(i, &path);
        fprintf(out, "  %-42s %s%s\n", name, path ? "vm." : "", path ? path : "(accepted, not modelled)");
    }
}

/* ---- the entry points ---- */

/* The table's name is a prefix of path ("vm.clock" of "vm.clock.drift_ppm")
 * and the rest is one of its fields. */
static const ss_field *field_by_path(const ss_fields *fs, const char *path)
{
    size_t n = strlen(fs->name);
    if (strncmp(path, fs->name, n) != 0 || path[n] != '.') return NULL;
    return ss_fields_find(fs, path + n + 1);
}

int ss_reference_print(FILE *out, const char *topic, ss_error *err)
{
    ref_list r;
    collect(&r);
    if (!topic || strcmp(topic, "fields") == 0) {
        fputs("The fields of every table of the scenario language (docs/language.md explains them\n"
              "with examples). Sizes: \"30GB\" (binary: 1 GB = 2^30 B) or bytes; durations: \"1h30m\"\n"
              "or seconds; rates: \"100MB/s\" or bytes/s.\n\n", out);
        for (int i = 0; i < r.n; i++) {
            print_table(out, &r.t[i]);
            fputs("\n", out);
        }
        return SS_OK;
    }
    if (strcmp(topic, "functions") == 0) {
        for (int l = 0; l < NFNLISTS; l++)
            for (const luaL_Reg *g = fn_lists[l]; g->name; g++) print_fn(out, g->name);
        return SS_OK;
    }
    if (strcmp(topic, "events") == 0) {
        print_events(out);
        return SS_OK;
    }
    if (strcmp(topic, "vmx") == 0) {
        print_vmx(out);
        return SS_OK;
    }
    int shown = 0;
    /* A function: its signature, then its option tables. */
    if (is_function(topic)) {
        print_fn(out, topic);
        shown = 1;
    }
    /* A table by name (and its sub-tables), or the option table of the
     * function (delete_all's is delete_snapshot's). */
    for (int i = 0; i < r.n; i++) {
        const ref_table *t = &r.t[i];
        size_t n = strlen(topic);
        int named = strcmp(t->fs->name, topic) == 0 ||
                    (strncmp(t->fs->name, topic, n) == 0 && t->fs->name[n] == '.');
        const char *u = strstr(t->usage, topic);
        int by_usage = t->depth == 0 && !named && shown && u && u[n] == '(';
        if (named || by_usage) {
            if (shown) fputs("\n", out);
            print_table(out, t);
            shown = 1;
        }
    }
    if (shown) return SS_OK;
    /* A field: by path, or every table that has one of this name. */
    for (int i = 0; i < r.n; i++) {
        const ss_field *f = field_by_path(r.t[i].fs, topic);
        if (!f) f = ss_fields_find(r.t[i].fs, topic);
        if (!f) continue;
        ref_table one = r.t[i];
        ss_fields just = { r.t[i].fs->name, f, 1, NULL };
        one.fs = &just;
        if (shown) fputs("\n", out);
        print_table(out, &one);
        shown = 1;
    }
    if (shown) return SS_OK;
    /* Nothing: the closest topic. */
    const char *names[512];
    int nn = 0;
    static const char *const topics[] = { "fields", "functions", "events", "vmx" };
    for (int i = 0; i < 4; i++) names[nn++] = topics[i];
    for (int l = 0; l < NFNLISTS; l++)
        for (const luaL_Reg *g = fn_lists[l]; g->name && nn < 512; g++) names[nn++] = g->name;
    for (int i = 0; i < r.n; i++) {
        if (nn < 512) names[nn++] = r.t[i].fs->name;
        for (int j = 0; j < r.t[i].fs->n && nn < 512; j++) names[nn++] = r.t[i].fs->f[j].name;
    }
    const char *near = ss_closest_name(topic, names, nn);
    if (near)
        return ss_error_set(err, SS_ERR_USAGE, "help: no topic \"%s\" (did you mean \"%s\"?); try snapsim help fields",
                            topic, near);
    return ss_error_set(err, SS_ERR_USAGE,
                        "help: no topic \"%s\": give fields, functions, events, vmx, a table (vm, vm.disk, "
                        "workload, backup, ...), a function or a field name",
                        topic);
}

/* Markdown cells: a | would end the cell. */
static void md_cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|') fputs("\\|", out);
        else fputc(*s, out);
    }
}

void ss_reference_markdown(FILE *out)
{
    ref_list r;
    collect(&r);
    fputs("<!-- Generated by `snapsim help fields --markdown` from the tables the validator uses\n"
          "     (sim/lua/reference.c); tests/check_language.py checks this section against them. -->\n", out);
    for (int i = 0; i < r.n; i++) {
        const ref_table *t = &r.t[i];
        fprintf(out, "\n### `%s`\n\n`", t->fs->name);
        md_cell(out, t->usage);
        fputs("`\n\n| field | type | default | meaning |\n|---|---|---|---|\n", out);
        for (int j = 0; j < t->fs->n; j++) {
            const ss_field *f = &t->fs->f[j];
            char ty[512];
            type_text(f, ty, sizeof ty);
            fprintf(out, "| `%s` | ", f->name);
            md_cell(out, ty);
            fputs(" | ", out);
            md_cell(out, default_text(f));
            fputs(" | ", out);
            md_cell(out, f->doc);
            fputs(" |\n", out);
        }
    }
    fputs("\n### `vmx` aliases\n\n`vm \"NAME\" { vmx = { [\".vmx option\"] = value } }`\n\n"
          "| .vmx option | the field it sets |\n|---|---|\n", out);
    const char *path;
    for (int i = 0; ss_lua_vmx_alias(i, &path); i++) {
        const char *name = ss_lua_vmx_alias(i, &path);
        if (path) fprintf(out, "| `%s` | `vm.%s` |\n", name, path);
        else fprintf(out, "| `%s` | accepted, not modelled |\n", name);
    }
}

void ss_reference_names(FILE *out)
{
    ref_list r;
    collect(&r);
    for (int i = 0; i < r.n; i++) {
        fprintf(out, "table %s\n", r.t[i].fs->name);
        for (int j = 0; j < r.t[i].fs->n; j++) fprintf(out, "field %s.%s\n", r.t[i].fs->name, r.t[i].fs->f[j].name);
    }
    for (int l = 0; l < NFNLISTS; l++)
        for (const luaL_Reg *g = fn_lists[l]; g->name; g++)
            fprintf(out, "function %s%s\n", g->name, find_fn(g->name) ? "" : " (undocumented)");
    for (const char *const *k = ss_lua_event_kinds; *k; k++) {
        int doc = 0;
        for (int i = 0; i < NEV; i++) doc |= strcmp(ev_docs[i].kind, *k) == 0;
        fprintf(out, "event %s%s\n", *k, doc ? "" : " (undocumented)");
    }
    const char *path;
    for (int i = 0; ss_lua_vmx_alias(i, &path); i++) fprintf(out, "vmx %s\n", ss_lua_vmx_alias(i, &path));
}
