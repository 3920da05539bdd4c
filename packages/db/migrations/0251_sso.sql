-- OpenID Connect SSO (CORE-SSO): per-tenant IdP configuration, pending logins, linked identities.

-- One IdP per tenant. The client secret is a CORE-CRYPTO envelope bound to (tenant, record).
CREATE TABLE sso_configs (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  preset text NOT NULL CHECK (preset IN ('entra', 'okta', 'google', 'jumpcloud', 'generic')),
  issuer text NOT NULL CHECK (length(issuer) BETWEEN 8 AND 500),
  client_id text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 300),
  client_secret_sealed text,
  scopes text NOT NULL DEFAULT 'openid email profile',
  groups_claim text,
  group_roles jsonb NOT NULL DEFAULT '{}'::jsonb,
  default_roles text[] NOT NULL DEFAULT '{employee}'
    CHECK (default_roles <@ ARRAY['admin','security_lead','operator','manager','employee','auditor']::text[]),
  allowed_domains text[] NOT NULL DEFAULT '{}',
  jit_provisioning boolean NOT NULL DEFAULT true,
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id)
);
ALTER TABLE sso_configs ENABLE ROW LEVEL SECURITY;
ALTER TABLE sso_configs FORCE ROW LEVEL SECURITY;
CREATE POLICY sso_configs_tenant_read ON sso_configs FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY sso_configs_tenant_write ON sso_configs FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON sso_configs TO parapet_app;

-- A login in progress: SHA-256 of the state, the PKCE verifier and the nonce; single use, 10 minutes.
CREATE TABLE sso_login_states (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  state_hash bytea NOT NULL,
  code_verifier text NOT NULL,
  nonce text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, state_hash)
);
ALTER TABLE sso_login_states ENABLE ROW LEVEL SECURITY;
ALTER TABLE sso_login_states FORCE ROW LEVEL SECURITY;
CREATE POLICY sso_login_states_tenant_read ON sso_login_states FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY sso_login_states_tenant_write ON sso_login_states FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON sso_login_states TO parapet_app;

-- Which IdP subject is which user (issuer + sub is the stable identity, not the email).
CREATE TABLE sso_identities (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  issuer text NOT NULL,
  subject text NOT NULL,
  user_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz,
  PRIMARY KEY (tenant_id, issuer, subject),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sso_identities_user ON sso_identities (tenant_id, user_id);
ALTER TABLE sso_identities ENABLE ROW LEVEL SECURITY;
ALTER TABLE sso_identities FORCE ROW LEVEL SECURITY;
CREATE POLICY sso_identities_tenant_read ON sso_identities FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY sso_identities_tenant_write ON sso_identities FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON sso_identities TO parapet_app;
