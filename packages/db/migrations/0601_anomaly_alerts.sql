-- Anomaly alerts (CORE-ANOMALY): an actor reading or exporting far beyond their own baseline.
CREATE TABLE anomaly_alerts (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  actor_type text NOT NULL,
  actor_id text NOT NULL,
  actor_name text,
  count integer NOT NULL CHECK (count >= 0),
  median numeric NOT NULL,
  p99 numeric NOT NULL,
  floor integer NOT NULL,
  window_start timestamptz NOT NULL,
  detected_at timestamptz NOT NULL,
  acknowledged_at timestamptz,
  acknowledged_by uuid,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX anomaly_alerts_actor ON anomaly_alerts (tenant_id, actor_type, actor_id, detected_at);
ALTER TABLE anomaly_alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE anomaly_alerts FORCE ROW LEVEL SECURITY;
CREATE POLICY anomaly_alerts_tenant_read ON anomaly_alerts FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY anomaly_alerts_tenant_write ON anomaly_alerts FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON anomaly_alerts TO parapet_app;

-- Baselines read the audit log by actor and time.
CREATE INDEX audit_log_actor_at ON audit_log (tenant_id, actor_id, at);
CREATE INDEX audit_log_at ON audit_log (tenant_id, at);
