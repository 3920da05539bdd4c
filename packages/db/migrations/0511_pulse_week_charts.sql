-- The org chart each ISO week's team aggregates are computed on (PULSE-ANALYTICS differencing).
-- The first question that reads a week stores the chart of that moment for it (active people
-- and their managers); every later question about that week uses the stored chart. A served
-- cell therefore never changes when someone later moves, joins or is deactivated: reading the
-- same past week before and after such a change would otherwise give two answers whose
-- difference is that person. Until a week is first read, nothing was served, so the chart may
-- change freely.
-- One row per week: the people (active at that moment) and, at the same index, each one's
-- manager (NULL: none), as arrays: one tuple to write at a first question, not one per person.
CREATE TABLE pulse_week_charts (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  week date NOT NULL CHECK (extract(isodow FROM week) = 1),
  taken_at timestamptz NOT NULL DEFAULT now(),
  people uuid[] NOT NULL,
  managers uuid[] NOT NULL,
  PRIMARY KEY (tenant_id, week),
  CHECK (cardinality(people) = cardinality(managers))
);
ALTER TABLE pulse_week_charts ENABLE ROW LEVEL SECURITY;
ALTER TABLE pulse_week_charts FORCE ROW LEVEL SECURITY;
CREATE POLICY pulse_week_charts_read ON pulse_week_charts FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY pulse_week_charts_write ON pulse_week_charts FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON pulse_week_charts TO parapet_app;
