#!/bin/bash
# delivery_record_many(), lethe-hook's group commit, as lethe-hook calls it:
# every delivery of a batch gets the outcome it would have had alone.  A
# delivery id seen before, or twice in one batch, is a duplicate (no row);
# deliveries of one commit share one job, the first queueing it and the
# others absorbed; a pull request's job is its own; a queued job absorbs
# later batches but a claimed one does not; a batch the database refuses
# writes nothing.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/lib.sh"
need_stack

plan 9
# The stack's jobs loop would claim the queued jobs these batches absorb into.
pause_jobs
org=t3003$$
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
read -r org_id repo_id < <(sql <<-SQL
	WITH o AS (INSERT INTO lethe.orgs (name) VALUES ('$org') RETURNING id),
	r AS (INSERT INTO lethe.repositories (org_id, provider, full_name, clone_url, hook_id)
	      SELECT id, 'github', '$org/app', 'https://example.invalid/$org/app.git',
	             'hook_${org}_aaaaaaaaaaaaaaaaaaaaa' FROM o RETURNING id, org_id)
	SELECT org_id || ' ' || id FROM r;
	SQL
)
on_exit "sql -c \"DELETE FROM lethe.orgs WHERE id = $org_id\""
sha_a=$(printf a%.0s {1..40}) sha_b=$(printf b%.0s {1..40})

# batch ENTRY... where ENTRY is DELIVERY:SHA:PR:KIND (KIND scan or ping):
# prints "position outcome job" per recorded delivery, the job named by its
# commit's first letter, its pull request and which job of that commit and
# pull request it is: a7.1 is the first job of commit aaa... in PR 7.
batch() {
	local e json=() d sha pr kind
	for e in "$@"; do
		IFS=: read -r d sha pr kind <<<"$e"
		json+=("$(jq -nc --argjson org "$org_id" --argjson repo "$repo_id" --arg d "$d" \
		    --arg sha "$sha" --arg pr "$pr" --arg kind "$kind" \
		    '{org: $org, repo: $repo, provider: "github", delivery: $d,
		      event: (if $kind == "scan" then "push" else "ping" end), action: null,
		      scan: ($kind == "scan"), outcome: (if $kind == "scan" then "queued" else "recorded" end),
		      ref: "refs/heads/main", branch: "main", sha: $sha,
		      pr: (if $pr == "" then null else ($pr | tonumber) end), spooled: false,
		      received_usec: null}')")
	done
	sql -c "BEGIN; SET LOCAL ROLE lethe_hook;
		SELECT r.idx || ' ' || r.outcome || ' ' || coalesce(r.job_id::text, '-')
		FROM lethe.delivery_record_many('$(printf '%s\n' "${json[@]}" | jq -sc .)') AS r ORDER BY r.idx;
		COMMIT;" >"$SCRATCH/batch" || return
	sql -c "SELECT 's/ ' || id || '$/ ' || left(commit_sha, 1) || coalesce(pr_number::text, '') || '.'
		|| row_number() OVER (PARTITION BY commit_sha, pr_number ORDER BY id) || '/'
		FROM lethe.jobs WHERE repository_id = $repo_id" >"$SCRATCH/jobs.sed"
	grep -v '^SET$' "$SCRATCH/batch" | sed -f "$SCRATCH/jobs.sed" | paste -sd, -
}

is "$(batch d1:"$sha_a"::scan d2:"$sha_a"::scan p1:"$sha_a"::ping d1:"$sha_a"::scan d3:"$sha_a":7:scan d4:"$sha_b"::scan)" \
    "1 queued a.1,2 absorbed a.1,3 recorded -,5 queued a7.1,6 queued b.1" \
    "one batch: one job per commit and pull request, the rest absorbed, the repeated id a duplicate"
is "$(sql -c "SELECT left(commit_sha, 1) || coalesce(pr_number::text, '') || ' ' || deliveries
	FROM lethe.jobs WHERE repository_id = $repo_id ORDER BY 1" | paste -sd, -)" "a 2,a7 1,b 1" \
    "each job counts the deliveries it carries"
is "$(sql -c "SELECT delivery_id || ' ' || outcome || ' ' || (job_id IS NOT NULL) FROM lethe.deliveries
	WHERE repository_id = $repo_id ORDER BY delivery_id" | paste -sd, -)" \
    "d1 queued true,d2 absorbed true,d3 queued true,d4 queued true,p1 recorded false" \
    "one delivery row each, linked to its job"

is "$(batch d1:"$sha_a"::scan d5:"$sha_a"::scan d6:"$sha_b"::scan)" "2 absorbed a.1,3 absorbed b.1" \
    "a later batch: the stored id is a duplicate, the queued jobs absorb the rest"
is "$(sql -c "SELECT left(commit_sha, 1) || coalesce(pr_number::text, '') || ' ' || deliveries
	FROM lethe.jobs WHERE repository_id = $repo_id ORDER BY 1" | paste -sd, -)" "a 3,a7 1,b 2" \
    "and count them"

sql -c "UPDATE lethe.jobs SET state = 'running' WHERE repository_id = $repo_id AND commit_sha = '$sha_a' AND pr_number IS NULL"
is "$(batch d7:"$sha_a"::scan d8:"$sha_a"::scan)" "1 queued a.2,2 absorbed a.2" \
    "a claimed job absorbs nothing: the commit is queued again"

before=$(sql -c "SELECT (SELECT count(*) FROM lethe.deliveries WHERE repository_id = $repo_id) || '/' ||
	(SELECT sum(deliveries) FROM lethe.jobs WHERE repository_id = $repo_id)")
must_fail "a batch with a malformed commit is refused" --says "violates check constraint .(deliveries|jobs)_commit_sha_check" batch d9:"$sha_b"::scan d10:not-a-sha::scan
is "$(sql -c "SELECT (SELECT count(*) FROM lethe.deliveries WHERE repository_id = $repo_id) || '/' ||
	(SELECT sum(deliveries) FROM lethe.jobs WHERE repository_id = $repo_id)")" "$before" \
    "and writes nothing, not even its valid deliveries"
is "$(batch d9:"$sha_b"::scan)" "1 absorbed b.1" "its valid delivery is recorded when sent again"
