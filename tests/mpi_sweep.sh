#!/bin/sh
# mpi_sweep.sh -- a small sweep over MPI ranks gives the same bytes as on
# one machine: every run file and the index (docs/output.md "index.h5").
#   mpi_sweep.sh SNAPSIM MPIEXEC SOURCE_DIR SCRATCH_DIR
set -eu
bin=$1 mpiexec=$2 src=$3 out=$4
rm -rf "$out/mpi_local" "$out/mpi_ranks"
mkdir -p "$out"
cp "$src/scenarios/seed_vi3.lua" "$out/mpi_seed.lua"
cd "$out"
args="sweep mpi_seed.lua --param STRATEGY=esx35,vsphere41,vsphere6 --replications 3 -q"
"$bin" $args -j 2 -o mpi_local > /dev/null
# --oversubscribe: 2 ranks even where the launcher sees fewer slots; as
# root (CI) Open MPI wants --allow-run-as-root.  Open MPI's own libraries
# leave allocations behind at exit, so the leak check of a sanitizer build
# is off for the ranks (the local sweep above keeps it).
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$mpiexec" -n 2 --oversubscribe --allow-run-as-root "$bin" $args -o mpi_ranks > mpi_ranks.out
grep -q "on 2 MPI ranks" mpi_ranks.out || { echo "mpi_sweep: the sweep did not run on 2 ranks" >&2; cat mpi_ranks.out >&2; exit 1; }
n=0
for f in mpi_local/*.h5; do
    cmp "$f" "mpi_ranks/$(basename "$f")" || { echo "mpi_sweep: $(basename "$f") differs" >&2; exit 1; }
    n=$((n + 1))
done
[ "$n" -eq 10 ] || { echo "mpi_sweep: expected 9 run files and the index, found $n files" >&2; exit 1; }
echo "mpi_sweep: $n files identical (9 runs and index.h5), local -j 2 vs mpirun -n 2"
