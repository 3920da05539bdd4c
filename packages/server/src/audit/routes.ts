import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { AppDeps } from '../deps.js';
import { defineActions } from '../platform/pdp.js';
import { type UserPrincipal, actorOf } from '../platform/principal.js';
import { ProblemError } from '../http/problem.js';
import { join } from 'node:path';
import { recordAudit } from '../platform/audit.js';
import { dirtyTenants, sequencerFor, snapshotPending } from '../platform/audit-sequencer.js';
import { listTenantIds } from '../platform/tenants.js';
import { DEFAULT_RETENTION_MONTHS, MIN_RETENTION_MONTHS, snapshotAuditLog, AUDIT_RETENTION_MONTHS, MAX_RETENTION_MONTHS } from './snapshot.js';
import { WITNESS_INTERVAL_MS, sendToWitnesses, witnessRound } from './witness-client.js';
import { readSetting, readSettings, writeSetting } from '../platform/settings.js';
import { auditStatus } from './status.js';
import { FsVault } from '../vault/fs.js';
import { merkle } from '@parapet/core';
import { emitIntegrityAlert } from '../webhooks/index.js';
import { forEachSettled } from '../platform/jobs.js';
import { AuditTamperError, CheckpointScheduler, type StoredCheckpoint, buildExport, ensureLogKey, entriesRange, exportLog, issueCheckpoint, latestCheckpoint, logOrigin, treeFor, treeSize } from './service.js';
import { guard } from '../platform/guard.js';
import type { ApiTypeProvider } from '../http/type-provider.js';
import './audit-events.js'; // this domain's audit events (platform/audit.ts)

defineActions({
  'audit.read': { roles: ['admin', 'auditor'] },
  'audit.checkpoint': { roles: ['admin', 'auditor'] },
  'audit.export': { roles: ['admin', 'auditor'], stepUp: true },
  'audit.snapshot': { roles: ['admin', 'auditor'] },
  'audit.settings.update': { roles: ['admin'], stepUp: true },
});

export const CHECKPOINT_INTERVAL_MS = 3600_000;
/**
 * After a sequencer round, a tenant's new entries are covered by a checkpoint signed and pinned
 * in the vault within this long (rate limit per tenant): the window in which a database
 * superuser could cut the newest entries without a verifier noticing.
 */
export const CHECKPOINT_MIN_INTERVAL_MS = 10_000;
export const SNAPSHOT_INTERVAL_MS = 24 * 3600_000;
/** How often the sequencer looks for entries no commit kicked it for (crash, other process). */
export const SEQUENCER_SWEEP_MS = 5_000;

const b64 = { type: 'string', contentEncoding: 'base64' } as const;
const problems = { '4xx': { $ref: 'Problem#' } } as const;
const checkpointSchema = {
  type: 'object',
  required: ['tree_size', 'root_hash', 'key_id', 'note', 'created_at'],
  properties: { tree_size: { type: 'integer' }, root_hash: b64, key_id: { type: 'string' }, note: { type: 'string' }, created_at: { type: 'string', format: 'date-time' } },
  additionalProperties: false,
} as const;
const recordSchema = {
  type: 'object',
  properties: {
    tenant_id: { type: 'string' },
    seq: { type: 'integer' },
    at: { type: 'string' },
    actor: {
      type: 'object',
      properties: { type: { type: 'string', enum: ['user', 'device', 'system'] }, id: { type: 'string' }, name: { type: ['string', 'null'] }, ip: { type: ['string', 'null'] }, user_agent: { type: ['string', 'null'] } },
      required: ['type', 'id', 'name', 'ip', 'user_agent'],
      additionalProperties: false,
    },
    action: { type: 'string' },
    outcome: { type: 'string', enum: ['success', 'failure', 'denied'] },
    target: { type: ['object', 'null'], properties: { type: { type: 'string' }, id: { type: 'string' } }, required: ['type', 'id'], additionalProperties: false },
    purpose: { type: ['string', 'null'] },
    // Each event's own facts (its catalogue entry says which); the record is returned whole
    // because verifiers hash it as stored.
    details: { title: 'Audit event details', type: 'object', additionalProperties: true },
  },
  required: ['tenant_id', 'seq', 'at', 'actor', 'action', 'outcome', 'target', 'purpose', 'details'],
  additionalProperties: false,
} as const;
const entrySchema = {
  type: 'object',
  required: ['seq', 'leaf', 'prev_hash', 'entry_hash', 'record'],
  properties: { seq: { type: 'integer' }, leaf: b64, prev_hash: { type: 'string' }, entry_hash: { type: 'string' }, record: recordSchema },
  additionalProperties: false,
} as const;
const proofSchema = { type: 'array', items: b64 } as const;

