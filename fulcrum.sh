#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# fulcrum.sh — one entry point for building, trying, testing and benchmarking Fulcrum.
#
# Usage: ./fulcrum.sh setup|demo|console|test|fuzz [SECONDS]|bench [bench options]
#   setup   install missing Debian packages (apt-get), configure and build the release preset
#   demo    setup, start fulcrumd with its built-in demo backends on 127.0.0.1:8080, send a few requests
#           and show where they went; keeps running until Ctrl-C when stdin is a terminal
#   console setup, then fulcrum-console --demo: the operator console on the core in-process; with no
#           display, it runs under xvfb-run for 8 s and saves a screenshot to console-demo.png
#   test    setup, run the whole suite (ctest --preset release), then the ASan/UBSan stage:
#             FULCRUM_ASAN=1 always runs it, FULCRUM_ASAN=0 never does; unset, it runs when CI=true and
#             the release stage left enough of FULCRUM_CI_BUDGET seconds (default 3600); then the fuzz
#             stage (every libFuzzer target for 30 s): FULCRUM_FUZZ=1 always, FULCRUM_FUZZ=0 never; unset,
#             when CI=true and its build and runs still fit in the budget and in 45 minutes of CI
#   fuzz    build the fuzz preset (clang-14, libFuzzer + ASan/UBSan) and run every target for SECONDS
#           (default 30) over a copy of its seed corpus; fails on any crash, leak or timeout
#   bench   setup, then bench/compare.sh with the given options (fulcrumd side by side with nginx, HAProxy)
# Written for Debian bookworm; run as root, or as a user with sudo for the package installation.
set -euo pipefail

SELF=$(readlink -f "$0")
cd "$(dirname "$SELF")"

PACKAGES=(build-essential cmake ninja-build qt6-base-dev qt6-httpserver-dev qt6-charts-dev
    qt6-websockets-dev node-llhttp libgl-dev clang-format curl prometheus chromium xvfb xauth
    dnsmasq-base nodejs libssl-dev openssl)
# NodeSource's nodejs bundles npm and conflicts with Debian's npm package: ask for npm only when none is there.
command -v npm >/dev/null || PACKAGES+=(npm)
# libFuzzer and the sanitizers it is built with come with clang's runtime, not with gcc.
FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev)
# How long `cmake --build --preset fuzz -j2` takes from a clean tree on the 2-core development machine
# (the sum of ninja's step times halved, with other builds running beside it); the fuzz stage's gate adds
# it to the runs' time. See docs/reliability.md.
FUZZ_BUILD_SECONDS=970
FUZZ_CI_SECONDS=30
# The CI run as a whole stays within this; only the optional fuzz stage is skipped to keep it there.
CI_LIMIT_SECONDS=2700
FULCRUMD=build/release/headless/fulcrumd

section() { printf '\n==== %s ====\n' "$*"; }
die() { printf 'fulcrum.sh: %s\n' "$*" >&2; exit 1; }

is_installed() { # package
    [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true) == "install ok installed" ]]
}

