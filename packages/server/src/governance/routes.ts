/**
 * Governance API under /api/v1/governance: access reviews (CORE-REVIEW). Opening a review and
 * every decision need step-up; only reviewers named on a review may decide its lines or sign
 * it off. Refusals are audited in their own transaction.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppDeps } from '../deps.js';
import { defineActions } from '../platform/pdp.js';
import { type UserPrincipal, actorOf } from '../platform/principal.js';
import { recordAudit } from '../platform/audit.js';
import { ProblemError } from '../http/problem.js';
import { listTenantIds } from '../platform/tenants.js';
import { forEachSettled } from '../platform/jobs.js';
import { enqueue } from '../webhooks/index.js';
import { anomalyAlert } from '../webhooks/index.js';
import { type AnomalyAlert, listAlerts, scoreTenant } from './anomaly.js';
import type { Queryable } from '@parapet/db';
import { erasePerson, listErasures } from './erasure.js';
import { REVIEW_KINDS, REVIEW_PAYLOAD_TYPE, decideItem, getReview, listReviews, openReview, reviewEvidence, reviewTick, signOff } from './reviews.js';
import { guard } from '../platform/guard.js';
import type { ApiTypeProvider } from '../http/type-provider.js';
import './audit-events.js'; // this domain's audit events (platform/audit.ts)

defineActions({
  'governance.review.read': { roles: ['admin', 'security_lead', 'auditor'] },
  'governance.review.open': { roles: ['admin'], stepUp: true },
  'governance.review.decide': { roles: ['admin', 'security_lead', 'auditor'], stepUp: true },
  'governance.alert.read': { roles: ['admin', 'security_lead', 'auditor'] },
  'governance.alert.acknowledge': { roles: ['admin', 'security_lead'] },
  'governance.erasure.request': { roles: ['admin'], stepUp: true },
  'governance.erasure.read': { roles: ['admin', 'auditor'] },
});

/** How often data-access volume is scored (ms): alerts are raised within this plus a request. */
export const ANOMALY_JOB_INTERVAL_MS = 15_000;

/** How often the review job runs (ms). */
export const REVIEW_JOB_INTERVAL_MS = 10 * 60_000;

const problems = { '4xx': { $ref: 'Problem#' } } as const;
const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const reviewSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string' }, title: { type: 'string' }, opened_at: { type: 'string' }, opened_by: { type: 'string' }, due_at: { type: 'string' },
    reviewers: { type: 'array', items: { type: 'string' } }, status: { enum: ['open', 'signed_off'] }, overdue: { type: 'boolean' },
    signed_off_at: { type: ['string', 'null'] }, signed_off_by: { type: ['string', 'null'] },
    counts: { type: 'object', additionalProperties: false, required: ['total', 'pending', 'confirmed', 'revoked'], properties: { total: { type: 'integer' }, pending: { type: 'integer' }, confirmed: { type: 'integer' }, revoked: { type: 'integer' } } },
  },
  required: ['id', 'title', 'opened_at', 'opened_by', 'due_at', 'reviewers', 'status', 'overdue', 'signed_off_at', 'signed_off_by', 'counts'],
} as const;
const nullableString = { type: ['string', 'null'] } as const;
/** What a review line is about; which members are present depends on its kind (reviews.ts gatherLines). */
const itemDetail = {
  type: 'object',
  additionalProperties: false,
  required: [],
  properties: {
    user_id: { type: 'string' }, email: { type: 'string' }, role: { type: 'string' }, grantee_type: { type: 'string' }, grantee_id: { type: 'string' }, category: { type: 'string' },
    name: { type: 'string' }, last_used_at: nullableString, preset: { type: 'string' }, issuer: { type: 'string' }, client_id: { type: 'string' }, key_id: { type: 'string' }, owner: { type: 'string' },
    group: { type: 'string' }, ticket: { type: 'string' }, scope: { type: 'string' }, expires_at: { type: 'string' }, kind: { type: 'string' }, last_seen_at: nullableString,
  },
} as const;
const itemSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'integer' }, kind: { enum: [...REVIEW_KINDS] }, subject_id: { type: 'string' }, label: { type: 'string' },
    detail: itemDetail, decision: { enum: ['pending', 'confirmed', 'revoked'] },
    decided_by: { type: ['string', 'null'] }, decided_at: { type: ['string', 'null'] }, note: { type: ['string', 'null'] },
  },
  required: ['id', 'kind', 'subject_id', 'label', 'detail', 'decision', 'decided_by', 'decided_at', 'note'],
} as const;
const envelopeSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { payloadType: { type: 'string' }, payload: { type: 'string' }, signatures: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['keyid', 'sig'], properties: { keyid: { type: 'string' }, sig: { type: 'string' } } } } },
  required: ['payloadType', 'payload', 'signatures'],
} as const;
/** governance/erasure.ts ErasureReport: counts per table.column deleted or nullified, the tables kept. */
const erasureReportProperties = {
  request_id: { type: 'string' }, subject_id: { type: 'string' },
  deleted: { type: 'object', additionalProperties: { type: 'integer' } }, nullified: { type: 'object', additionalProperties: { type: 'integer' } },
  kept: { type: 'array', items: { type: 'string' } }, subject_key_destroyed: { type: 'boolean' },
} as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: UUID } } } as const;

