# A published host port that a host process already listens on is refused at plan time, naming the
# listener (docker: "Bind for 0.0.0.0:8080 failed: port is already allocated"): DNAT would take
# its packets without a word. plan and apply exit 1 and nothing on the system changes. Per protocol
# and host address: a TCP listener on 127.0.0.1 blocks "8090:80" and "127.0.0.1:8090:80", not
# UDP 8090; a UDP socket on 0.0.0.0 blocks "5300:53/udp". Once the listener is gone apply goes
# through, and a re-apply is not refused by our own published port (DNAT, not a socket), nor by a
# socket opened under it later.

p=portuse
links=$(tb_links)
tb_defer tb_nc down

# listen UNIT PROTO ADDR PORT: a host process (perl, of the testbed's perl-base) with a TCP
# listener or a bound UDP socket, stopped when the case ends
listen() {
        local unit=$1
        tb_exec systemd-run --quiet --unit="$unit" perl -MIO::Socket::INET -e '
                my ($proto, $addr, $port) = @ARGV;
                my $s = IO::Socket::INET->new(Proto => $proto, LocalAddr => $addr, LocalPort => $port,
                                              ($proto eq "tcp" ? (Listen => 1) : ())) or die "bind: $!";
                sleep' "$2" "$3" "$4"
        tb_defer sh -c "systemctl stop $unit 2>/dev/null || true"
}
# write_compose PORT...
write_compose() {
        {
                printf 'name: %s\nservices:\n  web:\n    image: %s/test/httpd:1\n    ports:\n' "$p" "$TB_REGISTRY"
                printf '      - "%s"\n' "$@"
        } | tb_write_compose
}

listen tb-listen-tcp tcp 127.0.0.1 8090
tb_wait_for "the TCP listener" 10 sh -c 'ss -Hltn "sport = :8090" | grep -q 127.0.0.1'
listen tb-listen-udp udp 0.0.0.0 5300
tb_wait_for "the UDP socket" 10 sh -c 'ss -Hlun "sport = :5300" | grep -q 5300'

write_compose "8090:80"
tb_refused "$p" "$links" "service 'web': port 8090/tcp: bind for 0.0.0.0:8090 failed: port is already allocated" \
        "'perl' (pid" "listens on 127.0.0.1:8090"
write_compose "127.0.0.1:8090:80"
tb_refused "$p" "$links" "bind for 127.0.0.1:8090 failed: port is already allocated"
write_compose "8091:80" "5300:53/udp"
tb_refused "$p" "$links" "service 'web': port 5300/udp: bind for 0.0.0.0:5300 failed" "'perl' (pid" "listens on 0.0.0.0:5300"

# The listeners gone, the same ports go through, and again: ours are not listeners.
tb_exec systemctl stop tb-listen-tcp tb-listen-udp
write_compose "8090:80" "8090:80/udp"
tb_nc apply
tb_wait_http http://127.0.0.1:8090/ "hello from web"
tb_assert_contains "$(tb_nc apply)" "in sync" "a second apply"
# A port the project publishes already stays its own: a host socket opened under it later (DNAT
# holds no socket, so one can be) does not stop a re-apply; another port still is refused.
listen tb-listen-late tcp 127.0.0.1 8090
tb_wait_for "the late listener" 10 sh -c 'ss -Hltn "sport = :8090" | grep -q 127.0.0.1'
tb_assert_contains "$(tb_nc apply)" "in sync" "a re-apply with a listener under a published port"
