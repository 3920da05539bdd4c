-- Report PDFs are kept in the WORM vault (sealed per tenant, under
-- tenants/<tenant>/probe/reports/<scan>/<pdf sha256>.pdf, retained like the scan's evidence)
-- rather than in this table; the row names the object and keeps its SHA-256, which is also a
-- subject of the signed in-toto statement. Reports made before keep their bytes in `pdf`.
ALTER TABLE probe_reports ALTER COLUMN pdf DROP NOT NULL;
ALTER TABLE probe_reports ADD COLUMN pdf_object_key text CHECK (length(pdf_object_key) BETWEEN 1 AND 512);
ALTER TABLE probe_reports ADD CONSTRAINT probe_reports_pdf_one_place CHECK ((pdf IS NULL) <> (pdf_object_key IS NULL));
