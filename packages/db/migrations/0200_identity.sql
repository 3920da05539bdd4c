-- Identity (CORE-AUTHN, CORE-MFA, CORE-PDP): login throttling, MFA factors, session states,
-- the manager relation and delegations. Same tenant pattern as 0001.

-- The manager relation; SCIM (0250) adds the same column and constraint with IF NOT EXISTS,
-- so either order of the two migrations works.
ALTER TABLE users ADD COLUMN IF NOT EXISTS manager_id uuid;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'users'::regclass AND conname = 'users_manager_fk') THEN
    ALTER TABLE users ADD CONSTRAINT users_manager_fk FOREIGN KEY (tenant_id, manager_id)
      REFERENCES users (tenant_id, id) ON DELETE SET NULL (manager_id);
  END IF;
END $$;
CREATE INDEX IF NOT EXISTS users_manager ON users (tenant_id, manager_id);

-- A session is 'full' only after every required factor passed. 'mfa_pending': password ok,
-- second factor outstanding. 'mfa_enroll': the tenant requires MFA and the user has none yet.
ALTER TABLE sessions ADD COLUMN state text NOT NULL DEFAULT 'full'
  CHECK (state IN ('full', 'mfa_pending', 'mfa_enroll'));

-- Failed-login counters, per account (key 'acct:<email>') and per client IP ('ip:<addr>'),
-- in the database so every replica sees the same counts.
CREATE TABLE login_throttle (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 400),
  failures integer NOT NULL DEFAULT 0,
  window_started_at timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  PRIMARY KEY (tenant_id, key)
);
ALTER TABLE login_throttle ENABLE ROW LEVEL SECURITY;
ALTER TABLE login_throttle FORCE ROW LEVEL SECURITY;
CREATE POLICY login_throttle_tenant_read ON login_throttle FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY login_throttle_tenant_write ON login_throttle FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON login_throttle TO parapet_app;

-- TOTP factor: the secret is a CORE-CRYPTO envelope bound to (tenant, 'totp/<user id>').
-- last_time_step is the RFC 6238 counter of the last accepted code, so a code is never accepted twice.
CREATE TABLE mfa_totp (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  user_id uuid NOT NULL,
  secret_sealed text NOT NULL,
  confirmed_at timestamptz,
  last_time_step bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
ALTER TABLE mfa_totp ENABLE ROW LEVEL SECURITY;
ALTER TABLE mfa_totp FORCE ROW LEVEL SECURITY;
CREATE POLICY mfa_totp_tenant_read ON mfa_totp FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY mfa_totp_tenant_write ON mfa_totp FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON mfa_totp TO parapet_app;

-- One-time recovery codes; only SHA-256(user id || code) is stored (codes carry 80 random bits).
CREATE TABLE mfa_recovery_codes (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL,
  code_hash bytea NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code_hash),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX mfa_recovery_codes_user ON mfa_recovery_codes (tenant_id, user_id);
ALTER TABLE mfa_recovery_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE mfa_recovery_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY mfa_recovery_codes_tenant_read ON mfa_recovery_codes FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY mfa_recovery_codes_tenant_write ON mfa_recovery_codes FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON mfa_recovery_codes TO parapet_app;

-- Delegations (CORE-PDP): a user or a group may see an app category's data.
-- grantee_id names a user, or a group from the directory (groups arrive with SCIM).
CREATE TABLE delegations (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  grantee_type text NOT NULL CHECK (grantee_type IN ('user', 'group')),
  grantee_id uuid NOT NULL,
  category text NOT NULL CHECK (length(category) BETWEEN 1 AND 200),
  granted_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, grantee_type, grantee_id, category)
);
ALTER TABLE delegations ENABLE ROW LEVEL SECURITY;
ALTER TABLE delegations FORCE ROW LEVEL SECURITY;
CREATE POLICY delegations_tenant_read ON delegations FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY delegations_tenant_write ON delegations FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON delegations TO parapet_app;
