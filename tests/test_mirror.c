/*
 * test_mirror.c -- the QEMU jobs' files and the mirrored merge (issue 10,
 * items 6 and 3; docs/model.md, "Deleting snapshots" and "Mirror"):
 * block-stream and block-commit leave their files on the datastore unless
 * the commit is given delete = true; a mirrored merge's copy moves through
 * the disk in offset order and mirrors a guest write only behind it
 * (selective), never (background: dirty grains are copied again) or always
 * (write-blocking).  Expected numbers are derived in the comments; MiB =
 * 2^20 B, B = the datastore's bandwidth.
 */
#include "model/vm.h"
#include "simtest.h"

static ss_sim *run_src(const char *name, const char *src)
{
    ss_error err = { 0, "" };
    ss_sim *sim = st_run(name, src, NULL, &err);
    if (!sim) {
        fprintf(stderr, "%s: %s\n", name, err.msg);
        tl_failures++;
    }
    return sim;
}

/* ---- item 6: QEMU jobs keep their files ---- */

/* One chain per VM, VM off, 'ideal' format (4 KiB grains, sizes = data),
 * thin base; in GiB of the disk's address space:
 *   base [0, 2)   D1 [1.5, 2.5)   D2 (top) [2, 5)     used = 2 + 1 + 3 = 6
 * (a) qemu_stream (Delete All): the top pulls [0, 2) and grows to 5 GiB;
 *     "the streamed file itself won't be removed by QEMU": D1 (1 GiB) and the
 *     base (2 GiB) stay, out of the chain, in the order streamed (D1, then
 *     the base): kept_bytes = 3 GiB, used = 3 + 5 = 8 GiB, and still 8 GiB at
 *     the end of the run (nothing frees them).
 * (b) qemu_commit without delete: the base grows by [2, 5) to 5 GiB; "the
 *     committed file ... won't be removed by QEMU": D2 then D1 (top down)
 *     stay: kept_bytes = 4 GiB, used = 5 + 4 = 9 GiB.
 * (c) qemu_commit with delete = true (libvirt's blockcommit --delete):
 *     the overlays go: used = 5 GiB, one file, nothing kept.
 * (d) A second Delete All after (a), on a new snapshot: the kept files are
 *     no branch of the tree: they stay (a branch's files would be released).
 * The invariants (no orphan delta; kept files in no chain) are checked at
 * the end of every run by st_run. */
