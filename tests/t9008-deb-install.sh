#!/bin/bash
# The Debian package, installed and run as a sysadmin would: apt-get
# install ./lethe_*.deb; lethe-hook and lethe-api started as their
# installed units say (User=, Group=, ExecStart= unchanged, the listening
# socket of the socket unit's ListenStream= on standard input, through
# systemd-socket-activate, the master key as a credential); the shipped
# nginx site, given a test certificate and port, in front of them; the
# installed lethectl migrating and connecting a repository; a signed
# webhook through it all answered 202 with a queued job; systemd-analyze
# verify on the installed units; then apt-get purge, leaving nothing
# running.  The database is a PostgreSQL cluster of its own, made here.
# Needs root and apt.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "installing a package needs root"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || skip_all "PostgreSQL's initdb is not installed"
for c in apt-get dpkg-buildpackage dh systemd-socket-activate setpriv nginx openssl; do
	command -v "$c" >/dev/null || skip_all "$c is not installed"
done
if dpkg-query -W -f='${Status}' lethe 2>/dev/null | grep -q ' installed$'; then
	skip_all "a lethe package is installed on this machine already: not touching it"
fi
for f in /etc/lethe/lethe.conf /etc/lethe/master.key; do
	[ -e "$f" ] && skip_all "$f exists: not touching it"
done
plan 9

src=$SCRATCH/src
copy_tree "$src"
make -s -C "$src" deb >"$SCRATCH/deb.log" 2>&1 || { tail -n 5 "$SCRATCH/deb.log" >&2; }
deb=$(ls "$src"/build/deb/lethe_*_"$(dpkg --print-architecture)".deb 2>/dev/null | head -1)

purge() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	[ -s "$SCRATCH/nginx/nginx.pid" ] && kill "$(cat "$SCRATCH/nginx/nginx.pid")" 2>/dev/null
	[ -s "$pg/data/postmaster.pid" ] &&
		runuser -u postgres -- "$pgbin/pg_ctl" -D "$pg/data" -m fast -w stop >/dev/null 2>&1
	rm -f /etc/lethe/lethe.conf /etc/lethe/master.key
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq lethe >>"$SCRATCH/apt.log" 2>&1
}
pids=()
pg=$SCRATCH/pg
on_exit purge
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >"$SCRATCH/apt.log" 2>&1
rc=$?
ok "apt-get install ./$(basename "${deb:-lethe.deb}") succeeds" test "$rc" = 0 -a -n "$deb"
[ "$rc" = 0 ] || tail -n 5 "$SCRATCH/apt.log" >&2
ok "it made the users and /etc/lethe (root:lethe 0750)" \
	eval 'id lethe-hook >/dev/null && id lethe >/dev/null && [ "$(stat -c "%U:%G %a" /etc/lethe)" = "root:lethe 750" ]'

units=/lib/systemd/system
out=$(cd "$SCRATCH" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
	$units/lethe-{hook,api,scan,scrub,rotate,drain}.service $units/lethe-{hook,api}.socket 2>&1)
is "$?:$out" "0:" "systemd-analyze verify passes on the installed units"

# A cluster of its own: its socket in a directory for the group lethe alone.
mkdir -p "$pg/data" "$pg/sock"
chown postgres: "$pg/data"
chown postgres:lethe "$pg/sock"
chmod 0750 "$pg/sock"
runuser -u postgres -- "$pgbin/initdb" -D "$pg/data" -U postgres -A trust -E UTF8 \
	--no-instructions >"$SCRATCH/initdb.log" 2>&1
cat >>"$pg/data/postgresql.conf" <<PGCONF
listen_addresses = ''
unix_socket_directories = '$pg/sock'
PGCONF
echo 'local all all trust' >"$pg/data/pg_hba.conf"
runuser -u postgres -- "$pgbin/pg_ctl" -D "$pg/data" -l "$pg/data/log" -w start >/dev/null 2>&1
psql() { command psql -XAtq -h "$pg/sock" -U postgres "$@"; }
psql -d postgres -c 'CREATE ROLE lethe_owner LOGIN CREATEROLE' -c 'CREATE DATABASE lethe OWNER lethe_owner'

sed -e "s#^database = .*#database = host=$pg/sock dbname=lethe#" \
	-e 's#^dashboard_url = .*#dashboard_url = https://127.0.0.1/#' \
	/etc/lethe/lethe.conf.example >"$SCRATCH/lethe.conf"
install -m 0640 -g lethe "$SCRATCH/lethe.conf" /etc/lethe/lethe.conf
key=/etc/lethe/master.key
mkdir -p "$SCRATCH/cred-lethe-hook" "$SCRATCH/cred-lethe-api"

# unit NAME: start NAME.service as its unit would, on NAME.socket's socket.
unit() {
	local svc=$units/$1.service sock=$units/$1.socket path user group exe cred
	path=$(sed -n 's/^ListenStream=//p' "$sock")
	user=$(sed -n 's/^User=//p' "$svc")
	group=$(sed -n 's/^Group=//p' "$svc")
	exe=$(sed -n 's/^ExecStart=//p' "$svc")
	cred=$SCRATCH/cred-$1
	install -m 0400 -o "$user" "$key" "$cred/master.key"
	mkdir -p "$(dirname "$path")"
	rm -f "$path"
	systemd-socket-activate -l "$path" -E CREDENTIALS_DIRECTORY="$cred" -- \
		setpriv --reuid="$user" --regid="$group" --init-groups -- \
		/bin/sh -c 'exec "$@" 0<&3 3<&-' sh $exe >>"$SCRATCH/$1.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do [ -S "$path" ] && break; sleep 0.1; done
	chown "$(sed -n 's/^SocketUser=//p' "$sock"):$(sed -n 's/^SocketGroup=//p' "$sock")" "$path"
	chmod "$(sed -n 's/^SocketMode=//p' "$sock")" "$path"
}
/usr/sbin/lethectl migrate >"$SCRATCH/migrate.log" 2>&1 && /usr/sbin/lethectl keys init >>"$SCRATCH/migrate.log" 2>&1
is "$?" 0 "the installed lethectl migrates a new database and makes the master key"
[ -s "$key" ] || tail -n 3 "$SCRATCH/migrate.log" >&2
unit lethe-hook
unit lethe-api

