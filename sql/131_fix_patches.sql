-- 131_fix_patches.sql - a fix's proposed patch, sealed until its deadline.
--
-- The patch holds the repository's code: it is stored only sealed under
-- the org key (AES-256-GCM, the fix's org, table, column and id as
-- associated data; lib/secret/fixseal.c), and only until its deadline, at most
-- two hours after it was sealed, like a checkout.  Past it lethe-scrub
-- destroys it (patch_enc NULL, destroyed_at, destroy_reason).
SET LOCAL search_path = lethe;

ALTER TABLE fixes
	ADD COLUMN patch_enc      bytea,
	ADD COLUMN patch_bytes    integer CHECK (patch_bytes >= 0),
	ADD COLUMN sealed_at      timestamptz,
	ADD COLUMN deadline       timestamptz,
	ADD COLUMN destroyed_at   timestamptz,
	ADD COLUMN destroy_reason text CHECK (destroy_reason IN ('expired', 'rejected', 'pushed')),
	ADD CONSTRAINT fixes_patch_sealed
		CHECK (patch_enc IS NULL OR (sealed_at IS NOT NULL AND deadline IS NOT NULL)),
	ADD CONSTRAINT fixes_patch_deadline CHECK (deadline <= sealed_at + interval '2 hours');
CREATE INDEX fixes_deadline ON fixes (deadline) WHERE patch_enc IS NOT NULL;

-- An org key rotation re-seals every patch (lib/secret/keys.c), also through the
-- API's role (POST /org/keys/rotate): that takes the rows FOR UPDATE.
GRANT UPDATE (patch_enc) ON fixes TO lethe_api;
