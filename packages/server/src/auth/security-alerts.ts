/**
 * Security-alert mails (CORE-AUTHN): when a mail relay is configured (PARAPET_SMTP_URL), the
 * person whose account changed is told by mail: a second factor added or removed, recovery
 * codes reissued, roles changed, sign-ins delayed after failed attempts, an admin's unlock, a
 * complete sign-in from an address the account has not used in the last 30 days. There is no
 * password-change path in Parapet (passwords are set once, from an invitation), so there is
 * no alert for one.
 *
 * The alert is an outbox message (platform/outbox.ts, topic `mail.security_alert`) written in
 * the transaction that made the change: it exists exactly when the change committed, it is
 * sent after the commit (the request never waits for the relay), and a relay that is down is
 * retried with the outbox's backoff (1 s doubling, 12 attempts). The payload holds the
 * account's id, never its address: the consumer reads the current address when it sends, so
 * an erased person is not mailed (erasure also deletes their pending alerts).
 */
import type { Database, Queryable } from '@parapet/db';
import type { Mailer } from '../mail/mailer.js';
import { securityAlertText, type SecurityAlertKind } from '../mail/messages.js';
import { enqueueOutbox, outboxFor, type OutboxMessage } from '../platform/outbox.js';

export type { SecurityAlertKind } from '../mail/messages.js';

/** The outbox topic of security-alert mails. */
export const SECURITY_ALERT_TOPIC = 'mail.security_alert';

/** What the outbox keeps for one alert (no e-mail address; see the module comment). */
export interface SecurityAlert {
  kind: SecurityAlertKind;
  /** The account the alert is about (and the person it is mailed to). */
  userId: string;
  /** When it happened (ISO 8601). */
  at: string;
  /** The client address of the request that caused it, when it came from one. */
  ip?: string | undefined;
  /** Who did it when it was not the person themselves (an admin's e-mail, "Parapet support"). */
  by?: string | undefined;
  /** Kind-specific facts: `method` (totp, webauthn), `from`/`to` (roles), `retry_after_seconds`, `stage` (password, mfa). */
  details?: Record<string, string | number | string[]> | undefined;
}

/**
 * Writes one alert into the caller's transaction (`q` of `db.tx({ tenantId })`) when mail is
 * configured (`mailer` present); does nothing otherwise. `dedupeKey` makes repeats of one
 * episode a single mail (see EnqueueOptions.dedupeKey). Throws what the INSERT throws.
 */
export async function enqueueSecurityAlert(q: Queryable, tenantId: string, mailer: Mailer | undefined, alert: SecurityAlert, dedupeKey?: string): Promise<void> {
  if (!mailer) return;
  await enqueueOutbox(q, tenantId, SECURITY_ALERT_TOPIC, alert, dedupeKey ? { dedupeKey } : {});
}

interface Recipient {
  email: string;
  status: string;
}

/** True for an SMTP reply that is final for this message (5yz, RFC 5321 §4.2.1): retrying cannot help. */
function permanentRefusal(e: unknown): boolean {
  const code = (e as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/**
 * Registers the consumer that mails alerts of `db`'s outbox through `mailer` (once per
 * process, by buildApp when a relay is configured). Recipients and the organisation's name
 * are read per batch in the drainer's transaction. A relay failure is retried; a permanent
 * refusal (5yz) or a person who no longer exists, is erased or deactivated ends the message
 * (`cancelled`, reason kept as last_error).
 */
export function consumeSecurityAlerts(db: Database, mailer: Mailer): void {
  outboxFor(db).consume<SecurityAlert, { users: Map<string, Recipient>; org: { name: string; slug: string } | undefined }>(
    SECURITY_ALERT_TOPIC,
    async (m: OutboxMessage<SecurityAlert>, ctx) => {
      const a = m.payload;
      const u = ctx.users.get(a.userId);
      if (!u || u.status !== 'active' || !ctx.org) return { result: 'cancelled', error: 'The person no longer has an active account.' };
      const { subject, text } = securityAlertText({ ...a, org: ctx.org.name, slug: ctx.org.slug, email: u.email });
      try {
        await mailer.send({ to: u.email, subject, text });
      } catch (e) {
        if (permanentRefusal(e)) return { result: 'cancelled', error: `The mail relay refused the message for good: ${(e as Error).message}` };
        throw e;
      }
      return undefined;
    },
    {
      prepare: async (q, ms) => {
        const ids = [...new Set(ms.map((m) => m.payload.userId))];
        const users = (await q.query<{ id: string; email: string; status: string }>(`SELECT id, email, status FROM users WHERE id = ANY($1::uuid[])`, [ids])).rows;
        const org = (await q.query<{ name: string; slug: string }>(`SELECT name, slug FROM tenants WHERE id = $1`, [ms[0]!.tenantId])).rows[0];
        return { users: new Map(users.map((r) => [r.id, { email: r.email, status: r.status }])), org };
      },
    },
  );
}
