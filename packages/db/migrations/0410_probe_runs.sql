-- Probe runs (PROBE-WORKER, PROBE-PROBES, PROBE-EVIDENCE, PROBE-FINDINGS): job leases held by
-- worker devices, idempotent result batches, one row per probe, evidence objects in the WORM
-- vault, and findings tracked across scans of the same scope. Tables follow the tenant pattern
-- of 0001 (tenant_id in every key, RLS enabled and forced). Described in docs/probe.md.

-- One row per lease of a scan by a worker device (probe_scans.leased_by/lease_expires_at
-- mirror the live one). At most one live lease per scan (partial
-- unique index). The lease id is the fencing token: every renew, batch and finish names it,
-- and the server accepts them only while it is the scan's live, unexpired lease.
CREATE TABLE probe_job_leases (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  scan_id uuid NOT NULL,
  device_id uuid NOT NULL,
  leased_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  renewed_at timestamptz,
  -- Set when the lease stops being live: 'finished', 'failed', 'expired' (taken over), 'cancelled'.
  ended_at timestamptz,
  end_reason text CHECK (end_reason IN ('finished', 'failed', 'expired', 'cancelled', 'refused')),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, scan_id) REFERENCES probe_scans (tenant_id, id),
  FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id)
);
CREATE UNIQUE INDEX probe_job_leases_live ON probe_job_leases (tenant_id, scan_id) WHERE ended_at IS NULL;
CREATE INDEX probe_job_leases_scan ON probe_job_leases (tenant_id, scan_id, leased_at);
ALTER TABLE probe_job_leases ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_job_leases FORCE ROW LEVEL SECURITY;
CREATE POLICY probe_job_leases_tenant_read ON probe_job_leases FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY probe_job_leases_tenant_write ON probe_job_leases FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON probe_job_leases TO parapet_app;
GRANT UPDATE (expires_at, renewed_at, ended_at, end_reason) ON probe_job_leases TO parapet_app;

-- Result batches as received, keyed by the worker's batch id: a retried batch is answered
-- from here and changes nothing.
CREATE TABLE probe_result_batches (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  scan_id uuid NOT NULL,
  batch_id uuid NOT NULL,
  lease_id uuid NOT NULL,
  received_at timestamptz NOT NULL,
  result_count integer NOT NULL CHECK (result_count >= 0),
  PRIMARY KEY (tenant_id, scan_id, batch_id),
  FOREIGN KEY (tenant_id, scan_id) REFERENCES probe_scans (tenant_id, id),
  FOREIGN KEY (tenant_id, lease_id) REFERENCES probe_job_leases (tenant_id, id)
);
ALTER TABLE probe_result_batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_result_batches FORCE ROW LEVEL SECURITY;
CREATE POLICY probe_result_batches_tenant_read ON probe_result_batches FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY probe_result_batches_tenant_write ON probe_result_batches FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON probe_result_batches TO parapet_app;

-- Evidence: one encrypted WORM vault object per probe transcript (CORE-VAULT, sealed with the
-- tenant's envelope key). object_key is the vault key without the tenants/<id>/ prefix
-- (sealed.ts tenantKey adds it); sha256 is of the plaintext transcript (canonical JSON), so
-- anyone holding the decrypted object can check it against this row.
CREATE TABLE probe_evidence (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  scan_id uuid NOT NULL,
  object_key text NOT NULL CHECK (length(object_key) BETWEEN 1 AND 400),
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes integer NOT NULL CHECK (size_bytes >= 0),
  media_type text NOT NULL DEFAULT 'application/vnd.parapet.probe-transcript+json',
  created_at timestamptz NOT NULL,
  retain_until timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, object_key),
  FOREIGN KEY (tenant_id, scan_id) REFERENCES probe_scans (tenant_id, id)
);
CREATE INDEX probe_evidence_scan ON probe_evidence (tenant_id, scan_id);
ALTER TABLE probe_evidence ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_evidence FORCE ROW LEVEL SECURITY;
CREATE POLICY probe_evidence_tenant_read ON probe_evidence FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY probe_evidence_tenant_write ON probe_evidence FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON probe_evidence TO parapet_app;

