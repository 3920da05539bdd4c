/**
 * Access reviews (CORE-REVIEW). A review snapshots every standing access in the tenant when it
 * opens: each role a person holds, app-category delegations, SCIM tokens, SSO configurations,
 * scope-signing keys, approver-group memberships and enrolled devices. Named reviewers confirm
 * or revoke each line; a revocation takes effect in the same transaction (the role is gone
 * from the next request on). Sign-off needs every line decided and yields evidence: a DSSE
 * envelope (payload type {@link REVIEW_PAYLOAD_TYPE}) over the canonical JSON of the review,
 * signed with the tenant's audit log key, whose public key the audit API publishes.
 */
import type { Database, Queryable } from '@parapet/db';
import { canonicalJsonBytes, dsse, type KeyProvider } from '@parapet/core';
import { recordAudit, type AuditActor } from '../platform/audit.js';
import { ensureLogKey, openLogSigner } from '../audit/index.js';
import { ProblemError } from '../http/problem.js';
import { setUserRoles } from '../platform/users.js';
import { integerSetting, readSetting } from '../platform/settings.js';
import type { Role } from '../platform/principal.js';

export const REVIEW_PAYLOAD_TYPE = 'application/vnd.parapet.access-review+json';
export const REVIEW_KINDS = ['role', 'delegation', 'scim_token', 'sso_config', 'signing_key', 'approver_group', 'support_grant', 'device'] as const;
export type ReviewKind = (typeof REVIEW_KINDS)[number];
/** Default time a reviewer has to finish a review (ms): 14 days. */
export const REVIEW_DEFAULT_DUE_MS = 14 * 86_400_000;
/** Default review cadence (days) when the tenant sets none: one quarter. */
export const REVIEW_DEFAULT_INTERVAL_DAYS = 91;
/** Tenant setting `access_review_interval_days`: a review opens this long after the last one (1 to 3650 days). */
export const ACCESS_REVIEW_INTERVAL_DAYS = integerSetting({ key: 'access_review_interval_days', owner: 'governance', default: REVIEW_DEFAULT_INTERVAL_DAYS, min: 1, max: 3650 });

export interface ReviewItem {
  id: number;
  kind: ReviewKind;
  subject_id: string;
  label: string;
  detail: Record<string, unknown>;
  decision: 'pending' | 'confirmed' | 'revoked';
  decided_by: string | null;
  decided_at: string | null;
  note: string | null;
}

export interface Review {
  id: string;
  title: string;
  opened_at: string;
  opened_by: string;
  due_at: string;
  reviewers: string[];
  status: 'open' | 'signed_off';
  overdue: boolean;
  signed_off_at: string | null;
  signed_off_by: string | null;
  counts: { total: number; pending: number; confirmed: number; revoked: number };
}

type Line = Omit<ReviewItem, 'id' | 'decision' | 'decided_by' | 'decided_at' | 'note'>;

