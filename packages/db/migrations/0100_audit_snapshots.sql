-- Snapshots of the audit log written to the WORM vault (CORE-AUDIT, CORE-VAULT): which
-- entries each covers, the checkpoint it carries, where it is and until when it is kept.
-- Append-only like the log itself (the trigger function comes from 0003).
CREATE TABLE audit_snapshots (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  to_seq bigint NOT NULL CHECK (to_seq >= 1),
  from_seq bigint NOT NULL CHECK (from_seq >= 1 AND from_seq <= to_seq),
  object_key text NOT NULL,
  sha256 text NOT NULL,
  retain_until timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, to_seq),
  FOREIGN KEY (tenant_id, to_seq) REFERENCES audit_checkpoints (tenant_id, tree_size)
);
ALTER TABLE audit_snapshots ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_snapshots FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_snapshots_read ON audit_snapshots FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY audit_snapshots_append ON audit_snapshots FOR INSERT
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON audit_snapshots TO parapet_app;
CREATE TRIGGER audit_snapshots_no_update_delete BEFORE UPDATE OR DELETE ON audit_snapshots
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_snapshots_no_truncate BEFORE TRUNCATE ON audit_snapshots
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
ALTER TABLE audit_snapshots ENABLE ALWAYS TRIGGER audit_snapshots_no_update_delete;
ALTER TABLE audit_snapshots ENABLE ALWAYS TRIGGER audit_snapshots_no_truncate;
