# A service that runs to completion (restart: "no", exit 0) counts as done: apply succeeds, a second
# apply and plan see the project converged, logs show its output, ps its state. One that exits
# non-zero is failed: plan names it and its result, and apply starts it again.
# (apply returns when every unit reached its state; a payload that exits after it was started
# successfully is seen by the next plan or apply, as docker compose up --wait would not see it
# either.)

p=job
tb_defer tb_nc down
write_compose() {
        tb_write_compose <<EOF
name: $p
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["8084:80"]
  job:
    image: $TB_REGISTRY/test/exit:1
    restart: "no"
    environment:
      EXIT_CODE: "$1"
EOF
}

write_compose 0
tb_nc apply
tb_wait_for "job to finish" 30 sh -c "systemctl show -P SubState $(tb_unit job $p) | grep -qx exited"
tb_nc plan
tb_assert_contains "$(tb_nc apply)" "in sync" "second apply"
tb_assert_contains "$(tb_nc logs job)" "job | exiting with 0" "logs"
ps=$(tb_nc ps -a --format json)     # -a: the job has exited, docker lists it with -a only
tb_assert_contains "$ps" '"service": "job"' "ps json"
tb_assert_contains "$ps" '"ports": "0.0.0.0:8084->80/tcp"' "ps json ports"

# exec takes docker compose exec's options: -T, -e, -w, -u (resolved in the machine's /etc/passwd).
tb_assert_eq "$(tb_nc exec -T -e X=1 -w /www -u nobody web sh -c 'echo $X $(pwd) $(id -u)')" "1 /www 65534" "exec options"
rc=0
tb_nc exec web sh -c 'exit 7' || rc=$?
tb_assert_eq "$rc" 7 "exec passes the command's exit status"

write_compose 3
tb_nc apply >/dev/null 2>&1 || true
tb_wait_for "job to fail" 30 sh -c "systemctl show -P ActiveState $(tb_unit job $p) | grep -qx failed"
rc=0
out=$(tb_nc plan 2>&1) || rc=$?
tb_assert_eq "$rc" 2 "plan exit status with a failed service"
tb_assert_contains "$out" "failed (exit-code)" "plan names the result"
tb_assert_contains "$(tb_nc logs job)" "job | exiting with 3" "logs of the failed run"
tb_assert_contains "$(tb_nc ps -a)" "exited (3)" "ps -a shows the failed job as docker does"
