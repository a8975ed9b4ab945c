# needs: appbase
# A real three-tier application, built from Debian packages (tests/data/app-three-tier/, FROM the
# base image of tests/testbed/appbase.sh): nginx publishes port 80 and proxies to a Python
# application, which reads the rows of MariaDB; the application and the database read the
# password from a secret, the database keeps its data on a named volume and the application waits
# for it to be healthy (mysqladmin ping). Shown: a request to the published port returns the rows;
# a change of the application's code rebuilds its image alone (the unchanged layers from buildah's
# cache) and restarts it alone; down then up keeps the data; with 3 replicas of the application
# the proxy reaches each of them.
#
# nginx resolves its upstream's name once, at start, as it does under docker compose (whose DNS
# answers with every replica, but only when asked): so after scaling, the case restarts the proxy,
# as a docker compose user restarts it, and checks first that apply changed the proxy's hosts file
# without restarting it.

src=$TB_DIR/../data/app-three-tier
db=$(tb_unit db)
app=$(tb_unit app)
proxy=$(tb_unit proxy)
url=http://127.0.0.1/
# a quote in the password: the database's init must quote it, the application pass it unchanged
password="it's-$RANDOM-$RANDOM"

# write_compose REPLICAS: the project, with REPLICAS of the application.
write_compose() {
        tb_write_compose <<EOF
services:
  db:
    build: ./db
    volumes:
      - dbdata:/var/lib/mysql
    secrets: [db_password]
    healthcheck:
      test: ["CMD", "mysqladmin", "ping", "--silent"]
      interval: 1s
      timeout: 3s
      retries: 3
      start_period: 60s
  app:
    build: ./app
    scale: $1
    environment:
      DB_HOST: db
    secrets: [db_password]
    depends_on:
      db:
        condition: service_healthy
  proxy:
    build: ./proxy
    ports: ["80:80"]
    depends_on:
      app:
        condition: service_healthy
volumes:
  dbdata:
secrets:
  db_password:
    file: ./db_password.txt
EOF
}

# json KEY... <JSON: a value of the JSON on stdin, KEYs walking into it; a list of objects, with a
# KEY after it, gives that key of each, one a line.
json() {
        python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1:]:
    v = [x[k] for x in v] if isinstance(v, list) else v[k]
print("\n".join(map(str, v)) if isinstance(v, list) else v)' "$@"
}

# apply_log NAME: apply, its stderr (the builds' output) kept in NAME.log inside (its tail shown
# when apply fails).
apply_log() {
        tb_sh 'nspawn-compose apply 2>"$1.log" || { tail -n 60 "$1.log" >&2; exit 1; }' "$1"
}

ids() {
        echo "$(tb_unit_prop db InvocationID) $(tb_unit_prop app InvocationID) $(tb_unit_prop proxy InvocationID)"
}

for d in db app proxy; do
        tb_copy_in "$src/$d" "$TB_PROJECT"
done
tb_write_file db_password.txt 0644 <<<"$password"
write_compose 1
tb_defer tb_nc down --volumes

# Cold: three images built FROM the base, then db, app and proxy started in that order.
t0=$(tb_now)
apply_log cold
tb_phase apply-build-cold "$t0"
tb_assert_eq "$(tb_unit_prop db ActiveState) $(tb_unit_prop app ActiveState) $(tb_unit_prop proxy ActiveState)" \
        "active active active" "states after apply"
tb_assert_eq "$(tb_unit_prop db StatusText)" healthy "db's health"
[ "$(tb_unit_prop app ExecMainStartTimestampMonotonic)" -ge "$(tb_unit_prop db ActiveEnterTimestampMonotonic)" ] ||
        tb_fail "app started before db was healthy"
tb_assert_eq "$(tb_nc exec -T app id -un) $(tb_nc exec -T db id -un)" "app mysql" "the images' users"
tb_note "ps:" "$(tb_nc ps)"

