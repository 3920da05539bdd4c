-- SIEM webhooks (PROBE-SIEM, CORE-WEBHOOK): per-tenant endpoints, one message per (event,
-- endpoint) written in the transaction of the change it reports (a transactional outbox), and
-- every delivery attempt. Delivered after commit by packages/server/src/webhooks/deliver.ts.

CREATE TABLE webhook_endpoints (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  url text NOT NULL CHECK (url ~ '^https://' AND length(url) <= 2000),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
  -- "whsec_" + base64 secret, sealed with envelope.seal bound to (tenant, 'webhook_secret/<id>')
  secret_sealed text NOT NULL,
  -- event types delivered; empty means all
  events text[] NOT NULL DEFAULT '{}',
  enabled boolean NOT NULL DEFAULT true,
  disabled_reason text,
  disabled_at timestamptz,
  created_by uuid NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id)
);
ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_endpoints_tenant_read ON webhook_endpoints FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY webhook_endpoints_tenant_write ON webhook_endpoints FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON webhook_endpoints TO parapet_app;
-- secret_sealed: key rotation re-wraps it (platform/sealed.ts).
GRANT UPDATE (url, description, events, enabled, disabled_reason, disabled_at, updated_at, secret_sealed) ON webhook_endpoints TO parapet_app;

-- One logical delivery. id is the Standard Webhooks webhook-id (msg_...), the same on every
-- retry; body is the exact JSON sent, so a retry sends the same bytes.
CREATE TABLE webhook_messages (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id text NOT NULL CHECK (id ~ '^msg_[A-Za-z0-9]{16,40}$'),
  endpoint_id uuid NOT NULL,
  event_type text NOT NULL,
  body text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'delivered', 'dead', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  -- a drainer holds the message until then; another may take it over afterwards
  locked_until timestamptz,
  created_at timestamptz NOT NULL,
  finished_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_messages_due ON webhook_messages (tenant_id, state, next_attempt_at);
CREATE INDEX webhook_messages_endpoint ON webhook_messages (tenant_id, endpoint_id, created_at);
ALTER TABLE webhook_messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_messages FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_messages_tenant_read ON webhook_messages FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY webhook_messages_tenant_write ON webhook_messages FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON webhook_messages TO parapet_app;
GRANT UPDATE (state, attempts, next_attempt_at, locked_until, finished_at) ON webhook_messages TO parapet_app;

CREATE TABLE webhook_attempts (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  message_id text NOT NULL,
  n integer NOT NULL CHECK (n >= 1),
  endpoint_id uuid NOT NULL,
  at timestamptz NOT NULL,
  -- HTTP status, null when no response (connection refused, timeout, refused by SSRF rules)
  status integer,
  latency_ms integer NOT NULL,
  -- first 512 characters of the response body, or the error
  response_snippet text NOT NULL DEFAULT '',
  error_code text,
  PRIMARY KEY (tenant_id, message_id, n),
  FOREIGN KEY (tenant_id, message_id) REFERENCES webhook_messages (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (tenant_id, endpoint_id, at);
ALTER TABLE webhook_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY webhook_attempts_tenant_read ON webhook_attempts FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY webhook_attempts_tenant_write ON webhook_attempts FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON webhook_attempts TO parapet_app;
