#!/usr/bin/env bash
# bench-plan.sh [-n RUNS] NSPAWN_COMPOSE: in a fresh testbed, applies projects of 10 and 50
# services (busybox httpd), then times, on the converged project, `plan` and a no-op `apply`
# (median and min/max of RUNS runs, default 7) and counts their D-Bus round trips; beside them,
# as the yardstick, `systemctl list-units` on the same host. Prints numbers only. Run as root.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
runs=7
if [ "${1:-}" = -n ]; then
        runs=$2
        shift 2
fi
binary=$(realpath "${1:?usage: bench-plan.sh [-n RUNS] NSPAWN_COMPOSE}")

# Runs inside the testbed: $1 = service count, $2 = runs.
inner=$(cat <<'INNER'
set -eu
n=$1 runs=$2
dir=/srv/bench-$n
mkdir -p $dir
cd $dir
{
        echo "name: bench$n"
        echo "services:"
        for i in $(seq 1 $n); do
                echo "  s$i:"
                echo "    image: 127.0.0.1:5000/test/httpd:1"
                echo "    environment: {INDEX: \"$i\"}"
                [ $i -eq 1 ] || echo "    depends_on: [s$((i - 1))]"
        done
} >compose.yml
nspawn-compose apply >/dev/null

# time_ms CMD...: wall milliseconds of one run
time_ms() {
        local t0 t1
        t0=$(date +%s%N)
        "$@" >/dev/null 2>&1 || true
        t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000 ))
}
stats() {       # microseconds on stdin → "median min max" in ms
        sort -n | awk '{a[NR]=$1} END {printf "%.1f %.1f %.1f\n", a[int((NR+1)/2)]/1000, a[1]/1000, a[NR]/1000}'
}
for what in plan apply list-units; do
        for i in $(seq 1 $runs); do
                case $what in
                plan) time_ms nspawn-compose plan ;;
                apply) time_ms nspawn-compose apply ;;
                list-units) time_ms systemctl list-units --all --no-pager ;;
                esac
        done | stats | { read -r med min max; printf "%-3s services  %-11s median %7s ms  (min %s, max %s)\n" "$n" "$what" "$med" "$min" "$max"; }
done
calls=$(nspawn-compose -v plan 2>&1 | sed -n "s/.*read with \([0-9]*\) D-Bus calls.*/\1/p")
printf "%-3s services  D-Bus calls per plan: %s (pipelined: 2 sequential round trips)\n" "$n" "$calls"
nspawn-compose down >/dev/null
INNER
)

for n in 10 50; do
        "$top/tests/testbed/shell.sh" "$binary" -- bash -c "$inner" bench "$n" "$runs" 2>&1 |
                grep -v '^#'
done
