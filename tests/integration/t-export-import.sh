# export and image import: a stopped service's root (its writable layer over its image, files the
# machine deleted gone) as a tar archive, as docker compose export writes it (a running one is
# refused); that archive, compressed, imported as an image that a service then runs with no pull.

p=$(basename "$TB_PROJECT")
tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
EOF
tb_down_at_end
tb_nc up -d >/dev/null 2>&1
tb_nc exec -T web sh -c 'echo written-inside >/marker && rm /bin/start-httpd'
# a file already at -o FILE is left as it was when the export fails, and replaced (a new file of
# ours, mode 0600) when it succeeds
tb_write_file web.tar 0644 <<<"someone's file"
rc=0
err=$(tb_nc export -o web.tar web 2>&1) || rc=$?
tb_assert_eq "$rc" 1 "export of a running service"
tb_assert_contains "$err" "stop it first" "its error"
tb_assert_eq "$(tb_exec cat web.tar)" "someone's file" "-o FILE after a failed export"
tb_nc stop web >/dev/null 2>&1
tb_nc export -o web.tar web
tb_assert_eq "$(tb_exec stat -c %a web.tar)" 600 "the archive's mode"
tb_assert_eq "$(tb_exec sh -c 'ls web.tar.* 2>/dev/null | wc -l')" 0 "no temporary file left"
list=$(tb_exec tar -tf web.tar)
tb_assert_contains "$list" "./marker" "the file the machine wrote"
[[ $list != *"./bin/start-httpd"* ]] || tb_fail "the file the machine deleted is in the archive"
tb_assert_contains "$list" "./bin/busybox" "the image's files"
tb_assert_eq "$(tb_sh 'nspawn-compose export web | tar -xOf - ./marker')" written-inside "export to stdout"

tb_exec gzip -k web.tar
digest=$(tb_nc image import local/exported:1 web.tar.gz)
[[ $digest == sha256:* ]] || tb_fail "image import printed '$digest'"
tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
  imp:
    image: local/exported:1
    pull_policy: never
    command: ["sleep", "1000"]
EOF
tb_nc up -d imp >/dev/null 2>&1
tb_assert_eq "$(tb_nc exec -T imp cat /marker)" written-inside "the imported image's file"
tb_assert_eq "$(tb_nc exec -T imp sh -c 'test -e /bin/start-httpd && echo there || echo gone')" gone \
        "what was deleted stays deleted"
tb_assert_contains "$(tb_nc image ls)" "docker.io/local/exported:1" "image ls names the import"
