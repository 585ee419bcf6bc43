-- Blacklisted sliding tokens (contract section 7), by jti: a sliding token keeps its jti
-- when refreshed, so blacklisting one stops every copy. The raw token is never stored.
-- A row is kept until no copy can be used any more (expires_at), then purged.
CREATE TABLE blacklisted_sliding_tokens (
    tenant_id       uuid NOT NULL,
    jti             uuid NOT NULL,
    environment_id  uuid NOT NULL,
    user_id         uuid NOT NULL,
    blacklisted_at  timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, jti),
    FOREIGN KEY (tenant_id, environment_id) REFERENCES environments (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
-- Purging rows no copy can outlive.
CREATE INDEX blacklisted_sliding_tokens_expires_at ON blacklisted_sliding_tokens (expires_at);
