# An apply killed with SIGKILL midway is followed by an apply that converges, with nothing
# duplicated or orphaned.

p=killed
tb_defer tb_nc down
tb_write_compose <<EOF
name: $p
services:
  a:
    image: $TB_REGISTRY/test/httpd:1
  b:
    image: $TB_REGISTRY/test/httpd:1
    depends_on: [a]
  c:
    image: $TB_REGISTRY/test/echo:1
EOF
# Kill it at several points of its run: early (rendering, pulling), while writing, while starting.
for delay in 0.02 0.1 0.25; do
        tb_sh "nspawn-compose apply >/dev/null 2>&1 & pid=\$!; sleep $delay; kill -9 \$pid 2>/dev/null || true; wait \$pid || true"
done
tb_nc apply
tb_nc plan
tb_assert_eq "$(tb_exec machinectl list --no-legend | grep -c "^$p\." || true)" 3 "one machine per service"
tb_assert_eq "$(tb_exec ls /etc/nspawn-compose/$p | sort | tr '\n' ' ')" \
        "a.hosts a.json b.hosts b.json c.hosts c.json project.json " "settings files"
tb_assert_eq "$(tb_exec sh -c "ls -a /etc/nspawn-compose/$p /etc/systemd/system | grep -c '#nc'" || true)" 0 \
        "no temporary files left"
