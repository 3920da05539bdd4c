-- Probe compliance reports (PROBE-REPORT): the tenant's Ed25519 report signing key (private
-- half sealed with the envelope key, like audit_log_keys) and one signed report per finished
-- scan. A report is immutable: the application may insert and read, never change or delete.

CREATE TABLE probe_report_keys (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  -- lowercase hex SHA-256 of the DER SubjectPublicKeyInfo (the DSSE keyid)
  key_id text NOT NULL CHECK (key_id ~ '^[0-9a-f]{64}$'),
  public_key_pem text NOT NULL,
  -- PKCS#8 DER sealed with envelope.seal, bound to (tenant, 'probe_report_key/<key_id>')
  private_sealed text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key_id)
);
ALTER TABLE probe_report_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_report_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY probe_report_keys_tenant_read ON probe_report_keys FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY probe_report_keys_tenant_write ON probe_report_keys FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON probe_report_keys TO parapet_app;
-- Key rotation re-wraps the sealed private key (platform/sealed.ts); nothing else changes.
GRANT UPDATE (private_sealed) ON probe_report_keys TO parapet_app;

CREATE TABLE probe_reports (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  scan_id uuid NOT NULL,
  scope uuid NOT NULL,
  -- the scope's text id, so the per-scope list spans its versions
  scope_id text NOT NULL,
  key_id text NOT NULL,
  verdict text NOT NULL CHECK (verdict IN ('pass', 'fail')),
  -- {"critical": n, "high": n, ...} open findings, for the trend chart
  findings_open jsonb NOT NULL,
  -- the DSSE envelope (the JSON report) exactly as signed
  envelope jsonb NOT NULL,
  pdf bytea NOT NULL,
  pdf_sha256 text NOT NULL CHECK (pdf_sha256 ~ '^[0-9a-f]{64}$'),
  bundle_sha256 text NOT NULL CHECK (bundle_sha256 ~ '^[0-9a-f]{64}$'),
  checkpoint_size bigint NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, scan_id),
  FOREIGN KEY (tenant_id, scan_id) REFERENCES probe_scans (tenant_id, id),
  FOREIGN KEY (tenant_id, scope) REFERENCES probe_scopes (tenant_id, id),
  FOREIGN KEY (tenant_id, key_id) REFERENCES probe_report_keys (tenant_id, key_id)
);
CREATE INDEX probe_reports_scope ON probe_reports (tenant_id, scope_id, created_at);
ALTER TABLE probe_reports ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_reports FORCE ROW LEVEL SECURITY;
CREATE POLICY probe_reports_tenant_read ON probe_reports FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY probe_reports_tenant_write ON probe_reports FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON probe_reports TO parapet_app;
