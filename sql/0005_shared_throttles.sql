-- Throttles that hold across instances. Each instance leases slices of a window's budget
-- from throttle_counters (bucket: a hash of the throttle, the realm and the client, never
-- the raw address or username) and spends them locally, so the instances together admit
-- at most the configured rate, and most requests cost no round trip.

-- Grants up to p_want of the window's remaining budget, atomically: the row is locked while
-- the grant is decided, so concurrent leases never hand out more than p_limit in total.
CREATE FUNCTION gatehouse_throttle_lease(p_tenant uuid, p_bucket text, p_window timestamptz, p_want integer, p_limit integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    used integer;
    granted integer;
BEGIN
    INSERT INTO throttle_counters (tenant_id, bucket, window_start, hits) VALUES (p_tenant, p_bucket, p_window, 0)
    ON CONFLICT (tenant_id, bucket, window_start) DO NOTHING;
    SELECT hits INTO used FROM throttle_counters
    WHERE tenant_id = p_tenant AND bucket = p_bucket AND window_start = p_window FOR UPDATE;
    granted := greatest(0, least(p_want, p_limit - used));
    IF granted > 0 THEN
        UPDATE throttle_counters SET hits = hits + granted
        WHERE tenant_id = p_tenant AND bucket = p_bucket AND window_start = p_window;
    END IF;
    RETURN granted;
END
$$;
