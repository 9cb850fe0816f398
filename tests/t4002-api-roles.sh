#!/bin/bash
# Every route of `lethe-api --routes`, called by every role (and by nobody)
# of two orgs: below the route's role the answer is 403 (401 without a
# token), at or above it the call succeeds.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/api-lib.sh
. "$(dirname "$0")/api-lib.sh"
api_need
SEAL=$TOP/build/tests/helpers/fix-seal
[ -x "$SEAL" ] || skip_all "$SEAL not built"
printf -- '--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x\n+y\n' >"$SCRATCH/patch"
mapfile -t routes < <("$TOP/bin/lethe-api" --routes)
plan $((${#routes[@]} * 4 * 2))

pw=$(openssl rand -hex 12)
rank() { case $1 in none) echo 0 ;; member) echo 1 ;; admin) echo 2 ;; owner) echo 3 ;; esac; }

# Objects the {id} of a route names, fresh where the call would use them up.
fresh_repo() { # ORG
	sql -c "INSERT INTO lethe.repositories (org_id, provider, full_name, clone_url, hook_id)
	        VALUES ($1, 'github', 'walk/r$RANDOM$RANDOM', 'https://example.invalid/r.git',
	                'walk$RANDOM${RANDOM}aaaaaaaaaaaaaaaaaaaa') RETURNING id"
}
fresh_finding() { # ORG REPO: last seen by walk_org's scan, so that a fix can be asked for
	sql -c "INSERT INTO lethe.findings (org_id, repository_id, branch, fingerprint, tool, rule_id,
	        level, path, message, last_scan_id) VALUES ($1, $2, 'main', md5(random()::text),
	        'bandit', 'B602', 'error', 'a.py', 'walk', $scan) RETURNING id"
}
fresh_fix() { # ORG REPO
	sql -c "INSERT INTO lethe.fixes (org_id, finding_id) VALUES ($1, $(fresh_finding "$1" "$2"))
	        RETURNING id"
}
fresh_proposed() { # ORG REPO: a proposed fix with a sealed patch and its fix job, to approve
	local fix
	fix=$(fresh_fix "$1" "$2")
	sql -c "UPDATE lethe.fixes SET state = 'proposed' WHERE id = $fix;
	        INSERT INTO lethe.jobs (org_id, repository_id, kind, commit_sha, fix_id)
	        VALUES ($1, $2, 'fix', 'abcdef1234567', $fix)" >/dev/null
	"$SEAL" seal "$1" "$fix" "$SCRATCH/patch" >/dev/null && echo "$fix"
}
fresh_key() { # ORG
	sql -c "INSERT INTO lethe.api_keys (org_id, name, prefix, key_hash, role)
	        VALUES ($1, 'walk', 'lethe_walk', sha256(random()::text::bytea), 'member') RETURNING id"
}

walk_org() { # ORG_NAME
	local org repo scan finding victim role tok r m path need id body want rc
	org=$(api_org "$1")
	on_exit "sql -c 'DELETE FROM lethe.orgs WHERE id = $org' >/dev/null"	# its fix jobs too
	for role in owner admin member; do
		api_user "$org" "$role@$1.test" "$role" "$pw" >/dev/null
	done
	victim=$(api_user "$org" "victim@$1.test" member "$pw")
	repo=$(fresh_repo "$org")
	scan=$(api_fixture_scan "$org" "$repo")
	finding=$(sql -c "SELECT min(finding_id) FROM lethe.scan_findings WHERE scan_id = $scan")
	for role in none member admin owner; do
		tok=-
		[ $role = none ] || tok=$(api_login "$role@$1.test" "$pw" | jq -r .access_token)
		for r in "${routes[@]}"; do
			read -r m path need _ <<<"$r"
			case $path in
			/api/v1/repositories/*) id=$repo ;;
			/api/v1/scans/*) id=$scan ;;
			/api/v1/findings/*) id=$finding ;;
			/api/v1/users/*) id=$victim ;;
			/api/v1/api-keys/*) id=$(fresh_key "$org") ;;
			/api/v1/fixes/*) id=$(fresh_fix "$org" "$repo") ;;
			esac
			[ "$m $path" = "POST /api/v1/findings/{id}/fix" ] && id=$(fresh_finding "$org" "$repo")
			[ "$m $path" = "POST /api/v1/fixes/{id}/approve" ] && id=$(fresh_proposed "$org" "$repo")
			[ "$m $path" = "DELETE /api/v1/repositories/{id}" ] && id=$(fresh_repo "$org")
			path=${path//\{id\}/$id}
			case "$m $path" in
			"POST /api/v1/repositories") body="{\"provider\":\"gitea\",\"full_name\":\"walk/n$RANDOM$RANDOM\",\"clone_url\":\"https://example.invalid/n.git\"}" ;;
			"PUT /api/v1/findings/"*) body='{"state":"suppressed","reason":"walk"}' ;;
			"POST /api/v1/users") body="{\"email\":\"new$RANDOM$RANDOM@$1.test\",\"password\":\"$pw\",\"role\":\"member\"}" ;;
			"PATCH /api/v1/users/"*) body='{"role":"member"}' ;;
			"PATCH /api/v1/repositories/"*) body='{"default_branch":"walk"}' ;;
			"POST /api/v1/api-keys") body='{"name":"walk","role":"member"}' ;;
			POST*) body='{}' ;;
			*) body= ;;
			esac
			if [ -n "$body" ]; then req "$m" "$path" "$tok" "$body"; else req "$m" "$path" "$tok"; fi
			if [ "$need" = none ]; then
				want="not 401/403/5xx"
				[[ $STATUS != 401 && $STATUS != 403 && $STATUS != 5* ]]
			elif [ "$(rank $role)" -lt "$(rank "$need")" ]; then
				want=$([ $role = none ] && echo 401 || echo 403)
				[ "$STATUS" = "$want" ] && [ -n "$(jq -r .error <<<"$BODY")" ]
			else
				want=2xx
				[[ $STATUS = 2* ]]
			fi
			rc=$?
			_tap_result $rc "$1 $role: $m ${r#* } -> $STATUS (want $want)"
			[ $rc = 0 ] || diag "$BODY"
		done
	done
}
walk_org "${TAG}a"
walk_org "${TAG}b"
