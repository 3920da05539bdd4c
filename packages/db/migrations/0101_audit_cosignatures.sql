-- Witness cosignatures (C2SP tlog-cosignature) of audit checkpoints, as the witness sent
-- them; the export merges them into the checkpoint notes. Append-only.
CREATE TABLE audit_cosignatures (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  tree_size bigint NOT NULL,
  witness_key text NOT NULL,
  signature_line text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, tree_size, witness_key),
  FOREIGN KEY (tenant_id, tree_size) REFERENCES audit_checkpoints (tenant_id, tree_size)
);
ALTER TABLE audit_cosignatures ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_cosignatures FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_cosignatures_read ON audit_cosignatures FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY audit_cosignatures_append ON audit_cosignatures FOR INSERT
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON audit_cosignatures TO parapet_app;
CREATE TRIGGER audit_cosignatures_no_update_delete BEFORE UPDATE OR DELETE ON audit_cosignatures
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_cosignatures_no_truncate BEFORE TRUNCATE ON audit_cosignatures
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
ALTER TABLE audit_cosignatures ENABLE ALWAYS TRIGGER audit_cosignatures_no_update_delete;
ALTER TABLE audit_cosignatures ENABLE ALWAYS TRIGGER audit_cosignatures_no_truncate;
