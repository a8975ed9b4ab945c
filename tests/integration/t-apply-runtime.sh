# apply --runtime installs under /run (gone at reboot, nothing written to /etc), converges, and
# plan/down --runtime see the same files.

p=rt
tb_defer tb_nc down --runtime
tb_write_compose <<EOF
name: $p
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["8083:80"]
EOF
tb_nc apply --runtime
tb_exec test -e /run/systemd/system/nspawn-compose-$p.web.service
tb_exec test -e /run/nspawn-compose/$p/web.json
tb_exec test ! -e /etc/systemd/system/nspawn-compose-$p.web.service
tb_exec test ! -e /etc/nspawn-compose/$p
tb_wait_http http://127.0.0.1:8083/ "hello from web"
tb_nc plan --runtime
tb_assert_contains "$(tb_nc apply --runtime)" "in sync" "second apply --runtime"
tb_nc down --runtime
tb_exec test ! -e /run/systemd/system/nspawn-compose-$p.web.service
tb_assert_eq "$(tb_exec systemctl list-units --all --no-legend "nspawn-compose-$p*")" "" "units after down"
