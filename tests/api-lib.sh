# shellcheck shell=bash
# tests/api-lib.sh: sourced by the tests/t4*-api-*.sh after lib.sh.
#
#   api_need                      skip unless the stack, lethectl and lethe-api answer
#   api_org NAME                  create an org with lethectl; prints its id
#   api_user ORG EMAIL ROLE PW    add a user with lethectl (password on stdin)
#   api_login EMAIL PW            log in; prints the whole JSON answer (in $( ),
#                                 $STATUS and $BODY stay in the subshell)
#   req METHOD PATH TOKEN [BODY]  one request through nginx: $STATUS, $BODY
#                                 (TOKEN "-" sends no Authorization header)
#   api_scanned_repo PROVIDER NAME  an org with an admin a@$TAG.test, logged in,
#                                 and a repository NAME with a fixture scan; sets
#                                 pw, org, at (the admin's access token), repo and
#                                 scan, so not in $( )
# Tokens and passwords go to curl through files, never argv.

api_need() {
	need_stack
	[ -x "$TOP/bin/lethectl" ] || skip_all "lethectl not built"
	[ -x "$TOP/bin/lethe-api" ] || skip_all "lethe-api not built"
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$LETHE_URL/api/v1/health")" = 200 ] ||
		skip_all "lethe-api not healthy behind nginx (migrated? master key?)"
	TAG=t$$$RANDOM
}

api_org() {
	"$TOP/bin/lethectl" --json org create "$1" | jq -r .id
}

api_user() {
	printf '%s\n' "$4" | "$TOP/bin/lethectl" --json user add --org "$1" --email "$2" --role "$3" |
		jq -r .id
}

req() { # METHOD PATH TOKEN [BODY]
	local hdr=$SCRATCH/req.hdr
	: >"$hdr"
	[ "$3" = - ] || printf 'Authorization: Bearer %s\n' "$3" >"$hdr"
	if [ $# -ge 4 ]; then
		printf '%s' "$4" >"$SCRATCH/req.body"
		STATUS=$(curl -s -o "$SCRATCH/resp" -w '%{http_code}' -X "$1" -H @"$hdr" \
		    -H 'Content-Type: application/json' --data-binary @"$SCRATCH/req.body" "$LETHE_URL$2")
	else
		STATUS=$(curl -s -o "$SCRATCH/resp" -w '%{http_code}' -X "$1" -H @"$hdr" "$LETHE_URL$2")
	fi
	BODY=$(cat "$SCRATCH/resp")
}

api_login() { # EMAIL PW
	req POST /api/v1/auth/login - "$(jq -nc --arg e "$1" --arg p "$2" '{email: $e, password: $p}')"
	echo "$BODY"
}

# Superuser SQL for fixtures (rows a scan would write) and for checks.
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# A scanned-looking repository: scan, tool run, findings, facts.  Fixture
# rows, written as lethe-scan would write them.  Prints the scan id.
api_fixture_scan() { # ORG_ID REPO_ID
	sql <<-SQL
	WITH j AS (INSERT INTO lethe.jobs (org_id, repository_id, commit_sha, state)
	      VALUES ($1, $2, 'abcdef1234567', 'done') RETURNING id),
	s AS (INSERT INTO lethe.scans (org_id, repository_id, job_id, commit_sha, branch, state, finished_at)
	      SELECT $1, $2, id, 'abcdef1234567', 'main', 'complete', now() FROM j RETURNING id),
	t AS (INSERT INTO lethe.scan_tools (org_id, scan_id, tool, version, status, result_count)
	      SELECT $1, id, 'flawfinder', '2.0.19', 'complete', 2 FROM s RETURNING scan_id),
	f AS (INSERT INTO lethe.findings (org_id, repository_id, branch, fingerprint, tool, rule_id, level,
	      path, start_line, message, cwe, first_scan_id, last_scan_id)
	      SELECT $1, $2, 'main', fp, 'flawfinder', rule, lvl, 'src/a.c', line, msg, 'CWE-120', s.id, s.id
	      FROM s, (VALUES ('1111111111111111aaaa', 'FF1001', 'error', 10, 'strcpy does not check bounds'),
	                      ('2222222222222222bbbb', 'FF1002', 'warning', 20, 'sprintf may overflow'))
	           AS v(fp, rule, lvl, line, msg) RETURNING id, first_scan_id),
	sf AS (INSERT INTO lethe.scan_findings (scan_id, finding_id, org_id, start_line)
	      SELECT first_scan_id, id, $1, NULL FROM f RETURNING 1),
	d AS (INSERT INTO lethe.dependencies (org_id, repository_id, scan_id, ecosystem, name, version, direct, manifest_path)
	      SELECT $1, $2, id, 'pypi', 'requests', '2.31.0', true, 'requirements.txt' FROM s RETURNING 1),
	w AS (INSERT INTO lethe.workflow_facts (org_id, repository_id, scan_id, system, path, workflow, job, kind, value, pinning)
	      SELECT $1, $2, id, 'github-actions', '.github/workflows/ci.yml', 'ci', 'build', 'action',
	             'actions/checkout@v4', 'tag' FROM s RETURNING 1),
	dl AS (INSERT INTO lethe.deliveries (org_id, repository_id, provider, delivery_id, event, outcome, job_id)
	      SELECT $1, $2, 'github', 'd-' || id, 'push', 'queued', id FROM j RETURNING 1)
	SELECT id FROM s, (SELECT count(*) FROM t) a, (SELECT count(*) FROM sf) b, (SELECT count(*) FROM d) c,
	       (SELECT count(*) FROM w) e, (SELECT count(*) FROM dl) g;
	SQL
}

# Sets pw, org, at, repo, scan (see the top).  The hook id is NAME's last part
# and $TAG, padded with a's to stay unique and valid.
# shellcheck disable=SC2034 # the test reads what is set here
api_scanned_repo() { # PROVIDER NAME
	local base=${2##*/} pad=aaaaaaaaaaaaaaaaaaaaaaa
	pw=$(openssl rand -hex 12)
	org=$(api_org "${TAG}a")
	api_user "$org" "a@$TAG.test" admin "$pw" >/dev/null
	at=$(api_login "a@$TAG.test" "$pw" | jq -r .access_token)
	repo=$(sql -c "INSERT INTO lethe.repositories (org_id, provider, full_name, clone_url, hook_id)
		VALUES ($org, '$1', '$2', 'https://example.invalid/$2.git', '$base$TAG${pad:${#base}}') RETURNING id")
	scan=$(api_fixture_scan "$org" "$repo")
}
