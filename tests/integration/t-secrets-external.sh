# External secrets and configs come from systemd's credential store: a plain credential made by
# `secret create` from stdin, an encrypted one (--encrypt, the host key), and a config. They reach
# the machine with the reference's owner and mode, and their values nowhere else: not a command
# line, `systemctl show`, a unit file, the journal or `plan`. A changed credential restarts the
# service on the next apply; a missing one is refused by plan and apply, with its position, and
# nothing starts.

p=$(basename "$TB_PROJECT")
plain=plain-$RANDOM-value
sealed=sealed-$RANDOM-value
site=site-$RANDOM-config

tb_note "$(tb_exec systemd-creds --version | head -1)"
tb_defer tb_exec nspawn-compose secret rm "$p-tok"
tb_defer tb_exec nspawn-compose secret rm "$p-sealed"
tb_defer tb_exec nspawn-compose secret rm "$p-site"
tb_exec nspawn-compose secret create "$p-tok" - <<<"$plain" >/dev/null
tb_write_file sealed.txt 0600 <<<"$sealed"
tb_nc secret create --encrypt "$p-sealed" sealed.txt >/dev/null
tb_exec rm sealed.txt
printf '%s' "$site" | tb_exec nspawn-compose secret create "$p-site" - >/dev/null

tb_assert_eq "$(tb_exec stat -c '%a %U' "/etc/credstore/$p-tok")" "600 root" "plain credential file"
tb_assert_eq "$(tb_exec cat "/etc/credstore/$p-tok")" "$plain" "plain credential content"
tb_assert_eq "$(tb_exec stat -c '%a' "/etc/credstore.encrypted/$p-sealed")" 600 "encrypted credential file"
if tb_exec grep -qF -- "$sealed" "/etc/credstore.encrypted/$p-sealed"; then
        tb_fail "the encrypted credential holds its value in plain text"
fi
tb_exec test ! -e "/etc/credstore/$p-sealed"
ls=$(tb_nc secret ls)
tb_assert_contains "$ls" "$p-sealed	encrypted" "secret ls"
tb_assert_contains "$ls" "$p-tok	plain" "secret ls"

tb_write_compose <<EOF
name: $p
services:
  app:
    image: $TB_REGISTRY/test/httpd:1
    secrets:
      - source: tok
        uid: "1000"
        mode: 0400
      - sealed
    configs:
      - source: site
        target: /etc/site.conf
secrets:
  tok:
    external: true
    name: $p-tok
  sealed:
    external: true
    name: $p-sealed
configs:
  site:
    external: true
    name: $p-site
EOF
tb_defer tb_nc down
tb_nc apply
unit=$(tb_unit app)

tb_assert_eq "$(tb_nc exec app cat /run/secrets/tok)" "$plain" "plain secret inside"
tb_assert_eq "$(tb_nc exec app stat -c '%a %u %g' /run/secrets/tok)" "400 1000 0" "plain secret owner and mode"
tb_assert_eq "$(tb_nc exec app cat /run/secrets/sealed)" "$sealed" "encrypted secret inside"
tb_assert_eq "$(tb_nc exec app stat -c '%a %u' /run/secrets/sealed)" "444 0" "encrypted secret mode"
tb_assert_eq "$(tb_nc exec app cat /etc/site.conf)" "$site" "config inside"
if tb_nc exec app sh -c 'echo hi >/run/secrets/tok' 2>/dev/null; then
        tb_fail "the secret is writable inside"
fi
tb_assert_contains "$(tb_exec systemctl cat "$unit")" "LoadCredentialEncrypted=$p-sealed:/etc/credstore.encrypted/$p-sealed" "unit"

tb_nc render --output-dir "/tmp/render-$p" >/dev/null
tb_defer rm -rf "/tmp/render-$p"
for v in "$plain" "$sealed" "$site"; do
        tb_assert_hidden "$v" "$unit"
        tb_assert_absent "$v" "a rendered file" tb_sh 'find "$1" -type f -exec cat {} +' "/tmp/render-$p"
done

# converged; a new value of a credential restarts the service with it
tb_nc plan >/dev/null || tb_fail "plan shows drift right after apply"
pid=$(tb_exec systemctl show -p MainPID --value "$unit")
tb_exec nspawn-compose secret create "$p-tok" - <<<"$plain-2" >/dev/null
rc=0
tb_nc plan >/dev/null || rc=$?
tb_assert_eq "$rc" 2 "plan after the credential changed"
tb_nc apply
tb_assert_eq "$(tb_nc exec app cat /run/secrets/tok)" "$plain-2" "new value inside"
[ "$(tb_exec systemctl show -p MainPID --value "$unit")" != "$pid" ] || tb_fail "the service was not restarted"

# a missing credential: refused with its position, nothing of the project started (a project of
# its own, so that nothing of the first one is left to confuse the check)
tb_nc down
links=$(tb_links)
tb_exec nspawn-compose secret rm "$p-sealed"
tb_exec sed -i "s/^name: $p\$/name: ${p}m/" compose.yml
tb_refused "${p}m" "$links" "compose.yml:18:5: secrets.sealed: credential '$p-sealed' is in neither /etc/credstore/"
