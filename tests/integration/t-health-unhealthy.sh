# A check that starts failing after readiness: the service keeps running (as in docker) and shows
# unhealthy in `ps` and in `systemctl status` (the wrapper's STATUS= text, with the probe's last
# output). With x-nspawn-compose.on_unhealthy: restart the wrapper triggers the unit's watchdog:
# systemd restarts the unit (NRestarts grows) and it becomes healthy again.

tb_write_compose <<EOF
services:
  plain:
    image: $TB_REGISTRY/test/health:1
  restarted:
    image: $TB_REGISTRY/test/health:1
    x-nspawn-compose:
      on_unhealthy: restart
EOF
tb_down_at_end
tb_nc apply

plain=$(tb_unit plain)
restarted=$(tb_unit restarted)
prop() {
        tb_exec systemctl show -P "$2" "$1"
}
# health SERVICE: the HEALTH column of ps
health() {
        tb_nc ps --format json | python3 -c '
import json, sys
print(next(s["health"] for s in json.load(sys.stdin) if s["service"] == sys.argv[1]))' "$1"
}
# wait_health SERVICE STATE
wait_health() {
        local i
        for ((i = 0; i < 600; i++)); do
                [ "$(health "$1")" = "$2" ] && return 0
                sleep 0.1
        done
        tb_fail "$1 is '$(health "$1")' in ps, expected '$2'"
}

tb_assert_eq "$(health plain)" healthy "plain"
tb_assert_eq "$(health restarted)" healthy "restarted"

# Without the extension: unhealthy, reported, still running, not restarted.
tb_nc exec plain rm /www/health
wait_health plain unhealthy
tb_assert_contains "$(tb_exec systemctl status --no-pager "$plain")" 'Status: "unhealthy: ' "systemctl status"
tb_assert_contains "$(prop "$plain" StatusText)" "404" "status text carries the probe output"
tb_assert_contains "$(tb_nc ps)" unhealthy "ps"
tb_assert_eq "$(prop "$plain" ActiveState)" active "$plain while unhealthy"
tb_assert_eq "$(prop "$plain" NRestarts)" 0 "$plain restarts"
# It recovers on its own when the check passes again.
tb_nc exec plain sh -c 'echo ok >/www/health'
wait_health plain healthy

# With on_unhealthy: restart the unit is restarted and comes back healthy.
invocation=$(prop "$restarted" InvocationID)
tb_nc exec restarted rm /www/health
tb_wait_for "a restart of $restarted" 60 sh -c "[ \"\$(systemctl show -P NRestarts $restarted)\" -ge 1 ]"
tb_wait_unit "$restarted" active
wait_health restarted healthy
[ "$(prop "$restarted" InvocationID)" != "$invocation" ] || tb_fail "$restarted: same invocation after the restart"
tb_assert_eq "$(prop "$restarted" StatusText)" healthy "$restarted status text after the restart"
# systemd's watchdog stopped it through the wrapper (WatchdogSignal=SIGTERM): the machine was
# stopped with its stop signal, not the wrapper killed with SIGABRT.
log=$(tb_exec journalctl --no-pager -u "$restarted")
tb_assert_contains "$log" "Watchdog request" "$restarted journal"
tb_assert_contains "$log" "Stopping machine" "$restarted journal"
[[ $log != *SIGABRT* ]] || tb_fail "$restarted: the wrapper was killed with SIGABRT"
# The restart did not disturb the other service.
tb_assert_eq "$(prop "$plain" NRestarts)" 0 "$plain restarts"
