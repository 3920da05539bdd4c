-- Access reviews (CORE-REVIEW): a periodic list of every standing access in a tenant, which
-- named reviewers confirm or revoke line by line; the signed-off review is evidence.
CREATE TABLE access_reviews (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  opened_at timestamptz NOT NULL DEFAULT now(),
  opened_by text NOT NULL,
  due_at timestamptz NOT NULL,
  reviewers uuid[] NOT NULL CHECK (cardinality(reviewers) BETWEEN 1 AND 20),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'signed_off')),
  overdue_alerted_at timestamptz,
  signed_off_at timestamptz,
  signed_off_by uuid,
  -- DSSE envelope (JSON) over the canonical review, signed with the tenant's audit log key.
  evidence jsonb,
  PRIMARY KEY (tenant_id, id),
  CHECK ((status = 'signed_off') = (signed_off_at IS NOT NULL AND evidence IS NOT NULL))
);
CREATE INDEX access_reviews_open ON access_reviews (tenant_id, status, due_at);

CREATE TABLE access_review_items (
  tenant_id uuid NOT NULL,
  review_id uuid NOT NULL,
  id integer NOT NULL CHECK (id >= 1),
  kind text NOT NULL CHECK (kind IN ('role', 'delegation', 'scim_token', 'sso_config', 'signing_key', 'approver_group', 'support_grant', 'device')),
  -- What the line is about: a user id with a role, a token id, a device id...
  subject_id text NOT NULL,
  label text NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}'::jsonb,
  decision text NOT NULL DEFAULT 'pending' CHECK (decision IN ('pending', 'confirmed', 'revoked')),
  decided_by uuid,
  decided_at timestamptz,
  note text CHECK (note IS NULL OR length(note) <= 1000),
  PRIMARY KEY (tenant_id, review_id, id),
  FOREIGN KEY (tenant_id, review_id) REFERENCES access_reviews (tenant_id, id)
);

ALTER TABLE access_reviews ENABLE ROW LEVEL SECURITY;
ALTER TABLE access_reviews FORCE ROW LEVEL SECURITY;
CREATE POLICY access_reviews_tenant_read ON access_reviews FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY access_reviews_tenant_write ON access_reviews FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE access_review_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE access_review_items FORCE ROW LEVEL SECURITY;
CREATE POLICY access_review_items_tenant_read ON access_review_items FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
CREATE POLICY access_review_items_tenant_write ON access_review_items FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);

-- A signed-off review is evidence: no UPDATE or DELETE is granted on it afterwards.
CREATE FUNCTION access_review_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'signed_off' THEN
    RAISE EXCEPTION 'access review % is signed off and cannot change', OLD.id USING ERRCODE = 'P0001';
  END IF;
  RETURN NEW;
END $$;
CREATE FUNCTION access_review_item_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM access_reviews r WHERE r.tenant_id = OLD.tenant_id AND r.id = OLD.review_id AND r.status = 'signed_off') THEN
    RAISE EXCEPTION 'access review % is signed off and cannot change', OLD.review_id USING ERRCODE = 'P0001';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER access_reviews_frozen BEFORE UPDATE ON access_reviews FOR EACH ROW EXECUTE FUNCTION access_review_frozen();
CREATE TRIGGER access_review_items_frozen BEFORE UPDATE ON access_review_items FOR EACH ROW EXECUTE FUNCTION access_review_item_frozen();
ALTER TABLE access_reviews ENABLE ALWAYS TRIGGER access_reviews_frozen;
ALTER TABLE access_review_items ENABLE ALWAYS TRIGGER access_review_items_frozen;

GRANT SELECT, INSERT, UPDATE ON access_reviews TO parapet_app;
GRANT SELECT, INSERT, UPDATE ON access_review_items TO parapet_app;
