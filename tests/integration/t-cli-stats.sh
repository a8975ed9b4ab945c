# stats: docker compose stats' columns and --format json, once with --no-stream, from what systemd
# and the unit's cgroup account for.

p=$(basename "$TB_PROJECT")
tb_write_compose <<EOF2
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    mem_limit: 64m
EOF2
tb_defer tb_nc down
tb_nc up -d web 2>/dev/null

out=$(tb_nc stats --no-stream)
tb_note "$out"
tb_assert_eq "$(head -n1 <<<"$out" | tr -s ' ')" "NAME CPU % MEM USAGE / LIMIT MEM % NET I/O BLOCK I/O PIDS" "stats header"
line=$(grep "^$p.web " <<<"$out") || tb_fail "no line for $p.web in: $out"
[[ $line =~ ^$p\.web\ +[0-9]+\.[0-9]{2}%\ +[0-9.]+[KMG]?i?B\ /\ 64MiB\ +[0-9]+\.[0-9]{2}%\ +[0-9.]+k?M?B\ /\ [0-9.]+k?M?B\ +[0-9.]+k?M?G?B\ /\ [0-9.]+k?M?G?B\ +[1-9][0-9]*$ ]] ||
        tb_fail "stats line: '$line'"
tb_assert_eq "$(wc -l <<<"$out")" 2 "--no-stream prints once"

json=$(tb_nc stats --no-stream --format json web)
tb_note "$json"
tb_assert_eq "$(python3 -c '
import json, sys
o = json.loads(sys.argv[1])
print(o["Name"], o["MemUsage"].split(" / ")[1], int(o["PIDs"]) > 0, o["CPUPerc"].endswith("%"), sorted(o))' "$json")" \
        "$p.web 64MiB True True ['BlockIO', 'CPUPerc', 'Container', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs']" \
        "stats --format json"
mem=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["MemUsage"].split(" / ")[0])' "$json")
[ "$mem" != "0B" ] || tb_fail "no memory usage: $json"

rc=0
tb_nc stats --no-stream --format yaml 2>/dev/null || rc=$?
tb_assert_eq "$rc" 16 "stats --format of an unknown value"
