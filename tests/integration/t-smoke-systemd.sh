# The testbed is a systemd host: systemd is PID 1 and finished booting, D-Bus answers, machined
# starts on demand, and our binary runs there with its libraries.

state=$(tb_exec systemctl is-system-running || true)
case $state in
running | degraded) ;;
*) tb_fail "systemctl is-system-running says '$state'" ;;
esac
tb_assert_eq "$(tb_exec cat /proc/1/comm)" systemd "PID 1 of the testbed"
tb_exec busctl --system --no-pager status >/dev/null
tb_exec machinectl list --no-legend >/dev/null
tb_assert_eq "$(tb_exec systemctl is-active systemd-machined.service)" active "machined"

# The project directory is fresh and is where tb_exec runs.
tb_assert_eq "$(tb_exec pwd)" "$TB_PROJECT" "working directory"
tb_assert_eq "$(tb_exec ls -A)" "" "project directory content"

tb_exec nspawn-compose --version
