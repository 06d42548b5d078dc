#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/sizing/run.sh — what fulcrumd costs in memory and file descriptors per client connection:
# resident memory (VmRSS, VmHWM) and open descriptors (/proc/PID/fd) at idle, holding idle keep-alive
# clients, and under load, with the upstream connections it keeps and the request rate.
#
# Usage: bench/sizing/run.sh [--fulcrumd PATH] [--workers N] [--clients "1000 10000"]
#                            [--hold S] [--duration S] [--wrk-threads N] [--nofile N] [--out FILE]
#                            [--logs DIR]
#   --fulcrumd PATH  the binary to measure (default build/release/headless/fulcrumd)
#   --workers N      fulcrumd worker threads (default: one per core, nproc)
#   --clients LIST   client counts, each measured idle (held) and active (wrk) (default "1000 10000")
#   --hold S         how long the idle clients are held before they are asked again (default 10)
#   --duration S     seconds of each wrk run (default 10)
#   --wrk-threads N  wrk threads (default 1)
#   --nofile N       fulcrumd's soft RLIMIT_NOFILE (default: the hard limit)
#   --out FILE       also write the result table to FILE
#   --logs DIR       keep fulcrumd's logs and the wrk and hold outputs there (default: removed)
# Per client count it starts a fresh fulcrumd twice (idle, then active) over one nginx with three
# backend servers (`return 200`), samples /proc after a 2 s settle, then: idle = bench/sizing/hold.c
# (compiled here with cc) opens the clients, makes one request on each and holds them, and they are
# asked once more at the end; active = wrk -c CLIENTS for --duration, /proc sampled every second.
# Upstream connections are the established TCP connections to the backend ports (`ss`). Everything
# listens on and connects to 127.0.0.1 only; every loop is bounded; every process started here is
# stopped by PID on exit. Takes about 70 s with the defaults. Needs nginx, wrk, cc, ss and curl
# (apt-get install -y nginx-light wrk gcc iproute2 curl).
set -euo pipefail

self=$(readlink -f "$0")
here=$(dirname "$self")
root=$(dirname "$(dirname "$here")")
fulcrumd="$root/build/release/headless/fulcrumd"
workers=$(nproc)
clients="1000 10000"
hold=10
duration=10
wrk_threads=1
nofile=""
out=""
logs=""
while [[ $# -gt 0 ]]; do
    case $1 in
    --fulcrumd | --workers | --clients | --hold | --duration | --wrk-threads | --nofile | --out | --logs)
        [[ $# -ge 2 ]] || { echo "run.sh: $1 needs a value" >&2; exit 2; }
        case $1 in
        --fulcrumd) fulcrumd=$(realpath -m -- "$2") ;;
        --workers) workers=$2 ;;
        --clients) clients=$2 ;;
        --hold) hold=$2 ;;
        --duration) duration=$2 ;;
        --wrk-threads) wrk_threads=$2 ;;
        --nofile) nofile=$2 ;;
        --out) out=$(realpath -m -- "$2") ;;
        --logs) logs=$(realpath -m -- "$2") ;;
        esac
        shift 2
        ;;
    -h | --help)
        sed -n '3,26p' "$self" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "run.sh: unknown option $1 (see --help)" >&2
        exit 2
        ;;
    esac
done
[[ -x $fulcrumd ]] || { echo "run.sh: $fulcrumd not built (or give --fulcrumd PATH)" >&2; exit 2; }
for tool in nginx wrk cc ss curl; do
    command -v "$tool" >/dev/null ||
        { echo "run.sh: $tool not installed (apt-get install -y nginx-light wrk gcc iproute2 curl)" >&2; exit 2; }
done
max_clients=0
check_died() { # log name
    alive && return 0
    local status=0
    wait "$fpid" || status=$?
    local what="exit status $status"
    (( status > 128 )) && what="killed by signal $((status - 128)) ($(kill -l $((status - 128))))"
    notes+=("$1: FULCRUMD DIED, $what; last log line: $(tail -n 1 "$work/$1.log")")
    echo "run.sh: $1: fulcrumd died, $what" >&2
    tail -n 3 "$work/$1.log" | sed "s/^/  $1: /" >&2
}

for c in $clients; do
    [[ $c =~ ^[0-9]+$ ]] && (( c >= 1 && c <= 100000 )) || { echo "run.sh: bad client count $c" >&2; exit 2; }
    (( c > max_clients )) && max_clients=$c
