-- Current data-key wraps of WORM vault objects.
--
-- A vault object is written once and can never be rewritten, so its envelope keeps naming
-- the key-encryption key that was active when it was sealed. When the KEK rotates, the
-- object's data key is re-wrapped under the new KEK and the new wrap is kept here; a read
-- takes the wrap from this table when a row exists and from the object otherwise. The
-- object's ciphertext and checksum never change.
--
-- wrap_sealed holds "pe1.<kek id>.<wrapped data key>" (the first three parts of a pe1
-- envelope). It ends in _sealed so the key-usage walk finds it like every other sealed
-- column and `parapet keys retire` counts it.
CREATE TABLE vault_object_wraps (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  object_key text NOT NULL,
  wrap_sealed text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, object_key)
);
ALTER TABLE vault_object_wraps ENABLE ROW LEVEL SECURITY;
ALTER TABLE vault_object_wraps FORCE ROW LEVEL SECURITY;
CREATE POLICY vault_object_wraps_tenant ON vault_object_wraps FOR ALL
  USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON vault_object_wraps TO parapet_app;
