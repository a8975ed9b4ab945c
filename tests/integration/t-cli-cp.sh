# cp: docker compose cp out of and into a service's machine, by fds in the machine's root: a
# symlink the machine plants towards a host file is copied as a symlink (never the host file's
# content), a FIFO does not hang cp, nothing lands outside DEST, ownership as docker's.

p=$(basename "$TB_PROJECT")
tb_write_compose <<EOF2
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
EOF2
tb_defer tb_nc down
tb_nc up -d web 2>/dev/null
m=$p.web

# the machine's side: a tree with a file, a symlink to the testbed's /etc/shadow, a FIFO
tb_nc exec -T web sh -c 'mkdir -p /srv/t/sub && echo inside > /srv/t/sub/f && chown 33:33 /srv/t/sub/f &&
        ln -s /etc/shadow /srv/t/shadow && ln -s /etc/shadow /srv/top-link && mkfifo /srv/t/fifo'
tb_exec sh -c 'echo host-secret-$$ > /root/secret; chmod 600 /root/secret'

# out: the tree, the symlink kept as one, the FIFO skipped with a warning (and no hang)
tb_exec rm -rf /tmp/out && tb_exec mkdir /tmp/out
err=$(tb_nc cp "web:/srv/t" /tmp/out 2>&1) || tb_fail "cp out failed: $err"
tb_note "$err"
tb_assert_contains "$err" "copy $m:/srv/t to /tmp/out  Copied" "cp progress line"
tb_assert_contains "$err" "Skipping t/fifo: a FIFO" "FIFO skipped with a warning"
tb_assert_eq "$(tb_exec cat /tmp/out/t/sub/f)" "inside" "file copied out"
tb_assert_eq "$(tb_exec stat -c %u /tmp/out/t/sub/f)" 0 "copied out as ours without -a"
tb_assert_eq "$(tb_exec readlink /tmp/out/t/shadow)" "/etc/shadow" "symlink copied as a symlink"
tb_exec test -L /tmp/out/t/shadow || tb_fail "t/shadow is not a symlink"
tb_exec test -e /tmp/out/t/fifo && tb_fail "the FIFO was copied"

# a symlink named as SRC: copied as a symlink
tb_nc cp web:/srv/top-link /tmp/out/top 2>/dev/null
tb_assert_eq "$(tb_exec readlink /tmp/out/top)" "/etc/shadow" "top-level symlink copied as a symlink"
# -L follows SRC inside the machine only: a link to the host's /root/secret (absolute or by ../)
# finds nothing there
tb_nc exec -T web sh -c 'ln -s /root/secret /srv/to-secret; ln -s ../../../../../root/secret /srv/dotdot;
        ln -s /srv/t/sub/f /srv/to-f'
for l in to-secret dotdot; do
        tb_nc cp -L "web:/srv/$l" "/tmp/out/$l" 2>/dev/null && tb_fail "cp -L $l found a file outside the machine"
done
tb_exec sh -c 'grep -rqs host-secret /tmp/out' && tb_fail "the host file's content was copied out"
tb_nc cp -L web:/srv/to-f /tmp/out/f-L 2>/dev/null
tb_assert_eq "$(tb_exec cat /tmp/out/f-L)" "inside" "cp -L follows a link inside the machine"
tb_exec test -L /tmp/out/f-L && tb_fail "cp -L copied the link"

# -a keeps the owner
tb_nc cp -a web:/srv/t/sub/f /tmp/out/f-a 2>/dev/null
tb_assert_eq "$(tb_exec stat -c %u:%g /tmp/out/f-a)" "33:33" "cp -a keeps uid/gid"

# a FIFO named directly: refused, not hanging
rc=0
tb_nc cp web:/srv/t/fifo /tmp/out/fifo 2>/dev/null || rc=$?
tb_assert_eq "$rc" 1 "a FIFO named as the source is refused"

# in: a file into a directory, a tree; root's ownership unless -a
tb_exec sh -c 'mkdir -p /tmp/in/d && echo from-host > /tmp/in/d/h && chown 1234:1234 /tmp/in/d/h'
tb_nc cp /tmp/in/d web:/srv/ 2>/dev/null || tb_fail "cp in failed"
tb_assert_eq "$(tb_nc exec -T web cat /srv/d/h)" "from-host" "tree copied in"
tb_assert_eq "$(tb_nc exec -T web stat -c %u:%g /srv/d/h)" "0:0" "copied in as root"
tb_nc cp -a /tmp/in/d/h web:/srv/h-a 2>/dev/null
tb_assert_eq "$(tb_nc exec -T web stat -c %u:%g /srv/h-a)" "1234:1234" "cp -a in keeps uid/gid"
# a destination the machine made a symlink to a host path: resolved inside the machine
tb_nc exec -T web sh -c 'ln -s /root /srv/evil'
tb_nc cp /tmp/in/d/h web:/srv/evil/planted 2>/dev/null || true
tb_exec test -e /root/planted && tb_fail "cp in wrote through a symlink onto the host"
# a FIFO at the destination name is replaced, not opened (a write to it would hang)
tb_nc exec -T web sh -c 'mkfifo /srv/q'
tb_nc cp /tmp/in/d/h web:/srv/q 2>/dev/null || tb_fail "cp over a FIFO failed"
tb_assert_eq "$(tb_nc exec -T web cat /srv/q)" "from-host" "a FIFO at the destination replaced"

# usage errors, as docker compose's
rc=0
err=$(tb_nc cp /tmp/in /tmp/x 2>&1) || rc=$?
tb_assert_eq "$rc" 1 "no service named"
tb_assert_contains "$err" "unknown copy direction" "no service: message"
rc=0
err=$(tb_nc cp web:/a web:/b 2>&1) || rc=$?
tb_assert_contains "$err" "copying between services is not supported" "two services: message"
rc=0
tb_nc cp web:/a 2>/dev/null || rc=$?
tb_assert_eq "$rc" 1 "one argument"
