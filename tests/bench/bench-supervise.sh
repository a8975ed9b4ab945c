#!/usr/bin/env bash
# bench-supervise.sh [-s SECONDS] NSPAWN_COMPOSE: in a fresh testbed, a project of 20 services
# kept by `supervise` (its default --interval 60): once it is in sync, the supervisor's CPU time
# and RSS over SECONDS (default 60) of idling, beside the obvious alternative, a timer that runs a
# no-op `apply` once a minute (the CPU and wall time of one, median of 5). Then the time from a
# service stopped by hand to its return (median of 5). Prints numbers only: it never passes or
# fails on them. Run as root.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
secs=60
if [ "${1:-}" = -s ]; then
        secs=$2
        shift 2
fi
binary=$(realpath "${1:?usage: bench-supervise.sh [-s SECONDS] NSPAWN_COMPOSE}")

# Runs inside the testbed: $1 = seconds.
inner=$(cat <<'INNER'
set -eu
secs=$1
unit=nspawn-compose-supervise-benchsup.service
mkdir -p /srv/bench-supervise
cd /srv/bench-supervise
{
        echo "name: benchsup"
        echo "services:"
        for i in $(seq 1 20); do
                printf '  s%s:\n    image: 127.0.0.1:5000/test/httpd:1\n' "$i"
        done
} >compose.yml
stats() {       # numbers on stdin -> "median min max"
        sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1], a[NR]}'
}
ticks() {       # utime + stime of PID $1, in clock ticks
        awk '{print $14 + $15}' "/proc/$1/stat"
}
in_sync() {
        for _ in $(seq 1 600); do
                if ! systemctl show -P StatusText $unit | grep -q converging &&
                   [ -z "$(systemctl list-jobs --no-legend)" ] && nspawn-compose plan >/dev/null 2>&1; then
                        return 0
                fi
                sleep 0.1
        done
        echo "the supervisor did not converge" >&2
        return 1
}
hz=$(getconf CLK_TCK)

systemd-run --quiet --unit=$unit -p Type=notify -p WorkingDirectory=/srv/bench-supervise \
        nspawn-compose supervise
in_sync
pid=$(systemctl show -P MainPID $unit)
t0=$(ticks "$pid")
sleep "$secs"
t1=$(ticks "$pid")
rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
passes=$(systemctl show -P StatusText $unit)
awk -v t=$((t1 - t0)) -v hz="$hz" -v s="$secs" \
        'BEGIN {printf "supervise, 20 services, idle %d s: CPU %.2f s (%.3f %% of one CPU), ", s, t / hz, 100 * t / hz / s}'
echo "RSS ${rss} KiB (status: $passes)"

# the alternative: a no-op apply from a timer, once a minute (bash's time: getrusage, in ms)
TIMEFORMAT='%3R %3U %3S'
for _ in 1 2 3 4 5; do
        { time nspawn-compose apply >/dev/null 2>apply.err || { cat apply.err >&2; exit 1; }; } 2>&1
done | awk '{printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000}' >apply-runs
read -r wall _ < <(cut -d' ' -f1 apply-runs | stats)
read -r cpu _ < <(cut -d' ' -f2 apply-runs | stats)
awk -v w="$wall" -v c="$cpu" \
        'BEGIN {printf "no-op apply once a minute (timer), 20 services: %d ms wall, CPU %d ms a minute (%.3f %% of one CPU)\n", w, c, 100 * c / 1000 / 60}'

# a service stopped by hand, back by the supervisor's reaction to systemd's signal
for _ in 1 2 3 4 5; do
        t0=$(date +%s%N)
        systemctl stop nspawn-compose-benchsup.s1.service
        until systemctl is-active --quiet nspawn-compose-benchsup.s1.service; do sleep 0.02; done
        t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000000 ))
        in_sync
done | stats >repair
read -r med min max <repair
echo "service stopped by hand -> active again: median $med ms (min $min, max $max; --interval 60 would take up to 60 s)"
systemctl stop $unit
nspawn-compose down >/dev/null 2>&1
INNER
)

"$top/tests/testbed/shell.sh" "$binary" -- bash -c "$inner" bench "$secs" 2>&1 | grep -v '^#'
