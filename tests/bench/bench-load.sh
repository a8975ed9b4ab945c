#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Time to load and render compose projects of 10, 100 and 1000 services; prints numbers only,
# never passes or fails on time.
#
#   tests/bench/bench-load.sh [NSPAWN_COMPOSE [RUNS]]
#
# NSPAWN_COMPOSE defaults to build/cmd/nspawn-compose under the source tree (or $NC_BUILD_ROOT),
# RUNS to 5. Each size gets a generated project (image, published port, environment, depends_on
# chains with healthy/started conditions, healthcheck, named and bind volumes, two networks) and
# is timed, wall clock, median of RUNS after one warm-up run, for:
#   config      nspawn-compose -f compose.yml config > /dev/null
#   render      nspawn-compose -f compose.yml render --output-dir EMPTY_DIR
#   yaml.safe_load  python3 -c 'import yaml; yaml.safe_load(open(FILE))' (PyYAML, when installed):
#               a plain YAML parse of the same file as a yardstick, since docker compose is not here.
# The last columns are config and render divided by the yardstick.

set -euo pipefail
shopt -s inherit_errexit

src=$(cd "$(dirname "$0")/../.." && pwd)
exe=${1:-${NC_BUILD_ROOT:-$src/build}/cmd/nspawn-compose}
runs=${2:-5}
sizes=(10 100 1000)

[[ -x $exe ]] || { echo "bench-load: $exe is not an executable (build first, or pass its path)" >&2; exit 1; }
exe=$(realpath "$exe")
work=$(mktemp -d /tmp/bench-load-XXXXXX)
trap 'rm -rf "$work"' EXIT

# One service of the generated project. Services form dependency chains of ten: the first of a
# chain waits for nothing, the others for the previous one (healthy, or every third one started).
gen_service() {
        local i=$1 dep=$(( $1 - 1 ))

        cat <<EOF
  svc$i:
    image: registry.example.com/team/app$(( i % 7 )):1.$(( i % 13 )).0
    restart: unless-stopped
    ports:
      - "127.0.0.1:$(( 20000 + i )):8080"
      - "$(( 40000 + i )):9090/udp"
    environment:
      SERVICE_NAME: svc$i
      LOG_LEVEL: \${LOG_LEVEL:-info}
      DATABASE_URL: postgres://app:secret@db$(( i / 10 )):5432/app$i
      CACHE_TTL: "300"
      FEATURE_FLAGS: a,b,c
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O /dev/null http://localhost:8080/health || exit 1"]
      interval: 10s
      timeout: 3s
      retries: 5
      start_period: 30s
    volumes:
      - data$i:/var/lib/app
      - ./config/app.conf:/etc/app/app.conf:ro
    networks:
      - front
      - back
EOF
        if (( i % 10 != 0 )); then
                cat <<EOF
    depends_on:
      svc$dep:
        condition: $( (( i % 3 == 0 )) && echo service_started || echo service_healthy )
EOF
        fi
}

gen_project() {
        local n=$1 dir=$2

        mkdir -p "$dir/config"
        : > "$dir/config/app.conf"
        {
                echo "name: bench$n"
                echo "services:"
                for (( i = 0; i < n; i++ )); do gen_service "$i"; done
                # /16 subnets: the default pool's smaller ones do not hold 1000 services.
                echo "networks:"
                echo "  front:"
                echo "    ipam: {config: [{subnet: 10.$(( n % 200 )).0.0/16}]}"
                echo "  back:"
                echo "    internal: true"
                echo "    ipam: {config: [{subnet: 10.$(( n % 200 + 1 )).0.0/16}]}"
                echo "volumes:"
                for (( i = 0; i < n; i++ )); do echo "  data$i: {}"; done
        } > "$dir/compose.yml"
}

now_ns() {
        date +%s%N
}

# Median wall time in milliseconds (3 decimals) of RUNS runs of "$@", after one warm-up run.
# $prepare (a function name or :) runs before each, untimed.
median_ms() {
        local prepare=$1; shift
        local t=() start end

        "$prepare"
        "$@" > /dev/null
        for (( r = 0; r < runs; r++ )); do
                "$prepare"
                start=$(now_ns)
                "$@" > /dev/null
                end=$(now_ns)
                t+=( $(( end - start )) )
        done
        printf '%s\n' "${t[@]}" | sort -n | awk '{ v[NR] = $1 } END {
                m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                printf "%.3f\n", m / 1e6 }'
}

fresh_output() {
        rm -rf "$out"
        mkdir -p "$out"
}

ratio() {
        [[ $2 == - ]] && { echo -; return; }
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", a / b }'
}

have_pyyaml=0
python3 -c 'import yaml' 2>/dev/null && have_pyyaml=1

printf '%s; median of %d runs, wall ms\n' "$("$exe" --version 2>/dev/null | head -n1)" "$runs"
printf '%8s %10s %12s %12s %16s %14s %14s\n' services lines config render yaml.safe_load config/yaml render/yaml
for n in "${sizes[@]}"; do
        dir=$work/p$n
        out=$work/out$n
        gen_project "$n" "$dir"
        cd "$dir"
        c=$(median_ms : "$exe" -f compose.yml config)
        r=$(median_ms fresh_output "$exe" -f compose.yml render --output-dir "$out")
        y=-
        (( have_pyyaml )) && y=$(median_ms : python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' compose.yml)
        printf '%8d %10d %12s %12s %16s %14s %14s\n' "$n" "$(wc -l < compose.yml)" "$c" "$r" "$y" \
                "$(ratio "$c" "$y")" "$(ratio "$r" "$y")"
done
(( have_pyyaml )) || echo "(python3-yaml not installed: no yardstick)"
