#!/bin/bash
# A GitHub App integration made with lethectl integration add receives the
# App's webhooks through nginx: a delivery signed with its webhook secret
# is recorded (202) and lethe-drain then connects the repositories an
# installation adds and deletes those it removes; one signed with another
# secret is refused and changes nothing.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
plan 10

ctl() { "$TOP/bin/lethectl" "$@"; }
org=$(api_org "${TAG}app")
on_exit "psql -X -q -c 'DELETE FROM lethe.orgs WHERE id = $org'"
oname=$(sql -c "SELECT name FROM lethe.orgs WHERE id = $org")
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$SCRATCH/app.pem" 2>/dev/null
secret=$(openssl rand -hex 24)
(umask 077; printf '%s\n' "$secret" >"$SCRATCH/secret")
app=$((5000 + $$ % 1000))
inst=$((700000000 + $$))
ctl --json integration add github-app --org "$oname" --app-id "$app" --installation-id "$inst" \
	--private-key-file "$SCRATCH/app.pem" --webhook-secret-file "$SCRATCH/secret" >"$SCRATCH/integ.json"
integ=$(jq -r .id "$SCRATCH/integ.json")
ok "the integration is added ($integ)" test -n "$integ" -a "$integ" != null

# deliver EVENT FILE SECRET: the HTTP status of the App's delivery of FILE
deliver() {
	curl -s -o "$SCRATCH/answer" -w '%{http_code}' -X POST "$LETHE_URL/hooks/github-app" \
		-H 'Content-Type: application/json' -H "X-GitHub-Event: $1" \
		-H "X-GitHub-Delivery: $(cat /proc/sys/kernel/random/uuid)" \
		-H "X-GitHub-Hook-Installation-Target-ID: $app" \
		-H "X-Hub-Signature-256: sha256=$(sign_hmac_sha256 "$3" "$2")" --data-binary @"$2"
}
repos() { sql -c "SELECT coalesce(string_agg(full_name, ' ' ORDER BY full_name), '-')
	FROM lethe.repositories WHERE integration_id = $integ"; }
event() { # ACTION KEY: installation_repositories naming acme/app-$TAG
	jq -nc --arg a "$1" --arg k "$2" --argjson i "$inst" --arg n "acme/app-$TAG" \
		'{action: $a, installation: {id: $i}, ($k): [{id: 1, full_name: $n}]}'
}
# applied: lethe-drain until no event of the org is queued (the stack's
# jobs loop runs it too), then the repositories
applied() {
	for _ in $(seq 100); do
		"$TOP/bin/lethe-drain" 2>>"$SCRATCH/drain.log" || return 1
		[ "$(sql -c "SELECT count(*) FROM lethe.installation_events
			WHERE org_id = $org AND state = 'queued'")" = 0 ] && break
		sleep 0.1
	done
	repos
}
event added repositories_added >"$SCRATCH/added.json"
event removed repositories_removed >"$SCRATCH/removed.json"

is "$(deliver installation_repositories "$SCRATCH/added.json" "other$secret") $(repos)" "401 -" \
	"a delivery signed with another secret is refused and connects nothing"
is "$(deliver installation_repositories "$SCRATCH/added.json" "$secret")" 202 \
	"signed with the integration's secret, the addition is recorded"
is "$(jq -r .status "$SCRATCH/answer") $(applied)" "queued acme/app-$TAG" \
	"queued, and lethe-drain connects the added repository to the integration"
is "$(deliver installation_repositories "$SCRATCH/removed.json" "other$secret") $(repos)" "401 acme/app-$TAG" \
	"a removal signed with another secret changes nothing"
is "$(deliver installation_repositories "$SCRATCH/removed.json" "$secret") $(applied)" "202 -" \
	"the removal signed with its secret is recorded, and the repository deleted"
is "$(sql -c "SELECT string_agg(action || ' ' || state || ' ' || connected || ' ' || deleted, ', '
	ORDER BY id) FROM lethe.installation_events WHERE org_id = $org")" \
	"added applied 1 0, removed applied 0 1" "each event's outcome is recorded"

# Real deliveries of GitHub Apps (the corpus), each signed with the secret
# of an integration registered for its app and installation.
W=$CORPUS/webhooks/github
if [ -f "$W/installation-created.json" ]; then
	add() { ctl integration add github-app --org "$oname" --app-id "$1" --installation-id "$2" \
		--private-key-file "$SCRATCH/app.pem" --webhook-secret-file "$SCRATCH/secret" >/dev/null; }
	add 29310 957387 && add 5725 2
	app=29310
	codes="$(deliver installation "$W/installation-created.json" "$secret")"
	codes="$codes $(deliver installation_repositories "$W/installation_repositories-added.json" "$secret")"
	applied >/dev/null
	is "$codes $(sql -c "SELECT string_agg(r.full_name, ' ' ORDER BY r.full_name)
		FROM lethe.repositories r JOIN lethe.integrations i ON i.id = r.integration_id
		WHERE i.installation_id = '957387'")" "202 202 Codertocat/Hello-World Codertocat/Space" \
		"installation created and repositories added: their repositories are connected"
	app=5725
	is "$(deliver installation "$W/installation-deleted.json" "$secret") $(applied >/dev/null;
		sql -c "SELECT count(*) FROM lethe.integrations WHERE installation_id = '2'")" "202 0" \
		"installation deleted: its integration is removed"
	is "$(sql -c "SELECT details->>'repositories' FROM lethe.audit_events WHERE org_id = $org
		AND action = 'installation.delete'")" 0 "with an audit event counting what went"
else
	for _ in 1 2 3; do skip "no GitHub webhooks corpus at '$W'"; done
fi
