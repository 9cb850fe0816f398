-- 100_api_key_creator.sql - an API key acts for its creator, and ends.
--
-- A key acts with at most its creator's current role, and not at all once
-- its creator is disabled or removed: api_key_lookup() checks the creator
-- on every request.  A user change (disable, demote, remove) also revokes
-- the keys it leaves above the user's role, each with its own audit event
-- and one event with the count, whichever program made the change.
--
-- Every key expires: a key created before this migration without an
-- expiry gets 90 days from its creation (lethe.conf(5)'s default for
-- api_key_ttl, whatever the configured value), and so does a row written
-- without one.
SET LOCAL search_path = lethe;

UPDATE api_keys SET expires_at = created_at + interval '90 days' WHERE expires_at IS NULL;
ALTER TABLE api_keys ALTER COLUMN expires_at SET DEFAULT now() + interval '90 days';
ALTER TABLE api_keys ALTER COLUMN expires_at SET NOT NULL;
CREATE INDEX api_keys_created_by ON api_keys (created_by) WHERE revoked_at IS NULL;

CREATE FUNCTION role_rank(p_role text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE p_role WHEN 'owner' THEN 3 WHEN 'admin' THEN 2 WHEN 'member' THEN 1 ELSE 0 END
$$;

-- The key a hash names, if usable now: not revoked, not expired, its
-- creator enabled; its role is the lower of its own and its creator's.
DROP FUNCTION api_key_lookup(bytea);
CREATE FUNCTION api_key_lookup(p_hash bytea)
RETURNS TABLE (key_id bigint, org_id bigint, role text, created_by bigint)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = lethe, pg_catalog AS $$
	UPDATE api_keys k SET last_used_at = now()
	FROM users u
	WHERE k.key_hash = p_hash AND k.revoked_at IS NULL AND k.expires_at > now()
	  AND u.id = k.created_by AND u.org_id = k.org_id AND u.disabled_at IS NULL
	RETURNING k.id, k.org_id,
		CASE WHEN role_rank(u.role) < role_rank(k.role) THEN u.role ELSE k.role END, u.id
$$;
REVOKE ALL ON FUNCTION api_key_lookup(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api_key_lookup(bytea) TO lethe_api;

-- Before a user is disabled, demoted or removed: revoke the keys the user
-- created that the change leaves above the user's role (all of them when
-- disabled or removed) and record each, then the count.
CREATE FUNCTION users_revoke_keys() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = lethe, pg_catalog AS $$
DECLARE
	v_cause text;
	v_rank integer := 0;
	v_ids bigint[];
	v_id bigint;
BEGIN
	IF TG_OP = 'DELETE' THEN
		v_cause := 'user.remove';
	ELSIF NEW.disabled_at IS NOT NULL AND OLD.disabled_at IS NULL THEN
		v_cause := 'user.disable';
	ELSIF role_rank(NEW.role) < role_rank(OLD.role) THEN
		v_cause := 'user.demote';
		v_rank := role_rank(NEW.role);
	ELSE
		RETURN NEW;
	END IF;
	WITH r AS (UPDATE api_keys SET revoked_at = now()
		WHERE created_by = OLD.id AND revoked_at IS NULL AND role_rank(role) > v_rank
		RETURNING id)
	SELECT array_agg(id ORDER BY id) INTO v_ids FROM r;
	FOREACH v_id IN ARRAY coalesce(v_ids, '{}') LOOP
		PERFORM audit_append(OLD.org_id, 'system', session_user::text, 'api_key.revoke',
			'api_key:' || v_id, jsonb_build_object('cause', v_cause, 'user', OLD.id));
	END LOOP;
	IF v_ids IS NOT NULL THEN
		PERFORM audit_append(OLD.org_id, 'system', session_user::text, 'user.api_keys_revoked',
			'user:' || OLD.id, jsonb_build_object('cause', v_cause, 'count',
			cardinality(v_ids), 'api_keys', to_jsonb(v_ids)));
	END IF;
	RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END $$;
REVOKE ALL ON FUNCTION users_revoke_keys() FROM PUBLIC;
CREATE TRIGGER users_revoke_keys BEFORE UPDATE OF role, disabled_at OR DELETE ON users
	FOR EACH ROW EXECUTE FUNCTION users_revoke_keys();
