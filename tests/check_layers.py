#!/usr/bin/python3
"""check_layers.py -- the include arrows of sim/ point down (docs/architecture.md).

Usage: check_layers.py [SOURCE_DIR]      check the tree (default: this file's ../)
       check_layers.py --self-test       check that the checker catches violations

Layers, bottom to top: engine < model < lua, output < run < main.c.  A file
may include headers of its own layer or of a lower one; lua and output,
side by side, never include each other; main.c uses only the public headers
(include/snapsim/).  A public header belongs to the layer of the .c file
that implements it (include/snapsim/clock.h -> sim/model/clock.c).  Inside
the model, every file has a rank (MODEL_RANKS below, the order written in
docs/architecture.md) and includes only headers of its rank or lower.  The
engine and the model include neither Lua nor HDF5; the binding no HDF5, the
output no Lua.  Exit status 0 when every arrow points down, 1 otherwise
(each violation printed as file:line).
"""
import os
import re
import shutil
import sys
import tempfile

LAYERS = {"engine": 0, "model": 1, "lua": 2, "output": 2, "run": 3, "main": 4}

# The model's modules, bottom to top.  A new model file must be given a
# rank here (and in docs/architecture.md).
MODEL_RANKS = {
    # 0: data tables, pure algorithms, the world's context
    "emit.h": 0, "world.h": 0, "format.c": 0, "grainset.c": 0, "workload.c": 0, "clock.c": 0,
    "strategy.h": 0, "strategy.c": 0, "version.h": 0, "version.c": 0, "guestos.h": 0, "guestos.c": 0,
    "occupancy.h": 0, "occupancy.c": 0, "zones.h": 0, "zones.c": 0,
    # 1: space and bandwidth; hosts; backup proxies
    "datastore.h": 1, "datastore.c": 1, "share.h": 1, "share.c": 1, "host.h": 1, "host.c": 1,
    "proxy.h": 1, "proxy.c": 1,
    # 2: a disk's files
    "content.h": 2, "content.c": 2, "chain.h": 2, "chain.c": 2,
    # 3: a VM, as data
    "vm.h": 3, "vm.c": 3,
    # 4: what a guest does: its writes, its clock, VMware Tools
    "guest_io.h": 4, "guest_io.c": 4, "stat_io.h": 4, "stat_io.c": 4, "timesync.h": 4, "timesync.c": 4, "tools.h": 4, "tools.c": 4,
    # 5: explicit writes; power states; quiescing
    "write.h": 5, "write.c": 5, "power.h": 5, "power.c": 5, "quiesce.h": 5, "quiesce.c": 5,
    # 6: the snapshot tree
    "snapshot.h": 6, "snapshot.c": 6,
    # 7-10: deleting snapshots: the job, one merge, the helper loop, the plan
    "job.h": 7, "job.c": 7, "merge.h": 8, "merge.c": 8, "helper.h": 9, "helper.c": 9,
    "delete.h": 10, "delete.c": 10,
    # 11: VCB backup jobs, Converter conversions
    "backup.h": 11, "backup.c": 11, "convert.h": 11, "convert.c": 11,
    # 12: everything declared, as a whole
    "fleet.h": 12, "fleet.c": 12,
}

FORBIDDEN_SYSTEM = {
    "engine": ("lua", "lauxlib", "lualib", "hdf5", "H5"),
    "model": ("lua", "lauxlib", "lualib", "hdf5", "H5"),
    "lua": ("hdf5", "H5"),
    "output": ("lua", "lauxlib", "lualib"),
}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def sources(root):
    """(path relative to root, layer) of every file the check covers."""
    out = []
    sim = os.path.join(root, "sim")
    for layer in sorted(LAYERS):
        d = os.path.join(sim, layer)
        if os.path.isdir(d):
            for f in sorted(os.listdir(d)):
                if f.endswith((".c", ".h")):
                    out.append((os.path.join("sim", layer, f), layer))
    if os.path.exists(os.path.join(sim, "main.c")):
        out.append((os.path.join("sim", "main.c"), "main"))
    inc = os.path.join(root, "include", "snapsim")
    if os.path.isdir(inc):
        for f in sorted(os.listdir(inc)):
            if f.endswith(".h"):
                out.append((os.path.join("include", "snapsim", f), None))
    return out


