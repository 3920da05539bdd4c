-- Approver groups for Probe (PROBE-APPROVAL): when the tenant setting
-- settings.probe.require_distinct_approver_groups is true, the two approvals of a production
-- scan must come from people in two different groups (for example security and operations).
CREATE TABLE probe_approver_groups (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  user_id uuid NOT NULL,
  group_name text NOT NULL CHECK (length(group_name) BETWEEN 1 AND 100),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
ALTER TABLE probe_approver_groups ENABLE ROW LEVEL SECURITY;
ALTER TABLE probe_approver_groups FORCE ROW LEVEL SECURITY;
CREATE POLICY probe_approver_groups_tenant_read ON probe_approver_groups FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY probe_approver_groups_tenant_write ON probe_approver_groups FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON probe_approver_groups TO parapet_app;
