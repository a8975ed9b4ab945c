# build: with buildah. apply builds what is missing (args, target, labels, tags, extra_hosts,
# network none, dockerfile_inline) from a base image of the testbed's registry; the service runs
# the built image. An unchanged context or a change to a .dockerignore'd file builds nothing and
# restarts nothing; a changed file of one context rebuilds that image and restarts only its
# service; a broken Dockerfile fails with Dockerfile:LINE and changes nothing; the build verb
# builds again and names the digest.

p=t-build
web=$(tb_unit web)
other=$(tb_unit other)
plain=$(tb_unit plain)
records=/var/lib/nspawn-compose/build/hashes

invocation() {
        tb_exec systemctl show -P InvocationID "$1"
}

# apply_log NAME: apply with its stderr (the build's output) kept in NAME.log inside.
apply_log() {
        tb_sh 'nspawn-compose apply 2>"$1.log"' "$1"
}

tb_write_file web/Dockerfile <<EOF
ARG BASE=$TB_REGISTRY/test/httpd:1
FROM \$BASE AS base
ARG GREETING=unset
COPY page.txt /www/page.txt
RUN echo "greeting \$GREETING" >/www/greeting.txt && (grep buildhost /etc/hosts || echo none) >/www/hosts.txt
RUN tr '\\0' ' ' </proc/1/cmdline >/www/pid1.txt; (grep Cap /proc/self/status; cat /proc/self/cgroup; \\
    grep cgroup /proc/self/mounts) >/www/isolation.txt

FROM base AS extra
RUN echo extra >/www/extra.txt

FROM base AS final
RUN echo final >/www/final.txt
EOF
tb_write_file web/page.txt <<<"page one"
tb_write_file web/.dockerignore <<<$'# build noise\n*.log\n'
tb_write_file web/notes.log <<<"not part of the context"
tb_exec mkdir -p other
tb_write_compose <<EOF
name: $p
services:
  web:
    build:
      context: ./web
      target: final
      args:
        GREETING: built
      labels:
        org.example.built: "yes"
      extra_hosts: ["buildhost=10.1.2.3"]
      tags: ["$p/web:extra-tag"]
    ports: ["8080:80"]
  other:
    image: $p/other:1
    build:
      context: ./other
      network: none
      dockerfile_inline: |
        FROM $TB_REGISTRY/test/httpd:1
        RUN echo other >/www/other.txt
    ports: ["8081:80"]
  plain:
    image: $TB_REGISTRY/test/httpd:1
EOF
tb_down_at_end

# Cold: both images are built, then the services run them.
t0=$(tb_now)
apply_log cold
tb_phase apply-build-cold "$t0"
tb_assert_contains "$(tb_exec cat cold.log)" "STEP" "build output on apply's stderr"
for u in "$web" "$other" "$plain"; do
        tb_wait_unit "$u" active
done
tb_wait_http http://127.0.0.1:8080/page.txt "page one"
tb_assert_eq "$(tb_http http://127.0.0.1:8080/greeting.txt)" "greeting built" "build arg"
tb_assert_eq "$(tb_http http://127.0.0.1:8080/final.txt)" "final" "target stage"
if tb_http http://127.0.0.1:8080/extra.txt >/dev/null 2>&1; then
        tb_fail "a stage after the target was built into the image"
fi
tb_assert_contains "$(tb_http http://127.0.0.1:8080/hosts.txt)" "10.1.2.3" "extra_hosts in RUN"
tb_assert_contains "$(tb_http http://127.0.0.1:8080/)" "hello from web" "the base image's entrypoint"
tb_wait_http http://127.0.0.1:8081/other.txt "other"
# A RUN step has a pid namespace of its own: its PID 1 is its shell, not the host's init.
tb_assert_contains "$(tb_http http://127.0.0.1:8080/pid1.txt)" "/bin/sh -c" "PID 1 of a RUN step"
tb_note "what a RUN step has:" "$(tb_http http://127.0.0.1:8080/isolation.txt)"

