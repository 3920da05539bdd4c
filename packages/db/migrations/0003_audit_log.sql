-- Audit log (CORE-AUDIT): append-only, hash-chained, Merkle-provable.
--
-- Each row keeps the exact bytes of its leaf (RFC 8785 canonical JSON of the entry, which
-- names the previous entry's hash), entry_hash = SHA-256(0x00 || leaf) (the RFC 6962 leaf
-- hash, also the chain link) and prev_hash. Columns besides those are a queryable copy; the
-- leaf is authoritative and `parapet audit verify` checks that both agree.
--
-- Immutability: the app role may only INSERT and SELECT. Row triggers refuse UPDATE and
-- DELETE, a statement trigger refuses TRUNCATE, for every role including the owner and
-- superusers, and they are ENABLE ALWAYS so session_replication_role = replica does not
-- silence them. Someone who can ALTER TABLE ... DISABLE TRIGGER (owner, superuser) can
-- still edit rows; that is what the chain, the signed checkpoints and the witnesses catch.
CREATE TABLE audit_log (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  seq bigint NOT NULL CHECK (seq >= 1),
  at timestamptz NOT NULL,
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'device', 'system')),
  actor_id text NOT NULL,
  actor_name text,
  ip text,
  user_agent text,
  action text NOT NULL,
  target_type text,
  target_id text,
  purpose text,
  outcome text NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  prev_hash bytea NOT NULL CHECK (length(prev_hash) = 32),
  entry_hash bytea NOT NULL CHECK (length(entry_hash) = 32),
  leaf bytea NOT NULL,
  PRIMARY KEY (tenant_id, seq)
);
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_log_read ON audit_log FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY audit_log_append ON audit_log FOR INSERT
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON audit_log TO parapet_app;

-- Refuses any change to an immutable table, whoever asks.
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege', HINT = 'Audit records are immutable.';
END $$;

-- The chain is enforced by the database as well as by the writer: a new entry must follow
-- the tenant's last one (seq + 1, prev_hash = its entry_hash) and its entry_hash must be
-- the RFC 6962 leaf hash of its leaf bytes. So no fork and no gap can be inserted, even by
-- a writer that skipped the per-tenant lock.
CREATE FUNCTION audit_log_check_append() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  last_seq bigint;
  last_hash bytea;
BEGIN
  SELECT seq, entry_hash INTO last_seq, last_hash FROM audit_log
   WHERE tenant_id = NEW.tenant_id ORDER BY seq DESC LIMIT 1;
  IF last_seq IS NULL THEN
    last_seq := 0;
    last_hash := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
  END IF;
  IF NEW.seq <> last_seq + 1 OR NEW.prev_hash <> last_hash THEN
    RAISE EXCEPTION 'audit_log: entry % does not extend the chain (last is %)', NEW.seq, last_seq
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF NEW.entry_hash <> sha256('\x00'::bytea || NEW.leaf) THEN
    RAISE EXCEPTION 'audit_log: entry_hash is not the leaf hash of entry %', NEW.seq
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER audit_log_append_check BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_check_append();
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_append_check;
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_no_update_delete;
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_no_truncate;

-- The tenant's Ed25519 log key. The private key is sealed with envelope encryption
-- (CORE-CRYPTO, bound to tenant and key id); the public key is published as a signed-note
-- verifier key. Keys are never changed or removed.
CREATE TABLE audit_log_keys (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  key_id text NOT NULL,
  name text NOT NULL,
  public_key bytea NOT NULL CHECK (length(public_key) = 32),
  private_sealed text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key_id)
);
ALTER TABLE audit_log_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_log_keys_read ON audit_log_keys FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY audit_log_keys_append ON audit_log_keys FOR INSERT
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON audit_log_keys TO parapet_app;
CREATE TRIGGER audit_log_keys_no_update_delete BEFORE UPDATE OR DELETE ON audit_log_keys
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_log_keys_no_truncate BEFORE TRUNCATE ON audit_log_keys
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
ALTER TABLE audit_log_keys ENABLE ALWAYS TRIGGER audit_log_keys_no_update_delete;
ALTER TABLE audit_log_keys ENABLE ALWAYS TRIGGER audit_log_keys_no_truncate;

-- Signed checkpoints (C2SP tlog-checkpoint as a C2SP signed note), one per tree size.
CREATE TABLE audit_checkpoints (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  tree_size bigint NOT NULL CHECK (tree_size >= 0),
  root_hash bytea NOT NULL CHECK (length(root_hash) = 32),
  key_id text NOT NULL,
  note text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, tree_size),
  FOREIGN KEY (tenant_id, key_id) REFERENCES audit_log_keys (tenant_id, key_id)
);
ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_checkpoints_read ON audit_checkpoints FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY audit_checkpoints_append ON audit_checkpoints FOR INSERT
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON audit_checkpoints TO parapet_app;
CREATE TRIGGER audit_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
ALTER TABLE audit_checkpoints ENABLE ALWAYS TRIGGER audit_checkpoints_no_update_delete;
ALTER TABLE audit_checkpoints ENABLE ALWAYS TRIGGER audit_checkpoints_no_truncate;
