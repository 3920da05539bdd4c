/**
 * Pulse HTTP API. Agents (signed device requests, RFC 9421):
 *   POST /api/v1/pulse/batches   upload a PulseBatch (packages/core/src/pulse/batch.ts)
 *   GET  /api/v1/pulse/policy    the tenant's PulsePolicy as a DSSE envelope, with the public key
 * People (session): settings (admins, step-up), questions (queries.ts), "my data".
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiTypeProvider } from '../http/type-provider.js';
import { type PulseBatch, PulseBatchError, parsePulseBatch, pulseBatch } from '@parapet/core';
import type { Queryable } from '@parapet/db';
import type { AppDeps } from '../deps.js';
import { ProblemError } from '../http/problem.js';
import { currentAuditEventName, recordAudit, storedAuditEventNames } from '../platform/audit.js';
import { type DevicePrincipal, actorOf } from '../platform/principal.js';
import { decide, defineActions } from '../platform/pdp.js';
import { EPSILON_MAX, EPSILON_MIN } from './dp.js';
import { BUDGET_MAX, BUDGET_MIN, BUDGET_PERIODS, DpBudgetExhausted } from './budget.js';
import { agentPolicy, categoryKeys, GRANT_ROLES, LEVELS, loadSettings, PERIODS, policyKey, SETTINGS_COLUMNS, settingsOfRow, signPolicy, type PulseSettings } from './settings.js';
import { ensurePartitions, resolveOverlaps, storeBatch } from './ingest.js';
import { PulseDenied, type Question, answerCsv, ask, isDay, orgTree } from './queries.js';
import { answerResponse, questionQuery } from './schemas.js';
import { teamOf } from './kanon.js';
import { delegatedCategories } from '../auth/index.js';
import { purgeExpired } from './retention.js';
import { listTenantIds } from '../platform/tenants.js';
import './erasure.js';
import { revealPii } from '../audit/index.js';
import { guard, guardAny, guardDevice, guardUser } from '../platform/guard.js';
import './audit-events.js'; // this domain's audit events (platform/audit.ts)

defineActions({
  // No role permit: only the Cedar policies in policies/30-pulse.cedar permit it.
  'pulse.activity.read': { roles: [], groups: ['pulse_activity'] },
  'pulse.settings.read': { roles: ['admin', 'auditor'] },
  'pulse.settings.update': { roles: ['admin'], stepUp: true, sensitive: true },
});

const problem = { $ref: 'Problem#' } as const;
const DAY_MS = 86_400_000;

/**
 * The device must be an agent that belongs to an active person; returns that person's id and
 * the tenant's settings, read in one round trip (the ingest hot path).
 */
async function personAndSettings(q: Queryable, d: DevicePrincipal): Promise<{ userId: string; settings: PulseSettings }> {
  if (d.deviceKind !== 'agent') throw new ProblemError(403, 'pulse_device_not_personal', 'Only agent devices upload Pulse data.');
  const row = (await q.query<{ owner_user_id: string | null; status: string | null }>(
    `SELECT d.owner_user_id, u.status, ${SETTINGS_COLUMNS('s')} FROM devices d LEFT JOIN users u ON u.tenant_id = d.tenant_id AND u.id = d.owner_user_id
       LEFT JOIN pulse_settings s ON s.tenant_id = d.tenant_id WHERE d.id = $1`, [d.deviceId],
  )).rows[0];
  if (!row?.owner_user_id || row.status !== 'active') throw new ProblemError(403, 'pulse_device_not_personal', 'This agent is not enrolled to an active person; enroll it with a token that names its owner.');
  return { userId: row.owner_user_id, settings: settingsOfRow(row) ?? (await loadSettings(q, d.tenantId)) };
}