static void t_qemu_keeps_files(void)
{
    const char *src =
        "scenario { name = 'keep', duration = '1h', seed = 1 }\n"
        "for _, n in ipairs({ 'a', 'b', 'c' }) do\n"
        "  datastore ('ds' .. n) { capacity = '100GB', bandwidth = '100MB/s' }\n"
        "end\n"
        "host 'h' {}\n"
        "for _, n in ipairs({ 'a', 'b', 'c' }) do\n"
        "  vm (n) { host = 'h', datastore = 'ds' .. n, power = 'on',\n"
        "           disk = { size = '20GB', provisioning = 'thin', format = 'ideal' } }\n"
        "end\n"
        "GB = 2^30; D = {}; F = {}; U = {}\n"
        "local function build(v)\n"
        "  write(v, {offset = 0, bytes = 2*GB}); snapshot(v, 's1')\n"
        "  write(v, {offset = 1.5*GB, bytes = 1*GB}); snapshot(v, 's2')\n"
        "  write(v, {offset = 2*GB, bytes = 3*GB}); power_off(v)\n"
        "end\n"
        "at(0, function()\n"
        "  build('a'); build('b'); build('c')\n"
        "  delete_all('a', {strategy = 'qemu_stream'})\n"
        "  delete_all('b', {strategy = 'qemu_commit'})\n"
        "  delete_all('c', {strategy = 'qemu_commit', delete = true})\n"
        "end)\n"
        "on('consolidation_done', function(e)\n"
        "  if D[e.vm] then D2 = e; return end\n"
        "  D[e.vm] = e; F[e.vm] = vm_state(e.vm).files; U[e.vm] = datastore_state('ds' .. e.vm).used\n"
        "end)\n"
        "at('10m', function()\n"
        "  power_on('a'); snapshot('a', 's3'); write('a', {offset = 0, bytes = 1*GB}); power_off('a')\n"
        "  delete_all('a', {strategy = 'qemu_stream'})\n"
        "end)\n"
        "at('50m', function() FA = vm_state('a').files; UA = datastore_state('dsa').used end)\n";
    ss_sim *sim = run_src("keep.lua", src);
    if (!sim) return;
    char b[256];
    /* (a) block-stream */
    CHECK_EQ_I(st_num(sim, "#F.a"), 3);
    CHECK_STR(st_str(sim, "D.a.kept_files", b, sizeof b), "a-000001-delta.vmdk, a-flat.vmdk");
    CHECK_EQ_U(st_num(sim, "D.a.kept_bytes"), 3 * GiB);
    CHECK_CONTAINS(st_str(sim, "D.a.detail", b, sizeof b), "kept on the datastore: a-000001-delta.vmdk, a-flat.vmdk");
    CHECK_STR(st_str(sim, "F.a[1].name", b, sizeof b), "a-flat.vmdk");
    CHECK_EQ_U(st_num(sim, "F.a[1].size"), 2 * GiB);
    CHECK_EQ_U(st_num(sim, "F.a[2].size"), 1 * GiB);
    CHECK_EQ_I(st_num(sim, "(F.a[1].kept and F.a[2].kept and not F.a[3].kept) and 1 or 0"), 1);
    CHECK_EQ_I(st_num(sim, "(F.a[1].parent == nil and F.a[2].parent == nil and F.a[3].parent == nil) and 1 or 0"), 1);
    CHECK_EQ_U(st_num(sim, "F.a[3].size"), 5 * GiB);
    CHECK_EQ_U(st_num(sim, "U.a"), 8 * GiB);
    /* (b) block-commit, no delete */
    CHECK_EQ_I(st_num(sim, "#F.b"), 3);
    CHECK_STR(st_str(sim, "D.b.kept_files", b, sizeof b), "b-000002-delta.vmdk, b-000001-delta.vmdk");
    CHECK_EQ_U(st_num(sim, "D.b.kept_bytes"), 4 * GiB);
    CHECK_EQ_U(st_num(sim, "F.b[1].size"), 5 * GiB);
    CHECK_EQ_I(st_num(sim, "(not F.b[1].kept and F.b[2].kept and F.b[3].kept) and 1 or 0"), 1);
    CHECK_EQ_U(st_num(sim, "U.b"), 9 * GiB);
    /* (c) block-commit --delete */
    CHECK_EQ_I(st_num(sim, "#F.c"), 1);
    CHECK_STR(st_str(sim, "D.c.kept_files", b, sizeof b), "");
    CHECK_EQ_U(st_num(sim, "D.c.kept_bytes"), 0);
    CHECK_EQ_U(st_num(sim, "U.c"), 5 * GiB);
    /* (d) the second stream: the new delta (1 GiB, [0, 1)) over the 5 GiB
     * image; streaming pulls [1, 5) = 4 GiB into it (5 GiB), and keeps the
     * old image: kept 5 GiB more; the first job's two files are still there:
     * four files, 2 + 1 + 5 + 5 GiB. */
    CHECK_EQ_I(st_num(sim, "#FA"), 4);
    CHECK_EQ_I(st_num(sim, "(FA[1].kept and FA[2].kept and FA[3].kept and not FA[4].kept) and 1 or 0"), 1);
    CHECK_STR(st_str(sim, "D2.kept_files", b, sizeof b), "a-000002-delta.vmdk");
    CHECK_EQ_U(st_num(sim, "D2.kept_bytes"), 5 * GiB);
    CHECK_EQ_U(st_num(sim, "UA"), (2 + 1 + 5 + 5) * GiB);
    ss_sim_free(sim);
}

/* The option is checked: delete is qemu_commit's. */
static void t_delete_options_bad(void)
{
    static const struct { const char *opts, *msg; } cases[] = {
        { "{strategy = 'qemu_stream', delete = true}", "options.delete: only for qemu_commit" },
        { "{strategy = 'vsphere41', delete = true}", "options.delete: only for qemu_commit" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char src[1024];
        snprintf(src, sizeof src,
                 "scenario { name = 'bad', duration = '1h', seed = 1 }\n"
                 "datastore 'ds' { capacity = '100GB' }\n"
                 "host 'h' {}\n"
                 "vm 'v' { host = 'h', power = 'on', disk = { size = '10GB', format = 'ideal' } }\n"
                 "at(0, function() snapshot('v', 's'); delete_all('v', %s) end)\n",
                 cases[i].opts);
        ss_error err = { 0, "" };
        ss_sim *sim = st_run("bad.lua", src, NULL, &err);
        CHECK(sim == NULL);
        if (sim) ss_sim_free(sim);
        CHECK_CONTAINS(err.msg, cases[i].msg);
        CHECK_CONTAINS(err.msg, "bad.lua:5");
    }
}

static const struct tl_test tests[] = {
    TL(t_qemu_keeps_files),
    TL(t_delete_options_bad),
    { NULL, NULL },
};

int main(int argc, char **argv) { return tl_main(tests, argc, argv); }
