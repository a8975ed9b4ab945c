# supervise keeps the project converged: it reports READY to systemd when its loop starts, and
# repairs what someone changed as soon as it shows, not at the next periodic pass (an hour here): an
# edited compose file (inotify), a service stopped by hand and one whose wrapper was killed
# (systemd's signals), an element of our table deleted (nftables' notifications), a unit file of
# ours edited (inotify on the unit directory). Each repair's delay is printed as a phase. A restart
# of the supervisor restarts nothing; one killed in the middle of a pass leaves nothing half done
# that the next one does not finish, and no lock held.

p=sup
unit=nspawn-compose-supervise-$p.service
tb_defer tb_nc down
tb_defer systemctl stop $unit

write_compose() {        # write_compose GREETING [MORE_SERVICES]
        tb_write_compose <<EOF
name: $p
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    environment:
      GREETING: "$1"
    ports: ["8082:80"]
${2:-}
EOF
}

write_compose one
tb_exec systemd-run --quiet --unit=$unit -p Type=notify -p WorkingDirectory="$TB_PROJECT" \
        nspawn-compose supervise --interval 3600
tb_assert_eq "$(tb_exec systemctl show -P ActiveState $unit)" active "supervisor after READY"
tb_wait_unit "$(tb_unit web $p)" active 60
tb_wait_http http://127.0.0.1:8082/ "hello from web"
tb_assert_contains "$(tb_exec systemctl show -P StatusText $unit)" "pass" "supervisor status"

# An edit of the compose file is applied without anyone running apply.
# (exec takes the environment from the installed S.json, which the supervisor writes before it
# restarts web: wait for the restart, then look)
before=$(tb_exec systemctl show -P InvocationID "$(tb_unit web $p)")
write_compose two
tb_wait_for "web restarted" 60 sh -c "[ \"\$(systemctl show -P InvocationID '$(tb_unit web $p)')\" != '$before' ] &&
        systemctl is-active --quiet '$(tb_unit web $p)' && [ -z \"\$(systemctl list-jobs --no-legend)\" ]"
[ "$(tb_exec systemctl show -P InvocationID "$(tb_unit web $p)")" != "$before" ] || tb_fail "web not restarted"
tb_wait_for "web with the new environment" 60 \
        sh -c "nspawn-compose exec web sh -c 'echo \$GREETING' | grep -q two"

web=$(tb_unit web $p)
# in_sync: the supervisor's last pass is over, no job runs and the project is in sync
in_sync() {
        tb_wait_for "the supervisor's pass over and the project in sync" 60 sh -c "
                ! systemctl show -P StatusText $unit | grep -q converging &&
                [ -z \"\$(systemctl list-jobs --no-legend)\" ] && nspawn-compose plan >/dev/null"
}
in_sync

# A service stopped by hand comes back.
t0=$(tb_now)
tb_exec systemctl stop "$web"
tb_wait_unit "$web" active 60
tb_phase repair-stopped-service "$t0"
tb_wait_http http://127.0.0.1:8082/ "hello from web"
in_sync

# Its wrapper killed: the unit fails (restart: no), the supervisor starts it again.
before=$(tb_exec systemctl show -P InvocationID "$web")
t0=$(tb_now)
tb_exec systemctl kill -s KILL --kill-whom=main "$web"
tb_wait_for "web started again" 60 sh -c "[ \"\$(systemctl show -P InvocationID '$web')\" != '$before' ] &&
        systemctl is-active --quiet '$web'"
tb_phase repair-killed-wrapper "$t0"
tb_wait_http http://127.0.0.1:8082/ "hello from web"
in_sync

# An element of our table deleted.
t0=$(tb_now)
tb_exec nft delete element inet nspawn_compose pub4 '{ tcp . 8082 }'
tb_wait_for "the element back" 60 sh -c "nft list map inet nspawn_compose pub4 | grep -q 'tcp . 8082 '"
tb_phase repair-deleted-element "$t0"
tb_wait_http http://127.0.0.1:8082/ "hello from web"
in_sync

# A unit file of ours edited: written back as render makes it.
before=$(tb_exec systemctl show -P InvocationID "$web")
t0=$(tb_now)
tb_exec sed -i 's/^Description=.*/Description=tampered/' "/etc/systemd/system/$web"
tb_wait_for "the unit file written back" 60 sh -c "! grep -q '^Description=tampered' /etc/systemd/system/$web"
tb_phase repair-edited-unit-file "$t0"
in_sync
tb_assert_eq "$(tb_nc plan >/dev/null && echo in-sync)" in-sync "plan after the repairs"

# The supervisor restarted: its first pass finds everything in sync and restarts nothing.
before=$(tb_exec systemctl show -P InvocationID "$web")
tb_exec systemctl restart $unit
in_sync
tb_assert_eq "$(tb_exec systemctl show -P StatusText $unit)" "pass 1 (start): in sync" "the restarted supervisor's first pass"
tb_assert_eq "$(tb_exec systemctl show -P InvocationID "$web")" "$before" "web after the supervisor's restart"
tb_note "supervisor: $(tb_exec systemctl show -P StatusText $unit)"

# The supervisor killed in the middle of a pass (waiting for a new service that takes 8 s to become
# healthy): started again, its first pass finishes the job; web is never restarted.
before=$(tb_exec systemctl show -P InvocationID "$web")
write_compose two "  slow:
    image: $TB_REGISTRY/test/health:1
    environment: { HEALTH_DELAY: \"8\" }
    healthcheck: { test: [\"CMD\", \"/bin/healthcheck\"], interval: 1s, retries: 3, start_period: 20s }"
tb_wait_for "the supervisor waiting for slow" 60 sh -c "systemctl show -P StatusText $unit | grep -q converging &&
        systemctl show -P ActiveState $(tb_unit slow $p) | grep -q activating"
tb_exec systemctl kill -s KILL $unit
tb_wait_for "the supervisor gone" 30 sh -c "! systemctl is-active --quiet $unit"
tb_exec systemctl reset-failed $unit 2>/dev/null || true
tb_exec systemd-run --quiet --unit=$unit -p Type=notify -p WorkingDirectory="$TB_PROJECT" \
        nspawn-compose supervise --interval 3600
tb_wait_unit "$(tb_unit slow $p)" active 60
in_sync
tb_assert_eq "$(tb_exec systemctl show -P InvocationID "$web")" "$before" "web after the supervisor was killed mid-pass"
tb_assert_eq "$(tb_nc plan >/dev/null && echo in-sync)" in-sync "plan after the killed pass"
tb_nc apply >/dev/null || tb_fail "an apply after the killed pass (its lock released)"
