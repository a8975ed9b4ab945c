# supervise keeps the project converged: it reports READY to systemd after its first pass,
# applies an edited compose file on its own, and brings back a service someone stopped.

p=sup
unit=nspawn-compose-supervise-$p.service
tb_defer tb_nc down
tb_defer systemctl stop $unit

write_compose() {
        tb_write_compose <<EOF
name: $p
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    environment:
      GREETING: "$1"
    ports: ["8082:80"]
EOF
}

write_compose one
tb_exec systemd-run --quiet --unit=$unit -p Type=notify -p WorkingDirectory="$TB_PROJECT" \
        nspawn-compose supervise --interval 1
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

# A service stopped by hand comes back at the next pass.
tb_exec systemctl stop "$(tb_unit web $p)"
tb_wait_unit "$(tb_unit web $p)" active 60
tb_wait_http http://127.0.0.1:8082/ "hello from web"
