# Hairpin: a machine reaches its own published port and another service's through a host address
# (the testbed's own non-loopback address and its bridge's gateway), over TCP and UDP, from the
# same bridge and from another project network, with and without br_netfilter passing bridged
# traffic to the IP hooks (net.bridge.bridge-nf-call-iptables; the testbed's kernel has it built
# in and on, most hosts do not load it). Without it, machines on one bridge answer each other at
# layer 2 past the host's conntrack, so this only works because the DNATed connection is
# masqueraded back through the host: deleting that rule breaks it, and apply repairs it.

p=hairpin
addr=192.0.2.11
tb_exec ip link add nc-hairpin0 type veth peer name nc-hairpin1
tb_defer ip link del nc-hairpin0
tb_exec ip addr add $addr/24 dev nc-hairpin0
tb_exec ip link set nc-hairpin1 up
tb_exec ip link set nc-hairpin0 up

tb_write_compose <<EOF
name: $p
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["8080:80"]
  api:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["8081:80"]
  echo:
    image: $TB_REGISTRY/test/echo:1
    ports: ["7010:7/udp", "7011:7"]
  other:
    image: $TB_REGISTRY/test/httpd:1
    networks: [back]
networks:
  back: {}
EOF
tb_down_at_end
tb_nc apply
tb_wait_http http://127.0.0.1:8080/ "hello from web"
tb_wait_http http://127.0.0.1:8081/ "hello from api"
tb_assert_eq "$(tb_tcp_echo 127.0.0.1 7011 ready)" ready "TCP echo from the testbed"

# fetch_in SERVICE URL: the page at URL fetched from inside SERVICE's machine.
fetch_in() {
        tb_nc exec "$1" timeout 10 wget -q -O- "$2"
}

# udp_from SERVICE HOST PORT MSG: the echoed line, sent from SERVICE's network namespace (busybox nc
# in the images has no UDP client; the testbed's bash does).
udp_from() {
        local netns
        netns=$(tb_exec sh -c "grep -o '\"netns\": *\"[^\"]*\"' /etc/nspawn-compose/$p/$1.json | cut -d'\"' -f4")
        tb_exec ip netns exec "$netns" timeout 5 \
                bash -c 'exec 3<>"/dev/udp/$1/$2" && echo "$3" >&3 && head -n 1 <&3' sh "$2" "$3" "$4"
}

gateway() {
        tb_nc exec "$1" sh -c "ip route | awk '/^default/ {print \$3}'"
}

gw=$(gateway web)
gw_back=$(gateway other)
[ -n "$gw" ] && [ -n "$gw_back" ] || tb_fail "no default route in the machines: '$gw' '$gw_back'"

# check_hairpin: every path above, from inside the machines.
check_hairpin() {
        local host
        for host in $addr "$gw"; do
                tb_assert_contains "$(fetch_in web http://$host:8080/)" "hello from web" "web reaches itself via $host"
                tb_assert_contains "$(fetch_in web http://$host:8081/)" "hello from api" "web reaches api via $host"
                tb_assert_contains "$(fetch_in api http://$host:8080/)" "hello from web" "api reaches web via $host"
                tb_assert_eq "$(tb_nc exec echo sh -c "echo self | nc -w 2 $host 7011")" self \
                        "echo reaches its own TCP port via $host"
                tb_assert_eq "$(udp_from web $host 7010 udp)" udp "web reaches echo's UDP port via $host"
                tb_assert_eq "$(udp_from echo $host 7010 self)" self "echo reaches its own UDP port via $host"
        done
        # From a machine on another bridge: through its own gateway and the testbed's address.
        for host in $addr "$gw_back"; do
                tb_assert_contains "$(fetch_in other http://$host:8080/)" "hello from web" \
                        "other reaches web via $host"
        done
}

bnf=/proc/sys/net/bridge/bridge-nf-call-iptables
bnf_was=$(tb_exec cat $bnf)
tb_defer sh -c "echo $bnf_was >$bnf"
tb_exec sh -c "echo 1 >$bnf"
check_hairpin
tb_exec sh -c "echo 0 >$bnf"
check_hairpin

# The hairpin masquerade is what makes this work (bridge-nf-call-iptables is still 0):
# without it the same-bridge case fails, plan names the edited chain, and apply puts it back.
handle=$(tb_exec nft -a list chain inet nspawn_compose postrouting |
        sed -n 's/.*"nspawn-compose: hairpin4" # handle \([0-9]*\)$/\1/p')
[ -n "$handle" ] || tb_fail "no hairpin4 rule in chain postrouting"
tb_exec nft delete rule inet nspawn_compose postrouting handle "$handle"
if tb_nc exec web timeout 3 wget -q -O- "http://$gw:8081/" >/dev/null 2>&1; then
        tb_fail "web reached api via $gw without the hairpin rule"
fi
rc=0
out=$(tb_nc plan) || rc=$?
tb_assert_eq "$rc" 2 "plan exit status without the hairpin rule"
tb_assert_contains "$out" "chain postrouting rules flushed or edited" "plan"
tb_nc apply
check_hairpin
tb_nc plan
