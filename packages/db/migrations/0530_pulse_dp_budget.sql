-- A per-viewer differential-privacy budget per period (pulse/budget.ts). Each viewer may spend
-- at most dp_budget (ε) per dp_budget_period (UTC day, ISO week or calendar month) on noisy
-- org-level answers; each distinct answer costs the ε it was released at, and an answer the
-- viewer has already been given in the period costs nothing again (its noise is the same).
ALTER TABLE pulse_settings
  ADD COLUMN dp_budget double precision NOT NULL DEFAULT 10 CHECK (dp_budget >= 0.01 AND dp_budget <= 1000),
  ADD COLUMN dp_budget_period text NOT NULL DEFAULT 'month' CHECK (dp_budget_period IN ('day', 'week', 'month'));

-- One row per viewer and period: what they have spent. Its row lock serialises one viewer's
-- spends in a period, so two questions at once cannot both fit in the last of a budget.
-- numeric, not double precision: sums of ε such as 0.1 + 0.2 must compare exactly with the budget.
CREATE TABLE pulse_dp_budgets (
  tenant_id uuid NOT NULL,
  user_id uuid NOT NULL,
  period_start date NOT NULL,
  spent numeric NOT NULL DEFAULT 0 CHECK (spent >= 0),
  answers integer NOT NULL DEFAULT 0 CHECK (answers >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id, period_start),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
ALTER TABLE pulse_dp_budgets ENABLE ROW LEVEL SECURITY;
ALTER TABLE pulse_dp_budgets FORCE ROW LEVEL SECURITY;
CREATE POLICY pulse_dp_budgets_read ON pulse_dp_budgets FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY pulse_dp_budgets_write ON pulse_dp_budgets FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON pulse_dp_budgets TO parapet_app;
GRANT UPDATE (spent, answers, updated_at) ON pulse_dp_budgets TO parapet_app;

-- The answers a viewer was charged for in a period, by an HMAC of the answer under the tenant's
-- DP key (the row says nothing about the figures): the same answer again is not charged.
CREATE TABLE pulse_dp_charges (
  tenant_id uuid NOT NULL,
  user_id uuid NOT NULL,
  period_start date NOT NULL,
  answer_key bytea NOT NULL CHECK (length(answer_key) = 32),
  epsilon numeric NOT NULL CHECK (epsilon > 0),
  charged_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id, period_start, answer_key),
  FOREIGN KEY (tenant_id, user_id, period_start) REFERENCES pulse_dp_budgets (tenant_id, user_id, period_start) ON DELETE CASCADE
);
ALTER TABLE pulse_dp_charges ENABLE ROW LEVEL SECURITY;
ALTER TABLE pulse_dp_charges FORCE ROW LEVEL SECURITY;
CREATE POLICY pulse_dp_charges_read ON pulse_dp_charges FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY pulse_dp_charges_write ON pulse_dp_charges FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON pulse_dp_charges TO parapet_app;
