# Generations and rollback: every apply of the whole project records what it converged to
# (history); `apply --rollback` whose changed service fails its healthcheck started that version
# for real, then puts back the services it changed as the last good generation had them, leaves
# the others alone and exits non-zero; `rollback` and `rollback --to N` go back by hand; a
# service's deploy.update_config.failure_action: rollback does what --rollback does.

p=$(basename "$TB_PROJECT")
web=$(tb_unit web)
# write_compose GREETING HEALTH_TEST [WEB_EXTRA] [MORE_SERVICES]
write_compose() {
        tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    environment:
      GREETING: "$1"
      # interpolated once, when the generation was recorded: "a\$b" in the machine, then and after
      DOLLAR: "a\$\$b"
    ports: ["8096:80"]
    healthcheck: { test: ["CMD", "$2"], interval: 1s, timeout: 1s, retries: 1 }
${3:-}
  other:
    image: $TB_REGISTRY/test/httpd:1
${4:-}
EOF
}
greeting() {
        tb_nc exec -T web sh -c 'echo "$GREETING $DOLLAR"'
}
tb_defer tb_nc down
write_compose v1 true
tb_nc apply >/dev/null
tb_assert_eq "$(greeting)" 'v1 a$b' "v1 running"
other_id=$(tb_unit_prop other InvocationID)
tb_nc apply >/dev/null
tb_assert_eq "$(tb_nc history --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1 \
        "a converged apply records no second generation"
tb_assert_eq "$(tb_exec stat -c '%a' "/var/lib/nspawn-compose/generations/$p/1/generation.json")" 600 \
        "a generation is root's alone"

# v2 fails its healthcheck: started for real, then rolled back; other untouched
write_compose v2 false
v1_id=$(tb_unit_prop web InvocationID)
cursor=$(tb_exec journalctl --show-cursor -n 0 -q | sed -n 's/^-- cursor: //p')
rc=0
out=$(tb_nc apply --rollback 2>&1) || rc=$?
tb_note "$out"
tb_assert_eq "$rc" 1 "apply --rollback of a failing v2"
tb_assert_contains "$out" "rolled web back to generation 1" "what apply says"
tb_assert_contains "$(tb_exec journalctl -u "$web" --after-cursor "$cursor" -q --no-pager)" "did not become healthy" \
        "v2 really ran (its failing check in the journal)"
tb_assert_eq "$(tb_unit_prop web ActiveState)" active "web after the rollback"
[ "$(tb_unit_prop web InvocationID)" != "$v1_id" ] || tb_fail "web was not restarted at all"
tb_assert_eq "$(greeting)" 'v1 a$b' "v1 serves again"
tb_assert_contains "$(tb_http http://127.0.0.1:8096/)" "hello from web" "the published port after the rollback"
tb_assert_eq "$(tb_unit_prop other InvocationID)" "$other_id" "other untouched"
tb_note "$(tb_nc history)"
hist=$(tb_nc history --format json | python3 -c '
import json, sys
for g in json.load(sys.stdin):
    print(g["Generation"], "failed" if g["Failure"] else "ok", "current" if g["Current"] else "-", end=" ")')
tb_assert_eq "$hist" "1 ok current 2 failed - " "history"

# v3 succeeds; rollback goes to 1 (the good one before the installed 3), --to 3 comes back
write_compose v3 true
tb_nc apply >/dev/null
tb_assert_eq "$(greeting)" 'v3 a$b' "v3 running"
tb_nc rollback >/dev/null
tb_assert_eq "$(greeting)" 'v1 a$b' "rollback to 1"
tb_assert_eq "$(tb_unit_prop other InvocationID)" "$other_id" "other untouched by rollback"
tb_nc rollback --to 3 >/dev/null
tb_assert_eq "$(greeting)" 'v3 a$b' "rollback --to 3"
rc=0
err=$(tb_nc rollback --to 2 2>&1) || rc=$?
tb_assert_eq "$rc" 1 "rollback to a failed generation"
tb_assert_contains "$err" "Generation 2 failed" "its error"

# deploy.update_config.failure_action: rollback without --rollback
write_compose v4 false "    deploy: { update_config: { failure_action: rollback } }"
rc=0
out=$(tb_nc apply 2>&1) || rc=$?
tb_assert_eq "$rc" 1 "apply of a failing v4 with failure_action: rollback"
tb_assert_contains "$out" "rolled web back to generation 3" "failure_action: rollback"
tb_assert_eq "$(greeting)" 'v3 a$b' "v3 serves again"

# the last ten are kept
for i in 5 6 7 8 9 10 11 12; do
        write_compose "v$i" true
        tb_nc apply >/dev/null
done
tb_assert_eq "$(tb_nc history --format json | python3 -c '
import json, sys
print(" ".join(str(g["Generation"]) for g in json.load(sys.stdin)))')" "3 4 5 6 7 8 9 10 11 12" "the generations kept"
tb_assert_eq "$(tb_exec ls "/var/lib/nspawn-compose/generations/$p" | sort -n | tr '\n' ' ')" "3 4 5 6 7 8 9 10 11 12 " \
        "their directories"

# Services a generation does not have stay as they are, as `up SERVICE` leaves them: `extra`, started
# by a partial `up -d extra`, survives a rollback to a generation without it; a service the failing
# apply itself added goes with the rollback.
extra="  extra:
    image: $TB_REGISTRY/test/httpd:1"
write_compose v12 true "" "$extra"
tb_nc up -d extra >/dev/null 2>&1
extra_id=$(tb_unit_prop extra InvocationID)
[ -n "$extra_id" ] || tb_fail "extra did not start"
out=$(tb_nc rollback --to 11 2>&1) || tb_fail "rollback --to 11: $out"
tb_assert_eq "$(greeting)" 'v11 a$b' "rollback --to 11"
tb_assert_eq "$(tb_unit_prop extra InvocationID)" "$extra_id" "extra untouched by a rollback to a generation without it"
write_compose v13 false "" "$extra
  added:
    image: $TB_REGISTRY/test/httpd:1"
rc=0
out=$(tb_nc apply --rollback 2>&1) || rc=$?
tb_note "$out"
tb_assert_eq "$rc" 1 "apply --rollback of a failing v13 that adds a service"
tb_assert_eq "$(greeting)" 'v11 a$b' "v11 serves again"
tb_assert_eq "$(tb_exec systemctl show -P LoadState "$(tb_unit added)")" not-found "the added service went with the rollback"
tb_assert_eq "$(tb_exec sh -c "ls /etc/systemd/system | grep -c '\.added\.' || true")" 0 "its unit file"
tb_assert_eq "$(tb_unit_prop extra ActiveState)" active "extra, there before the failing apply, stays"

tb_nc down >/dev/null 2>&1
tb_assert_eq "$(tb_exec sh -c "ls -d /var/lib/nspawn-compose/$p /var/lib/nspawn-compose/generations/$p 2>/dev/null | wc -l")" 0 \
        "down removes the history with the rest"