install_packages() { # [extra package...]
    command -v dpkg-query >/dev/null || die "dpkg-query not found: this script expects Debian bookworm"
    local missing=() pkg
    for pkg in "${PACKAGES[@]}" "$@"; do
        is_installed "$pkg" || missing+=("$pkg")
    done
    if ((${#missing[@]} == 0)); then
        echo "all required packages are installed"
        return
    fi
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || die "missing packages (${missing[*]}): run as root or install sudo"
        sudo=(sudo)
    fi
    echo "installing: ${missing[*]}"
    "${sudo[@]}" apt-get update
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

# kubernetes-models and yaml for the test integration.deploy_manifests, at the versions the lock file pins,
# in build/ rather than the source tree; reinstalled only when the lock file changed.
install_npm_packages() {
    local from=installers/kubernetes/validate to=build/npm-deploy
    section "npm packages ($to)"
    if [[ -f $to/node_modules/.package-lock.json ]] && cmp -s "$from/package-lock.json" "$to/package-lock.json"; then
        echo "npm packages are installed"
        return
    fi
    mkdir -p "$to"
    cp "$from/package.json" "$from/package-lock.json" "$to/"
    npm ci --prefix "$to" --no-audit --no-fund
}

setup() {
    section "packages"
    install_packages
    install_npm_packages
    section "configure (cmake --preset release)"
    cmake --preset release
    section "build (cmake --build --preset release)"
    cmake --build --preset release
}

port_in_use() { # port
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

DEMO_PID="" DEMO_LOG="" DEMO_TAIL=""

# Stops the demo's fulcrumd: SIGTERM (a graceful drain), SIGKILL if it is still there 10 s later.
# $1 = 1 when a Ctrl-C already reached fulcrumd too (same process group): its drain gets 3 s first.
stop_demo() {
    trap - INT TERM EXIT
    if [[ -n $DEMO_TAIL ]]; then kill "$DEMO_TAIL" 2>/dev/null || true; fi
    if [[ -n $DEMO_PID ]]; then
        local i first_term=$((${1:-0} == 1 ? 30 : 0))
        for ((i = 0; i < first_term + 100; i++)); do
            kill -0 "$DEMO_PID" 2>/dev/null || break
            if ((i == first_term)); then kill -TERM "$DEMO_PID" 2>/dev/null || true; fi
            sleep 0.1
        done
        kill -KILL "$DEMO_PID" 2>/dev/null || true
        wait "$DEMO_PID" 2>/dev/null || true
    fi
    if [[ -n $DEMO_LOG ]]; then rm -f "$DEMO_LOG"; fi
    DEMO_PID="" DEMO_LOG="" DEMO_TAIL=""
}

demo() {
    setup
    local port=8080 admin=9901 i body bodies=() token
    [[ -x $FULCRUMD ]] || die "$FULCRUMD was not built"
    for i in "$port" "$admin"; do
        if port_in_use "$i"; then die "127.0.0.1:$i is already in use; stop what listens there and retry"; fi
    done

    section "demo: $FULCRUMD --demo --listen 127.0.0.1:$port"
    DEMO_LOG=$(mktemp /tmp/fulcrum-demo.XXXXXX.log)
    trap 'stop_demo 0' EXIT
    trap 'echo; echo "stopping fulcrumd"; stop_demo 1; exit 0' INT
    trap 'stop_demo 0; exit 143' TERM
    "$FULCRUMD" --demo --listen "127.0.0.1:$port" >"$DEMO_LOG" 2>&1 &
    DEMO_PID=$!

    for ((i = 0; i < 100; i++)); do # up to 10 s to start listening
        kill -0 "$DEMO_PID" 2>/dev/null || { cat "$DEMO_LOG" >&2; die "fulcrumd exited during start-up"; }
        if port_in_use "$port" && port_in_use "$admin"; then break; fi
        sleep 0.1
    done
    port_in_use "$admin" || { cat "$DEMO_LOG" >&2; die "fulcrumd does not listen on 127.0.0.1:$port and :$admin"; }
    cat "$DEMO_LOG"

    section "demo: 12 requests to http://127.0.0.1:$port/"
    for ((i = 1; i <= 12; i++)); do
        body=$(curl -sS --max-time 5 "http://127.0.0.1:$port/") || die "request $i failed"
        printf '%2d  %s\n' "$i" "$body"
        bodies+=("$body")
    done
    section "demo: distribution"
    printf '%s\n' "${bodies[@]}" | sort | uniq -c

    token=$(sed -n 's/.*admin API token for this demo run: //p' "$DEMO_LOG")
    [[ -n $token ]] || die "fulcrumd logged no admin token"
    section "demo: admin API: alpha to weight 4, gamma to maintenance"
    curl -sS --max-time 5 -X PATCH -H "Authorization: Bearer $token" \
        -d '[{"name": "alpha", "weight": 4}, {"name": "gamma", "state": "maintenance"}]' \
        "http://127.0.0.1:$admin/api/v1/backends" || die "the admin API refused the change"
    echo
    section "demo: 10 more requests"
    bodies=()
    for ((i = 1; i <= 10; i++)); do
        body=$(curl -sS --max-time 5 "http://127.0.0.1:$port/") || die "request $i failed"
        bodies+=("$body")
    done
    printf '%s\n' "${bodies[@]}" | sort | uniq -c
    echo "status page: http://127.0.0.1:$admin/   metrics: http://127.0.0.1:$admin/metrics"

    if [[ -t 0 ]]; then
        section "demo: fulcrumd keeps running on http://127.0.0.1:$port/ (try: curl http://127.0.0.1:$port/); Ctrl-C stops it"
        tail -n 0 -f --pid="$DEMO_PID" "$DEMO_LOG" &
        DEMO_TAIL=$!
        wait "$DEMO_PID" || true
    else
        section "demo: stdin is not a terminal, stopping fulcrumd"
    fi
    stop_demo 0
}

# Whether an optional stage's variable (FULCRUM_ASAN, FULCRUM_FUZZ) or the absence of CI settles if it
# runs: 0 run, 1 skip, 2 the caller decides from the time left.
stage_settled() { # variable name
    local value=${!1:-}
    case $value in
    1) echo "$1=1"; return 0 ;;
    0) echo "skipped: $1=0"; return 1 ;;
    "") ;;
    *) die "$1 must be 0 or 1, not \"$value\"" ;;
    esac
    if [[ ${CI:-} != true ]]; then
        echo "skipped: not in CI (set $1=1 to run it)"
        return 1
    fi
    return 2
}

asan_wanted() { # elapsed seconds of the release stage
    local settled=0
    stage_settled FULCRUM_ASAN || settled=$?
    ((settled == 2)) || return "$settled"
    # A sanitizer build and its slower tests take a multiple of the release stage; run it only
    # when at least twice the release stage's time is left of the budget.
    local budget=${FULCRUM_CI_BUDGET:-3600} left
    [[ $budget =~ ^[0-9]+$ ]] || die "FULCRUM_CI_BUDGET must be a number of seconds"
    left=$((budget - $1))
    if ((left < 2 * $1)); then
        echo "skipped: the release stage took $1 s, ${left} s left of FULCRUM_CI_BUDGET=$budget"
        return 1
    fi
    echo "CI=true, release stage took $1 s of FULCRUM_CI_BUDGET=$budget"
}

fuzz_targets() {
    local target
    for target in build/fuzz/tests/fuzz/fuzz_*; do
        [[ -f $target && -x $target ]] && echo "$target"
    done
}

fuzz_build() {
    section "configure (cmake --preset fuzz)"
    cmake --preset fuzz
    section "build (cmake --build --preset fuzz)"
    cmake --build --preset fuzz
}

# Runs every fuzz target for $1 seconds, one after the other (one process each: the machine is shared),
# over a copy of its seeds in build/fuzz-runs/<name>/corpus so the checked-in corpus stays small.
run_fuzzers() { # seconds per target
    local seconds=$1 target name work failed=() stats
    [[ $seconds =~ ^[1-9][0-9]*$ ]] || die "fuzz: SECONDS must be a positive number, not \"$seconds\""
    local targets=()
    mapfile -t targets < <(fuzz_targets)
    ((${#targets[@]} > 0)) || die "no fuzz targets in build/fuzz/tests/fuzz"
    for target in "${targets[@]}"; do
        name=${target##*/fuzz_}
        work=build/fuzz-runs/$name
        rm -rf "$work"
        mkdir -p "$work/corpus" "$work/artifacts"
        cp tests/fuzz/corpus/"$name"/* "$work/corpus/"
        section "fuzz: $name for $seconds s"
        if ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
            "$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1; then
            stats=$(grep -E '^Done [0-9]+ runs' "$work/log" || true)
            echo "$stats; $(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[^ ]+' "$work/log" | tail -n 1)"
        else
            tail -n 40 "$work/log"
            echo "fuzz: $name FAILED; log $work/log; input(s):"
            ls -1 "$work"/artifacts/* 2>/dev/null || echo "  (none written)"
            failed+=("$name")
        fi
    done
    ((${#failed[@]} == 0)) || die "fuzz targets failed: ${failed[*]} (inputs in build/fuzz-runs/*/artifacts)"
    echo "every fuzz target ran $seconds s without a finding"
}

fuzz() { # [seconds]
    section "packages"
    install_packages "${FUZZ_PACKAGES[@]}"
    fuzz_build
    run_fuzzers "${1:-30}"
}

fuzz_wanted() { # elapsed seconds of the whole run so far
    local settled=0
    stage_settled FULCRUM_FUZZ || settled=$?
    ((settled == 2)) || return "$settled"
    local budget=${FULCRUM_CI_BUDGET:-3600} targets limit need
    [[ $budget =~ ^[0-9]+$ ]] || die "FULCRUM_CI_BUDGET must be a number of seconds"
    limit=$((budget < CI_LIMIT_SECONDS ? budget : CI_LIMIT_SECONDS))
    targets=$(find tests/fuzz -maxdepth 1 -name 'fuzz_*.cpp' | wc -l)
    # Each target runs FUZZ_CI_SECONDS plus a few seconds to load its corpus and exit.
    need=$((FUZZ_BUILD_SECONDS + targets * (FUZZ_CI_SECONDS + 5)))
    if ((${1} + need > limit)); then
        echo "skipped: $1 s elapsed, the fuzz stage needs about $need s, the limit is $limit s"
        return 1
    fi
    echo "CI=true, $1 s elapsed, about $need s needed, limit $limit s"
}

test_suite() {
    local start=$SECONDS
    section "packages"
    install_packages
    install_npm_packages
    local stage_start=$SECONDS
    section "configure (cmake --preset release)"
    cmake --preset release
    section "build (cmake --build --preset release)"
    cmake --build --preset release
    export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
    section "test (ctest --preset release)"
    ctest --preset release
    local elapsed=$((SECONDS - stage_start))

    section "ASan/UBSan stage"
    if asan_wanted "$elapsed"; then
        section "configure (cmake --preset asan)"
        cmake --preset asan
        section "build (cmake --build --preset asan)"
        cmake --build --preset asan
        section "test (ctest --preset asan)"
        ctest --preset asan
    fi

    section "fuzz stage"
    if fuzz_wanted "$((SECONDS - start))"; then
        install_packages "${FUZZ_PACKAGES[@]}"
        fuzz_build
        run_fuzzers "$FUZZ_CI_SECONDS"
    fi
    section "all tests passed ($((SECONDS - start)) s)"
}

console() {
    setup
    local console=build/release/gui/fulcrum-console
    if [[ -n ${DISPLAY:-}${WAYLAND_DISPLAY:-} ]]; then
        section "console: $console --demo"
        exec "$console" --demo
    fi
    section "console: no display, so a screenshot under xvfb-run"
    xvfb-run -a -s "-screen 0 1600x1000x24" "$console" --demo --screenshot console-demo.png --screenshot-after 8
    echo "the console after 8 s of demo traffic: $(pwd)/console-demo.png"
}

bench() {
    setup
    section "bench: bench/compare.sh $*"
    exec bench/compare.sh "$@"
}

usage() {
    sed -n '3,19p' "$SELF" | sed 's/^# \{0,1\}//'
}

case ${1:-} in
setup) setup ;;
demo) demo ;;
console) console ;;
test) test_suite ;;
fuzz) shift; fuzz "$@" ;;
bench) shift; bench "$@" ;;
-h | --help | help) usage ;;
*) usage >&2; exit 2 ;;
esac