# Through the published port: the rows of the database, from the one replica.
body=$(tb_http "$url")
tb_note "GET /: $body"
tb_assert_eq "$(json rows text <<<"$body" | tr '\n' ' ')" "hello bonjour hallo " "rows"
tb_assert_eq "$(json host <<<"$body") $(json version <<<"$body")" "app 1" "host and version"
added=$(tb_exec timeout 10 busybox wget -q -O- --post-data "written before down" "${url}greetings")
tb_assert_eq "$(json id <<<"$added")" 4 "id of the added row"

# A converged project builds and restarts nothing.
before=$(ids)
apply_log warm
tb_assert_eq "$(tb_exec cat warm.log)" "" "warm apply's stderr"
tb_assert_eq "$(ids)" "$before" "InvocationIDs after a warm apply"

# The application's code changes: its image is built again, from buildah's cache up to the COPY,
# and only app restarts; the proxy reaches the new code at the same address.
db_id=$(tb_unit_prop db InvocationID)
proxy_id=$(tb_unit_prop proxy InvocationID)
app_id=$(tb_unit_prop app InvocationID)
tb_exec sed -i 's/^VERSION = "1"$/VERSION = "2"/' app/app.py
t0=$(tb_now)
apply_log changed
tb_phase apply-build-changed "$t0"
log=$(tb_exec cat changed.log)
tb_assert_contains "$log" "COPY app.py" "the rebuild"
tb_assert_contains "$log" "Using cache" "the rebuild's cached layers"
[[ $log != *"db-start"* && $log != *"nginx.conf"* ]] || tb_fail "db or proxy was built again: $log"
[ "$(tb_unit_prop app InvocationID)" != "$app_id" ] || tb_fail "app was not restarted"
tb_assert_eq "$(tb_unit_prop db InvocationID) $(tb_unit_prop proxy InvocationID)" "$db_id $proxy_id" \
        "db's and proxy's InvocationIDs"
# The restarted machine has its old address and its old MAC address (the veth's follows from its
# name): the proxy's neighbour entry for it is still right, and the first request reaches the new
# code, as soon as apply returns.
tb_assert_contains "$(tb_http "$url")" '"version": "2"' "the first request after the rebuild"

# down then up: the machines go, the named volume stays, and the data with it.
tb_nc down
tb_assert_eq "$(tb_exec machinectl list --no-legend)" "" "machines after down"
tb_nc up -d
body=$(tb_http "$url")
tb_assert_eq "$(json rows text <<<"$body" | tr '\n' ' ')" "hello bonjour hallo written before down " \
        "rows after down and up"
tb_assert_eq "$(tb_nc logs db | grep -c 'db-start: creating')" 1 "database creations in db's journal"

# Three replicas of the application: apply starts app-2 and app-3 and gives every hosts file of
# the project a line per replica for "app"; db and the proxy keep running.
ids_before=$(ids)
write_compose 3
tb_nc apply
tb_assert_eq "$(tb_unit_prop app-2 ActiveState) $(tb_unit_prop app-3 ActiveState)" "active active" "replicas"
tb_assert_eq "$(ids)" "$ids_before" "InvocationIDs of db, app and proxy after scaling"
hosts=$(tb_nc exec -T proxy getent ahostsv4 app | awk '{ print $1 }' | sort -u | wc -l)
tb_assert_eq "$hosts" 3 "addresses of app in the proxy's machine"
# nginx resolved app at its start: the proxy is restarted to take the replicas in.
tb_nc restart proxy
seen=
for _ in 1 2 3 4 5 6 7 8 9; do
        seen+="$(tb_http "$url" | json host) "
done
tb_note "replicas answering through the proxy: $seen"
tb_assert_eq "$(tr ' ' '\n' <<<"$seen" | sed '/^$/d' | sort -u | tr '\n' ' ')" "app app-2 app-3 " \
        "replicas reached through the proxy"
