#!/bin/bash
# lethe-secrets on a repository written here with secrets generated for this
# run: every rule fires on its planted secret and on none of the near misses
# (placeholders, test fixtures, lock files, low entropy, wrong shapes); no
# secret value appears in lethe-analyze's output; each secret carries its
# plain SHA-256 (lethe-scan keys it on the host: no key or salt enters the
# sandbox), the same in two files and two runs.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
AN=$TOP/bin/lethe-analyze
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/t5004.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

n=0
check() { n=$((n + 1)); if eval "$1"; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
if [ ! -x "$AN" ] || ! command -v jq >/dev/null || ! command -v openssl >/dev/null; then
	echo "1..0 # SKIP bin/lethe-analyze, jq or openssl missing"
	exit 0
fi
echo "1..10"

rnd() { LC_ALL=C tr -dc "$1" </dev/urandom | head -c "$2"; }
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
WS=$SCRATCH/ws
mkdir -p "$WS/src" "$WS/config" "$WS/tests" "$WS/deploy"
: >"$SCRATCH/secrets"	# every planted value, one a line, for the leak check
want=$SCRATCH/want
: >"$want"

# plant EXPECT RULE PATH SECRET LINE: append LINE to PATH; EXPECT "yes"
# adds "RULE PATH LINENO" to the expected set; SECRET is remembered.
plant() {
	mkdir -p "$(dirname "$WS/$3")"
	printf '%s\n' "$5" >>"$WS/$3"
	[ -n "$4" ] && printf '%s\n' "$4" >>"$SCRATCH/secrets"
	[ "$1" = yes ] && printf '%s\t%s\t%s\n' "$2" "$3" "$(wc -l <"$WS/$3")" >>"$want"
	true
}

AKIA=AKIA$(rnd 'A-Z0-9' 16)
AWSSEC=$(rnd 'A-Za-z0-9/+' 40)
GCP=AIza$(rnd 'A-Za-z0-9_-' 35)
GHP=ghp_$(rnd 'A-Za-z0-9' 36)
GLPAT=glpat-$(rnd 'A-Za-z0-9_-' 20)
ATBB=ATBB$(rnd 'A-Za-z0-9' 32)
XOXB=xoxb-$(rnd 0-9 12)-$(rnd 0-9 12)-$(rnd 'A-Za-z0-9' 24)
HOOK=https://hooks.slack.com/services/T$(rnd 'A-Z0-9' 8)/B$(rnd 'A-Z0-9' 8)/$(rnd 'A-Za-z0-9' 24)
STRIPE=sk_live_$(rnd 'A-Za-z0-9' 24)
JWT=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url).$(printf '{"sub":"%s"}' "$(rnd a-z 12)" | b64url).$(rnd 'A-Za-z0-9_-' 43)
DBPW=$(rnd 'A-Za-z0-9' 18)
GENERIC=$(rnd 'A-Za-z0-9' 20)

plant yes secrets/aws-access-key-id   src/settings.py "$AKIA" "AWS_ACCESS_KEY_ID = '$AKIA'"
plant yes secrets/aws-secret-access-key src/settings.py "$AWSSEC" "aws_secret_access_key = \"$AWSSEC\""
plant yes secrets/gcp-api-key          src/maps.js "$GCP" "const key = \"$GCP\";"
plant yes secrets/github-token         deploy/push.sh "$GHP" "git push https://x:$GHP@github.com/acme/app"
plant yes secrets/gitlab-token         config/ci.env "$GLPAT" "GITLAB=$GLPAT"
plant yes secrets/bitbucket-token      config/ci.env "$ATBB" "BITBUCKET=$ATBB"
plant yes secrets/slack-token          config/ci.env "$XOXB" "SLACK=$XOXB"
plant yes secrets/slack-webhook        src/notify.py "$HOOK" "WEBHOOK = '$HOOK'"
plant yes secrets/stripe-key           src/pay.rb "$STRIPE" "Stripe.api_key = '$STRIPE'"
plant yes secrets/jwt                  src/client.go "$JWT" "	auth := \"Bearer $JWT\""
plant yes secrets/database-url         config/app.yml "$DBPW" "url: postgres://app:$DBPW@db.internal:5432/app"
plant yes secrets/generic              config/app.yml "$GENERIC" "password: \"$GENERIC\""
plant yes secrets/generic              src/client.go "$GENERIC" "	apiToken := \"$GENERIC\""
openssl genpkey -algorithm ed25519 -out "$SCRATCH/key.pem" 2>/dev/null
plant yes secrets/private-key deploy/id_ed25519 "" "$(head -n1 "$SCRATCH/key.pem")"
sed -n '2,$p' "$SCRATCH/key.pem" >>"$WS/deploy/id_ed25519"
sed -n '2,$p' "$SCRATCH/key.pem" | grep -v -- ----- >>"$SCRATCH/secrets"

