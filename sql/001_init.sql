-- 001_init.sql - Lethe's schema.
--
-- Applied by `lethectl migrate` as lethe_owner, in one transaction.  Every
-- org-scoped table carries org_id and has row-level security enabled and
-- forced; the API's role sees only the org named by the transaction-local
-- setting lethe.org_id.  Everything about a repository goes with it
-- (ON DELETE CASCADE), except the audit log, which nothing can change.

-- Roles.  lethe_owner creates them (it has CREATEROLE); each program logs in
-- as its own role and is granted only what it needs (see the end).
DO $$
DECLARE r text;
BEGIN
	FOREACH r IN ARRAY ARRAY['lethe_admin', 'lethe_hook', 'lethe_api', 'lethe_jobs'] LOOP
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
			EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE', r);
		END IF;
	END LOOP;
END $$;

-- lethectl migrate has created schema lethe and lethe.schema_migrations.
REVOKE ALL ON SCHEMA lethe FROM PUBLIC;
GRANT USAGE ON SCHEMA lethe TO lethe_admin, lethe_hook, lethe_api, lethe_jobs;
ALTER ROLE lethe_admin SET search_path = lethe;
ALTER ROLE lethe_hook SET search_path = lethe;
ALTER ROLE lethe_api SET search_path = lethe;
ALTER ROLE lethe_jobs SET search_path = lethe;
SET LOCAL search_path = lethe;

-- The org the API's transaction acts for; NULL outside the API.
CREATE FUNCTION current_org() RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('lethe.org_id', true), '')::bigint $$;

CREATE TABLE orgs (
	id          bigserial PRIMARY KEY,
	name        text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
	created_at  timestamptz NOT NULL DEFAULT now()
);

-- Org data keys, each wrapped (AES-256-GCM) under a version of the master
-- key.  One active version per org; older versions are kept only while
-- secrets still use them (rotation re-encrypts, then retires).
CREATE TABLE org_keys (
	org_id          bigint NOT NULL REFERENCES orgs ON DELETE CASCADE,
	version         integer NOT NULL CHECK (version > 0),
	master_version  integer NOT NULL CHECK (master_version > 0),
	wrapped         bytea NOT NULL,
	created_at      timestamptz NOT NULL DEFAULT now(),
	retired_at      timestamptz,
	PRIMARY KEY (org_id, version)
);
CREATE UNIQUE INDEX org_keys_one_active ON org_keys (org_id) WHERE retired_at IS NULL;

CREATE TABLE users (
	id             bigserial PRIMARY KEY,
	org_id         bigint NOT NULL REFERENCES orgs ON DELETE CASCADE,
	email          text NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email LIKE '%_@_%'),
	password_hash  text NOT NULL,
	role           text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
	created_at     timestamptz NOT NULL DEFAULT now(),
	disabled_at    timestamptz
);
CREATE UNIQUE INDEX users_email ON users (lower(email));
CREATE INDEX users_org ON users (org_id);

CREATE TABLE api_keys (
	id          bigserial PRIMARY KEY,
	org_id      bigint NOT NULL REFERENCES orgs ON DELETE CASCADE,
	created_by  bigint REFERENCES users ON DELETE SET NULL,
	name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	prefix      text NOT NULL,		-- first characters, for listing
	key_hash    bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),	-- SHA-256
	role        text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
	ephemeral   boolean NOT NULL DEFAULT false,
	created_at  timestamptz NOT NULL DEFAULT now(),
	expires_at  timestamptz,
	revoked_at  timestamptz,
	last_used_at timestamptz,
	CHECK (NOT ephemeral OR (expires_at IS NOT NULL AND expires_at <= created_at + interval '72 hours'))
);
CREATE INDEX api_keys_org ON api_keys (org_id);

-- Refresh tokens: single use; a family is one login's chain of rotations.
CREATE TABLE refresh_tokens (
	id          bigserial PRIMARY KEY,
	org_id      bigint NOT NULL REFERENCES orgs ON DELETE CASCADE,
	user_id     bigint NOT NULL REFERENCES users ON DELETE CASCADE,
	family      bigint NOT NULL,
	token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	created_at  timestamptz NOT NULL DEFAULT now(),
	expires_at  timestamptz NOT NULL,
	used_at     timestamptz,
	revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);

