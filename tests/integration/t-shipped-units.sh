# The shipped units, as installed: nspawn-compose-apply@.timer applies an edit of the compose file
# within a period; nspawn-compose-supervise@.service converges at start, starts again a service
# stopped by hand, and a restart of the supervisor restarts no service.

p=$(basename "$TB_PROJECT")
instance=$(tb_exec systemd-escape --path "$TB_PROJECT")
write_compose() {
        tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    environment: { V: "$1" }
EOF
}
invocation() {
        tb_exec systemctl show -P InvocationID "$(tb_unit web)"
}
json_v() {
        tb_exec cat "/etc/nspawn-compose/$p/web.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["environment"])'
}
cleanup() {
        tb_exec systemctl stop "nspawn-compose-apply@$instance.timer" "nspawn-compose-supervise@$instance.service" || true
        tb_exec rm -rf /run/systemd/system/nspawn-compose-apply@.timer.d /run/systemd/system/nspawn-compose-supervise@.service.d
        tb_exec systemctl daemon-reload
        tb_nc down >/dev/null 2>&1 || true
}
tb_defer cleanup

for u in nspawn-compose-apply@.service nspawn-compose-apply@.timer nspawn-compose-supervise@.service; do
        tb_exec test -f "/usr/lib/systemd/system/$u" || tb_fail "$u is not installed"
done
# short periods for the test, as an admin would set them in a drop-in
tb_exec mkdir -p /run/systemd/system/nspawn-compose-apply@.timer.d /run/systemd/system/nspawn-compose-supervise@.service.d
tb_exec sh -c 'printf "[Timer]\nOnBootSec=\nOnUnitActiveSec=\nOnActiveSec=0\nOnUnitActiveSec=1s\nAccuracySec=100ms\nRandomizedDelaySec=0\n" \
        >/run/systemd/system/nspawn-compose-apply@.timer.d/test.conf'
tb_exec sh -c 'printf "[Service]\nExecStart=\nExecStart=/usr/bin/nspawn-compose supervise --interval 1\n" \
        >/run/systemd/system/nspawn-compose-supervise@.service.d/test.conf'
tb_exec systemctl daemon-reload

# the timer: the project comes up, then an edit is applied
write_compose 1
tb_exec systemctl start "nspawn-compose-apply@$instance.timer"
tb_wait_for "the timer's first apply" 60 systemctl is-active --quiet "$(tb_unit web)"
tb_assert_contains "$(json_v)" "V=1" "first apply"
write_compose 2
tb_wait_for "the timer's apply of the edit" 60 grep -q '"V=2"' "/etc/nspawn-compose/$p/web.json"
tb_wait_for "web running V=2" 60 sh -c "systemctl is-active --quiet '$(tb_unit web)' && test -z \"\$(systemctl list-jobs --no-legend)\""
tb_exec systemctl stop "nspawn-compose-apply@$instance.timer"

# the supervisor: converged, nothing restarted; a service stopped by hand starts again
before=$(invocation)
tb_exec systemctl start "nspawn-compose-supervise@$instance.service"
tb_wait_for "the supervisor's first pass" 60 sh -c \
        "systemctl show -P StatusText 'nspawn-compose-supervise@$instance.service' | grep -q 'pass 1'"
tb_assert_eq "$(invocation)" "$before" "a converged project is left as it is"
tb_exec systemctl stop "$(tb_unit web)"
tb_wait_for "the supervisor to start web again" 60 systemctl is-active --quiet "$(tb_unit web)"
before=$(invocation)
tb_exec systemctl restart "nspawn-compose-supervise@$instance.service"
tb_wait_for "the restarted supervisor's first pass" 60 sh -c \
        "systemctl show -P StatusText 'nspawn-compose-supervise@$instance.service' | grep -q 'pass 1'"
tb_assert_eq "$(invocation)" "$before" "a restart of the supervisor restarts no service"
tb_exec systemctl stop "nspawn-compose-supervise@$instance.service"
tb_assert_eq "$(tb_exec systemctl is-active "$(tb_unit web)")" active "stopping the supervisor stops no service"
