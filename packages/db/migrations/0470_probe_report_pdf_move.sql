-- Moving a pre-0461 report PDF into the WORM vault (job `probe.report-pdfs`): the app may
-- update only `pdf` and `pdf_object_key`, and only as that one move (bytes in the row ->
-- named vault object, bytes cleared); every other change of a report row by the app role
-- stays impossible. The owner role (migrations, operators' repairs) is not restricted.
GRANT UPDATE (pdf, pdf_object_key) ON probe_reports TO parapet_app;

CREATE FUNCTION probe_reports_pdf_move_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- The app's login roles are members of parapet_app and never of parapet_owner.
  IF NOT pg_has_role(current_user, 'parapet_app', 'MEMBER') OR pg_has_role(current_user, 'parapet_owner', 'MEMBER') THEN
    RETURN NEW;
  END IF;
  IF OLD.pdf IS NOT NULL AND OLD.pdf_object_key IS NULL AND NEW.pdf IS NULL AND NEW.pdf_object_key IS NOT NULL
     AND NEW.tenant_id = OLD.tenant_id AND NEW.scan_id = OLD.scan_id AND NEW.pdf_sha256 = OLD.pdf_sha256
     AND NEW.envelope = OLD.envelope THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'probe_reports rows are immutable except for moving the PDF into the vault' USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER probe_reports_pdf_move_only BEFORE UPDATE ON probe_reports FOR EACH ROW EXECUTE FUNCTION probe_reports_pdf_move_only();

-- The job's work list: reports still holding their bytes.
CREATE INDEX probe_reports_pdf_in_row ON probe_reports (tenant_id, scan_id) WHERE pdf IS NOT NULL;
