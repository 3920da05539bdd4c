-- Key rotation re-wraps the Pulse policy signing key like every sealed value: the app role may
-- change that one column (the data key's wrap), nothing else of the row.
GRANT UPDATE (private_key_sealed) ON pulse_policy_keys TO parapet_app;
