/**
 * Audit entries that strangers can cause (refused device signatures, refused enrolments, SSO
 * callbacks that fail, throttled sign-ins). Two rules bound what such traffic can write:
 *
 * 1. An entry is written only for a tenant that exists. A keyid or token naming a made-up
 *    tenant writes nothing: such a row could never be chained (it has no log key, the sweep
 *    never visits it) and each one would fail a sequencer round and page the on-call.
 * 2. Per tenant, at most REFUSAL_BURST entries at once and REFUSAL_PER_SECOND on average
 *    (a token bucket per process). Beyond that entries are counted, not written; the next
 *    written entry carries `suppressed` (how many were left out since the last one), so the
 *    log still shows that a flood happened and how big it was.
 */
import type { Database, Queryable } from '@parapet/db';
import { recordAudit, type AuditActor, type AuditEntry, type AuditEventName } from '../platform/audit.js';

/** Bucket size: entries a tenant may receive at once from unauthenticated traffic. */
export const REFUSAL_BURST = 60;
/** Sustained rate (entries per second per tenant) once the bucket is empty. */
export const REFUSAL_PER_SECOND = 1;
const MAX_TENANTS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
  suppressed: number;
}

/** Token buckets per tenant (bounded: the least recently used go first). */
export class AuditBudget {
  private readonly buckets = new Map<string, Bucket>();
  constructor(private readonly burst = REFUSAL_BURST, private readonly perSecond = REFUSAL_PER_SECOND) {}

  /** Takes one entry's worth for `tenantId` at `nowMs`: `allowed`, and the count left out before it. */
  take(tenantId: string, nowMs: number): { allowed: boolean; suppressed: number } {
    const b = this.buckets.get(tenantId) ?? { tokens: this.burst, at: nowMs, suppressed: 0 };
    this.buckets.delete(tenantId);
    this.buckets.set(tenantId, b);
    while (this.buckets.size > MAX_TENANTS) this.buckets.delete(this.buckets.keys().next().value!);
    b.tokens = Math.min(this.burst, b.tokens + ((nowMs - b.at) / 1000) * this.perSecond);
    b.at = nowMs;
    if (b.tokens < 1) {
      b.suppressed++;
      return { allowed: false, suppressed: b.suppressed };
    }
    b.tokens -= 1;
    const suppressed = b.suppressed;
    b.suppressed = 0;
    return { allowed: true, suppressed };
  }
}

/** The process's budget, shared by every writer of unauthenticated entries. */
export const unauthenticatedBudget = new AuditBudget();

/**
 * Records `e` inside the caller's tenant transaction when the budget allows; the caller
 * already knows the tenant exists. Returns whether it was written.
 */
export async function recordBudgeted<A extends AuditEventName>(q: Queryable, tenantId: string, actor: AuditActor, e: AuditEntry<A>, nowMs = Date.now()): Promise<boolean> {
  const t = unauthenticatedBudget.take(tenantId, nowMs);
  if (!t.allowed) return false;
  // `suppressed` (entries the budget dropped before this one) may ride on any event's details.
  await recordAudit(q, tenantId, actor, t.suppressed ? ({ ...e, details: { ...(e.details ?? {}), suppressed: t.suppressed } } as AuditEntry<A>) : e);
  return true;
}

/**
 * Records `e` in its own transaction, only if `tenantId` names an existing tenant and the
 * budget allows. Returns whether it was written. Database errors propagate.
 */
export async function recordUnauthenticated<A extends AuditEventName>(db: Database, tenantId: string, actor: AuditActor, e: AuditEntry<A>, nowMs = Date.now()): Promise<boolean> {
  return db.tx({ tenantId, actor: 'system:unauthenticated' }, async (q) => {
    const exists = (await q.query(`SELECT 1 FROM tenants WHERE id = $1`, [tenantId])).rows.length > 0;
    if (!exists) return false;
    return recordBudgeted(q, tenantId, actor, e, nowMs);
  });
}
