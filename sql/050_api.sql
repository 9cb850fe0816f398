-- 050_api.sql - what lethe-api needs beyond 001.
--
-- lethe_api runs under row-level security for one org at a time.  A few
-- lookups must happen before the org is known (login by email, API key by
-- hash, refresh token by hash); each is a narrow SECURITY DEFINER function
-- that returns only what the caller needs.  Failed logins are counted per
-- account and per address in login_failures, reachable only through
-- functions too.
SET LOCAL search_path = lethe;

CREATE SEQUENCE refresh_family_seq;
GRANT USAGE ON SEQUENCE refresh_family_seq TO lethe_api;

-- Keys: "email:<lowercased address>" or "addr:<remote address>".
CREATE TABLE login_failures (
	key          text PRIMARY KEY CHECK (length(key) <= 300),
	failures     integer NOT NULL DEFAULT 0,
	window_start timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON login_failures FROM PUBLIC;
GRANT SELECT, DELETE ON login_failures TO lethe_jobs;

-- The user an email names, with what a login needs; nothing for a disabled one.
CREATE FUNCTION api_login_lookup(p_email text)
RETURNS TABLE (user_id bigint, org_id bigint, role text, password_hash text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = lethe, pg_catalog AS $$
	SELECT u.id, u.org_id, u.role, u.password_hash FROM users u
	WHERE lower(u.email) = lower(p_email) AND u.disabled_at IS NULL
$$;

-- true when either the account or the address has too many recent failures.
CREATE FUNCTION api_login_blocked(p_email text, p_addr text, p_max_account integer,
	p_max_addr integer, p_window interval)
RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = lethe, pg_catalog AS $$
	SELECT EXISTS (SELECT 1 FROM login_failures
		WHERE window_start > now() - p_window
		AND ((key = 'email:' || lower(p_email) AND failures >= p_max_account)
		  OR (key = 'addr:' || p_addr AND failures >= p_max_addr)))
$$;

CREATE FUNCTION api_login_failed(p_email text, p_addr text, p_window interval)
RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = lethe, pg_catalog AS $$
	INSERT INTO login_failures (key, failures, window_start)
	VALUES ('email:' || lower(left(p_email, 254)), 1, now()), ('addr:' || left(p_addr, 64), 1, now())
	ON CONFLICT (key) DO UPDATE SET
		failures = CASE WHEN login_failures.window_start > now() - p_window
			THEN login_failures.failures + 1 ELSE 1 END,
		window_start = CASE WHEN login_failures.window_start > now() - p_window
			THEN login_failures.window_start ELSE now() END
$$;

CREATE FUNCTION api_login_succeeded(p_email text)
RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = lethe, pg_catalog AS $$
	DELETE FROM login_failures WHERE key = 'email:' || lower(p_email)
$$;

-- The API key a hash names, if usable now; marks it used.
CREATE FUNCTION api_key_lookup(p_hash bytea)
RETURNS TABLE (key_id bigint, org_id bigint, role text)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = lethe, pg_catalog AS $$
	UPDATE api_keys SET last_used_at = now()
	WHERE key_hash = p_hash AND revoked_at IS NULL
	  AND (expires_at IS NULL OR expires_at > now())
	RETURNING id, api_keys.org_id, api_keys.role
$$;

-- Use a refresh token once.  outcome: 'ok' (now used; the user and family
-- follow), 'reused' (already used or revoked: its whole family is revoked
-- now), 'expired', or no row when the hash is unknown.
CREATE FUNCTION api_refresh_use(p_hash bytea)
RETURNS TABLE (outcome text, user_id bigint, org_id bigint, role text, family bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = lethe, pg_catalog AS $$
DECLARE
	t refresh_tokens%ROWTYPE;
	u users%ROWTYPE;
BEGIN
	SELECT * INTO t FROM refresh_tokens WHERE token_hash = p_hash FOR UPDATE;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	IF t.used_at IS NOT NULL OR t.revoked_at IS NOT NULL THEN
		UPDATE refresh_tokens SET revoked_at = now()
			WHERE refresh_tokens.family = t.family AND revoked_at IS NULL;
		RETURN QUERY SELECT 'reused'::text, t.user_id, t.org_id, NULL::text, t.family;
		RETURN;
	END IF;
	SELECT * INTO u FROM users WHERE id = t.user_id AND disabled_at IS NULL;
	IF t.expires_at <= now() OR NOT FOUND THEN
		RETURN QUERY SELECT 'expired'::text, t.user_id, t.org_id, NULL::text, t.family;
		RETURN;
	END IF;
	UPDATE refresh_tokens SET used_at = now() WHERE id = t.id;
	RETURN QUERY SELECT 'ok'::text, u.id, u.org_id, u.role, t.family;
END $$;

-- Logout: revoke the family of a refresh token; returns how many rows changed.
CREATE FUNCTION api_refresh_revoke(p_hash bytea)
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = lethe, pg_catalog AS $$
DECLARE n integer;
BEGIN
	UPDATE refresh_tokens SET revoked_at = now()
	WHERE family = (SELECT family FROM refresh_tokens WHERE token_hash = p_hash)
	  AND revoked_at IS NULL;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END $$;

-- Walk the whole audit chain (every org: the links cross orgs) and report
-- only the count and the first broken event, never another org's data.
-- lethectl audit verify does the same in C, independent of this function.
CREATE FUNCTION api_audit_verify(OUT checked bigint, OUT first_bad bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = lethe, pg_catalog AS $$
DECLARE
	e audit_events%ROWTYPE;
	v_prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
BEGIN
	checked := 0;
	FOR e IN SELECT * FROM audit_events ORDER BY id LOOP
		IF e.prev_hash <> v_prev OR e.hash <> sha256(convert_to(audit_canonical(e.prev_hash,
				e.id, e.org_id, e.ts, e.actor_type, e.actor, e.action, e.target,
				e.details), 'UTF8')) THEN
			first_bad := e.id;
			RETURN;
		END IF;
		v_prev := e.hash;
		checked := checked + 1;
	END LOOP;
END $$;

REVOKE ALL ON FUNCTION api_login_lookup(text), api_login_blocked(text, text, integer, integer, interval),
	api_login_failed(text, text, interval), api_login_succeeded(text), api_key_lookup(bytea),
	api_refresh_use(bytea), api_refresh_revoke(bytea), api_audit_verify() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api_login_lookup(text), api_login_blocked(text, text, integer, integer, interval),
	api_login_failed(text, text, interval), api_login_succeeded(text), api_key_lookup(bytea),
	api_refresh_use(bytea), api_refresh_revoke(bytea), api_audit_verify() TO lethe_api;

-- Owners manage users; the API deletes a repository's rows on disconnect.
GRANT INSERT ON users TO lethe_api;
GRANT DELETE ON triage TO lethe_api;
