# A dependency whose healthcheck never passes fails its start job: the wrapper never sends READY=1,
# the checker reaches unhealthy within the unit's start timeout (derived from the healthcheck), and
# the wrapper fails the start. Its service_healthy dependent never starts, and apply exits non-zero
# naming the failed service with its unit's result, status text and journal tail.

tb_write_compose <<EOF
services:
  db:
    image: $TB_REGISTRY/test/health:1
    environment:
      HEALTH_DELAY: never
    healthcheck:
      test: ["CMD", "/bin/healthcheck"]
      interval: 1s
      timeout: 1s
      retries: 2
      start_period: 0s
  web:
    image: $TB_REGISTRY/test/httpd:1
    depends_on:
      db:
        condition: service_healthy
EOF
tb_down_at_end

db=$(tb_unit db)
web=$(tb_unit web)
rc=0
out=$(tb_nc apply 2>&1) || rc=$?
tb_note "apply exited $rc:" "$out"
[ "$rc" -ne 0 ] || tb_fail "apply succeeded although db never became healthy"
tb_assert_contains "$out" "db: $db" "apply names the failed service"
tb_assert_contains "$out" "unhealthy" "apply shows why"

tb_assert_eq "$(tb_exec systemctl show -P ActiveState "$db")" failed "$db"
# The dependent's start job failed with its dependency's: its main process never ran.
tb_assert_eq "$(tb_exec systemctl show -P ExecMainStartTimestampMonotonic "$web")" 0 "$web never started"
tb_assert_eq "$(tb_exec systemctl show -P ActiveState "$web")" inactive "$web"
if tb_exec machinectl status "$(basename "$TB_PROJECT").web" >/dev/null 2>&1; then
        tb_fail "machine web is registered"
fi
