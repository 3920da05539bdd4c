-- Foundation: tenants and their user accounts.
--
-- The pattern every tenant-scoped table follows (the catalogue test enforces it):
--   * a `tenant_id uuid NOT NULL` column, the primary key and every unique key include it,
--     and every index leads with it;
--   * foreign keys to other tenant tables are composite (tenant_id, id), so a row can never
--     point into another tenant;
--   * ROW LEVEL SECURITY enabled and forced, with one USING and one WITH CHECK policy keyed
--     on NULLIF(current_setting('app.tenant_id', true), '')::uuid; with no tenant set a
--     query sees nothing;
--   * explicit grants to parapet_app (never ALL; never TRUNCATE).
-- Migrations run as parapet_owner (NOLOGIN), which owns every object.

CREATE TABLE tenants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  settings jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
-- A tenant sees itself. Before sign-in the login form names one tenant by slug
-- (app.tenant_slug), and only that row becomes visible. System jobs (hourly checkpoints,
-- retention) list tenants with app.list_tenants = 'on'; that opens this table only, never
-- another tenant's data, since every other table is keyed on app.tenant_id alone.
CREATE POLICY tenants_read ON tenants FOR SELECT
  USING (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
         OR slug = NULLIF(current_setting('app.tenant_slug', true), '')
         OR current_setting('app.list_tenants', true) = 'on');
-- Creating a tenant means setting app.tenant_id to the new id first.
CREATE POLICY tenants_insert ON tenants FOR INSERT
  WITH CHECK (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY tenants_update ON tenants FOR UPDATE
  USING (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON tenants TO parapet_app;

CREATE TABLE users (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  email text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
  display_name text NOT NULL DEFAULT '',
  roles text[] NOT NULL DEFAULT '{}'
    CHECK (roles <@ ARRAY['admin','security_lead','operator','manager','employee','auditor']::text[]),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
  password_hash text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, email)
);
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_tenant_read ON users FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY users_tenant_write ON users FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON users TO parapet_app;
