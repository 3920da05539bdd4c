-- Probe: signing keys, signed scopes, scan requests with their approvals, and the job queue
-- (PROBE-SCOPE, PROBE-SCAN, PROBE-APPROVAL). Every table follows the tenant pattern of 0001.

-- Ed25519 public keys that may sign scopes. A key is never edited; it can only be revoked.
CREATE TABLE probe_signing_keys (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- lowercase hex SHA-256 of the DER SubjectPublicKeyInfo (the DSSE keyid)
  key_id text NOT NULL CHECK (key_id ~ '^[0-9a-f]{64}$'),
  public_key_pem text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  revoked_by uuid,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, key_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, revoked_by) REFERENCES users (tenant_id, id)
);
ALTER TABLE probe_signing_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_signing_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY probe_signing_keys_tenant_read ON probe_signing_keys FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY probe_signing_keys_tenant_write ON probe_signing_keys FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
-- Column grant: the application can revoke a key but not change it.
GRANT SELECT, INSERT ON probe_signing_keys TO parapet_app;
GRANT UPDATE (revoked_at, revoked_by) ON probe_signing_keys TO parapet_app;

-- Signed scopes. Immutable: a change is a new version; only revocation is recorded later.
CREATE TABLE probe_scopes (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  scope_id text NOT NULL,
  version integer NOT NULL CHECK (version >= 1),
  name text NOT NULL,
  environment text NOT NULL CHECK (environment IN ('production', 'non-production')),
  document jsonb NOT NULL,
  envelope jsonb NOT NULL,
  payload_sha256 text NOT NULL,
  signing_key uuid NOT NULL,
  uploaded_by uuid NOT NULL,
  uploaded_at timestamptz NOT NULL DEFAULT now(),
  valid_from timestamptz NOT NULL,
  valid_until timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_by uuid,
  revoke_reason text,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, scope_id, version),
  FOREIGN KEY (tenant_id, signing_key) REFERENCES probe_signing_keys (tenant_id, id),
  FOREIGN KEY (tenant_id, uploaded_by) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, revoked_by) REFERENCES users (tenant_id, id)
);
ALTER TABLE probe_scopes ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_scopes FORCE ROW LEVEL SECURITY;
CREATE POLICY probe_scopes_tenant_read ON probe_scopes FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY probe_scopes_tenant_write ON probe_scopes FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON probe_scopes TO parapet_app;
GRANT UPDATE (revoked_at, revoked_by, revoke_reason) ON probe_scopes TO parapet_app;

-- Scan requests and, once queued, jobs: the queue is the rows in state 'queued', leased with
-- FOR UPDATE SKIP LOCKED (see packages/server/src/probe/service.ts leaseNextScan).
CREATE TABLE probe_scans (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  scope uuid NOT NULL,
  requested_by uuid NOT NULL,
  state text NOT NULL CHECK (state IN ('requested', 'approved', 'queued', 'leased', 'running', 'finished', 'failed', 'cancelled', 'rejected', 'expired')),
  targets jsonb NOT NULL,
  addresses text[] NOT NULL,
  ports integer[] NOT NULL,
  probe_types text[] NOT NULL,
  rate_pps integer NOT NULL CHECK (rate_pps >= 1),
  approvals_required integer NOT NULL CHECK (approvals_required >= 0),
  note text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  -- Approval deadline: past it, the request expires.
  expires_at timestamptz NOT NULL,
  queued_at timestamptz,
  leased_by text,
  lease_expires_at timestamptz,
  lease_count integer NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, scope) REFERENCES probe_scopes (tenant_id, id),
  FOREIGN KEY (tenant_id, requested_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX probe_scans_queue ON probe_scans (tenant_id, state, queued_at);
CREATE INDEX probe_scans_scope ON probe_scans (tenant_id, scope);
ALTER TABLE probe_scans ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_scans FORCE ROW LEVEL SECURITY;
CREATE POLICY probe_scans_tenant_read ON probe_scans FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY probe_scans_tenant_write ON probe_scans FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON probe_scans TO parapet_app;
GRANT UPDATE (state, updated_at, queued_at, leased_by, lease_expires_at, lease_count) ON probe_scans TO parapet_app;

-- One decision per person per scan; the primary key makes "the same approver twice" impossible.
CREATE TABLE probe_scan_approvals (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  scan_id uuid NOT NULL,
  user_id uuid NOT NULL,
  decision text NOT NULL CHECK (decision IN ('approve', 'reject')),
  mfa_verified_at timestamptz,
  comment text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, scan_id, user_id),
  FOREIGN KEY (tenant_id, scan_id) REFERENCES probe_scans (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
ALTER TABLE probe_scan_approvals ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_scan_approvals FORCE ROW LEVEL SECURITY;
CREATE POLICY probe_scan_approvals_tenant_read ON probe_scan_approvals FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY probe_scan_approvals_tenant_write ON probe_scan_approvals FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON probe_scan_approvals TO parapet_app;
