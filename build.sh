#!/bin/sh
# build.sh -- the two commands of the README.
#   ./build.sh demo   install what is missing (Debian 12, as root), build, run the demo
#   ./build.sh test   install what is missing, build, run every test: the CTest suites
#                     (C unit and scenario tests, the CLI end to end, the analysis tools'
#                     pytest suite) in a release build, again under ASan + UBSan, and the
#                     scenario tests under valgrind (no leaks, no errors)
# Other targets: ./build.sh bench (benchmarks), ./build.sh valgrind (scenario tests under valgrind).
set -eu
cd "$(dirname "$0")"
JOBS=$(nproc 2>/dev/null || echo 2)

PKGS="build-essential cmake pkg-config libgsl-dev liblua5.4-dev libhdf5-dev \
python3 python3-h5py python3-numpy python3-matplotlib python3-pytest libroaring-dev valgrind \
openmpi-bin libopenmpi-dev"

install_deps() {
    missing=""
    for p in $PKGS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        echo "installing:$missing"
        if [ "$(id -u)" -ne 0 ]; then echo "need root to install:$missing" >&2; exit 1; fi
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq $missing > /dev/null
    fi
}

build() {  # build DIR [cmake options...]
    dir=$1; shift
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" > /dev/null
    cmake --build "$dir" -j "$JOBS"
}

run_valgrind() {  # the scenario tests: no memory errors, no definite leaks
    for t in test_chain test_scenario test_dynamics test_clock_scenarios test_fidelity test_fuzz test_backup test_hostd test_convert test_mirror; do
        [ -x build/tests/$t ] || continue
        (cd build/tests && valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
            --error-exitcode=9 ./$t > /dev/null) || { echo "valgrind: $t failed" >&2; exit 1; }
        echo "valgrind: $t clean"
    done
}

case "${1:-}" in
demo)
    install_deps
    build build
    ./build/snapsim demo
    ;;
test)
    install_deps
    build build
    (cd build && ctest --output-on-failure -j "$JOBS")
    build build-asan -DSNAPSIM_SANITIZE=ON
    (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --output-on-failure -j "$JOBS" -E analysis_pytest)
    run_valgrind
    ;;
bench)
    install_deps
    build build
    cmake --build build --target bench
    ;;
valgrind)
    install_deps
    build build
    run_valgrind
    ;;
*)
    echo "usage: ./build.sh demo | test | bench | valgrind" >&2
    exit 2
    ;;
esac
