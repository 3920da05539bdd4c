import { onUserLifecycle } from '../platform/users.js';

/**
 * A deactivated person's devices stop working at once: revoked in the deactivating
 * transaction, so their next signed request is refused (CORE-SCIM, CORE-ENROLL).
 */
onUserLifecycle('deactivated', 'devices', async (q, { userId }) => {
  const { rows } = await q.query<{ id: string }>(
    `UPDATE devices SET status = 'revoked', revoked_at = now(), revoked_by = 'system:user-deactivated'
      WHERE owner_user_id = $1 AND status = 'active' RETURNING id`,
    [userId],
  );
  return { revoked_devices: rows.map((r) => r.id) };
});
