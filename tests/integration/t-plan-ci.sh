# plan --format junit and --format github, as CI reads them: one check per resource, all passing
# in sync, the drifted one failing with the reason (at the compose position of its service for
# GitHub); the JUnit XML valid against tests/data/junit/junit.xsd; exit codes as plan's.

p=$(basename "$TB_PROJECT")
xsd=$(cd "$(dirname "${BASH_SOURCE[0]}")/../data/junit" && pwd)/junit.xsd
command -v xmllint >/dev/null || tb_fail "xmllint (libxml2-utils) is not installed"
tb_write_compose <<EOF
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
  db:
    image: $TB_REGISTRY/test/echo:1
EOF
tb_down_at_end
tb_nc up -d >/dev/null 2>&1

out=$(tb_nc plan --format junit)
xmllint --noout --schema "$xsd" - <<<"$out" 2>&1 || tb_fail "JUnit output not valid: $out"
tb_assert_contains "$out" "failures=\"0\"" "in sync: no failure"
tb_assert_contains "$out" "<testcase classname=\"$p.service\" name=\"web\"/>" "a passing service check"
tb_assert_eq "$(tb_nc plan --format github)" "::notice title=$p in sync::nspawn-compose plan: $(grep -c '<testcase' <<<"$out") resources in sync" \
        "github in sync"

# drift: web stopped by hand
tb_exec systemctl stop "$(tb_unit web)"
rc=0
out=$(tb_nc plan --format junit) || rc=$?
tb_assert_eq "$rc" 2 "exit status on drift"
xmllint --noout --schema "$xsd" - <<<"$out" 2>&1 || tb_fail "JUnit output not valid: $out"
tb_assert_contains "$out" "failures=\"1\"" "one drifted resource"
tb_assert_contains "$out" "<testcase classname=\"$p.service\" name=\"web\">" "web's check"
tb_assert_contains "$out" "<failure type=\"drift\" message=\"start: " "its failure"
rc=0
gh=$(tb_nc plan --format github) || rc=$?
tb_assert_eq "$rc" 2 "github: exit status on drift"
tb_assert_eq "$gh" "$(grep '^::error' <<<"$gh")" "only error lines on drift"
# web's key in compose.yml is line 2, column 3
tb_assert_contains "$gh" "::error file=compose.yml,line=2,col=3,title=$p service web drifted::start: " \
        "annotation at the service's key"
