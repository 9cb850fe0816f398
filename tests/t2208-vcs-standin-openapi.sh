#!/bin/bash
# The stand-in GitHub's judge (tests/vcs_openapi.py) refuses what
# api.github.com's published description refuses, as GitHub answers it, and
# accepts the bodies Lethe sends: without this, a stand-in that accepted
# everything would pass t2201-t2207.
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import jsonschema' 2>/dev/null ||
	skip_all "the stand-in needs /usr/bin/python3 and python3-jsonschema"
desc=$TOP/build/tools/github-openapi/api.github.com.json
[ -s "$desc" ] || skip_all "GitHub's OpenAPI description is missing (scripts/deps fetches it)"
plan 10

# judge METHOD PATH BODY: "operationId status" (status 422 or ok), or "none"
judge() {
	PYTHONPATH=$TOP/tests /usr/bin/python3 - "$desc" "$1" "$2" "$3" <<'PY'
import json, sys
from vcs_openapi import GitHubOpenAPI
oid, err = GitHubOpenAPI(sys.argv[1]).check(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]))
print("none" if oid is None else "%s %s" % (oid, err["status"] if err else "ok"))
if err:
    print(err["message"].splitlines()[-1], file=sys.stderr)
PY
}
sha=0123456789abcdef0123456789abcdef01234567
ann='{"path":"a.c","start_line":1,"end_line":1,"annotation_level":"warning","message":"m"}'
is "$(judge POST /repos/a/b/check-runs '{"name":"Lethe","head_sha":"'$sha'","status":"in_progress"}')" \
	"checks/create ok" "a check run as Lethe creates it is valid"
is "$(judge PATCH /repos/a/b/check-runs/5 '{"output":{"title":"t","summary":"s","annotations":['"$ann"']}}')" \
	"checks/update ok" "an update with annotations is valid"
is "$(judge PATCH /repos/a/b/check-runs/5 '{"output":{"title":"t","summary":"s","annotations":['"${ann/warning/error}"']}}' 2>/dev/null)" \
	"checks/update 422" "an annotation level GitHub does not know is refused"
is "$(judge PATCH /repos/a/b/check-runs/5 '{"output":{"title":"t","annotations":[]}}' 2>/dev/null)" \
	"checks/update 422" "an output without its summary is refused"
is "$(judge POST /repos/a/b/statuses/$sha '{"state":"passed"}' 2>/dev/null)" \
	"repos/create-commit-status 422" "a status state GitHub does not know is refused"
is "$(judge POST /repos/a/b/issues/7/comments '{"body":["x"]}' 2>/dev/null)" \
	"issues/create-comment 422" "a comment whose body is not a string is refused"
is "$(judge POST /app/installations/5/access_tokens '{"repositories":"app"}' 2>/dev/null)" \
	"apps/create-installation-access-token 422" "a token request naming repositories wrongly is refused"
is "$(judge POST /repos/a/b/pulls '{"title":"Fix","head":"lethe/fix-1-1","base":"main","body":"b"}')" \
	"pulls/create ok" "a pull request as Lethe opens a fix's is valid"
is "$(judge POST /repos/a/b/pulls '{"title":"Fix","head":["lethe/fix-1-1"],"base":"main"}' 2>/dev/null)" \
	"pulls/create 422" "a pull request whose head is not a string is refused"
is "$(judge GET /repos/a/b/no-such-thing '{}')" none "an operation GitHub does not describe is not found"
