# Hostile values in environment and command reach the process inside the machine byte-exact:
# newlines, %, $, quotes, backslashes, unicode.

tb_defer tb_nc down
tb_write_compose <<'EOF'
name: hostile
services:
  h:
    image: 127.0.0.1:5000/test/httpd:1
    environment:
      PCT: "100% %n %% %i"
      DOLLAR: "$$HOME ${NOPE:-x} $$$$"
      QUOTES: "it's \"quoted\" \\back\\slash"
      NL: "line1\nline2"
      UNI: "héllo wörld ✓ 日本"
    # The image's entrypoint would take the command as its arguments: replace it.
    entrypoint: ["sh", "-c", "printf '%s' \"$$0\" > /tmp/arg0; exec /bin/start-httpd"]
    command: ["a b %n $$x 'q' \"d\" \\ é"]
EOF
tb_nc apply
# The images have busybox without printenv: print a variable byte-exact with the shell.
penv() {
        tb_nc exec h sh -c "printf '%s' \"\$$1\""
}
tb_assert_eq "$(penv PCT)" "100% %n %% %i" PCT
tb_assert_eq "$(penv DOLLAR)" '$HOME x $$' DOLLAR
tb_assert_eq "$(penv QUOTES)" "it's \"quoted\" \\back\\slash" QUOTES
tb_assert_eq "$(penv NL)" "line1
line2" NL
tb_assert_eq "$(penv UNI)" "héllo wörld ✓ 日本" UNI
# READY means the container runs, not that the command got this far: wait for its file.
tb_wait_for "the command's output" 10 nspawn-compose exec h test -s /tmp/arg0
tb_assert_eq "$(tb_nc exec h cat /tmp/arg0)" "a b %n \$x 'q' \"d\" \\ é" "command argument"
