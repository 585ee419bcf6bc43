-- One refresh-token rotation as one statement, in its own transaction: the database's own
-- ceiling for refresh (token-api.sh runs it with pgbench beside the API). It is the statement
-- Gatehouse sent per rotation before group commit (with its lookup by primary key,
-- `revoked_reason IS NULL`): the user may still refresh, the old token is spent if
-- outstanding and its row records the presented token's digest, its child recorded in the
-- family with its own digest, the user answered. A token's digest here is that of its jti's
-- text, computed by the database; Gatehouse sends the SHA-256 digests it computed of the tokens.
-- Each pgbench client spends its own chain: token BASE + CLIENT * 1000000 + STEP, then STEP + 1.
\set old :base + :client_id * 1000000 + :step
\set new :old + 1
WITH ids AS (
    SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(:old::bigint), 12, '0'))::uuid AS old_jti,
           ('00000000-0000-4000-8000-' || lpad(to_hex(:new::bigint), 12, '0'))::uuid AS new_jti
), digests AS (
    SELECT sha256(convert_to(old_jti::text, 'UTF8')) AS old_digest, sha256(convert_to(new_jti::text, 'UTF8')) AS new_digest FROM ids
), eligible AS (
    SELECT 1 FROM users u
    WHERE u.tenant_id = :tenant::uuid AND u.id = :user::uuid AND u.is_active
      AND (u.revoked_before IS NULL OR u.revoked_before <= now() - interval '1 minute')
      AND NOT EXISTS (
          SELECT 1 FROM revocation_lists l
          WHERE l.user_ids @> ARRAY[u.id] AND l.tenant_id = u.tenant_id AND l.revoked_before > now() - interval '1 minute'
            AND (l.environment_id IS NULL OR l.environment_id = :environment::uuid)
      )
), spent AS (
    UPDATE refresh_tokens SET revoked_at = clock_timestamp(), revoked_reason = 'rotated'
    WHERE tenant_id = :tenant::uuid AND jti = (SELECT old_jti FROM ids) AND environment_id = :environment::uuid
      AND revoked_reason IS NULL AND token_digest = (SELECT old_digest FROM digests) AND EXISTS (SELECT 1 FROM eligible)
    RETURNING family_id
), issued AS (
    INSERT INTO refresh_tokens (tenant_id, jti, environment_id, user_id, family_id, parent_jti, kid, issued_at, expires_at, token_digest)
    SELECT :tenant::uuid, (SELECT new_jti FROM ids), :environment::uuid, :user::uuid, family_id, (SELECT old_jti FROM ids), :kid::text,
           now(), now() + interval '1 day', (SELECT new_digest FROM digests)
    FROM spent
    RETURNING user_id
)
SELECT u.id, u.tenant_id, u.username, u.password_hash, u.role, u.claims, u.is_active, u.last_login, u.revoked_before
FROM issued JOIN users u ON u.tenant_id = :tenant::uuid AND u.id = issued.user_id;
\set step :step + 1
