# A network with an IPv6 subnet: every service gets its static IPv6 address beside the IPv4 one,
# /etc/hosts lists both, and services reach each other over IPv6.

p=v6
tb_defer tb_nc down
tb_write_compose <<EOF
name: $p
services:
  a:
    image: $TB_REGISTRY/test/httpd:1
    networks: [net]
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
tb_nc plan
