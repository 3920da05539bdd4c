-- Pulse analytics (PULSE-UPLOAD, PULSE-ANALYTICS, PULSE-ACCESS): the tenant's Pulse settings
-- and signed policy, accepted upload batches, intervals (natively partitioned by month on start
-- time) and daily rollups kept up to date by the ingest transaction, so dashboards read rollups
-- only. Same tenant pattern as 0001; every key leads with tenant_id (Citus distribution column).

-- One row per tenant. `policy` holds the agent-facing PulsePolicy fields (categories, rules,
-- idle_timeout_seconds, allow_local_categories, scrub_names); `purposes` the purpose list with
-- the (role, level, period) grants each purpose carries (see server/src/pulse/purposes.ts).
CREATE TABLE pulse_settings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  policy jsonb NOT NULL,
  policy_version integer NOT NULL DEFAULT 1 CHECK (policy_version >= 1),
  purposes jsonb NOT NULL,
  -- k-anonymity threshold: an aggregate over people is released only when >= k people.
  k_min integer NOT NULL DEFAULT 5 CHECK (k_min >= 3 AND k_min <= 1000),
  -- Retention: raw intervals vs daily rollups, in days.
  detail_retention_days integer NOT NULL DEFAULT 90 CHECK (detail_retention_days BETWEEN 1 AND 3650),
  rollup_retention_days integer NOT NULL DEFAULT 730 CHECK (rollup_retention_days BETWEEN 1 AND 3650),
  -- Work hours (UTC hours, ISO weekdays 1 = Monday) for the coverage measure.
  work_start_hour integer NOT NULL DEFAULT 9 CHECK (work_start_hour BETWEEN 0 AND 23),
  work_end_hour integer NOT NULL DEFAULT 17 CHECK (work_end_hour BETWEEN 1 AND 24),
  work_days integer[] NOT NULL DEFAULT '{1,2,3,4,5}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text,
  PRIMARY KEY (tenant_id),
  CHECK (rollup_retention_days >= detail_retention_days),
  CHECK (work_end_hour > work_start_hour)
);
ALTER TABLE pulse_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE pulse_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY pulse_settings_read ON pulse_settings FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY pulse_settings_write ON pulse_settings FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON pulse_settings TO parapet_app;

-- The tenant's policy-signing key (Ed25519). The private key is sealed with the platform's
-- envelope encryption (CORE-CRYPTO), bound to tenant and key id.
CREATE TABLE pulse_policy_keys (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  key_id text NOT NULL CHECK (key_id ~ '^[0-9a-f]{64}$'),
  public_key_pem text NOT NULL,
  private_key_sealed text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, key_id)
);
ALTER TABLE pulse_policy_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE pulse_policy_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY pulse_policy_keys_read ON pulse_policy_keys FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY pulse_policy_keys_write ON pulse_policy_keys FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON pulse_policy_keys TO parapet_app;

