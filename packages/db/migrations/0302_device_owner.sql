-- A device may belong to a person (a Pulse agent on their laptop). Deactivating that person
-- (SCIM, or an admin) revokes their devices in the same transaction. Fleet devices such as
-- Probe workers have no owner.
ALTER TABLE device_enrollment_tokens ADD COLUMN owner_user_id uuid;
ALTER TABLE device_enrollment_tokens ADD FOREIGN KEY (tenant_id, owner_user_id) REFERENCES users (tenant_id, id);
ALTER TABLE devices ADD COLUMN owner_user_id uuid;
ALTER TABLE devices ADD FOREIGN KEY (tenant_id, owner_user_id) REFERENCES users (tenant_id, id);
CREATE INDEX devices_owner ON devices (tenant_id, owner_user_id) WHERE owner_user_id IS NOT NULL;
