# A probe that hangs is killed at its timeout and leaves nothing behind. The check hangs once
# /tmp/hang exists (after the service became healthy, so the start is not what is tested): every
# probe then runs `sleep 1000` under the probe's shell, plus one that detaches into a session of
# its own (out of the probe's process group: only its cgroup still holds it). The checker kills
# the probe after `timeout` and the service turns unhealthy with docker's "Health check exceeded
# timeout" message. Every sleep seen while it runs must go away by itself, in the machine and in
# the unit's cgroup.

tb_write_compose <<EOF
services:
  hang:
    image: $TB_REGISTRY/test/health:1
    healthcheck:
      test: ["CMD-SHELL", "if [ -e /tmp/hang ]; then setsid sleep 1000 & sleep 1000; fi; /bin/healthcheck"]
      interval: 1s
      timeout: 1s
      retries: 3
EOF
tb_down_at_end
tb_nc apply

unit=$(tb_unit hang)
tb_assert_eq "$(tb_exec systemctl show -P StatusText "$unit")" healthy "$unit"

# sleepers: PIDs of every `sleep 1000` in the testbed (the machine's processes are visible here)
sleepers() {
        tb_sh 'for d in /proc/[0-9]*; do
                [ "$(tr "\0" " " <"$d/cmdline" 2>/dev/null)" = "sleep 1000 " ] && echo "${d#/proc/}"
        done; true'
}

tb_nc exec hang touch /tmp/hang
tb_wait_for "$unit to turn unhealthy" 60 sh -c "systemctl show -P StatusText $unit | grep -q '^unhealthy'"
tb_assert_eq "$(tb_exec systemctl show -P StatusText "$unit")" \
        "unhealthy: Health check exceeded timeout (1s)" "status text"

# Catch some hanging probes in the act, each in the unit's cgroup...
seen=()
for ((i = 0; i < 100 && ${#seen[@]} < 4; i++)); do
        for pid in $(sleepers); do
                [[ " ${seen[*]} " == *" $pid "* ]] && continue
                cg=$(tb_exec cat "/proc/$pid/cgroup" 2>/dev/null) || continue
                tb_assert_contains "$cg" "$unit" "cgroup of probe process $pid"
                seen+=("$pid")
        done
        sleep 0.2
done
[ ${#seen[@]} -ge 4 ] || tb_fail "saw only ${#seen[@]} hanging probes"
tb_note "hanging probes seen: ${seen[*]}"
# ...and each of them goes away: killed at its timeout, not left to sleep 1000 s.
for pid in "${seen[@]}"; do
        tb_wait_for "probe process $pid to be killed" 30 sh -c "! test -e /proc/$pid"
done
# Once the probes stop hanging, nothing is left at all.
tb_nc exec hang rm /tmp/hang
tb_wait_for "$unit to be healthy again" 60 sh -c "systemctl show -P StatusText $unit | grep -qx healthy"
for ((i = 0; i < 300; i++)); do
        [ -z "$(sleepers)" ] && break
        sleep 0.1
done
tb_assert_eq "$(sleepers)" "" "sleep processes left"
tb_assert_eq "$(tb_exec systemctl show -P NRestarts "$unit")" 0 "restarts"
