# apply brings a multi-service project from the local registry up; the services reach each other
# by name; a second apply changes nothing (plan exits 0, every unit's InvocationID unchanged);
# editing one service's environment restarts only that service; editing an env_file's content
# restarts only the service that reads it; removing a service prunes it and restarts nothing else.

p=conv
units="nspawn-compose-$p.web.service nspawn-compose-$p.api.service nspawn-compose-$p.echo.service"
tb_defer tb_nc down --volumes

# write_compose GREETING API_MODE WITH_ECHO
write_compose() {
        tb_write_file api.env <<<"API_MODE=$2"
        {
                cat <<EOF
name: $p
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    environment:
      GREETING: "$1"
    ports: ["8080:80"]
  api:
    image: $TB_REGISTRY/test/httpd:1
    env_file: api.env
EOF
                [ "$3" = no ] || printf '  echo:\n    image: %s/test/echo:1\n' "$TB_REGISTRY"
        } | tb_write_compose
}

invocation() {
        tb_exec systemctl show -P InvocationID "nspawn-compose-$p.$1.service"
}

write_compose one a yes
tb_nc apply
for u in $units; do
        tb_assert_eq "$(tb_exec systemctl show -P ActiveState "$u")" active "$u"
done
tb_assert_contains "$(tb_exec machinectl list --no-legend)" "$p.web" "machinectl list"

# Name resolution and reachability between services, from inside a machine.
tb_assert_contains "$(tb_nc exec api wget -q -O- http://web/)" "hello from web" "api reaches web by name"
tb_assert_contains "$(tb_nc exec web sh -c 'echo ping | nc -w 2 echo 7')" "ping" "web reaches echo by name"
# The published port answers on the testbed's loopback.
tb_assert_contains "$(tb_http http://127.0.0.1:8080/)" "hello from web" "published port"

# Converged: plan says so, and a second apply touches nothing.
before="$(invocation web) $(invocation api) $(invocation echo)"
tb_nc plan
tb_assert_contains "$(tb_nc apply)" "in sync" "second apply"
tb_assert_eq "$(invocation web) $(invocation api) $(invocation echo)" "$before" "InvocationIDs after a no-op apply"

# One service's environment changes: only that service restarts.
web_before=$(invocation web)
api_before=$(invocation api)
write_compose two a yes
rc=0
tb_nc plan >/dev/null || rc=$?
tb_assert_eq "$rc" 2 "plan exit status on drift"
tb_assert_contains "$(tb_nc plan --format json || true)" '"kind": "restart"' "plan json"
tb_nc apply
[ "$(invocation web)" != "$web_before" ] || tb_fail "web was not restarted"
tb_assert_eq "$(invocation api)" "$api_before" "api untouched by web's change"
tb_assert_contains "$(tb_nc exec web sh -c 'echo "$GREETING"')" "two" "new environment inside web"

# The env_file's content changes: only api restarts.
web_before=$(invocation web)
write_compose two b yes
tb_nc apply
[ "$(invocation api)" != "$api_before" ] || tb_fail "api was not restarted after its env_file changed"
tb_assert_eq "$(invocation web)" "$web_before" "web untouched by api's env_file"
tb_assert_contains "$(tb_nc exec api sh -c 'echo "$API_MODE"')" "b" "env_file value inside api"

# Removing a service prunes its unit, machine, netns and writable layer; the others keep running
# (their /etc/hosts is rewritten in place, it is not part of their configuration).
netns=$(tb_exec sh -c "grep -o '\"netns\": *\"[^\"]*\"' /etc/nspawn-compose/$p/echo.json | cut -d'\"' -f4")
tb_assert_contains "$(tb_nc exec api cat /etc/hosts)" "echo" "api's hosts before the removal"
web_before=$(invocation web)
api_before=$(invocation api)
write_compose two b no
tb_nc apply
tb_assert_eq "$(invocation web) $(invocation api)" "$web_before $api_before" "web and api untouched by echo's removal"
if tb_nc exec api cat /etc/hosts | grep -qw echo; then
        tb_fail "api's /etc/hosts still lists echo"
fi
tb_assert_eq "$(tb_exec systemctl show -P LoadState nspawn-compose-$p.echo.service)" not-found "echo unit"
tb_exec test ! -e /etc/nspawn-compose/$p/echo.json
tb_exec test ! -e /var/lib/nspawn-compose/$p/echo
tb_exec test ! -e "/run/netns/$netns"
if tb_exec machinectl status $p.echo >/dev/null 2>&1; then
        tb_fail "machine $p.echo still registered"
fi
tb_nc plan

# Adding a service: the running ones learn its name without a restart.
api_before=$(invocation api)
write_compose two b yes
tb_nc apply
tb_assert_eq "$(invocation api)" "$api_before" "api untouched by echo's return"
tb_assert_contains "$(tb_nc exec api sh -c 'echo ping | nc -w 2 echo 7')" "ping" "api reaches the new echo by name"
