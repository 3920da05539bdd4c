/**
 * Probe run API. Worker devices (signed RFC 9421 requests, see devices/verify.ts) under
 * /api/v1/probe/jobs: lease, renew, report result batches, finish, refuse. People (sessions)
 * under /api/v1/probe/scans/:id/...: results, progress, findings, evidence and a live
 * server-sent event stream.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { BATCH_LIMITS, PROBE_OUTCOMES, PROBE_TYPES, type ProbeResultInput } from '@parapet/core';
import type { AppDeps } from '../deps.js';
import { defineActions } from '../platform/pdp.js';
import { actorOf } from '../platform/principal.js';
import { recordAudit } from '../platform/audit.js';
import { ProblemError } from '../http/problem.js';
import { forEachSettled } from '../platform/jobs.js';
import { listTenantIds } from '../platform/tenants.js';
import { EVIDENCE_RETENTION_JOB_MS, purgeExpiredEvidence } from './evidence-retention.js';
import { FsVault } from '../vault/fs.js';
import type { WormVault } from '../vault/vault.js';
import { getScan } from './service.js';
import * as runs from './runs.js';
import { guard, guardDevice } from '../platform/guard.js';
import { evidenceObject, jobLease, probeFinding, probeResult } from './schemas.js';
import type { ApiTypeProvider } from '../http/type-provider.js';

defineActions({
  'probe.result.read': { roles: ['operator', 'security_lead', 'admin', 'auditor'] },
  'probe.finding.read': { roles: ['operator', 'security_lead', 'admin', 'auditor'] },
  'probe.evidence.read': { roles: ['security_lead', 'admin', 'auditor'] },
});

const problems = { '4xx': { $ref: 'Problem#' } } as const;
const uuid = { type: 'string', format: 'uuid' } as const;
const leaseParams = { type: 'object', required: ['lease'], properties: { lease: uuid } } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: uuid } } as const;

const resultSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['target', 'address', 'port', 'probe_type', 'outcome', 'reason', 'started_at', 'duration_ms', 'observed', 'transcript', 'transcript_sha256'],
  properties: {
    target: { type: 'string', minLength: 1, maxLength: 253 },
    address: { type: 'string', minLength: 2, maxLength: 45 },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    probe_type: { enum: [...PROBE_TYPES] },
    outcome: { enum: [...PROBE_OUTCOMES] },
    reason: { type: 'string', maxLength: 200 },
    started_at: { type: 'string', format: 'date-time' },
    duration_ms: { type: 'number', minimum: 0, maximum: 86_400_000 },
    observed: { type: 'object' },
    transcript: { type: 'object' },
    transcript_sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  },
} as const;

/** A text/event-stream body (WHATWG HTML §9.2): `snapshot`, then `state`, `results` and `findings` events of JSON data. */
const eventStream = { description: 'An event stream.', content: { 'text/event-stream': { schema: { type: 'string' } as const } } } as const;

export interface ProbeRunDeps {
  /** The evidence vault; default the filesystem WORM vault in the data directory. */
  probeVault?: WormVault;
}

/** How often a live stream reads its scan's feed (ms), and how far back it re-reads batches (ms). */
export const FEED_POLL_MS = 500;
export const FEED_OVERLAP_MS = 10_000;

