#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/console_cpu/run.sh — CPU time of fulcrum-console at 64 backends under load, attached to
# fulcrumd and embedded, as percent of one core over the console's steady state.
#
# Usage: bench/console_cpu/run.sh [--build DIR] [--modes "attached embedded"] [--conns N]
#                                 [--from S] [--to S] [--out DIR]
#   --build DIR  build directory with headless/fulcrumd and gui/fulcrum-console (default build/release)
#   --from/--to  the sampling window, in seconds after the console started (default 10 and 60); the
#                console takes its screenshot and exits 2 s after --to
#   --out DIR    keep the screenshots and logs there (default: a temporary directory, removed)
# Everything listens on 127.0.0.1 only: one nginx with 64 `return 200 "ok"` servers as backends,
# fulcrumd (attached mode) or the console's in-process proxy (embedded mode), wrk -t1 for load.
# Needs nginx, wrk and xvfb-run. Attached: utime+stime of the whole console process; embedded: of
# its main (GUI) thread only, since the proxy workers run in the same process.
set -euo pipefail

self=$(readlink -f "$0")
root=$(dirname "$(dirname "$(dirname "$self")")")
build="$root/build/release"
modes="attached embedded"
conns=32
from=10
to=60
out=""
while [[ $# -gt 0 ]]; do
    case $1 in
    --build | --modes | --conns | --from | --to | --out)
        [[ $# -ge 2 ]] || { echo "run.sh: $1 needs a value" >&2; exit 2; }
        case $1 in
        --build) build=$(realpath -m -- "$2") ;;
        --modes) modes=$2 ;;
        --conns) conns=$2 ;;
        --from) from=$2 ;;
        --to) to=$2 ;;
        --out) out=$(realpath -m -- "$2") ;;
        esac
        shift 2
        ;;
    -h | --help)
        sed -n '3,16p' "$self" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "run.sh: unknown option $1 (see --help)" >&2
        exit 2
        ;;
    esac
done
(( from >= 1 && to > from )) || { echo "run.sh: need 1 <= --from < --to" >&2; exit 2; }

fulcrumd="$build/headless/fulcrumd"
console="$build/gui/fulcrum-console"
for tool in "$fulcrumd" "$console"; do
    [[ -x $tool ]] || { echo "run.sh: $tool not built" >&2; exit 2; }
done
for tool in nginx wrk xvfb-run; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool not installed (apt-get install -y nginx-light wrk xvfb)" >&2; exit 2; }
done

