/**
 * An admin's unlock (CORE-AUTHN): clears every sign-in delay of one account (password delays
 * from every address, the account-wide counter, second-factor failures), audited in the same
 * transaction. The HTTP route is POST /api/v1/auth/users/:id/unlock; `parapet users unlock`
 * calls unlockUser directly.
 */
import type { Database } from '@parapet/db';
import { recordAudit, type AuditActor } from '../platform/audit.js';
import { ProblemError } from '../http/problem.js';
import { clearAccountThrottle } from './throttle.js';
import { enqueueSecurityAlert } from './security-alerts.js';
import type { Mailer } from '../mail/mailer.js';

export interface UnlockResult {
  userId: string;
  email: string;
  /** Counters that were cleared (0: the account had no delay or failure recorded). */
  cleared: number;
}

/**
 * Unlocks `userId` in `tenantId` on behalf of `actor` (an admin, checked by the caller: the
 * route's PDP action `auth.user.unlock`, or the CLI's local operator). With `alert.mailer`, the
 * person is mailed that their account was unlocked by `alert.by` (security-alerts.ts).
 * Throws 404 user_not_found.
 */
export async function unlockUser(db: Database, tenantId: string, userId: string, actor: AuditActor, alert: { mailer?: Mailer | undefined; by?: string | undefined } = {}): Promise<UnlockResult> {
  return db.tx({ tenantId, actor: `${actor.type}:${actor.id}` }, async (q) => {
    const { rows } = await q.query<{ email: string }>(`SELECT email FROM users WHERE id = $1`, [userId]);
    if (!rows[0]) throw new ProblemError(404, 'user_not_found', 'There is no such user in this organisation.');
    const cleared = await clearAccountThrottle(q, rows[0].email, userId);
    await recordAudit(q, tenantId, actor, { action: 'auth.account.unlocked', outcome: 'success', target: { type: 'user', id: userId }, details: { email: rows[0].email, cleared } });
    await enqueueSecurityAlert(q, tenantId, alert.mailer, { kind: 'account_unlocked', userId, at: new Date().toISOString(), by: alert.by });
    return { userId, email: rows[0].email, cleared };
  });
}
