-- Gatehouse schema: everything ../shared/CONTRACT.md names.
--
-- Every table a tenant owns carries tenant_id, leads its primary key with it and refers
-- to other tenant-owned rows through (tenant_id, id) pairs, so the schema can later be
-- distributed by tenant (Citus: distribution column tenant_id, co-located tables).
-- States are text with CHECK constraints, not enum types, so adding a state is a
-- constraint change rather than a type migration.

CREATE TABLE tenants (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name        text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A signing context of a tenant. settings holds only the values that differ from the
-- defaults of the contract (section 4); the service validates names and types.
-- tokens_revoked_before revokes every token of the environment issued before it.
CREATE TABLE environments (
    tenant_id              uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                     uuid NOT NULL DEFAULT gen_random_uuid(),
    slug                   text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    settings               jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
    tokens_revoked_before  timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, slug)
);

-- password_hash is a PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash) or an
-- imported Django hash (pbkdf2_sha256$..., argon2$argon2id$...), rehashed at login.
-- Tokens issued before revoked_before are rejected everywhere the service checks.
CREATE TABLE users (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    username        text NOT NULL CHECK (length(username) BETWEEN 1 AND 150),
    password_hash   text NOT NULL CHECK (length(password_hash) BETWEEN 1 AND 1024),
    role            text NOT NULL DEFAULT 'user' CHECK (length(role) BETWEEN 1 AND 64),
    claims          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(claims) = 'object'),
    is_active       boolean NOT NULL DEFAULT true,
    last_login      timestamptz,
    revoked_before  timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, username)
);

