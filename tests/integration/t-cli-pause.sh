# pause/unpause: systemd's freezer on the service's unit, ps showing "paused". Where systemd cannot
# freeze (no cgroup v2 unified hierarchy: the testbed booted on a v1 or hybrid host) pause must
# refuse with systemd's reason, exit 1 and leave the service serving; the freezing itself is proven
# by the suite's run in a testbed with the unified hierarchy (integration-cgroup2), where a refusal
# fails the case.

p=$(basename "$TB_PROJECT")
tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["8095:80"]
EOF
tb_defer tb_nc down
tb_nc up -d 2>/dev/null
tb_wait_http http://127.0.0.1:8095/ "hello from web"

rc=0
err=$(tb_nc pause web 2>&1) || rc=$?
hierarchy=$(tb_exec stat -fc %T /sys/fs/cgroup)
tb_note "cgroup hierarchy: $hierarchy"
if [ "$rc" -ne 0 ] && [[ $err == *"does not support freezing"* ]] && [ "$hierarchy" != cgroup2fs ]; then
        # systemd freezes through cgroup v2's cgroup.freeze, only where v2 is the unified hierarchy
        # (not on a v1 or hybrid host); pause said so and exited 1, as it should
        tb_assert_eq "$rc" 1 "pause where systemd cannot freeze"
        tb_note "systemd cannot freeze units here ($(tb_exec stat -fc %T /sys/fs/cgroup) /sys/fs/cgroup): $(tr '\n' ' ' <<<"$err")"
        tb_assert_eq "$(tb_exec systemctl show -P ActiveState "$(tb_unit web)")" active "web after the refused pause"
        tb_wait_http http://127.0.0.1:8095/ "hello from web"
        return 0
fi
tb_assert_eq "$rc" 0 "pause: $err"
tb_assert_contains "$err" "Container $p.web  Paused" "pause progress"
tb_assert_eq "$(tb_exec systemctl show -P FreezerState "$(tb_unit web)")" frozen "FreezerState"
tb_assert_contains "$(grep '^web ' <<<"$(tb_nc ps)")" "paused" "ps of a paused service"
err=$(tb_nc unpause web 2>&1)
tb_assert_contains "$err" "Container $p.web  Unpaused" "unpause progress"
tb_assert_eq "$(tb_exec systemctl show -P FreezerState "$(tb_unit web)")" running "FreezerState after unpause"
tb_wait_http http://127.0.0.1:8095/ "hello from web"
