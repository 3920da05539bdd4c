-- Transactional outbox: side effects (webhooks, notifications, anything outside this
-- database) are written here in the same transaction as the change that causes them, and
-- delivered after commit by platform/outbox.ts. A rolled-back transaction leaves no message;
-- a committed one is delivered at least once, with retries (attempts, next_attempt_at with
-- backoff) until it succeeds or is dead-lettered (state 'dead', replayable).
--
-- Drainers take due rows with FOR UPDATE SKIP LOCKED and hold the lock while delivering, so
-- two drainers never deliver one message at the same time.
--
-- No foreign key to tenants, for the audit inbox's reason (0102): its check would take a KEY
-- SHARE lock on the tenant's row in every business transaction that writes here. RLS pins
-- tenant_id to the transaction's tenant.
CREATE TABLE outbox (
  tenant_id uuid NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  topic text NOT NULL CHECK (topic ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$' AND length(topic) <= 100),
  payload jsonb NOT NULL,
  -- Optional idempotency key: one message per (tenant, topic, key).
  dedupe_key text CHECK (length(dedupe_key) BETWEEN 1 AND 200),
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts int NOT NULL DEFAULT 12 CHECK (max_attempts BETWEEN 1 AND 100),
  -- NULL: due at once (no clock involved, so a drainer on an injected clock takes it too).
  next_attempt_at timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, topic, dedupe_key)
);
CREATE INDEX outbox_due ON outbox (tenant_id, next_attempt_at NULLS FIRST) WHERE state = 'pending';
ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY outbox_tenant ON outbox FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON outbox TO parapet_app;

-- Tenants with messages due by `at` (ids only), for the periodic drain. Runs as the caller,
-- so RLS still applies: it needs app.list_tenants = 'on' to see the tenants and looks at each
-- tenant's outbox under that tenant's own setting, restoring the caller's setting afterwards.
CREATE FUNCTION outbox_due_tenants(at timestamptz) RETURNS SETOF uuid LANGUAGE plpgsql AS $$
DECLARE
  t uuid;
  prior text := coalesce(current_setting('app.tenant_id', true), '');
BEGIN
  FOR t IN SELECT id FROM tenants ORDER BY id LOOP
    PERFORM set_config('app.tenant_id', t::text, true);
    IF EXISTS (SELECT 1 FROM outbox o WHERE o.tenant_id = t AND o.state = 'pending' AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= at)) THEN
      RETURN NEXT t;
    END IF;
  END LOOP;
  PERFORM set_config('app.tenant_id', prior, true);
END $$;
GRANT EXECUTE ON FUNCTION outbox_due_tenants(timestamptz) TO parapet_app;
