# down --volumes removes the volumes its project made, and only those: a volume another project
# made (shared through `name:`) is kept, and says so.

tb_write_compose a/compose.yml <<EOF
name: vola
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    volumes: ["own:/own", "shared:/shared"]
volumes:
  own: {}
  shared:
    name: shared-data-$$
EOF
tb_write_compose b/compose.yml <<EOF
name: volb
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
    volumes: ["shared:/shared"]
volumes:
  shared:
    name: shared-data-$$
EOF
tb_defer tb_exec rm -rf /var/lib/nspawn-compose/volumes/shared-data-$$ /var/lib/nspawn-compose/volume-owners/shared-data-$$
tb_defer tb_nc -f a/compose.yml down --volumes
tb_defer tb_nc -f b/compose.yml down --volumes
tb_nc -f a/compose.yml apply
tb_nc -f b/compose.yml apply
tb_exec test -d /var/lib/nspawn-compose/volumes/vola_own
tb_exec test -d /var/lib/nspawn-compose/volumes/shared-data-$$
tb_assert_eq "$(tb_exec cat /var/lib/nspawn-compose/volume-owners/shared-data-$$)" vola "maker of the shared volume"

out=$(tb_nc -f b/compose.yml down --volumes 2>&1)
tb_assert_contains "$out" "volume shared-data-$$ kept" "down --volumes of volb"
tb_exec test -d /var/lib/nspawn-compose/volumes/shared-data-$$
tb_nc -f a/compose.yml down --volumes
tb_exec test ! -e /var/lib/nspawn-compose/volumes/shared-data-$$
tb_exec test ! -e /var/lib/nspawn-compose/volumes/vola_own
tb_exec test ! -e /var/lib/nspawn-compose/volume-owners/vola_own
