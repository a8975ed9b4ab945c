# ps, ls, port, images, top, version, wait and logs' flags: the output docker compose users read.

p=$(basename "$TB_PROJECT")
tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["8093:80", "127.0.0.1:8094:80/udp"]
    entrypoint: ["sh", "-c", "echo line-one; echo line-two; exec start-httpd"]
  job:
    image: $TB_REGISTRY/test/exit:1
    environment: { EXIT_CODE: "3", EXIT_DELAY: "2" }
    restart: "no"
EOF
tb_defer tb_nc down
tb_nc up -d web 2>/dev/null
tb_wait_http http://127.0.0.1:8093/ "hello from web"

# ps: running services by default, every created one with -a; --services, -q, --status, json
ps=$(tb_nc ps)
tb_note "$ps"
tb_assert_contains "$(head -n1 <<<"$ps")" "SERVICE" "ps header"
line=$(grep '^web ' <<<"$ps") || tb_fail "no line for web in: $ps"
tb_assert_contains "$line" "$p.web" "ps NAME"
tb_assert_contains "$line" "running" "ps STATUS"
tb_assert_contains "$line" "0.0.0.0:8093->80/tcp" "ps PORTS"
tb_assert_eq "$(tb_nc ps --services)" "web" "ps --services"
tb_assert_eq "$(tb_nc ps -q)" "$p.web" "ps -q"
tb_assert_eq "$(tb_nc ps -a --services)" "job
web" "ps -a --services (job created, not started)"
tb_assert_eq "$(tb_nc ps --status created --services)" "job" "ps --status created"
json=$(tb_nc ps --format json)
tb_assert_eq "$(python3 -c '
import json, sys
s = json.loads(sys.argv[1])[0]
print(s["Name"], s["Service"], s["State"], s["Publishers"][0]["PublishedPort"], s["service"])' "$json")" \
        "$p.web web running 8093 web" "ps --format json"

# port: HOST:PORT as docker compose prints it
tb_assert_eq "$(tb_nc port web 80)" "0.0.0.0:8093" "port"
tb_assert_eq "$(tb_nc port --protocol udp web 80)" "127.0.0.1:8094" "port --protocol udp"
rc=0
tb_nc port web 81 2>/dev/null || rc=$?
tb_assert_eq "$rc" 1 "port not published"

# images
images=$(tb_nc images)
tb_note "$images"
tb_assert_contains "$images" "$p.web" "images CONTAINER"
tb_assert_contains "$images" "$TB_REGISTRY/test/httpd" "images REPOSITORY"
tb_assert_contains "$(grep "$p.web" <<<"$images")" " 1 " "images TAG"

# top: the processes of the unit's cgroup, the payload's httpd among them
top=$(tb_nc top web)
tb_note "$top"
tb_assert_eq "$(head -n1 <<<"$top")" "$p.web" "top names the machine"
tb_assert_contains "$top" "httpd -f" "top shows the payload"

# version
tb_assert_contains "$(tb_nc version)" "nspawn-compose version " "version"
short=$(tb_nc version --short)
tb_assert_eq "$(tb_nc version --format json)" "{\"version\":\"$short\"}" "version --format json"

# ls: this project, running(1), its compose file
ls=$(tb_nc ls)
tb_note "$ls"
tb_assert_contains "$(head -n1 <<<"$ls")" "NAME" "ls header"
tb_assert_contains "$(head -n1 <<<"$ls")" "CONFIG FILES" "ls header"
line=$(grep "^$p " <<<"$ls") || tb_fail "ls does not list $p: $ls"
tb_assert_contains "$line" "created(1), running(1)" "ls STATUS (job created, web running)"
tb_assert_contains "$line" "$TB_PROJECT/compose.yml" "ls CONFIG FILES"
tb_assert_contains "$(tb_nc ls -q)" "$p" "ls -q"
json=$(tb_nc ls --format json)
tb_assert_eq "$(python3 -c '
import json, sys
p = next(p for p in json.loads(sys.argv[1]) if p["Name"] == sys.argv[2])
print(p["Status"], p["ConfigFiles"])' "$json" "$p")" "created(1), running(1) $TB_PROJECT/compose.yml" "ls --format json"

# logs: -n, --no-log-prefix, -t, --since/--until
tb_wait_for "web's output" 30 sh -c "journalctl -u $(tb_unit web) -o cat | grep -q line-two"
tb_assert_eq "$(tb_nc logs --no-log-prefix web | grep line- | tr '\n' ' ')" "line-one line-two " "logs --no-log-prefix"
tb_assert_contains "$(tb_nc logs -n 1 web)" "web | " "logs -n 1 has the prefix"
tb_assert_eq "$(tb_nc logs -n 1 web | wc -l)" 1 "logs -n 1"
tb_assert_eq "$(tb_nc logs -n 0 web | wc -l)" 0 "logs -n 0"
ts=$(tb_nc logs -t web | grep line-one)
[[ $ts =~ ^web\ \|\ [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z\ line-one$ ]] ||
        tb_fail "logs -t: '$ts'"
tb_assert_eq "$(tb_nc logs --until 2000-01-01T00:00:00Z web | wc -l)" 0 "logs --until the past"
tb_assert_eq "$(tb_nc logs --since 2100-01-01 web | wc -l)" 0 "logs --since the future"
tb_assert_contains "$(tb_nc logs --since 1h web)" "line-one" "logs --since 1h"
rc=0
tb_nc logs --since yesterday web 2>/dev/null || rc=$?
tb_assert_eq "$rc" 16 "logs --since of a malformed time"

# wait: the exit status of the service's main process
tb_nc up -d job 2>/dev/null || true
rc=0
out=$(tb_nc wait job) || rc=$?
tb_assert_eq "$out" 3 "wait prints the exit code"
tb_assert_eq "$rc" 3 "wait exits with it"

# global flags
rc=0
err=$(tb_nc --ansi sometimes ps 2>&1) || rc=$?
tb_assert_eq "$rc" 16 "--ansi with a bad value"
tb_assert_contains "$(tb_nc --ansi never --progress quiet --parallel 2 ps --services)" web "accepted global flags"
err=$(tb_nc --progress quiet stop -t 1 web 2>&1)
case $err in *Container*) tb_fail "--progress quiet printed progress: $err" ;; esac
rc=0
err=$(tb_nc --frob ps 2>&1) || rc=$?
tb_assert_eq "$rc" 16 "unknown global flag"
tb_assert_contains "$err" "unknown flag: --frob" "unknown global flag message"