/** Every standing access in the tenant right now, in a stable order. */
export async function currentAccess(q: Queryable): Promise<Line[]> {
  const lines: Line[] = [];
  const users = await q.query<{ id: string; email: string; roles: string[] }>(`SELECT id, email, roles FROM users WHERE status = 'active' ORDER BY email, id`);
  for (const u of users.rows) for (const r of [...u.roles].sort()) lines.push({ kind: 'role', subject_id: u.id, label: `${u.email} holds ${r}`, detail: { user_id: u.id, email: u.email, role: r } });
  const del = await q.query<{ id: string; grantee_type: string; grantee_id: string; category: string }>(`SELECT id, grantee_type, grantee_id, category FROM delegations ORDER BY created_at, id`);
  for (const d of del.rows) lines.push({ kind: 'delegation', subject_id: d.id, label: `${d.grantee_type} ${d.grantee_id} sees category ${d.category}`, detail: { grantee_type: d.grantee_type, grantee_id: d.grantee_id, category: d.category } });
  const scim = await q.query<{ id: string; name: string; last_used_at: Date | null }>(`SELECT id, name, last_used_at FROM scim_tokens WHERE revoked_at IS NULL ORDER BY created_at, id`);
  for (const t of scim.rows) lines.push({ kind: 'scim_token', subject_id: t.id, label: `SCIM token "${t.name}"`, detail: { name: t.name, last_used_at: t.last_used_at?.toISOString() ?? null } });
  const sso = await q.query<{ id: string; preset: string; issuer: string; client_id: string }>(`SELECT id, preset, issuer, client_id FROM sso_configs WHERE enabled ORDER BY created_at, id`);
  for (const c of sso.rows) lines.push({ kind: 'sso_config', subject_id: c.id, label: `SSO ${c.preset} ${c.issuer}`, detail: { preset: c.preset, issuer: c.issuer, client_id: c.client_id } });
  const keys = await q.query<{ id: string; name: string; key_id: string; email: string }>(
    `SELECT k.id, k.name, k.key_id, u.email FROM probe_signing_keys k JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.user_id WHERE k.revoked_at IS NULL ORDER BY k.created_at, k.id`,
  );
  for (const k of keys.rows) lines.push({ kind: 'signing_key', subject_id: k.id, label: `Scope-signing key "${k.name}" of ${k.email}`, detail: { key_id: k.key_id, owner: k.email } });
  const groups = await q.query<{ user_id: string; group_name: string; email: string }>(
    `SELECT g.user_id, g.group_name, u.email FROM probe_approver_groups g JOIN users u ON u.tenant_id = g.tenant_id AND u.id = g.user_id ORDER BY u.email`,
  );
  for (const g of groups.rows) lines.push({ kind: 'approver_group', subject_id: g.user_id, label: `${g.email} approves for group ${g.group_name}`, detail: { email: g.email, group: g.group_name } });
  const devices = await q.query<{ id: string; kind: string; name: string; last_seen_at: Date | null }>(`SELECT id, kind, name, last_seen_at FROM devices WHERE status = 'active' ORDER BY enrolled_at, id`);
  const grants = await q.query<{ id: string; ticket: string; scope: string; expires_at: Date }>(`SELECT id, ticket, scope, expires_at FROM support_grants WHERE revoked_at IS NULL AND expires_at > now() ORDER BY created_at, id`);
  for (const g of grants.rows) lines.push({ kind: 'support_grant', subject_id: g.id, label: `Vendor support grant ${g.ticket} (${g.scope}) until ${g.expires_at.toISOString()}`, detail: { ticket: g.ticket, scope: g.scope, expires_at: g.expires_at.toISOString() } });
  for (const d of devices.rows) lines.push({ kind: 'device', subject_id: d.id, label: `${d.kind} "${d.name}"`, detail: { kind: d.kind, name: d.name, last_seen_at: d.last_seen_at?.toISOString() ?? null } });
  return lines;
}

/** Admins of the tenant (the default reviewers of a scheduled review). */
async function adminIds(q: Queryable): Promise<string[]> {
  return (await q.query<{ id: string }>(`SELECT id FROM users WHERE status = 'active' AND 'admin' = ANY (roles) ORDER BY created_at, id LIMIT 20`)).rows.map((r) => r.id);
}

/**
 * Opens a review listing current access. Reviewers must be active admins, security leads or
 * auditors of the tenant.
 * @throws ProblemError 409 `review_open` while another review is open; 400 `review_reviewer_invalid`.
 */
export async function openReview(q: Queryable, tenantId: string, actor: AuditActor, o: { title: string; reviewers?: string[]; dueAt?: Date }, now: Date): Promise<Review> {
  await q.query(`SELECT pg_advisory_xact_lock(hashtextextended('access-review:' || $1, 0))`, [tenantId]);
  if ((await q.query(`SELECT 1 FROM access_reviews WHERE status = 'open'`)).rows.length) throw new ProblemError(409, 'review_open', 'Another access review is open; sign it off first.');
  const reviewers = [...new Set(o.reviewers?.length ? o.reviewers : await adminIds(q))];
  if (!reviewers.length) throw new ProblemError(400, 'review_reviewer_invalid', 'A review needs at least one reviewer.');
  const ok = await q.query<{ id: string }>(`SELECT id FROM users WHERE status = 'active' AND id = ANY ($1::uuid[]) AND roles && ARRAY['admin','security_lead','auditor']::text[]`, [reviewers]);
  if (ok.rows.length !== reviewers.length) throw new ProblemError(400, 'review_reviewer_invalid', 'Every reviewer must be an active admin, security lead or auditor of this organisation.');
  const dueAt = o.dueAt ?? new Date(now.getTime() + REVIEW_DEFAULT_DUE_MS);
  if (dueAt.getTime() <= now.getTime()) throw new ProblemError(400, 'review_due_invalid', 'The due date must be in the future.');
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO access_reviews (tenant_id, title, opened_at, opened_by, due_at, reviewers) VALUES ($1, $2, $3, $4, $5, $6::uuid[]) RETURNING id`,
    [tenantId, o.title, now, `${actor.type}:${actor.id}`, dueAt, reviewers],
  );
  const id = rows[0]!.id;
  const lines = await currentAccess(q);
  let n = 0;
  for (const l of lines) {
    await q.query(`INSERT INTO access_review_items (tenant_id, review_id, id, kind, subject_id, label, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [tenantId, id, ++n, l.kind, l.subject_id, l.label, JSON.stringify(l.detail)]);
  }
  await recordAudit(q, tenantId, actor, { action: 'governance.review.opened', outcome: 'success', target: { type: 'access_review', id }, details: { title: o.title, items: lines.length, reviewers, due_at: dueAt.toISOString() } });
  return (await getReview(q, id, now))!.review;
}

