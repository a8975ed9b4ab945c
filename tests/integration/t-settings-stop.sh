# stop_signal reaches the payload (a shell that traps it and writes a file to a named volume
# before exiting), stop_grace_period is TimeoutStopSec= minus the margin and bounds a payload
# that ignores the signal.

p=sstop
tb_defer tb_nc down --volumes
tb_write_compose <<EOF
name: $p
services:
  trap:
    image: $TB_REGISTRY/test/httpd:1
    stop_signal: SIGUSR1
    stop_grace_period: 20s
    volumes: [state:/state]
    entrypoint:
      - sh
      - -c
      - |
        rm -f /state/got
        trap 'echo usr1 >/state/got; exit 0' USR1
        trap 'echo term >/state/got; exit 0' TERM
        while :; do sleep 1 & wait \$\$!; done
  stubborn:
    image: $TB_REGISTRY/test/httpd:1
    stop_grace_period: 2s
    entrypoint: ["sh", "-c", "trap '' TERM; while :; do sleep 1; done"]
volumes:
  state: {}
EOF
tb_nc apply

tb_assert_eq "$(tb_exec systemctl show -P TimeoutStopUSec "$(tb_unit trap $p)")" 25s "TimeoutStopSec = grace + 5s"
tb_assert_eq "$(tb_exec systemctl show -P TimeoutStopUSec "$(tb_unit stubborn $p)")" 7s "TimeoutStopSec for 2s"

tb_exec systemctl stop "$(tb_unit trap $p)"
tb_assert_eq "$(tb_exec systemctl show -P ActiveState "$(tb_unit trap $p)")" inactive "trap stopped cleanly"
tb_assert_eq "$(tb_exec cat /var/lib/nspawn-compose/volumes/${p}_state/got)" usr1 "the payload got stop_signal"

tb_exec systemctl stop "$(tb_unit stubborn $p)"
tb_assert_eq "$(tb_exec systemctl show -P ActiveState "$(tb_unit stubborn $p)")" inactive "stubborn ends inactive"
tb_assert_contains "$(tb_exec journalctl -u "$(tb_unit stubborn $p)" --no-pager)" "did not stop within its grace period" "grace period enforced by the wrapper"