done
# The idle sample is taken 1 to 4 s into the hold.
(( hold >= 6 && hold <= 600 && duration >= 2 && duration <= 600 )) ||
    { echo "run.sh: --hold 6..600, --duration 2..600" >&2; exit 2; }

# Every process started here inherits the hard limit as its soft limit: wrk and hold.c need one
# descriptor per client, nginx one per upstream connection, fulcrumd both.
hard=$(ulimit -Hn)
[[ $hard == unlimited ]] && hard=1048576
ulimit -n "$hard"
(( hard >= max_clients + 256 )) ||
    { echo "run.sh: ulimit -Hn is $hard; $max_clients clients need at least $((max_clients + 256))" >&2; exit 2; }
nofile=${nofile:-$hard}

# shellcheck source=../lib/common.sh
source "$(dirname "$(readlink -f "$0")")/../lib/common.sh"
work=$(mktemp -d /tmp/fulcrum-sizing.XXXXXX)
pids=()
cleanup() {
    stop_pids "${pids[@]}"
    if [[ -n $logs ]]; then
        mkdir -p "$logs"
        cp -f "$work"/*.log "$work"/*.out "$work/nginx/error.log" "$logs"/ 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cc -O2 -o "$work/hold" "$here/hold.c"

# Five consecutive free ports: three backends, fulcrumd's listener, its admin API.
base=$(free_port_range 5 25)
b1=$base b2=$((base + 1)) b3=$((base + 2)) front=$((base + 3)) admin=$((base + 4))

# The backends: one nginx process (no master) with three servers, as in the shared compare.sh.
mkdir -p "$work/nginx/tmp"
cat >"$work/nginx/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1; pid $work/nginx/nginx.pid;
worker_rlimit_nofile $hard;
error_log $work/nginx/error.log warn;
events { worker_connections $((hard - 64)); multi_accept on; }
http {
  access_log off; keepalive_requests 1000000; keepalive_timeout 300s;
  client_body_temp_path $work/nginx/tmp/body; proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi; uwsgi_temp_path $work/nginx/tmp/uwsgi; scgi_temp_path $work/nginx/tmp/scgi;
  server { listen 127.0.0.1:$b1 backlog=4096; location / { return 200 "hello from b1\n"; } }
  server { listen 127.0.0.1:$b2 backlog=4096; location / { return 200 "hello from b2\n"; } }
  server { listen 127.0.0.1:$b3 backlog=4096; location / { return 200 "hello from b3\n"; } }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>"$work/nginx/stderr" &
pids+=($!)
wait_port "$b1" 10 && wait_port "$b3" 10 || { cat "$work/nginx/stderr" "$work/nginx/error.log" >&2; exit 1; }

# fulcrumd: the defaults except the access log (off) and client_idle_ms (300 s instead of 60 s, so that
# a slow start of the held clients cannot let the first ones time out before the measurement).
cat >"$work/fulcrum.json" <<JSON
{"version": 1, "listen": ["127.0.0.1:$front"], "workers": $workers, "access_log": false,
 "admin": {"listen": "127.0.0.1:$admin"},
 "timeouts": {"client_idle_ms": 300000},
 "backends": [{"name": "b1", "url": "http://127.0.0.1:$b1"}, {"name": "b2", "url": "http://127.0.0.1:$b2"},
              {"name": "b3", "url": "http://127.0.0.1:$b3"}]}
JSON

fpid=""
start_fulcrumd() { # log name
    ( ulimit -n "$nofile" && exec "$fulcrumd" --config "$work/fulcrum.json" ) >"$work/$1.out" 2>"$work/$1.log" &
    fpid=$!
    pids+=("$fpid")
    wait_port "$front" 15 && wait_port "$admin" 15 || { cat "$work/$1.log" >&2; exit 1; }
    curl -sf "http://127.0.0.1:$front/" >/dev/null || { echo "run.sh: fulcrumd does not answer GET /" >&2; exit 1; }
    sleep 2
}
stop_fulcrumd() {
    kill "$fpid" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do
        kill -0 "$fpid" 2>/dev/null || break
        sleep 0.2
    done
    kill -9 "$fpid" 2>/dev/null || true
    wait "$fpid" 2>/dev/null || true
}

hz=$(getconf CLK_TCK)
kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }
fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
client_conns() { ss -Htn state established "( sport = :$front )" | wc -l; }
upstream_conns() { ss -Htn state established "( dport = :$b1 or dport = :$b2 or dport = :$b3 )" | wc -l; }
open_metric() { { curl -s -m 5 "http://127.0.0.1:$admin/metrics" || true; } | awk '$1 == "fulcrum_open_connections" { print $2 }'; }
upstream_opened() {
    { curl -s -m 5 "http://127.0.0.1:$admin/metrics" || true; } |
        awk '$1 ~ /^fulcrum_backend_connections_opened_total/ { s += $2 } END { print s + 0 }'
}
# One sample: "rss_kib hwm_kib fds clients upstream"
upstream_time_wait() { ss -Htn state time-wait "( dport = :$b1 or dport = :$b2 or dport = :$b3 )" | wc -l; }
# fulcrumd is this shell's child, so once dead it stays a zombie (kill -0 succeeds) until waited for.
alive() { local state; state=$(awk '$1 == "State:" { print $2 }' "/proc/$fpid/status" 2>/dev/null); [[ -n $state && $state != Z ]]; }
# One sample: "rss_kib hwm_kib fds clients upstream", zeros once fulcrumd is gone.
sample() {
    if alive; then
        echo "$(kib "$fpid" VmRSS) $(kib "$fpid" VmHWM) $(fds "$fpid") $(client_conns) $(upstream_conns)"
    else
        echo "0 0 0 0 0"
    fi
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
cpu_percent() { awk -v a="$1" -v b="$2" -v t="$3" -v hz="$hz" 'BEGIN { printf "%.0f", 100 * (b - a) / hz / t }'; }

rows=()
notes=()
row() { rows+=("$(printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |' "$@")"); }
warnings() { # log name
    local n
    n=$(grep -c -i -E 'warn|error|fail|critical' "$work/$1.log" || true)
    if (( n > 0 )); then
        notes+=("$1: $n warning/error lines in fulcrumd's log, first: $(grep -i -m 3 -E 'warn|error|fail|critical' "$work/$1.log" | tr '\n' '|')")
        grep -i -m 5 -E 'warn|error|fail|critical' "$work/$1.log" | sed "s/^/  $1: /" >&2
    fi
}

for c in $clients; do
    # --- idle: c keep-alive clients, each with one answered request, held ---
    echo "== $c idle clients ==" >&2
    start_fulcrumd "idle-$c"
    read -r r0 h0 f0 _ u0 <<<"$(sample)"
    row "$c" "fresh start" "$(mib "$r0")" "$(mib "$h0")" "$f0" 0 "$u0" "–" "–"
    "$work/hold" "$front" "$c" "$hold" >"$work/hold-$c.out" 2>&1 &
    hpid=$!
    pids+=("$hpid")
    for ((i = 0; i < 1800; i++)); do
        grep -q '^ready' "$work/hold-$c.out" 2>/dev/null && break
        kill -0 "$hpid" 2>/dev/null || break
        sleep 0.1
    done
    sleep 1
    t0=$(ticks "$fpid" 2>/dev/null || echo 0) s0=$(date +%s.%N)
    sleep 3
    read -r r1 h1 f1 k1 u1 <<<"$(sample)"
    t1=$(ticks "$fpid" 2>/dev/null || echo "$t0") s1=$(date +%s.%N)
    gauge=$(open_metric)
    idle_cpu=$(cpu_percent "$t0" "$t1" "$(awk -v a="$s0" -v b="$s1" 'BEGIN { print b - a }')")
    row "$c" "$c idle keep-alive clients" "$(mib "$r1")" "$(mib "$h1")" "$f1" "$k1" "$u1" "$idle_cpu" "–"
    wait "$hpid" || true
    cat "$work/hold-$c.out" >&2
    notes+=("idle $c: $(tr '\n' ' ' <"$work/hold-$c.out")· fulcrum_open_connections $gauge")
    per_client_kib=$(awk -v a="$r0" -v b="$r1" -v c="$c" 'BEGIN { printf "%.1f", (b - a) / c }')
    per_client_fd=$(awk -v a="$f0" -v b="$f1" -v c="$c" 'BEGIN { printf "%.2f", (b - a) / c }')
    notes+=("idle $c: +$(mib $((r1 - r0))) MiB RSS (${per_client_kib} KiB per client, $(awk -v k="$per_client_kib" 'BEGIN { printf "%.0f", k * 10000 / 1024 }') MiB per 10k), +$((f1 - f0)) fds (${per_client_fd} per client)")
    warnings "idle-$c"
    check_died "idle-$c"
    stop_fulcrumd

    # --- active: wrk with c connections for $duration s ---
    echo "== $c active clients ==" >&2
    start_fulcrumd "active-$c"
    read -r r0 h0 f0 _ u0 <<<"$(sample)"
    row "$c" "fresh start" "$(mib "$r0")" "$(mib "$h0")" "$f0" 0 "$u0" "–" "–"
    opened0=$(upstream_opened)
    tw=0
    t0=$(ticks "$fpid" 2>/dev/null || echo 0) s0=$(date +%s.%N)
    wrk -t"$wrk_threads" -c"$c" -d"${duration}s" --timeout 10s --latency "http://127.0.0.1:$front/" >"$work/wrk-$c.out" 2>&1 &
    wpid=$!
    pids+=("$wpid")
    pr=0 pf=0 pk=0 pu=0 mid=""
    for ((i = 0; i < duration + 30; i++)); do
        sleep 1
        kill -0 "$wpid" 2>/dev/null || break
        alive || break
        read -r r _ f k u <<<"$(sample)"
        (( r > pr )) && pr=$r
        (( f > pf )) && pf=$f
        (( k > pk )) && pk=$k
        (( u > pu )) && pu=$u
        (( i == duration / 2 )) && mid="$r $f $k $u"
    done
    wait "$wpid" || true
    t1=$(ticks "$fpid" 2>/dev/null || echo "$t0") s1=$(date +%s.%N)
    hwm=$(kib "$fpid" VmHWM 2>/dev/null || echo 0)
    opened1=$(upstream_opened)
    tw=$(upstream_time_wait)
    active_cpu=$(cpu_percent "$t0" "$t1" "$(awk -v a="$s0" -v b="$s1" 'BEGIN { print b - a }')")
    rps=$(awk '/Requests\/sec/ { printf "%.0f", $2 }' "$work/wrk-$c.out")
    errs=$(awk '/Socket errors/ { gsub(",", ""); s = $4 + $6 + $8 + $10 } /Non-2xx/ { s += $5 } END { print s + 0 }' "$work/wrk-$c.out")
    p99=$(awk '$1 == "99%" { print $2 }' "$work/wrk-$c.out")
    row "$c" "$c active clients (wrk, peak of 1 s samples)" "$(mib "$pr")" "$(mib "$hwm")" "$pf" "$pk" "$pu" "$active_cpu" "${rps:-?} (p99 ${p99:-?}, errors $errs)"
    if [[ -n $mid ]]; then
        read -r r f k u <<<"$mid"
        notes+=("active $c: at $((duration / 2 + 1)) s: RSS $(mib "$r") MiB, $f fds, $k client and $u upstream connections; upstream connections opened during the run: $((${opened1:-0} - ${opened0:-0})), in TIME_WAIT to the backends at its end: $tw")
    fi
    grep -E 'Socket errors|Non-2xx' "$work/wrk-$c.out" | sed "s/^ */  wrk $c: /" >&2 || true
    sleep 3
    read -r r2 h2 f2 k2 u2 <<<"$(sample)"
    row "$c" "3 s after the load" "$(mib "$r2")" "$(mib "$h2")" "$f2" "$k2" "$u2" "–" "–"
    warnings "active-$c"
    check_died "active-$c"
    stop_fulcrumd
done

{
    echo "fulcrumd $("$fulcrumd" --version | awk '{ print $2 }'), $workers workers, 3 backends (nginx $(nginx -v 2>&1 | sed 's/.*\///')), $(nproc) cores, Qt $(dpkg-query -W -f '${Version}' libqt6core6 2>/dev/null | sed 's/+.*//'), RLIMIT_NOFILE $nofile, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "| clients | state | RSS MiB | VmHWM MiB | open fds | client conns | upstream conns | fulcrumd CPU % | wrk req/s |"
    echo "|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
    echo
    printf -- '- %s\n' "${notes[@]}"
} | tee ${out:+"$out"}
