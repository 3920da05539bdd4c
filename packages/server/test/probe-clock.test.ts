/**
 * Probe with the clock and the DNS resolver injected through AppDeps (deps.now,
 * deps.probeResolver), driven with app.inject() against the test server's database.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { canonicalJsonBytes, dsse, exampleScope, KeyRing, SCOPE_PAYLOAD_TYPE } from '@parapet/core';
import { buildApp } from '../src/app.js';
import { startTestServer, loginAs, type TestServer } from '../src/testing.js';
import { SESSION_COOKIE, CSRF_HEADER } from '../src/auth/sessions.js';
import { checkScanRequest } from '../src/probe/checks.js';

let s: TestServer;
let app: FastifyInstance;
let clock = new Date('2026-11-23T09:30:00Z'); // Monday 10:30 in Berlin
const dnsTable: Record<string, string[]> = {
  'app.example': ['10.0.0.5', '10.0.1.5'],
  'inside.example': ['10.0.0.6', '::ffff:10.0.0.7'],
  'mapped.example': ['::ffff:10.0.0.130'],
};
let tenantId: string;
type Login = Awaited<ReturnType<typeof loginAs>>;
let lead: Login;
let op: Login;

function call(who: Login, method: 'GET' | 'POST', url: string, payload?: unknown) {
  const cookie = `${SESSION_COOKIE}=${who.client.cookies.get(SESSION_COOKIE)}`;
  return app.inject({ method, url, headers: { cookie, [CSRF_HEADER]: who.client.headers[CSRF_HEADER]!, 'user-agent': 'inject' }, ...(payload !== undefined ? { payload: payload as object } : {}) });
}

before(async () => {
  s = await startTestServer();
  app = await buildApp({
    db: s.db,
    keys: new KeyRing([{ id: 'k', key: randomBytes(32) }], 'k'),
    dataDir: s.dataDir,
    now: () => clock,
    probeResolver: async (h: string) => dnsTable[h] ?? [],
  } as Parameters<typeof buildApp>[0]);
  lead = await loginAs(s, { roles: ['security_lead'], mfaFresh: true });
  tenantId = lead.tenantId;
  op = await loginAs(s, { roles: ['operator'], tenantId });
  const key = dsse.generateEd25519();
  const mfa = () => s.asAdmin((a) => a.query(`UPDATE sessions SET mfa_verified_at = $2 WHERE tenant_id = $1`, [tenantId, clock]));
  await mfa();
  assert.equal((await call(lead, 'POST', '/api/v1/probe/keys', { name: 'k', public_key_pem: key.publicKeyPem })).statusCode, 201);
  const env = dsse.signEnvelope(SCOPE_PAYLOAD_TYPE, canonicalJsonBytes(exampleScope({ tenant: tenantId, environment: 'non-production' })), key.privateKeyPem);
  const up = await call(lead, 'POST', '/api/v1/probe/scopes', { envelope: env });
  assert.equal(up.statusCode, 201, up.body);
});
after(async () => {
  await app.close();
  await s.close();
});

const body = (over: Record<string, unknown> = {}) => ({ scope_id: 'dmz', version: 1, targets: ['10.0.0.10'], ports: [443], probe_types: ['tls'], rate_pps: 10, ...over });

test('the scope time window is judged by deps.now in the scope time zone', async () => {
  const cases: Array<[string, string | null]> = [
    ['2026-11-23T09:30:00Z', null], // Monday 10:30 CET
    ['2026-11-28T09:30:00Z', 'outside_time_window'], // Saturday
    ['2026-11-23T16:30:00Z', 'outside_time_window'], // Monday 17:30 CET
    ['2026-12-24T10:00:00Z', 'in_blackout'],
    ['2027-01-04T10:00:00Z', 'scope_expired'],
  ];
  for (const [at, code] of cases) {
    clock = new Date(at);
    const r = await call(op, 'POST', '/api/v1/probe/scans', body());
    if (code === null) assert.equal(r.statusCode, 201, r.body);
    else assert.equal(r.json().code, code, at);
  }
  clock = new Date('2026-11-23T09:30:00Z');
});

test('every address a host name resolves to is checked (injected resolver)', async () => {
  const before = (await call(op, 'GET', '/api/v1/probe/scans')).json().length;
  const r = await call(op, 'POST', '/api/v1/probe/scans', body({ targets: ['10.0.0.1', 'app.example'] }));
  assert.equal(r.statusCode, 422);
  assert.deepEqual([r.json().code, r.json().target, r.json().address], ['target_outside_scope', 'app.example', '10.0.1.5']);
  const m = await call(op, 'POST', '/api/v1/probe/scans', body({ targets: ['mapped.example'] }));
  assert.deepEqual([m.json().code, m.json().address], ['target_excluded', '10.0.0.130']);
  const u = await call(op, 'POST', '/api/v1/probe/scans', body({ targets: ['gone.example'] }));
  assert.equal(u.json().code, 'target_unresolvable');
  assert.equal((await call(op, 'GET', '/api/v1/probe/scans')).json().length, before, 'nothing queued');
  const ok = await call(op, 'POST', '/api/v1/probe/scans', body({ targets: ['inside.example'] }));
  assert.equal(ok.statusCode, 201, ok.body);
  assert.deepEqual(ok.json().addresses, ['10.0.0.6', '10.0.0.7']);
  assert.equal(ok.json().state, 'queued');
});

test('checkScanRequest names the first offending target and rule, in request order', async () => {
  const scope = exampleScope();
  const now = new Date('2026-11-23T09:30:00Z');
  const resolve = async (h: string) => dnsTable[h] ?? [];
  await assert.rejects(checkScanRequest(scope, { targets: ['10.0.0.200', '10.0.0.130', '10.9.9.9'], ports: [443], probe_types: ['tls'], rate_pps: 1 }, { now, resolve }), (e: { code: string; extensions: { target: string } }) => e.code === 'target_excluded' && e.extensions.target === '10.0.0.130');
  await assert.rejects(checkScanRequest(scope, { targets: ['10.0.0.200', '10.9.9.9', '10.0.0.130'], ports: [443], probe_types: ['tls'], rate_pps: 1 }, { now, resolve }), (e: { code: string; extensions: { target: string } }) => e.code === 'target_outside_scope' && e.extensions.target === '10.9.9.9');
  for (const bad of ['127.1', '0x7f000001', '10.0.0.1/99', 'a..b', '-x.example', 'x.123']) {
    await assert.rejects(checkScanRequest(scope, { targets: [bad], ports: [443], probe_types: ['tls'], rate_pps: 1 }, { now, resolve }), (e: { code: string }) => e.code === 'target_invalid', bad);
  }
});

test('an overdue scan request expires on time by the approval-expiry job, with nobody approving', async () => {
  clock = new Date('2026-11-23T09:30:00Z');
  const key = dsse.generateEd25519();
  assert.equal((await call(lead, 'POST', '/api/v1/probe/keys', { name: 'k-prod', public_key_pem: key.publicKeyPem })).statusCode, 201);
  const prod = exampleScope({ tenant: tenantId, environment: 'production', id: 'prod' });
  const up = await call(lead, 'POST', '/api/v1/probe/scopes', { envelope: dsse.signEnvelope(SCOPE_PAYLOAD_TYPE, canonicalJsonBytes(prod), key.privateKeyPem) });
  assert.equal(up.statusCode, 201, up.body);
  const r = await call(op, 'POST', '/api/v1/probe/scans', body({ scope_id: 'prod' }));
  assert.equal(r.statusCode, 201, r.body);
  assert.equal(r.json().state, 'requested');
  const id = r.json().id as string;
  const state = async () => (await call(op, 'GET', `/api/v1/probe/scans/${id}`)).json().state as string;

  assert.ok(app.jobs.names().includes('probe.approval-expiry'));
  clock = new Date(Date.parse(r.json().expires_at) - 60_000); // a minute before the deadline
  await app.jobs.runDue();
  assert.equal(await state(), 'requested');
  clock = new Date(Date.parse(r.json().expires_at) + 1000);
  await app.jobs.runDue();
  assert.equal(await state(), 'expired');
  const audit = await s.asAdmin((a) => a.query<{ actor_id: string }>(`SELECT actor_id FROM audit_log WHERE tenant_id = $1 AND action = 'probe.scan.expired' AND target_id = $2`, [tenantId, id]));
  assert.deepEqual(audit.rows.map((x) => x.actor_id), ['probe-expiry']);
  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  assert.match(metrics.body, new RegExp(`parapet_job_last_success_timestamp_seconds\\{job="probe.approval-expiry"\\} ${clock.getTime() / 1000}`));
  assert.match(metrics.body, /parapet_job_failures_total\{job="probe.approval-expiry"\} 0/);
});
