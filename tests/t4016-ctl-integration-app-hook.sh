#!/bin/bash
# A GitHub App integration made with lethectl integration add receives the
# App's webhooks through nginx: a delivery signed with its webhook secret
# connects the repositories an installation adds and deletes those it
# removes; one signed with another secret is refused and changes nothing.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
plan 5

ctl() { "$TOP/bin/lethectl" "$@"; }
org=$(api_org "${TAG}app")
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
event added repositories_added >"$SCRATCH/added.json"
event removed repositories_removed >"$SCRATCH/removed.json"

is "$(deliver installation_repositories "$SCRATCH/added.json" "other$secret") $(repos)" "401 -" \
	"a delivery signed with another secret is refused and connects nothing"
is "$(deliver installation_repositories "$SCRATCH/added.json" "$secret") $(repos)" "200 acme/app-$TAG" \
	"signed with the integration's secret, the added repository is connected to it"
is "$(deliver installation_repositories "$SCRATCH/removed.json" "other$secret") $(repos)" "401 acme/app-$TAG" \
	"a removal signed with another secret changes nothing"
is "$(deliver installation_repositories "$SCRATCH/removed.json" "$secret") $(repos)" "200 -" \
	"the removal signed with its secret deletes the repository"