-- A connection to a VCS: a GitHub App installation, or a token-based
-- integration for GitLab, Bitbucket or Gitea.  Secrets are encrypted under
-- the org key with the table, column and row as associated data.
CREATE TABLE integrations (
	id               bigserial PRIMARY KEY,
	org_id           bigint NOT NULL REFERENCES orgs ON DELETE CASCADE,
	provider         text NOT NULL CHECK (provider IN ('github', 'gitlab', 'bitbucket', 'bitbucket-dc', 'gitea')),
	kind             text NOT NULL CHECK (kind IN ('github-app', 'token')),
	api_url          text,
	app_id           text,
	installation_id  text,
	app_key_enc      bytea,	-- GitHub App private key
	token_enc        bytea,	-- read-only token (clone)
	report_token_enc bytea,	-- reporting token
	webhook_secret_enc bytea,	-- app-level webhook secret
	created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX integrations_org ON integrations (org_id);
CREATE UNIQUE INDEX integrations_installation ON integrations (provider, installation_id)
	WHERE installation_id IS NOT NULL;

CREATE TABLE repositories (
	id                 bigserial PRIMARY KEY,
	org_id             bigint NOT NULL REFERENCES orgs ON DELETE CASCADE,
	integration_id     bigint REFERENCES integrations ON DELETE CASCADE,
	provider           text NOT NULL CHECK (provider IN ('github', 'gitlab', 'bitbucket', 'bitbucket-dc', 'gitea')),
	full_name          text NOT NULL CHECK (length(full_name) BETWEEN 3 AND 255 AND full_name LIKE '%_/_%'),
	clone_url          text NOT NULL CHECK (clone_url ~ '^https?://'),
	api_url            text,
	external_id        text,
	default_branch     text NOT NULL DEFAULT 'main',
	hook_id            text NOT NULL UNIQUE CHECK (hook_id ~ '^[A-Za-z0-9_-]{22,64}$'),
	webhook_secret_enc bytea,
	clone_token_enc    bytea,
	report_token_enc   bytea,
	report_mode        text NOT NULL DEFAULT 'status' CHECK (report_mode IN ('none', 'status', 'check-run', 'comment', 'check-run+comment', 'status+comment')),
	created_at         timestamptz NOT NULL DEFAULT now(),
	UNIQUE (org_id, provider, full_name)
);
CREATE INDEX repositories_org ON repositories (org_id);

-- Webhook deliveries: metadata only, never the body.
CREATE TABLE deliveries (
	id             bigserial PRIMARY KEY,
	org_id         bigint NOT NULL REFERENCES orgs ON DELETE CASCADE,
	repository_id  bigint NOT NULL REFERENCES repositories ON DELETE CASCADE,
	provider       text NOT NULL,
	delivery_id    text NOT NULL CHECK (length(delivery_id) BETWEEN 1 AND 128),
	event          text NOT NULL CHECK (length(event) <= 64),
	action         text CHECK (length(action) <= 64),
	outcome        text NOT NULL CHECK (outcome IN ('queued', 'absorbed', 'ignored', 'recorded')),
	ref            text CHECK (length(ref) <= 255),
	commit_sha     text CHECK (commit_sha ~ '^[0-9a-f]{7,64}$'),
	pr_number      integer,
	job_id         bigint,
	spooled        boolean NOT NULL DEFAULT false,
	received_at    timestamptz NOT NULL DEFAULT now(),
	UNIQUE (repository_id, delivery_id)
);
CREATE INDEX deliveries_received ON deliveries (received_at);

CREATE TABLE jobs (
	id             bigserial PRIMARY KEY,
	org_id         bigint NOT NULL REFERENCES orgs ON DELETE CASCADE,
	repository_id  bigint NOT NULL REFERENCES repositories ON DELETE CASCADE,
	kind           text NOT NULL DEFAULT 'scan' CHECK (kind IN ('scan')),
	state          text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
	commit_sha     text NOT NULL CHECK (commit_sha ~ '^[0-9a-f]{7,64}$'),
	ref            text,
	branch         text,
	pr_number      integer,
	base_sha       text,
	deliveries     integer NOT NULL DEFAULT 1,
	attempts       integer NOT NULL DEFAULT 0,
	max_attempts   integer NOT NULL DEFAULT 5,
	last_error     text,
	not_before     timestamptz NOT NULL DEFAULT now(),
	lease_owner    text,
	lease_expires  timestamptz,
	created_at     timestamptz NOT NULL DEFAULT now(),
	started_at     timestamptz,
	finished_at    timestamptz
);
CREATE INDEX jobs_claim ON jobs (not_before, id) WHERE state = 'queued';
CREATE INDEX jobs_lease ON jobs (lease_expires) WHERE state = 'running';
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('done', 'failed', 'cancelled');
-- A queued scan of the same repository, commit and pull request absorbs
-- new deliveries instead of a second job.
CREATE UNIQUE INDEX jobs_one_queued ON jobs (repository_id, commit_sha, coalesce(pr_number, 0))
	WHERE state = 'queued';
ALTER TABLE deliveries ADD FOREIGN KEY (job_id) REFERENCES jobs ON DELETE SET NULL;

-- An encrypted ephemeral volume holding one checkout, on one host.
CREATE TABLE checkouts (
	id             bigserial PRIMARY KEY,
	org_id         bigint NOT NULL REFERENCES orgs ON DELETE CASCADE,
	repository_id  bigint NOT NULL REFERENCES repositories ON DELETE CASCADE,
	job_id         bigint REFERENCES jobs ON DELETE CASCADE,
	host           text NOT NULL,
	name           text NOT NULL CHECK (name ~ '^[a-z0-9-]{1,64}$'),
	path           text,
	backend        text NOT NULL CHECK (backend IN ('luks2', 'fscrypt')),
	cipher         text NOT NULL,
	created_at     timestamptz NOT NULL DEFAULT now(),
	deadline       timestamptz NOT NULL,
	destroyed_at   timestamptz,
	destroy_reason text,
	teardown_usec  bigint,
	CHECK (deadline > created_at AND deadline <= created_at + interval '2 hours'),
	UNIQUE (host, name)
);
CREATE INDEX checkouts_live ON checkouts (host, deadline) WHERE destroyed_at IS NULL;

CREATE TABLE scans (
	id             bigserial PRIMARY KEY,
	org_id         bigint NOT NULL REFERENCES orgs ON DELETE CASCADE,
	repository_id  bigint NOT NULL REFERENCES repositories ON DELETE CASCADE,
	job_id         bigint REFERENCES jobs ON DELETE SET NULL,
	commit_sha     text NOT NULL,
	ref            text,
	branch         text,
	pr_number      integer,
	base_sha       text,
	state          text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'complete', 'incomplete', 'failed')),
	started_at     timestamptz NOT NULL DEFAULT now(),
	finished_at    timestamptz,
	stats          jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX scans_repo ON scans (repository_id, branch, id);