-- Accepted batches: the idempotency record of each upload (batch_id is made on the device).
CREATE TABLE pulse_batches (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  batch_id uuid NOT NULL,
  device_id uuid NOT NULL,
  user_id uuid NOT NULL,
  -- SHA-256 of the canonical JSON of the batch: a re-sent batch_id must carry the same content.
  digest bytea NOT NULL CHECK (length(digest) = 32),
  received_at timestamptz NOT NULL DEFAULT now(),
  interval_count integer NOT NULL,
  accepted integer NOT NULL,
  duplicates integer NOT NULL,
  PRIMARY KEY (tenant_id, batch_id),
  FOREIGN KEY (tenant_id, device_id) REFERENCES devices (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX pulse_batches_received ON pulse_batches (tenant_id, received_at);
ALTER TABLE pulse_batches ENABLE ROW LEVEL SECURITY;
ALTER TABLE pulse_batches FORCE ROW LEVEL SECURITY;
CREATE POLICY pulse_batches_read ON pulse_batches FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY pulse_batches_write ON pulse_batches FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON pulse_batches TO parapet_app;
GRANT UPDATE (accepted, duplicates) ON pulse_batches TO parapet_app;

-- Raw intervals, partitioned by month of start_at. The primary key carries the partition key
-- (PostgreSQL requires it); an interval's id with its start is its idempotency key. No foreign
-- keys: rows are written only by the ingest transaction, next to their batch row, and a
-- per-row foreign-key check would cost ingest throughput. state: 0 active, 1 idle, 2 paused.
CREATE TABLE pulse_intervals (
  tenant_id uuid NOT NULL,
  start_at timestamptz NOT NULL,
  id uuid NOT NULL,
  end_at timestamptz NOT NULL,
  user_id uuid NOT NULL,
  device_id uuid NOT NULL,
  state smallint NOT NULL CHECK (state IN (0, 1, 2)),
  app text,
  category text,
  domain text,
  PRIMARY KEY (tenant_id, start_at, id),
  CHECK (end_at > start_at AND end_at - start_at <= interval '24 hours')
) PARTITION BY RANGE (start_at);
CREATE INDEX pulse_intervals_user_time ON pulse_intervals (tenant_id, user_id, start_at);
ALTER TABLE pulse_intervals ENABLE ROW LEVEL SECURITY;
ALTER TABLE pulse_intervals FORCE ROW LEVEL SECURITY;
CREATE POLICY pulse_intervals_read ON pulse_intervals FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY pulse_intervals_write ON pulse_intervals FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON pulse_intervals TO parapet_app;

-- Monthly partitions are made on demand by pulse_ensure_partition (the app role cannot create
-- tables; this function, owned by the owner role, can make exactly this kind of table). Each
-- partition gets RLS enabled, forced and the same policies, since a partition read directly is
-- governed by its own policies, not its parent's.
CREATE FUNCTION pulse_ensure_partition(month_start date) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  lo date := date_trunc('month', month_start)::date;
  hi date := (date_trunc('month', month_start) + interval '1 month')::date;
  part text := 'pulse_intervals_' || to_char(date_trunc('month', month_start), 'YYYYMM');
BEGIN
  IF lo < DATE '2000-01-01' OR lo > DATE '2200-01-01' THEN
    RAISE EXCEPTION 'pulse partition month % is out of range', lo USING ERRCODE = '22023';
  END IF;
  IF to_regclass(part) IS NOT NULL THEN RETURN part; END IF;
  PERFORM pg_advisory_xact_lock(hashtext('pulse_intervals_partitions'));
  IF to_regclass(part) IS NOT NULL THEN RETURN part; END IF;
  EXECUTE format('CREATE TABLE %I PARTITION OF pulse_intervals FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
  EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', part);
  EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', part);
  EXECUTE format($p$CREATE POLICY %I ON %I FOR SELECT USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, part || '_read', part);
  EXECUTE format($p$CREATE POLICY %I ON %I FOR ALL USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, part || '_write', part);
  EXECUTE format('GRANT SELECT, INSERT, DELETE ON %I TO parapet_app', part);
  RETURN part;
END $$;
REVOKE ALL ON FUNCTION pulse_ensure_partition(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pulse_ensure_partition(date) TO parapet_app;

-- Daily rollups per person, category and day (UTC), maintained by the ingest transaction.
-- Paused time has category '' (a paused interval carries none). Seconds are exact sums of
-- the intervals' overlap with the day; work_s is active time inside the tenant's work hours.
CREATE TABLE pulse_daily (
  tenant_id uuid NOT NULL,
  day date NOT NULL,
  user_id uuid NOT NULL,
  category text NOT NULL,
  active_s double precision NOT NULL DEFAULT 0,
  idle_s double precision NOT NULL DEFAULT 0,
  paused_s double precision NOT NULL DEFAULT 0,
  work_s double precision NOT NULL DEFAULT 0,
  intervals integer NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, day, user_id, category)
);
CREATE INDEX pulse_daily_user ON pulse_daily (tenant_id, user_id, day);
ALTER TABLE pulse_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE pulse_daily FORCE ROW LEVEL SECURITY;
CREATE POLICY pulse_daily_read ON pulse_daily FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY pulse_daily_write ON pulse_daily FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON pulse_daily TO parapet_app;

-- This month's partition, so a fresh database has one (and the RLS catalogue test checks one).
SELECT pulse_ensure_partition(current_date);
