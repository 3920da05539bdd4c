-- Support sign-in without typing an e-mail: a discoverable credential (passkey or resident key)
-- names its member in the assertion, so a sign-in challenge may be issued before the member is
-- known. Such a challenge has no staff_id; the verify step finds the member by credential id.
ALTER TABLE support_challenges ALTER COLUMN staff_id DROP NOT NULL;
