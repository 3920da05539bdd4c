-- Right to erasure (CORE-PRIVACY). Per-subject keys under which a person's name, IP address
-- and user agent are encrypted in audit entries; erasure destroys the key (key_sealed NULL).
CREATE TABLE audit_subject_keys (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  subject_id uuid NOT NULL,
  key_sealed text,
  created_at timestamptz NOT NULL DEFAULT now(),
  destroyed_at timestamptz,
  PRIMARY KEY (tenant_id, subject_id),
  CHECK ((key_sealed IS NULL) = (destroyed_at IS NOT NULL))
);
ALTER TABLE audit_subject_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_subject_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_subject_keys_tenant_read ON audit_subject_keys FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY audit_subject_keys_tenant_write ON audit_subject_keys FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
-- A destroyed key never comes back: no row may go from NULL to a key again.
CREATE FUNCTION audit_subject_key_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.key_sealed IS NULL THEN
    RAISE EXCEPTION 'the key of subject % was destroyed', OLD.subject_id USING ERRCODE = 'P0001';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_subject_keys_once BEFORE UPDATE ON audit_subject_keys FOR EACH ROW EXECUTE FUNCTION audit_subject_key_once();
ALTER TABLE audit_subject_keys ENABLE ALWAYS TRIGGER audit_subject_keys_once;
GRANT SELECT, INSERT, UPDATE ON audit_subject_keys TO parapet_app;

-- Erasure requests are themselves evidence for a data-protection authority.
CREATE TABLE erasure_requests (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  subject_id uuid NOT NULL,
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
  requested_by uuid,
  requested_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  -- What was deleted, per table (counts only; no personal data).
  report jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (tenant_id, id)
);
ALTER TABLE erasure_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE erasure_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY erasure_requests_tenant_read ON erasure_requests FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY erasure_requests_tenant_write ON erasure_requests FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON erasure_requests TO parapet_app;

-- An erased person keeps a row (other rows' keys point at it) with nothing personal in it.
ALTER TABLE users DROP CONSTRAINT users_status_check;
ALTER TABLE users ADD CONSTRAINT users_status_check CHECK (status IN ('active', 'deactivated', 'erased'));

-- Erasure deletes a person's accepted invitation (it holds their email), their devices and
-- the tokens that enrolled them; nothing else deletes these rows.
GRANT DELETE ON invitations TO parapet_app;
GRANT DELETE ON devices TO parapet_app;
GRANT DELETE ON device_enrollment_tokens TO parapet_app;
