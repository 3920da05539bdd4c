/**
 * GET /api/v1/posture (admin, security lead, auditor): re-checks this deployment's controls now
 * and answers the checks with a DSSE envelope over them, signed with the tenant's audit log key.
 * Each run is audited (`posture.checked`).
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.js';
import { defineActions } from '../platform/pdp.js';
import { actorOf } from '../platform/principal.js';
import { auditStatus } from '../audit/index.js';
import { AUDIT_WITNESSES } from '../audit/index.js';
import { readSetting } from '../platform/settings.js';
import { FsVault } from '../vault/fs.js';
import { POSTURE_PAYLOAD_TYPE, type PostureCheck, auditChecks, keyChecks, mfaCheck, rlsCheck, roleCheck, signPosture, supportGrantCheck, tlsChecks } from './checks.js';
import { guard } from '../platform/guard.js';
import type { ApiTypeProvider } from '../http/type-provider.js';
import './audit-events.js'; // this domain's audit events (platform/audit.ts)

defineActions({
  'posture.read': { roles: ['admin', 'security_lead', 'auditor'] },
});

const problems = { '4xx': { $ref: 'Problem#' } } as const;
const checkSchema = {
  type: 'object', additionalProperties: false, required: ['id', 'title', 'status', 'detail'],
  properties: { id: { type: 'string' }, title: { type: 'string' }, status: { enum: ['pass', 'warn', 'fail'] }, detail: { type: 'string' } },
} as const;
const envelopeSchema = {
  type: 'object', additionalProperties: false,
  required: ['payloadType', 'payload', 'signatures'],
  properties: { payloadType: { type: 'string' }, payload: { type: 'string' }, signatures: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['keyid', 'sig'], properties: { keyid: { type: 'string' }, sig: { type: 'string' } } } } },
} as const;

export async function postureRoutes(parent: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();
  const vault = deps.vault ?? new FsVault(join(deps.dataDir, 'vault'), deps.now);

  app.get('/api/v1/posture', {
    schema: {
      tags: ['posture'],
      summary: `Re-check this deployment's controls now (TLS, RLS, database role, audit log and witnesses, key ages, MFA coverage, support grants); answers the checks and a DSSE envelope (${POSTURE_PAYLOAD_TYPE}) signed with the audit log key.`,
      response: {
        200: {
          type: 'object', additionalProperties: false, required: ['overall', 'checked_at', 'key_id', 'checks', 'envelope'],
          properties: { overall: { enum: ['pass', 'warn', 'fail'] }, checked_at: { type: 'string' }, key_id: { type: 'string' }, checks: { type: 'array', items: checkSchema }, envelope: envelopeSchema },
        },
        ...problems,
      },
    } as const,
  }, async (req, reply) => {
    const { principal: p } = await guard(req, 'posture.read', (p) => ({ type: 'tenant', id: p.tenantId }));
    const ctx = { tenantId: p.tenantId, actor: `user:${p.userId}` };
    const now = deps.now();
    const checks: PostureCheck[] = [];
    checks.push(...(await tlsChecks(app.server, { hsts: reply.getHeader('strict-transport-security'), csp: reply.getHeader('content-security-policy') })));
    const { db, keyRows, mfa, support, witnessCount } = await deps.db.tx(ctx, async (q) => ({
      db: [await rlsCheck(q), await roleCheck(deps.db.engine, q)],
      keyRows: await keyChecks(q, deps.keys, now),
      mfa: await mfaCheck(q),
      support: await supportGrantCheck(q, now),
      witnessCount: (await readSetting(q, AUDIT_WITNESSES, p.tenantId)).length,
    }));
    checks.push(...db);
    checks.push(...auditChecks(await auditStatus(deps.db, vault, p.tenantId, ctx.actor), witnessCount, now));
    checks.push(...keyRows, mfa, support);
    const { statement, envelope } = await deps.db.tx(ctx, (q) => signPosture(q, deps.keys, p.tenantId, actorOf(req), checks, now));
    return { overall: statement.overall, checked_at: statement.checked_at, key_id: envelope.signatures[0]!.keyid, checks, envelope };
  });
}
