-- 091_secret_hash_key.sql - the per-org key of secret hashes.
--
-- lethe-analyze reports a leaked secret with its plain SHA-256 (no key may
-- enter the sandbox); lethe-scan stores HMAC-SHA256 of that digest under
-- the org's secret hash key instead (lib/secret/secrethash.c), so that the same
-- secret has one hash across the files and scans of an org, another in
-- another org, and a stored hash cannot be checked against a guess without
-- the key.  The key is 32 random bytes, created by lethe-scan on first use
-- and sealed under the org key like every *_enc column (lib/secret/keys.c, AD
-- table "secret_hash_keys", column "key_enc", the row's id): an org key
-- rotation re-seals it, a master key rotation re-wraps the org key, and
-- the hashes stay the same.
SET LOCAL search_path = lethe;

CREATE TABLE secret_hash_keys (
	id          bigserial PRIMARY KEY,
	org_id      bigint NOT NULL UNIQUE REFERENCES orgs ON DELETE CASCADE,
	key_enc     bytea NOT NULL,
	created_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE secret_hash_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE secret_hash_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY secret_hash_keys_org ON secret_hash_keys TO lethe_api
	USING (org_id = current_org()) WITH CHECK (org_id = current_org());
CREATE POLICY secret_hash_keys_all ON secret_hash_keys TO lethe_owner, lethe_admin, lethe_jobs
	USING (true) WITH CHECK (true);

-- lethe-scan creates and reads the key; a rotation (lethectl, or the API
-- for an owner) locks and re-seals it.
GRANT SELECT, INSERT ON secret_hash_keys TO lethe_jobs;
GRANT USAGE ON SEQUENCE secret_hash_keys_id_seq TO lethe_jobs;
GRANT SELECT, UPDATE, DELETE ON secret_hash_keys TO lethe_admin;
GRANT SELECT, UPDATE (key_enc) ON secret_hash_keys TO lethe_api;

-- Hashes stored before were keyed with a public test salt: they could be
-- checked against a guess, so they go.  The fingerprints of those secret
-- findings (and their triage) were derived from the same hashes: they are
-- replaced, consistently, by a hash of themselves under a random value
-- that is forgotten at the end of this migration.
DO $$
DECLARE k text := gen_random_uuid()::text || gen_random_uuid()::text;
BEGIN
	UPDATE findings SET properties = properties - 'secret_hash' WHERE properties ? 'secret_hash';
	UPDATE triage t SET fingerprint = encode(sha256(convert_to(k || t.fingerprint, 'UTF8')), 'hex')
	WHERE EXISTS (SELECT 1 FROM findings f WHERE f.repository_id = t.repository_id
		AND f.fingerprint = t.fingerprint AND f.tool = 'lethe-secrets');
	UPDATE findings SET fingerprint = encode(sha256(convert_to(k || fingerprint, 'UTF8')), 'hex')
	WHERE tool = 'lethe-secrets';
END $$;
