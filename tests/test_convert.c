/*
 * test_convert.c -- VMware Converter (SPEC §2.6, docs/model.md
 * "Converter") through real Lua scenarios run in-process: the copy's time
 * (alone and sharing its datastore), V2V cold and hot (as of the
 * snapshot), P2V, the guest OS type with and without bug PR#142831, the
 * seed's fix with set_guest_os (refused while the VM runs), a conversion
 * while hostd does not respond, and bad input.
 *
 * Expected figures are derived here: X bytes copied at rate R take X / R;
 * several flows on one datastore of bandwidth B share it max-min fairly.
 * Times are integer ns: 1e-6 s covers rounding.
 */
#include "simtest.h"

#define TOL 1e-6
#define GIB 1073741824.0  /* bytes, as a double */

#define PRE(dur)                                                                                       \
    "scenario { name = 'cv', duration = '" dur "', seed = 5 }\n"                                       \
    "EV = {}\n"                                                                                        \
    "for _, k in ipairs { 'convert_started', 'convert_done', 'convert_failed', 'guest_os_changed',\n"   \
    "                     'power_on', 'operation_failed' } do\n"                                       \
    "  on(k, function(e) EV[k] = EV[k] or {}; table.insert(EV[k], e) end)\n"                           \
    "end\n"                                                                                            \
    "function n(k) return EV[k] and #EV[k] or 0 end\n"                                                 \
    "function ev(k, vm) for _, e in ipairs(EV[k] or {}) do if e.vm == vm then return e end end end\n"

static ss_sim *run(const char *name, const char *src) { return st_run_ok(name, src, NULL); }

/* V2V of a VM that is off with 10 GiB of data, alone, at 20 MiB/s:
 * 10240 / 20 = 512 s, from 100 s.  P2V of a machine with disks of 20 and
 * 30 GiB holding 25 GiB (the first disk full, 5 GiB on the second) at
 * 50 MiB/s: 25600 / 50 = 512 s from 1000 s; its new disks are thick: the
 * datastore gains 50 GiB.  Two conversions of 10 GiB each at 20 MiB/s on
 * a 30 MiB/s datastore share it: 15 MiB/s each, 10240 / 15 = 682.67 s. */
static void t_copy_time(void)
{
    const char *src = PRE("3h")
        "datastore 'ds' { capacity = '300GB', bandwidth = '100MB/s' }\n"
        "datastore 'slow' { capacity = '300GB', bandwidth = '30MB/s' }\n"
        "host 'h' {}\n"
        "vm 'src' { datastore = 'ds', power = 'off',\n"
        "           disk = { size = '40GB', provisioning = 'thin', used = '10GB', format = 'ideal' } }\n"
        "at(100, function() J = convert('src', { name = 'v2v', bandwidth = '20MB/s' }) end)\n"
        "at(999, function() U0 = datastore_state('ds').used end)\n"
        "at(1000, function() convert({ physical = { disks = { '20GB', { size = '30GB' } }, used = '25GB' } },\n"
        "                            { name = 'p2v', datastore = 'ds', bandwidth = '50MB/s' }) end)\n"
        "at(1600, function() U1 = datastore_state('ds').used end)\n"
        "at(2000, function()\n"
        "  convert('src', { name = 'a', datastore = 'slow' })\n"
        "  convert('src', { name = 'b', datastore = 'slow' })\n"
        "end)\n";
    ss_sim *sim = run("copy.lua", src);
    if (!sim) return;
    CHECK_EQ_I(st_num(sim, "J"), 1);
    CHECK_NEAR(st_num(sim, "ev('convert_started', 'v2v').t"), 100, TOL);
    CHECK_NEAR(st_num(sim, "ev('convert_done', 'v2v').t"), 612, TOL);
    CHECK_NEAR(st_num(sim, "ev('convert_done', 'v2v').value"), 512, TOL);
    CHECK_EQ_U(st_num(sim, "ev('convert_done', 'v2v').bytes"), 10 * GIB);
    CHECK_NEAR(st_num(sim, "ev('convert_done', 'p2v').t"), 1512, TOL);
    CHECK_EQ_U(st_num(sim, "ev('convert_done', 'p2v').bytes"), 25 * GIB);
    CHECK_EQ_U(st_num(sim, "U1 - U0"), 50 * GIB);
    CHECK_NEAR(st_num(sim, "ev('convert_done', 'a').t"), 2000 + 10240.0 / 15, 1e-3);
    CHECK_NEAR(st_num(sim, "ev('convert_done', 'b').t"), 2000 + 10240.0 / 15, 1e-3);
    /* The new VMs exist, powered off, with the data: the V2V copy's thin
     * base holds 10 GiB (the source was thin). */
    CHECK_EQ_I(st_num(sim, "vm_state('v2v').power == 'off' and 1 or 0"), 1);
    CHECK_EQ_U(st_num(sim, "vm_state('v2v').files[1].allocated"), 10 * GIB);
    CHECK_EQ_I(st_num(sim, "#vm_state('p2v').files"), 2);
    ss_sim_free(sim);
}