# The near misses.
plant no secrets/aws-access-key-id src/near.py "" "short = 'AKIA$(rnd 'A-Z0-9' 15)'"
plant no secrets/aws-access-key-id src/near.py "" "doc = 'AKIAIOSFODNN7EXAMPLE'"
plant no secrets/github-token      src/near.py "" "t = 'ghp_$(rnd 'A-Za-z0-9' 35)'"
plant no secrets/stripe-key        src/near.py "" "k = 'sk_test_$(rnd 'A-Za-z0-9' 24)'"
plant no secrets/jwt               src/near.py "" "j = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0'"
plant no secrets/database-url      src/near.py "" "db = 'postgres://app@db.internal/app'"
plant no secrets/database-url      src/near.py "" "db = 'postgres://app:\${DB_PASSWORD}@db.internal/app'"
plant no secrets/generic           src/near.py "" "password = 'changeme-please'"
plant no secrets/generic           src/near.py "" "password = 'aaaaaaaabbbbbbbb'"
plant no secrets/generic           src/near.py "" "password = os.environ['DB_PASSWORD']"
plant no secrets/generic           src/near.py "" "token = '<your token here>'"
plant no secrets/private-key       src/near.py "" "if line.startswith('-----BEGIN RSA PRIVATE KEY-----'):"
plant no secrets/private-key       src/near.py "" "    return parse_pem_block(lines, 'RSA PRIVATE KEY', maximum=4096)"
plant no secrets/github-token      tests/test_push.py "" "TOKEN = '$GHP'"
plant no secrets/generic           package-lock.json "" "\"integrity\": \"token=$(rnd 'A-Za-z0-9' 30)\""

OUT=$SCRATCH/out.sarif
"$AN" --workspace "$WS" --tool lethe-secrets >"$OUT" 2>"$SCRATCH/err"
rc=$?
check '[ $rc -eq 0 ] && jq -e ".runs[0].invocations[0].executionSuccessful" "$OUT" >/dev/null' \
	"lethe-secrets runs to completion"
jq -r '.runs[0].results[] | [.ruleId, .locations[0].physicalLocation.artifactLocation.uri,
	.locations[0].physicalLocation.region.startLine] | @tsv' "$OUT" | sort >"$SCRATCH/got"
sort -o "$want" "$want"
diff -u "$want" "$SCRATCH/got" >&2
rc=$?
check '[ $rc -eq 0 ]' "every rule fires on its planted secret and on no near miss"
check '[ "$(cut -f1 "$want" | sort -u | wc -l)" -eq 13 ]' "the table covers all thirteen rules"

leak=0
while read -r s; do
	[ -n "$s" ] && grep -qF -- "$s" "$OUT" "$SCRATCH/err" && { echo "# leaked a planted secret" >&2; leak=1; }
done <"$SCRATCH/secrets"
check '[ $leak -eq 0 ]' "no planted secret value appears in the output or on stderr"

D='.properties["lethe/secret-sha256"]'
check "jq -e '[.runs[0].results[] | $D | test(\"^[0-9a-f]{64}\$\")] | all' \"\$OUT\" >/dev/null &&
       jq -e '.runs[0].properties == null' \"\$OUT\" >/dev/null" \
	"each finding carries a secret digest, and the run names no salt"
gen=$(printf '%s' "$GENERIC" | sha256sum | cut -d' ' -f1)
digests=$(jq -r "[.runs[0].results[] | select(.ruleId == \"secrets/generic\") | $D] | unique | join(\" \")" "$OUT")
fps=$(jq -r '[.runs[0].results[] | select(.ruleId == "secrets/generic") | .partialFingerprints["lethe/v1"]] | unique | length' "$OUT")
check '[ "$digests" = "$gen" ] && [ "$fps" = 2 ]' \
	"the same secret in two files has one digest, its plain SHA-256, and two fingerprints"

"$AN" --workspace "$WS" --tool lethe-secrets >"$SCRATCH/again"
h() { jq -r "[.runs[0].results[] | $D] | join(\" \")" "$1"; }
check '[ "$(h "$SCRATCH/again")" = "$(h "$OUT")" ]' "a second run gives the same digests"
printf 'k%.0s' $(seq 48) >"$SCRATCH/salt"
"$AN" --workspace "$WS" --tool lethe-secrets --salt-fd 3 3<"$SCRATCH/salt" >/dev/null 2>&1
rc=$?
check '[ $rc -ne 0 ]' "no key or salt is taken in: --salt-fd is refused"
check '! grep -q "salt" "$OUT"' "the output says nothing of a salt"

"$TOP/build/tests/sarif_test" --parse "$OUT" >"$SCRATCH/reparsed" 2>/dev/null
check '[ "$(h "$SCRATCH/reparsed")" = "$(h "$OUT")" ]' \
	"lib/sarif carries the secret digests through"