-- One row per tool run in a scan, with its SARIF run metadata (no source).
CREATE TABLE scan_tools (
	id            bigserial PRIMARY KEY,
	org_id        bigint NOT NULL REFERENCES orgs ON DELETE CASCADE,
	scan_id       bigint NOT NULL REFERENCES scans ON DELETE CASCADE,
	tool          text NOT NULL,
	version       text,
	status        text NOT NULL CHECK (status IN ('complete', 'incomplete')),
	reason        text,
	result_count  integer NOT NULL DEFAULT 0,
	sarif_meta    jsonb NOT NULL DEFAULT '{}',
	UNIQUE (scan_id, tool)
);

-- A finding is identified across scans of one repository and branch by its
-- fingerprint; state follows it from scan to scan.
CREATE TABLE findings (
	id               bigserial PRIMARY KEY,
	org_id           bigint NOT NULL REFERENCES orgs ON DELETE CASCADE,
	repository_id    bigint NOT NULL REFERENCES repositories ON DELETE CASCADE,
	branch           text NOT NULL,
	fingerprint      text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{16,128}$'),
	tool             text NOT NULL,
	rule_id          text NOT NULL,
	level            text NOT NULL CHECK (level IN ('error', 'warning', 'note', 'none')),
	path             text NOT NULL CHECK (length(path) <= 4096),
	start_line       integer,
	end_line         integer,
	message          text NOT NULL CHECK (length(message) <= 2000),
	cwe              text,
	properties       jsonb NOT NULL DEFAULT '{}',
	state            text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'fixed')),
	first_scan_id    bigint REFERENCES scans ON DELETE SET NULL,
	last_scan_id     bigint REFERENCES scans ON DELETE SET NULL,
	fixed_scan_id    bigint REFERENCES scans ON DELETE SET NULL,
	suppressed_in_code boolean NOT NULL DEFAULT false,
	suppress_reason  text,
	created_at       timestamptz NOT NULL DEFAULT now(),
	updated_at       timestamptz NOT NULL DEFAULT now(),
	UNIQUE (repository_id, branch, fingerprint)
);
CREATE INDEX findings_org ON findings (org_id, state);

