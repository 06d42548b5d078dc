#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/compare.sh — fulcrumd side by side with nginx and HAProxy, through the shared benchmark
# (../shared/bench/compare.sh from the repository root), on the release build.
#
# Usage: bench/compare.sh [--rounds N] [--duration S] [--conns "A B"] [--workers W]
#                         [--payloads "small 1m"] [--out FILE]
# Every option is passed on to the shared script; --out defaults to docs/benchmark-latest.md.
# Build first: ./fulcrum.sh setup (or run ./fulcrum.sh bench, which does both).
set -euo pipefail

self=$(readlink -f "$0")
root=$(dirname "$(dirname "$self")")

out="$root/docs/benchmark-latest.md"
args=()
while [[ $# -gt 0 ]]; do
    case $1 in
    --rounds | --duration | --conns | --workers | --payloads)
        [[ $# -ge 2 ]] || { echo "bench/compare.sh: $1 needs a value" >&2; exit 2; }
        args+=("$1" "$2")
        shift 2
        ;;
    --out)
        [[ $# -ge 2 ]] || { echo "bench/compare.sh: --out needs a value" >&2; exit 2; }
        out=$(realpath -m -- "$2")
        shift 2
        ;;
    -h | --help)
        sed -n '3,9p' "$self" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "bench/compare.sh: unknown option $1 (see --help)" >&2
        exit 2
        ;;
    esac
done

cd "$root"
shared="$(dirname "$self")/../../shared/bench/compare.sh"
[[ -f $shared ]] || { echo "bench/compare.sh: shared benchmark not found at $shared" >&2; exit 1; }
[[ -x build/release/headless/fulcrumd ]] ||
    { echo "bench/compare.sh: build/release/headless/fulcrumd is not built (run ./fulcrum.sh setup)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"

# The shared script runs the candidate under `sh -c` from this directory with FRONT_PORT, BACKENDS and
# WORKERS set; the single quotes leave them for that shell to expand.
# shellcheck disable=SC2016
candidate='build/release/headless/fulcrumd --listen 127.0.0.1:$FRONT_PORT --workers $WORKERS --access-log off $(echo $BACKENDS | tr , "\n" | sed "s/^/--backend /")'
exec bash "$shared" "${args[@]}" --out "$out" -- "$candidate"