export async function probeRunRoutes(parent: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();
  // Evidence goes to the configured vault (PARAPET_VAULT), as the exports that read it expect.
  const vault = (deps as AppDeps & ProbeRunDeps).probeVault ?? deps.vault ?? new FsVault(join(deps.dataDir, 'vault'), deps.now);
  const ctx: runs.RunCtx = { db: deps.db, now: deps.now, vault, keys: deps.keys };
  deps.jobs?.define({
    name: 'probe.evidence-retention',
    everyMs: EVIDENCE_RETENTION_JOB_MS,
    runAtStart: false,
    run: async (now) => forEachSettled(await listTenantIds(deps.db), 'tenant evidence purge(s)', (tenantId) => purgeExpiredEvidence(ctx, tenantId, now)),
  });

  // ---- worker devices ----
  app.post(
    '/api/v1/probe/jobs/lease',
    {
      schema: {
        tags: ['probe'], summary: "Lease the oldest queued scan job of this worker's organisation (signed device request); 204 when there is none.",
        body: {
          type: 'object', additionalProperties: false,
          properties: {
            lease_seconds: { type: 'integer', minimum: runs.LEASE_SECONDS.min, maximum: runs.LEASE_SECONDS.max },
            // The verified safety profile the worker runs under: its version and the SHA-256 (hex) of the signed canonical document.
            safety_profile: { type: 'object', additionalProperties: false, required: ['version', 'sha256'], properties: { version: { type: 'integer', minimum: 1, maximum: 2147483647 }, sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } } },
          },
        },
        response: { 200: jobLease, 204: { type: 'null' }, ...problems },
      } as const,
    },
    async (req, reply) => {
      const { principal: d } = await guardDevice(req);
      const job = await runs.leaseJob(ctx, d, req.body?.lease_seconds ?? runs.LEASE_SECONDS.default, req.ip, req.body?.safety_profile);
      if (!job) return reply.code(204).send(null);
      return job;
    },
  );
  app.post(
    '/api/v1/probe/jobs/:lease/renew',
    {
      schema: {
        tags: ['probe'], summary: 'Extend a live lease (and report the planned probe count for progress).', params: leaseParams,
        body: { type: 'object', additionalProperties: false, properties: { lease_seconds: { type: 'integer', minimum: runs.LEASE_SECONDS.min, maximum: runs.LEASE_SECONDS.max }, planned_probes: { type: 'integer', minimum: 0, maximum: 100_000_000 } } },
        response: { 200: { type: 'object', additionalProperties: false, required: ['lease_expires_at'], properties: { lease_expires_at: { type: 'string' } } }, ...problems },
      } as const,
    },
    async (req) => runs.renewLease(ctx, (await guardDevice(req)).principal, req.params.lease, req.body?.lease_seconds ?? runs.LEASE_SECONDS.default, req.body?.planned_probes),
  );
  app.post(
    '/api/v1/probe/jobs/:lease/results',
    {
      bodyLimit: 9 * 1024 * 1024,
      schema: {
        tags: ['probe'], summary: 'Report a batch of probe results with their transcripts; idempotent by batch_id.', params: leaseParams,
        body: { type: 'object', additionalProperties: false, required: ['batch_id', 'results'], properties: { batch_id: uuid, results: { type: 'array', maxItems: BATCH_LIMITS.maxResults, items: resultSchema } } },
        response: { 200: { type: 'object', additionalProperties: false, required: ['accepted', 'duplicates', 'replayed'], properties: { accepted: { type: 'integer' }, duplicates: { type: 'integer' }, replayed: { type: 'boolean' } } }, ...problems },
      } as const,
    },
    async (req) => {
      for (const r of req.body.results) {
        if (JSON.stringify(r.transcript).length > BATCH_LIMITS.maxTranscriptBytes) throw new ProblemError(413, 'transcript_too_large', `A transcript is larger than ${BATCH_LIMITS.maxTranscriptBytes} bytes.`);
      }
      return runs.reportBatch(ctx, (await guardDevice(req)).principal, req.params.lease, req.body.batch_id, req.body.results, req.ip);
    },
  );
  app.post(
    '/api/v1/probe/jobs/:lease/finish',
    {
      schema: {
        tags: ['probe'], summary: 'Finish the job (findings are derived) or mark it failed.', params: leaseParams,
        body: { type: 'object', additionalProperties: false, required: ['outcome'], properties: { outcome: { enum: ['finished', 'failed'] }, reason: { type: 'string', maxLength: 1000 } } },
        response: { 200: { type: 'object', additionalProperties: false, required: ['state', 'findings'], properties: { state: { type: 'string' }, findings: { type: 'integer' } } }, ...problems },
      } as const,
    },
    async (req) => runs.finishJob(ctx, (await guardDevice(req)).principal, req.params.lease, req.body.outcome, req.body.reason ?? '', req.ip),
  );
  app.post(
    '/api/v1/probe/jobs/:lease/refuse',
    {
      schema: {
        tags: ['probe'], summary: "The worker's own checks refused the job; nothing was sent. The scan fails and the refusal is audited.", params: leaseParams,
        body: { type: 'object', additionalProperties: false, required: ['code', 'detail'], properties: { code: { type: 'string', pattern: '^[a-z_]{1,64}$' }, detail: { type: 'string', maxLength: 1000 } } },
        response: { 204: { type: 'null' }, ...problems },
      } as const,
    },
    async (req, reply) => {
      await runs.refuseJob(ctx, (await guardDevice(req)).principal, req.params.lease, req.body.code, req.body.detail, req.ip);
      reply.code(204);
    },
  );

  // ---- people ----
  app.get('/api/v1/probe/scans/:id/results', { schema: { tags: ['probe'], summary: "A scan's probe results.", params: idParams, response: { 200: { type: 'array', items: probeResult }, ...problems } } as const }, async (req) => {
    const { principal: p } = await guard(req, 'probe.result.read', { type: 'probe_scan', id: req.params.id });
    return runs.listResults(ctx, p.tenantId, req.params.id);
  });
  /** Probe counts and the times (ISO 8601 UTC) of the first and last result; null before any. */
  const PROGRESS = {
    type: 'object',
    additionalProperties: false,
    required: ['planned', 'done', 'first_at', 'last_at'],
    properties: { planned: { type: 'integer', minimum: 0 }, done: { type: 'integer', minimum: 0 }, first_at: { type: ['string', 'null'], format: 'date-time' }, last_at: { type: ['string', 'null'], format: 'date-time' } },
  } as const;
  app.get('/api/v1/probe/scans/:id/progress', { schema: { tags: ['probe'], summary: 'Planned and done probes, first and last result time.', params: idParams, response: { 200: PROGRESS, ...problems } } as const }, async (req) => {
    const { principal: p } = await guard(req, 'probe.result.read', { type: 'probe_scan', id: req.params.id });
    return runs.scanProgress(ctx, p.tenantId, req.params.id);
  });
  app.get(
    '/api/v1/probe/findings',
    {
      schema: {
        tags: ['probe'], summary: 'Findings with first seen, last seen and resolved, most severe first.',
        querystring: { type: 'object', additionalProperties: false, properties: { scope_id: { type: 'string', maxLength: 100 }, scan_id: uuid, status: { enum: ['open', 'resolved'] } } },
        response: { 200: { type: 'array', items: probeFinding }, ...problems },
      } as const,
    },
    async (req) => {
      const { principal: p } = await guard(req, 'probe.finding.read', { type: 'probe_finding' });
      return runs.listFindings(ctx, p.tenantId, { ...(req.query.scope_id ? { scopeId: req.query.scope_id } : {}), ...(req.query.scan_id ? { scanId: req.query.scan_id } : {}), ...(req.query.status ? { status: req.query.status } : {}) });
    },
  );
  app.get('/api/v1/probe/evidence/:id', { schema: { tags: ['probe'], summary: 'One evidence transcript, decrypted and checked against its SHA-256 (audited).', params: idParams, response: { 200: evidenceObject, ...problems } } as const }, async (req) => {
    const { principal: p } = await guard(req, 'probe.evidence.read', { type: 'probe_evidence', id: req.params.id });
    const e = await runs.readEvidence(ctx, p.tenantId, req.params.id);
    await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, (q) => recordAudit(q, p.tenantId, actorOf(req), { action: 'probe.evidence.read', outcome: 'success', target: { type: 'probe_evidence', id: req.params.id } }));
    return e;
  });

  // Live view: the scan's state and progress now, then every change as it commits.
  app.get('/api/v1/probe/scans/:id/events', { schema: { tags: ['probe'], summary: 'Server-sent events: snapshot, then results, state and findings as they happen.', params: idParams, response: { 200: eventStream, ...problems } } as const }, async (req, reply) => {
    const { principal: p } = await guard(req, 'probe.result.read', { type: 'probe_scan', id: req.params.id });
    const scan = await getScan(ctx, p.tenantId, req.params.id);
    const [results, progress, first] = await Promise.all([runs.listResults(ctx, p.tenantId, scan.id), runs.scanProgress(ctx, p.tenantId, scan.id), runs.scanFeed(ctx, p.tenantId, scan.id, new Date(), new Set())]);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', connection: 'keep-alive' });
    let id = 0;
    const send = (event: string, data: unknown) => res.write(`id: ${++id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('snapshot', { scan, results, progress });
    // Every later event comes from the database (runs.scanFeed), polled every FEED_POLL_MS and
    // at once when this instance commits something for the scan, so a stream follows a worker
    // reporting to any instance. Results are told once each (by id); batches are re-read from
    // FEED_OVERLAP_MS before the newest seen, since a batch's received_at is its transaction's
    // start and a longer transaction can commit after a newer one.
    const seenResults = new Set(results.map((r) => r.id));
    const seenBatches = new Set<string>();
    let newest = 0;
    let last = { state: scan.state, planned: progress.planned, findings: first.findings };
    let closed = false;
    let running = false;
    let again = false;
    const poll = async () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          const f = await runs.scanFeed(ctx, p.tenantId, scan.id, new Date(newest - FEED_OVERLAP_MS), seenBatches);
          if (closed) return;
          for (const b of f.batches) {
            seenBatches.add(b.batch_id);
            newest = Math.max(newest, Date.parse(b.received_at));
          }
          const fresh = f.results.filter((r) => !seenResults.has(r.id));
          for (const r of fresh) seenResults.add(r.id);
          // In the order things happen: a lease or a new plan before its results; every result
          // and the findings before the scan's end.
          const stateChanged = f.state !== last.state || f.planned !== last.planned;
          const ended = f.state === 'finished' || f.state === 'failed' || f.state === 'cancelled';
          if (stateChanged && !ended) send('state', { type: 'state', scan_id: scan.id, state: f.state, planned_probes: f.planned });
          if (fresh.length) send('results', { type: 'results', scan_id: scan.id, results: fresh });
          if (f.findings !== last.findings) send('findings', { type: 'findings', scan_id: scan.id, findings: f.findings });
          if (stateChanged && ended) send('state', { type: 'state', scan_id: scan.id, state: f.state, planned_probes: f.planned });
          last = { state: f.state, planned: f.planned, findings: f.findings };
        } while (again && !closed);
      } catch {
        // The next poll tries again; a stream never fails because one read did.
      } finally {
        running = false;
      }
    };
    const key = `${p.tenantId}:${scan.id}`;
    const on = () => void poll();
    runs.probeEvents.on(key, on);
    const timer = setInterval(on, FEED_POLL_MS);
    const ping = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    void poll();
    const close = () => {
      closed = true;
      clearInterval(timer);
      clearInterval(ping);
      runs.probeEvents.off(key, on);
    };
    req.raw.on('close', close);
    res.on('close', close);
  });
}
