/**
 * Probe API under /api/v1/probe: signing keys, signed scopes, scan requests and approvals.
 * Every refusal (problem) is audited with the caller as actor, in its own transaction since
 * the refused change rolled back.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PROBE_TYPES } from '@parapet/core';
import type { AppDeps } from '../deps.js';
import { defineActions } from '../platform/pdp.js';
import { type UserPrincipal, actorOf } from '../platform/principal.js';
import { type AuditEventName, recordAudit } from '../platform/audit.js';
import { ProblemError } from '../http/problem.js';
import { type Resolver, systemResolver } from './checks.js';
import * as svc from './service.js';
import { listTenantIds } from '../platform/tenants.js';
import { guard } from '../platform/guard.js';
import { approverGroupView, keyView, scanView, scopeDetail, scopeView } from './schemas.js';
import type { ApiTypeProvider } from '../http/type-provider.js';
import './audit-events.js'; // this domain's audit events (platform/audit.ts)

/** How often overdue scan requests are expired (ms). */
export const APPROVAL_EXPIRY_SWEEP_MS = 60_000;

defineActions({
  'probe.key.register': { roles: ['security_lead'], stepUp: true },
  'probe.key.revoke': { roles: ['security_lead', 'admin'], stepUp: true },
  'probe.key.read': { roles: ['security_lead', 'admin', 'auditor'] },
  'probe.scope.upload': { roles: ['security_lead', 'admin'] },
  'probe.scope.read': { roles: ['operator', 'security_lead', 'admin', 'auditor'] },
  // Revoking only ever stops scans, so it does not wait for a step-up.
  'probe.scope.revoke': { roles: ['security_lead', 'admin'] },
  'probe.scan.request': { roles: ['operator', 'security_lead', 'admin'] },
  'probe.scan.read': { roles: ['operator', 'security_lead', 'admin', 'auditor'] },
  'probe.scan.approve': { roles: ['security_lead', 'admin'], stepUp: true },
  'probe.scan.reject': { roles: ['security_lead', 'admin'] },
  'probe.scan.cancel': { roles: ['operator', 'security_lead', 'admin'] },
  'probe.approver_group.changed': { roles: ['admin'], stepUp: true },
  'probe.approver_group.read': { roles: ['admin', 'security_lead', 'auditor'] },
});

