-- Devices (CORE-ENROLL): enrollment tokens, enrolled agents/workers with their Ed25519 public
-- keys, and the replay store for RFC 9421 signature nonces. Same tenant pattern as 0001.

-- Only SHA-256 of the token secret is stored; the secret is shown once at creation.
CREATE TABLE device_enrollment_tokens (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  token_hash bytea NOT NULL,
  kind text NOT NULL CHECK (kind IN ('agent', 'worker')),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  device_id uuid,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash)
);
ALTER TABLE device_enrollment_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE device_enrollment_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY device_enrollment_tokens_read ON device_enrollment_tokens FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY device_enrollment_tokens_write ON device_enrollment_tokens FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON device_enrollment_tokens TO parapet_app;

CREATE TABLE devices (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('agent', 'worker')),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- Raw 32-byte Ed25519 public key.
  public_key bytea NOT NULL CHECK (length(public_key) = 32),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
  enrollment_token_id uuid NOT NULL,
  enrolled_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  revoked_by text,
  last_seen_at timestamptz,
  version text,
  platform text,
  key_store text CHECK (key_store IN ('os', 'file')),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, public_key),
  FOREIGN KEY (tenant_id, enrollment_token_id) REFERENCES device_enrollment_tokens (tenant_id, id)
);
ALTER TABLE devices ENABLE ROW LEVEL SECURITY;
ALTER TABLE devices FORCE ROW LEVEL SECURITY;
CREATE POLICY devices_read ON devices FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY devices_write ON devices FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON devices TO parapet_app;

-- Nonces seen in accepted device signatures, kept until the signature could no longer pass
-- the time window anyway; the unique key is what refuses a replay.
CREATE TABLE device_nonces (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  device_id uuid NOT NULL,
  nonce text NOT NULL CHECK (length(nonce) BETWEEN 16 AND 128),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, device_id, nonce),
  FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id)
);
CREATE INDEX device_nonces_expiry ON device_nonces (tenant_id, device_id, expires_at);
ALTER TABLE device_nonces ENABLE ROW LEVEL SECURITY;
ALTER TABLE device_nonces FORCE ROW LEVEL SECURITY;
CREATE POLICY device_nonces_read ON device_nonces FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY device_nonces_write ON device_nonces FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON device_nonces TO parapet_app;
