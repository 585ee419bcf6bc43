-- The SHA-256 digest of each refresh token as it was issued; the token itself is never
-- stored. A rotation finds the row by jti and by this digest: a presented token whose bytes
-- hash to it is byte for byte the token this tier signed, so its signature need not be
-- checked again, and no other token, however validly signed, spends that row. NULL for a
-- row written before this migration (or by an older instance): its token is checked by
-- signature, as before.
ALTER TABLE refresh_tokens ADD COLUMN token_digest bytea;
-- NOT VALID: rows written from now on are checked; the existing ones are all NULL, and
-- checking them would read the whole table under its lock.
ALTER TABLE refresh_tokens ADD CONSTRAINT refresh_tokens_token_digest_length CHECK (length(token_digest) = 32) NOT VALID;