/* A hot V2V copies the disks as of the VM's newest snapshot: 4 GiB at the
 * snapshot, 1 GiB written after it is not copied.  A running VM without a
 * snapshot is refused. */
static void t_hot_v2v(void)
{
    const char *src = PRE("1h")
        "datastore 'ds' { capacity = '300GB', bandwidth = '100MB/s' }\n"
        "host 'h' {}\n"
        "vm 'src' { disk = { size = '40GB', provisioning = 'thin', used = '4GB', format = 'ideal' } }\n"
        "at(5, function() R1, R2 = pcall(convert, 'src', { name = 'x' }) end)\n"
        "at(10, function() snapshot('src', 's'); write('src', { bytes = '1GB', offset = '8GB' }) end)\n"
        "at(20, function() convert('src', { name = 'hot', bandwidth = '40MB/s' }) end)\n";
    char buf[512];
    ss_sim *sim = run("hot.lua", src);
    if (!sim) return;
    CHECK_EQ_I(st_num(sim, "R1 and 1 or 0"), 0);
    CHECK_CONTAINS(st_str(sim, "R2", buf, sizeof buf), "take a snapshot first");
    CHECK_EQ_U(st_num(sim, "ev('convert_done', 'hot').bytes"), 4 * GIB);
    CHECK_NEAR(st_num(sim, "ev('convert_done', 'hot').t"), 20 + 4096.0 / 40, TOL);
    ss_sim_free(sim);
}

/* Converter 3.0's bug PR#142831: win2000serv arrives as win2000advserv
 * (guest_os_changed); 4.0 keeps it; 3.0 keeps winnetstandard.  The seed's
 * fix: set_guest_os on the running VM is refused ("shut it down first");
 * power off, set_guest_os, power on: it runs as win2000serv. */
static void t_guest_os(void)
{
    const char *src = PRE("2h")
        "datastore 'ds' { capacity = '300GB', bandwidth = '100MB/s' }\n"
        "host 'h' {}\n"
        "vm 'w2k' { power = 'off', guest_os = 'win2000serv', disk = { size = '4GB', used = '1GB' } }\n"
        "vm 'w3k' { power = 'off', guest_os = 'winnetstandard', disk = { size = '4GB', used = '1GB' } }\n"
        "at(0, function()\n"
        "  convert('w2k', { name = 'c3', converter = '3.0' })\n"
        "  convert('w2k', { name = 'c4', converter = '4.0' })\n"
        "  convert('w3k', { name = 'n3', converter = '3.0' })\n"
        "end)\n"
        "at(1000, function()\n"
        "  OS3, OS4, OSN = vm_state('c3').guest_os, vm_state('c4').guest_os, vm_state('n3').guest_os\n"
        "  power_on('c3')\n"
        "  F1, F2 = pcall(set_guest_os, 'c3', 'win2000serv')\n"
        "  AFTER_REFUSAL = vm_state('c3').guest_os\n"
        "  power_off('c3'); set_guest_os('c3', 'win2000serv'); power_on('c3')\n"
        "  FIXED = vm_state('c3').guest_os; FIXED_POWER = vm_state('c3').power\n"
        "end)\n";
    char buf[512];
    ss_sim *sim = run("os.lua", src);
    if (!sim) return;
    CHECK_STR(st_str(sim, "OS3", buf, sizeof buf), "win2000advserv");
    CHECK_STR(st_str(sim, "OS4", buf, sizeof buf), "win2000serv");
    CHECK_STR(st_str(sim, "OSN", buf, sizeof buf), "winnetstandard");
    CHECK_EQ_I(st_num(sim, "n('guest_os_changed')"), 1);
    CHECK_STR(st_str(sim, "EV.guest_os_changed[1].vm", buf, sizeof buf), "c3");
    CHECK_CONTAINS(st_str(sim, "EV.guest_os_changed[1].detail", buf, sizeof buf), "PR#142831");
    CHECK_EQ_I(st_num(sim, "F1 and 1 or 0"), 0);
    CHECK_CONTAINS(st_str(sim, "F2", buf, sizeof buf), "shut it down first");
    CHECK_STR(st_str(sim, "AFTER_REFUSAL", buf, sizeof buf), "win2000advserv");
    CHECK_STR(st_str(sim, "FIXED", buf, sizeof buf), "win2000serv");
    CHECK_STR(st_str(sim, "FIXED_POWER", buf, sizeof buf), "on");
    ss_sim_free(sim);
}

