# auto-update, as `podman auto-update` with its label: a service labelled
# io.containers.autoupdate=registry gets the new image its reference points at in the registry
# (restarted with the new digest; an unlabelled service is not, nor is an edit of the file applied
# to it); when the new image fails, the service goes back to the digest that worked and its
# reference never left it, so that the next apply does not take the broken one, while another
# service whose new image works keeps it (Podman rolls back the failed unit alone); auto-update
# exits 1 and says so.

ref=$TB_REGISTRY/test/auto-$RANDOM:1
ref2=$TB_REGISTRY/test/auto-$RANDOM-api:1
push() {        # push IMAGE [REF]: test/IMAGE:1 of the registry as REF ($ref)
        tb_exec skopeo copy --quiet "docker://$TB_REGISTRY/test/$1:1" "docker://${2:-$ref}"
}
digest() {      # the digest the store has for $ref
        tb_json /var/lib/nspawn-compose/images/refs.json refs "$ref"
}
push httpd
push httpd "$ref2"
write_compose() {        # write_compose [PINNED_EXTRA]
        tb_write_compose <<EOF
services:
  web:
    image: $ref
    labels: { io.containers.autoupdate: registry }
    ports: ["8097:80"]
    healthcheck: { test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/"], interval: 1s, timeout: 2s, retries: 2 }
  api:
    image: $ref2
    labels: { io.containers.autoupdate: registry }
  pinned:
    image: $TB_REGISTRY/test/httpd:1
${1:-}
EOF
}
write_compose
tb_down_at_end
tb_nc up -d >/dev/null 2>&1
old=$(digest)
web_id=$(tb_unit_prop web InvocationID)
pinned_id=$(tb_unit_prop pinned InvocationID)

# nothing new in the registry: nothing restarts
out=$(tb_nc auto-update)
tb_note "$out"
tb_assert_contains "$out" "web" "auto-update lists web"
tb_assert_eq "$(awk '$1 == "web" { print $3 }' <<<"$out")" false "web not updated"
tb_assert_eq "$(tb_unit_prop web InvocationID)" "$web_id" "web untouched without an update"

# a new image behind the reference (echo: a TCP and UDP echo server, no HTTP): its healthcheck
# fails, so web goes back to httpd; api's new image (health) works and stays
push echo
push health "$ref2"
rc=0
out=$(tb_nc auto-update 2>&1) || rc=$?
tb_note "$out"
tb_assert_eq "$rc" 1 "auto-update to a failing image"
tb_assert_eq "$(awk '$1 == "web" { print $3, $4 }' <<<"$out")" "rolled back" "web rolled back"
tb_assert_eq "$(awk '$1 == "api" { print $3 }' <<<"$out")" true "api updated beside it"
tb_assert_eq "$(tb_unit_prop api StatusText)" healthy "api runs the health image"
tb_assert_eq "$(digest)" "$old" "the reference points at the digest that worked"
tb_assert_contains "$(tb_http http://127.0.0.1:8097/)" "hello from web" "web serves the old image"
tb_assert_eq "$(tb_nc plan >/dev/null && echo in-sync)" in-sync "the next apply keeps the old image"

# a new image that works: web runs it, pinned (no label) keeps the one it has, and an edit of
# pinned in the file waiting for an apply stays waiting
push health
write_compose "    environment: { EDITED: 1 }"
new_rc=0
out=$(tb_nc auto-update --format json 2>/dev/null) || new_rc=$?
tb_note "$out"
tb_assert_eq "$new_rc" 0 "auto-update to a working image"
# stdout is the JSON alone, the apply's lines went to stderr
tb_assert_eq "$(python3 -c 'import json, sys
print(" ".join(u["Service"] + "=" + u["Updated"] for u in json.load(sys.stdin)))' <<<"$out")" "api=false web=true" "web updated, api not"
[ "$(digest)" != "$old" ] || tb_fail "the reference still points at the old digest"
tb_assert_eq "$(tb_unit_prop web ActiveState)" active "web after the update"
tb_assert_eq "$(tb_unit_prop pinned InvocationID)" "$pinned_id" "pinned untouched"
rc=0
plan=$(tb_nc plan 2>&1) || rc=$?
tb_assert_eq "$rc" 2 "plan after the update: pinned's edit still to apply"
tb_assert_contains "$plan" "[pinned]" "the drift is pinned's"
! grep -q "\[web\]" <<<"$plan" || tb_fail "web drifts after its update: $plan"
