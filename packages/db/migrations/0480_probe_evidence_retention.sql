-- Evidence retention (PROBE, CORE-VAULT): a transcript past its retain_until is purged by the
-- probe.evidence-retention job. The vault object is deleted (the WORM vault itself refuses any
-- delete before the object's own retain-until) and the row stays with its SHA-256, which signed
-- reports name, marked purged_at. The row may change in that one column, and only to a time at
-- or after its retention.
ALTER TABLE probe_evidence ADD COLUMN purged_at timestamptz;
ALTER TABLE probe_evidence ADD CONSTRAINT probe_evidence_purged_after_retention CHECK (purged_at IS NULL OR purged_at >= retain_until);
CREATE INDEX probe_evidence_due ON probe_evidence (tenant_id, retain_until) WHERE purged_at IS NULL;
GRANT UPDATE (purged_at) ON probe_evidence TO parapet_app;
