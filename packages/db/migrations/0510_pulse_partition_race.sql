-- pulse_ensure_partition under concurrent uploads: a second caller that waited on the advisory
-- lock while the first created the month's partition may still not see it (the catalogue
-- cache is refreshed on relation locks, not advisory ones), and its CREATE TABLE then fails
-- with duplicate_table. That error now means "made by the other caller": the partition, its
-- RLS and policies were committed together by that caller, so there is nothing left to do.
CREATE OR REPLACE FUNCTION pulse_ensure_partition(month_start date) RETURNS text
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
  BEGIN
    EXECUTE format('CREATE TABLE %I PARTITION OF pulse_intervals FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
  EXCEPTION WHEN duplicate_table THEN
    RETURN part;
  END;
  EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', part);
  EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', part);
  EXECUTE format($p$CREATE POLICY %I ON %I FOR SELECT USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, part || '_read', part);
  EXECUTE format($p$CREATE POLICY %I ON %I FOR ALL USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid) WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)$p$, part || '_write', part);
  EXECUTE format('GRANT SELECT, INSERT, DELETE ON %I TO parapet_app', part);
  RETURN part;
END $$;
REVOKE ALL ON FUNCTION pulse_ensure_partition(date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pulse_ensure_partition(date) TO parapet_app;