function present(r: { id: string; title: string; opened_at: Date; opened_by: string; due_at: Date; reviewers: string[]; status: 'open' | 'signed_off'; signed_off_at: Date | null; signed_off_by: string | null; total: string; pending: string; confirmed: string; revoked: string }, now: Date): Review {
  return {
    id: r.id, title: r.title, opened_at: r.opened_at.toISOString(), opened_by: r.opened_by, due_at: r.due_at.toISOString(), reviewers: r.reviewers, status: r.status,
    overdue: r.status === 'open' && r.due_at.getTime() < now.getTime(),
    signed_off_at: r.signed_off_at?.toISOString() ?? null, signed_off_by: r.signed_off_by,
    counts: { total: Number(r.total), pending: Number(r.pending), confirmed: Number(r.confirmed), revoked: Number(r.revoked) },
  };
}

const REVIEW_SELECT = `SELECT r.id, r.title, r.opened_at, r.opened_by, r.due_at, r.reviewers, r.status, r.signed_off_at, r.signed_off_by,
  count(i.id)::text AS total, count(i.id) FILTER (WHERE i.decision = 'pending')::text AS pending,
  count(i.id) FILTER (WHERE i.decision = 'confirmed')::text AS confirmed, count(i.id) FILTER (WHERE i.decision = 'revoked')::text AS revoked
  FROM access_reviews r LEFT JOIN access_review_items i ON i.tenant_id = r.tenant_id AND i.review_id = r.id`;

export async function listReviews(q: Queryable, now: Date): Promise<Review[]> {
  const { rows } = await q.query<Parameters<typeof present>[0]>(`${REVIEW_SELECT} GROUP BY r.tenant_id, r.id ORDER BY r.opened_at DESC LIMIT 200`);
  return rows.map((r) => present(r, now));
}

export async function getReview(q: Queryable, id: string, now: Date): Promise<{ review: Review; items: ReviewItem[] } | undefined> {
  const { rows } = await q.query<Parameters<typeof present>[0]>(`${REVIEW_SELECT} WHERE r.id = $1 GROUP BY r.tenant_id, r.id`, [id]);
  if (!rows[0]) return undefined;
  const items = await q.query<{ id: number; kind: ReviewKind; subject_id: string; label: string; detail: Record<string, unknown>; decision: ReviewItem['decision']; decided_by: string | null; decided_at: Date | null; note: string | null }>(
    `SELECT id, kind, subject_id, label, detail, decision, decided_by, decided_at, note FROM access_review_items WHERE review_id = $1 ORDER BY id`,
    [id],
  );
  return { review: present(rows[0], now), items: items.rows.map((i) => ({ ...i, decided_at: i.decided_at?.toISOString() ?? null })) };
}

async function openReviewFor(q: Queryable, id: string, userId: string): Promise<{ reviewers: string[] }> {
  const { rows } = await q.query<{ status: string; reviewers: string[] }>(`SELECT status, reviewers FROM access_reviews WHERE id = $1 FOR UPDATE`, [id]);
  const r = rows[0];
  if (!r) throw new ProblemError(404, 'review_not_found', 'No such access review.');
  if (r.status !== 'open') throw new ProblemError(409, 'review_signed_off', 'This access review is signed off and cannot change.');
  if (!r.reviewers.includes(userId)) throw new ProblemError(403, 'review_not_reviewer', 'Only the reviewers named on this review may decide or sign it off.');
  return r;
}

