-- Key rotation must be able to re-wrap the data key of a tenant's audit log signing key;
-- everything else about the row stays immutable.
--
-- The only UPDATE allowed changes private_sealed's KEK id and wrapped data key (parts 2 and
-- 3 of the pe1 envelope) and leaves its IV and ciphertext (parts 4 and 5), and every other
-- column, exactly as they were. So the sealed private key itself can never be replaced.
CREATE FUNCTION audit_log_keys_rewrap_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND NEW.tenant_id = OLD.tenant_id AND NEW.key_id = OLD.key_id AND NEW.name = OLD.name
     AND NEW.public_key = OLD.public_key AND NEW.created_at = OLD.created_at
     AND split_part(NEW.private_sealed, '.', 1) = 'pe1'
     AND split_part(NEW.private_sealed, '.', 4) = split_part(OLD.private_sealed, '.', 4)
     AND split_part(NEW.private_sealed, '.', 5) = split_part(OLD.private_sealed, '.', 5)
     AND split_part(NEW.private_sealed, '.', 6) = '' THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused (only a key re-wrap may update it)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege', HINT = 'Audit records are immutable.';
END $$;
DROP TRIGGER audit_log_keys_no_update_delete ON audit_log_keys;
CREATE TRIGGER audit_log_keys_no_update_delete BEFORE UPDATE OR DELETE ON audit_log_keys
  FOR EACH ROW EXECUTE FUNCTION audit_log_keys_rewrap_only();
ALTER TABLE audit_log_keys ENABLE ALWAYS TRIGGER audit_log_keys_no_update_delete;
CREATE POLICY audit_log_keys_rewrap ON audit_log_keys FOR UPDATE
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT UPDATE (private_sealed) ON audit_log_keys TO parapet_app;
