#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/matrix.sh — the whole performance matrix in one command: fulcrumd side by side with nginx and
# HAProxy (through the shared compare.sh) at 64, 256, 1000 and 4000 connections, small and 1 MiB
# responses, with 1 and with 2 workers for every proxy. fulcrumd runs as shipped: metrics on and an
# active health check on every backend; access logs are off, as in the reference proxies' configs.
#
# Usage: bench/matrix.sh [--rounds N] [--duration S] [--conns "A B"] [--workers "1 2"]
#                        [--payloads "small 1m"] [--out FILE]
# Writes one table per worker count to FILE (default docs/benchmark-matrix.md). Every run is bounded:
# rounds × targets × connection counts × payloads runs of S seconds each.
set -euo pipefail

self=$(readlink -f "$0")
root=$(dirname "$(dirname "$self")")
shared="$root/../shared/bench/compare.sh"

rounds=2 duration=5 conns="64 256 1000 4000" workers="1 2" payloads="small 1m"
out="$root/docs/benchmark-matrix.md"
while [[ $# -gt 0 ]]; do
    [[ $# -ge 2 ]] || { echo "bench/matrix.sh: $1 needs a value (see --help)" >&2; exit 2; }
    case $1 in
    --rounds) rounds=$2 ;;
    --duration) duration=$2 ;;
    --conns) conns=$2 ;;
    --workers) workers=$2 ;;
    --payloads) payloads=$2 ;;
    --out) out=$(realpath -m -- "$2") ;;
    -h | --help)
        sed -n '3,11p' "$self" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "bench/matrix.sh: unknown option $1 (see --help)" >&2
        exit 2
        ;;
    esac
    shift 2
done

[[ -f $shared ]] || { echo "bench/matrix.sh: shared benchmark not found at $shared" >&2; exit 1; }
[[ -x $root/build/release/headless/fulcrumd ]] ||
    { echo "bench/matrix.sh: build/release/headless/fulcrumd is not built (run ./fulcrum.sh setup)" >&2; exit 1; }
# 4000 connections per wrk plus as many per proxy and backend need more descriptors than the default.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

cd "$root"
# The shared script runs the candidate under `sh -c` with FRONT_PORT, BACKENDS and WORKERS set.
# shellcheck disable=SC2016
candidate='build/release/headless/fulcrumd --listen 127.0.0.1:$FRONT_PORT --workers $WORKERS --access-log off --health-check / $(echo $BACKENDS | tr , "\n" | sed "s/^/--backend /")'

mkdir -p "$(dirname "$out")"
{
    echo "# Benchmark matrix"
    echo
    echo "\`bench/matrix.sh --rounds $rounds --duration $duration --conns \"$conns\" --workers \"$workers\" --payloads \"$payloads\"\`"
    echo "on $(date -u +%Y-%m-%d), $(nproc) cores. Ratios are the candidate's (fulcrumd) to nginx and HAProxy in the same interleaved run."
} >"$out"
for w in $workers; do
    table=$(mktemp)
    bash "$shared" --rounds "$rounds" --duration "$duration" --conns "$conns" --workers "$w" \
        --payloads "$payloads" --out "$table" -- "$candidate"
    { echo; echo "## $w worker(s) per proxy"; echo; cat "$table"; } >>"$out"
    rm -f "$table"
done
echo "bench/matrix.sh: wrote $out"
