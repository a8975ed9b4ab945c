# condition: service_completed_successfully: the dependency becomes a oneshot unit (a migration)
# that must exit 0 before its dependents start. EXIT_CODE=0: the migration ran to completion
# (active, exited) before the dependent's main process started. EXIT_CODE=1: the migration
# fails and apply exits non-zero naming the migration; web, which ran already, keeps running (as
# docker compose up leaves an unchanged dependent's container be and fails with "service migrate
# didn't complete successfully").

# write_compose EXIT_CODE
write_compose() {
        tb_write_compose <<EOF
services:
  migrate:
    image: $TB_REGISTRY/test/exit:1
    environment:
      EXIT_CODE: "$1"
      EXIT_DELAY: "2"
  web:
    image: $TB_REGISTRY/test/httpd:1
    depends_on:
      migrate:
        condition: service_completed_successfully
EOF
}
prop() {
        tb_exec systemctl show -P "$2" "$1"
}

migrate=$(tb_unit migrate)
web=$(tb_unit web)
tb_down_at_end

write_compose 0
tb_nc apply
tb_assert_eq "$(prop "$migrate" Type)" oneshot "$migrate Type="
tb_assert_eq "$(prop "$migrate" ActiveState) $(prop "$migrate" SubState)" "active exited" "$migrate"
tb_assert_eq "$(prop "$migrate" ExecMainStatus)" 0 "$migrate exit status"
tb_assert_eq "$(prop "$web" ActiveState)" active "$web"
mig_exit=$(prop "$migrate" ExecMainExitTimestampMonotonic)
mig_start=$(prop "$migrate" ExecMainStartTimestampMonotonic)
web_start=$(prop "$web" ExecMainStartTimestampMonotonic)
tb_note "migrate ran $mig_start..$mig_exit; web started $web_start"
[ "$mig_exit" -gt 0 ] && [ "$web_start" -ge "$mig_exit" ] ||
        tb_fail "web started at $web_start, before the migration ended at $mig_exit"
[ $((mig_exit - mig_start)) -ge 2000000 ] || tb_fail "the migration did not run its EXIT_DELAY"
tb_assert_contains "$(tb_exec journalctl --no-pager -u "$migrate")" "exiting with 0" "migration output"

# A failing migration: apply recreates it (its environment changed), alone: it exits 1, and web,
# unchanged, is neither stopped nor started again.
web_id=$(prop "$web" InvocationID)
write_compose 1
rc=0
out=$(tb_nc apply 2>&1) || rc=$?
tb_note "apply exited $rc:" "$out"
[ "$rc" -ne 0 ] || tb_fail "apply succeeded although the migration failed"
tb_assert_contains "$out" "migrate: $migrate (failed, result: exit-code)" "apply names the failed migration"
tb_assert_contains "$out" "exiting with 1" "apply shows the migration's output"
tb_assert_eq "$(prop "$migrate" ExecMainStatus)" 1 "$migrate exit status"
tb_assert_eq "$(prop "$web" ActiveState)" active "$web"
tb_assert_eq "$(prop "$web" InvocationID)" "$web_id" "$web InvocationID"
tb_assert_eq "$(prop "$web" ExecMainStartTimestampMonotonic)" "$web_start" "$web start time"

# At boot (a stop and start of the project target) the failed migration keeps web from starting:
# Requires= still holds there.
tb_exec systemctl stop "nspawn-compose-$(basename "$TB_PROJECT").target"
tb_wait_unit "$web" inactive
tb_exec systemctl start "nspawn-compose-$(basename "$TB_PROJECT").target" || true
tb_wait_unit "$migrate" failed
tb_assert_eq "$(prop "$web" ActiveState)" inactive "$web after a start with the migration failing"
if tb_exec machinectl status "$(basename "$TB_PROJECT").web" >/dev/null 2>&1; then
        tb_fail "machine web is registered"
fi
