# down leaves no trace: no unit, machine, link, netns, nft element or state directory of the
# project; named volumes survive without --volumes and go with it.

p=downp
tb_defer tb_nc down --volumes
tb_write_compose <<EOF
name: $p
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["8081:80"]
    volumes: ["data:/data"]
volumes:
  data: {}
EOF
links_before=$(tb_exec ip -br link | awk '{print $1}' | sort)
tb_nc apply
tb_wait_http http://127.0.0.1:8081/ "hello from web"
tb_nc exec web sh -c 'echo kept >/data/file'

tb_nc down
tb_assert_eq "$(tb_exec systemctl list-units --all --no-legend "nspawn-compose-$p*")" "" "units after down"
tb_assert_eq "$(tb_exec machinectl list --no-legend | grep -c "^$p\." || true)" 0 "machines after down"
tb_assert_eq "$(tb_exec ip -br link | awk '{print $1}' | sort)" "$links_before" "links after down"
tb_assert_eq "$(tb_exec ip netns list)" "" "netns after down"
if tb_exec nft list table inet nspawn_compose 2>/dev/null | grep -q "\"$p/"; then
        tb_fail "nft elements of $p left"
fi
tb_exec test ! -e /etc/nspawn-compose/$p
tb_exec test ! -e /var/lib/nspawn-compose/$p
tb_exec test ! -e /run/nspawn-compose/$p
tb_exec sh -c "! ls /etc/systemd/system /etc/systemd/system/multi-user.target.wants | grep -q nspawn-compose-$p"
tb_assert_eq "$(tb_exec cat /var/lib/nspawn-compose/volumes/${p}_data/file)" kept "volume kept by down"

tb_nc down --volumes
tb_exec test ! -e /var/lib/nspawn-compose/volumes/${p}_data

# down works when the file no longer renders (here: a port DNAT cannot serve).
tb_write_compose <<EOF
name: $p
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["8081:80"]
EOF
tb_nc apply
tb_write_compose <<EOF
name: $p
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["[::1]:8081:80"]
EOF
rc=0
tb_nc plan >/dev/null 2>&1 || rc=$?
tb_assert_eq "$rc" 1 "plan of a file that does not render"
tb_nc down
tb_assert_eq "$(tb_exec systemctl list-units --all --no-legend "nspawn-compose-$p*")" "" "units after down"
tb_exec test ! -e /etc/nspawn-compose/$p