# shellcheck source=../lib/common.sh
source "$(dirname "$(readlink -f "$0")")/../lib/common.sh"
work=$(mktemp -d /tmp/console-cpu.XXXXXX)
pids=()
cleanup() {
    stop_pids "${pids[@]}"
    if [[ -f $work/nginx/nginx.pid ]]; then
        kill "$(cat "$work/nginx/nginx.pid")" 2>/dev/null || true
    fi
    if [[ -n $out ]]; then
        mkdir -p "$out"
        cp -f "$work"/*.png "$work"/*.log "$out"/ 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 66 consecutive free ports: 64 backends, the proxy's listener and the admin API.
base=$(free_port_range 66 100)
listen_port=$((base + 64))
admin_port=$((base + 65))

mkdir -p "$work/nginx/logs" "$work/nginx/tmp"
{
    echo "worker_processes 1;"
    echo "pid $work/nginx/nginx.pid;"
    echo "error_log $work/nginx/logs/error.log;"
    echo "events { worker_connections 4096; }"
    echo "http {"
    echo "  access_log off;"
    for name in client_body proxy fastcgi uwsgi scgi; do
        echo "  ${name}_temp_path $work/nginx/tmp/$name;"
    done
    for ((i = 0; i < 64; i++)); do
        echo "  server { listen 127.0.0.1:$((base + i)); return 200 \"ok\"; }"
    done
    echo "}"
} >"$work/nginx/nginx.conf"
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf"
wait_port "$base" 10
wait_port $((base + 63)) 10

{
    printf '{"version": 1, "listen": ["127.0.0.1:%d"], "workers": 1, "access_log": false, "backends": [' "$listen_port"
    for ((i = 0; i < 64; i++)); do
        (( i > 0 )) && printf ', '
        printf '{"name": "b%02d", "url": "http://127.0.0.1:%d"}' "$i" $((base + i))
    done
    printf ']}\n'
} >"$work/fulcrum64.json"
head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$work/token"

hz=$(getconf CLK_TCK)
# utime + stime, in clock ticks, of a process or of one of its threads.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$1"; }

# Runs the console for to+2 s under load and prints "percent wrk_req_per_s".
measure() { # mode
    local mode=$1 stat args console_pid wrk_pid start end percent rate
    if [[ $mode == attached ]]; then
        "$fulcrumd" --config "$work/fulcrum64.json" --admin "127.0.0.1:$admin_port" \
            --admin-token-file "$work/token" >"$work/fulcrumd.log" 2>&1 &
        local fulcrumd_pid=$!
        pids+=("$fulcrumd_pid")
        wait_port "$admin_port" 15
        wait_port "$listen_port" 15
        args=(--attach "http://127.0.0.1:$admin_port" --token-file "$work/token")
    else
        args=(--config "$work/fulcrum64.json")
    fi
    timeout $((to + 40)) xvfb-run -a -s "-screen 0 1400x900x24" \
        "$console" "${args[@]}" --screenshot "$work/console-$mode.png" --screenshot-after $((to + 2)) \
        >"$work/console-$mode.log" 2>&1 &
    local xvfb_pid=$!
    pids+=("$xvfb_pid")
    # xvfb-run starts the console as its child's child: find it by its exact executable.
    console_pid=""
    for ((i = 0; i < 100; i++)); do
        console_pid=$(pgrep -n -f "^$console .*--screenshot $work/console-$mode.png" || true)
        [[ -n $console_pid ]] && break
        sleep 0.1
    done
    [[ -n $console_pid ]] || { echo "run.sh: the console did not start" >&2; cat "$work/console-$mode.log" >&2; return 1; }
    pids+=("$console_pid")
    local console_start=$SECONDS
    if [[ $mode == embedded ]]; then
        wait_port "$listen_port" 15
        stat=/proc/$console_pid/task/$console_pid/stat
    else
        stat=/proc/$console_pid/stat
    fi
    wrk -t1 -c"$conns" -d$((to + 4))s "http://127.0.0.1:$listen_port/" >"$work/wrk-$mode.log" 2>&1 &
    wrk_pid=$!
    pids+=("$wrk_pid")
    sleep $((from - (SECONDS - console_start)))
    start=$(cpu_ticks "$stat")
    local t0=$(date +%s.%N)
    sleep $((to - from))
    end=$(cpu_ticks "$stat")
    local t1=$(date +%s.%N)
    percent=$(awk -v a="$start" -v b="$end" -v hz="$hz" -v t0="$t0" -v t1="$t1" \
        'BEGIN { printf "%.1f", 100 * (b - a) / hz / (t1 - t0) }')
    wait "$xvfb_pid" || echo "run.sh: the console ($mode) exited with an error" >&2
    wait "$wrk_pid" || true
    rate=$(awk '/Requests\/sec/ { print $2 }' "$work/wrk-$mode.log")
    if [[ $mode == attached ]]; then
        kill "$fulcrumd_pid" 2>/dev/null || true
        wait "$fulcrumd_pid" 2>/dev/null || true
    fi
    echo "$percent ${rate:-?}"
}

echo "console CPU at 64 backends, wrk -t1 -c$conns, sampled from ${from} s to ${to} s after start ($(nproc) cores)"
printf '| mode | measured | console CPU, %% of one core | wrk req/s |\n|---|---|---|---|\n'
for mode in $modes; do
    # Not in a subshell, so that the trap knows every process it started.
    measure "$mode" >"$work/result-$mode"
    read -r percent rate <"$work/result-$mode"
    what="whole process"
    [[ $mode == embedded ]] && what="main (GUI) thread"
    printf '| %s | %s | %s | %s |\n' "$mode" "$what" "$percent" "$rate"
done