def public_layer(root, header):
    """The layer of include/snapsim/<header>: where its .c lives."""
    stem = os.path.splitext(os.path.basename(header))[0]
    for layer in LAYERS:
        if os.path.exists(os.path.join(root, "sim", layer, stem + ".c")):
            return layer
    return None


def check(root):
    problems = []
    for rel, layer in sources(root):
        is_public = layer is None
        if is_public:
            layer = public_layer(root, rel)
            if layer is None:
                problems.append("%s:1: public header with no sim/<layer>/%s.c implementing it"
                                % (rel, os.path.splitext(os.path.basename(rel))[0]))
                continue
        rank = LAYERS[layer]
        name = os.path.basename(rel)
        mrank = None
        if layer == "model" and not is_public:
            if name not in MODEL_RANKS:
                problems.append("%s:1: model file without a rank in tests/check_layers.py MODEL_RANKS" % rel)
                continue
            mrank = MODEL_RANKS[name]
        with open(os.path.join(root, rel), encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                kind, target = m.groups()
                where = "%s:%d" % (rel, lineno)
                if kind == "<":
                    for bad in FORBIDDEN_SYSTEM.get(layer, ()):
                        if target.startswith(bad):
                            problems.append("%s: the %s layer includes <%s>" % (where, layer, target))
                    continue
                if target.startswith("snapsim/"):
                    tl = public_layer(root, target)
                    if tl is None:
                        problems.append("%s: unknown public header %s" % (where, target))
                        continue
                    tname = os.path.basename(target).replace(".h", ".c")
                else:
                    parts = target.split("/")
                    if len(parts) != 2 or parts[0] not in LAYERS:
                        problems.append('%s: include "%s" is not "<layer>/<file>.h" or "snapsim/<file>.h"'
                                        % (where, target))
                        continue
                    if layer == "main":
                        problems.append('%s: main.c includes "%s": the CLI uses only include/snapsim/' % (where, target))
                        continue
                    tl, tname = parts
                if tl == layer:
                    if mrank is not None:
                        tr = MODEL_RANKS.get(tname)
                        if tr is None:
                            problems.append("%s: %s has no rank in MODEL_RANKS" % (where, target))
                        elif tr > mrank:
                            problems.append("%s: %s (model rank %d) includes %s (rank %d): an arrow up"
                                            % (where, name, mrank, target, tr))
                    continue
                if LAYERS[tl] >= rank:
                    problems.append("%s: the %s layer includes %s of the %s layer: an arrow %s"
                                    % (where, layer, target, tl, "up" if LAYERS[tl] > rank else "sideways"))
    return problems


def self_test():
    """The checker must fail on each kind of violation."""
    here = os.path.dirname(os.path.abspath(__file__))
    real = os.path.dirname(here)
    cases = [
        ("sim/model/datastore.c", '#include "model/vm.h"\n'),          # model rank up
        ("sim/model/chain.c", '#include "lua/script.h"\n'),            # layer up
        ("sim/engine/engine.c", "#include <lua.h>\n"),                  # Lua below the binding
        ("sim/lua/actions.c", '#include "output/record.h"\n'),         # sideways
        ("sim/output/record.c", '#include "run/nothing.h"\n'),         # up
        ("sim/main.c", '#include "model/world.h"\n'),                  # CLI past the API
        ("include/snapsim/format.h", '#include "snapsim/sim.h"\n'),    # public header up
    ]
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for rel, line in cases:
            root = os.path.join(tmp, "t")
            shutil.copytree(os.path.join(real, "sim"), os.path.join(root, "sim"))
            shutil.copytree(os.path.join(real, "include"), os.path.join(root, "include"))
            if check(root):
                print("self-test: the real tree does not pass"); return 1
            with open(os.path.join(root, rel), "a", encoding="utf-8") as fh:
                fh.write(line)
            found = check(root)
            if not found:
                print("self-test: %s with %s was not caught" % (rel, line.strip())); ok = False
            shutil.rmtree(root)
    print("self-test: %s" % ("every violation caught" if ok else "FAILED"))
    return 0 if ok else 1


def main(argv):
    if len(argv) > 1 and argv[1] == "--self-test":
        return self_test()
    root = argv[1] if len(argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    problems = check(root)
    for p in problems:
        print(p)
    n = len(sources(root))
    print("%d files, %s" % (n, "every include points down" if not problems else "%d arrows wrong" % len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
