# SPDX-License-Identifier: GPL-3.0-or-later
# Helpers the benchmark scripts share (sourced, not run): ports on 127.0.0.1 and stopping what they started.

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints the first of COUNT consecutive free ports, trying up to 50 random bases from 20000 in steps of
# STEP; fails when none is found.
free_port_range() { # count step
    local attempt candidate port ok
    for attempt in $(seq 1 50); do
        candidate=$((20000 + (RANDOM % 400) * $2))
        ok=1
        for port in $(seq "$candidate" $((candidate + $1 - 1))); do
            port_free "$port" || { ok=0; break; }
        done
        if ((ok)); then
            echo "$candidate"
            return 0
        fi
    done
    echo "run.sh: no free port range" >&2
    return 1
}

wait_port() { # port, seconds
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        port_free "$1" || return 0
        sleep 0.1
    done
    echo "run.sh: nothing listens on 127.0.0.1:$1" >&2
    return 1
}

# SIGTERM to every pid, then up to 2 s for each to go before SIGKILL; reaps them all.
stop_pids() { # pid...
    local pid
    for pid in "$@"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "$@"; do
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
