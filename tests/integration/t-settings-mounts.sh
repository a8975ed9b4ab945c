# Mounts: bind mounts relative to the project directory (rw and ro), named volumes that survive a
# recreate, tmpfs, anonymous volumes, read_only (writing / fails, tmpfs and volumes stay
# writable), the writable layer kept across a plain restart and discarded on recreate, and
# secrets/configs with the uid, gid and mode of the long syntax.

p=smnt
tb_defer tb_nc down --volumes
tb_exec mkdir -p data conf
tb_write_file conf/app.conf <<<"from the host"
tb_write_file secret.txt 0600 <<<"s3cret"
tb_write_file config.txt <<<"cfg"

# write_compose GREETING
write_compose() {
        tb_write_compose <<EOF
name: $p
services:
  app:
    image: $TB_REGISTRY/test/httpd:1
    environment: { GREETING: "$1" }
    volumes:
      - ./data:/data
      - ./conf:/conf:ro
      - store:/store
      - /anon
    tmpfs: ["/scratch:size=1m"]
    secrets:
      - source: tok
        target: token
        uid: "1000"
        gid: "1001"
        mode: 0400
      - plain
    configs:
      - source: cfg
        target: /etc/app/cfg.txt
        mode: 0640
  ro:
    image: $TB_REGISTRY/test/httpd:1
    read_only: true
    volumes: [store:/store]
    tmpfs: [/www, /tmp]
volumes:
  store: {}
secrets:
  tok: { file: ./secret.txt }
  plain: { environment: PLAIN_SECRET }
configs:
  cfg: { file: ./config.txt }
EOF
}
write_compose one
tb_write_file .env <<<"PLAIN_SECRET=plain-value"
tb_nc apply

ex() {
        tb_nc exec app "$@"
}
# bind mounts relative to the project directory
ex sh -c 'echo from-container >/data/f'
tb_assert_eq "$(tb_exec cat data/f)" from-container "rw bind mount writes the project's ./data"
tb_assert_eq "$(ex cat /conf/app.conf)" "from the host" "ro bind mount content"
if ex sh -c 'echo x >/conf/new' 2>/dev/null; then
        tb_fail "ro bind mount is writable"
fi
# tmpfs with its size
tb_assert_contains "$(ex grep ' /scratch ' /proc/mounts)" "tmpfs" "tmpfs mounted"
tb_assert_contains "$(ex grep ' /scratch ' /proc/mounts)" "size=1024k" "tmpfs size"
ex sh -c 'echo t >/scratch/t'
# secrets and configs: content, owner, mode
tb_assert_eq "$(ex cat /run/secrets/token)" s3cret "secret content"
tb_assert_eq "$(ex stat -c '%u %g %a' /run/secrets/token)" "1000 1001 400" "secret uid gid mode"
tb_assert_eq "$(ex cat /run/secrets/plain)" plain-value "environment secret"
tb_assert_eq "$(ex stat -c '%u %g %a' /run/secrets/plain)" "0 0 444" "secret default owner and mode"
tb_assert_eq "$(ex cat /etc/app/cfg.txt)" cfg "config content"
tb_assert_eq "$(ex stat -c '%u %g %a' /etc/app/cfg.txt)" "0 0 640" "config mode"
if ex sh -c 'echo x >/run/secrets/token' 2>/dev/null; then
        tb_fail "secret is writable"
fi

# state in the writable layer, a named volume and an anonymous volume
ex sh -c 'echo layer >/layer-file; echo vol >/store/v; echo anon >/anon/a'
# a plain restart keeps the writable layer
tb_exec systemctl restart "$(tb_unit app $p)"
tb_assert_eq "$(ex cat /layer-file)" layer "writable layer kept across a restart"
tb_assert_eq "$(ex cat /anon/a)" anon "anonymous volume kept across a restart"
if ex test -e /scratch/t; then
        tb_fail "tmpfs content survived a restart"
fi
# a recreate (configuration change) discards the layer, keeps the named volume
write_compose two
tb_nc apply
tb_assert_eq "$(ex sh -c 'echo $GREETING')" two "recreated with the new environment"
if ex test -e /layer-file; then
        tb_fail "writable layer survived a recreate"
fi
tb_assert_eq "$(ex cat /store/v)" vol "named volume survives a recreate"
# compose hands a recreated container its old anonymous volumes
tb_assert_eq "$(ex cat /anon/a)" anon "anonymous volume survives a recreate"
tb_assert_eq "$(tb_exec cat /var/lib/nspawn-compose/volumes/${p}_store/v)" vol "named volume on the host"

# read_only: / is read-only, tmpfs and volumes are writable, the service runs
if tb_nc exec ro sh -c 'echo x >/rootfile' 2>/dev/null; then
        tb_fail "read_only: / is writable"
fi
tb_nc exec ro sh -c 'echo x >/tmp/f && echo y >/store/ro-was-here'
tb_assert_eq "$(ex cat /store/ro-was-here)" y "read_only service writes the shared volume"
tb_assert_contains "$(tb_nc exec ro wget -q -O- http://127.0.0.1/)" "hello from ro" "read_only service serves"
