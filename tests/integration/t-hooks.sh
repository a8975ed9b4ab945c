# post_start and pre_stop hooks as docker compose runs them: inside the running machine as exec
# runs a command (the hook's user, working directory and environment over the service's); the
# service is started (ready) only once its post_start hooks succeeded, and a failing one fails the
# start; pre_stop runs before the stop signal.

p=$(basename "$TB_PROJECT")
write_compose() {
        tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    environment: { BASE: base }
    volumes: ["marks:/marks"]
    post_start:
      - command: ["sh", "-c", "echo \"\$\$BASE \$\$HOOKVAR \$\$(id -u) \$\$(pwd)\" >/marks/started"]
        user: "65534"
        working_dir: /tmp
        environment: { HOOKVAR: hooked }
      - command: sh -c 'echo second >>/marks/started'
    pre_stop:
      - command: ["sh", "-c", "echo stopping >/marks/stopped"]
$1
volumes:
  marks:
EOF
}
write_compose ""
tb_down_at_end -v
tb_exec mkdir -p "/var/lib/nspawn-compose/volumes/${p}_marks"
tb_exec chmod 0777 "/var/lib/nspawn-compose/volumes/${p}_marks"
tb_nc up -d >/dev/null 2>&1
# up returned: the hooks have run (the unit was ready only after them)
tb_assert_eq "$(tb_nc exec -T web cat /marks/started)" "base hooked 65534 /tmp
second" "post_start hooks, in turn, as their user, in their directory, with their environment"
tb_nc stop web >/dev/null 2>&1
tb_assert_eq "$(tb_exec cat "/var/lib/nspawn-compose/volumes/${p}_marks/stopped")" stopping "pre_stop ran"
tb_assert_eq "$(tb_exec systemctl show -P Result "$(tb_unit web)")" success "a stop with pre_stop is clean"

# a failing post_start hook fails the start, as docker compose's up fails
tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    post_start:
      - command: ["sh", "-c", "exit 3"]
EOF
rc=0
out=$(tb_nc up -d 2>&1) || rc=$?
tb_note "$out"
[ "$rc" -ne 0 ] || tb_fail "up succeeded with a failing post_start hook"
tb_assert_contains "$out" "post_start hook 1 of 'web' exited with status 3" "the hook's failure in the report"

# post_start hooks have no bound, as under docker compose, though they run within the unit's start:
# the wrapper extends the start timeout while they run, and the healthchecks' window begins after
# them. A drop-in makes TimeoutStartSec= 3 s; the hook takes 6.
unit=$(tb_unit web)
tb_exec mkdir -p "/run/systemd/system/$unit.d"
tb_defer rm -rf "/run/systemd/system/$unit.d"
tb_exec sh -c 'printf "[Service]\nTimeoutStartSec=3\n" >"$1"' sh "/run/systemd/system/$unit.d/timeout.conf"
for health in "" "    healthcheck: { test: [CMD, 'true'], interval: 1s }"; do
        tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    post_start:
      - command: ["sleep", "6"]
$health
EOF
        tb_nc down >/dev/null 2>&1
        t0=$(tb_now)
        out=$(tb_nc up -d 2>&1) || tb_fail "up with a 6 s post_start hook and TimeoutStartSec=3 failed: $out"
        tb_phase "up-with-slow-hook${health:+-and-healthcheck}" "$t0"
        tb_assert_eq "$(tb_unit_prop web TimeoutStartUSec)" 3s "TimeoutStartSec from the drop-in"
        tb_assert_eq "$(tb_unit_prop web ActiveState)" active "state after the slow hook"
done
