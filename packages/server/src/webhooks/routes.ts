/**
 * SIEM webhook API under /api/v1/webhooks (PROBE-SIEM, CORE-WEBHOOK): endpoints (admin with
 * step-up; the secret is shown once and stored sealed), the delivery log, replay of dead
 * letters, a test event, and the private-target allow-list setting. Every change is audited
 * in its own transaction. The process's drainer delivers messages after commit (deliver.ts).
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { envelope, parseCidr } from '@parapet/core';
import type { AppDeps } from '../deps.js';
import { defineActions } from '../platform/pdp.js';
import { type UserPrincipal, actorOf } from '../platform/principal.js';
import { type AuditEventName, recordAudit } from '../platform/audit.js';
import { ProblemError, isProblemCode } from '../http/problem.js';
import { checkTarget } from './ssrf.js';
import { newMessageId, newSecret } from './signing.js';
import { WEBHOOK_EVENT_RENAMES, WEBHOOK_EVENT_TYPES, currentWebhookEventType, testEvent } from './ocsf.js';
import { MAX_ATTEMPTS, WEBHOOK_TOPIC, type WebhookDelivery, consumeWebhooks, recordAttempt, secretBinding, sendOnce, webhookSettings, WEBHOOK_ALLOW_PRIVATE_CIDRS } from './deliver.js';
import { enqueueOutbox, outboxFor, replayOutbox } from '../platform/outbox.js';
import { guard } from '../platform/guard.js';
import { writeSetting } from '../platform/settings.js';
import type { ApiTypeProvider } from '../http/type-provider.js';
import './audit-events.js'; // this domain's audit events (platform/audit.ts)

defineActions({
  'webhook.manage': { roles: ['admin'], stepUp: true },
  'webhook.read': { roles: ['admin', 'auditor', 'security_lead'] },
});

const problems = { '4xx': { $ref: 'Problem#' } } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;
// Former type names are still accepted (and stored under their current name).
const eventsSchema = { type: 'array', maxItems: WEBHOOK_EVENT_TYPES.length, uniqueItems: true, items: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES, ...Object.keys(WEBHOOK_EVENT_RENAMES)] } } as const;
/** A subscription list under current names, each once (an empty list means every type). */
const currentTypes = (events: readonly string[]) => [...new Set(events.map(currentWebhookEventType))];
const endpointProperties = {
  id: { type: 'string' }, url: { type: 'string' }, description: { type: 'string' }, events: { type: 'array', items: { type: 'string' } }, enabled: { type: 'boolean' },
  disabled_reason: { type: ['string', 'null'] }, created_at: { type: 'string' },
} as const;
const endpointRequired = ['id', 'url', 'description', 'events', 'enabled', 'disabled_reason', 'created_at'] as const;
const endpointView = { type: 'object', additionalProperties: false, required: endpointRequired, properties: endpointProperties } as const;
/** A new endpoint, with its signing secret (shown this once). */
const endpointCreated = { type: 'object', additionalProperties: false, required: [...endpointRequired, 'secret'], properties: { ...endpointProperties, secret: { type: 'string' } } } as const;
const nullableString = { type: ['string', 'null'] } as const;
const attemptProperties = { status: { type: ['integer', 'null'] }, latency_ms: { type: 'integer' }, response_snippet: { type: 'string' }, error_code: nullableString } as const;
/** One message of an endpoint's delivery log, with every attempt. */
const messageView = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'event_type', 'state', 'next_attempt_at', 'created_at', 'finished_at', 'last_error', 'attempts'],
  properties: {
    id: { type: 'string' }, event_type: { type: 'string' }, state: { type: 'string' }, next_attempt_at: nullableString,
    created_at: { type: 'string' }, finished_at: nullableString, last_error: nullableString,
    attempts: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['n', 'at', 'status', 'latency_ms', 'response_snippet', 'error_code'], properties: { n: { type: 'integer' }, at: { type: 'string' }, ...attemptProperties } } },
  },
} as const;
const settingsView = { type: 'object', additionalProperties: false, required: ['allow_private_cidrs'], properties: { allow_private_cidrs: { type: 'array', items: { type: 'string' } } } } as const;

