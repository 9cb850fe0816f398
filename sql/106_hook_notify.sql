-- 106_hook_notify.sql - lethe-hook workers learn at once that a hook changed.
--
-- Each lethe-hook worker holds every hook's secret, so that a PostgreSQL
-- outage refuses no hook it knew (lethe-hook(8)).  It LISTENs on
-- lethe_hooks and loads them all again when notified: any statement that
-- adds, removes or renames a repository's hook, or changes its secret
-- (org key rotation re-seals it), notifies at its COMMIT.  The payload is
-- empty: the workers read the table, never what the notification says.
SET LOCAL search_path = lethe;

CREATE FUNCTION hooks_notify() RETURNS trigger LANGUAGE plpgsql
SET search_path = lethe, pg_catalog AS $$
BEGIN
	PERFORM pg_notify('lethe_hooks', '');
	RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION hooks_notify() FROM PUBLIC;

CREATE TRIGGER repositories_hooks_changed
	AFTER INSERT OR DELETE OR UPDATE OF hook_id, provider, org_id, webhook_secret_enc
	ON repositories FOR EACH STATEMENT EXECUTE FUNCTION hooks_notify();
CREATE TRIGGER repositories_hooks_truncated AFTER TRUNCATE ON repositories
	FOR EACH STATEMENT EXECUTE FUNCTION hooks_notify();