/* A conversion is a hostd operation of its target host: during
 * fail_host it fails (false and the reason), after it it runs. */
static void t_convert_hostd(void)
{
    const char *src = PRE("1h")
        "datastore 'ds' { capacity = '300GB', bandwidth = '100MB/s' }\n"
        "host 'h' {}\n"
        "vm 'src' { power = 'off', disk = { size = '4GB', used = '1GB' } }\n"
        "at(10, function() fail_host('h', '5m') end)\n"
        "at(20, function() C1, C2 = convert('src', { name = 'x' }) end)\n"
        "at(400, function() C3 = convert('src', { name = 'y' }) end)\n";
    char buf[512];
    ss_sim *sim = run("hd.lua", src);
    if (!sim) return;
    CHECK_EQ_I(st_num(sim, "C1 == false and 1 or 0"), 1);
    CHECK_CONTAINS(st_str(sim, "C2", buf, sizeof buf), "convert of vm x failed");
    CHECK_EQ_I(st_num(sim, "C3"), 1);
    CHECK_EQ_I(st_num(sim, "n('convert_done')"), 1);
    CHECK_EQ_I(st_num(sim, "host_state('h').ops"), 1);
    ss_sim_free(sim);
}

/* Bad input: file:line and the field (PRE is 8 lines, the datastore and
 * host line 9 and 10). */
static void t_bad_convert(void)
{
    const st_bad cases[] = {
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\nhost 'h' {}\n"
                    "at(1, function() convert({ physical = { disks = { '2GB' }, guest_os = 'win3000' } }, { name = 'x' }) end)\n",
          "bad.lua:11:", "source.physical.guest_os", "win2000serv" },
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\nhost 'h' {}\n"
                    "vm 'v' { power = 'off', disk = { size = '1GB' } }\n"
                    "at(1, function() set_guest_os('v', 'win2000server') end)\n",
          "bad.lua:12:", "guest_os", "win2000advserv" },
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\nhost 'h' {}\n"
                    "vm 'v' { power = 'off', disk = { size = '1GB' } }\n"
                    "at(1, function() convert('v', { name = 'x', converter = '5.0' }) end)\n",
          "bad.lua:12:", "options.converter", "3.0, 4.0" },
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\nhost 'h' {}\n"
                    "vm 'v' { power = 'off', disk = { size = '1GB' } }\n"
                    "at(1, function() convert('v', { name = 'v' }) end)\n",
          "bad.lua:12:", "options.name", "exists" },
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\nhost 'h' {}\n"
                    "vm 'v' { power = 'off', disk = { size = '2GB', used = '1GB' } }\n"
                    "at(1, function() convert('v', { name = 'x', disk = { size = '512MB' } }) end)\n",
          "bad.lua:12:", "options.disk.size", "at least" },
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\nhost 'h' {}\n"
                    "vm 'v' { power = 'off', disk = { size = '1GB' } }\n"
                    "at(1, function() convert('v', { nmae = 'x' }) end)\n",
          "bad.lua:12:", "nmae", "name" },
        { PRE("1h") "datastore 'ds' { capacity = '10GB' }\nhost 'h' {}\n"
                    "at(1, function() convert({ physical = { disks = { '2GB' }, used = '3GB' } }, { name = 'x' }) end)\n",
          "bad.lua:11:", "source.physical.used", "at most" },
    };
    st_expect_input_errors(cases, sizeof cases / sizeof cases[0]);
}

static const struct tl_test tl_tests[] = {
    TL(t_copy_time), TL(t_hot_v2v), TL(t_guest_os), TL(t_convert_hostd), TL(t_bad_convert), { 0, 0 },
};

int main(int argc, char **argv) { return tl_main(tl_tests, argc, argv); }
