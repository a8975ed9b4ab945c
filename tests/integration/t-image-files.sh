# Images from files, skopeo's transports: `oci-archive:PATH[:TAG]`, `docker-archive:PATH[:REF]`
# (what `docker save` writes) and `oci:DIR[:TAG]`, each made here by skopeo from the registry. Each
# runs with its image's config (b's HEALTHCHECK of the health image, a's and c's httpd); an archive
# written again is imported again at the next apply, and only its service restarts (the store
# keeps one identity per file); an archive deleted after its import is what was imported from it
# last; a relative path, and one with '#', are refused with the key's position.

dir=$TB_PROJECT/images
tb_exec mkdir -p "$dir"
copy() {        # copy IMAGE DEST: test/IMAGE:1 of the registry to the transport DEST
        tb_exec skopeo copy --quiet "docker://$TB_REGISTRY/test/$1:1" "$2"
}
copy httpd "oci-archive:$dir/httpd.tar:latest"
copy health "docker-archive:$dir/health.tar:test/health:1"
copy httpd "oci:$dir/layout:v1"
tb_write_compose <<EOF
services:
  a:
    image: oci-archive:$dir/httpd.tar:latest
    ports: ["8101:80"]
  b:
    image: docker-archive:$dir/health.tar
  c:
    image: oci:$dir/layout:v1
    ports: ["8103:80"]
EOF
tb_down_at_end
tb_nc up -d >/dev/null
tb_assert_contains "$(tb_http http://127.0.0.1:8101/)" "hello from a" "a from an OCI archive"
tb_assert_contains "$(tb_http http://127.0.0.1:8103/)" "hello from c" "c from an OCI layout"
tb_assert_eq "$(tb_unit_prop b StatusText)" healthy "b's healthcheck, from the docker archive's image config"
tb_assert_eq "$(tb_nc plan >/dev/null && echo in-sync)" in-sync "plan after up"

# the OCI archive written again with another image: a takes it at the next apply, c and b stay
a_id=$(tb_unit_prop a InvocationID)
b_id=$(tb_unit_prop b InvocationID)
c_id=$(tb_unit_prop c InvocationID)
a_digest=$(tb_json "/etc/nspawn-compose/$(basename "$TB_PROJECT")/a.json" image_digest)
tb_exec rm "$dir/httpd.tar"
copy health "oci-archive:$dir/httpd.tar:latest"
rc=0
tb_nc plan >/dev/null || rc=$?
tb_assert_eq "$rc" 2 "plan sees the archive changed"
tb_nc apply >/dev/null
[ "$(tb_unit_prop a InvocationID)" != "$a_id" ] || tb_fail "a was not restarted"
[ "$(tb_json "/etc/nspawn-compose/$(basename "$TB_PROJECT")/a.json" image_digest)" != "$a_digest" ] ||
        tb_fail "a still has its old digest"
tb_assert_eq "$(tb_unit_prop b InvocationID) $(tb_unit_prop c InvocationID)" "$b_id $c_id" "b and c untouched"
tb_assert_eq "$(tb_unit_prop a StatusText)" healthy "a runs the health image now"
refs=$(tb_exec cat /var/lib/nspawn-compose/images/refs.json)
tb_assert_eq "$(grep -c "oci-archive:$dir/httpd.tar:latest#" <<<"$refs")" 1 "one identity of the archive in refs.json"

# the archive deleted: a keeps what was imported from it last, nothing drifts
tb_exec rm "$dir/httpd.tar"
tb_assert_eq "$(tb_nc plan >/dev/null && echo in-sync)" in-sync "plan with the archive deleted"
tb_nc apply >/dev/null
tb_assert_eq "$(tb_unit_prop a StatusText)" healthy "a after an apply without its archive"

# refused IMAGE ERROR: an apply of a project of its own whose one service has IMAGE fails with
# ERROR at the key's position
refused() {
        local rc=0 err
        tb_write_file refused.yml 0644 <<EOF
services:
  d:
    image: $1
EOF
        err=$(tb_nc -p refused -f refused.yml apply 2>&1 >/dev/null) || rc=$?
        tb_assert_eq "$rc" 1 "apply of $1"
        tb_assert_contains "$err" "services.d.image" "the key in the error"
        tb_assert_contains "$err" "$2" "the error"
}
# a relative path (docker compose has no such images: no convention to follow)
refused oci-archive:images/httpd.tar "needs an absolute path"
# a path with '#': it could not be told from the file's identity
refused "oci-archive:$dir/a#b.tar" "a path with '#'"