/** Audits a refused upload in its own transaction (the refused batch itself wrote nothing). */
async function auditRefusal(deps: AppDeps, req: FastifyRequest, d: DevicePrincipal, code: string, batchId: unknown): Promise<void> {
  try {
    await deps.db.tx({ tenantId: d.tenantId, actor: `device:${d.deviceId}` }, (q) =>
      recordAudit(q, d.tenantId, actorOf(req), { action: 'pulse.batch.refused', outcome: 'denied', target: { type: 'pulse_batch', id: typeof batchId === 'string' ? batchId.slice(0, 64) : '*' }, details: { code } }),
    );
  } catch (e) {
    req.log.warn({ err: e }, 'could not audit a refused Pulse batch');
  }
}

const settingsView = (s: PulseSettings) => ({
  policy: s.policy,
  policy_version: s.policyVersion,
  purposes: s.purposes,
  k_min: s.kMin,
  detail_retention_days: s.detailRetentionDays,
  rollup_retention_days: s.rollupRetentionDays,
  work_hours: { start_hour: s.workStartHour, end_hour: s.workEndHour, days: s.workDays },
  dp_epsilon: s.dpEpsilon,
  dp_budget: s.dpBudget,
  dp_budget_period: s.dpBudgetPeriod,
  updated_at: s.updatedAt,
});

const grantSchema = { type: 'object', required: ['role', 'level', 'period'], additionalProperties: false, properties: { role: { enum: [...GRANT_ROLES] }, level: { enum: [...LEVELS] }, period: { enum: [...PERIODS] } } } as const;
const categoryView = { type: 'object', required: ['key', 'name'], additionalProperties: false, properties: { key: { type: 'string' }, name: { type: 'string' } } } as const;
const purposeView = { type: 'object', required: ['key', 'name', 'grants'], additionalProperties: false, properties: { key: { type: 'string' }, name: { type: 'string' }, grants: { type: 'array', items: grantSchema } } } as const;
const nullableString = { type: ['string', 'null'] } as const;
/** settingsView(): what an admin or auditor sees of the tenant's Pulse settings (never the DP key). */
const settingsResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['policy', 'policy_version', 'purposes', 'k_min', 'detail_retention_days', 'rollup_retention_days', 'work_hours', 'dp_epsilon', 'dp_budget', 'dp_budget_period', 'updated_at'],
  properties: {
    policy: {
      type: 'object',
      additionalProperties: false,
      required: ['categories', 'rules', 'idle_timeout_seconds', 'allow_local_categories', 'scrub_names'],
      properties: {
        categories: { type: 'array', items: categoryView },
        rules: { type: 'array', items: { type: 'object', required: ['category'], additionalProperties: false, properties: { category: { type: 'string' }, app: { type: 'string' }, title: { type: 'string' }, domain: { type: 'string' } } } },
        idle_timeout_seconds: { type: 'integer' },
        allow_local_categories: { type: 'boolean' },
        scrub_names: { type: 'array', items: { type: 'string' } },
      },
    },
    policy_version: { type: 'integer' },
    purposes: { type: 'array', items: purposeView },
    k_min: { type: 'integer' },
    detail_retention_days: { type: 'integer' },
    rollup_retention_days: { type: 'integer' },
    work_hours: { type: 'object', required: ['start_hour', 'end_hour', 'days'], additionalProperties: false, properties: { start_hour: { type: 'integer' }, end_hour: { type: 'integer' }, days: { type: 'array', items: { type: 'integer' } } } },
    dp_epsilon: { type: ['number', 'null'] },
    dp_budget: { type: 'number' },
    dp_budget_period: { enum: [...BUDGET_PERIODS] },
    updated_at: { type: 'string' },
  },
} as const;
const settingsBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    categories: { type: 'array', minItems: 1, maxItems: 200, items: { type: 'object', required: ['key', 'name'], additionalProperties: false, properties: { key: { type: 'string', pattern: pulseBatch.CATEGORY_KEY }, name: { type: 'string', minLength: 1, maxLength: 100 } } } },
    rules: {
      type: 'array',
      maxItems: 1000,
      items: { type: 'object', required: ['category'], additionalProperties: false, properties: { category: { type: 'string', pattern: pulseBatch.CATEGORY_KEY }, app: { type: 'string', maxLength: 128 }, title: { type: 'string', maxLength: 500 }, domain: { type: 'string', maxLength: 500 } } },
    },
    idle_timeout_seconds: { type: 'integer', minimum: 30, maximum: 3600 },
    allow_local_categories: { type: 'boolean' },
    scrub_names: { type: 'array', maxItems: 1000, items: { type: 'string', minLength: 1, maxLength: 200 } },
    purposes: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      items: { type: 'object', required: ['key', 'name', 'grants'], additionalProperties: false, properties: { key: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,63}$' }, name: { type: 'string', minLength: 1, maxLength: 100 }, grants: { type: 'array', maxItems: 50, items: grantSchema } } },
    },
    k_min: { type: 'integer', minimum: 3, maximum: 1000 },
    /** ε per released org-level cell (Laplace noise, pulse/dp.ts); null turns differential privacy off. */
    // One schema with both types, not anyOf: Ajv's type coercion would turn 0 into null (off).
    dp_epsilon: { type: ['number', 'null'], minimum: EPSILON_MIN, maximum: EPSILON_MAX },
    /** ε each viewer may spend on noisy org-level answers per dp_budget_period (pulse/budget.ts). */
    dp_budget: { type: 'number', minimum: BUDGET_MIN, maximum: BUDGET_MAX },
    dp_budget_period: { enum: [...BUDGET_PERIODS] },
    detail_retention_days: { type: 'integer', minimum: 1, maximum: 3650 },
    rollup_retention_days: { type: 'integer', minimum: 1, maximum: 3650 },
    work_hours: { type: 'object', required: ['start_hour', 'end_hour', 'days'], additionalProperties: false, properties: { start_hour: { type: 'integer', minimum: 0, maximum: 23 }, end_hour: { type: 'integer', minimum: 1, maximum: 24 }, days: { type: 'array', minItems: 1, maxItems: 7, uniqueItems: true, items: { type: 'integer', minimum: 1, maximum: 7 } } } },
  },
} as const;

