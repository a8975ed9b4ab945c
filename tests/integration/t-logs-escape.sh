# logs on a terminal shows a machine's control characters escaped (an escape sequence in a payload's
# output must not drive the operator's terminal): C0 controls, C1 controls both as a raw byte (CSI
# to an 8-bit terminal) and UTF-8 encoded, and invalid UTF-8; valid UTF-8 text stays. A pipe gets
# the bytes as they are.

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
      - printf 'before\033[2Jafter\n'; printf 'c1 \233' ; printf '2J raw\n'; printf 'c1 \302\233' ; printf '2J utf8 gr\303\274n\n'; exec /bin/busybox sleep 1000
EOF
tb_defer tb_nc down
tb_nc apply
tb_wait_for "the payload's output" 30 sh -c "journalctl -a -u '$(tb_unit noisy)' -o cat | grep -q utf8"
on_tty=$(tb_exec script -qec "nspawn-compose logs noisy" /dev/null)
tb_assert_contains "$on_tty" 'before\x1b[2Jafter' "logs on a terminal"
tb_assert_contains "$on_tty" 'c1 \x9b2J raw' "a raw C1 byte on a terminal"
tb_assert_contains "$on_tty" $'c1 \\xc2\\x9b2J utf8 gr\303\274n' "a UTF-8 C1 control on a terminal"
case $on_tty in
*$'\033'* | *$'\233'*) tb_fail "logs on a terminal printed a raw ESC or CSI" ;;
esac
piped=$(tb_nc logs noisy)
case $piped in
*$'before\033[2Jafter'*) ;;
*) tb_fail "logs to a pipe changed the bytes: $piped" ;;
esac
