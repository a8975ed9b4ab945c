# Published ports in every compose form, as nftables DNAT map elements: TCP on 127.0.0.1 and on
# the testbed's own non-loopback address, UDP, a range (each host port reaches its own target
# port), a specific host_ip (reachable on it, not on another local address) and a container-only
# port (a host port is allocated, `ps` shows it and it answers).

p=portforms
addr=192.0.2.10
# The testbed's kernel has no dummy driver: a veth pair, both ends up, gives an address that is
# local and not loopback.
tb_exec ip link add nc-dummy0 type veth peer name nc-dummy1
tb_defer ip link del nc-dummy0
tb_exec ip addr add $addr/24 dev nc-dummy0
tb_exec ip link set nc-dummy1 up
tb_exec ip link set nc-dummy0 up

# The range service serves on three ports, each page naming its port, so a wrong mapping inside
# the range shows. Compose interpolates $, hence $$.
tb_write_compose <<EOF
name: $p
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["8080:80", "127.0.0.2:8090:80"]
  echo:
    image: $TB_REGISTRY/test/echo:1
    ports: ["7007:7/udp", "7008:7"]
  range:
    image: $TB_REGISTRY/test/httpd:1
    entrypoint: ["/bin/sh", "-c"]
    command:
      - |
        for p in 9000 9001 9002; do
                mkdir -p /w\$\$p && echo "port \$\$p" >/w\$\$p/index.html
        done
        httpd -p 9000 -h /w9000 && httpd -p 9001 -h /w9001
        exec httpd -f -p 9002 -h /w9002
    ports: ["9000-9002:9000-9002"]
  only:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["80"]
EOF
tb_down_at_end
tb_nc apply

# TCP, on loopback and on the testbed's own address.
tb_wait_http http://127.0.0.1:8080/ "hello from web"
tb_wait_http http://$addr:8080/ "hello from web"
tb_assert_eq "$(tb_tcp_echo 127.0.0.1 7008 tcp-ping)" tcp-ping "TCP echo on 127.0.0.1"
tb_assert_eq "$(tb_tcp_echo $addr 7008 tcp-ping)" tcp-ping "TCP echo on $addr"

# UDP.
tb_assert_eq "$(tb_udp_echo 127.0.0.1 7007 udp-ping)" udp-ping "UDP echo on 127.0.0.1"
tb_assert_eq "$(tb_udp_echo $addr 7007 udp-ping)" udp-ping "UDP echo on $addr"

# A range: one element per port, each to its own target port.
for port in 9000 9001 9002; do
        tb_wait_http http://127.0.0.1:$port/ "port $port"
        tb_assert_eq "$(tb_http http://$addr:$port/)" "port $port" "range port $port on $addr"
done

# A specific host address: served there and nowhere else.
tb_wait_http http://127.0.0.2:8090/ "hello from web"
if tb_http http://127.0.0.1:8090/ >/dev/null 2>&1; then
        tb_fail "127.0.0.2:8090 also answers on 127.0.0.1"
fi
if tb_http http://$addr:8090/ >/dev/null 2>&1; then
        tb_fail "127.0.0.2:8090 also answers on $addr"
fi

# A container-only port: apply allocated a host port from the ephemeral range, ps shows it,
# it answers, and it is stable across applies.
ps=$(tb_nc ps)
line=$(grep '^only ' <<<"$ps") || tb_fail "no line for 'only' in: $ps"
host_port=$(grep -o '0\.0\.0\.0:[0-9]*->80/tcp' <<<"$line" | sed 's/^0\.0\.0\.0:\([0-9]*\)-.*/\1/')
[ -n "$host_port" ] || tb_fail "ps shows no published port for 'only': $line"
[ "$host_port" -ge 32768 ] && [ "$host_port" -le 60999 ] ||
        tb_fail "allocated port $host_port is outside 32768-60999"
tb_wait_http http://127.0.0.1:$host_port/ "hello from only"
tb_assert_contains "$(tb_nc ps --format json)" "0.0.0.0:$host_port->80/tcp" "ps --format json"
tb_assert_contains "$(tb_nc apply)" "in sync" "second apply"
tb_assert_contains "$(tb_nc ps)" "0.0.0.0:$host_port->80/tcp" "allocated port after a second apply"

# Every port is one map element with its owner; the rules do not grow with them.
table=$(tb_exec nft list table inet nspawn_compose)
for e in "tcp . 8080 comment \"$p/web\"" "udp . 7007 comment \"$p/echo\"" \
        "tcp . 9001 comment \"$p/range\"" "127.0.0.2 . tcp . 8090 comment \"$p/web\"" \
        "tcp . $host_port comment \"$p/only\""; do
        tb_assert_contains "$table" "$e" "nft table"
done
# 14, and one balancing rule per group size 2..16 for each of the four lb maps
tb_assert_eq "$(grep -c 'comment "nspawn-compose: ' <<<"$table")" $((14 + 4 * 15)) "rules in the table"
