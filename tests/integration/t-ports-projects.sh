# Two projects side by side in the one nftables table, each with its own ports (TCP, UDP and a
# container-only one): both answer, each project's plan is clean, `down` of one removes exactly its
# elements and leaves the other's ports working, and a third project that wants a host port the
# first one holds is refused without touching the first.

# write_project DIR NAME HTTP_PORT UDP_PORT
write_project() {
        tb_write_compose "$1/compose.yml" <<EOF
name: $2
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["$3:80", "80"]
  echo:
    image: $TB_REGISTRY/test/echo:1
    ports: ["$4:7/udp"]
EOF
}

# allocated DIR: the host port allocated to web's container-only port 80.
allocated() {
        tb_nc -f "$1/compose.yml" ps | grep '^web ' | grep -o '0\.0\.0\.0:[0-9]*->80/tcp' |
                grep -v -e ':8082-' -e ':8083-' | sed 's/^0\.0\.0\.0:\([0-9]*\)-.*/\1/'
}

elements_of() {
        tb_exec nft list table inet nspawn_compose 2>/dev/null | grep -c "comment \"$1/" || true
}

write_project a sidea 8082 7013
write_project b sideb 8083 7014
tb_defer tb_nc -f a/compose.yml down
tb_defer tb_nc -f b/compose.yml down
tb_nc -f a/compose.yml apply
tb_nc -f b/compose.yml apply

tb_wait_http http://127.0.0.1:8082/ "hello from web"
tb_wait_http http://127.0.0.1:8083/ "hello from web"
tb_assert_eq "$(tb_udp_echo 127.0.0.1 7013 to-a)" to-a "UDP of sidea"
tb_assert_eq "$(tb_udp_echo 127.0.0.1 7014 to-b)" to-b "UDP of sideb"
port_a=$(allocated a)
port_b=$(allocated b)
[ -n "$port_a" ] && [ -n "$port_b" ] && [ "$port_a" != "$port_b" ] ||
        tb_fail "allocated ports of sidea and sideb: '$port_a' '$port_b'"
tb_wait_http http://127.0.0.1:$port_a/ "hello from web"
tb_wait_http http://127.0.0.1:$port_b/ "hello from web"
tb_nc -f a/compose.yml plan
tb_nc -f b/compose.yml plan
n_b=$(elements_of sideb)
[ "$(elements_of sidea)" -gt 0 ] && [ "$n_b" -gt 0 ] || tb_fail "elements: sidea $(elements_of sidea), sideb $n_b"

# A third project wants sidea's TCP port: plan names the conflict, apply refuses before changing
# anything (no file, unit or element of sidec) and sidea keeps the port.
tb_write_compose c/compose.yml <<EOF
name: sidec
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["8082:80"]
EOF
tb_defer tb_nc -f c/compose.yml down
rc=0
out=$(tb_nc -f c/compose.yml plan 2>&1) || rc=$?
tb_assert_eq "$rc" 1 "plan of sidec (a port another project holds is an error)"
tb_assert_contains "$out" "conflict: pub4 tcp/8082" "plan of sidec"
tb_assert_contains "$out" "sidea/web" "plan of sidec"
rc=0
out=$(tb_nc -f c/compose.yml apply 2>&1) || rc=$?
tb_assert_eq "$rc" 1 "apply of sidec"
tb_assert_contains "$out" "8082" "apply of sidec"
tb_assert_contains "$out" "sidea/web" "apply of sidec"
tb_assert_contains "$out" "taken by another project" "apply of sidec"
tb_assert_eq "$(elements_of sidec)" 0 "elements of sidec"
tb_exec test ! -e /etc/nspawn-compose/sidec
tb_exec test ! -e /etc/systemd/system/nspawn-compose-sidec.target
tb_exec test ! -e /etc/systemd/system/nspawn-compose-sidec.web.service
tb_assert_contains "$(tb_http http://127.0.0.1:8082/)" "hello from web" "sidea's port after sidec's apply"
tb_nc -f c/compose.yml down
tb_nc -f a/compose.yml plan

# down of sidea: its elements go, sideb's stay and answer, and sideb is still in sync.
tb_nc -f a/compose.yml down
tb_assert_eq "$(elements_of sidea)" 0 "elements of sidea after its down"
tb_assert_eq "$(elements_of sideb)" "$n_b" "elements of sideb after sidea's down"
if tb_http http://127.0.0.1:8082/ >/dev/null 2>&1; then
        tb_fail "sidea's port 8082 still answers after its down"
fi
tb_assert_contains "$(tb_http http://127.0.0.1:8083/)" "hello from web" "sideb's port after sidea's down"
tb_assert_contains "$(tb_http http://127.0.0.1:$port_b/)" "hello from web" "sideb's allocated port"
tb_assert_eq "$(tb_udp_echo 127.0.0.1 7014 still-b)" still-b "UDP of sideb after sidea's down"
tb_nc -f b/compose.yml plan

# down of the last project removes the table.
tb_nc -f b/compose.yml down
if tb_exec nft list table inet nspawn_compose >/dev/null 2>&1; then
        tb_fail "table inet nspawn_compose left after the last project's down"
fi