-- Revocation of one user's tokens in one environment only (POST revocations with
-- "environment"); users.revoked_before covers every environment.
CREATE TABLE user_environment_revocations (
    tenant_id       uuid NOT NULL,
    environment_id  uuid NOT NULL,
    user_id         uuid NOT NULL,
    revoked_before  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, environment_id, user_id),
    FOREIGN KEY (tenant_id, environment_id) REFERENCES environments (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX user_environment_revocations_user ON user_environment_revocations (tenant_id, user_id);

-- Signing keys. private_key holds the private key (or HS256 secret) sealed with
-- AES-256-GCM under the master key, kid as associated data: nonce || ciphertext || tag.
-- public_jwk is the published JWK of asymmetric keys; HS256 keys are never published.
CREATE TABLE signing_keys (
    tenant_id       uuid NOT NULL,
    environment_id  uuid NOT NULL,
    kid             text NOT NULL CHECK (kid ~ '^[A-Za-z0-9_-]{8,64}$'),
    alg             text NOT NULL CHECK (alg IN ('ES256', 'EdDSA', 'RS256', 'HS256')),
    state           text NOT NULL CHECK (state IN ('next', 'active', 'retiring', 'retired', 'revoked')),
    private_key     bytea NOT NULL CHECK (length(private_key) > 28),
    public_jwk      jsonb CHECK (jsonb_typeof(public_jwk) = 'object'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    activate_at     timestamptz,
    activated_at    timestamptz,
    retiring_at     timestamptz,
    retired_at      timestamptz,
    revoked_at      timestamptz,
    PRIMARY KEY (tenant_id, kid),
    FOREIGN KEY (tenant_id, environment_id) REFERENCES environments (tenant_id, id) ON DELETE CASCADE,
    CHECK ((alg = 'HS256') = (public_jwk IS NULL)),
    CHECK (state NOT IN ('active', 'retiring') OR activated_at IS NOT NULL),
    CHECK (state <> 'retiring' OR retiring_at IS NOT NULL),
    CHECK (state <> 'retired' OR retired_at IS NOT NULL),
    CHECK (state <> 'revoked' OR revoked_at IS NOT NULL)
);
-- At most one active key per environment; the deferred trigger below makes it exactly one.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (tenant_id, environment_id) WHERE state = 'active';
-- The key ring of an environment: the keys that still verify or are published.
CREATE INDEX signing_keys_ring ON signing_keys (tenant_id, environment_id, state)
    WHERE state IN ('next', 'active', 'retiring');
-- Staged keys waiting for their activation time (the scheduler's scan).
CREATE INDEX signing_keys_activate_at ON signing_keys (activate_at) WHERE state = 'next' AND activate_at IS NOT NULL;

-- A key moves only forward: next -> active -> retiring -> retired, and any live state ->
-- revoked. A retired or revoked key can never sign or verify again.
CREATE FUNCTION signing_keys_check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state = OLD.state THEN
        RETURN NEW;
    END IF;
    IF (OLD.state, NEW.state) IN (
        ('next', 'active'), ('next', 'retired'), ('next', 'revoked'),
        ('active', 'retiring'), ('active', 'revoked'),
        ('retiring', 'retired'), ('retiring', 'revoked'),
        ('retired', 'revoked')
    ) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'signing key % cannot go from % to %', OLD.kid, OLD.state, NEW.state
        USING ERRCODE = 'check_violation', CONSTRAINT = 'signing_keys_state_transition';
END
$$;
CREATE TRIGGER signing_keys_state_transition BEFORE UPDATE OF state ON signing_keys
    FOR EACH ROW EXECUTE FUNCTION signing_keys_check_transition();

-- Every environment has exactly one active key at the end of every transaction.
CREATE FUNCTION environments_check_one_active_key() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target_tenant uuid;
    target_environment uuid;
    active_keys integer;
BEGIN
    IF TG_TABLE_NAME = 'environments' THEN
        target_tenant := NEW.tenant_id;
        target_environment := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        target_tenant := OLD.tenant_id;
        target_environment := OLD.environment_id;
    ELSE
        target_tenant := NEW.tenant_id;
        target_environment := NEW.environment_id;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM environments WHERE tenant_id = target_tenant AND id = target_environment) THEN
        RETURN NULL;  -- the environment itself is gone
    END IF;
    SELECT count(*) INTO active_keys FROM signing_keys
        WHERE tenant_id = target_tenant AND environment_id = target_environment AND state = 'active';
    IF active_keys <> 1 THEN
        RAISE EXCEPTION 'environment % must have exactly one active signing key, has %', target_environment, active_keys
            USING ERRCODE = 'check_violation', CONSTRAINT = 'environments_one_active_key';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER environments_one_active_key AFTER INSERT ON environments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION environments_check_one_active_key();
CREATE CONSTRAINT TRIGGER signing_keys_one_active_key AFTER INSERT OR UPDATE OR DELETE ON signing_keys
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION environments_check_one_active_key();

-- Refresh tokens by jti; the raw token is never stored. family_id is the jti of the
-- login that started the chain; parent_jti the token this one was rotated from.
CREATE TABLE refresh_tokens (
    tenant_id       uuid NOT NULL,
    jti             uuid NOT NULL,
    environment_id  uuid NOT NULL,
    user_id         uuid NOT NULL,
    family_id       uuid NOT NULL,
    parent_jti      uuid,
    kid             text NOT NULL,
    issued_at       timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    revoked_reason  text CHECK (revoked_reason IN (
        'rotated', 'logout', 'blacklisted', 'reuse', 'admin', 'password_changed',
        'deactivated', 'key_revoked')),
    PRIMARY KEY (tenant_id, jti),
    FOREIGN KEY (tenant_id, environment_id) REFERENCES environments (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, kid) REFERENCES signing_keys (tenant_id, kid) ON DELETE CASCADE,
    CHECK (expires_at > issued_at),
    CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL)),
    CHECK (parent_jti IS NULL OR parent_jti <> jti)
);
-- Revoking a user's outstanding tokens (password change, bulk revocation).
CREATE INDEX refresh_tokens_user ON refresh_tokens (tenant_id, user_id) WHERE revoked_at IS NULL;
-- Revoking a family on reuse.
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);
-- Revoking everything a key signed.
CREATE INDEX refresh_tokens_kid ON refresh_tokens (tenant_id, kid);
-- Purging expired rows.
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- Admin API keys: gh_<id>_<secret>, looked up by id; only SHA-256 of the 256-bit secret
-- is kept. tenant_id NULL is a global key; otherwise the key reaches only that tenant.
CREATE TABLE admin_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    tenant_id    uuid REFERENCES tenants (id) ON DELETE CASCADE,
    secret_hash  bytea NOT NULL CHECK (length(secret_hash) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX admin_keys_tenant ON admin_keys (tenant_id);

-- Who did what, when. Never secrets. tenant_id is kept without a foreign key so the
-- record of a deleted tenant survives it; NULL for deployment-wide events.
CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id    uuid,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL,
    action       text NOT NULL,
    target       text,
    details      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(details) = 'object')
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id);
CREATE INDEX audit_log_occurred_at ON audit_log (occurred_at);

-- Fixed-window rate limit counters (throttle_anon, throttle_user). Unlogged: losing
-- them in a crash only resets the windows.
CREATE UNLOGGED TABLE throttle_counters (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    bucket        text NOT NULL,
    window_start  timestamptz NOT NULL,
    hits          integer NOT NULL CHECK (hits >= 0),
    PRIMARY KEY (tenant_id, bucket, window_start)
);
CREATE INDEX throttle_counters_window_start ON throttle_counters (window_start);
