# events --json: docker compose's event stream from systemd's and machined's signals: a restart
# shows die, stop, start (and machined's destroy/create) for the service, with docker's keys.

p=$(basename "$TB_PROJECT")
tb_write_compose <<EOF2
services:
  web:
    image: $TB_REGISTRY/test/httpd:1
  other:
    image: $TB_REGISTRY/test/httpd:1
EOF2
tb_defer tb_nc down
tb_nc up -d 2>/dev/null

tb_exec rm -f /tmp/events.json /tmp/events.txt
tb_exec sh -c 'nspawn-compose events --json web > /tmp/events.json 2>/tmp/events.err & echo $! > /tmp/events.pid'
tb_exec sh -c 'nspawn-compose events > /tmp/events.txt 2>&1 & echo $! > /tmp/events-text.pid'
tb_defer tb_exec sh -c 'kill $(cat /tmp/events.pid) $(cat /tmp/events-text.pid) 2>/dev/null || true'
# events prints nothing before it has subscribed: a restart it missed is done again
tb_exec sh -c 'for i in $(seq 30); do nspawn-compose restart web 2>/dev/null
        grep -q "\"action\":\"start\"" /tmp/events.json && exit 0; done; exit 1' || tb_fail "no start event for web"
tb_exec sh -c 'for i in $(seq 30); do nspawn-compose restart other 2>/dev/null
        grep -q "container start" /tmp/events.txt && exit 0; done; exit 1' || tb_fail "no text start event"
tb_exec sh -c 'kill $(cat /tmp/events.pid)'
tb_wait_for "events to end" 30 sh -c '! test -e /proc/$(cat /tmp/events.pid)'

json=$(tb_exec cat /tmp/events.json)
tb_note "$json"
tb_assert_eq "$(python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
acts = " ".join(e["action"] for e in ev if e["action"] in ("die", "stop", "start"))
print("die stop start" if "die stop start" in acts else acts)
e = next(e for e in ev if e["action"] == "start")
print(sorted(e), e["type"], e["service"], e["id"], e["attributes"]["name"])
print(set(e["service"] for e in ev))
' "$json")" "die stop start
['action', 'attributes', 'id', 'service', 'time', 'type'] container web $p.web $p.web
{'web'}" "events --json of a restart"
text=$(tb_exec cat /tmp/events.txt)
tb_note "$text"
line=$(grep " container start $p.other " <<<"$text") || tb_fail "no text start line for other: $text"
[[ $line =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}\ container\ start\ $p\.other\ \(.*name=$p\.other.*\)$ ]] ||
        tb_fail "events text line: '$line'"
