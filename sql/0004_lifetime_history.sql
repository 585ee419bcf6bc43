-- Revocations must stay revoked. A revocation list may be deleted only once every token it
-- covers has expired, and a token carries the lifetime in force when it was issued, not
-- today's. When an update shortens an environment's longest token lifetime, this column
-- remembers until when tokens issued under the longer one can still be valid; the
-- scheduler keeps every list covering the environment at least that long.
ALTER TABLE environments ADD COLUMN longer_lifetimes_until timestamptz;