/** What the signed-in person may ask (GET /api/v1/pulse/me/scope). */
const meScope = {
  type: 'object',
  additionalProperties: false,
  required: ['k', 'purposes', 'teams', 'people', 'categories', 'delegated_categories', 'can_configure'],
  properties: {
    k: { type: 'integer' },
    purposes: { type: 'array', items: purposeView },
    teams: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['id', 'name', 'size'], properties: { id: { type: 'string' }, name: { type: 'string' }, size: { type: 'integer' } } } },
    people: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['id', 'name', 'self'], properties: { id: { type: 'string' }, name: { type: 'string' }, self: { type: 'boolean' } } } },
    categories: { type: 'array', items: categoryView },
    delegated_categories: { type: 'array', items: { type: 'string' } },
    can_configure: { type: 'boolean' },
  },
} as const;
/** Reads of the signed-in person's data, from the audit log; the question's fields as audited. */
const meReads = {
  type: 'object',
  additionalProperties: false,
  required: ['reads'],
  properties: {
    reads: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['seq', 'at', 'who', 'action', 'purpose', 'category'],
        properties: {
          seq: { type: 'integer' }, at: { type: 'string' },
          who: { type: 'object', additionalProperties: false, required: ['id', 'name', 'self'], properties: { id: { type: 'string' }, name: nullableString, self: { type: 'boolean' } } },
          action: { type: 'string', enum: ['read', 'export'] }, purpose: nullableString,
          level: { type: 'string' }, period: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, category: nullableString,
        },
      },
    },
  },
} as const;

