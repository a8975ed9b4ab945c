# Applying a change restarts exactly the changed service, as docker compose recreates it: web
# depends_on db; changing db's environment restarts db and leaves web running (same InvocationID,
# active throughout), for condition service_started and service_healthy alike, although web's unit
# Requires= db (which would pass a plain stop or restart of db on to web). With restart: true web
# is restarted too, after db is up again. Removing db from the file (web no longer depends on it)
# stops db alone, as docker compose --remove-orphans does.

db=$(tb_unit db)
web=$(tb_unit web)
tb_down_at_end

# write_compose GENERATION CONDITION RESTART [NO_DB]
write_compose() {
        {
                echo "services:"
                [ -n "${4:-}" ] || cat <<EOF
  db:
    image: $TB_REGISTRY/test/health:1
    environment:
      HEALTH_DELAY: "1"
      GENERATION: "$1"
EOF
                cat <<EOF
  web:
    image: $TB_REGISTRY/test/httpd:1
EOF
                [ -n "${4:-}" ] || cat <<EOF
    depends_on:
      db:
        condition: $2
        restart: $3
EOF
        } | tb_write_compose
}
prop() {
        tb_exec systemctl show -P "$2" "$1"
}
# plan_has PLAN KIND TEXT: PLAN (plan's text output) has a KIND line that contains TEXT
plan_has() {
        awk -v k="$2" -v t="$3" '$1 == k && index($0, t) { f = 1 } END { exit !f }' <<<"$1"
}

# check_nocascade CONDITION: a change of db restarts db alone.
check_nocascade() {
        local db_id web_id web_start plan
        write_compose 1 "$1" false
        tb_nc apply
        tb_assert_contains "$(prop "$web" Requires)" "$db" "$1: web Requires="
        db_id=$(prop "$db" InvocationID)
        web_id=$(prop "$web" InvocationID)
        web_start=$(prop "$web" ExecMainStartTimestampMonotonic)

        write_compose 2 "$1" false
        plan=$(tb_nc plan 2>&1) || true
        tb_note "$1: plan:" "$plan"
        plan_has "$plan" restart "$db [db]" || tb_fail "$1: the plan does not restart db"
        [[ $plan != *"$web"* ]] || tb_fail "$1: the plan touches web"
        tb_nc apply
        tb_assert_eq "$(prop "$db" ActiveState) $(prop "$web" ActiveState)" "active active" "$1: states"
        [ "$(prop "$db" InvocationID)" != "$db_id" ] || tb_fail "$1: db was not restarted"
        tb_assert_eq "$(prop "$web" InvocationID)" "$web_id" "$1: web's InvocationID"
        tb_assert_eq "$(prop "$web" ExecMainStartTimestampMonotonic)" "$web_start" "$1: web's start time"
        tb_nc down
}

check_nocascade service_started
check_nocascade service_healthy

# restart: true: web follows db, started again only after db is healthy.
write_compose 1 service_healthy true
tb_nc apply
tb_assert_contains "$(prop "$web" PartOf)" "$db" "web PartOf="
db_id=$(prop "$db" InvocationID)
web_id=$(prop "$web" InvocationID)
write_compose 2 service_healthy true
plan=$(tb_nc plan 2>&1) || true
tb_note "restart: true: plan:" "$plan"
plan_has "$plan" restart "$web [web] depends_on" || tb_fail "the plan does not restart web (restart: true)"
tb_nc apply
tb_assert_eq "$(prop "$db" ActiveState) $(prop "$web" ActiveState)" "active active" "restart: true: states"
[ "$(prop "$db" InvocationID)" != "$db_id" ] || tb_fail "restart: true: db was not restarted"
[ "$(prop "$web" InvocationID)" != "$web_id" ] || tb_fail "restart: true: web was not restarted"
db_active=$(prop "$db" ActiveEnterTimestampMonotonic)
web_start=$(prop "$web" ExecMainStartTimestampMonotonic)
tb_note "restart: true: db active $db_active, web started $web_start"
[ "$web_start" -ge "$db_active" ] || tb_fail "web started at $web_start, before db was healthy at $db_active"

# db leaves the file: apply stops db alone; web, whose installed unit still Requires= db until
# the new one is loaded, keeps running.
web_id=$(prop "$web" InvocationID)
write_compose 2 service_healthy true no-db
tb_nc apply
tb_assert_eq "$(prop "$web" ActiveState)" active "web after db left"
tb_assert_eq "$(prop "$db" ActiveState)" inactive "db after it left"
tb_assert_eq "$(prop "$web" InvocationID)" "$web_id" "web's InvocationID after db left"
