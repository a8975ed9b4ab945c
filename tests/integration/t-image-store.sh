# The image store: `image ls` says what uses each image (installed services, generations kept for a
# rollback); `image rm` and `image prune` take only what nothing uses, and prune spares what was
# imported in the last ten minutes (here the images are aged by hand); references go with their
# image.

p=$(basename "$TB_PROJECT")
store=/var/lib/nspawn-compose/images
write_compose() {       # write_compose IMAGE_OF_WEB
        tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/$1:1
  h:
    image: $TB_REGISTRY/test/health:1
EOF
}
# ls_json FIELD: "DIGEST FIELD-joined-by-," per image, for images whose references have test/
ls_json() {
        tb_nc image ls --format json | python3 -c '
import json, sys
for i in json.load(sys.stdin):
    print(i["ID"], ",".join(i[sys.argv[1]]))' "$1"
}
digest_of() {   # digest_of IMAGE: the store's digest of test/IMAGE:1
        tb_json "$store/refs.json" refs "$TB_REGISTRY/test/$1:1"
}
age() {         # age DIGEST: as if imported an hour ago
        tb_exec touch -d '1 hour ago' "$store/${1#sha256:}"
}
tb_down_at_end
write_compose httpd
tb_nc up -d >/dev/null 2>&1
httpd=$(digest_of httpd)
health=$(digest_of health)
tb_note "$(tb_nc image ls)"
tb_assert_contains "$(ls_json UsedBy | grep "^$httpd ")" "$p/web" "httpd used by web"
tb_assert_contains "$(ls_json References | grep "^$httpd ")" "$TB_REGISTRY/test/httpd:1" "httpd's reference"

rc=0
err=$(tb_nc image rm "$httpd" 2>&1) || rc=$?
tb_assert_eq "$rc" 1 "rm of an image in use"
tb_assert_contains "$err" "is in use ($p/web" "its error"
# a reference with others beside it is untagged, as docker does, the image in use or not
tb_exec skopeo copy --quiet "docker://$TB_REGISTRY/test/httpd:1" "docker://$TB_REGISTRY/test/httpd-alias:1"
tb_nc pull --quiet "$TB_REGISTRY/test/httpd-alias:1" >/dev/null
tb_assert_eq "$(tb_nc image rm "$TB_REGISTRY/test/httpd-alias:1")" "Untagged: $TB_REGISTRY/test/httpd-alias:1" \
        "rm of one of several references"
tb_exec test -d "$store/${httpd#sha256:}" || tb_fail "untagging removed the image"
tb_assert_eq "$(tb_exec grep -c "test/httpd-alias:1" "$store/refs.json" || true)" 0 "the reference untagged"

# web moves to echo: httpd is used by generation 1 alone, and stays
write_compose echo
tb_nc up -d >/dev/null 2>&1
tb_assert_eq "$(ls_json UsedBy | grep "^$httpd " | cut -d' ' -f2-)" "$p generation 1" "httpd kept by generation 1"
age "$httpd"
tb_assert_eq "$(tb_nc image prune --dry-run | grep -c "$httpd" || true)" 0 "prune spares a generation's image"

# an image no one uses: pulled by a project that never ran (aged), and one just imported
tb_exec mkdir -p other
tb_write_file other/compose.yml 0644 <<EOF
services:
  x:
    image: $TB_REGISTRY/test/exit:1
  y:
    image: $TB_REGISTRY/test/owned:1
EOF
tb_sh 'cd other && nspawn-compose pull >/dev/null 2>&1'
unused=$(digest_of exit)
fresh=$(digest_of owned)
age "$unused"

# What uses an image is never guessed: a settings file that cannot be read fails the scan, and
# prune removes nothing.
tb_exec mkdir -p /etc/nspawn-compose/broken
tb_write_file /etc/nspawn-compose/broken/svc.json 0600 <<<'{"managed-by": "nspawn-compose"'
rc=0
out=$(tb_nc image prune 2>&1) || rc=$?
tb_assert_eq "$rc" 1 "prune with an unreadable settings file"
tb_assert_contains "$out" "broken/svc.json" "its error names the file"
tb_exec test -d "$store/${unused#sha256:}" || tb_fail "prune removed $unused though the scan failed"
tb_exec rm -rf /etc/nspawn-compose/broken

# prune waits for an apply (or run) that holds the store's lock shared: the image it chose stays
# until its S.json names it. A shell holds it here, then is ended by its PID.
tb_exec sh -c 'sh -c "exec 9<$1/.use-lock && flock -s 9 && exec sleep 60" </dev/null >/dev/null 2>&1 &
        echo $! >/run/holder' sh "$store"
tb_wait_for "the holder's lock" 10 sh -c "! flock -n -x $store/.use-lock true"
rc=0
tb_exec timeout 3 nspawn-compose image prune >/dev/null 2>&1 || rc=$?
tb_exec sh -c 'kill "$(cat /run/holder)"; rm -f /run/holder'
tb_assert_eq "$rc" 124 "prune while the store's lock is held shared: it waits"
tb_exec test -d "$store/${unused#sha256:}" || tb_fail "prune removed $unused while the lock was held"

out=$(tb_nc image prune --dry-run)
tb_note "$out"
tb_assert_contains "$out" "Would delete: $unused" "prune --dry-run"
[[ $out != *"$fresh"* ]] || tb_fail "prune would take an image imported just now"
tb_exec test -d "$store/${unused#sha256:}" || tb_fail "--dry-run removed $unused"
out=$(tb_nc image prune)
tb_assert_contains "$out" "Deleted: $unused" "prune"
tb_exec test ! -e "$store/${unused#sha256:}" || tb_fail "prune left $unused"
tb_assert_eq "$(tb_exec grep -c "test/exit:1" "$store/refs.json" || true)" 0 "its reference went with it"
for d in "$httpd" "$health" "$(digest_of echo)"; do
        tb_exec test -d "$store/${d#sha256:}" || tb_fail "prune removed $d, which is in use"
done
# rm by the first 12 digits of an unused image
hex=${fresh#sha256:}
tb_assert_eq "$(tb_nc image rm "${hex:0:12}" | tail -n 1)" "Deleted: $fresh" "rm by a digest's prefix"
