# Restart policies with the exit image: no (one run, failed), always (runs again after a clean
# exit), on-failure:2 (three runs, then failed), on-failure after a clean exit (one run,
# active (exited)), unless-stopped (as always; a stop by hand sticks).

p=srst
tb_defer tb_nc down
tb_write_compose <<EOF
name: $p
services:
  never:
    image: $TB_REGISTRY/test/exit:1
    restart: "no"
    environment: { EXIT_CODE: "3", EXIT_DELAY: "1" }
  always:
    image: $TB_REGISTRY/test/exit:1
    restart: always
    environment: { EXIT_CODE: "0", EXIT_DELAY: "1" }
  twice:
    image: $TB_REGISTRY/test/exit:1
    restart: on-failure:2
    environment: { EXIT_CODE: "1", EXIT_DELAY: "1" }
  clean:
    image: $TB_REGISTRY/test/exit:1
    restart: on-failure
    environment: { EXIT_CODE: "0", EXIT_DELAY: "1" }
  sticky:
    image: $TB_REGISTRY/test/httpd:1
    restart: unless-stopped
EOF
# The services exit on their own, so apply may or may not see them running at its end.
tb_nc apply || true

show() {
        tb_exec systemctl show -P "$2" "$(tb_unit "$1" $p)"
}
# runs SERVICE: how many times the payload ran (the exit image says so once per run)
runs() {
        tb_exec journalctl -q -o cat -u "$(tb_unit "$1" $p)" --no-pager | grep -c '^exiting with' || true
}

tb_wait_unit "$(tb_unit never $p)" failed 60
tb_assert_eq "$(show never NRestarts)" 0 "restart: no restarts nothing"
tb_assert_eq "$(show never ExecMainStatus)" 3 "restart: no keeps the exit status"
tb_assert_eq "$(runs never)" 1 "restart: no runs once"

tb_wait_unit "$(tb_unit twice $p)" failed 90
tb_assert_eq "$(runs twice)" 3 "on-failure:2 runs three times"
tb_assert_eq "$(show twice ExecMainStatus)" 1 "on-failure:2 ends failed with the payload's status"

# ran to completion and not restarted: active (exited), as docker leaves it exited
tb_wait_for "clean's exit" 60 sh -c "[ \$(systemctl show -P SubState $(tb_unit clean $p)) = exited ]"
tb_assert_eq "$(show clean NRestarts)" 0 "on-failure after exit 0 does not restart"
tb_assert_eq "$(runs clean)" 1 "on-failure after exit 0 runs once"

tb_wait_for "always restarts after clean exits" 60 sh -c \
        "[ \$(journalctl -q -o cat -u $(tb_unit always $p) | grep -c '^exiting with') -ge 3 ]"
[ "$(show always NRestarts)" -ge 2 ] || tb_fail "always: NRestarts $(show always NRestarts)"

tb_assert_eq "$(show sticky Restart)" always "unless-stopped is Restart=always"
tb_exec systemctl kill --kill-who=all -s KILL "$(tb_unit sticky $p)"
tb_wait_for "unless-stopped restarts after a crash" 30 sh -c \
        "[ \$(systemctl show -P NRestarts $(tb_unit sticky $p)) -ge 1 ] && systemctl is-active -q $(tb_unit sticky $p)"
tb_exec systemctl stop "$(tb_unit sticky $p)"
tb_exec systemctl stop "$(tb_unit always $p)"
tb_assert_eq "$(show sticky ActiveState)" inactive "a stop by hand sticks"
