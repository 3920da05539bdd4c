/**
 * Test helper: a finished non-production scan with probe results, evidence and findings rows
 * written the way the worker's tables hold them (admin session, since the worker API is
 * another module), so report and webhook tests run against real tables.
 */
import { createHash, randomBytes } from 'node:crypto';
import { canonicalJsonBytes, dsse, exampleScope, SCOPE_PAYLOAD_TYPE } from '@parapet/core';
import { loginAs, type TestServer } from '../src/testing.js';
import { leaseNextScan, reportScan } from '../src/probe/service.js';

const DAY = 86400_000;

export async function finishedScan(s: TestServer, o: { tenantId?: string; scopeId?: string; environment?: 'production' | 'non-production' } = {}) {
  const lead = await loginAs(s, { roles: ['security_lead'], mfaFresh: true, ...(o.tenantId ? { tenantId: o.tenantId } : {}) });
  const tenantId = lead.tenantId;
  const key = dsse.generateEd25519();
  const reg = await lead.client.post('/api/v1/probe/keys', { name: `k-${randomBytes(3).toString('hex')}`, public_key_pem: key.publicKeyPem });
  if (reg.status !== 201) throw new Error(reg.text);
  const scopeId = o.scopeId ?? 'lab';
  const existing = (await lead.client.get('/api/v1/probe/scopes')).json as Array<{ scope_id: string; version: number }>;
  const version = 1 + Math.max(0, ...existing.filter((x) => x.scope_id === scopeId).map((x) => x.version));
  const doc = exampleScope({
    tenant: tenantId, id: scopeId, version, environment: 'non-production', include: ['10.0.0.0/24'], exclude: [], ports: [443, 5432],
    time_windows: { time_zone: 'UTC', allowed: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '24:00' }], blackouts: [] },
    valid_from: new Date(Date.now() - DAY).toISOString(), valid_until: new Date(Date.now() + 30 * DAY).toISOString(),
    expected_policy: [{ cidr: '10.0.0.0/24', open_ports: [443] }],
  });
  const up = await lead.client.post('/api/v1/probe/scopes', { envelope: dsse.signEnvelope(SCOPE_PAYLOAD_TYPE, canonicalJsonBytes(doc), key.privateKeyPem) });
  if (up.status !== 201) throw new Error(up.text);
  const op = await loginAs(s, { roles: ['operator'], tenantId });
  const r = await op.client.post('/api/v1/probe/scans', { scope_id: scopeId, version, targets: ['10.0.0.10', '10.0.0.11'], ports: [443, 5432], probe_types: ['tcp_connect'], rate_pps: 50, note: 'report test' });
  if (r.json?.state !== 'queued') throw new Error(r.text);
  const scanId = r.json.id as string;
  const ctx = { db: s.db, now: () => new Date() };
  const deviceId = await s.asAdmin(async (a) => {
    const tok = (await a.query<{ id: string }>(`INSERT INTO device_enrollment_tokens (tenant_id, token_hash, kind, created_by, expires_at) VALUES ($1, $2, 'worker', 'test', now() + interval '1 day') RETURNING id`, [tenantId, randomBytes(32)])).rows[0]!.id;
    return (await a.query<{ id: string }>(`INSERT INTO devices (tenant_id, kind, name, public_key, enrollment_token_id, version) VALUES ($1, 'worker', 'probe-worker-lab-1', $2, $3, '0.1.0') RETURNING id`, [tenantId, randomBytes(32), tok])).rows[0]!.id;
  });
  let lease = await leaseNextScan(ctx, tenantId, { id: deviceId });
  while (lease && lease.scan.id !== scanId) lease = await leaseNextScan(ctx, tenantId, { id: deviceId });
  await reportScan(ctx, tenantId, { id: deviceId }, scanId, 'running');
  await s.asAdmin(async (a) => {
    const leaseId = (await a.query<{ id: string }>(`INSERT INTO probe_job_leases (tenant_id, scan_id, device_id, leased_at, expires_at, ended_at, end_reason) VALUES ($1, $2, $3, now(), now() + interval '5 min', now(), 'finished') RETURNING id`, [tenantId, scanId, deviceId])).rows[0]!.id;
    const batch = (await a.query<{ batch_id: string }>(`INSERT INTO probe_result_batches (tenant_id, scan_id, batch_id, lease_id, received_at, result_count) VALUES ($1, $2, gen_random_uuid(), $3, now(), 4) RETURNING batch_id`, [tenantId, scanId, leaseId])).rows[0]!.batch_id;
    const results: Record<string, string> = {};
    for (const [addr, port, outcome] of [['10.0.0.10', 443, 'open'], ['10.0.0.10', 5432, 'open'], ['10.0.0.11', 443, 'open'], ['10.0.0.11', 5432, 'closed']] as const) {
      const body = Buffer.from(JSON.stringify({ addr, port, outcome }));
      const sha = createHash('sha256').update(body).digest('hex');
      const ev = outcome === 'open' ? (await a.query<{ id: string }>(`INSERT INTO probe_evidence (tenant_id, scan_id, object_key, sha256, size_bytes, created_at, retain_until) VALUES ($1, $2, $3, $4, $5, now(), now() + interval '1 year') RETURNING id`, [tenantId, scanId, `scans/${scanId}/evidence/${addr}-${port}.json`, sha, body.length])).rows[0]!.id : null;
      results[`${addr}:${port}`] = (await a.query<{ id: string }>(
        `INSERT INTO probe_results (tenant_id, scan_id, lease_id, batch_id, device_id, target, address, port, probe_type, outcome, reason, started_at, duration_ms, observed, evidence_id, evidence_sha256, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6, $7, 'tcp_connect', $8, $9, now(), 3, $10, $11, $12, now()) RETURNING id`,
        [tenantId, scanId, leaseId, batch, deviceId, addr, port, outcome, outcome === 'open' ? '' : 'econnrefused', JSON.stringify({ safety_profile: 'safe-v1' }), ev, ev ? sha : null],
      )).rows[0]!.id;
    }
    const f = (await a.query<{ id: string }>(
      `INSERT INTO probe_findings (tenant_id, scope_id, fingerprint, kind, severity, address, port, title, status, first_seen_at, last_seen_at, first_scan_id, last_scan_id, last_result_id)
       VALUES ($1, $2, $3, 'unexpected_open_port', 'high', '10.0.0.10', 5432, 'Port 5432 open, not in the expected policy', 'open', now(), now(), $4, $4, $5) RETURNING id`,
      [tenantId, scopeId, `unexpected_open_port|10.0.0.10|5432|${scanId}`, scanId, results['10.0.0.10:5432']],
    )).rows[0]!.id;
    await a.query(`INSERT INTO probe_scan_findings (tenant_id, scan_id, finding_id, state, result_id, created_at) VALUES ($1, $2, $3, 'present', $4, now())`, [tenantId, scanId, f, results['10.0.0.10:5432']]);
  });
  await reportScan(ctx, tenantId, { id: deviceId }, scanId, 'finished');
  return { tenantId, scanId, lead, op, scopeId, deviceId };
}
