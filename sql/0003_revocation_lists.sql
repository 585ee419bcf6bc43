-- Bulk revocations as lists: one row per revocation, holding every user it covers, instead
-- of one row written per user (users.revoked_before, user_environment_revocations). A
-- revocation of 100,000 users is then one INSERT of an array, not 100,000 row updates.
--
-- The instant before which a user's tokens are refused in an environment is the latest of
-- users.revoked_before (set one user at a time: a new password, deactivation),
-- environments.tokens_revoked_before (all users) and revoked_before of every list that
-- holds the user for that environment or for all (environment_id NULL). The scheduler
-- deletes a list once every token it can cover has expired.

DROP TABLE user_environment_revocations;
DROP FUNCTION gatehouse_notify_user_revocations();

CREATE TABLE revocation_lists (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    environment_id  uuid,
    revoked_before  timestamptz NOT NULL,
    user_ids        uuid[] NOT NULL CHECK (cardinality(user_ids) > 0),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, environment_id) REFERENCES environments (tenant_id, id) ON DELETE CASCADE
);
-- Is this user on a list? User ids are random UUIDs, so the lookup goes by user alone and
-- checks the tenant on the few rows found.
CREATE INDEX revocation_lists_users ON revocation_lists USING gin (user_ids);

-- A list changes many users of its tenant: their cached state is dropped on every instance.
CREATE FUNCTION gatehouse_notify_revocation_lists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('gatehouse_users', tenant_id::text || ' *') FROM (SELECT DISTINCT tenant_id FROM old_rows) changed;
    ELSE
        PERFORM pg_notify('gatehouse_users', tenant_id::text || ' *') FROM (SELECT DISTINCT tenant_id FROM new_rows) changed;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER revocation_lists_notify_insert AFTER INSERT ON revocation_lists
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_revocation_lists();
CREATE TRIGGER revocation_lists_notify_delete AFTER DELETE ON revocation_lists
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_revocation_lists();

-- Counting the refresh tokens a revocation stops reads only this index.
CREATE INDEX refresh_tokens_outstanding ON refresh_tokens (tenant_id, user_id) INCLUDE (environment_id, issued_at, expires_at)
    WHERE revoked_at IS NULL;
DROP INDEX refresh_tokens_user;
