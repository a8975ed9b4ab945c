#!/usr/bin/env bash
# bench-app-build.sh [-n RUNS] NSPAWN_COMPOSE: in a fresh testbed with the application base image
# (tests/testbed/appbase.sh), builds the images of the three-tier application
# (tests/data/app-three-tier: db, app, proxy) RUNS times (default 3) with `nspawn-compose build
# SERVICE` and, beside it, with `buildah bud` run by hand on the same context, with the storage
# (vfs) and runtime options nspawn-compose gives buildah: cold (buildah's storage empty, so the
# base is pulled from the testbed's registry first) and warm (every layer in buildah's cache).
# Prints the median (min, max) of each and the ratio of the medians; nspawn-compose's time also
# covers what a by-hand build does not do: the context's hash, the push of the result and its
# import into the image store. Prints numbers only: it never passes or fails on time. Run as root;
# needs Debian's package mirror the first time (the base image is cached).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
runs=3
if [ "${1:-}" = -n ]; then
        runs=$2
        shift 2
fi
binary=$(realpath "${1:?usage: bench-app-build.sh [-n RUNS] NSPAWN_COMPOSE}")
# shellcheck source=../testbed/lib.sh
source "$top/tests/testbed/lib.sh"
why=$(tb_check_host) || { echo "bench-app-build: SKIP: $why"; exit 77; }

# Runs inside the testbed, the contexts arriving as a tar on stdin: $1 = runs.
inner=$(cat <<'INNER'
set -eu
runs=$1
dir=/srv/bench-app
hand=/var/tmp/bench-buildah
mkdir -p "$dir"
cd "$dir"
tar -xf -
cat >compose.yml <<'YML'
services:
  db: {build: ./db}
  app: {build: ./app}
  proxy: {build: ./proxy}
YML

# the same options as nspawn-compose's (reconcile/runtime/runtime-build.c)
by_hand() {
        buildah --root "$hand/storage" --runroot "$hand/run" --storage-driver vfs \
                bud --isolation oci --runtime crun --runtime-flag cgroup-manager=disabled \
                --cgroupns private --layers --format docker --quiet -t "bench/$1" "./$1"
}
ours() {
        nspawn-compose build "$1"
}
cold_ours() {
        rm -rf /var/lib/nspawn-compose/build /var/lib/nspawn-compose/images
}
cold_by_hand() {
        rm -rf "$hand"
}
# time_ms CMD...: wall milliseconds of one run, which must succeed
time_ms() {
        local t0 t1
        t0=$(date +%s%N)
        "$@" >/tmp/bench-step.log 2>&1 || { echo "failed: $*" >&2; cat /tmp/bench-step.log >&2; exit 1; }
        t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000000 ))
}

for i in $(seq 1 "$runs"); do
        for tool in ours by_hand; do
                "cold_$tool"
                for image in db app proxy; do
                        echo "$image cold $tool $(time_ms "$tool" "$image")"
                done
                for image in db app proxy; do
                        echo "$image warm $tool $(time_ms "$tool" "$image")"
                done
        done
        echo "run $i/$runs done" >&2
done
INNER
)

out=$(mktemp /tmp/bench-app-build.XXXXXX)
trap 'rm -f "$out"' EXIT
tar -C "$top/tests/data/app-three-tier" -cf - db app proxy |
        NC_TESTBED_APPBASE=1 "$top/tests/testbed/shell.sh" "$binary" -- bash -c "$inner" bench "$runs" |
        grep -v '^#' >"$out"

echo "# bench-app-build: $runs runs, $(nproc) CPUs; buildah by hand with nspawn-compose's storage and runtime options"
printf '%-6s %-5s %-30s %-30s %s\n' image cache "nspawn-compose build" "buildah bud by hand" ratio
# stats: seconds "median (min-max)" of the milliseconds on stdin; the median of an even count is
# the mean of the middle two
stats() {
        sort -n | awk '{ v[NR] = $1 } END {
                m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                printf "%.2f %.2f %.2f\n", m / 1000, v[1] / 1000, v[NR] / 1000 }'
}
for image in db app proxy; do
        for cache in cold warm; do
                read -r om omin omax < <(awk -v i="$image" -v c="$cache" '$1 == i && $2 == c && $3 == "ours" { print $4 }' "$out" | stats)
                read -r hm hmin hmax < <(awk -v i="$image" -v c="$cache" '$1 == i && $2 == c && $3 == "by_hand" { print $4 }' "$out" | stats)
                printf '%-6s %-5s %-30s %-30s %s\n' "$image" "$cache" \
                        "${om}s ($omin-$omax)" "${hm}s ($hmin-$hmax)" "$(awk -v a="$om" -v b="$hm" 'BEGIN { printf "%.2f", a / b }')"
        done
done
