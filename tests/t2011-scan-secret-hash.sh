#!/bin/bash
# The hash stored with a leaked secret, end to end on the stack: secrets made
# up now are planted in fixture repositories of two orgs and scanned in the
# sandbox.  Within an org the same secret has one hash in two files, two
# repositories and two scans; another org stores another hash; the hash is
# neither the secret's plain SHA-256 (which the sandbox reports) nor its HMAC
# under the old public test salt; it survives an org key rotation and a
# master key rotation; when the key does not open the findings are stored
# without a hash; and neither the secrets nor their plain SHA-256 are in
# pg_dump or the logs.
. "$(dirname "$0")/lib.sh"
need_stack
. "$TOP/tests/scan-lib.sh"
scan_need
plan 13
pause_jobs

rnd() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c "$1"; }
sha256() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
# The old salt, 31 characters and a NUL, was the HMAC key itself.
test_salt=$(printf 'lethe test salt, not a secret!!' | od -An -tx1 | tr -d ' \n')00
salted() { printf '%s' "$1" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$test_salt" | sed 's/.*= //'; }
command -v openssl >/dev/null || skip_all "openssl missing"

pw=$(rnd 24)
ghp=ghp_$(rnd 36)
src=$SCRATCH/src
mkdir -p "$src/app" "$src/config"
printf 'db_password = "%s"\nGITHUB_TOKEN = "%s"\n' "$pw" "$ghp" >"$src/app/settings.py"
printf 'database:\n  password: "%s"\n' "$pw" >"$src/config/app.yml"

# repo VAR ORG NAME: a repository of ORG holding the fixture, its id in VAR
# (not in a command substitution: on_exit must run in the test's shell).
repo() {
	local url
	url=$(git_repo_create "$3" "$src") || return 1
	on_exit "rm -rf '$LETHE_GIT_ROOT/$3.git'"
	printf -v "$1" '%s' "$(scan_repo "$2" "$3" "$url")"
}
# scan REPO: one scan of its main branch; prints the job's state.
scan() {
	local sha job
	sha=$(git -C "$LETHE_GIT_ROOT/$(q "SELECT split_part(full_name, '/', 2) FROM lethe.repositories
		WHERE id = ${1:-0}").git" rev-parse main)
	job=$(scan_job "$1" "$sha")
	scan_until_done "$job"
	q "SELECT state FROM lethe.jobs WHERE id = ${job:-0}"
}
# hashes REPO RULE: the stored hashes of RULE's findings, one a line, by path.
hashes() {
	q "SELECT coalesce(properties->>'secret_hash', 'none') FROM lethe.findings
	   WHERE repository_id = ${1:-0} AND rule_id = '$2' ORDER BY path"
}

scan_org shash-a
org_a=$ORG
scan_org shash-b
org_b=$ORG
a1= a2= b1=
repo a1 "$org_a" "shash-a1-$$"
repo a2 "$org_a" "shash-a2-$$"
repo b1 "$org_b" "shash-b1-$$"
is "$(scan "$a1") $(scan "$a2") $(scan "$b1")" "done done done" "the three scans are done"

first=$(hashes "$a1" secrets/generic)
h=$(printf '%s\n' "$first" | head -n1)
ok "the same secret in two files of a repository has one stored hash" \
	test "$(printf '%s\n' "$first" | sort -u)" = "$h" -a "$(printf '%s\n' "$first" | wc -l)" = 2 \
	-a "${#h}" = 64
is "$(hashes "$a2" secrets/generic | sort -u)" "$h" "another repository of the org stores the same hash"
hb=$(hashes "$b1" secrets/generic | sort -u)
ok "another org stores another hash for the same secret" test "${#hb}" = 64 -a "$hb" != "$h"
ok "the hash is neither the plain SHA-256 nor the HMAC under the old test salt" \
	test "$h" != "$(sha256 "$pw")" -a "$h" != "$(salted "$pw")" -a "$h" != "$(salted "$(sha256 "$pw")")"
# lethe-analyze's fingerprint of a secret hashes its plain SHA-256 (an-result.c).
sandbox_fp=$(printf 'lethe/v1\0lethe-secrets\0secrets/generic\0app/settings.py\0%s\0' \
	"$(sha256 "$pw")" | sha256sum | cut -d' ' -f1)
is "$(q "SELECT count(*) FROM lethe.findings WHERE repository_id = ${a1:-0}
	AND path = 'app/settings.py' AND rule_id = 'secrets/generic' AND fingerprint <> '$sandbox_fp'")" 1 \
	"the stored fingerprint is not the sandbox's, which the plain SHA-256 gives away"
gh=$(hashes "$a1" secrets/github-token)
ok "another secret has another hash" test "${#gh}" = 64 -a "$gh" != "$h"

is "$(scan "$a1") $(hashes "$a1" secrets/generic | sort -u)" "done $h" \
	"a second scan of the repository stores the same hash"

"$TOP/bin/lethectl" keys rotate-org "$org_a" >/dev/null 2>"$SCRATCH/rotate.err"
is "$(q "SELECT count(*) || ' ' || (SELECT encode(substring(s.key_enc from 1 for 4), 'hex')
	FROM lethe.secret_hash_keys s WHERE s.org_id = o.id) FROM lethe.org_keys k
	JOIN lethe.orgs o ON o.id = k.org_id WHERE o.name = '$org_a' GROUP BY o.id")" "2 00000002" \
	"the org key is rotated, and the secret hash key re-sealed under its new version"
is "$(scan "$a2") $(hashes "$a2" secrets/generic | sort -u)" "done $h" \
	"after the org key rotation a scan stores the same hash"
"$TOP/bin/lethectl" keys rotate-master >/dev/null 2>>"$SCRATCH/rotate.err"
is "$(scan "$a1") $(hashes "$a1" secrets/generic | sort -u)" "done $h" \
	"after a master key rotation a scan stores the same hash"

# A key that does not open (org B's sealed key copied over org A's): the
# findings are stored without a hash, never with the plain digest, and the
# scan says so.
q "UPDATE lethe.secret_hash_keys SET key_enc = (SELECT s.key_enc FROM lethe.secret_hash_keys s
	JOIN lethe.orgs o ON o.id = s.org_id WHERE o.name = '$org_b')
	WHERE org_id = (SELECT id FROM lethe.orgs WHERE name = '$org_a')" >/dev/null
: >"$SCRATCH/scan.log"
is "$(scan "$a1") $(q "SELECT string_agg(coalesce(properties->>'secret_hash', 'none'), ' ')
	FROM lethe.findings WHERE repository_id = ${a1:-0} AND state = 'open' AND tool = 'lethe-secrets'
	AND fingerprint <> '$sandbox_fp'") $(grep -c 'stored without a hash' "$SCRATCH/scan.log")" \
	"done none none none 1" \
	"when the org's key does not open, secrets are stored without a hash and the scan warns"

pg_dump -U postgres lethe >"$SCRATCH/dump.sql"
where=
for s in "$pw" "$ghp" "$(sha256 "$pw")" "$(sha256 "$ghp")" "$sandbox_fp"; do
	for f in "$SCRATCH/dump.sql" "$LETHE_RUN/log" "$SCRATCH/scan.log" "$SCRATCH/rotate.err"; do
		grep -rqaF -e "$s" "$f" 2>/dev/null && where="$where $f"
	done
done
is "$where" "" "neither the secrets, their plain SHA-256 nor fingerprints from it are in pg_dump or the logs"
