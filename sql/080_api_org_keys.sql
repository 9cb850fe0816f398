-- 080_api_org_keys.sql - owners rotate their org's key through the API.
--
-- Rotation (lib/secret/keys.c orgkey_rotate) locks the org's keys, retires the
-- active one, inserts the next version and re-seals every *_enc column of
-- the org's integrations and repositories.  lethe_api may already read
-- org_keys and update integrations and repositories (001); it gets only the
-- columns a rotation writes in org_keys: a new row's identity and wrapped
-- key, and retired_at.  Locking the rows (FOR UPDATE) needs the UPDATE
-- privilege too.  The policy org_keys_org (001) keeps both to the org of the
-- transaction: lethe_api can neither see nor insert another org's key.
SET LOCAL search_path = lethe;

GRANT INSERT (org_id, version, master_version, wrapped) ON org_keys TO lethe_api;
GRANT UPDATE (retired_at) ON org_keys TO lethe_api;
