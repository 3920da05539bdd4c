/**
 * The audit writer and the event catalogue (CORE-AUDIT). Imports no domain.
 *
 * **Catalogue.** `AuditEvents` maps each event name to the shape of its `details`. It is empty
 * here; each domain adds its own events in `<domain>/audit-events.ts` by declaration merging:
 *
 * ```ts
 * declare module '../platform/audit.js' {
 *   interface AuditEvents { 'probe.scan.approved': { from: ScanState; to: ScanState } }
 * }
 * declareAuditEvents(['probe.scan.approved']);
 * ```
 *
 * so `recordAudit(q, tenantId, actor, { action: 'probe.scan.approved', outcome: 'success',
 * details })` type-checks `details` against that event and an undeclared name does not
 * compile. The same file registers the names at run time (`declareAuditEvents`), which
 * `test/audit-catalogue.test.ts` compares with the declared keys and with the names the
 * sources use.
 *
 * **Names** are `domain.object.verb`: lower snake_case segments, the verb a past participle
 * (the event happened, or was attempted: `outcome` says which). When the object is the
 * domain's own entity the name is `domain.verb` (`tenant.created`, `device.enrolled`,
 * `posture.checked`). Rules and the full list: docs/audit.md.
 *
 * **Renamed events.** Entries already in a log keep the name they were written with (the
 * log is immutable and hash-chained). {@link AUDIT_EVENT_RENAMES} is the one table of former
 * names; every reader that selects entries by name goes through {@link storedAuditEventNames}
 * or {@link auditEventNamesByPrefix}, and {@link currentAuditEventName} maps a stored name to
 * today's.
 */
import type { Queryable } from '@parapet/db';
import { sequencerFor } from './audit-sequencer.js';

/**
 * Event name → shape of its `details`. Extended by each domain (see the module comment);
 * an event without details declares `Record<string, never>`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface AuditEvents {}

/** Every declared event name. */
export type AuditEventName = keyof AuditEvents & string;

/** Who did it. `name` is the human-readable name at the time (email, device name, job). */
export interface AuditActor {
  type: 'user' | 'device' | 'system';
  id: string;
  name?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
}

/**
 * Details of a refused or failed attempt, for any event: the problem `code` (problem-codes.ts)
 * and what else the refusing code path knows (detail, attempted PDP action, ...).
 */
export interface AuditRefusal {
  code: string;
  [k: string]: unknown;
}

/** `details` is required when the event's shape has a required field. */
type DetailsOf<T> = {} extends T ? { details?: T | undefined } : { details: T };

/**
 * One entry to record. A success carries the event's own details; a failure or denial may
 * carry them or an {@link AuditRefusal}.
 */
export type AuditEntry<A extends AuditEventName = AuditEventName> = {
  action: A;
  target?: { type: string; id: string } | undefined;
  purpose?: string | undefined;
} & (({ outcome: 'success' } & DetailsOf<AuditEvents[A]>) | { outcome: 'failure' | 'denied'; details?: AuditEvents[A] | AuditRefusal | undefined });

/** Seals an actor's personal fields before they are written (see registerAuditActorSealer). */
export type AuditActorSealer = (q: Queryable, tenantId: string, actor: AuditActor) => Promise<AuditActor>;
let sealActor: AuditActorSealer = async (_q, _t, actor) => actor;

/**
 * Installs the function that seals a person's name, address and user agent before the writer
 * stores them (audit/pii.ts installs it when it loads; it passes fields through unchanged
 * until a key provider is configured, which is also what the writer does without it).
 */
export function registerAuditActorSealer(fn: AuditActorSealer): void {
  sealActor = fn;
}

/**
 * Appends one audit entry inside the caller's transaction, so the change and its record
 * commit together or not at all. `q` must be a tenant transaction for `tenantId`.
 *
 * The entry goes to the tenant's inbox (no lock, no hash), so concurrent writers of one
 * tenant commit in parallel. Once the transaction commits, the sequencer chains it into
 * audit_log; see audit-sequencer.ts and migration 0102 for the ordering this guarantees.
 * Returns the inbox id. Database errors propagate (and abort the caller's transaction).
 */
