#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/tls/run.sh — TLS termination side by side: fulcrumd, nginx and HAProxy each terminate TLS in
# front of the same three nginx backends (plain HTTP), measured with wrk over https, interleaved round
# by round so that drift on a shared machine hits every proxy alike.
#
# Usage: bench/tls/run.sh [--fulcrumd PATH] [--rounds N] [--duration S] [--workers W]
#                         [--measurements "handshakes 1m small"] [--out FILE]
#   --fulcrumd PATH  the binary to measure (default build/release/headless/fulcrumd)
#   --rounds N       rounds of the whole matrix (default 3); the table shows medians
#   --duration S     seconds per wrk run (default 8)
#   --workers W      workers (threads or processes) for every proxy (default 1)
#   --measurements L which of the three measurements below to run (default all)
#   --out FILE       also write the markdown table to FILE
# Three measurements per proxy, all with an ECDSA P-256 certificate and TLS 1.3:
#   handshakes   wrk -c 32 with "Connection: close": every request is a new connection and a full
#                handshake (wrk does not resume sessions), so requests/s are handshakes/s
#   1m           wrk -c 16 on keep-alive connections fetching a 1 MiB body: throughput in MiB/s
#   small        wrk -c 64 on keep-alive connections fetching a small body: requests/s
# Everything listens on and connects to 127.0.0.1 only; every wrk run is bounded by --duration; every
# process started here is stopped by PID on exit. Needs nginx, haproxy, wrk, openssl and curl
# (apt-get install -y nginx-light haproxy wrk openssl curl).
set -euo pipefail

self=$(readlink -f "$0")
here=$(dirname "$self")
root=$(dirname "$(dirname "$here")")
# shellcheck source=../lib/common.sh
source "$here/../lib/common.sh"

fulcrumd="$root/build/release/headless/fulcrumd" rounds=3 duration=8 workers=1 out=""
measurements="handshakes 1m small"
while [[ $# -gt 0 ]]; do
    case $1 in
    --fulcrumd) fulcrumd=$(realpath -- "$2"); shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --measurements) measurements=$2; shift 2 ;;
    --out) out=$(realpath -m -- "$2"); shift 2 ;;
    -h | --help) sed -n '3,23p' "$self" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/tls/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
for tool in nginx haproxy wrk openssl curl; do
    command -v "$tool" >/dev/null || { echo "bench/tls/run.sh: $tool is missing" >&2; exit 2; }
done
[[ -x $fulcrumd ]] || { echo "bench/tls/run.sh: no $fulcrumd (build first: ./fulcrum.sh setup)" >&2; exit 2; }

