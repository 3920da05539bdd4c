-- Audit inbox: where an entry is written, in the same transaction as the change it records.
--
-- Chaining an entry needs the tenant's chain head, and the head is only known for certain
-- under a per-tenant lock held until commit. Taking that lock in every business transaction
-- made one busy tenant commit one transaction at a time (a WAL flush each). So business
-- transactions append here, with no lock and no hash, and a sequencer moves committed
-- entries into audit_log in batches: under the per-tenant lock, in inbox id order, hashed
-- and chained, deleting them from the inbox in the same transaction.
--
-- Ordering: an id is drawn when the entry is written, so an entry whose transaction
-- committed before another one began has the smaller id, and it is visible to any
-- sequencer that sees the later one. Hence if A committed before B started, A precedes B
-- in the chain. Entries of overlapping transactions may be chained in either order.
--
-- Nothing committed here can be lost quietly: the app role may only INSERT, SELECT and
-- DELETE, and a row trigger refuses to delete an entry unless audit_log already holds it,
-- field for field, under its inbox id. UPDATE and TRUNCATE are refused for everyone.
-- No foreign key to tenants: its check would take a KEY SHARE lock on the tenant's row in
-- every audited transaction, and many concurrent lockers of one row cost a multixact each.
-- RLS already pins tenant_id to the transaction's tenant, and audit_log keeps the key.
CREATE TABLE audit_inbox (
  tenant_id uuid NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  at timestamptz NOT NULL DEFAULT now(),
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
  PRIMARY KEY (tenant_id, id)
);
ALTER TABLE audit_inbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_inbox FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_inbox_read ON audit_inbox FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY audit_inbox_append ON audit_inbox FOR INSERT
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY audit_inbox_chained ON audit_inbox FOR DELETE
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON audit_inbox TO parapet_app;

-- Which inbox entry a chained row came from (NULL for rows chained before the inbox).
ALTER TABLE audit_log ADD COLUMN inbox_id bigint;
CREATE UNIQUE INDEX audit_log_inbox_id ON audit_log (tenant_id, inbox_id);

CREATE FUNCTION audit_inbox_check_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM audit_log l
     WHERE l.tenant_id = OLD.tenant_id AND l.inbox_id = OLD.id
       AND l.at = OLD.at AND l.actor_type = OLD.actor_type AND l.actor_id = OLD.actor_id
       AND l.actor_name IS NOT DISTINCT FROM OLD.actor_name AND l.ip IS NOT DISTINCT FROM OLD.ip
       AND l.user_agent IS NOT DISTINCT FROM OLD.user_agent AND l.action = OLD.action
       AND l.target_type IS NOT DISTINCT FROM OLD.target_type AND l.target_id IS NOT DISTINCT FROM OLD.target_id
       AND l.purpose IS NOT DISTINCT FROM OLD.purpose AND l.outcome = OLD.outcome AND l.details = OLD.details
  ) THEN
    RAISE EXCEPTION 'audit_inbox: entry % is not in audit_log yet; it cannot be removed', OLD.id
      USING ERRCODE = 'insufficient_privilege', HINT = 'Only the sequencer removes inbox entries, after chaining them.';
  END IF;
  RETURN OLD;
END $$;

CREATE TRIGGER audit_inbox_delete_check BEFORE DELETE ON audit_inbox
  FOR EACH ROW EXECUTE FUNCTION audit_inbox_check_delete();
CREATE TRIGGER audit_inbox_no_update BEFORE UPDATE ON audit_inbox
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_inbox_no_truncate BEFORE TRUNCATE ON audit_inbox
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
ALTER TABLE audit_inbox ENABLE ALWAYS TRIGGER audit_inbox_delete_check;
ALTER TABLE audit_inbox ENABLE ALWAYS TRIGGER audit_inbox_no_update;
ALTER TABLE audit_inbox ENABLE ALWAYS TRIGGER audit_inbox_no_truncate;

-- The sequencer's two steps, each one round trip however many tenants a round covers.
-- Both run as the caller (RLS applies) and set app.tenant_id to each tenant in turn, then
-- back to the caller's value.
--
-- Take: for each tenant, its audit lock, then up to max_per_tenant waiting entries in id
-- order with the chain head they will follow. The lock comes first so the rows are read
-- with a snapshot taken after it: nothing chained by the previous holder is read again.
CREATE FUNCTION audit_inbox_take(tenant_ids uuid[], max_per_tenant int)
RETURNS TABLE (tenant_id uuid, id bigint, at text, actor_type text, actor_id text, actor_name text, ip text,
               user_agent text, action text, target_type text, target_id text, purpose text, outcome text,
               details jsonb, head_seq bigint, head_hash bytea)
LANGUAGE plpgsql AS $$
DECLARE
  t uuid;
  prior text := coalesce(current_setting('app.tenant_id', true), '');
