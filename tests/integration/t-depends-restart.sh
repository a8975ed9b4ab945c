# Restarting the whole project keeps the dependency order, with no apply involved: systemd alone
# enforces it. `systemctl restart` of the project target (PartOf= passes the restart on to every
# service) and a stop then start of the target both bring the dependent up only after its
# dependency is healthy again, as systemd's timestamps show. So does a restart of the dependency
# alone, which takes the dependent with it.

tb_write_compose <<EOF
services:
  db:
    image: $TB_REGISTRY/test/health:1
    environment:
      HEALTH_DELAY: "3"
  web:
    image: $TB_REGISTRY/test/httpd:1
    depends_on:
      db:
        condition: service_healthy
EOF
tb_down_at_end
tb_nc apply

target=nspawn-compose-$(basename "$TB_PROJECT").target
db=$(tb_unit db)
web=$(tb_unit web)
prop() {
        tb_exec systemctl show -P "$2" "$1"
}

# check_order WHAT OLD_DB_INVOCATION OLD_WEB_INVOCATION: both run again, web started after db
# became healthy, and db's activation waited for the healthcheck.
check_order() {
        local db_start db_active web_start
        tb_assert_eq "$(prop "$db" ActiveState) $(prop "$web" ActiveState)" "active active" "$1: states"
        [ "$(prop "$db" InvocationID)" != "$2" ] || tb_fail "$1: db was not restarted"
        [ "$(prop "$web" InvocationID)" != "$3" ] || tb_fail "$1: web was not restarted"
        tb_assert_eq "$(prop "$db" StatusText)" healthy "$1: db status"
        db_start=$(prop "$db" ExecMainStartTimestampMonotonic)
        db_active=$(prop "$db" ActiveEnterTimestampMonotonic)
        web_start=$(prop "$web" ExecMainStartTimestampMonotonic)
        tb_note "$1: db started $db_start, active $db_active; web started $web_start"
        [ "$web_start" -ge "$db_active" ] ||
                tb_fail "$1: web started at $web_start, before db was healthy at $db_active"
        [ $((db_active - db_start)) -ge 3000000 ] ||
                tb_fail "$1: db became active $((db_active - db_start)) us after it started"
}

db_id=$(prop "$db" InvocationID)
web_id=$(prop "$web" InvocationID)
tb_exec systemctl restart "$target"
check_order "restart of the target" "$db_id" "$web_id"

db_id=$(prop "$db" InvocationID)
web_id=$(prop "$web" InvocationID)
tb_exec systemctl stop "$target"
# The target orders itself after its services, so it stops first and its stop job is done while
# they are still stopping.
tb_wait_unit "$web" inactive
tb_wait_unit "$db" inactive
tb_exec systemctl start "$target"
check_order "stop and start of the target" "$db_id" "$web_id"

# Restarting the dependency alone restarts its dependent too (Requires= passes explicit stops and
# restarts on; docker does so only with depends_on restart: true), in the same order.
db_id=$(prop "$db" InvocationID)
web_id=$(prop "$web" InvocationID)
tb_exec systemctl restart "$db"
tb_wait_unit "$web" active
check_order "restart of db alone" "$db_id" "$web_id"
