/*
 * binding.h -- what the files of the scenario binding share (script.h
 * lists them): the script's state and the registration of its functions.
 */
#ifndef SNAPSIM_LUA_BINDING_H
#define SNAPSIM_LUA_BINDING_H

#include <lauxlib.h>
#include <lua.h>

#include "lua/fields.h"
#include "lua/script.h"
#include "model/vm.h"
#include "snapsim/limits.h"

/* A scheduled Lua callback: at/after (period 0) or every. */
typedef struct ss_callback {
    int ref;                  /* registry reference of the function */
    ss_time period, stop;     /* every(): period and last allowed time */
} ss_callback;

struct pending_ev;

struct ss_script {
    lua_State *L;
    ss_world *w;
    ss_scenario *sc;
    ss_script_hooks hooks;
    FILE *outf;               /* print() */
    int loading;              /* the top level is running */
    ss_callback *cbs;
    int ncbs;
    struct pending_ev *pending;   /* events waiting for their on() handlers */
    int failed;
    ss_error err;
    /* bounded work (call.c): `work` counts the Lua instructions of the
     * current entry (top level, callback, handler, finalizers at close) in
     * steps of the hook's count; past sc->lua_limit, or when the run's poll
     * says stop, `killed` is set with its message in kill_msg, and every
     * instruction from then on raises it again, so no pcall in the script
     * can swallow it */
    uint64_t work;
    unsigned polls;
    int killed;
    char kill_msg[512];
    char entry[200];          /* what is running: "the scenario's top level", "the callback defined at x.lua:3" */
};

#define SS_HANDLERS_KEY "snapsim.handlers"

/* The script of a registered function (its first upvalue). */
static inline ss_script *ss_script_of(lua_State *L)
{
    return (ss_script *)lua_touserdata(L, lua_upvalueindex(1));
}

/* Each file's functions, registered as globals by sandbox.c. */
extern const luaL_Reg ss_lua_declare[], ss_lua_schedule[], ss_lua_actions[], ss_lua_ops[], ss_lua_queries[];
/* Each file's field tables (NULL-terminated; sub-tables need not be
 * listed), which reference.c shows and ss_fields_parse accepts. */
extern const ss_fields *const ss_lua_decl_fields[], *const ss_lua_schedule_fields[], *const ss_lua_action_fields[],
    *const ss_lua_op_fields[];
/* schedule.c: the event kinds on() accepts (NULL-terminated). */
extern const char *const ss_lua_event_kinds[];
/* vmx.c: the i-th .vmx alias (NULL past the last) and, in *path, the field
 * it sets (NULL: accepted, not modelled). */
const char *ss_lua_vmx_alias(int i, const char **path);

/* call.c: call the function below nargs arguments on the stack, with
 * file:line added to errors; an error stops the run.  ss_lua_msgh is the
 * message handler that adds file:line. */
void ss_lua_call(ss_script *s, int nargs);
int ss_lua_msgh(lua_State *L);
/* call.c: install the count hook on s->L; start an entry (reset the count,
 * name it in messages); the message of a killed entry, or NULL. */
void ss_lua_hook_install(ss_script *s);
void ss_lua_entry(ss_script *s, const char *what);
/* schedule.c */
int ss_lua_has_handler(ss_script *s, const char *kind);
void ss_lua_free_pending(ss_script *s);
/* declare.c: parse and validate a workload table at t (vm{} and
 * set_workload()) for the VM `vm` with these disks: fills p, the disk
 * written and the stream name; raises on error, allocates nothing. */
void ss_lua_workload(vctx *c, int t, const char *prefix, const char *vm, const ss_disk *disks, int ndisks,
                     ss_workload_params *p, int *disk, char *stream, size_t n);
/* vmx.c: apply the VM table's vmx = { [".vmx name"] = value } (at t) onto
 * the fields fs of target, as if each aliased field had been written;
 * raises on unknown names and on options given twice. */
void ss_lua_vmx(vctx *c, int t, const ss_fields *fs, void *target);
/* declare.c: a guest OS identifier at t[key] (already read into id):
 * raises, naming the field, if VMware has no such identifier. */
const ss_guest_os *ss_lua_guest_os(vctx *c, int t, const char *prefix, const char *key, const char *id);
/* gate.c: management operation `op` (on vm, may be NULL) through host h's
 * hostd, called by an action with its nargs arguments still at the bottom
 * of the stack, once they are validated.  Returns 1: go ahead, then call
 * ss_lua_hostd_done when the model did it.  0: the host does not respond;
 * the action returns the *nret values pushed (false/nil and the reason). */
int ss_lua_hostd_gate(lua_State *L, ss_script *s, struct ss_host *h, const char *op, const char *vm, int nargs,
                      int *nret);
void ss_lua_hostd_done(ss_script *s, struct ss_host *h);
/* The VM named by argument idx of an action or query (raises if unknown). */
ss_vm *ss_lua_arg_vm(lua_State *L, ss_script *s, int idx, const char *fn);

#endif
