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

found() {
        # $1: what; rest: command printing text to search
        local what=$1
        shift
        if "$@" 2>/dev/null | grep -qF -- "$pw"; then
                tb_fail "the password is in $what"
        fi
}
found "a command line" tb_sh 'for f in /proc/[0-9]*/cmdline; do tr "\0" " " < "$f" 2>/dev/null; echo; done'
found "systemctl show" tb_exec systemctl show "$unit"
found "systemctl status" tb_exec systemctl status --no-pager -l "$unit"
found "a unit file" tb_sh 'cat /etc/systemd/system/nspawn-compose-*'
found "the journal" tb_exec journalctl --no-pager -o verbose
found "plan" tb_nc plan --format json
found "ps" tb_nc ps --format json
# World-readable files of ours (settings holding it are 0600, the environment file too).
found "a world-readable file" tb_sh 'find /etc/nspawn-compose /run/nspawn-compose /var/lib/nspawn-compose \
        -xdev -type f -perm -004 -not -path "*/root/*" -exec cat {} + 2>/dev/null'
tb_assert_eq "$(tb_exec stat -c %a "/run/nspawn-compose/$p/db/environment")" 600 "mode of the environment file"
tb_assert_eq "$(tb_exec stat -c %a /var/lib/nspawn-compose)" 700 "mode of the state directory"