export async function governanceRoutes(parent: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();
  const ctx = (p: UserPrincipal) => ({ tenantId: p.tenantId, actor: `user:${p.userId}` });

  /**
   * Runs fn as a person the guard lets take `action`. The guard records a denial (under
   * governance.review.refused, except for reads); a refusal fn answers (4xx) is recorded
   * under governance.review.refused in its own transaction, since its change rolled back.
   */
  async function guarded<T>(req: FastifyRequest, action: string, target: { type: string; id: string } | undefined, fn: (p: UserPrincipal) => Promise<T>): Promise<T> {
    const read = action === 'governance.review.read';
    const g = await guard(req, action, { type: target?.type ?? 'access_review', id: target?.id }, read ? {} : { denialEvent: 'governance.review.refused', ...(target ? { denialTarget: target } : {}) });
    try {
      return await fn(g.principal);
    } catch (e) {
      if (e instanceof ProblemError && e.status < 500 && !read) {
        await g.tx((q) =>
          recordAudit(q, g.principal.tenantId, g.actor, { action: 'governance.review.refused', outcome: e.status === 401 || e.status === 403 ? 'denied' : 'failure', ...(target ? { target } : {}), details: { code: e.code, detail: e.detail, attempted: action } }),
        );
      }
      throw e;
    }
  }

  app.get('/api/v1/governance/reviews', { schema: { tags: ['governance'], summary: 'Access reviews, newest first.', response: { 200: { type: 'object', additionalProperties: false, required: ['reviews'], properties: { reviews: { type: 'array', items: reviewSchema } } }, ...problems } } as const }, async (req) =>
    guarded(req, 'governance.review.read', undefined, async (p) => ({ reviews: await deps.db.tx(ctx(p), (q) => listReviews(q, deps.now())) })),
  );

  app.post(
    '/api/v1/governance/reviews',
    {
      schema: {
        tags: ['governance'],
        summary: 'Open an access review now (admin, step-up): every role holder, delegation, SCIM token, SSO configuration, signing key, approver-group membership and device, to confirm or revoke.',
        body: {
          type: 'object', required: ['title'], additionalProperties: false,
          properties: { title: { type: 'string', minLength: 1, maxLength: 200 }, reviewers: { type: 'array', minItems: 1, maxItems: 20, items: { type: 'string', pattern: UUID } }, due_at: { type: 'string', format: 'date-time' } },
        },
        response: { 201: reviewSchema, ...problems },
      } as const,
    },
    async (req, reply) => {
      const r = await guarded(req, 'governance.review.open', undefined, (p) =>
        deps.db.tx(ctx(p), (q) => openReview(q, p.tenantId, actorOf(req), { title: req.body.title, ...(req.body.reviewers ? { reviewers: req.body.reviewers } : {}), ...(req.body.due_at ? { dueAt: new Date(req.body.due_at) } : {}) }, deps.now())),
      );
      reply.code(201);
      return r;
    },
  );

  app.get(
    '/api/v1/governance/reviews/:id',
    { schema: { tags: ['governance'], summary: 'One access review with its lines.', params: idParams, response: { 200: { type: 'object', additionalProperties: false, required: ['review', 'items'], properties: { review: reviewSchema, items: { type: 'array', items: itemSchema } } }, ...problems } } as const },
    async (req) =>
      guarded(req, 'governance.review.read', { type: 'access_review', id: req.params.id }, async (p) => {
        const r = await deps.db.tx(ctx(p), (q) => getReview(q, req.params.id, deps.now()));
        if (!r) throw new ProblemError(404, 'review_not_found', 'No such access review.');
        return r;
      }),
  );

  app.post(
    '/api/v1/governance/reviews/:id/items/:item/decision',
    {
      schema: {
        tags: ['governance'],
        summary: 'Confirm or revoke one line (a named reviewer, step-up). Revoking removes the access at once.',
        params: { type: 'object', required: ['id', 'item'], properties: { id: { type: 'string', pattern: UUID }, item: { type: 'integer', minimum: 1, maximum: 1000000 } } },
        body: { type: 'object', required: ['decision'], additionalProperties: false, properties: { decision: { enum: ['confirmed', 'revoked'] }, note: { type: 'string', maxLength: 1000 } } },
        response: { 200: itemSchema, ...problems },
      } as const,
    },
    async (req) =>
      guarded(req, 'governance.review.decide', { type: 'access_review', id: req.params.id }, (p) =>
        deps.db.tx(ctx(p), (q) => decideItem(q, p.tenantId, { ...actorOf(req), id: p.userId }, req.params.id, req.params.item, req.body.decision, req.body.note, deps.now())),
      ),
  );

  app.post(
    '/api/v1/governance/reviews/:id/sign-off',
    {
      schema: {
        tags: ['governance'],
        summary: 'Sign off a fully decided review (a named reviewer, step-up); answers the signed evidence (DSSE, signed with the audit log key).',
        params: idParams,
        response: { 200: { type: 'object', additionalProperties: false, required: ['envelope', 'key_id', 'public_key_pem', 'payload_type'], properties: { envelope: envelopeSchema, key_id: { type: 'string' }, public_key_pem: { type: 'string' }, payload_type: { type: 'string' } } }, ...problems },
      } as const,
    },
    async (req) =>
      guarded(req, 'governance.review.decide', { type: 'access_review', id: req.params.id }, async (p) => {
        const r = await deps.db.tx(ctx(p), (q) => signOff(q, deps.keys, p.tenantId, { ...actorOf(req), id: p.userId }, req.params.id, deps.now()));
        return { envelope: r.envelope, key_id: r.keyId, public_key_pem: r.publicKeyPem, payload_type: REVIEW_PAYLOAD_TYPE };
      }),
  );

  app.get(
    '/api/v1/governance/reviews/:id/evidence',
    { schema: { tags: ['governance'], summary: 'The signed evidence of a signed-off review (DSSE envelope).', params: idParams, response: { 200: envelopeSchema, ...problems } } as const },
    async (req, reply) =>
      guarded(req, 'governance.review.read', { type: 'access_review', id: req.params.id }, async (p) => {
        const e = await deps.db.tx(ctx(p), (q) => reviewEvidence(q, req.params.id));
        if (!e) throw new ProblemError(404, 'review_not_signed_off', 'No signed-off review with this id.');
        reply.header('content-disposition', `attachment; filename="access-review-${req.params.id}.dsse.json"`);
        return e.envelope;
      }),
  );

  const alertSchema = {
    type: 'object',
    additionalProperties: false,
    properties: {
      id: { type: 'string' }, actor_type: { type: 'string' }, actor_id: { type: 'string' }, actor_name: { type: ['string', 'null'] }, count: { type: 'integer' },
      median: { type: 'number' }, p99: { type: 'number' }, floor: { type: 'integer' }, window_start: { type: 'string' }, detected_at: { type: 'string' }, acknowledged_at: { type: ['string', 'null'] },
    },
    required: ['id', 'actor_type', 'actor_id', 'actor_name', 'count', 'median', 'p99', 'floor', 'window_start', 'detected_at', 'acknowledged_at'],
  } as const;
  app.get(
    '/api/v1/governance/alerts',
    { schema: { tags: ['governance'], summary: 'Anomaly alerts: actors far beyond their data-access baseline (the console banner).', querystring: { type: 'object', additionalProperties: false, properties: { open: { type: 'boolean' } } }, response: { 200: { type: 'object', additionalProperties: false, required: ['alerts'], properties: { alerts: { type: 'array', items: alertSchema } } }, ...problems } } as const },
    async (req) => {
      const { principal: p } = await guard(req, 'governance.alert.read', { type: 'anomaly_alert' });
      return { alerts: await deps.db.tx(ctx(p), (q) => listAlerts(q, p.tenantId, { open: req.query.open === true })) };
    },
  );
  app.post(
    '/api/v1/governance/alerts/:id/acknowledge',
    { schema: { tags: ['governance'], summary: 'Acknowledge an anomaly alert (it leaves the banner; the audit entry stays).', params: idParams, response: { 204: { type: 'null' }, ...problems } } as const },
    async (req, reply) => {
      const { principal: p } = await guard(req, 'governance.alert.acknowledge', { type: 'anomaly_alert', id: req.params.id });
      await deps.db.tx(ctx(p), async (q) => {
        const r = await q.query(`UPDATE anomaly_alerts SET acknowledged_at = $2, acknowledged_by = $3 WHERE id = $1 AND acknowledged_at IS NULL`, [req.params.id, deps.now(), p.userId]);
        if (!r.rowCount) throw new ProblemError(404, 'alert_not_found', 'No such open alert.');
        await recordAudit(q, p.tenantId, actorOf(req), { action: 'governance.anomaly.acknowledged', outcome: 'success', target: { type: 'anomaly_alert', id: req.params.id } });
      });
      reply.code(204);
    },
  );

  app.post(
    '/api/v1/governance/erasures',
    {
      schema: {
        tags: ['governance'],
        summary: "Erase a person (admin, step-up): their activity data, devices, sessions, factors and identity go; their audit entries stay verifiable with their personal fields crypto-shredded.",
        body: { type: 'object', required: ['user_id', 'reason'], additionalProperties: false, properties: { user_id: { type: 'string', pattern: UUID }, reason: { type: 'string', minLength: 1, maxLength: 1000 } } },
        response: {
          201: {
            type: 'object',
            additionalProperties: false,
            required: ['request_id', 'subject_id', 'deleted', 'nullified', 'kept', 'subject_key_destroyed'],
            properties: erasureReportProperties,
          },
          ...problems,
        },
      } as const,
    },
    async (req, reply) => {
      const target = { type: 'user', id: req.body.user_id };
      const g = await guard(req, 'governance.erasure.request', target, { denialEvent: 'governance.erasure.refused', denialTarget: target });
      const p = g.principal;
      try {
        const r = await g.tx((q) => erasePerson(q, p.tenantId, { ...g.actor, id: p.userId }, req.body.user_id, req.body.reason, deps.now()));
        reply.code(201);
        return r;
      } catch (e) {
        if (e instanceof ProblemError && e.status < 500) {
          await g.tx((q) => recordAudit(q, p.tenantId, g.actor, { action: 'governance.erasure.refused', outcome: 'failure', target, details: { code: e.code } }));
        }
        throw e;
      }
    },
  );
  /** An erasure request; its report is empty until the erasure completed. */
  const erasureView = {
    type: 'object', additionalProperties: false, required: ['id', 'subject_id', 'reason', 'requested_at', 'completed_at', 'report'],
    properties: { id: { type: 'string' }, subject_id: { type: 'string' }, reason: { type: 'string' }, requested_at: { type: 'string' }, completed_at: { type: ['string', 'null'] }, report: { type: 'object', additionalProperties: false, required: [], properties: erasureReportProperties } },
  } as const;
  app.get('/api/v1/governance/erasures', { schema: { tags: ['governance'], summary: 'Erasure requests and what each removed (evidence for a data-protection authority).', response: { 200: { type: 'object', additionalProperties: false, required: ['erasures'], properties: { erasures: { type: 'array', items: erasureView } } }, ...problems } } as const }, async (req) => {
    const { principal: p } = await guard(req, 'governance.erasure.read', { type: 'erasure_request' });
    return { erasures: await deps.db.tx(ctx(p), (q) => listErasures(q)) };
  });

  // Anomaly scoring: every tenant, every ANOMALY_JOB_INTERVAL_MS.
  deps.jobs!.define({
    name: 'governance.anomaly-score',
    everyMs: ANOMALY_JOB_INTERVAL_MS,
    runAtStart: false,
    async run(now) {
      // Each alert becomes a webhook message in the alert's own transaction (SIEMs subscribed to governance.anomaly.detected).
      const toSiem = (tenantId: string) => async (q: Queryable, a: AnomalyAlert) => {
        await enqueue(q, tenantId, 'governance.anomaly.detected', now, (uid) =>
          anomalyAlert({ tenantId, alertId: a.id, actorType: a.actor_type, actorId: a.actor_id, count: a.count, median: a.median, p99: a.p99, floor: a.floor, windowStart: a.window_start, at: now }, uid),
        );
      };
      await forEachSettled(await listTenantIds(deps.db), 'tenant anomaly score(s)', (tenantId) => scoreTenant(deps.db, tenantId, now, toSiem(tenantId)));
    },
  });

  // The review job: scheduled reviews and overdue alerts, every tenant.
  deps.jobs!.define({
    name: 'governance.access-review',
    everyMs: REVIEW_JOB_INTERVAL_MS,
    runAtStart: false,
    async run(now) {
      await forEachSettled(await listTenantIds(deps.db), 'tenant access review tick(s)', (tenantId) => reviewTick(deps.db, tenantId, now));
    },
  });
}