const problems = { '4xx': { $ref: 'Problem#' } } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;
export async function probeRoutes(parent: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();
  // Tests may inject a resolver through deps (`probeResolver`); production uses the system one.
  const resolve: Resolver = (deps as AppDeps & { probeResolver?: Resolver }).probeResolver ?? systemResolver;
  const ctx = { db: deps.db, now: deps.now, resolve };
  /** Requests past their approval deadline expire on time, not when someone next tries to approve. */
  deps.jobs?.define({
    name: 'probe.approval-expiry',
    everyMs: APPROVAL_EXPIRY_SWEEP_MS,
    async run() {
      for (const tenantId of await listTenantIds(deps.db)) await svc.expireOverdue(ctx, tenantId);
    },
  });

  /**
   * Runs `fn` as a person the guard lets take `pdpAction`; the guard records a denial under
   * `action`, and a refusal `fn` answers (4xx) is recorded under `action` too, in its own
   * transaction since the refused change rolled back.
   */
  async function audited<T>(req: FastifyRequest, pdpAction: string, action: AuditEventName, target: { type: string; id: string } | undefined, fn: (p: UserPrincipal) => Promise<T>): Promise<T> {
    const g = await guard(req, pdpAction, { type: target?.type ?? 'probe', id: target?.id }, { denialEvent: action, ...(target ? { denialTarget: target } : {}) });
    try {
      return await fn(g.principal);
    } catch (e) {
      if (e instanceof ProblemError && e.status < 500) {
        await g.tx((q) =>
          recordAudit(q, g.principal.tenantId, g.actor, {
            action, outcome: e.status === 401 || e.status === 403 ? 'denied' : 'failure', ...(target ? { target } : {}),
            details: { code: e.code, detail: e.detail, ...e.extensions },
          }),
        );
      }
      throw e;
    }
  }

  // ---- signing keys ----
  app.post(
    '/api/v1/probe/keys',
    {
      schema: {
        tags: ['probe'], summary: 'Register an Ed25519 scope-signing key (security lead, step-up MFA).',
        body: { type: 'object', additionalProperties: false, required: ['name', 'public_key_pem'], properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, public_key_pem: { type: 'string', maxLength: 4096 } } },
        response: { 201: { type: 'object', additionalProperties: false, required: ['id', 'key_id'], properties: { id: { type: 'string' }, key_id: { type: 'string' } } }, ...problems },
      } as const,
    },
    async (req, reply) => {
      const r = await audited(req, 'probe.key.register', 'probe.key.registered', undefined, (p) => svc.registerKey(ctx, p, actorOf(req), req.body.name, req.body.public_key_pem));
      reply.code(201);
      return r;
    },
  );
  app.get('/api/v1/probe/keys', { schema: { tags: ['probe'], summary: 'Registered scope-signing keys.', response: { 200: { type: 'array', items: keyView }, ...problems } } as const }, async (req) => {
    const { principal: p } = await guard(req, 'probe.key.read', { type: 'probe_signing_key' });
    return svc.listKeys(ctx, p.tenantId);
  });
  app.post('/api/v1/probe/keys/:id/revoke', { schema: { tags: ['probe'], summary: 'Revoke a scope-signing key (step-up MFA).', params: idParams, response: { 204: { type: 'null' }, ...problems } } as const }, async (req, reply) => {
    await audited(req, 'probe.key.revoke', 'probe.key.revoked', { type: 'probe_signing_key', id: req.params.id }, (p) => svc.revokeKey(ctx, p, actorOf(req), req.params.id));
    reply.code(204);
  });

  // ---- scopes ----
  const envelopeSchema = {
    type: 'object', required: ['payload', 'payloadType', 'signatures'],
    properties: { payload: { type: 'string', maxLength: 1_000_000 }, payloadType: { type: 'string', maxLength: 200 }, signatures: { type: 'array', maxItems: 16, items: { type: 'object', required: ['sig'], properties: { keyid: { type: 'string', maxLength: 200 }, sig: { type: 'string', maxLength: 200 } } } } },
  } as const;
  app.post(
    '/api/v1/probe/scopes',
    {
      bodyLimit: 2 * 1024 * 1024,
      schema: {
        tags: ['probe'], summary: 'Upload a signed scope (DSSE envelope).',
        body: { type: 'object', additionalProperties: false, required: ['envelope'], properties: { envelope: envelopeSchema } },
        response: { 201: { type: 'object', additionalProperties: false, required: ['id', 'scope_id', 'version', 'environment'], properties: { id: { type: 'string' }, scope_id: { type: 'string' }, version: { type: 'integer' }, environment: { type: 'string' } } }, ...problems },
      } as const,
    },
    async (req, reply) => {
      const r = await audited(req, 'probe.scope.upload', 'probe.scope.uploaded', undefined, (p) => svc.uploadScope(ctx, p, actorOf(req), req.body.envelope));
      reply.code(201);
      return { id: r.id, scope_id: r.scope.id, version: r.scope.version, environment: r.scope.environment };
    },
  );
  app.get('/api/v1/probe/scopes', { schema: { tags: ['probe'], summary: 'Uploaded scopes.', response: { 200: { type: 'array', items: scopeView }, ...problems } } as const }, async (req) => {
    const { principal: p } = await guard(req, 'probe.scope.read', { type: 'probe_scope' });
    return svc.listScopes(ctx, p.tenantId);
  });
  app.get('/api/v1/probe/scopes/:id', { schema: { tags: ['probe'], summary: 'One scope with its envelope.', params: idParams, response: { 200: scopeDetail, ...problems } } as const }, async (req) => {
    const { principal: p } = await guard(req, 'probe.scope.read', { type: 'probe_scope', id: req.params.id });
    return svc.getScope(ctx, p.tenantId, req.params.id);
  });
  app.post(
    '/api/v1/probe/scopes/:id/revoke',
    {
      schema: {
        tags: ['probe'], summary: 'Revoke a scope; its queued and future scans stop.', params: idParams,
        body: { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', maxLength: 1000 } } },
        response: { 200: { type: 'object', additionalProperties: false, required: ['cancelled'], properties: { cancelled: { type: 'array', items: { type: 'string' } } } }, ...problems },
      } as const,
    },
    async (req) => audited(req, 'probe.scope.revoke', 'probe.scope.revoked', { type: 'probe_scope', id: req.params.id }, (p) => svc.revokeScope(ctx, p, actorOf(req), req.params.id, req.body?.reason ?? '')),
  );

  // ---- scans ----
  app.post(
    '/api/v1/probe/scans',
    {
      schema: {
        tags: ['probe'], summary: 'Request a scan; refused before queueing unless every target, port, probe, rate and the time are inside the scope.',
        body: {
          type: 'object', additionalProperties: false, required: ['scope_id', 'version', 'targets', 'ports', 'probe_types', 'rate_pps'],
          properties: {
            scope_id: { type: 'string', maxLength: 100 }, version: { type: 'integer', minimum: 1 },
            targets: { type: 'array', minItems: 1, maxItems: 256, items: { type: 'string', minLength: 1, maxLength: 253 } },
            ports: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'integer', minimum: 1, maximum: 65535 } },
            probe_types: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...PROBE_TYPES] } },
            rate_pps: { type: 'integer', minimum: 1, maximum: 100000 }, note: { type: 'string', maxLength: 2000 },
          },
        },
        response: { 201: scanView, ...problems },
      } as const,
    },
    async (req, reply) => {
      const r = await audited(req, 'probe.scan.request', 'probe.scan.refused', undefined, (p) => svc.requestScan(ctx, p, actorOf(req), req.body));
      reply.code(201);
      return r;
    },
  );
  app.get(
    '/api/v1/probe/scans',
    { schema: { tags: ['probe'], summary: 'Scans, newest first.', querystring: { type: 'object', additionalProperties: false, properties: { state: { enum: [...svc.SCAN_STATES] } } }, response: { 200: { type: 'array', items: scanView }, ...problems } } as const },
    async (req) => {
      const { principal: p } = await guard(req, 'probe.scan.read', { type: 'probe_scan' });
      return svc.listScans(ctx, p.tenantId, req.query.state);
    },
  );
  app.get('/api/v1/probe/scans/:id', { schema: { tags: ['probe'], summary: 'One scan with its approvals.', params: idParams, response: { 200: scanView, ...problems } } as const }, async (req) => {
    const { principal: p } = await guard(req, 'probe.scan.read', { type: 'probe_scan', id: req.params.id });
    return svc.getScan(ctx, p.tenantId, req.params.id);
  });
  const commentBody = { type: 'object', additionalProperties: false, properties: { comment: { type: 'string', maxLength: 2000 } } } as const;
  app.post(
    '/api/v1/probe/scans/:id/approve',
    { schema: { tags: ['probe'], summary: 'Approve a scan (approver role, step-up MFA within 5 minutes, not the requester).', params: idParams, body: commentBody, response: { 200: scanView, ...problems } } as const },
    async (req) => audited(req, 'probe.scan.approve', 'probe.scan.decided', { type: 'probe_scan', id: req.params.id }, (p) => svc.decideScan(ctx, p, actorOf(req), req.params.id, 'approve', req.body?.comment ?? '')),
  );
  app.post(
    '/api/v1/probe/scans/:id/reject',
    { schema: { tags: ['probe'], summary: 'Reject a scan; one rejection stops it.', params: idParams, body: commentBody, response: { 200: scanView, ...problems } } as const },
    async (req) => audited(req, 'probe.scan.reject', 'probe.scan.decided', { type: 'probe_scan', id: req.params.id }, (p) => svc.decideScan(ctx, p, actorOf(req), req.params.id, 'reject', req.body?.comment ?? '')),
  );
  app.post(
    '/api/v1/probe/scans/:id/cancel',
    { schema: { tags: ['probe'], summary: 'Cancel a scan that has not finished.', params: idParams, response: { 200: scanView, ...problems } } as const },
    async (req) => audited(req, 'probe.scan.cancel', 'probe.scan.cancelled', { type: 'probe_scan', id: req.params.id }, (p) => svc.cancelScan(ctx, p, actorOf(req), req.params.id)),
  );

  // ---- approver groups (for the optional "two different groups" rule) ----
  app.put(
    '/api/v1/probe/approver-groups/:userId',
    {
      schema: {
        tags: ['probe'], summary: 'Put a user in an approver group (null removes them).',
        params: { type: 'object', required: ['userId'], properties: { userId: { type: 'string', format: 'uuid' } } },
        body: { type: 'object', additionalProperties: false, required: ['group'], properties: { group: { type: ['string', 'null'], minLength: 1, maxLength: 100 } } },
        response: { 204: { type: 'null' }, ...problems },
      } as const,
    },
    async (req, reply) => {
      await audited(req, 'probe.approver_group.changed', 'probe.approver_group.changed', { type: 'user', id: req.params.userId }, (p) => svc.setApproverGroup(ctx, p, actorOf(req), req.params.userId, req.body.group));
      reply.code(204);
    },
  );
  app.get('/api/v1/probe/approver-groups', { schema: { tags: ['probe'], summary: 'Approver groups.', response: { 200: { type: 'array', items: approverGroupView }, ...problems } } as const }, async (req) => {
    const { principal: p } = await guard(req, 'probe.approver_group.read', { type: 'probe_approver_group' });
    return svc.listApproverGroups(ctx, p.tenantId);
  });
}