/** The `batch_id` member of a body that may not be a batch at all (for the refusal's audit entry). */
const batchIdOf = (body: unknown): unknown => (typeof body === 'object' && body !== null && 'batch_id' in body ? body.batch_id : undefined);
/** A member of an audit entry's details that the entry's writer stores as a string. */
const textOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export async function pulseRoutes(parent: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();
  app.post(
    '/api/v1/pulse/batches',
    {
      // Room for a signed body a little over the limit, so the answer is our own problem code.
      bodyLimit: 2 * pulseBatch.PULSE_BATCH_MAX_BYTES,
      schema: {
        tags: ['pulse'],
        summary: 'Upload a Pulse batch (signed agent request). Idempotent by batch_id and interval id.',
        response: {
          201: {
            type: 'object',
            additionalProperties: false,
            required: ['batch_id', 'received_at', 'intervals', 'accepted', 'duplicates', 'merged'],
            properties: { batch_id: { type: 'string' }, received_at: { type: 'string' }, intervals: { type: 'integer' }, accepted: { type: 'integer' }, duplicates: { type: 'integer' }, merged: { type: 'integer' } },
          },
          '4xx': problem,
        },
      },
    },
    async (req, reply) => {
      const { principal: d } = await guardDevice(req);
      // The body has no request schema: parsePulseBatch validates it and answers with Pulse's own codes.
      const raw = req.body;
      const size = Number(req.headers['content-length'] ?? 0);
      try {
        if (size > pulseBatch.PULSE_BATCH_MAX_BYTES) throw new ProblemError(413, 'pulse_batch_too_large', `A batch body is at most ${pulseBatch.PULSE_BATCH_MAX_BYTES} bytes.`);
        const now = deps.now();
        let batch: PulseBatch;
        try {
          batch = parsePulseBatch(raw, now);
        } catch (e) {
          if (!(e instanceof PulseBatchError)) throw e;
          throw new ProblemError(e.code === 'pulse_batch_too_large' ? 413 : 422, e.code, e.message, e.intervalId ? { interval_id: e.intervalId } : {});
        }
        if (d.deviceKind !== 'agent') throw new ProblemError(403, 'pulse_device_not_personal', 'Only agent devices upload Pulse data.');
        const { rows, merged } = resolveOverlaps(batch.intervals);
        // Partitions live outside the transaction below (creating one locks the parent); only
        // months a retention setting could keep (at most 10 years) are made.
        await ensurePartitions(deps.db, d.tenantId, rows.filter((r) => r.start >= now.getTime() - 3650 * DAY_MS));
        // One transaction: the owner, the policy the batch is checked against, and the writes.
        const receipt = await deps.db.tx({ tenantId: d.tenantId, actor: `device:${d.deviceId}` }, async (q) => {
          const { userId, settings } = await personAndSettings(q, d);
          const known = categoryKeys(settings);
          const unknown = [...new Set(batch.intervals.map((i) => i.category).filter((c): c is string => c !== null && !known.has(c)))];
          if (unknown.length) throw new ProblemError(422, 'pulse_category_unknown', `Unknown categories: ${unknown.slice(0, 10).join(', ')}. Fetch the current policy.`, { categories: unknown.slice(0, 50), policy_version: settings.policyVersion });
          const oldest = now.getTime() - settings.detailRetentionDays * DAY_MS;
          // rows are sorted by start and the first is never clipped: it starts earliest.
          const old = rows[0] && rows[0].start < oldest ? rows[0] : undefined;
          if (old) throw new ProblemError(422, 'pulse_interval_expired', `Interval ${old.id} is older than the detail retention (${settings.detailRetentionDays} days).`, { interval_id: old.id, not_before: new Date(oldest).toISOString() });
          return storeBatch(q, { tenantId: d.tenantId, deviceId: d.deviceId, userId, actor: actorOf(req), batch, rows, merged, settings, now });
        });
        reply.code(201);
        return receipt;
      } catch (e) {
        if (e instanceof ProblemError) await auditRefusal(deps, req, d, e.code, batchIdOf(raw));
        throw e;
      }
    },
  );

  app.get(
    '/api/v1/pulse/policy',
    {
      schema: {
        tags: ['pulse'],
        summary: "The tenant's Pulse policy as a DSSE envelope signed with the tenant's policy key (signed agent request).",
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['envelope', 'key_id', 'public_key_pem', 'version'],
            properties: {
              envelope: {
                type: 'object',
                additionalProperties: false,
                required: ['payload', 'payloadType', 'signatures'],
                properties: { payload: { type: 'string' }, payloadType: { type: 'string' }, signatures: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['keyid', 'sig'], properties: { keyid: { type: 'string' }, sig: { type: 'string' } } } } },
              },
              key_id: { type: 'string' },
              public_key_pem: { type: 'string' },
              version: { type: 'integer' },
            },
          },
          '4xx': problem,
        },
      },
    },
    async (req) => {
      const { principal: d } = await guardDevice(req);
      if (d.deviceKind !== 'agent') throw new ProblemError(403, 'pulse_device_not_personal', 'Only agent devices fetch the Pulse policy.');
      return deps.db.tx({ tenantId: d.tenantId, actor: `device:${d.deviceId}` }, async (q) => {
        const s = await loadSettings(q, d.tenantId);
        const { key, created } = await policyKey(q, deps.keys, d.tenantId);
        if (created) await recordAudit(q, d.tenantId, { type: 'system', id: 'pulse-policy' }, { action: 'pulse.policy_key.created', outcome: 'success', target: { type: 'pulse_policy_key', id: key.keyId } });
        return { envelope: signPolicy(agentPolicy(d.tenantId, s), key), key_id: key.keyId, public_key_pem: key.publicKeyPem, version: s.policyVersion };
      });
    },
  );

  app.get(
    '/api/v1/pulse/policy/key',
    { schema: { tags: ['pulse'], summary: "The tenant's policy-signing public key (signed agent request or a signed-in person).", response: { 200: { type: 'object', additionalProperties: false, required: ['key_id', 'public_key_pem'], properties: { key_id: { type: 'string' }, public_key_pem: { type: 'string' } } }, '4xx': problem } } },
    async (req) => {
      return guardAny(req, async (q, p) => {
        await loadSettings(q, p.tenantId);
        const { key, created } = await policyKey(q, deps.keys, p.tenantId);
        if (created) await recordAudit(q, p.tenantId, { type: 'system', id: 'pulse-policy' }, { action: 'pulse.policy_key.created', outcome: 'success', target: { type: 'pulse_policy_key', id: key.keyId } });
        return { key_id: key.keyId, public_key_pem: key.publicKeyPem };
      });
    },
  );

  app.get('/api/v1/pulse/settings', { schema: { tags: ['pulse'], summary: "The tenant's Pulse settings (admins and auditors).", response: { 200: settingsResponse, '4xx': problem } } }, async (req) => {
    return guard(req, 'pulse.settings.read', { type: 'pulse_settings' }, {}, async (q, p) => settingsView(await loadSettings(q, p.tenantId)));
  });

  app.put(
    '/api/v1/pulse/settings',
    { schema: { tags: ['pulse'], summary: 'Change Pulse settings (admins, fresh MFA): policy, purposes, k, retention, work hours. The policy version goes up by one.', body: settingsBody, response: { 200: settingsResponse, '4xx': problem } } },
    async (req) => {
      const b = req.body;
      return guard(req, 'pulse.settings.update', { type: 'pulse_settings' }, {}, async (q, p) => {
          const before = await loadSettings(q, p.tenantId);
          const policy = { ...before.policy };
          for (const k of ['categories', 'rules', 'idle_timeout_seconds', 'allow_local_categories', 'scrub_names'] as const) if (b[k] !== undefined) (policy as Record<string, unknown>)[k] = b[k];
          if (!policy.categories.some((c) => c.key === 'uncategorized')) policy.categories = [{ key: 'uncategorized', name: 'Uncategorized' }, ...policy.categories];
          const keys = new Set(policy.categories.map((c) => c.key));
          if (keys.size !== policy.categories.length) throw new ProblemError(422, 'pulse_settings_invalid', 'Category keys must be unique.');
          const badRule = policy.rules.find((r) => !keys.has(r.category));
          if (badRule) throw new ProblemError(422, 'pulse_settings_invalid', `A rule names category ${badRule.category}, which the policy does not list.`);
          for (const r of policy.rules) {
            for (const re of [r.title, r.domain]) {
              if (re === undefined) continue;
              try {
                new RegExp(re);
              } catch {
                throw new ProblemError(422, 'pulse_settings_invalid', `The rule pattern ${JSON.stringify(re)} is not a valid regular expression.`);
              }
            }
          }
          const purposes = b.purposes ?? before.purposes;
          if (new Set(purposes.map((x) => x.key)).size !== purposes.length) throw new ProblemError(422, 'pulse_settings_invalid', 'Purpose keys must be unique.');
          const detail = b.detail_retention_days ?? before.detailRetentionDays;
          const rollup = b.rollup_retention_days ?? before.rollupRetentionDays;
          if (rollup < detail) throw new ProblemError(422, 'pulse_settings_invalid', 'Rollups must be kept at least as long as the intervals they summarise.');
          const wh = b.work_hours ?? { start_hour: before.workStartHour, end_hour: before.workEndHour, days: before.workDays };
          if (wh.end_hour <= wh.start_hour) throw new ProblemError(422, 'pulse_settings_invalid', 'Work hours must end after they start.');
          const epsilon = b.dp_epsilon === undefined ? before.dpEpsilon : b.dp_epsilon;
          const budget = b.dp_budget ?? before.dpBudget;
          if (epsilon !== null && budget < epsilon) throw new ProblemError(422, 'pulse_settings_invalid', `A budget of ${budget} per viewer is less than ε = ${epsilon}, the cost of one answer: every org-level question would be refused.`);
          const policyChanged = JSON.stringify(policy) !== JSON.stringify(before.policy);
          await q.query(
            `UPDATE pulse_settings SET policy = $1, policy_version = policy_version + $2, purposes = $3, k_min = $4, detail_retention_days = $5, rollup_retention_days = $6,
               work_start_hour = $7, work_end_hour = $8, work_days = $9, updated_at = now(), updated_by = $10, dp_epsilon = $11,
               dp_budget = $12, dp_budget_period = $13`,
            [JSON.stringify(policy), policyChanged ? 1 : 0, JSON.stringify(purposes), b.k_min ?? before.kMin, detail, rollup, wh.start_hour, wh.end_hour, wh.days, `user:${p.userId}`, epsilon, budget, b.dp_budget_period ?? before.dpBudgetPeriod],
          );
          const after = await loadSettings(q, p.tenantId);
          const changed = Object.keys(b).sort();
          await recordAudit(q, p.tenantId, actorOf(req), { action: 'pulse.settings.changed', outcome: 'success', target: { type: 'pulse_settings', id: p.tenantId }, details: { changed, policy_version: after.policyVersion, k_min: after.kMin, dp_epsilon: after.dpEpsilon, dp_budget: after.dpBudget, dp_budget_period: after.dpBudgetPeriod } });
          return settingsView(after);
        });
    },
  );

  // ---- questions ----


  /** Asks, recording a PDP denial or a refusal for want of DP budget (with the purpose) in a transaction of its own. */
  async function askAudited(req: FastifyRequest, qn: Partial<Question>, audit: 'pulse.activity.read' | 'pulse.activity.exported') {
    const g = await guardUser(req);
    const p = g.principal;
    try {
      return await g.tx((q) => ask(q, p, g.actor, qn, deps.now(), { audit }));
    } catch (e) {
      if (e instanceof PulseDenied) {
        await g.tx((q) =>
          recordAudit(q, p.tenantId, actorOf(req), { action: 'authz.access.denied', outcome: 'denied', target: { type: 'pulse_activity', id: qn.subject ?? 'org' }, purpose: e.purpose, details: { action: 'pulse.activity.read', level: qn.level, period: qn.period, category: qn.category ?? null, policies: e.reasons } }),
        );
      }
      if (e instanceof DpBudgetExhausted) {
        await g.tx((q) =>
          recordAudit(q, p.tenantId, actorOf(req), { action: 'pulse.dp_budget.exhausted', outcome: 'denied', target: { type: 'pulse_activity', id: 'org' }, purpose: qn.purpose, details: { level: qn.level, period: qn.period, from: qn.from, to: qn.to, category: qn.category ?? null, epsilon: e.epsilon, budget: e.budget } }),
        );
      }
      throw e;
    }
  }

  app.get(
    '/api/v1/pulse/activity',
    { schema: { tags: ['pulse'], summary: 'Time per category for a person, a team (a manager\'s reporting chain) or the org, per day or week, under a named purpose. Aggregates are k-anonymous; suppressed cells carry released: false.', querystring: questionQuery, response: { 200: answerResponse, '4xx': problem } } },
    async (req) => askAudited(req, req.query, 'pulse.activity.read'),
  );

  app.get(
    '/api/v1/pulse/activity.csv',
    { schema: { tags: ['pulse'], summary: 'The same question as CSV (what the viewer may see; suppressed cells say "fewer than k people").', querystring: questionQuery, response: { 200: { description: 'RFC 4180 CSV, one line per cell.', content: { 'text/csv': { schema: { type: 'string' } } } }, '4xx': problem } } },
    async (req, reply) => {
      const a = await askAudited(req, req.query, 'pulse.activity.exported');
      reply.header('content-type', 'text/csv; charset=utf-8');
      reply.header('content-disposition', `attachment; filename="pulse-${a.level}-${a.period}-${a.from}-${a.to}.csv"`);
      return answerCsv(a);
    },
  );

  app.get('/api/v1/pulse/me/scope', { schema: { tags: ['pulse'], summary: 'What the signed-in person may ask: purposes with their grants for this person, teams and people of their reporting chain, delegated categories, k.', response: { 200: meScope, '4xx': problem } } }, async (req) => {
    return guardUser(req, async (q, p) => {
      const s = await loadSettings(q, p.tenantId);
      const delegated = await delegatedCategories(q, p.userId);
      const { tree, people } = await orgTree(q);
      const name = new Map(people.map((x) => [x.id, x.display_name || x.email]));
      const isManager = p.roles.includes('manager');
      const below = isManager ? teamOf(tree, p.userId) : [];
      // Teams: the viewer's own chain and each manager in it; delegates pick any team.
      const roots = delegated.length ? people.filter((x) => (tree.children.get(x.id) ?? []).length > 0).map((x) => x.id) : isManager ? [p.userId, ...below.filter((x) => (tree.children.get(x) ?? []).length > 0)] : [];
      const mine = (role: string) => (role === 'employee' ? true : role === 'manager' ? isManager : delegated.length > 0);
      return {
        k: s.kMin,
        purposes: s.purposes.map((x) => ({ key: x.key, name: x.name, grants: x.grants.filter((g) => mine(g.role)) })).filter((x) => x.grants.length),
        teams: [...new Set(roots)].map((id) => ({ id, name: name.get(id) ?? id, size: teamOf(tree, id).length })),
        people: [{ id: p.userId, name: name.get(p.userId) ?? p.email, self: true }, ...below.map((id) => ({ id, name: name.get(id) ?? id, self: false }))],
        categories: s.policy.categories,
        delegated_categories: delegated,
        can_configure: p.roles.includes('admin'),
      };
    });
  });

  app.get(
    '/api/v1/pulse/me/timeline',
    {
      schema: {
        tags: ['pulse'],
        summary: "The signed-in person's own intervals (full detail), at most 5,000, under the my_data purpose.",
        querystring: { type: 'object', required: ['from', 'to'], additionalProperties: false, properties: { from: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' }, to: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } } },
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['purpose', 'intervals'],
            properties: {
              purpose: { type: 'string' },
              intervals: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['id', 'start', 'end', 'state', 'app', 'category', 'domain'],
                  properties: { id: { type: 'string' }, start: { type: 'string' }, end: { type: 'string' }, state: { type: 'string', enum: ['active', 'idle', 'paused'] }, app: nullableString, category: nullableString, domain: nullableString },
                },
              },
            },
          },
          '4xx': problem,
        },
      },
    },
    async (req) => {
      const g = await guardUser(req);
      const p = g.principal;
      const { from, to } = req.query;
      if (!isDay(from) || !isDay(to) || to < from || Date.parse(to) - Date.parse(from) > 366 * DAY_MS) throw new ProblemError(400, 'pulse_question_invalid', 'from and to must be days, to not before from, at most a year apart.');
      return g.tx(async (q) => {
        const s = await loadSettings(q, p.tenantId);
        const purpose = s.purposes.find((x) => x.grants.some((g) => g.role === 'employee' && g.level === 'person' && g.period === 'day'));
        const d = purpose && decide(p, 'pulse.activity.read', { type: 'pulse_activity', id: p.userId, tenantId: p.tenantId, attrs: { subject: p.userId, managerChain: [], level: 'person', period: 'day' } }, { purpose: purpose.key, purposeGrants: purpose.grants });
        if (!purpose || !d?.allowed) throw new ProblemError(403, 'forbidden', 'No purpose on your organisation\'s list lets people see their own data.');
        // state: 0 active, 1 idle, 2 paused (the column's CHECK constraint).
        const { rows } = await q.query<{ id: string; start_at: Date; end_at: Date; state: 0 | 1 | 2; app: string | null; category: string | null; domain: string | null }>(
          `SELECT id, start_at, end_at, state, app, category, domain FROM pulse_intervals WHERE user_id = $1 AND start_at >= $2::date AND start_at < $3::date + 1 ORDER BY start_at LIMIT 5000`,
          [p.userId, from, to],
        );
        await recordAudit(q, p.tenantId, actorOf(req), { action: 'pulse.activity.read', outcome: 'success', target: { type: 'pulse_activity', id: p.userId }, purpose: purpose.key, details: { level: 'person', period: 'interval', from, to, subjects: [p.userId], cells: rows.length, suppressed: 0 } });
        const states = ['active', 'idle', 'paused'] as const;
        return { purpose: purpose.key, intervals: rows.map((r) => ({ id: r.id, start: new Date(r.start_at).toISOString(), end: new Date(r.end_at).toISOString(), state: states[r.state], app: r.app, category: r.category, domain: r.domain })) };
      });
    },
  );

  app.get(
    '/api/v1/pulse/me/reads',
    { schema: { tags: ['pulse'], summary: "Every read of the signed-in person's Pulse data, from the audit log: who, when, purpose, level and period.", querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 } } }, response: { 200: meReads, '4xx': problem } } },
    async (req) => {
      return guardUser(req, async (q, p) => {
        const { rows: sealed } = await q.query<{ seq: string; at: Date; actor_id: string; actor_name: string | null; action: string; purpose: string | null; details: Record<string, unknown> }>(
          `SELECT seq, at, actor_id, actor_name, action, purpose, details FROM audit_log
            WHERE action = ANY ($3::text[]) AND outcome = 'success'
              AND (details->'subjects' ? $1 OR details->>'scope' = 'org')
            ORDER BY seq DESC LIMIT $2`,
          // Rows written before the rename carry the former names (platform/audit.ts).
          [p.userId, req.query.limit ?? 200, storedAuditEventNames('pulse.activity.read', 'pulse.activity.exported')],
        );
        // Readers' names are stored under their subject keys (audit/pii.ts).
        const rows = await revealPii(q, p.tenantId, sealed);
        return {
          reads: rows.map((r) => ({
            seq: Number(r.seq),
            at: new Date(r.at).toISOString(),
            who: { id: r.actor_id, name: r.actor_name, self: r.actor_id === p.userId },
            action: currentAuditEventName(r.action) === 'pulse.activity.exported' ? 'export' : 'read',
            purpose: r.purpose,
            level: textOf(r.details.level),
            period: textOf(r.details.period),
            from: textOf(r.details.from),
            to: textOf(r.details.to),
            category: textOf(r.details.category) ?? null,
          })),
        };
      });
    },
  );

  // ---- retention ----

  const RETENTION_INTERVAL_MS = 6 * 60 * 60 * 1000;
  const purgeAll = async () => {
    for (const tenantId of await listTenantIds(deps.db)) {
      try {
        await purgeExpired(deps.db, tenantId, deps.now());
      } catch (e) {
        app.log.error({ err: e, tenant_id: tenantId }, 'pulse retention purge failed');
      }
    }
  };
  const retentionTimer = setInterval(() => void purgeAll(), RETENTION_INTERVAL_MS);
  retentionTimer.unref();
  app.addHook('onClose', async () => clearInterval(retentionTimer));
}
