-- 200_installation_events.sql - GitHub App installation events are
-- recorded by lethe-hook and applied by lethe-drain.
--
-- lethe-hook verifies an App delivery against the secret of the
-- installation's integration, checks the event and records what applying
-- it needs: the event, its action and the repositories it lists (full name
-- and GitHub id, nothing else of the body).  lethe-drain applies the
-- queued events of each integration in the order they arrived (connect;
-- delete with the counts of what went), so that the webhook receiver, the
-- most exposed program, no longer creates or deletes repositories and
-- integrations: its grants on them go back to reading.
SET LOCAL search_path = lethe;

CREATE TABLE installation_events (
	id             bigserial PRIMARY KEY,
	org_id         bigint NOT NULL REFERENCES orgs ON DELETE CASCADE,
	-- NULL once the integration is gone (an uninstall applied before).
	integration_id bigint REFERENCES integrations ON DELETE SET NULL,
	delivery_id    text NOT NULL CHECK (length(delivery_id) BETWEEN 1 AND 128),
	event          text NOT NULL CHECK (event IN ('installation', 'installation_repositories')),
	action         text NOT NULL CHECK (action IN ('created', 'deleted', 'added', 'removed')),
	-- [{"full_name": "owner/name", "id": "123"}, ...], as checked by lethe-hook
	repositories   jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(repositories) = 'array'),
	state          text NOT NULL DEFAULT 'queued'
	               CHECK (state IN ('queued', 'applied', 'ignored', 'failed')),
	connected      integer,
	deleted        integer,
	reason         text CHECK (length(reason) <= 300),
	received_at    timestamptz NOT NULL DEFAULT now(),
	applied_at     timestamptz,
	-- A delivery GitHub sends again (a redelivery) is recorded once.
	UNIQUE (org_id, delivery_id)
);
CREATE INDEX installation_events_queued ON installation_events (integration_id, id)
	WHERE state = 'queued';
CREATE INDEX installation_events_received ON installation_events (received_at);

ALTER TABLE installation_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE installation_events FORCE ROW LEVEL SECURITY;
CREATE POLICY installation_events_all ON installation_events TO lethe_owner, lethe_admin,
	lethe_hook USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON installation_events TO lethe_admin;
GRANT USAGE ON SEQUENCE installation_events_id_seq TO lethe_admin;

-- lethe-hook: reads the integration and its org key to verify, records
-- the event, and records deliveries and their jobs as before.  Everything
-- it held to apply events itself goes (sql/070), and so do the sequences
-- it never used (sql/001 granted it every one).
GRANT SELECT, INSERT ON installation_events TO lethe_hook;
GRANT USAGE ON SEQUENCE installation_events_id_seq TO lethe_hook;
REVOKE INSERT, DELETE ON repositories FROM lethe_hook;
REVOKE UPDATE (integration_id) ON repositories FROM lethe_hook;
REVOKE DELETE ON integrations FROM lethe_hook;
REVOKE SELECT ON checkouts, scans, scan_tools, findings, scan_findings, triage, dependencies,
	workflow_facts FROM lethe_hook;
REVOKE EXECUTE ON FUNCTION audit_append(bigint, text, text, text, text, jsonb) FROM lethe_hook;
REVOKE USAGE ON ALL SEQUENCES IN SCHEMA lethe FROM lethe_hook;
GRANT USAGE ON SEQUENCE deliveries_id_seq, jobs_id_seq, installation_events_id_seq TO lethe_hook;

-- lethe-drain: takes the oldest queued event of an integration, connects
-- repositories (lib/store/repo.c: created, or re-attached to the
-- integration) or deletes them, counting what goes with them, then the
-- integration on an uninstall; audits each and records the outcome.
SELECT role_create('lethe_drain', ARRAY['installation_events', 'integrations', 'repositories',
	'deliveries', 'jobs', 'checkouts', 'scans', 'scan_tools', 'findings', 'scan_findings',
	'triage', 'dependencies', 'workflow_facts']::name[]);
GRANT SELECT, UPDATE (state, connected, deleted, reason, applied_at) ON installation_events
	TO lethe_drain;
GRANT SELECT, DELETE ON integrations TO lethe_drain;
GRANT SELECT, INSERT, DELETE ON repositories TO lethe_drain;
GRANT UPDATE (integration_id) ON repositories TO lethe_drain;
GRANT USAGE ON SEQUENCE repositories_id_seq TO lethe_drain;
GRANT SELECT ON checkouts, scans, scan_tools, findings, scan_findings, triage, dependencies,
	workflow_facts TO lethe_drain;
GRANT EXECUTE ON FUNCTION audit_append(bigint, text, text, text, text, jsonb) TO lethe_drain;

-- lethe-rotate prunes events applied, ignored or failed, as old deliveries.
SELECT role_create('lethe_rotate', ARRAY['installation_events']::name[]);
GRANT SELECT, DELETE ON installation_events TO lethe_rotate;
