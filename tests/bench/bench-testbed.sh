#!/usr/bin/env bash
# bench-testbed.sh [-n RUNS] [--cold] [--cases PATTERNS] NSPAWN_COMPOSE: runs the integration
# runner RUNS times (default 5) and prints, per harness phase ("# phase NAME 1.23s" lines), the
# median with min and max, plus the wall time of whole runs. Only the smoke-systemd case runs
# unless --cases says otherwise, so the numbers are the harness's own. --cold builds the root
# filesystem in a fresh cache every run (about a minute each, needs the Debian mirror).
# Prints numbers only: it never passes or fails on time. Run as root.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
runs=5 cold= cases=t-smoke-systemd

while [ $# -gt 0 ]; do
        case $1 in
        -n) runs=$2; shift 2 ;;
        --cold) cold=1; shift ;;
        --cases) cases=$2; shift 2 ;;
        -*) echo "bench-testbed: unknown option $1" >&2; exit 2 ;;
        *) break ;;
        esac
done
binary=${1:?usage: bench-testbed.sh [-n RUNS] [--cold] [--cases PATTERNS] NSPAWN_COMPOSE}
build=$(cd "$(dirname "$binary")/.." && pwd)
# shellcheck source=../testbed/lib.sh
source "$top/tests/testbed/lib.sh"
mapfile -t options < <(tb_build_options "$build")
out=$(mktemp -d /tmp/bench-testbed.XXXXXX)
cache=
trap 'rm -rf "$out"; [ -z "$cache" ] || rm -rf --one-file-system "$cache"' EXIT

for ((i = 1; i <= runs; i++)); do
        cache=
        if [ -n "$cold" ]; then
                cache=$(mktemp -d /var/tmp/bench-testbed-cache.XXXXXX)
        fi
        t0=$(date +%s%N)
        env NC_TESTBED_CASES="$cases" ${cache:+NC_TESTBED_CACHE="$cache"} \
                "$top/tests/integration/run.sh" "$build/tests/integration/package" "${options[@]}" >"$out/run-$i.tap" 2>"$out/run-$i.err" ||
                { echo "run $i failed:" >&2; cat "$out/run-$i.tap" "$out/run-$i.err" >&2; exit 1; }
        t1=$(date +%s%N)
        [ -z "$cache" ] || rm -rf --one-file-system "$cache"
        cache=
        sed -n 's/^# phase \([^ ]*\) \([0-9.]*\)s$/\1 \2/p' "$out/run-$i.tap" >>"$out/phases"
        echo "total $(( (t1 - t0) / 1000000 ))" |
                awk '{ printf "%s %.2f\n", $1, $2 / 1000 }' >>"$out/phases"
        echo "run $i/$runs: $(( (t1 - t0) / 1000000 )) ms" >&2
done

echo "# bench-testbed: $runs runs, cases '$cases', $(nproc) CPUs$([ -z "$cold" ] || echo ", cold root")"
printf '%-28s %8s %8s %8s\n' phase median min max
# Phases in the order of the first run; the median of an even count is the mean of the middle two.
awk '{ print $1 }' "$out/phases" | awk '!seen[$0]++' | while read -r phase; do
        awk -v p="$phase" '$1 == p { print $2 }' "$out/phases" | sort -n | awk -v p="$phase" '
                { v[NR] = $1 }
                END {
                        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                        printf "%-28s %7.2fs %7.2fs %7.2fs\n", p, m, v[1], v[NR]
                }'
done