-- Which findings a scan saw; for a pull-request scan, which it introduced.
CREATE TABLE scan_findings (
	scan_id     bigint NOT NULL REFERENCES scans ON DELETE CASCADE,
	finding_id  bigint NOT NULL REFERENCES findings ON DELETE CASCADE,
	org_id      bigint NOT NULL REFERENCES orgs ON DELETE CASCADE,
	start_line  integer,
	introduced  boolean NOT NULL DEFAULT false,
	PRIMARY KEY (scan_id, finding_id)
);
CREATE INDEX scan_findings_finding ON scan_findings (finding_id);

-- Triage by people, keyed by fingerprint so that it survives later scans.
CREATE TABLE triage (
	id             bigserial PRIMARY KEY,
	org_id         bigint NOT NULL REFERENCES orgs ON DELETE CASCADE,
	repository_id  bigint NOT NULL REFERENCES repositories ON DELETE CASCADE,
	fingerprint    text NOT NULL,
	state          text NOT NULL CHECK (state IN ('suppressed', 'false_positive')),
	reason         text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
	expires_at     timestamptz,
	created_by     text NOT NULL,
	created_at     timestamptz NOT NULL DEFAULT now(),
	UNIQUE (repository_id, fingerprint)
);

CREATE TABLE dependencies (
	id             bigserial PRIMARY KEY,
	org_id         bigint NOT NULL REFERENCES orgs ON DELETE CASCADE,
	repository_id  bigint NOT NULL REFERENCES repositories ON DELETE CASCADE,
	scan_id        bigint NOT NULL REFERENCES scans ON DELETE CASCADE,
	ecosystem      text NOT NULL,
	name           text NOT NULL,
	version        text,
	constraint_spec text,
	direct         boolean NOT NULL,
	manifest_path  text NOT NULL
);
CREATE INDEX dependencies_scan ON dependencies (scan_id);

CREATE TABLE workflow_facts (
	id             bigserial PRIMARY KEY,
	org_id         bigint NOT NULL REFERENCES orgs ON DELETE CASCADE,
	repository_id  bigint NOT NULL REFERENCES repositories ON DELETE CASCADE,
	scan_id        bigint NOT NULL REFERENCES scans ON DELETE CASCADE,
	system         text NOT NULL CHECK (system IN ('github-actions', 'gitlab-ci')),
	path           text NOT NULL,
	workflow       text,
	job            text,
	kind           text NOT NULL CHECK (kind IN ('workflow', 'trigger', 'job', 'runner', 'action', 'image', 'permission', 'include')),
	value          text NOT NULL,
	pinning        text CHECK (pinning IN ('sha', 'tag', 'branch', 'digest', 'none'))
);
CREATE INDEX workflow_facts_scan ON workflow_facts (scan_id);

-- The audit log: append-only and hash-chained.  Each event's hash is the
-- SHA-256 of a canonical text (see audit_canonical) that includes the
-- previous event's hash.  No foreign keys: events outlive what they name.
CREATE TABLE audit_events (
	id          bigserial PRIMARY KEY,
	org_id      bigint,
	ts          timestamptz NOT NULL,
	actor_type  text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'system')),
	actor       text NOT NULL,
	action      text NOT NULL,
	target      text NOT NULL DEFAULT '',
	details     jsonb NOT NULL DEFAULT '{}',
	prev_hash   bytea NOT NULL CHECK (length(prev_hash) = 32),
	hash        bytea NOT NULL UNIQUE CHECK (length(hash) = 32)
);
CREATE INDEX audit_events_org ON audit_events (org_id, id);

-- The canonical encoding hashed for each event: fields joined by newlines,
-- time as microseconds since the epoch, org empty when NULL, details as
-- jsonb's own text form.  lethectl audit verify recomputes it in C.
CREATE FUNCTION audit_canonical(prev bytea, id bigint, org bigint, ts timestamptz,
	actor_type text, actor text, action text, target text, details jsonb)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT concat_ws(E'\n', 'lethe-audit-v1', encode(prev, 'hex'), id::text,
		coalesce(org::text, ''),
		(floor(extract(epoch FROM ts) * 1000000))::bigint::text,
		actor_type, actor, action, target, details::text)
$$;

-- The only way in: takes the chain lock, links to the last event, hashes.
CREATE FUNCTION audit_append(p_org bigint, p_actor_type text, p_actor text,
	p_action text, p_target text, p_details jsonb)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = lethe, pg_catalog AS $$
