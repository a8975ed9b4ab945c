# A pull that fails names the service and the position of its `image:` in the compose file, then
# skopeo's reason, in `pull` and in `apply` alike (the image is not in the testbed's registry);
# apply installs nothing.

p=pullerr
tb_defer tb_nc down
tb_write_compose <<EOF2
name: $p
services:
  ok:
    image: $TB_REGISTRY/test/httpd:1
  web:
    image: $TB_REGISTRY/test/nope:1
EOF2

where="compose.yml:6:12: services.web.image: cannot pull '$TB_REGISTRY/test/nope:1' for service 'web': skopeo"
for verb in pull apply; do
        rc=0
        out=$(tb_nc $verb 2>&1) || rc=$?
        tb_note "$verb exited $rc:" "$out"
        [ "$rc" -ne 0 ] || tb_fail "$verb succeeded"
        tb_assert_contains "$out" "$where" "$verb output"
        tb_assert_contains "$out" "nope" "$verb output: skopeo's reason"
done
# pull went on with the other service's image; apply stopped before installing anything
tb_assert_contains "$(tb_nc pull 2>&1 || true)" "$TB_REGISTRY/test/httpd:1" "pull of the other image"
tb_exec test ! -e /etc/nspawn-compose/$p
tb_assert_eq "$(tb_exec systemctl list-units --all --no-legend "nspawn-compose-$p*")" "" "units"
# an image named on the command line has no position, only the reference
out=$(tb_nc pull "$TB_REGISTRY/test/nope:1" 2>&1) || true
tb_assert_contains "$out" "cannot pull '$TB_REGISTRY/test/nope:1': skopeo" "pull IMAGE"