# The image is in the store by digest like a pulled one: refs.json names it, its tags, and S.json
# runs that digest; the label is in its config.
digest=$(tb_json /var/lib/nspawn-compose/images/refs.json refs "docker.io/library/$p-web:latest")
tb_assert_eq "$(tb_json /var/lib/nspawn-compose/images/refs.json refs "docker.io/$p/web:extra-tag")" "$digest" "tag"
tb_assert_eq "$(tb_json /etc/nspawn-compose/$p/web.json image_digest)" "$digest" "S.json image_digest"
tb_assert_contains "$(tb_exec cat "/var/lib/nspawn-compose/images/${digest#sha256:}/config.json")" \
        '"org.example.built":"yes"' "label"
tb_assert_eq "$(tb_exec stat -c %a /var/lib/nspawn-compose/build)" 700 "build dir mode"
tb_assert_eq "$(tb_json /etc/nspawn-compose/$p/other.json image)" "$p/other:1" "image: names the result"

# Warm: nothing changed, nothing is built (no build output, records untouched), nothing restarts.
ids="$(invocation "$web") $(invocation "$other") $(invocation "$plain")"
stamps=$(tb_sh 'stat -c "%n %Y.%y" "$1"/*' "$records")
t0=$(tb_now)
apply_log warm
tb_phase apply-build-warm "$t0"
tb_assert_eq "$(tb_exec cat warm.log)" "" "warm apply's stderr"
tb_assert_contains "$(tb_nc plan)" "in sync" "plan after a warm apply"
tb_assert_eq "$(tb_sh 'stat -c "%n %Y.%y" "$1"/*' "$records")" "$stamps" "build records"
tb_assert_eq "$(invocation "$web") $(invocation "$other") $(invocation "$plain")" "$ids" "InvocationIDs"

# A file the .dockerignore leaves out changes: no build either.
tb_write_file web/notes.log <<<"changed, still ignored"
apply_log ignored
tb_assert_eq "$(tb_exec cat ignored.log)" "" "stderr after an ignored file changed"
tb_assert_eq "$(invocation "$web") $(invocation "$other") $(invocation "$plain")" "$ids" "InvocationIDs"

# A file of web's context changes: web's image is built again and only web restarts.
other_id=$(invocation "$other")
plain_id=$(invocation "$plain")
web_id=$(invocation "$web")
tb_write_file web/page.txt <<<"page two"
t0=$(tb_now)
apply_log changed
tb_phase apply-build-changed "$t0"
tb_assert_contains "$(tb_exec cat changed.log)" "STEP" "rebuild output"
tb_wait_unit "$web" active
tb_wait_http http://127.0.0.1:8080/page.txt "page two"
new_digest=$(tb_json /var/lib/nspawn-compose/images/refs.json refs "docker.io/library/$p-web:latest")
[ "$new_digest" != "$digest" ] || tb_fail "the rebuilt image has the old digest"
[ "$(invocation "$web")" != "$web_id" ] || tb_fail "web was not restarted"
tb_assert_eq "$(invocation "$other") $(invocation "$plain")" "$other_id $plain_id" "other services' InvocationIDs"

# A broken Dockerfile: the builder's error names the file and line; nothing else changes.
web_id=$(invocation "$web")
settings=$(tb_exec cat /etc/nspawn-compose/$p/web.json)
tb_sh 'printf "FOO bar\n" >>web/Dockerfile'
tb_write_file web/page.txt <<<"page three"
rc=0
out=$(tb_nc apply 2>&1) || rc=$?
tb_note "apply with a broken Dockerfile exited $rc:" "$out"
tb_assert_eq "$rc" 1 "apply exit status"
tb_assert_contains "$out" "Dockerfile:14:" "error position"
tb_assert_contains "$out" "services.web.build" "error names the service's build"
tb_assert_eq "$(invocation "$web")" "$web_id" "web's InvocationID after a failed build"
tb_assert_eq "$(tb_exec cat /etc/nspawn-compose/$p/web.json)" "$settings" "web's S.json"
tb_assert_eq "$(tb_http http://127.0.0.1:8080/page.txt)" "page two" "web still serves the old image"

# The build verb builds even an unchanged context and prints service, image and digest.
tb_sh 'sed -i "\$d" web/Dockerfile'
out=$(tb_nc build other)
tb_assert_contains "$out" "other	$p/other:1	sha256:" "build verb output"
rc=0
tb_nc build plain >/dev/null 2>&1 || rc=$?
tb_assert_eq "$rc" 1 "build of a service without build:"

# A supervisor watches the build contexts: a file of web's context written (not the compose file's
# directory) is built and served without anyone running apply.
sup=nspawn-compose-supervise-$p.service
tb_defer systemctl stop $sup
tb_exec systemd-run --quiet --unit=$sup -p Type=notify -p WorkingDirectory="$TB_PROJECT" \
        nspawn-compose supervise --interval 3600
tb_wait_http http://127.0.0.1:8080/page.txt "page three"
tb_wait_for "the supervisor's first passes over" 120 sh -c "
        ! systemctl show -P StatusText $sup | grep -q converging && [ -z \"\$(systemctl list-jobs --no-legend)\" ]"
t0=$(tb_now)
tb_write_file web/page.txt <<<"page four"
tb_wait_for "page four served" 120 sh -c "busybox wget -q -O - http://127.0.0.1:8080/page.txt | grep -q 'page four'" ||
        tb_fail "not rebuilt; the supervisor says:" "$(tb_exec journalctl -u $sup -n 40 --no-pager)"
tb_phase supervise-context-rebuild "$t0"
# the context directory replaced by a copy (as a checkout or rsync does): watched again
tb_exec sh -c 'mv web web.old && cp -a web.old web && rm -rf web.old'
tb_wait_for "the supervisor's pass over" 120 sh -c "
        ! systemctl show -P StatusText $sup | grep -q converging && [ -z \"\$(systemctl list-jobs --no-legend)\" ]"
tb_write_file web/page.txt <<<"page five"
tb_wait_for "page five served" 120 sh -c "busybox wget -q -O - http://127.0.0.1:8080/page.txt | grep -q 'page five'" ||
        tb_fail "not rebuilt after the context was replaced; the supervisor says:" \
                "$(tb_exec journalctl -u $sup -n 20 --no-pager)"
