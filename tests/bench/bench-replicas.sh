#!/usr/bin/env bash
# bench-replicas.sh [-n RUNS] NSPAWN_COMPOSE: in a fresh testbed, (1) times `up -d` of a service
# with 3 replicas beside the same service with 1, each next to one other service (median, min and max of RUNS runs, default 5,
# `down` between runs), and (2) measures HTTP requests per second (busybox wget, 4 clients in
# parallel, 400 requests per run) through one published host port balanced over 3 replicas
# beside the same through a port of one replica, with the ratio. Prints numbers only: it never
# passes or fails on them. Run as root.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
runs=5
if [ "${1:-}" = -n ]; then
        runs=$2
        shift 2
fi
binary=$(realpath "${1:?usage: bench-replicas.sh [-n RUNS] NSPAWN_COMPOSE}")

# Runs inside the testbed: $1 = runs.
inner=$(cat <<'INNER'
set -eu
runs=$1
mkdir -p /srv/bench-replicas
cd /srv/bench-replicas
write() {       # $1 = replicas of "web"
        cat >compose.yml <<EOF
name: benchrep
services:
  web:
    image: 127.0.0.1:5000/test/httpd:1
    scale: $1
    ports: ["8130:80"]
  one:
    image: 127.0.0.1:5000/test/httpd:1
    ports: ["8131:80"]
EOF
}
ms() { echo $(( ($2 - $1) / 1000000 )); }
stats() {       # numbers on stdin -> "median min max"
        sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1], a[NR]}'
}

for n in 1 3; do
        write "$n"
        for i in $(seq 1 "$runs"); do
                t0=$(date +%s%N)
                nspawn-compose up -d >/dev/null 2>&1
                t1=$(date +%s%N)
                ms "$t0" "$t1"
                nspawn-compose down >/dev/null 2>&1
        done | stats >"up-$n"
        read -r med min max <"up-$n"
        printf 'up -d, web with %s replica(s)  median %5s ms  (min %s, max %s)\n' "$n" "$med" "$min" "$max"
done
read -r up1 _ <up-1
read -r up3 _ <up-3
awk -v a="$up3" -v b="$up1" 'BEGIN {printf "up -d ratio 3 replicas / 1: %.2f\n", a / b}'

# load PORT: requests per second of 400 fetches by 4 parallel clients
load() {
        local t0 t1 c
        t0=$(date +%s%N)
        for c in 1 2 3 4; do
                (for i in $(seq 1 100); do timeout 5 busybox wget -q -O /dev/null "http://127.0.0.1:$1/" || echo fail >&2; done) &
        done
        wait
        t1=$(date +%s%N)
        echo $(( 400 * 1000000000 / (t1 - t0) ))
}
write 3
nspawn-compose up -d >/dev/null 2>&1
for port in 8130 8131; do       # warm both paths: every replica answers
        for i in 1 2 3 4 5 6; do timeout 5 busybox wget -q -O /dev/null "http://127.0.0.1:$port/" || sleep 0.2; done
done
for i in $(seq 1 "$runs"); do load 8130; done | stats >rps-lb
for i in $(seq 1 "$runs"); do load 8131; done | stats >rps-one
read -r lb lbmin lbmax <rps-lb
read -r one onemin onemax <rps-one
printf 'requests/s through 8130 (3 replicas, balanced)  median %5s  (min %s, max %s)\n' "$lb" "$lbmin" "$lbmax"
printf 'requests/s through 8131 (1 replica)             median %5s  (min %s, max %s)\n' "$one" "$onemin" "$onemax"
awk -v a="$lb" -v b="$one" 'BEGIN {printf "requests/s ratio balanced / one: %.2f (clients and servers share the testbed CPUs: %s)\n", a / b, '"$(nproc)"'}'
nspawn-compose down >/dev/null 2>&1
INNER
)

"$top/tests/testbed/shell.sh" "$binary" -- bash -c "$inner" bench "$runs" 2>&1 | grep -v '^#'
