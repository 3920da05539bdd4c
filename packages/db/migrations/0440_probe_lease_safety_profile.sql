-- The safety profile each worker ran a lease under (PROBE-WORKER): the worker reports the
-- version and the SHA-256 of the signed, canonical profile document when it leases a job; the
-- scan view and the audit entry of the lease show them. Columns of 0410's tenant table, so its
-- RLS policies and INSERT grant cover them.
ALTER TABLE probe_job_leases ADD COLUMN safety_profile_version integer CHECK (safety_profile_version >= 1);
ALTER TABLE probe_job_leases ADD COLUMN safety_profile_sha256 text CHECK (safety_profile_sha256 ~ '^[0-9a-f]{64}$');
