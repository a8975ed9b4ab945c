# Process settings reach the payload (PID 2 under nspawn's stub init): working_dir, user as
# "uid", "uid:gid", "name" and "name:group" resolved in the image's /etc/passwd and /etc/group,
# HOME from the user's entry, hostname, extra_hosts in /etc/hosts, init.

p=sproc
tb_defer tb_nc down --volumes
# A user and groups that exist only in the image's writable layer would not do: they must be in
# the image (or its layer) when the service starts, so a bind-mounted passwd/group provides them.
tb_write_file passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
app:x:1234:1234:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/:/bin/false
EOF
tb_write_file group <<'EOF'
root:x:0:
app:x:1234:
staff:x:50:app
web:x:33:
nogroup:x:65534:
EOF
tb_write_compose <<EOF
name: $p
services:
  wd:
    image: $TB_REGISTRY/test/httpd:1
    working_dir: /srv/work
    # httpd changes to its document root: note where the payload started
    entrypoint: ["sh", "-c", "pwd >/started-in; exec /bin/start-httpd"]
    hostname: custom-host
    extra_hosts:
      - "printer.lan:192.168.1.20"
      - "db.example=10.1.2.3"
    init: true
  num:
    image: $TB_REGISTRY/test/httpd:1
    user: "4242"
    environment: { PORT: "8080" }
  numgid:
    image: $TB_REGISTRY/test/httpd:1
    user: "4242:55"
    environment: { PORT: "8080" }
  name:
    image: $TB_REGISTRY/test/httpd:1
    user: app
    volumes: ["./passwd:/etc/passwd:ro", "./group:/etc/group:ro"]
    tmpfs: ["/www"]
  namegroup:
    image: $TB_REGISTRY/test/httpd:1
    user: "app:web"
    environment: { PORT: "8080" }
    volumes: ["./passwd:/etc/passwd:ro", "./group:/etc/group:ro"]
EOF
tb_nc apply

# status SERVICE FIELD: a line of the payload's /proc status, whitespace squeezed
status() {
        tb_nc exec "$1" sh -c "grep '^$2:' /proc/2/status" | tr -s ' \t' ' '
}
penv() {
        tb_nc exec "$1" sh -c 'tr "\\0" "\\n" </proc/2/environ' | grep "^$2=" || true
}

tb_wait_for "the payload's note" 10 nspawn-compose exec wd test -s /started-in
tb_assert_eq "$(tb_nc exec wd cat /started-in)" /srv/work "working_dir (created) of the payload"
tb_assert_eq "$(tb_nc exec wd hostname)" custom-host hostname
hosts=$(tb_nc exec wd cat /etc/hosts)
tb_assert_contains "$hosts" "192.168.1.20	printer.lan" "extra_hosts name:ip"
tb_assert_contains "$hosts" "10.1.2.3	db.example" "extra_hosts name=ip"
# init: a reaping PID 1 that is not the payload
tb_assert_eq "$(tb_nc exec wd cat /proc/1/comm)" "(sd-stubinit)" "PID 1 is nspawn's stub init"
tb_assert_eq "$(tb_nc exec wd cat /proc/2/comm)" httpd "the payload is PID 2"
tb_nc exec wd sh -c 'sh -c "sleep 0 & exec sleep 1" ; true'
tb_wait_for "no zombies left" 10 nspawn-compose exec wd sh -c '! grep -l "^State:.*Z" /proc/[0-9]*/status'

tb_assert_eq "$(status num Uid)" "Uid: 4242 4242 4242 4242" "user: uid"
tb_assert_eq "$(status num Gid)" "Gid: 0 0 0 0" "user: uid gets gid 0"
tb_assert_eq "$(penv num HOME)" "HOME=/" "user: unknown uid gets HOME=/"
tb_assert_eq "$(status numgid Uid)" "Uid: 4242 4242 4242 4242" "user: uid:gid uid"
tb_assert_eq "$(status numgid Gid)" "Gid: 55 55 55 55" "user: uid:gid gid"
tb_assert_eq "$(status name Uid)" "Uid: 1234 1234 1234 1234" "user: name"
tb_assert_eq "$(status name Gid)" "Gid: 1234 1234 1234 1234" "user: name's primary group"
tb_assert_eq "$(status name Groups)" "Groups: 50 1234 " "user: name's supplementary groups"
tb_assert_eq "$(penv name HOME)" "HOME=/home/app" "user: HOME from passwd"
tb_assert_eq "$(status namegroup Uid)" "Uid: 1234 1234 1234 1234" "user: name:group uid"
tb_assert_eq "$(status namegroup Gid)" "Gid: 33 33 33 33" "user: name:group gid"
# a non-root payload keeps the bounding set but has no effective capabilities, as in docker
tb_assert_eq "$(status num CapEff)" "CapEff: 0000000000000000" "non-root CapEff"
# docker lets unprivileged processes bind low ports in the container's netns
tb_assert_contains "$(tb_nc exec name wget -q -O- http://127.0.0.1/)" "hello from name" "non-root service on port 80"

# A user that is not in the image fails the start with a message naming it.
tb_write_compose <<EOF
name: $p
services:
  ghost:
    image: $TB_REGISTRY/test/httpd:1
    user: ghost
EOF
# The machine starts, then the helper finds no such user: the unit fails, the journal says why.
tb_nc apply >/dev/null 2>&1 || true
tb_wait_unit "$(tb_unit ghost $p)" failed 60
tb_assert_contains "$(tb_exec journalctl -u "$(tb_unit ghost $p)" --no-pager)" "unable to find user 'ghost'" "journal says why"
