-- People without an identity provider: an admin invites someone by email with the roles
-- they will have. The invitation link carries a 256-bit secret; only its SHA-256 is stored.
-- It is single use (accepted_at), expires (expires_at) and can be revoked (revoked_at).
-- Same tenant pattern as 0001.
CREATE TABLE invitations (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  email text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
  roles text[] NOT NULL
    CHECK (roles <@ ARRAY['admin','security_lead','operator','manager','employee','auditor']::text[]),
  token_hash bytea NOT NULL,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_user_id uuid,
  revoked_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, accepted_user_id) REFERENCES users (tenant_id, id)
);
-- At most one open invitation per address.
CREATE UNIQUE INDEX invitations_open_email ON invitations (tenant_id, email) WHERE accepted_at IS NULL AND revoked_at IS NULL;
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY invitations_tenant_read ON invitations FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY invitations_tenant_write ON invitations FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON invitations TO parapet_app;
