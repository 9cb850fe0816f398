#!/bin/bash
# lethectl integration add github-app, list and remove, and repo set
# --integration: the App's private key read once from its file, sealed
# under the org key, never printed or audited; a repository attached to an
# integration of its own org only; an integration still in use is not
# removed (its repositories would go with it).  Each change is audited;
# each refusal names the problem and changes nothing.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
plan 20

ctl() { "$TOP/bin/lethectl" "$@"; }
org=$(api_org "${TAG}integ")
oname=$(sql -c "SELECT name FROM lethe.orgs WHERE id = $org")
other=$(api_org "${TAG}integ2")
other_name=$(sql -c "SELECT name FROM lethe.orgs WHERE id = $other")
inst=$((700000 + $$))
(umask 077
 openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$SCRATCH/app.pem" 2>/dev/null
 openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$SCRATCH/ec.pem" 2>/dev/null
 printf 'not a key\n' >"$SCRATCH/junk.pem")
keyline=$(sed -n 2p "$SCRATCH/app.pem")
count() { sql -c "SELECT count(*) FROM lethe.integrations WHERE org_id IN ($org, $other)"; }
msg() { tail -n 1 "$SCRATCH/.ok.out"; }

ctl --json integration add github-app --org "$oname" --app-id 4242 --installation-id "$inst" \
	--private-key-file "$SCRATCH/app.pem" --api-url https://ghe.example.invalid/api/v3 \
	>"$SCRATCH/add.json" 2>"$SCRATCH/add.err"
integ=$(jq -r .id "$SCRATCH/add.json")
is "$(jq -r '[.kind, .app_id, .installation_id, .api_url] | join(" ")' "$SCRATCH/add.json")" \
	"github-app 4242 $inst https://ghe.example.invalid/api/v3" \
	"integration add github-app answers with the integration's kind, App, installation and API URL"
absent "the answer holds no part of the private key" "$keyline" "$SCRATCH/add.json" "$SCRATCH/add.err"
is "$(sql -c "SELECT org_id || ' ' || provider || ' ' || (app_key_enc IS NOT NULL) || ' '
	|| (position(convert_to('PRIVATE KEY', 'UTF8') IN app_key_enc) = 0)
	FROM lethe.integrations WHERE id = ${integ:-0}")" "$org github true true" \
	"the key is stored sealed under the org, not as written"
ev=$(sql -c "SELECT actor || ' ' || details::text FROM lethe.audit_events WHERE org_id = $org
	AND action = 'integration added' AND target = 'integration:${integ:-0}'")
ok "the addition is audited with the App and installation, never the key ($ev)" \
	eval '[[ $ev == lethectl:* ]] && grep -q "\"app_id\": \"4242\"" <<<"$ev" && ! grep -qF "$keyline" <<<"$ev"'

ctl --json integration list --org "$oname" >"$SCRATCH/list.json"
is "$(jq -c '[.[] | [.id, .app_id, .installation_id, .app_key, .repositories]]' "$SCRATCH/list.json")" \
	"[[${integ:-0},\"4242\",\"$inst\",true,0]]" \
	"integration list --org shows the integration, that it holds a key, and no repositories"
absent "the list holds no part of the key" "$keyline" "$SCRATCH/list.json"

before=$(count)
must_fail "a file that is no PEM key is refused" ctl integration add github-app --org "$oname" \
	--app-id 4242 --installation-id $((inst + 1)) --private-key-file "$SCRATCH/junk.pem"
is "$(msg) $(count)" "lethectl: '$SCRATCH/junk.pem' holds no PEM RSA private key (unencrypted) $before" \
	"naming the file, and nothing is added"
must_fail "an EC key is refused" ctl integration add github-app --org "$oname" --app-id 4242 \
	--installation-id $((inst + 1)) --private-key-file "$SCRATCH/ec.pem"
must_fail "an installation registered already is refused" ctl integration add github-app \
	--org "$other_name" --app-id 4242 --installation-id "$inst" --private-key-file "$SCRATCH/app.pem"
is "$(msg) $(count)" "lethectl: GitHub App installation $inst is already registered $before" \
	"naming the installation, and nothing is added"
must_fail "an App id that is no number is refused" ctl integration add github-app --org "$oname" \
	--app-id x42 --installation-id $((inst + 1)) --private-key-file "$SCRATCH/app.pem"

# A repository attached to it, and to nothing else than its own org's.
ctl --json repo add --org "$oname" --provider github --name "acme/integ-$TAG" \
	--clone-url "https://example.invalid/integ.git" >"$SCRATCH/repo.json"
repo=$(jq -r .id "$SCRATCH/repo.json")
ctl --json repo set --integration "$integ" --report-mode check-run+comment "$repo" >"$SCRATCH/set.json"
is "$(sql -c "SELECT integration_id || ' ' || report_mode FROM lethe.repositories WHERE id = $repo") \
$(sql -c "SELECT details->>'integration' FROM lethe.audit_events WHERE action = 'repository updated'
	AND target = 'repository:$repo' ORDER BY id DESC LIMIT 1")" "$integ check-run+comment $integ" \
	"repo set --integration attaches the repository, audited"
hooksecret=$(openssl rand -hex 32)
(umask 077; printf '%s\n' "$hooksecret" >"$SCRATCH/hook.secret")
ctl --json integration add github-app --org "$other_name" --app-id 4242 \
	--installation-id $((inst + 2)) --private-key-file - --webhook-secret-file "$SCRATCH/hook.secret" \
	<"$SCRATCH/app.pem" >"$SCRATCH/other.json"
is "$(ctl --json integration list --org "$other_name" | jq -c '[.[] | [.app_key, .webhook_secret]]') \
$(sql -c "SELECT position(convert_to('$hooksecret', 'UTF8') IN webhook_secret_enc) = 0
	FROM lethe.integrations WHERE id = $(jq -r .id "$SCRATCH/other.json")")" "[[true,true]] t" \
	"a key from standard input and a webhook secret from its file, the secret sealed"
must_fail "another org's integration is refused" ctl repo set --integration \
	"$(jq -r .id "$SCRATCH/other.json")" "$repo"
is "$(msg) $(sql -c "SELECT integration_id FROM lethe.repositories WHERE id = $repo")" \
	"lethectl: no integration $(jq -r .id "$SCRATCH/other.json") of this repository's org and provider $integ" \
	"naming it, and the repository keeps its integration"

# Removing: refused while a repository uses it, done once none does.
must_fail "an integration in use is not removed" ctl integration remove "$integ"
is "$(msg) $(count)" "lethectl: integration $integ is used by 1 repositories ($repo): attach them \
elsewhere with lethectl repo set --integration, or remove them, first $((before + 1))" \
	"naming its repositories, and everything stays"
ctl repo set --integration none --report-mode status "$repo" >/dev/null
ctl --json integration remove "$integ" >"$SCRATCH/rm.json"
is "$(jq -c . "$SCRATCH/rm.json") $(sql -c "SELECT count(*) FROM lethe.integrations WHERE id = $integ")
$(sql -c "SELECT details::text FROM lethe.audit_events WHERE action = 'integration removed'
	AND target = 'integration:$integ'")" \
	'{"integrations":1,"repositories":0,"secrets":1} 0
{"secrets": 1, "integrations": 1, "repositories": 0}' \
	"once detached it is removed, the counts answered and audited"
must_fail "an unknown integration is not removed" ctl integration remove "$integ"