type EndpointRow = { id: string; url: string; description: string; events: string[]; enabled: boolean; disabled_reason: string | null; created_at: Date };
const view = (r: EndpointRow) => ({ ...r, events: currentTypes(r.events), created_at: new Date(r.created_at).toISOString() });
const EP_COLS = `id, url, description, events, enabled, disabled_reason, created_at`;

export async function webhookRoutes(parent: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();
  // PARAPET_WEBHOOK_CA_FILE: extra CA certificates (PEM) for SIEM receivers with a private CA.
  const ca = process.env.PARAPET_WEBHOOK_CA_FILE ? readFileSync(process.env.PARAPET_WEBHOOK_CA_FILE, 'utf8') : undefined;
  // Delivery runs on the platform outbox: after each commit that enqueues, and by its periodic drain job.
  consumeWebhooks(outboxFor(deps.db), { keys: deps.keys, ca });

  const ctx = (p: UserPrincipal) => ({ tenantId: p.tenantId, actor: `user:${p.userId}` });

  app.post('/api/v1/webhooks/endpoints', {
    schema: {
      tags: ['webhooks'],
      summary: 'Create a webhook endpoint (admin, step-up). The answer carries the signing secret; it is never shown again.',
      body: { type: 'object', additionalProperties: false, required: ['url'], properties: { url: { type: 'string', maxLength: 2000 }, description: { type: 'string', maxLength: 200 }, events: eventsSchema } },
      response: { 201: endpointCreated, ...problems },
    } as const,
  }, async (req, reply) => {
    const { principal: p } = await guard(req, 'webhook.manage', { type: 'webhook_endpoint' }, { denialEvent: 'webhook.endpoint.created', denialTarget: { type: 'webhook_endpoint', id: '-' } });
    const settings = await deps.db.tx(ctx(p), (q) => webhookSettings(q));
    await checkTarget(req.body.url, settings.allowPrivateCidrs);
    const secret = newSecret();
    const row = await deps.db.tx(ctx(p), async (q) => {
      const id = (await q.query<{ id: string }>(`SELECT gen_random_uuid() AS id`)).rows[0]!.id;
      const sealed = await envelope.seal(deps.keys, Buffer.from(secret, 'utf8'), secretBinding(p.tenantId, id));
      const now = deps.now();
      const { rows } = await q.query<EndpointRow>(
        `INSERT INTO webhook_endpoints (tenant_id, id, url, description, secret_sealed, events, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING ${EP_COLS}`,
        [p.tenantId, id, req.body.url, req.body.description ?? '', sealed, currentTypes(req.body.events ?? []), p.userId, now],
      );
      await recordAudit(q, p.tenantId, actorOf(req), { action: 'webhook.endpoint.created', outcome: 'success', target: { type: 'webhook_endpoint', id }, details: { url: req.body.url, events: currentTypes(req.body.events ?? []) } });
      return rows[0]!;
    });
    reply.code(201);
    return { ...view(row), secret };
  });

  app.get('/api/v1/webhooks/endpoints', { schema: { tags: ['webhooks'], summary: 'Webhook endpoints (no secrets).', response: { 200: { type: 'array', items: endpointView }, ...problems } } as const }, async (req) => {
    const { principal: p } = await guard(req, 'webhook.read', { type: 'webhook_endpoint' });
    const { rows } = await deps.db.tx(ctx(p), (q) => q.query<EndpointRow>(`SELECT ${EP_COLS} FROM webhook_endpoints ORDER BY created_at`));
    return rows.map(view);
  });

  app.patch('/api/v1/webhooks/endpoints/:id', {
    schema: {
      tags: ['webhooks'],
      summary: 'Change or re-enable an endpoint (admin, step-up).',
      params: idParams,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { url: { type: 'string', maxLength: 2000 }, description: { type: 'string', maxLength: 200 }, events: eventsSchema, enabled: { type: 'boolean' } } },
      response: { 200: endpointView, ...problems },
    } as const,
  }, async (req) => {
    const { principal: p } = await guard(req, 'webhook.manage', { type: 'webhook_endpoint' }, { denialEvent: 'webhook.endpoint.updated', denialTarget: { type: 'webhook_endpoint', id: req.params.id } });
    if (req.body.url !== undefined) {
      // Not found comes before anything about the new URL, so other tenants' ids all look alike.
      const settings = await deps.db.tx(ctx(p), async (q) => {
        if (!(await q.query(`SELECT 1 FROM webhook_endpoints WHERE id = $1`, [req.params.id])).rowCount) throw new ProblemError(404, 'webhook_endpoint_not_found', 'No such webhook endpoint.');
        return webhookSettings(q);
      });
      await checkTarget(req.body.url, settings.allowPrivateCidrs);
    }
    return deps.db.tx(ctx(p), async (q) => {
      const b = req.body;
      const { rows } = await q.query<EndpointRow>(
        `UPDATE webhook_endpoints SET url = coalesce($2, url), description = coalesce($3, description), events = coalesce($4, events),
                enabled = coalesce($5, enabled), disabled_reason = CASE WHEN $5 THEN NULL ELSE disabled_reason END,
                disabled_at = CASE WHEN $5 THEN NULL ELSE disabled_at END, updated_at = $6
          WHERE id = $1 RETURNING ${EP_COLS}`,
        [req.params.id, b.url ?? null, b.description ?? null, b.events ? currentTypes(b.events) : null, b.enabled ?? null, deps.now()],
      );
      if (!rows[0]) throw new ProblemError(404, 'webhook_endpoint_not_found', 'No such webhook endpoint.');
      await recordAudit(q, p.tenantId, actorOf(req), { action: 'webhook.endpoint.updated', outcome: 'success', target: { type: 'webhook_endpoint', id: req.params.id }, details: { changed: Object.keys(b) } });
      return view(rows[0]);
    });
  });

  app.delete('/api/v1/webhooks/endpoints/:id', { schema: { tags: ['webhooks'], summary: 'Delete an endpoint and its delivery log (admin, step-up).', params: idParams, response: { 204: { type: 'null' }, ...problems } } as const }, async (req, reply) => {
    const { principal: p } = await guard(req, 'webhook.manage', { type: 'webhook_endpoint' }, { denialEvent: 'webhook.endpoint.deleted', denialTarget: { type: 'webhook_endpoint', id: req.params.id } });
    await deps.db.tx(ctx(p), async (q) => {
      const r = await q.query(`DELETE FROM webhook_endpoints WHERE id = $1`, [req.params.id]);
      if (!r.rowCount) throw new ProblemError(404, 'webhook_endpoint_not_found', 'No such webhook endpoint.');
      await recordAudit(q, p.tenantId, actorOf(req), { action: 'webhook.endpoint.deleted', outcome: 'success', target: { type: 'webhook_endpoint', id: req.params.id } });
    });
    reply.code(204);
  });

  app.post('/api/v1/webhooks/endpoints/:id/test', {
    schema: {
      tags: ['webhooks'],
      summary: 'Send a signed test event to the endpoint now and report the attempt (admin, step-up). A redirect or refused target is a 422 with its code.',
      params: idParams,
      body: { type: 'object', additionalProperties: false, properties: {} },
      response: { 200: { type: 'object', additionalProperties: false, required: ['message_id', 'delivered', 'status', 'latency_ms', 'response_snippet', 'error_code'], properties: { message_id: { type: 'string' }, delivered: { type: 'boolean' }, ...attemptProperties } }, ...problems },
    } as const,
  }, async (req) => {
    const { principal: p } = await guard(req, 'webhook.manage', { type: 'webhook_endpoint' }, { denialEvent: 'webhook.test.sent', denialTarget: { type: 'webhook_endpoint', id: req.params.id } });
    const now = deps.now();
    const ep = await deps.db.tx(ctx(p), async (q) => {
      const ep = (await q.query<{ url: string; secret_sealed: string; enabled: boolean }>(`SELECT url, secret_sealed, enabled FROM webhook_endpoints WHERE id = $1`, [req.params.id])).rows[0];
      if (!ep) throw new ProblemError(404, 'webhook_endpoint_not_found', 'No such webhook endpoint.');
      return ep;
    });
    const id = newMessageId();
    const msg: WebhookDelivery = { webhook_id: id, endpoint_id: req.params.id, event_type: 'webhook.test.sent', body: JSON.stringify({ type: 'webhook.test.sent', timestamp: now.toISOString(), data: testEvent(p.tenantId, now, id) }) };
    const settings = await deps.db.tx(ctx(p), (q) => webhookSettings(q));
    const secret = (await envelope.open(deps.keys, ep.secret_sealed, secretBinding(p.tenantId, req.params.id))).toString('utf8');
    const r = await sendOnce(ep.url, secret, id, msg.body, { allowPrivateCidrs: settings.allowPrivateCidrs, ca });
    const delivered = r.status !== null && r.status >= 200 && r.status < 300;
    await deps.db.tx(ctx(p), async (q) => {
      // The test message is logged like any other, settled: it is delivered or it is done, never retried.
      await enqueueOutbox(q, p.tenantId, WEBHOOK_TOPIC, msg, { dedupeKey: id, maxAttempts: MAX_ATTEMPTS, settled: delivered ? 'delivered' : 'cancelled', now: deps.now() });
      await recordAttempt(q, p.tenantId, id, req.params.id, deps.now(), r);
      await recordAudit(q, p.tenantId, actorOf(req), { action: 'webhook.test.sent', outcome: delivered ? 'success' : 'failure', target: { type: 'webhook_endpoint', id: req.params.id }, details: { message_id: id, status: r.status, error_code: r.errorCode } });
    });
    if (r.errorCode === 'webhook_redirect_refused') throw new ProblemError(422, 'webhook_redirect_refused', `The endpoint answered ${r.status} (a redirect); webhooks never follow redirects. Configure the final URL.`);
    if (r.errorCode?.startsWith('webhook_') && isProblemCode(r.errorCode)) throw new ProblemError(422, r.errorCode, r.snippet);
    return { message_id: id, delivered, status: r.status, latency_ms: r.latencyMs, response_snippet: r.snippet, error_code: r.errorCode };
  });

  app.get('/api/v1/webhooks/endpoints/:id/messages', {
    schema: {
      tags: ['webhooks'],
      summary: 'Delivery log: messages of the endpoint, newest first, each with its attempts (status, latency, response snippet).',
      params: idParams,
      querystring: { type: 'object', additionalProperties: false, properties: { state: { type: 'string', enum: ['pending', 'delivered', 'dead', 'cancelled'] }, limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 } } },
      response: { 200: { type: 'array', items: messageView }, ...problems },
    } as const,
  }, async (req) => {
    const { principal: p } = await guard(req, 'webhook.read', { type: 'webhook_endpoint' });
    return deps.db.tx(ctx(p), async (q) => {
      // Another organisation's endpoint id is simply not found (not an empty log).
      if (!(await q.query(`SELECT 1 FROM webhook_endpoints WHERE id = $1`, [req.params.id])).rows.length) throw new ProblemError(404, 'webhook_endpoint_not_found', 'No such webhook endpoint.');
      // attempts: from the delivery log (the outbox counts failures of the current schedule only).
      const msgs = await q.query<{ id: string; event_type: string; state: string; next_attempt_at: Date | null; created_at: Date; finished_at: Date | null; last_error: string | null }>(
        `SELECT dedupe_key AS id, payload->>'event_type' AS event_type, state, next_attempt_at, created_at, delivered_at AS finished_at, last_error FROM outbox
          WHERE topic = '${WEBHOOK_TOPIC}' AND payload->>'endpoint_id' = $1 AND ($2::text IS NULL OR state = $2) ORDER BY id DESC LIMIT $3`,
        [req.params.id, req.query.state ?? null, req.query.limit ?? 50],
      );
      const atts = await q.query<{ message_id: string; n: number; at: Date; status: number | null; latency_ms: number; response_snippet: string; error_code: string | null }>(
        `SELECT message_id, n, at, status, latency_ms, response_snippet, error_code FROM webhook_attempts WHERE message_id = ANY($1::text[]) ORDER BY message_id, n`,
        [msgs.rows.map((m) => m.id)],
      );
      return msgs.rows.map((m) => ({
        ...m,
        next_attempt_at: m.state === 'pending' ? new Date(m.next_attempt_at ?? m.created_at).toISOString() : null,
        created_at: new Date(m.created_at).toISOString(),
        finished_at: m.finished_at ? new Date(m.finished_at).toISOString() : null,
        attempts: atts.rows.filter((a) => a.message_id === m.id).map((a) => ({ n: a.n, at: new Date(a.at).toISOString(), status: a.status, latency_ms: a.latency_ms, response_snippet: a.response_snippet, error_code: a.error_code })),
      }));
    });
  });

  app.post('/api/v1/webhooks/messages/:id/replay', {
    schema: {
      tags: ['webhooks'],
      summary: 'Replay a dead (or cancelled) message: same webhook-id and body, a fresh retry schedule (admin, step-up).',
      params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^msg_[A-Za-z0-9]{16,40}$' } } },
      body: { type: 'object', additionalProperties: false, properties: {} },
      response: { 202: { type: 'object', additionalProperties: false, required: ['id', 'state'], properties: { id: { type: 'string' }, state: { type: 'string' } } }, ...problems },
    } as const,
  }, async (req, reply) => {
    const { principal: p } = await guard(req, 'webhook.manage', { type: 'webhook_endpoint' }, { denialEvent: 'webhook.message.replayed', denialTarget: { type: 'webhook_endpoint', id: '-' } });
    await deps.db.tx(ctx(p), async (q) => {
      const m = (await q.query<{ oid: string; state: string; enabled: boolean }>(
        `SELECT o.id::text AS oid, o.state, e.enabled FROM outbox o JOIN webhook_endpoints e ON e.tenant_id = o.tenant_id AND e.id::text = o.payload->>'endpoint_id'
          WHERE o.topic = '${WEBHOOK_TOPIC}' AND o.dedupe_key = $1 FOR UPDATE OF o`,
        [req.params.id],
      )).rows[0];
      if (!m) throw new ProblemError(404, 'webhook_message_not_found', 'No such webhook message.');
      if (m.state !== 'dead' && m.state !== 'cancelled') throw new ProblemError(409, 'webhook_message_not_dead', `The message is ${m.state}; only dead or cancelled messages are replayed.`);
      if (!m.enabled) throw new ProblemError(409, 'webhook_endpoint_disabled', 'The endpoint is disabled; enable it before replaying its messages.');
      await replayOutbox(q, p.tenantId, { ids: [m.oid] });
      await recordAudit(q, p.tenantId, actorOf(req), { action: 'webhook.message.replayed', outcome: 'success', target: { type: 'webhook_message', id: req.params.id } });
    });
    reply.code(202);
    return { id: req.params.id, state: 'pending' };
  });

  app.get('/api/v1/webhooks/settings', { schema: { tags: ['webhooks'], summary: 'Private address ranges an admin allowed as webhook targets.', response: { 200: settingsView, ...problems } } as const }, async (req) => {
    const { principal: p } = await guard(req, 'webhook.read', { type: 'webhook_endpoint' });
    const s = await deps.db.tx(ctx(p), (q) => webhookSettings(q));
    return { allow_private_cidrs: s.allowPrivateCidrs };
  });

  app.put('/api/v1/webhooks/settings', {
    schema: {
      tags: ['webhooks'],
      summary: 'Allow private, loopback or other non-public ranges as webhook targets (admin, step-up). Empty: public addresses only.',
      body: { type: 'object', additionalProperties: false, required: ['allow_private_cidrs'], properties: { allow_private_cidrs: { type: 'array', maxItems: 32, items: { type: 'string', maxLength: 64 } } } },
      response: { 200: settingsView, ...problems },
    } as const,
  }, async (req) => {
    const { principal: p } = await guard(req, 'webhook.manage', { type: 'webhook_endpoint' }, { denialEvent: 'webhook.endpoint.updated', denialTarget: { type: 'webhook_endpoint', id: '-' } });
    const list: string[] = [];
    for (const c of req.body.allow_private_cidrs) {
      try {
        list.push(parseCidr(c).text);
      } catch {
        throw new ProblemError(422, 'webhook_setting_invalid', `${JSON.stringify(c)} is not a CIDR.`);
      }
    }
    await deps.db.tx(ctx(p), async (q) => {
      await writeSetting(q, WEBHOOK_ALLOW_PRIVATE_CIDRS, list, p.tenantId);
      await recordAudit(q, p.tenantId, actorOf(req), { action: 'webhook.endpoint.updated', outcome: 'success', target: { type: 'tenant', id: p.tenantId }, details: { allow_private_cidrs: list } });
    });
    return { allow_private_cidrs: list };
  });

}
