# condition: service_completed_successfully: the dependency becomes a oneshot unit (a migration)
# that must exit 0 before its dependents start. EXIT_CODE=0: the migration ran to completion
# (active, exited) before the dependent's main process started. EXIT_CODE=1: the migration
# fails, the dependent never starts, and apply exits non-zero naming the migration.

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

# A failing migration: apply recreates it (its environment changed), it exits 1, and web, stopped
# with it (Requires=), does not come back.
write_compose 1
rc=0
out=$(tb_nc apply 2>&1) || rc=$?
tb_note "apply exited $rc:" "$out"
[ "$rc" -ne 0 ] || tb_fail "apply succeeded although the migration failed"
tb_assert_contains "$out" "migrate: $migrate (failed, result: exit-code)" "apply names the failed migration"
tb_assert_contains "$out" "exiting with 1" "apply shows the migration's output"
tb_assert_eq "$(prop "$migrate" ExecMainStatus)" 1 "$migrate exit status"
tb_assert_eq "$(prop "$web" ActiveState)" inactive "$web"
web_start2=$(prop "$web" ExecMainStartTimestampMonotonic)
[ "$web_start2" = 0 ] || [ "$web_start2" = "$web_start" ] ||
        tb_fail "web started again ($web_start2) after the migration failed"
if tb_exec machinectl status "$(basename "$TB_PROJECT").web" >/dev/null 2>&1; then
        tb_fail "machine web is registered"
fi