# The shipped site with a test certificate, on a free port.
port=$((20000 + $$ % 20000))
mkdir -p "$SCRATCH/nginx/tmp"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-keyout "$SCRATCH/nginx/key.pem" -out "$SCRATCH/nginx/cert.pem" 2>/dev/null
sed -e "s#listen 443 ssl http2;#listen 127.0.0.1:$port ssl http2;#" -e '/listen \[::\]/d' \
	-e "s#listen 80;#listen 127.0.0.1:$((port + 1));#" \
	-e "s#ssl_certificate .*#ssl_certificate $SCRATCH/nginx/cert.pem;#" \
	-e "s#ssl_certificate_key .*#ssl_certificate_key $SCRATCH/nginx/key.pem;#" \
	/etc/nginx/sites-available/lethe >"$SCRATCH/nginx/site.conf"
cat >"$SCRATCH/nginx/nginx.conf" <<NGINX
user www-data;
worker_processes 1;
pid $SCRATCH/nginx/nginx.pid;
error_log $SCRATCH/nginx/error.log warn;
events { worker_connections 64; }
http {
	include /etc/nginx/mime.types;
	access_log $SCRATCH/nginx/access.log;
	client_body_temp_path $SCRATCH/nginx/tmp/body;
	fastcgi_temp_path $SCRATCH/nginx/tmp/fastcgi;
	proxy_temp_path $SCRATCH/nginx/tmp/proxy;
	uwsgi_temp_path $SCRATCH/nginx/tmp/uwsgi;
	scgi_temp_path $SCRATCH/nginx/tmp/scgi;
	include $SCRATCH/nginx/site.conf;
}
NGINX
cp /etc/nginx/fastcgi_params "$SCRATCH/nginx/"
nginx -c "$SCRATCH/nginx/nginx.conf" >"$SCRATCH/nginx/start.log" 2>&1
is "$?" 0 "nginx starts with the shipped site"
[ -s "$SCRATCH/nginx/nginx.pid" ] || cat "$SCRATCH/nginx/start.log" >&2
url=https://127.0.0.1:$port
health=$(curl -sk "$url/api/v1/health")
is "$(jq -r .status <<<"$health" 2>/dev/null)" ok "the API answers through the site: healthy"
[ "$(jq -r .status <<<"$health" 2>/dev/null)" = ok ] ||
	tail -n 3 "$SCRATCH/nginx/error.log" "$SCRATCH/lethe-api.log" "$SCRATCH/lethe-hook.log" >&2
curl -sk -D "$SCRATCH/web.hdr" -o "$SCRATCH/web.html" "$url/"
# shellcheck disable=SC2016 # ok evaluates the expressions
ok "the site serves the dashboard from /usr/share/lethe/web to nginx's own user, with its CSP and HSTS" \
	eval 'grep -q "<title>Lethe</title>" "$SCRATCH/web.html" &&
	grep -qi "^content-security-policy: default-src .self.;.*frame-ancestors .none." "$SCRATCH/web.hdr" &&
	grep -qi "^strict-transport-security: " "$SCRATCH/web.hdr"'

org=pkg$$
/usr/sbin/lethectl org create "$org" >/dev/null
/usr/sbin/lethectl --json repo add --org "$org" --provider github --name "acme/pkg$$" \
	--clone-url "https://github.com/acme/pkg$$.git" >"$SCRATCH/repo.json"
repo=$(jq -r .id "$SCRATCH/repo.json")
jq -n --arg sha "$(openssl rand -hex 20)" '{ref: "refs/heads/main", after: $sha,
	repository: {full_name: "acme/pkg'$$'"}}' >"$SCRATCH/push.json"
code=$(curl -sk -o "$SCRATCH/answer" -w '%{http_code}' -X POST "$url$(jq -r .hook_path "$SCRATCH/repo.json")" \
	-H 'Content-Type: application/json' -H 'X-GitHub-Event: push' -H "X-GitHub-Delivery: pkg-$$" \
	-H "X-Hub-Signature-256: sha256=$(sign_hmac_sha256 "$(jq -r .webhook_secret "$SCRATCH/repo.json")" "$SCRATCH/push.json")" \
	--data-binary @"$SCRATCH/push.json")
is "$code $(psql -d lethe -c "SELECT state FROM lethe.jobs WHERE repository_id = ${repo:-0}")" "202 queued" \
	"a signed push through nginx to the installed lethe-hook: 202, a queued job"

purge
sleep 0.5
ok "apt-get purge removes it, and nothing of it is left running" \
	eval '! dpkg-query -W -f="\${Status}" lethe 2>/dev/null | grep -q " installed$" &&
	! pgrep -f "/usr/sbin/lethe-" >/dev/null && [ ! -e /usr/sbin/lethe-hook ]'
