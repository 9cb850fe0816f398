-- 070_vcs.sql: what lethe-hook needs to apply GitHub App installation
-- events (lib/vcs/ghinstall.c): connect the installation's repositories, and
-- on uninstall delete them (counting what goes with them for the audit
-- event, as lib/store/repo.c does) and the integration itself.
SET LOCAL search_path = lethe;

GRANT INSERT, DELETE ON repositories TO lethe_hook;
GRANT UPDATE (integration_id) ON repositories TO lethe_hook;
GRANT DELETE ON integrations TO lethe_hook;
GRANT SELECT ON checkouts, scans, scan_tools, findings, scan_findings, triage, dependencies,
	workflow_facts TO lethe_hook;
