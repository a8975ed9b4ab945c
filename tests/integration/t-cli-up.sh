# up as docker compose's: SERVICE... with its dependencies only, --force-recreate, --no-recreate,
# orphans warned about and kept without --remove-orphans, --dry-run changing nothing, and attached
# (no -d): the logs followed, Ctrl+C stops the services, "Gracefully stopping...", exit 130.

p=$(basename "$TB_PROJECT")
write_compose() {
        tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["8091:80"]
    environment: { V: "$1" }
    depends_on: [db]
  db:
    image: $TB_REGISTRY/test/echo:1
$2
EOF
}
other="  other:
    image: $TB_REGISTRY/test/httpd:1"
state() {
        tb_exec systemctl show -P ActiveState "$(tb_unit "$1")"
}
invocation() {
        tb_exec systemctl show -P InvocationID "$(tb_unit "$1")"
}
tb_defer tb_nc down

write_compose 1 "$other"
# --dry-run: the plan on stdout, nothing changed
out=$(tb_nc --dry-run up -d web)
tb_assert_contains "$out" "start" "dry-run prints the plan"
tb_assert_eq "$(tb_exec systemctl list-units --all --no-legend "nspawn-compose-$p.*" | grep -c . || true)" 0 "units after --dry-run"

# up -d web: web and its dependency db run; other is created, not started
err=$(tb_nc up -d web 2>&1 >/dev/null)
tb_note "$err"
tb_assert_contains "$err" "Container $p.web  Started" "up progress for web"
tb_assert_contains "$err" "Container $p.db  Started" "up progress for the dependency"
case $err in *"$p.other"*) tb_fail "up web reported other: $err" ;; esac
tb_assert_eq "$(state web) $(state db) $(state other)" "active active inactive" "states after up -d web"
tb_wait_http http://127.0.0.1:8091/ "hello from web"

# again: nothing to do, every selected service "Running"
err=$(tb_nc up -d web 2>&1 >/dev/null)
tb_assert_contains "$err" "Container $p.web  Running" "second up"

# --force-recreate web: recreated although unchanged
before=$(invocation web)
err=$(tb_nc up -d --force-recreate web 2>&1 >/dev/null)
tb_assert_contains "$err" "Container $p.web  Recreated" "force-recreate progress"
[ "$(invocation web)" != "$before" ] || tb_fail "--force-recreate did not recreate web"

# --no-recreate: a changed service stays as it runs; the drift stays for plan
write_compose 2 "$other"
before=$(invocation web)
tb_nc up -d --no-recreate >/dev/null 2>&1
tb_assert_eq "$(invocation web)" "$before" "--no-recreate kept web"
rc=0
tb_nc plan >/dev/null || rc=$?
tb_assert_eq "$rc" 2 "plan after --no-recreate"
tb_nc up -d >/dev/null 2>&1
[ "$(invocation web)" != "$before" ] || tb_fail "up did not recreate the changed web"
tb_assert_eq "$(state other)" active "other after up -d"

# An orphan: warned about and left running; --remove-orphans removes it
write_compose 2 ""
err=$(tb_nc up -d 2>&1 >/dev/null)
tb_assert_contains "$err" "Found orphan containers (other) for this project." "orphan warning"
tb_assert_contains "$err" "--remove-orphans flag to clean it up" "orphan warning's advice"
tb_assert_eq "$(state other)" active "orphan kept"
tb_nc up -d --remove-orphans >/dev/null 2>&1
tb_assert_eq "$(tb_exec systemctl show -P LoadState "$(tb_unit other)")" not-found "orphan removed"

# --no-deps: only the named service is touched
tb_nc stop >/dev/null 2>&1
tb_nc up -d --no-deps db >/dev/null 2>&1
tb_assert_eq "$(state db) $(state web)" "active inactive" "up --no-deps db"
# and a dependent alone: its stopped dependency stays stopped (Requires= would start it)
tb_nc stop >/dev/null 2>&1
tb_nc up -d --no-deps web >/dev/null 2>&1
tb_assert_eq "$(state web) $(state db)" "active inactive" "up --no-deps web"
tb_wait_http http://127.0.0.1:8091/ "hello from web"

# Attached: the logs followed, Ctrl+C stops the services, exit 130
tb_write_compose <<EOF
services:
  talk:
    image: $TB_REGISTRY/test/httpd:1
    entrypoint: ["sh", "-c", "echo hello-attached; exec start-httpd"]
EOF
tb_sh 'nspawn-compose up --remove-orphans >up.out 2>up.err & echo $! >up.pid; rc=0; wait $! || rc=$?; echo $rc >up.rc' &
tb_wait_for "the attached logs" 60 grep -q "talk | hello-attached" up.out
tb_assert_contains "$(tb_exec cat up.out)" "Attaching to talk" "attaching line"
tb_sh 'kill -INT "$(cat up.pid)"'
tb_wait_for "up to exit" 60 test -s up.rc
wait
tb_note "$(tb_exec cat up.out up.err)"
tb_assert_eq "$(tb_exec cat up.rc)" 130 "exit status of an interrupted up"
tb_assert_contains "$(tb_exec cat up.out)" "Gracefully stopping... (press Ctrl+C again to force)" "graceful stop"
tb_assert_contains "$(tb_exec cat up.err)" "Container $p.talk  Stopped" "stop progress"
tb_assert_eq "$(state talk)" inactive "talk after Ctrl+C"

# Attached, every service exits by itself: up says so and exits 0
tb_write_compose <<EOF
services:
  job:
    image: $TB_REGISTRY/test/exit:1
    environment: { EXIT_CODE: "0", EXIT_DELAY: "1" }
EOF
rc=0
out=$(tb_nc up --remove-orphans 2>/dev/null) || rc=$?
tb_note "$out"
tb_assert_eq "$rc" 0 "up of a job that exits"
tb_assert_contains "$out" "job | exiting with 0" "the job's output"
tb_assert_contains "$out" "job exited with code 0" "exit line"

# up --wait --wait-timeout: a service that never becomes healthy (its check fails inside its start
# period, so it is not unhealthy either) ends the wait after the timeout with docker's message
tb_write_compose <<EOF
services:
  never:
    image: $TB_REGISTRY/test/health:1
    environment: { HEALTH_DELAY: never }
    healthcheck: { test: ["CMD", "/bin/healthcheck"], interval: 1s, retries: 3, start_period: 120s }
EOF
rc=0
out=$(tb_nc up -d --wait --wait-timeout 3 --remove-orphans 2>&1) || rc=$?
tb_note "$out"
tb_assert_eq "$rc" 1 "up --wait --wait-timeout 3 of a service that never becomes healthy"
tb_assert_contains "$out" "services not running|healthy after 3s" "its message"
tb_assert_eq "$(state never)" activating "never, still starting after the wait"