base=$(free_port_range 6 1)
b1=$base b2=$((base + 1)) b3=$((base + 2)) ngx=$((base + 3)) hap=$((base + 4)) ful=$((base + 5))
tmp=$(mktemp -d /tmp/fulcrum-tls-bench.XXXXXX)
pids=()
cleanup() {
    stop_pids "${pids[@]}"
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/key.pem" \
    -out "$tmp/cert.pem" -days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost 2>/dev/null
cat "$tmp/cert.pem" "$tmp/key.pem" >"$tmp/haproxy.pem"
head -c 1048576 /dev/urandom >"$tmp/1m.bin"

cat >"$tmp/backends.conf" <<CONF
daemon off; master_process off; worker_processes 1; pid $tmp/backends.pid; error_log $tmp/backends.err warn;
events { worker_connections 4096; }
http {
  access_log off; keepalive_requests 1000000; keepalive_timeout 60s;
  server { listen 127.0.0.1:$b1; location / { return 200 "hello from b1\n"; } location = /1m { alias $tmp/1m.bin; } }
  server { listen 127.0.0.1:$b2; location / { return 200 "hello from b2\n"; } location = /1m { alias $tmp/1m.bin; } }
  server { listen 127.0.0.1:$b3; location / { return 200 "hello from b3\n"; } location = /1m { alias $tmp/1m.bin; } }
}
CONF
# The references get what an operator would configure for TLS: session tickets on (their default),
# HTTP/1.1 to keep-alive upstreams.
cat >"$tmp/nginx.conf" <<CONF
daemon off; worker_processes $workers; pid $tmp/nginx.pid; error_log $tmp/nginx.err warn;
events { worker_connections 8192; }
http {
  access_log off; keepalive_requests 1000000; keepalive_timeout 60s;
  upstream pool { server 127.0.0.1:$b1; server 127.0.0.1:$b2; server 127.0.0.1:$b3; keepalive 256; }
  server { listen 127.0.0.1:$ngx ssl reuseport; ssl_certificate $tmp/cert.pem; ssl_certificate_key $tmp/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { proxy_pass http://pool; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
CONF
cat >"$tmp/haproxy.cfg" <<CONF
global
  nbthread $workers
  maxconn 8000
  ssl-default-bind-options ssl-min-ver TLSv1.2
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  http-reuse always
frontend fe
  bind 127.0.0.1:$hap ssl crt $tmp/haproxy.pem alpn http/1.1
  default_backend pool
backend pool
  balance roundrobin
  server b1 127.0.0.1:$b1
  server b2 127.0.0.1:$b2
  server b3 127.0.0.1:$b3
CONF

nginx -c "$tmp/backends.conf" -p "$tmp" & pids+=($!)
nginx -c "$tmp/nginx.conf" -p "$tmp" & pids+=($!)
haproxy -f "$tmp/haproxy.cfg" -db >"$tmp/haproxy.log" 2>&1 & pids+=($!)
"$fulcrumd" --listen "127.0.0.1:$ful,tls" --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" \
    --workers "$workers" --access-log off --backend "http://127.0.0.1:$b1" --backend "http://127.0.0.1:$b2" \
    --backend "http://127.0.0.1:$b3" >"$tmp/fulcrumd.log" 2>&1 & pids+=($!)
targets="nginx:$ngx haproxy:$hap fulcrum:$ful"
for target in $targets; do
    wait_port "${target#*:}" 10 || { tail -n 20 "$tmp"/*.log "$tmp"/*.err >&2 2>/dev/null; exit 1; }
    curl -sfk "https://127.0.0.1:${target#*:}/" >/dev/null ||
        { echo "bench/tls/run.sh: ${target%%:*} does not answer GET / over https" >&2; exit 1; }
done

# One wrk run: "requests/s transfer-MiB/s errors".
run_wrk() { # port measurement
    local args=(-t1 -d"${duration}s")
    case $2 in
    handshakes) args+=(-c32 -H "Connection: close") path=/ ;;
    1m) args+=(-c16) path=/1m ;;
    small) args+=(-c64) path=/ ;;
    esac
    local result
    result=$(wrk "${args[@]}" "https://127.0.0.1:$1$path" 2>&1)
    awk '/Requests\/sec/ {rps=$2}
         /Transfer\/sec/ {v=$2+0; if ($2 ~ /GB$/) v*=1024; else if ($2 ~ /KB$/) v/=1024; else if ($2 ~ /B$/ && $2 !~ /MB$/) v/=1048576; mib=v}
         /Socket errors/ {gsub(",",""); e=$4+$6+$8+$10} /Non-2xx/ {e+=$5}
         END {printf "%s %.1f %d\n", rps+0, mib+0, e+0}' <<<"$result"
}

declare -A results
for ((round = 1; round <= rounds; round++)); do
    for measurement in $measurements; do
        for target in $targets; do
            results["${target%%:*}|$measurement|$round"]=$(run_wrk "${target#*:}" "$measurement")
            echo "round $round $measurement ${target%%:*}: ${results["${target%%:*}|$measurement|$round"]}" >&2
        done
    done
done

median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else printf "%.1f\n", (v[NR/2]+v[NR/2+1])/2}'; }
column_of() { # proxy measurement field
    local round
    for ((round = 1; round <= rounds; round++)); do
        awk -v f="$3" '{print $f}' <<<"${results["$1|$2|$round"]}"
    done | median
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}'; }

{
    echo "| measurement | proxy | value (median) | errors | vs nginx | vs haproxy |"
    echo "|---|---|---|---|---|---|"
    for measurement in $measurements; do
        field=1 unit="handshakes/s"
        [[ $measurement == 1m ]] && field=2 unit="MiB/s"
        [[ $measurement == small ]] && unit="requests/s"
        reference_nginx=$(column_of nginx "$measurement" "$field")
        reference_haproxy=$(column_of haproxy "$measurement" "$field")
        for target in $targets; do
            proxy=${target%%:*}
            value=$(column_of "$proxy" "$measurement" "$field")
            printf "| %s | %s | %s %s | %s | %s | %s |\n" "$measurement" "$proxy" "$value" "$unit" \
                "$(column_of "$proxy" "$measurement" 3)" "$(ratio "$value" "$reference_nginx")" \
                "$(ratio "$value" "$reference_haproxy")"
        done
    done
    echo
    echo "workers per proxy: $workers · wrk -t1 · ${duration}s runs · median of $rounds rounds · $(nproc) cores ·" \
        "TLS 1.3, ECDSA P-256 · nginx $(nginx -v 2>&1 | sed 's/.*\///') · haproxy $(haproxy -v | head -1 | awk '{print $3}')" \
        "· $(openssl version | awk '{print $1, $2}')"
} | tee ${out:+"$out"}
