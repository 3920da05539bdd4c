-- Accepting many signed device requests in one statement (CORE-ENROLL hot path under load): the
-- server groups the requests that arrive while an earlier group is on its way to the database
-- (devices/accept-batcher.ts) and sends them as arrays, one round trip for the whole group.
-- Each request gets the verdict device_request_accept (0020) would give it alone, in the order
-- of the input arrays: 'accepted', 'replayed', 'stale', 'revoked' or 'unknown'.
--
-- Same guarantees as 0020: the device's status and key are read in the statement that records
-- the nonce, so a revocation committed before it is seen; a reused nonce fails on the unique
-- key of device_nonces, also against another replica's concurrent statement (the second waits
-- for the first to commit, then does nothing); the transaction commits with synchronous_commit
-- off and refuses signatures created before PostgreSQL last started ('stale', see 0020).
-- A (tenant, device, nonce) given twice in one call is accepted at most once: the first in
-- array order is inserted and the others are 'replayed' (or share the first's refusal).
--
-- RLS keys every policy on one app.tenant_id per statement, so the rows are handled one
-- tenant at a time, each tenant's rows as one set-based INSERT. Tenants are taken in uuid order
-- and each tenant's rows in (device, nonce) order, so two concurrent calls take their unique-key
-- waits in one global order and cannot deadlock on each other.
--
-- SECURITY INVOKER: runs as the caller (parapet_app) under RLS. The caller's context is
-- restored before it returns. Call it as a statement of its own (Database.statement).
-- p_created and p_expires are Unix seconds (the signature's `created`, the nonce's expiry);
-- p_keys are the raw Ed25519 public keys the signatures were verified with.
CREATE FUNCTION device_requests_accept(p_tenants uuid[], p_devices uuid[], p_keys bytea[], p_nonces text[], p_expires bigint[], p_created bigint[])
RETURNS text[] LANGUAGE plpgsql SECURITY INVOKER AS $$
DECLARE
  prev_tenant text := current_setting('app.tenant_id', true);
  prev_actor text := current_setting('app.actor', true);
  started double precision := extract(epoch FROM pg_postmaster_start_time());
  n int := cardinality(p_nonces);
  outcomes text[] := array_fill(NULL::text, ARRAY[coalesce(n, 0)]);
  t uuid;
  idx int[];
  outs text[];
BEGIN
  IF cardinality(p_tenants) IS DISTINCT FROM n OR cardinality(p_devices) IS DISTINCT FROM n OR cardinality(p_keys) IS DISTINCT FROM n
     OR cardinality(p_expires) IS DISTINCT FROM n OR cardinality(p_created) IS DISTINCT FROM n THEN
    RAISE EXCEPTION 'device_requests_accept: the arrays differ in length' USING ERRCODE = '22023';
  END IF;
  PERFORM set_config('synchronous_commit', 'off', true);
  PERFORM set_config('app.actor', 'system:device-auth', true);
  FOR t IN SELECT DISTINCT x FROM unnest(p_tenants) AS x ORDER BY x LOOP
    PERFORM set_config('app.tenant_id', t::text, true);
    -- Expired nonces are purged now and then, not on every call (this is the hot path).
    IF random() < 1.0 / 32 THEN
      DELETE FROM device_nonces
       WHERE tenant_id = t AND expires_at < now()
         AND device_id IN (SELECT u.d FROM unnest(p_tenants, p_devices) AS u(tn, d) WHERE u.tn = t);
    END IF;
    -- Each row carries the id its nonce row would get, so RETURNING tells exactly which
    -- request's row went in (of a nonce given twice, the first in array order).
    WITH req AS MATERIALIZED (
      SELECT u.i::int AS i, u.device_id, u.nonce, u.expires, gen_random_uuid() AS row_id,
             CASE WHEN d.status IS NULL OR d.public_key <> u.public_key THEN 'unknown'
                  WHEN d.status <> 'active' THEN 'revoked'
                  WHEN u.created < started THEN 'stale' END AS refused
        FROM unnest(p_tenants, p_devices, p_keys, p_nonces, p_expires, p_created)
             WITH ORDINALITY AS u(tenant_id, device_id, public_key, nonce, expires, created, i)
        LEFT JOIN devices d ON d.tenant_id = t AND d.id = u.device_id
       WHERE u.tenant_id = t
    ), ins AS (
      INSERT INTO device_nonces (tenant_id, id, device_id, nonce, expires_at)
      SELECT t, r.row_id, r.device_id, r.nonce, to_timestamp(r.expires)
        FROM req r WHERE r.refused IS NULL
       ORDER BY r.device_id, r.nonce, r.i
      ON CONFLICT (tenant_id, device_id, nonce) DO NOTHING
      RETURNING id
    )
    SELECT array_agg(r.i), array_agg(coalesce(r.refused, CASE WHEN ins.id IS NULL THEN 'replayed' ELSE 'accepted' END))
      INTO idx, outs
      FROM req r LEFT JOIN ins ON ins.id = r.row_id;
    FOR k IN 1 .. cardinality(idx) LOOP
      outcomes[idx[k]] := outs[k];
    END LOOP;
  END LOOP;
  PERFORM set_config('app.tenant_id', coalesce(prev_tenant, ''), true);
  PERFORM set_config('app.actor', coalesce(prev_actor, ''), true);
  RETURN outcomes;
END $$;