export async function recordAudit<A extends AuditEventName>(q: Queryable, tenantId: string, who: AuditActor, e: AuditEntry<A>): Promise<{ inboxId: number }> {
  const actor = await sealActor(q, tenantId, who);
  const { rows } = await q.query<{ id: number }>(
    `INSERT INTO audit_inbox (tenant_id, actor_type, actor_id, actor_name, ip, user_agent, action, target_type, target_id, purpose, outcome, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
    [tenantId, actor.type, actor.id, actor.name ?? null, actor.ip ?? null, actor.userAgent ?? null, e.action, e.target?.type ?? null, e.target?.id ?? null, e.purpose ?? null, e.outcome,
      // Through JSON once so what is chained is what jsonb holds (no undefined, no Dates).
      JSON.stringify(e.details ?? {})],
  );
  q.afterCommit?.((db) => sequencerFor(db).kick(tenantId));
  return { inboxId: Number(rows[0]!.id) };
}

const declared = new Set<string>();

/**
 * Registers a domain's event names at run time (each `<domain>/audit-events.ts` calls it once
 * with exactly the keys it adds to {@link AuditEvents}).
 * @throws Error when a name is registered twice (two domains claiming one event).
 */
export function declareAuditEvents(names: readonly AuditEventName[]): void {
  for (const n of names) {
    if (declared.has(n)) throw new Error(`The audit event ${n} is declared twice.`);
    declared.add(n);
  }
}

/** The registered event names, sorted. */
export function declaredAuditEvents(): string[] {
  return [...declared].sort();
}

/**
 * Former event name → current name. Entries written under a former name keep it; readers
 * that select by name use both. Add a line whenever an event is renamed; never remove one.
 */
export const AUDIT_EVENT_RENAMES: Readonly<Record<string, AuditEventName>> = {
  'audit.exported': 'audit.log.exported',
  'audit.settings_changed': 'audit.settings.changed',
  'auth.account_unlocked': 'auth.account.unlocked',
  'auth.login': 'auth.session.opened',
  'auth.logout': 'auth.session.closed',
  'auth.logout_all': 'auth.sessions.closed',
  'auth.mfa_challenge': 'auth.mfa.challenged',
  'auth.mfa_enrolled': 'auth.mfa.enrolled',
  'auth.mfa_removed': 'auth.mfa.removed',
  'auth.password_rehashed': 'auth.password.rehashed',
  'auth.recovery_codes_issued': 'auth.recovery_codes.issued',
  'auth.settings_changed': 'auth.settings.changed',
  'auth.step_up': 'auth.session.stepped_up',
  'authz.decision': 'authz.access.allowed',
  'authz.delegation_granted': 'authz.delegation.granted',
  'authz.delegation_revoked': 'authz.delegation.revoked',
  'authz.denied': 'authz.access.denied',
  'crypto.keys_rewrapped': 'crypto.keys.rewrapped',
  'device.heartbeat': 'device.status.changed',
  'device.request_refused': 'device.request.refused',
  'device.token_created': 'device.token.created',
  'governance.review.item_confirmed': 'governance.review_item.confirmed',
  'governance.review.item_revoked': 'governance.review_item.revoked',
  'governance.review.overdue': 'governance.review.lapsed',
  'organisation.settings_changed': 'organisation.settings.changed',
  'people.invitation_accepted': 'people.invitation.accepted',
  'people.invitation_created': 'people.invitation.created',
  'people.invitation_emailed': 'people.invitation.emailed',
  'people.invitation_revoked': 'people.invitation.revoked',
  'people.roles_changed': 'people.roles.changed',
  'probe.approver_group.set': 'probe.approver_group.changed',
  'probe.evidence.export_approved': 'probe.evidence_export.approved',
  'probe.evidence.export_requested': 'probe.evidence_export.requested',
  'probe.evidence.url_issued': 'probe.evidence_url.issued',
  'probe.report.pdf_moved': 'probe.report_pdf.moved',
  'probe.scan.approval': 'probe.scan.decided',
  'probe.scan.running': 'probe.scan.started',
  'pulse.export': 'pulse.activity.exported',
  'pulse.policy.key_created': 'pulse.policy_key.created',
  'pulse.settings.updated': 'pulse.settings.changed',
  'scim.auth_failed': 'scim.auth.failed',
  'scim.request_rejected': 'scim.request.rejected',
  'sso.login': 'sso.login.completed',
  'support.request': 'support.request.made',
  'user.created': 'auth.user.created',
  'webhook.test_sent': 'webhook.test.sent',
};

const formerNames = new Map<string, string[]>();
for (const [old, now] of Object.entries(AUDIT_EVENT_RENAMES)) formerNames.set(now, [...(formerNames.get(now) ?? []), old]);

/** Today's name of an event as a log row stores it (a former name maps to its successor; any other name is returned as is). */
export function currentAuditEventName(stored: string): string {
  return AUDIT_EVENT_RENAMES[stored] ?? stored;
}

/**
 * Every name rows of these events may carry: each current name and its former names, for
 * `action = ANY ($1::text[])`. Order: the given names first, then former names.
 */
export function storedAuditEventNames(...names: AuditEventName[]): string[] {
  return [...names, ...names.flatMap((n) => formerNames.get(n) ?? [])];
}

/**
 * Stored names to match, besides `action LIKE prefix || '%'`, for a filter by name prefix:
 * the former names of events whose current name starts with `prefix`, and the current names
 * of former names that start with it (so a filter typed either way finds old and new rows).
 */
export function auditEventNamesByPrefix(prefix: string): string[] {
  const out = new Set<string>();
  for (const [old, now] of Object.entries(AUDIT_EVENT_RENAMES)) {
    if (now.startsWith(prefix)) out.add(old);
    if (old.startsWith(prefix)) out.add(now);
  }
  return [...out].sort();
}
