-- The org chart each ISO week's team aggregates are computed on (PULSE-ANALYTICS differencing).
-- The first question that reads a week stores the chart of that moment for it (active people
-- and their managers); every later question about that week uses the stored chart. A served
-- cell therefore never changes when someone later moves, joins or is deactivated: reading the
-- same past week before and after such a change would otherwise give two answers whose
-- difference is that person. Until a week is first read, nothing was served, so the chart may
-- change freely.
CREATE TABLE pulse_week_charts (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  week date NOT NULL CHECK (extract(isodow FROM week) = 1),
  taken_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, week)
);
CREATE TABLE pulse_week_chart_people (
  tenant_id uuid NOT NULL,
  week date NOT NULL,
  user_id uuid NOT NULL,
  manager_id uuid,
  PRIMARY KEY (tenant_id, week, user_id),
  FOREIGN KEY (tenant_id, week) REFERENCES pulse_week_charts (tenant_id, week) ON DELETE CASCADE
);
ALTER TABLE pulse_week_charts ENABLE ROW LEVEL SECURITY;
ALTER TABLE pulse_week_charts FORCE ROW LEVEL SECURITY;
CREATE POLICY pulse_week_charts_read ON pulse_week_charts FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY pulse_week_charts_write ON pulse_week_charts FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON pulse_week_charts TO parapet_app;
ALTER TABLE pulse_week_chart_people ENABLE ROW LEVEL SECURITY;
ALTER TABLE pulse_week_chart_people FORCE ROW LEVEL SECURITY;
CREATE POLICY pulse_week_chart_people_read ON pulse_week_chart_people FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY pulse_week_chart_people_write ON pulse_week_chart_people FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON pulse_week_chart_people TO parapet_app;