BEGIN
  FOREACH t IN ARRAY (SELECT array_agg(DISTINCT x ORDER BY x) FROM unnest(tenant_ids) x) LOOP
    PERFORM set_config('app.tenant_id', t::text, true);
    PERFORM pg_advisory_xact_lock(hashtextextended('audit:' || t::text, 0));
    RETURN QUERY
      SELECT i.tenant_id, i.id, to_char(i.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), i.actor_type,
             i.actor_id, i.actor_name, i.ip, i.user_agent, i.action, i.target_type, i.target_id, i.purpose,
             i.outcome, i.details, h.seq, h.entry_hash
        FROM audit_inbox i
        LEFT JOIN LATERAL (SELECT l.seq, l.entry_hash FROM audit_log l WHERE l.tenant_id = t ORDER BY l.seq DESC LIMIT 1) h ON true
       WHERE i.tenant_id = t
       ORDER BY i.id LIMIT max_per_tenant;
  END LOOP;
  PERFORM set_config('app.tenant_id', prior, true);
END $$;
GRANT EXECUTE ON FUNCTION audit_inbox_take(uuid[], int) TO parapet_app;

-- Append: the chained rows (hashes computed by the caller, columns copied from the inbox
-- entry they chain, so the two cannot differ), then the inbox entries removed. The entry
-- arrays are parallel and grouped by tenant: tenant_ids[k] owns the next counts[k] of
-- them. Hashes and leaves are hex. Raises if any entry is no longer in the inbox.
CREATE FUNCTION audit_chain_append(tenant_ids uuid[], counts int[], inbox_ids bigint[], seqs bigint[], prev_hex text[], hash_hex text[], leaf_hex text[])
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  k int;
  t uuid;
  lo int := 1;
  hi int;
  n int;
  prior text := coalesce(current_setting('app.tenant_id', true), '');
BEGIN
  FOR k IN 1 .. coalesce(array_length(tenant_ids, 1), 0) LOOP
    t := tenant_ids[k];
    hi := lo + counts[k] - 1;
    PERFORM set_config('app.tenant_id', t::text, true);
    INSERT INTO audit_log (tenant_id, seq, at, actor_type, actor_id, actor_name, ip, user_agent, action, target_type,
                           target_id, purpose, outcome, details, prev_hash, entry_hash, leaf, inbox_id)
    SELECT i.tenant_id, x.seq, i.at, i.actor_type, i.actor_id, i.actor_name, i.ip, i.user_agent, i.action, i.target_type,
           i.target_id, i.purpose, i.outcome, i.details, decode(x.prev, 'hex'), decode(x.h, 'hex'), decode(x.leaf, 'hex'), i.id
      FROM unnest(inbox_ids[lo:hi], seqs[lo:hi], prev_hex[lo:hi], hash_hex[lo:hi], leaf_hex[lo:hi]) AS x(inbox_id, seq, prev, h, leaf)
      -- LATERAL: one primary-key probe per entry, never a scan of the inbox's dead rows.
      CROSS JOIN LATERAL (SELECT * FROM audit_inbox WHERE tenant_id = t AND id = x.inbox_id) i
     ORDER BY x.seq;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> counts[k] THEN
      RAISE EXCEPTION 'audit_chain_append: % of the entries of tenant % are no longer in the inbox', counts[k] - n, t
        USING ERRCODE = 'serialization_failure';
    END IF;
    DELETE FROM audit_inbox WHERE tenant_id = t AND id = ANY (inbox_ids[lo:hi]);
    lo := hi + 1;
  END LOOP;
  PERFORM set_config('app.tenant_id', prior, true);
  RETURN lo - 1;
END $$;
GRANT EXECUTE ON FUNCTION audit_chain_append(uuid[], int[], bigint[], bigint[], text[], text[], text[]) TO parapet_app;

-- The tenants with entries waiting and when the oldest was written, for the sequencer's
-- sweep (after a crash, or entries written by another process) and its age metric. Runs as the caller, so RLS still applies: it needs
-- app.list_tenants = 'on' to see the tenants and looks at each tenant's inbox under that
-- tenant's own setting, restoring the caller's setting afterwards.
CREATE FUNCTION audit_inbox_tenants() RETURNS TABLE (tenant_id uuid, oldest timestamptz) LANGUAGE plpgsql AS $$
DECLARE
  t uuid;
  first timestamptz;
  prior text := coalesce(current_setting('app.tenant_id', true), '');
BEGIN
  FOR t IN SELECT id FROM tenants ORDER BY id LOOP
    PERFORM set_config('app.tenant_id', t::text, true);
    -- The smallest id is the oldest write, near enough (ids are drawn in write order).
    SELECT i.at INTO first FROM audit_inbox i WHERE i.tenant_id = t ORDER BY i.id LIMIT 1;
    IF FOUND THEN
      tenant_id := t;
      oldest := first;
      RETURN NEXT;
    END IF;
  END LOOP;
  PERFORM set_config('app.tenant_id', prior, true);
END $$;
GRANT EXECUTE ON FUNCTION audit_inbox_tenants() TO parapet_app;
