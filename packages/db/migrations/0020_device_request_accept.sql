-- Accepting a signed device request in one statement (CORE-ENROLL hot path): the server keeps
-- the device's immutable fields (kind, name, public key) in memory, and on every request this
-- function checks, in the same statement that records the nonce, that the device still exists,
-- is still active and still has the key the signature was verified with. So a revocation, an
-- erasure or a replaced key takes effect on the next request on every replica, and a reused
-- nonce fails on the unique key of device_nonces, with one round trip instead of a transaction
-- of five.
--
-- SECURITY INVOKER: it runs as the caller (parapet_app), so the RLS policies of devices and
-- device_nonces apply with the tenant it sets. The caller's own context is restored before it
-- returns, so calling it inside a wider transaction leaves that transaction's tenant alone.
--
-- Its transaction commits without waiting for the WAL flush (synchronous_commit off: the flush,
-- not the insert, is what a request would otherwise wait for, several ms per request). This
-- does not weaken replay protection where it matters: WAL is flushed in order, so the nonce is
-- on disk no later than anything the accepted request itself commits. Only if PostgreSQL
-- crashes within the WAL writer's delay (at most 3 x wal_writer_delay, 600 ms by default) can
-- a nonce be lost, and then so is every write of that request. That loss cannot be used for a
-- replay either: a signature created before PostgreSQL last started (pg_postmaster_start_time)
-- is refused as 'stale', so every request signed before a crash is dead after it; devices sign
-- each attempt afresh, so a retry passes. Call it as a
-- statement of its own (Database.statement), never inside a transaction that writes other rows.
-- Returns 'accepted', 'replayed', 'stale', 'revoked' or 'unknown' (no such device in that tenant,
-- or its key is not p_public_key). p_created is the signature's `created` parameter.
CREATE FUNCTION device_request_accept(p_tenant uuid, p_device uuid, p_public_key bytea, p_nonce text, p_expires timestamptz, p_created timestamptz)
RETURNS text LANGUAGE plpgsql SECURITY INVOKER AS $$
DECLARE
  prev_tenant text := current_setting('app.tenant_id', true);
  prev_actor text := current_setting('app.actor', true);
  d_status text;
  d_key bytea;
  inserted int;
  outcome text;
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
  PERFORM set_config('app.tenant_id', p_tenant::text, true);
  PERFORM set_config('app.actor', 'device:' || p_device::text, true);
  SELECT status, public_key INTO d_status, d_key FROM devices WHERE tenant_id = p_tenant AND id = p_device;
  IF d_status IS NULL OR d_key <> p_public_key THEN
    outcome := 'unknown';
  ELSIF d_status <> 'active' THEN
    outcome := 'revoked';
  ELSIF p_created < pg_postmaster_start_time() THEN
    outcome := 'stale';
  ELSE
    -- Expired nonces are purged now and then, not on every request (this is the hot path).
    IF random() < 1.0 / 32 THEN
      DELETE FROM device_nonces WHERE tenant_id = p_tenant AND device_id = p_device AND expires_at < now();
    END IF;
    INSERT INTO device_nonces (tenant_id, device_id, nonce, expires_at) VALUES (p_tenant, p_device, p_nonce, p_expires)
      ON CONFLICT (tenant_id, device_id, nonce) DO NOTHING;
    GET DIAGNOSTICS inserted = ROW_COUNT;
    outcome := CASE WHEN inserted = 1 THEN 'accepted' ELSE 'replayed' END;
  END IF;
  PERFORM set_config('app.tenant_id', coalesce(prev_tenant, ''), true);
  PERFORM set_config('app.actor', coalesce(prev_actor, ''), true);
  RETURN outcome;
END $$;
