#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Time and peak memory of `nspawn-compose config` on hostile inputs, each beside a benign file of
# about the same size; prints numbers only, never passes or fails on time.
#
#   tests/bench/bench-loader-limits.sh [NSPAWN_COMPOSE]
#
# NSPAWN_COMPOSE defaults to build/cmd/nspawn-compose under the source tree (or $NC_BUILD_ROOT).
# Each input is loaded once under /usr/bin/time (wall seconds, peak RSS in MiB), then the first
# line of its result (an error or "ok") is shown. Inputs:
#   alias-bytes      a 1 MiB string anchored and aliased 20 000 times (was: killed at 3 GB RSS)
#   include-fan-out  30 files, each including the next twice (was: 2^30 loads)
#   interp-nesting   50 000 nested ${A:-…} (was: a stack overflow)
#   env-keys         50 000 environment keys (was: minutes, O(n²))
#   env-file-zero    env_file: /dev/zero (was: reads until killed)
# and for each a benign file of the same size: one long string without aliases, one file with as
# many services, a long literal image name, as many environment keys padded to size, a regular
# env_file.

set -euo pipefail
shopt -s inherit_errexit

src=$(cd "$(dirname "$0")/../.." && pwd)
exe=${1:-${NC_BUILD_ROOT:-$src/build}/cmd/nspawn-compose}

[[ -x $exe ]] || { echo "bench-loader-limits: $exe is not an executable (build first, or pass its path)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "bench-loader-limits: needs /usr/bin/time (GNU time)" >&2; exit 1; }
exe=$(realpath "$exe")
work=$(mktemp -d /tmp/bench-loader-limits-XXXXXX)
trap 'rm -rf "$work"' EXIT

repeat() {      # repeat STRING COUNT
        local s=$1 n=$2
        printf "%${n}s" "" | sed "s/ /$s/g"
}

mk() {          # mk NAME: a directory for one input, whose compose.yml the caller writes
        mkdir -p "$work/$1"
        echo "$work/$1/compose.yml"
}

gen_alias() {
        local f big
        big=$(head -c 1048576 /dev/zero | tr '\0' x)
        f=$(mk alias-bytes)
        { echo "x-big: &big \"$big\""; echo "x-copies:"; for _ in $(seq 20000); do echo "  - *big"; done
          echo "services: {}"; } > "$f"
        f=$(mk alias-bytes-benign)
        { echo "x-big: \"$big\""; echo "x-copies:"; for _ in $(seq 20000); do echo "  - small"; done
          echo "services: {}"; } > "$f"
}

gen_fan_out() {
        local d=$work/include-fan-out i
        mkdir -p "$d" "$work/include-fan-out-benign"
        for i in $(seq 0 29); do
                printf 'include: [f%d.yml, ./f%d.yml]\nservices:\n  s%d: {image: x}\n' $((i + 1)) $((i + 1)) "$i" > "$d/f$i.yml"
        done
        printf 'services:\n  last: {image: x}\n' > "$d/f30.yml"
        cp "$d/f0.yml" "$d/compose.yml"
        { echo "services:"; for i in $(seq 0 30); do printf '  s%d: {image: x}\n' "$i"; done; } \
                > "$work/include-fan-out-benign/compose.yml"
}

gen_interp() {
        local f
        f=$(mk interp-nesting)
        printf 'services:\n  web:\n    image: %sx%s\n' "$(repeat '${A:-' 50000)" "$(repeat '}' 50000)" > "$f"
        f=$(mk interp-nesting-benign)
        printf 'services:\n  web:\n    image: x%s\n' "$(head -c 300000 /dev/zero | tr '\0' y)" > "$f"
}

gen_env() {
        local f
        f=$(mk env-keys)
        { printf 'services:\n  web:\n    image: x\n    environment:\n'
          seq 0 49999 | sed 's/.*/      K&: v/'; } > "$f"
        f=$(mk env-keys-benign)
        { printf 'services:\n  web:\n    image: x\n    environment:\n'
          printf '      K: "%s"\n' "$(head -c "$(($(stat -c %s "$work/env-keys/compose.yml") - 60))" /dev/zero | tr '\0' v)"; } > "$f"
}

gen_env_file() {
        local f
        f=$(mk env-file-zero)
        printf 'services:\n  web:\n    image: x\n    env_file: /dev/zero\n' > "$f"
        f=$(mk env-file-zero-benign)
        echo "K=v" > "$work/env-file-zero-benign/vars.env"
        printf 'services:\n  web:\n    image: x\n    env_file: vars.env\n' > "$f"
}

run() {         # run NAME
        local f=$work/$1/compose.yml result stats size
        size=$(cat "$work/$1"/* | wc -c)
        (cd "$work/$1" && /usr/bin/time -f '%e %M' -o "$work/time" \
                timeout 600 "$exe" -f "$f" -p bench config > /dev/null 2> "$work/err") || true
        stats=$(tail -n 1 "$work/time")
        result=$( (grep -v '^Command exited' "$work/err" || true) | head -n 1 |
                sed "s|^<[0-9]>||; s|$work/||" | cut -c1-80)
        printf '%-24s %10s %8ss %8s MiB  %s\n' "$1" "$size" "${stats% *}" "$(( ${stats#* } / 1024 ))" \
                "${result:-ok}"
}

gen_alias
gen_fan_out
gen_interp
gen_env
gen_env_file
printf '%-24s %10s %9s %12s  %s\n' input bytes time "peak RSS" result
for t in alias-bytes include-fan-out interp-nesting env-keys env-file-zero; do
        run "$t"
        run "$t-benign"
done
