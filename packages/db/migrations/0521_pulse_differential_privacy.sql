-- Optional differential privacy for org-level Pulse figures (pulse/dp.ts). dp_epsilon: ε per
-- released cell, NULL = off (the default). dp_key: the tenant's secret for drawing each cell's
-- Laplace noise deterministically (the same cell asked again gets the same noise, so repeated
-- questions cannot be averaged); 32 bytes from two version-4 UUIDs' worth of the server's
-- strong random source (gen_random_uuid, built in since PostgreSQL 13, also in PGlite).
ALTER TABLE pulse_settings
  ADD COLUMN dp_epsilon double precision CHECK (dp_epsilon IS NULL OR (dp_epsilon >= 0.01 AND dp_epsilon <= 10)),
  ADD COLUMN dp_key bytea NOT NULL DEFAULT decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex');
