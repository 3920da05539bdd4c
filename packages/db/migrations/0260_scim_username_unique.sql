-- SCIM userName is unique per tenant case-insensitively (RFC 7643 §4.1.1: uniqueness "server",
-- caseExact false), whatever its shape: "jdoe" and "JDoe" are one name. E-mail-shaped names
-- were already unique through users.email; this covers the rest. Deleted SCIM users keep
-- their name but no longer hold it.
ALTER TABLE scim_users ADD COLUMN user_name text CHECK (length(user_name) BETWEEN 1 AND 320);

-- Existing rows: the stored userName, else the account e-mail; where two live rows already
-- share a name, the older keeps it and the newer is left without one until its next update.
UPDATE scim_users s SET user_name = n.name
  FROM (
    SELECT s2.tenant_id, s2.user_id, COALESCE(NULLIF(s2.attributes->>'userName', ''), u.email) AS name,
           row_number() OVER (PARTITION BY s2.tenant_id, lower(COALESCE(NULLIF(s2.attributes->>'userName', ''), u.email)) ORDER BY s2.created_at, s2.user_id) AS rn
      FROM scim_users s2 JOIN users u ON u.tenant_id = s2.tenant_id AND u.id = s2.user_id
     WHERE s2.deleted_at IS NULL
  ) n
 WHERE s.tenant_id = n.tenant_id AND s.user_id = n.user_id AND n.rn = 1 AND length(n.name) <= 320;

CREATE UNIQUE INDEX scim_users_user_name_ci ON scim_users (tenant_id, lower(user_name)) WHERE deleted_at IS NULL;
