# create, stop, start, restart, kill and rm as docker compose's (pause: t-cli-pause), through systemd:
# their progress lines, the units' states after each, and their errors.

p=$(basename "$TB_PROJECT")
tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["8092:80"]
  api:
    image: $TB_REGISTRY/test/httpd:1
EOF
state() {
        tb_exec systemctl show -P ActiveState "$(tb_unit "$1")"
}
invocation() {
        tb_exec systemctl show -P InvocationID "$(tb_unit "$1")"
}
tb_defer tb_nc down

# start before create: docker's error
rc=0
err=$(tb_nc start web 2>&1) || rc=$?
tb_assert_eq "$rc" 1 "start of a service never created"
tb_assert_contains "$err" 'service "web" has no container to start' "start's error"

# create: units installed, nothing started
err=$(tb_nc create 2>&1 >/dev/null)
tb_assert_contains "$err" "Container $p.web  Created" "create progress"
tb_assert_eq "$(state web) $(state api)" "inactive inactive" "after create"
tb_assert_eq "$(tb_exec systemctl show -P LoadState "$(tb_unit web)")" loaded "unit after create"

# start
err=$(tb_nc start 2>&1 >/dev/null)
tb_assert_contains "$err" "Container $p.web  Started" "start progress"
tb_assert_eq "$(state web) $(state api)" "active active" "after start"
tb_wait_http http://127.0.0.1:8092/ "hello from web"

# stop one, with a timeout; the other keeps running
err=$(tb_nc stop -t 5 web 2>&1 >/dev/null)
tb_assert_contains "$err" "Container $p.web  Stopping" "stop progress"
tb_assert_contains "$err" "Container $p.web  Stopped" "stop progress"
tb_assert_eq "$(state web) $(state api)" "inactive active" "after stop web"
tb_nc start web 2>/dev/null

# restart: a new invocation of that service only
web=$(invocation web)
api=$(invocation api)
err=$(tb_nc restart web 2>&1 >/dev/null)
tb_assert_contains "$err" "Container $p.web  Restarting" "restart progress"
[ "$(invocation web)" != "$web" ] || tb_fail "restart did not restart web"
tb_assert_eq "$(invocation api)" "$api" "restart web left api"

# kill -s: the signal reaches the service's processes; the default SIGKILL ends it
err=$(tb_nc kill -s SIGKILL api 2>&1 >/dev/null)
tb_assert_contains "$err" "Container $p.api  Killed" "kill progress"
tb_wait_for "api to die" 30 sh -c "! systemctl is-active -q $(tb_unit api)"
rc=0
tb_nc kill -s NOSUCH api 2>/dev/null || rc=$?
tb_assert_eq "$rc" 16 "kill with an unknown signal"

# rm: running services stay; a stopped one's machine state goes (with -f no question)
tb_nc stop api 2>/dev/null
tb_exec test -d "/var/lib/nspawn-compose/$p/api"
err=$(tb_nc rm -f 2>&1 >/dev/null)
tb_assert_contains "$err" "Going to remove $p.api" "rm names what it removes"
case $err in *"$p.web"*) tb_fail "rm removed the running web: $err" ;; esac
tb_exec test ! -e "/var/lib/nspawn-compose/$p/api"
tb_exec test -d "/var/lib/nspawn-compose/$p/web"
tb_assert_contains "$(tb_nc rm -f 2>&1)" "No stopped containers" "rm with nothing stopped"
# without -f rm asks; "n" keeps everything
err=$(echo n | tb_exec sh -c "nspawn-compose rm -s web" 2>&1)
tb_assert_contains "$err" "Are you sure?" "rm asks"
tb_exec test -d "/var/lib/nspawn-compose/$p/web"
err=$(echo y | tb_exec sh -c "nspawn-compose rm web" 2>&1)
tb_exec test ! -e "/var/lib/nspawn-compose/$p/web"

# --dry-run: says what it would do, changes nothing
tb_nc start 2>/dev/null
err=$(tb_nc --dry-run stop web 2>&1)
tb_assert_contains "$err" "DRY-RUN MODE - Container $p.web  Stopping" "stop --dry-run"
tb_assert_eq "$(state web)" active "web after stop --dry-run"

# unknown services and flags, as docker compose words them
rc=0
err=$(tb_nc stop nosuch 2>&1) || rc=$?
tb_assert_eq "$rc" 1 "stop of an unknown service"
tb_assert_contains "$err" "no such service: nosuch" "unknown service"
rc=0
err=$(tb_nc stop --bogus 2>&1) || rc=$?
tb_assert_eq "$rc" 16 "unknown flag"
tb_assert_contains "$err" "unknown flag: --bogus" "unknown flag message"