/** Removes what a revoked line grants, at once. */
async function revokeLine(q: Queryable, tenantId: string, actor: AuditActor, item: { kind: ReviewKind; subject_id: string; detail: Record<string, unknown> }): Promise<void> {
  switch (item.kind) {
    case 'role': {
      const role = String(item.detail.role);
      if (role === 'admin') {
        const admins = await q.query<{ id: string }>(`SELECT id FROM users WHERE status = 'active' AND 'admin' = ANY (roles) FOR UPDATE`);
        if (admins.rows.length <= 1 && admins.rows[0]?.id === item.subject_id) throw new ProblemError(409, 'last_admin', 'This is the last active admin; confirm it, or make someone else admin first.');
      }
      // A role change rotates privilege: the lifecycle subscribers end the person's sessions,
      // so nothing keeps the old role.
      const cur = (await q.query<{ roles: Role[] }>(`SELECT roles FROM users WHERE id = $1 FOR UPDATE`, [item.subject_id])).rows[0];
      if (cur) await setUserRoles(q, tenantId, item.subject_id, cur.roles.filter((r) => r !== role));
      return;
    }
    case 'delegation':
      await q.query(`DELETE FROM delegations WHERE id = $1`, [item.subject_id]);
      return;
    case 'scim_token':
      await q.query(`UPDATE scim_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [item.subject_id]);
      return;
    case 'sso_config':
      await q.query(`UPDATE sso_configs SET enabled = false, updated_at = now() WHERE id = $1`, [item.subject_id]);
      return;
    case 'signing_key':
      await q.query(`UPDATE probe_signing_keys SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL`, [item.subject_id, actor.id]);
      return;
    case 'approver_group':
      await q.query(`DELETE FROM probe_approver_groups WHERE user_id = $1`, [item.subject_id]);
      return;
    case 'device':
      await q.query(`UPDATE devices SET status = 'revoked', revoked_at = now(), revoked_by = $2 WHERE id = $1 AND status = 'active'`, [item.subject_id, `user:${actor.id}`]);
      return;
    case 'support_grant':
      // Ends the grant's support sessions at once too.
      await q.query(`UPDATE support_grants SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL`, [item.subject_id, actor.id]);
      await q.query(`UPDATE support_sessions SET ended_at = now() WHERE grant_id = $1 AND ended_at IS NULL`, [item.subject_id]);
      return;
  }
  void tenantId;
}

/**
 * Records a reviewer's decision on one line; `revoked` removes the access in the same
 * transaction. Deciding a line again is refused (`review_item_decided`).
 * @throws ProblemError 404 `review_not_found` / `review_item_not_found`, 403 `review_not_reviewer`, 409 `review_signed_off` / `last_admin`.
 */
export async function decideItem(q: Queryable, tenantId: string, actor: AuditActor & { id: string }, reviewId: string, itemId: number, decision: 'confirmed' | 'revoked', note: string | undefined, now: Date): Promise<ReviewItem> {
  await openReviewFor(q, reviewId, actor.id);
  const { rows } = await q.query<{ kind: ReviewKind; subject_id: string; label: string; detail: Record<string, unknown>; decision: string }>(
    `SELECT kind, subject_id, label, detail, decision FROM access_review_items WHERE review_id = $1 AND id = $2 FOR UPDATE`,
    [reviewId, itemId],
  );
  const item = rows[0];
  if (!item) throw new ProblemError(404, 'review_item_not_found', 'No such line on this review.');
  if (item.decision !== 'pending') throw new ProblemError(409, 'review_item_decided', `This line is ${item.decision} already.`);
  if (decision === 'revoked') await revokeLine(q, tenantId, actor, item);
  await q.query(`UPDATE access_review_items SET decision = $3, decided_by = $4, decided_at = $5, note = $6 WHERE review_id = $1 AND id = $2`, [reviewId, itemId, decision, actor.id, now, note ?? null]);
  await recordAudit(q, tenantId, actor, {
    action: decision === 'revoked' ? 'governance.review_item.revoked' : 'governance.review_item.confirmed',
    outcome: 'success',
    target: { type: 'access_review', id: reviewId },
    details: { item: itemId, kind: item.kind, subject_id: item.subject_id, label: item.label, ...(note ? { note } : {}) },
  });
  const all = await getReview(q, reviewId, now);
  return all!.items.find((i) => i.id === itemId)!;
}

/** The statement a signed-off review attests to (the DSSE payload, before canonicalisation). */
export interface ReviewStatement {
  schema: 'parapet.access-review/v1';
  tenant: string;
  review: Omit<Review, 'overdue' | 'counts'>;
  items: ReviewItem[];
}

/**
 * Signs off a review: every line decided, by a named reviewer. Stores and returns the DSSE
 * envelope over the canonical statement, signed with the tenant's audit log key (Ed25519).
 * @throws ProblemError 409 `review_incomplete` while any line is pending.
 */
export async function signOff(q: Queryable, keys: KeyProvider, tenantId: string, actor: AuditActor & { id: string }, reviewId: string, now: Date): Promise<{ envelope: dsse.DsseEnvelope; keyId: string; publicKeyPem: string }> {
  await openReviewFor(q, reviewId, actor.id);
  const r = (await getReview(q, reviewId, now))!;
  if (r.review.counts.pending) throw new ProblemError(409, 'review_incomplete', `${r.review.counts.pending} line(s) are still undecided.`);
  const { overdue: _o, counts: _c, ...review } = r.review;
  const statement: ReviewStatement = { schema: 'parapet.access-review/v1', tenant: tenantId, review: { ...review, status: 'signed_off', signed_off_at: now.toISOString(), signed_off_by: actor.id }, items: r.items };
  const key = await ensureLogKey(q, keys, tenantId);
  const signer = await openLogSigner(keys, tenantId, key);
  const pem = signer.export({ type: 'pkcs8', format: 'pem' }) as string;
  const envelope = dsse.signEnvelope(REVIEW_PAYLOAD_TYPE, canonicalJsonBytes(statement), pem);
  await q.query(`UPDATE access_reviews SET status = 'signed_off', signed_off_at = $2, signed_off_by = $3, evidence = $4 WHERE id = $1`, [reviewId, now, actor.id, JSON.stringify(envelope)]);
  await recordAudit(q, tenantId, actor, { action: 'governance.review.signed_off', outcome: 'success', target: { type: 'access_review', id: reviewId }, details: { items: r.items.length, revoked: r.review.counts.revoked, keyid: envelope.signatures[0]!.keyid } });
  const publicKeyPem = (await import('node:crypto')).createPublicKey(signer).export({ type: 'spki', format: 'pem' }) as string;
  return { envelope, keyId: envelope.signatures[0]!.keyid, publicKeyPem };
}

/** The stored evidence of a signed-off review, and the public key that verifies it. */
export async function reviewEvidence(q: Queryable, reviewId: string): Promise<{ envelope: dsse.DsseEnvelope } | undefined> {
  const { rows } = await q.query<{ evidence: dsse.DsseEnvelope | null }>(`SELECT evidence FROM access_reviews WHERE id = $1`, [reviewId]);
  return rows[0]?.evidence ? { envelope: rows[0].evidence } : undefined;
}

/**
 * The periodic review job, for one tenant: opens a review when none is open and the last one
 * opened more than the tenant's interval ago (`access_review_interval_days`, default one
 * quarter), and raises a one-time overdue alert (an audit entry) for a review past its due date.
 * Returns what it did.
 */
export async function reviewTick(db: Database, tenantId: string, now: Date): Promise<{ opened?: string; overdue?: string }> {
  return db.tx({ tenantId, actor: 'system:access-review' }, async (q) => {
    const out: { opened?: string; overdue?: string } = {};
    const sys: AuditActor = { type: 'system', id: 'access-review' };
    const overdue = await q.query<{ id: string }>(`UPDATE access_reviews SET overdue_alerted_at = $1 WHERE status = 'open' AND due_at < $1 AND overdue_alerted_at IS NULL RETURNING id`, [now]);
    for (const r of overdue.rows) {
      await recordAudit(q, tenantId, sys, { action: 'governance.review.lapsed', outcome: 'failure', target: { type: 'access_review', id: r.id }, details: { due_before: now.toISOString() } });
      out.overdue = r.id;
    }
    const days = await readSetting(q, ACCESS_REVIEW_INTERVAL_DAYS, tenantId);
    const last = (await q.query<{ opened_at: Date; open: boolean }>(`SELECT opened_at, status = 'open' AS open FROM access_reviews ORDER BY opened_at DESC LIMIT 1`)).rows[0];
    if (last?.open) return out;
    if (last && now.getTime() - last.opened_at.getTime() < days * 86_400_000) return out;
    if (!(await adminIds(q)).length) return out;
    const quarter = `Q${Math.floor(now.getUTCMonth() / 3) + 1} ${now.getUTCFullYear()}`;
    const r = await openReview(q, tenantId, sys, { title: `Access review ${quarter}` }, now);
    out.opened = r.id;
    return out;
  });
}
