-- Support access by customer grant (CORE-SUPPORT).
--
-- The vendor realm (support_staff, support_credentials, support_challenges, support_enrolments)
-- is deployment-wide: vendor staff belong to no tenant, so these tables carry no tenant_id and
-- hold no tenant data. Staff sign in with WebAuthn only; there is no password column.
-- The tenant side (support_grants, support_sessions) follows the tenant-table pattern: a
-- support session lives in the customer's tenant, under its RLS, pinned to one grant.

CREATE TABLE support_staff (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 320 AND email = lower(email)),
  name text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz
);
GRANT SELECT, INSERT, UPDATE ON support_staff TO parapet_app;

CREATE TABLE support_credentials (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  staff_id uuid NOT NULL REFERENCES support_staff (id) ON DELETE CASCADE,
  credential_id text NOT NULL UNIQUE CHECK (length(credential_id) BETWEEN 16 AND 1400 AND credential_id ~ '^[A-Za-z0-9_-]+$'),
  public_key bytea NOT NULL,
  sign_count bigint NOT NULL DEFAULT 0,
  transports text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz
);
CREATE INDEX support_credentials_staff ON support_credentials (staff_id);
GRANT SELECT, INSERT, UPDATE, DELETE ON support_credentials TO parapet_app;

-- One-time enrolment codes issued by the operator's CLI (stored as SHA-256).
CREATE TABLE support_enrolments (
  staff_id uuid PRIMARY KEY REFERENCES support_staff (id) ON DELETE CASCADE,
  code_hash bytea NOT NULL,
  challenge text,
  expires_at timestamptz NOT NULL
);
GRANT SELECT, INSERT, UPDATE, DELETE ON support_enrolments TO parapet_app;

-- Sign-in challenges: single use (deleted by the verify call), 5 minutes.
CREATE TABLE support_challenges (
  challenge text PRIMARY KEY,
  staff_id uuid NOT NULL REFERENCES support_staff (id) ON DELETE CASCADE,
  expires_at timestamptz NOT NULL
);
GRANT SELECT, INSERT, DELETE ON support_challenges TO parapet_app;

CREATE TABLE support_grants (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
  ticket text NOT NULL CHECK (length(ticket) BETWEEN 1 AND 200),
  scope text NOT NULL CHECK (scope IN ('read_only', 'read_write')),
  created_by uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_by uuid,
  PRIMARY KEY (tenant_id, id),
  CHECK (expires_at > created_at)
);
ALTER TABLE support_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE support_grants FORCE ROW LEVEL SECURITY;
CREATE POLICY support_grants_tenant_read ON support_grants FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY support_grants_tenant_write ON support_grants FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON support_grants TO parapet_app;

-- staff_id names a row of the deployment-wide support_staff table; it is not a foreign key
-- because every key of a tenant table includes tenant_id.
CREATE TABLE support_sessions (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  grant_id uuid NOT NULL,
  staff_id uuid NOT NULL,
  staff_email text NOT NULL,
  token_hash bytea NOT NULL,
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  ended_at timestamptz,
  ip text,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, grant_id) REFERENCES support_grants (tenant_id, id)
);
CREATE INDEX support_sessions_grant ON support_sessions (tenant_id, grant_id);
ALTER TABLE support_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE support_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY support_sessions_tenant_read ON support_sessions FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY support_sessions_tenant_write ON support_sessions FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON support_sessions TO parapet_app;