DECLARE
	v_prev bytea;
	v_id bigint;
	v_ts timestamptz := date_trunc('microseconds', clock_timestamp());
	v_details jsonb := coalesce(p_details, '{}'::jsonb);
BEGIN
	PERFORM pg_advisory_xact_lock(7406831);	-- one chain, one writer at a time
	SELECT hash INTO v_prev FROM audit_events ORDER BY id DESC LIMIT 1;
	IF v_prev IS NULL THEN
		v_prev := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
	END IF;
	v_id := nextval('audit_events_id_seq');
	INSERT INTO audit_events (id, org_id, ts, actor_type, actor, action, target, details, prev_hash, hash)
	VALUES (v_id, p_org, v_ts, p_actor_type, p_actor, p_action, coalesce(p_target, ''), v_details, v_prev,
		sha256(convert_to(audit_canonical(v_prev, v_id, p_org, v_ts, p_actor_type, p_actor,
			p_action, coalesce(p_target, ''), v_details), 'UTF8')));
	RETURN v_id;
END $$;

CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
		USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_no_update BEFORE UPDATE OR DELETE ON audit_events
	FOR EACH ROW EXECUTE FUNCTION audit_refuse();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_events
	FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse();

-- Row-level security: every org-scoped table, forced (even for the owner).
-- The API sees its org only; the other roles act for every org.
DO $$
DECLARE t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['org_keys', 'users', 'api_keys', 'refresh_tokens', 'integrations',
		'repositories', 'deliveries', 'jobs', 'checkouts', 'scans', 'scan_tools', 'findings',
		'scan_findings', 'triage', 'dependencies', 'workflow_facts', 'audit_events'] LOOP
		EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY %I ON %I TO lethe_api USING (org_id = current_org()) '
			'WITH CHECK (org_id = current_org())', t || '_org', t);
		EXECUTE format('CREATE POLICY %I ON %I TO lethe_owner, lethe_admin, lethe_hook, lethe_jobs '
			'USING (true) WITH CHECK (true)', t || '_all', t);
	END LOOP;
END $$;
ALTER TABLE orgs ENABLE ROW LEVEL SECURITY;
ALTER TABLE orgs FORCE ROW LEVEL SECURITY;
CREATE POLICY orgs_org ON orgs TO lethe_api USING (id = current_org());
CREATE POLICY orgs_all ON orgs TO lethe_owner, lethe_admin, lethe_hook, lethe_jobs USING (true) WITH CHECK (true);

-- Grants: each role gets what its programs do, nothing more.  Nobody may
-- write audit_events directly: audit_append() is the only door.
REVOKE ALL ON ALL TABLES IN SCHEMA lethe FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_append(bigint, text, text, text, text, jsonb)
	TO lethe_admin, lethe_hook, lethe_api, lethe_jobs;
GRANT SELECT ON audit_events TO lethe_admin, lethe_api, lethe_jobs;
GRANT SELECT ON schema_migrations TO lethe_admin, lethe_api, lethe_jobs;

GRANT SELECT, INSERT, UPDATE, DELETE ON orgs, org_keys, users, api_keys, refresh_tokens,
	integrations, repositories, deliveries, jobs, checkouts, scans, scan_tools, findings,
	scan_findings, triage, dependencies, workflow_facts TO lethe_admin;

GRANT SELECT ON orgs, org_keys, repositories, integrations TO lethe_hook;
GRANT SELECT, INSERT, UPDATE ON deliveries, jobs TO lethe_hook;

GRANT SELECT ON orgs, org_keys, users TO lethe_api;
GRANT SELECT, INSERT, UPDATE, DELETE ON api_keys, refresh_tokens, integrations, repositories,
	triage TO lethe_api;
GRANT SELECT, DELETE ON deliveries, jobs, checkouts, scans, scan_tools, findings, scan_findings,
	dependencies, workflow_facts TO lethe_api;
GRANT UPDATE ON users, findings TO lethe_api;

GRANT SELECT ON orgs, org_keys, users, integrations, repositories, triage TO lethe_jobs;
GRANT SELECT, INSERT, UPDATE, DELETE ON deliveries, jobs, checkouts, scans, scan_tools, findings,
	scan_findings, dependencies, workflow_facts, refresh_tokens, api_keys TO lethe_jobs;

GRANT USAGE ON ALL SEQUENCES IN SCHEMA lethe TO lethe_admin, lethe_hook, lethe_api, lethe_jobs;
