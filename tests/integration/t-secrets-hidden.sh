# Secrets stay secret: a password given in `environment:` (from .env) and as a secret reaches the
# payload, and nothing else: not any process's command line, not `systemctl show` or `status`, not
# a unit file or other world-readable file of ours, not the journal, not `plan` or `ps`. (`config`
# prints the resolved model, values included, as docker compose config does.)

p=$(basename "$TB_PROJECT")
pw=s3cr3t-$RANDOM-pw
tb_write_file "$TB_PROJECT/.env" <<EOF
DB_PASSWORD=$pw
EOF
tb_write_compose <<EOF
name: $p
services:
  db:
    image: $TB_REGISTRY/test/httpd:1
    environment:
      POSTGRES_PASSWORD: \${DB_PASSWORD}
    secrets: [token]
secrets:
  token:
    environment: DB_PASSWORD
EOF
tb_defer tb_nc down
tb_nc apply
unit=$(tb_unit db)
leader=$(tb_exec machinectl show -p Leader --value "$p.db")

# The payload has it (the stub init's child).
payload=$(tb_sh 'for s in /proc/[0-9]*/status; do
        [ "$(sed -n "s/^PPid:[[:space:]]*//p" "$s")" = "$1" ] && { d=${s%/status}; echo ${d#/proc/}; break; }
done' "$leader")
[ -n "$payload" ] || tb_fail "no payload under leader $leader"
tb_assert_contains "$(tb_exec cat "/proc/$payload/environ" | tr '\0' '\n')" \
        "POSTGRES_PASSWORD=$pw" "the payload's environment"

tb_assert_hidden "$pw" "$unit"
tb_assert_absent "$pw" "ps" tb_nc ps --format json
tb_assert_eq "$(tb_exec stat -c %a "/run/nspawn-compose/$p/db/environment")" 600 "mode of the environment file"
tb_assert_eq "$(tb_exec stat -c %a /var/lib/nspawn-compose)" 700 "mode of the state directory"