-- One row per probe (time, target, port, type, outcome, duration, worker, scan). The unique
-- key (scan, address, port, probe type) is what makes batches idempotent and lets a resumed
-- scan skip what is already recorded. Immutable: no UPDATE or DELETE grant.
--   outcome for tcp_connect: open | closed | filtered | inconclusive (nmap's meaning);
--   for banner, tls, http_headers: ok | no_data | error | inconclusive;
--   'refused': the worker's own checks refused this target at probe time (nothing was sent).
CREATE TABLE probe_results (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  scan_id uuid NOT NULL,
  lease_id uuid NOT NULL,
  batch_id uuid NOT NULL,
  device_id uuid NOT NULL,
  -- The scan target this address came from (host name or address as requested).
  target text NOT NULL CHECK (length(target) BETWEEN 1 AND 253),
  address text NOT NULL CHECK (length(address) BETWEEN 2 AND 45),
  port integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
  probe_type text NOT NULL CHECK (probe_type IN ('tcp_connect', 'banner', 'tls', 'http_headers')),
  outcome text NOT NULL CHECK (outcome IN ('open', 'closed', 'filtered', 'inconclusive', 'ok', 'no_data', 'error', 'refused')),
  -- Why, in a stable word: 'econnrefused', 'timeout', 'rate_limited', 'out_of_scope', ...
  reason text NOT NULL DEFAULT '',
  started_at timestamptz NOT NULL,
  duration_ms integer NOT NULL CHECK (duration_ms >= 0),
  -- Probe-specific observations (TLS versions, certificate facts, headers...), bounded by the API.
  observed jsonb NOT NULL DEFAULT '{}'::jsonb,
  evidence_id uuid,
  evidence_sha256 text CHECK (evidence_sha256 ~ '^[0-9a-f]{64}$'),
  received_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, scan_id, address, port, probe_type),
  FOREIGN KEY (tenant_id, scan_id) REFERENCES probe_scans (tenant_id, id),
  FOREIGN KEY (tenant_id, lease_id) REFERENCES probe_job_leases (tenant_id, id),
  FOREIGN KEY (tenant_id, scan_id, batch_id) REFERENCES probe_result_batches (tenant_id, scan_id, batch_id),
  FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id),
  FOREIGN KEY (tenant_id, evidence_id) REFERENCES probe_evidence (tenant_id, id)
);
CREATE INDEX probe_results_scan_time ON probe_results (tenant_id, scan_id, received_at);
ALTER TABLE probe_results ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_results FORCE ROW LEVEL SECURITY;
CREATE POLICY probe_results_tenant_read ON probe_results FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY probe_results_tenant_write ON probe_results FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON probe_results TO parapet_app;

-- Findings per scope (the scope's text id, so they carry across its versions): observed vs the
-- scope's expected policy. fingerprint = kind|address|port (port 0 for host-level findings);
-- a finding seen again is updated (last_seen), one not seen by a later finished scan that
-- covered its address, port and probe type is resolved; seen again after that it reopens.
CREATE TABLE probe_findings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  scope_id text NOT NULL,
  fingerprint text NOT NULL CHECK (length(fingerprint) BETWEEN 1 AND 300),
  -- unexpected_open_port, expected_port_closed, tls_legacy_version, tls_weak_cipher,
  -- cert_expired, cert_expiring, cert_self_signed, cert_name_mismatch, cert_weak_key,
  -- missing_hsts, missing_csp, missing_framing_protection, banner_disclosure
  kind text NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
  severity text NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
  address text NOT NULL,
  port integer NOT NULL CHECK (port BETWEEN 0 AND 65535),
  title text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}'::jsonb,
  status text NOT NULL CHECK (status IN ('open', 'resolved')),
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  resolved_at timestamptz,
  first_scan_id uuid NOT NULL,
  last_scan_id uuid NOT NULL,
  resolved_scan_id uuid,
  -- The result (and through it the evidence) of the latest observation.
  last_result_id uuid NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, scope_id, fingerprint),
  FOREIGN KEY (tenant_id, first_scan_id) REFERENCES probe_scans (tenant_id, id),
  FOREIGN KEY (tenant_id, last_scan_id) REFERENCES probe_scans (tenant_id, id),
  FOREIGN KEY (tenant_id, resolved_scan_id) REFERENCES probe_scans (tenant_id, id),
  FOREIGN KEY (tenant_id, last_result_id) REFERENCES probe_results (tenant_id, id)
);
CREATE INDEX probe_findings_status ON probe_findings (tenant_id, status, severity);
ALTER TABLE probe_findings ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_findings FORCE ROW LEVEL SECURITY;
CREATE POLICY probe_findings_tenant_read ON probe_findings FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY probe_findings_tenant_write ON probe_findings FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON probe_findings TO parapet_app;
GRANT UPDATE (severity, title, detail, status, last_seen_at, resolved_at, last_scan_id, resolved_scan_id, last_result_id) ON probe_findings TO parapet_app;

-- Which findings each scan observed (present) or resolved: the per-scan view for reports and
-- trends. One row per (scan, finding).
CREATE TABLE probe_scan_findings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  scan_id uuid NOT NULL,
  finding_id uuid NOT NULL,
  state text NOT NULL CHECK (state IN ('present', 'resolved')),
  result_id uuid,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, scan_id, finding_id),
  FOREIGN KEY (tenant_id, scan_id) REFERENCES probe_scans (tenant_id, id),
  FOREIGN KEY (tenant_id, finding_id) REFERENCES probe_findings (tenant_id, id),
  FOREIGN KEY (tenant_id, result_id) REFERENCES probe_results (tenant_id, id)
);
CREATE INDEX probe_scan_findings_finding ON probe_scan_findings (tenant_id, finding_id);
ALTER TABLE probe_scan_findings ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_scan_findings FORCE ROW LEVEL SECURITY;
CREATE POLICY probe_scan_findings_tenant_read ON probe_scan_findings FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY probe_scan_findings_tenant_write ON probe_scan_findings FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON probe_scan_findings TO parapet_app;

-- Progress: how many probes the worker plans for this scan (set at lease, grows as open ports
-- add banner/tls/http probes), so the console can show a bar and an ETA.
ALTER TABLE probe_scans ADD COLUMN planned_probes integer NOT NULL DEFAULT 0 CHECK (planned_probes >= 0);
GRANT UPDATE (planned_probes) ON probe_scans TO parapet_app;
