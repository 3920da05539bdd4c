-- Evidence export requests (CORE-VAULT downloads, PROBE-REPORT): a request to download a
-- scan's evidence, approved at once for non-production scopes (step-up) and by two approvers
-- with fresh MFA for production scopes. Signed URLs are issued only for approved requests.

CREATE TABLE probe_evidence_exports (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  scan_id uuid NOT NULL,
  requested_by uuid NOT NULL,
  state text NOT NULL CHECK (state IN ('requested', 'approved')),
  approvals_required integer NOT NULL CHECK (approvals_required >= 0),
  reason text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL,
  -- approvals after this are refused; URLs are issued only before it
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, scan_id) REFERENCES probe_scans (tenant_id, id),
  FOREIGN KEY (tenant_id, requested_by) REFERENCES users (tenant_id, id)
);
ALTER TABLE probe_evidence_exports ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_evidence_exports FORCE ROW LEVEL SECURITY;
CREATE POLICY probe_evidence_exports_tenant_read ON probe_evidence_exports FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY probe_evidence_exports_tenant_write ON probe_evidence_exports FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON probe_evidence_exports TO parapet_app;
GRANT UPDATE (state) ON probe_evidence_exports TO parapet_app;

CREATE TABLE probe_evidence_export_approvals (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  export_id uuid NOT NULL,
  user_id uuid NOT NULL,
  mfa_verified_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, export_id, user_id),
  FOREIGN KEY (tenant_id, export_id) REFERENCES probe_evidence_exports (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
ALTER TABLE probe_evidence_export_approvals ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_evidence_export_approvals FORCE ROW LEVEL SECURITY;
CREATE POLICY probe_evidence_export_approvals_tenant_read ON probe_evidence_export_approvals FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY probe_evidence_export_approvals_tenant_write ON probe_evidence_export_approvals FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON probe_evidence_export_approvals TO parapet_app;