const cpJson = (c: StoredCheckpoint) => ({ tree_size: c.treeSize, root_hash: c.rootHash.toString('base64'), key_id: c.keyId, note: c.note, created_at: c.createdAt.toISOString() });

/**
 * The audit API: read-only for auditors and admins. There is no route that changes an
 * entry; issuing a checkpoint only signs what is already there.
 */
export async function auditRoutes(parent: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();
  const sequencer = sequencerFor(deps.db);
  const chained = new Counter({ name: 'parapet_audit_entries_chained_total', help: 'Audit entries moved from the inbox into the hash chain.', registers: [app.metrics] });
  const failures = new Counter({ name: 'parapet_audit_sequencer_failures_total', help: 'Tenants whose audit entries could not be chained in a round (they stay in the inbox).', registers: [app.metrics] });
  const rounds = new Histogram({ name: 'parapet_audit_sequencer_round_seconds', help: 'Duration of audit sequencer rounds.', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5], registers: [app.metrics] });
  new Gauge({
    name: 'parapet_audit_inbox_oldest_seconds',
    help: 'Age of the oldest audit entry waiting to be chained, at the last sweep (every 5 s). Should stay near 0.',
    registers: [app.metrics],
    collect() {
      this.set(sequencer.oldestWaitingSeconds);
    },
  });
  const vault = deps.vault ?? new FsVault(join(deps.dataDir, 'vault'), deps.now);
  const onCheckpointError = (e: unknown, tenantId: string) => app.log.error({ err: e, tenant_id: tenantId }, 'audit checkpoint failed');
  const perRound = new CheckpointScheduler({ db: deps.db, keys: deps.keys, vault, minIntervalMs: CHECKPOINT_MIN_INTERVAL_MS, onError: onCheckpointError });
  sequencer.onRound = (done, seconds) => {
    chained.inc([...done.values()].reduce((a, b) => a + b, 0));
    rounds.observe(seconds);
    for (const [tenantId, n] of done) if (n > 0) perRound.mark(tenantId);
  };
  sequencer.onError = (e, tenantIds) => {
    failures.inc(Math.max(1, tenantIds.length));
    app.log.error({ err: e, tenant_ids: tenantIds }, 'audit sequencer failed; entries stay in the inbox and are retried');
  };
  const jobs = deps.jobs!;
  jobs.define({ name: 'audit.inbox-sweep', everyMs: SEQUENCER_SWEEP_MS, run: () => sequencer.sweep() });
  /** Tenants written since the last run get a fresh checkpoint; an idle log costs nothing. */
  jobs.define({
    name: 'audit.checkpoint',
    everyMs: CHECKPOINT_INTERVAL_MS,
    runAtStart: false,
    async run() {
      const due = [...dirtyTenants];
      dirtyTenants.clear();
      await forEachSettled(due, 'tenant checkpoint(s)', (tenantId) => issueCheckpoint(deps.db, deps.keys, tenantId, { vault }), async (tenantId, e) => {
        app.log.error({ err: e, tenant_id: tenantId }, 'audit checkpoint failed');
        // A log that contradicts its signed checkpoints is an alert for the tenant's SIEM.
        if (e instanceof AuditTamperError) await emitIntegrityAlert(deps.db, tenantId, e.message, deps.now()).catch((x: unknown) => app.log.error({ err: x }, 'integrity alert not queued'));
      });
    },
  });
  /** The daily job: snapshot to the vault, then send the checkpoint to the tenant's witnesses. */
  async function snapshotAndAnchor(tenantId: string) {
    const s = await snapshotAuditLog(deps.db, deps.keys, vault, tenantId, deps.now());
    const cp = await deps.db.tx({ tenantId }, (q) => latestCheckpoint(q));
    if (cp) {
      for (const r of await sendToWitnesses(deps.db, tenantId, cp)) {
        if (!r.ok) app.log.error({ tenant_id: tenantId, witness: r.witness, reason: r.detail }, 'witness did not cosign the audit checkpoint');
      }
    }
    return s;
  }
  // Witnesses cosign on a short schedule too, not only with the daily snapshot.
  jobs.define({
    name: 'audit.witness',
    everyMs: WITNESS_INTERVAL_MS,
    runAtStart: false,
    async run() {
      for (const [tenantId, results] of await witnessRound(deps.db, await listTenantIds(deps.db))) {
        for (const r of results) if (!r.ok) app.log.error({ tenant_id: tenantId, witness: r.witness, reason: r.detail }, 'witness did not cosign the audit checkpoint');
      }
    },
  });
  jobs.define({
    name: 'audit.snapshot',
    everyMs: SNAPSHOT_INTERVAL_MS,
    runAtStart: false,
    async run() {
      const due = [...snapshotPending];
      snapshotPending.clear();
      await forEachSettled(due, 'tenant snapshot(s)', snapshotAndAnchor, (tenantId, e) => app.log.error({ err: e, tenant_id: tenantId }, 'audit snapshot failed'));
    },
  });
  // After a restart, every tenant is due once: a log written just before the restart still
  // gets its hourly checkpoint and daily snapshot (an unchanged log costs no new checkpoint).
  void listTenantIds(deps.db).then(
    (ids) => ids.forEach((id) => (dirtyTenants.add(id), snapshotPending.add(id))),
    (e: unknown) => app.log.error({ err: e }, 'could not list tenants for the audit timers'),
  );
  app.addHook('onClose', async () => {
    await perRound.stop();
    await jobs.stop(); // no sweep starts a round once the sequencer is stopping
    await sequencer.stop();
  });

  /** The resource of every audit route: the tenant's log. */
  const auditLog = (p: UserPrincipal) => ({ type: 'audit_log', id: p.tenantId });
  const ctx = (p: UserPrincipal) => ({ tenantId: p.tenantId, actor: `user:${p.userId}` });

  app.get('/api/v1/audit/checkpoint', {
    schema: { tags: ['audit'], summary: 'The latest signed checkpoint (C2SP tlog-checkpoint signed note).', response: { 200: checkpointSchema, ...problems } } as const,
  }, async (req) => {
    const { principal: p } = await guard(req, 'audit.read', auditLog);
    const c = await deps.db.tx(ctx(p), (q) => latestCheckpoint(q));
    if (!c) throw new ProblemError(404, 'no_checkpoint', 'No checkpoint has been issued yet; POST /api/v1/audit/checkpoints issues one.');
    return cpJson(c);
  });

  // Retention of the WORM snapshots: 7 years by default, never below 24 months. A change
  // applies to snapshots written from now on; objects already locked keep their date.
  const retentionSchema = {
    type: 'object',
    required: ['retention_months'],
    properties: { retention_months: { type: 'integer' }, default_months: { type: 'integer' }, minimum_months: { type: 'integer' } },
    additionalProperties: false,
  } as const;
  const retentionView = (months: number) => ({ retention_months: months, default_months: DEFAULT_RETENTION_MONTHS, minimum_months: MIN_RETENTION_MONTHS });
  app.get('/api/v1/audit/settings', {
    schema: { tags: ['audit'], summary: 'How long audit snapshots are retained in the WORM vault.', response: { 200: retentionSchema, ...problems } } as const,
  }, async (req) => {
    const { principal: p } = await guard(req, 'audit.read', auditLog);
    return retentionView(await deps.db.tx(ctx(p), (q) => readSetting(q, AUDIT_RETENTION_MONTHS, p.tenantId)));
  });
  app.put('/api/v1/audit/settings', {
    schema: {
      tags: ['audit'],
      summary: 'Change the audit snapshot retention (admin, step-up). At least 24 months.',
      body: { type: 'object', required: ['retention_months'], additionalProperties: false, properties: { retention_months: { type: 'integer', minimum: MIN_RETENTION_MONTHS, maximum: MAX_RETENTION_MONTHS } } },
      response: { 200: retentionSchema, ...problems },
    } as const,
  }, async (req) => {
    const { principal: p } = await guard(req, 'audit.settings.update', auditLog);
    const months = req.body.retention_months;
    await deps.db.tx(ctx(p), async (q) => {
      const [before] = await readSettings(q, [AUDIT_RETENTION_MONTHS] as const, { tenantId: p.tenantId, forUpdate: true });
      await writeSetting(q, AUDIT_RETENTION_MONTHS, months, p.tenantId);
      await recordAudit(q, p.tenantId, actorOf(req), { action: 'audit.settings.changed', outcome: 'success', target: { type: 'tenant', id: p.tenantId }, details: { retention_months: { before, after: months } } });
    });
    return retentionView(months);
  });

  // The console's integrity card: the server re-checks the whole log the way `parapet audit
  // verify` does (chain, tree, every checkpoint signature, witness cosignatures) and says how
  // far it holds. O(entries) per call; the offline export stays the auditor's independent check.
  app.get('/api/v1/audit/status', {
    schema: {
      tags: ['audit'],
      summary: 'Verify the log now: chain, Merkle tree, checkpoint signatures and witness cosignatures.',
      response: {
        200: {
          type: 'object',
          required: ['verified', 'state', 'entries', 'checkpoints', 'cosignatures', 'latest_checkpoint', 'witnesses', 'first_bad_entry', 'reason'],
          additionalProperties: false,
          properties: {
            verified: { type: 'boolean' },
            // 'nothing_to_verify': no log key and no checkpoint yet (a log not yet signed is
            // not a failed log); 'verified'; 'failed' (then first_bad_entry and reason).
            state: { type: 'string', enum: ['verified', 'nothing_to_verify', 'failed'] },
            entries: { type: 'integer' },
            checkpoints: { type: 'integer' },
            cosignatures: { type: 'integer' },
            latest_checkpoint: { type: ['object', 'null'], properties: { tree_size: { type: 'integer' }, created_at: { type: 'string' }, key_id: { type: 'string' } }, required: ['tree_size', 'created_at', 'key_id'], additionalProperties: false },
            witnesses: { type: 'array', items: { type: 'string' } },
            first_bad_entry: { type: ['integer', 'null'] },
            reason: { type: ['string', 'null'] },
          },
        },
        ...problems,
      },
    } as const,
  }, async (req) => {
    const { principal: p } = await guard(req, 'audit.read', auditLog);
    return auditStatus(deps.db, vault, p.tenantId, `user:${p.userId}`);
  });

  app.post('/api/v1/audit/checkpoints', {
    schema: { tags: ['audit'], summary: 'Sign a checkpoint of the log as it is now (idempotent per tree size).', body: { type: 'object', additionalProperties: false, properties: {} }, response: { 201: checkpointSchema, ...problems } } as const,
  }, async (req, reply) => {
    const { principal: p } = await guard(req, 'audit.checkpoint', auditLog);
    let c;
    try {
      c = await issueCheckpoint(deps.db, deps.keys, p.tenantId, { vault });
    } catch (e) {
      if (e instanceof AuditTamperError) {
        // A tamper found by a requested checkpoint alerts the SIEM as the scheduled one does.
        await emitIntegrityAlert(deps.db, p.tenantId, e.message, deps.now()).catch((x: unknown) => app.log.error({ err: x }, 'integrity alert not queued'));
        throw new ProblemError(409, 'audit_log_tampered', e.message);
      }
      throw e;
    }
    reply.code(201);
    return cpJson(c);
  });

  app.get('/api/v1/audit/key', {
    schema: {
      tags: ['audit'],
      summary: "The log's public key as a signed-note verifier key.",
      response: { 200: { type: 'object', required: ['origin', 'verifier_key', 'key_id', 'public_key'], properties: { origin: { type: 'string' }, verifier_key: { type: 'string' }, key_id: { type: 'string' }, public_key: b64 }, additionalProperties: false }, ...problems },
    } as const,
  }, async (req) => {
    const { principal: p } = await guard(req, 'audit.read', auditLog);
    const k = await deps.db.tx(ctx(p), (q) => ensureLogKey(q, deps.keys, p.tenantId));
    return { origin: logOrigin(p.tenantId), verifier_key: k.verifierKey, key_id: k.keyId, public_key: k.publicKey.toString('base64') };
  });

  app.get('/api/v1/audit/entries', {
    schema: {
      tags: ['audit'],
      summary: 'A range of entries with their exact leaf bytes.',
      querystring: { type: 'object', additionalProperties: false, properties: { from: { type: 'integer', minimum: 1, default: 1 }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } } },
      response: { 200: { type: 'object', required: ['entries', 'tree_size'], properties: { tree_size: { type: 'integer' }, entries: { type: 'array', items: entrySchema } }, additionalProperties: false }, ...problems },
    } as const,
  }, async (req) => {
    const { principal: p } = await guard(req, 'audit.read', auditLog);
    await sequencer.flush(p.tenantId);
    return deps.db.tx(ctx(p), async (q) => ({ tree_size: await treeSize(q), entries: await entriesRange(q, req.query.from ?? 1, req.query.limit ?? 100) }));
  });

  app.get('/api/v1/audit/proof/inclusion', {
    schema: {
      tags: ['audit'],
      summary: 'RFC 9162 inclusion proof of the entry at 0-based leaf index in the tree of tree_size entries.',
      querystring: { type: 'object', additionalProperties: false, required: ['index', 'tree_size'], properties: { index: { type: 'integer', minimum: 0 }, tree_size: { type: 'integer', minimum: 1 } } },
      response: { 200: { type: 'object', required: ['leaf_index', 'tree_size', 'leaf_hash', 'root_hash', 'proof'], properties: { leaf_index: { type: 'integer' }, tree_size: { type: 'integer' }, leaf_hash: b64, root_hash: b64, proof: proofSchema }, additionalProperties: false }, ...problems },
    } as const,
  }, async (req) => {
    const { principal: p } = await guard(req, 'audit.read', auditLog);
    const { index, tree_size: size } = req.query;
    if (index >= size) throw new ProblemError(400, 'index_out_of_range', `Leaf index ${index} is not below tree size ${size}.`);
    await sequencer.flush(p.tenantId);
    const t = await deps.db.tx(ctx(p), (q) => treeFor(q, p.tenantId, size));
    if (t.size < size) throw new ProblemError(400, 'tree_size_too_large', `The log has ${t.size} entries, fewer than ${size}.`);
    return { leaf_index: index, tree_size: size, leaf_hash: t.leaf(index).toString('base64'), root_hash: t.root(size).toString('base64'), proof: t.inclusionProof(index, size).map((h) => h.toString('base64')) };
  });

  app.get('/api/v1/audit/proof/consistency', {
    schema: {
      tags: ['audit'],
      summary: 'RFC 9162 consistency proof between tree sizes old and new.',
      querystring: { type: 'object', additionalProperties: false, required: ['old', 'new'], properties: { old: { type: 'integer', minimum: 0 }, new: { type: 'integer', minimum: 0 } } },
      response: { 200: { type: 'object', required: ['old', 'new', 'old_root', 'new_root', 'proof'], properties: { old: { type: 'integer' }, new: { type: 'integer' }, old_root: b64, new_root: b64, proof: proofSchema }, additionalProperties: false }, ...problems },
    } as const,
  }, async (req) => {
    const { principal: p } = await guard(req, 'audit.read', auditLog);
    const { old, new: size } = req.query;
    if (old > size) throw new ProblemError(400, 'sizes_out_of_order', `Old size ${old} is larger than new size ${size}.`);
    await sequencer.flush(p.tenantId);
    const t = await deps.db.tx(ctx(p), (q) => treeFor(q, p.tenantId, size));
    if (t.size < size) throw new ProblemError(400, 'tree_size_too_large', `The log has ${t.size} entries, fewer than ${size}.`);
    return { old, new: size, old_root: t.root(old).toString('base64'), new_root: t.root(size).toString('base64'), proof: t.consistencyProof(old, size).map((h) => h.toString('base64')) };
  });

  const snapshotSchema = {
    type: 'object',
    required: ['from_seq', 'to_seq', 'object_key', 'sha256', 'retain_until'],
    properties: { from_seq: { type: 'integer' }, to_seq: { type: 'integer' }, object_key: { type: 'string' }, sha256: { type: 'string' }, retain_until: { type: 'string', format: 'date-time' } },
    additionalProperties: false,
  } as const;
  app.post('/api/v1/audit/snapshots', {
    schema: {
      tags: ['audit'],
      summary: 'Write new entries and their checkpoint to the WORM vault now (the daily job does the same).',
      body: { type: 'object', additionalProperties: false, properties: {} },
      response: { 201: snapshotSchema, 200: { type: 'object', required: ['status'], properties: { status: { type: 'string', description: 'up_to_date' } }, additionalProperties: false }, ...problems },
    } as const,
  }, async (req, reply) => {
    const { principal: p } = await guard(req, 'audit.snapshot', auditLog);
    const s = await snapshotAndAnchor(p.tenantId);
    if (!s) return { status: 'up_to_date' };
    reply.code(201);
    return { from_seq: s.fromSeq, to_seq: s.toSeq, object_key: s.objectKey, sha256: s.sha256, retain_until: s.retainUntil.toISOString() };
  });

  app.get('/api/v1/audit/snapshots', {
    schema: { tags: ['audit'], summary: 'Snapshots in the WORM vault.', response: { 200: { type: 'object', required: ['snapshots'], properties: { snapshots: { type: 'array', items: snapshotSchema } }, additionalProperties: false }, ...problems } } as const,
  }, async (req) => {
    const { principal: p } = await guard(req, 'audit.read', auditLog);
    const rows = await deps.db.tx(ctx(p), async (q) => (await q.query<{ from_seq: number; to_seq: number; object_key: string; sha256: string; retain_until: Date }>(`SELECT from_seq, to_seq, object_key, sha256, retain_until FROM audit_snapshots ORDER BY to_seq`)).rows);
    return { snapshots: rows.map((r) => ({ from_seq: Number(r.from_seq), to_seq: Number(r.to_seq), object_key: r.object_key, sha256: r.sha256, retain_until: r.retain_until.toISOString() })) };
  });

  app.get('/api/v1/audit/export', {
    schema: {
      tags: ['audit'],
      summary: 'The whole log for offline verification (parapet audit verify): entries with leaf bytes, checkpoints, log keys. Needs a fresh MFA.',
      response: {
        200: {
          type: 'object',
          required: ['format', 'tenant_id', 'origin', 'log_keys', 'entries', 'checkpoints'],
          properties: { format: { type: 'string' }, tenant_id: { type: 'string' }, origin: { type: 'string' }, log_keys: { type: 'array', items: { type: 'string' } }, entries: { type: 'array', items: entrySchema }, checkpoints: { type: 'array', items: { type: 'string' } } },
          additionalProperties: false,
        },
        ...problems,
      },
    } as const,
  }, async (req) => {
    const { principal: p } = await guard(req, 'audit.export', auditLog);
    const r = await exportLog(deps.db, deps.keys, p.tenantId, actorOf(req), vault);
    if (r.tamper) req.log.error({ tenant_id: p.tenantId, reason: r.tamper }, 'audit log contradicts a signed checkpoint');
    return r.export;
  });
}
