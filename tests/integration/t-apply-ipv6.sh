# A network with an IPv6 subnet: every service gets its static IPv6 address beside the IPv4 one,
# /etc/hosts lists both, services reach each other over IPv6, and a published port answers on the
# host's IPv6 addresses as well as on its IPv4 ones.

p=v6
tb_defer tb_nc down
tb_write_compose <<EOF
name: $p
services:
  a:
    image: $TB_REGISTRY/test/httpd:1
    networks: [net]
    ports: ["8085:80"]
  b:
    image: $TB_REGISTRY/test/httpd:1
    networks:
      net:
        ipv6_address: fd00:90::20
networks:
  net:
    enable_ipv6: true
    ipam:
      config:
        - subnet: 10.90.0.0/24
        - subnet: fd00:90::/64
EOF
tb_nc apply
tb_assert_contains "$(tb_nc exec b ip -6 addr show)" "fd00:90::20/64" "b's IPv6 address"
tb_assert_contains "$(tb_nc exec a cat /etc/hosts)" "fd00:90::20	b" "hosts entry"
tb_assert_contains "$(tb_nc exec a wget -q -O- 'http://[fd00:90::20]/')" "hello from b" "a reaches b over IPv6"

# The testbed's own IPv6 address (on lo: ::1 itself cannot be DNATed, IPv6 has no route_localnet).
tb_exec ip -6 addr add 2001:db8::10/128 dev lo
tb_defer tb_exec ip -6 addr del 2001:db8::10/128 dev lo
tb_assert_contains "$(tb_exec nft list map inet nspawn_compose pub6)" "fd00:90::" "pub6 element"
tb_wait_http "http://[2001:db8::10]:8085/" "hello from a"
tb_wait_http "http://127.0.0.1:8085/" "hello from a"
tb_nc plan
