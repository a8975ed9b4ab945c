# logs on a terminal shows a machine's control characters escaped (an escape sequence in a payload's
# output must not drive the operator's terminal), and passes them through to a pipe as they are.

p=$(basename "$TB_PROJECT")
tb_write_compose <<EOF
name: $p
services:
  noisy:
    image: $TB_REGISTRY/test/httpd:1
    entrypoint:
      - /bin/busybox
      - sh
      - -c
      - printf 'before\033[2Jafter\n'; exec /bin/busybox sleep 1000
EOF
tb_defer tb_nc down
tb_nc apply
tb_wait_for "the payload's output" 30 sh -c "journalctl -a -u '$(tb_unit noisy)' -o cat | grep -q after"
on_tty=$(tb_exec script -qec "nspawn-compose logs noisy" /dev/null)
tb_assert_contains "$on_tty" 'before\x1b[2Jafter' "logs on a terminal"
case $on_tty in
*$'\033'*) tb_fail "logs on a terminal printed a raw ESC" ;;
esac
piped=$(tb_nc logs noisy)
case $piped in
*$'before\033[2Jafter'*) ;;
*) tb_fail "logs to a pipe changed the bytes: $piped" ;;
esac
