-- Change notifications: every instance caches realms (settings, key rings) and the state
-- of users that decides whether their tokens verify, and drops what changed when
-- PostgreSQL announces it. Statement-level triggers see all rows a statement changed, so
-- a bulk revocation of 100,000 users sends one notification per tenant, not one per row.
--
--   channel gatehouse_realms, payload "<tenant id>": the tenant, its environments or keys changed
--   channel gatehouse_users,  payload "<tenant id> <user id>": that user changed
--                             payload "<tenant id> *": many users of the tenant changed

-- For environments and signing keys: the tenant_id of the changed rows.
CREATE FUNCTION gatehouse_notify_realms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('gatehouse_realms', tenant_id::text) FROM (SELECT DISTINCT tenant_id FROM old_rows) changed;
    ELSE
        PERFORM pg_notify('gatehouse_realms', tenant_id::text) FROM (SELECT DISTINCT tenant_id FROM new_rows) changed;
    END IF;
    RETURN NULL;
END
$$;

-- For tenants themselves: their id.
CREATE FUNCTION gatehouse_notify_tenants() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('gatehouse_realms', id::text) FROM old_rows;
    ELSE
        PERFORM pg_notify('gatehouse_realms', id::text) FROM new_rows;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER tenants_notify_update AFTER UPDATE ON tenants
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_tenants();
CREATE TRIGGER tenants_notify_delete AFTER DELETE ON tenants
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_tenants();
CREATE TRIGGER environments_notify_insert AFTER INSERT ON environments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_realms();
CREATE TRIGGER environments_notify_update AFTER UPDATE ON environments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_realms();
CREATE TRIGGER environments_notify_delete AFTER DELETE ON environments
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_realms();
CREATE TRIGGER signing_keys_notify_insert AFTER INSERT ON signing_keys
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_realms();
CREATE TRIGGER signing_keys_notify_update AFTER UPDATE ON signing_keys
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_realms();
CREATE TRIGGER signing_keys_notify_delete AFTER DELETE ON signing_keys
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_realms();

-- Users: only changes that decide verification or what /me answers count; last_login
-- and password rehashes at login do not.
CREATE FUNCTION gatehouse_notify_users(tenant uuid[], users uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(users) <= 100 THEN
        PERFORM pg_notify('gatehouse_users', t::text || ' ' || u::text) FROM unnest(tenant, users) AS changed (t, u);
    ELSE
        PERFORM pg_notify('gatehouse_users', t::text || ' *') FROM (SELECT DISTINCT t FROM unnest(tenant) AS changed (t)) tenants;
    END IF;
END
$$;

CREATE FUNCTION gatehouse_notify_users_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tenants uuid[];
    ids uuid[];
BEGIN
    SELECT array_agg(n.tenant_id), array_agg(n.id) INTO tenants, ids
    FROM new_rows n JOIN old_rows o ON o.tenant_id = n.tenant_id AND o.id = n.id
    WHERE (n.is_active, n.revoked_before, n.username, n.role, n.claims)
        IS DISTINCT FROM (o.is_active, o.revoked_before, o.username, o.role, o.claims);
    IF ids IS NOT NULL THEN
        PERFORM gatehouse_notify_users(tenants, ids);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION gatehouse_notify_users_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tenants uuid[];
    ids uuid[];
BEGIN
    IF TG_TABLE_NAME = 'users' THEN
        SELECT array_agg(tenant_id), array_agg(id) INTO tenants, ids FROM old_rows;
    ELSE
        SELECT array_agg(tenant_id), array_agg(user_id) INTO tenants, ids FROM old_rows;
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM gatehouse_notify_users(tenants, ids);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION gatehouse_notify_user_revocations() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tenants uuid[];
    ids uuid[];
BEGIN
    SELECT array_agg(tenant_id), array_agg(user_id) INTO tenants, ids FROM new_rows;
    IF ids IS NOT NULL THEN
        PERFORM gatehouse_notify_users(tenants, ids);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_notify_update AFTER UPDATE ON users
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_users_update();
CREATE TRIGGER users_notify_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_users_delete();
CREATE TRIGGER user_environment_revocations_notify_insert AFTER INSERT ON user_environment_revocations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_user_revocations();
CREATE TRIGGER user_environment_revocations_notify_update AFTER UPDATE ON user_environment_revocations
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_user_revocations();
CREATE TRIGGER user_environment_revocations_notify_delete AFTER DELETE ON user_environment_revocations
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_users_delete();
