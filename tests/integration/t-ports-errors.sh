# Published ports that DNAT cannot serve are errors at plan time, not silent no-ops: "[::1]:…" (IPv6
# has no route_localnet), two services on the same host port, and a wildcard beside a specific
# address on one port. plan and apply exit 1 with a message naming the service and the port, and
# nothing on the system changes: no file, unit, link or nftables table appears.

p=porterr

# refused EXPECTED...: plan and apply both exit 1 and print every EXPECTED; nothing was installed.
refused() {
        tb_refused "$p" "$links" "$@"
}

links=$(tb_links)
tb_defer tb_nc down

tb_write_compose <<EOF
name: $p
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["[::1]:8080:80"]
EOF
refused "service 'web': port [::1]:8080" "DNAT cannot serve ::1"

# two_services PORT_OF_WEB IMAGE_OF_OTHER PORT_OF_OTHER
two_services() {
        tb_write_compose <<EOF
name: $p
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    ports: ["$1"]
  other:
    image: $TB_REGISTRY/test/$2:1
    ports: ["$3"]
EOF
}

two_services 8080:80 httpd 8080:80
refused "services.web.ports[0]: host port 8080/tcp is published twice"
two_services 8080:80 httpd 127.0.0.1:8080:80
refused "services.web.ports[0]: host port 8080/tcp is published twice"

# The same port over UDP and TCP is no conflict.
two_services 8080:80 echo 8080:7/udp
tb_nc apply
tb_wait_http http://127.0.0.1:8080/ "hello from web"
tb_assert_eq "$(tb_udp_echo 127.0.0.1 8080 udp)" udp "UDP on the same port number"
