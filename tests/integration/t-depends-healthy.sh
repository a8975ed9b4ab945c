# depends_on with condition: service_healthy: the dependent does not start until its dependency's
# healthcheck has passed. systemd's own timestamps show it: the dependency's activation took at
# least HEALTH_DELAY (its READY=1 waited for the first healthy probe), and the dependent's main
# process started after the dependency became active. Only ordering is judged, never our speed.
# While apply waits (over 5 s), it says for which service and why: the dependency's health, the
# dependent queued behind it.

tb_write_compose <<EOF
services:
  db:
    image: $TB_REGISTRY/test/health:1
    environment:
      HEALTH_DELAY: "7"
    healthcheck:
      test: ["CMD", "/bin/healthcheck"]
      interval: 1s
      retries: 3
      start_period: 15s
  web:
    image: $TB_REGISTRY/test/httpd:1
    depends_on:
      db:
        condition: service_healthy
EOF
tb_down_at_end
out=$(tb_nc apply 2>&1) || tb_fail "apply failed: $out"
tb_note "$out"
p=$(basename "$TB_PROJECT")
tb_assert_contains "$out" "Container $p.db  Waiting 5s: starting" "apply's report on db"
tb_assert_contains "$out" "Container $p.web  Waiting 5s: its start is queued behind the services it depends on" \
        "apply's report on web"

db=$(tb_unit db)
web=$(tb_unit web)
# prop UNIT PROPERTY: one property's value from systemd
prop() {
        tb_exec systemctl show -P "$2" "$1"
}
tb_assert_eq "$(prop "$db" ActiveState)" active "$db"
tb_assert_eq "$(prop "$web" ActiveState)" active "$web"
tb_assert_eq "$(prop "$db" StatusText)" healthy "$db status text"

db_start=$(prop "$db" ExecMainStartTimestampMonotonic)
db_active=$(prop "$db" ActiveEnterTimestampMonotonic)
web_start=$(prop "$web" ExecMainStartTimestampMonotonic)
tb_note "db started $db_start, active $db_active; web started $web_start"
[ "$db_active" -gt 0 ] && [ "$web_start" -gt 0 ] || tb_fail "missing timestamps"
[ "$web_start" -ge "$db_active" ] ||
        tb_fail "web started at $web_start, before db was healthy at $db_active"
# The healthcheck cannot pass before /health exists, HEALTH_DELAY (7 s) after the payload started.
[ $((db_active - db_start)) -ge 7000000 ] ||
        tb_fail "db became active $((db_active - db_start)) us after it started: not gated by its healthcheck"

# The rendered unit carries the dependency as systemd sees it.
tb_assert_contains "$(prop "$web" Requires)" "$db" "web Requires="
tb_assert_contains "$(prop "$web" After)" "$db" "web After="
# ps reports the health state.
tb_assert_contains "$(tb_nc ps)" healthy "ps"
