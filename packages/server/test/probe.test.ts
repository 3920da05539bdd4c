import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJsonBytes, dsse, exampleScope, SCOPE_PAYLOAD_TYPE, type Scope } from '@parapet/core';
import { startTestServer, loginAs, type TestServer, type TestClient } from '../src/testing.js';
import { expireOverdue, leaseNextScan, reportScan } from '../src/probe/service.js';
import { revealPii } from '../src/audit/pii.js';

let s: TestServer;
let tenantId: string;
let lead: Awaited<ReturnType<typeof loginAs>>;
const key = dsse.generateEd25519();

before(async () => {
  s = await startTestServer(process.env.PROBE_DEBUG ? { PARAPET_LOG_LEVEL: 'error' } : {});
  lead = await loginAs(s, { roles: ['security_lead'], mfaFresh: true });
  tenantId = lead.tenantId;
  const r = await lead.client.post('/api/v1/probe/keys', { name: 'lead laptop', public_key_pem: key.publicKeyPem });
  assert.equal(r.status, 201, r.text);
});
after(() => s.close());

const DAY = 86400_000;
function scope(id: string, over: Partial<Scope> = {}): Scope {
  return exampleScope({
    tenant: tenantId,
    id,
    include: ['10.0.0.0/24', '127.0.0.0/8', '::1/128'],
    exclude: ['10.0.0.128/28'],
    time_windows: { time_zone: 'UTC', allowed: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '24:00' }], blackouts: [] },
    valid_from: new Date(Date.now() - DAY).toISOString(),
    valid_until: new Date(Date.now() + 30 * DAY).toISOString(),
    ...over,
  });
}
const sign = (doc: unknown, priv = key.privateKeyPem) => dsse.signEnvelope(SCOPE_PAYLOAD_TYPE, canonicalJsonBytes(doc), priv);
async function upload(c: TestClient, doc: unknown, priv?: string) {
  return c.post('/api/v1/probe/scopes', { envelope: sign(doc, priv) });
}
const scanBody = (scope_id: string, over: Record<string, unknown> = {}) => ({ scope_id, version: 1, targets: ['10.0.0.10'], ports: [443], probe_types: ['tcp_connect'], rate_pps: 50, ...over });
async function scanCount(): Promise<number> {
  return s.asAdmin(async (a) => (await a.query<{ n: number }>(`SELECT count(*)::int AS n FROM probe_scans WHERE tenant_id = $1`, [tenantId])).rows[0]!.n);
}
async function lastAudit(action: string) {
  return s.asAdmin(async (a) => (await a.query<{ outcome: string; details: Record<string, unknown>; ip: string; user_agent: string; actor_id: string }>(`SELECT outcome, details, ip, user_agent, actor_id FROM audit_log WHERE tenant_id = $1 AND action = $2 ORDER BY seq DESC LIMIT 1`, [tenantId, action])).rows[0]);
}

test('registering a signing key: security lead only, with step-up MFA', async () => {
  const op = await loginAs(s, { roles: ['operator'], tenantId, mfaFresh: true });
  const k = dsse.generateEd25519();
  assert.equal((await op.client.post('/api/v1/probe/keys', { name: 'x', public_key_pem: k.publicKeyPem })).json.code, 'forbidden');
  const stale = await loginAs(s, { roles: ['security_lead'], tenantId, mfaFresh: false });
  const r = await stale.client.post('/api/v1/probe/keys', { name: 'x', public_key_pem: k.publicKeyPem });
  assert.equal(r.status, 401);
  assert.equal(r.json.code, 'step_up_required');
  assert.equal((await lastAudit('probe.key.registered'))!.outcome, 'denied');
  assert.equal((await lead.client.post('/api/v1/probe/keys', { name: 'dup', public_key_pem: key.publicKeyPem })).json.code, 'key_exists');
});

test('scope upload: valid once; same id+version, tampered byte, unknown key, operator key, other tenant refused', async () => {
  const ok = await upload(lead.client, scope('upload-ok'));
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.json.scope_id, 'upload-ok');
  const again = await upload(lead.client, scope('upload-ok', { name: 'changed' }));
  assert.equal(again.status, 409);
  assert.equal(again.json.code, 'scope_version_exists');

  const env = sign(scope('tampered'));
  const p = Buffer.from(env.payload, 'base64');
  const at = p.indexOf('10.0.0.0/24');
  p[at + 3] = '1'.charCodeAt(0); // "10.1.0.0/24": one byte changed
  const t = await lead.client.post('/api/v1/probe/scopes', { envelope: { ...env, payload: p.toString('base64') } });
  assert.equal(t.status, 422);
  assert.equal(t.json.code, 'scope_signature_invalid');
  assert.equal((await lastAudit('probe.scope.uploaded'))!.details.code, 'scope_signature_invalid');

  const stranger = dsse.generateEd25519();
  assert.equal((await upload(lead.client, scope('unknown-key'), stranger.privateKeyPem)).json.code, 'scope_signing_key_unknown');

  // A key registered while its owner was a security lead stops counting once they are an operator.
  const former = await loginAs(s, { roles: ['security_lead'], tenantId, mfaFresh: true });
  const fk = dsse.generateEd25519();
  assert.equal((await former.client.post('/api/v1/probe/keys', { name: 'former', public_key_pem: fk.publicKeyPem })).status, 201);
  await s.asAdmin((a) => a.query(`UPDATE users SET roles = '{operator}' WHERE tenant_id = $1 AND id = $2`, [tenantId, former.userId]));
  const opSigned = await upload(lead.client, scope('operator-signed'), fk.privateKeyPem);
  assert.equal(opSigned.status, 422);
  assert.equal(opSigned.json.code, 'scope_signer_not_security_lead');

  const foreign = await upload(lead.client, { ...scope('foreign'), tenant: '00000000-0000-4000-8000-000000000000' });
  assert.equal(foreign.json.code, 'scope_tenant_mismatch');
  const wrongType = await lead.client.post('/api/v1/probe/scopes', { envelope: dsse.signEnvelope('application/json', canonicalJsonBytes(scope('wt')), key.privateKeyPem) });
  assert.equal(wrongType.json.code, 'scope_payload_type_invalid');
  const bad = await upload(lead.client, { ...scope('bad'), include: ['10.0.0.1/24'] });
  assert.equal(bad.json.code, 'scope_schema_invalid');
});

test('a stored scope is immutable for the application role', async () => {
  await upload(lead.client, scope('immutable'));
  await assert.rejects(
    s.db.tx({ tenantId }, (q) => q.query(`UPDATE probe_scopes SET document = '{}'::jsonb WHERE scope_id = 'immutable'`)),
    /permission denied/,
  );
  await assert.rejects(s.db.tx({ tenantId }, (q) => q.query(`DELETE FROM probe_scopes WHERE scope_id = 'immutable'`)), /permission denied/);
});

test('scan requests outside the scope are refused before queueing, each with its own code, audited', async () => {
  const op = await loginAs(s, { roles: ['operator'], tenantId });
  assert.equal((await upload(lead.client, scope('contain'))).status, 201);
  assert.equal((await upload(lead.client, scope('expired', { valid_from: new Date(Date.now() - 10 * DAY).toISOString(), valid_until: new Date(Date.now() - DAY).toISOString() }))).status, 201);
  const h = new Date().getUTCHours();
  const away = h < 12 ? { start: '18:00', end: '20:00' } : { start: '02:00', end: '04:00' };
  const allDays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as Scope['time_windows']['allowed'][number]['days'];
  assert.equal((await upload(lead.client, scope('closed', { time_windows: { time_zone: 'UTC', allowed: [{ days: allDays, ...away }], blackouts: [] } }))).status, 201);
  assert.equal((await upload(lead.client, scope('noloop', { include: ['10.0.0.0/24'] }))).status, 201);
  const before = await scanCount();
  const cases: Array<[Record<string, unknown>, string, string?]> = [
    [scanBody('contain', { targets: ['10.0.0.10', '10.0.1.0'] }), 'target_outside_scope', '10.0.1.0'],
    [scanBody('contain', { targets: ['10.0.0.128/25'] }), 'target_excluded', '10.0.0.128/25'],
    [scanBody('contain', { targets: ['10.0.0.130'] }), 'target_excluded', '10.0.0.130'],
    [scanBody('contain', { targets: ['::ffff:10.0.0.131'] }), 'target_excluded', '::ffff:10.0.0.131'],
    [scanBody('noloop', { targets: ['localhost'] }), 'target_outside_scope', 'localhost'],
    [scanBody('contain', { targets: ['2130706433'] }), 'target_invalid', '2130706433'],
    [scanBody('contain', { targets: ['no-such-host.invalid'] }), 'target_unresolvable', 'no-such-host.invalid'],
    [scanBody('contain', { ports: [443, 25] }), 'port_not_allowed'],
    [scanBody('contain', { probe_types: ['banner'] }), 'probe_type_not_allowed'],
    [scanBody('contain', { rate_pps: 101 }), 'rate_exceeds_scope'],
    [scanBody('expired'), 'scope_expired'],
    [scanBody('closed'), 'outside_time_window'],
    [scanBody('missing'), 'scope_not_found'],
  ];
  for (const [body, code, target] of cases) {
    const r = await op.client.post('/api/v1/probe/scans', body);
    assert.equal(r.json?.code, code, `${JSON.stringify(body)} -> ${r.text}`);
    assert.ok(r.status === 422 || r.status === 404, r.text);
    if (target) assert.equal(r.json.target, target);
    const a = await lastAudit('probe.scan.refused');
    assert.equal(a!.details.code, code);
    assert.equal(a!.actor_id, op.userId);
  }
  assert.equal(await scanCount(), before, 'nothing was queued');
  // In scope: localhost resolves only into 127.0.0.0/8 and ::1, which this scope names explicitly.
  const okr = await op.client.post('/api/v1/probe/scans', scanBody('contain', { targets: ['localhost', '10.0.0.64/26'] }));
  assert.equal(okr.status, 201, okr.text);
  assert.ok(okr.json.addresses.includes('10.0.0.64/26'));
  assert.ok(okr.json.addresses.some((x: string) => x === '127.0.0.1' || x === '::1'));
});

test('production scans need two distinct fresh-MFA approvers other than the requester', async () => {
  assert.equal((await upload(lead.client, scope('prod'))).status, 201);
  const requester = await loginAs(s, { roles: ['security_lead'], tenantId, mfaFresh: true });
  const r = await requester.client.post('/api/v1/probe/scans', scanBody('prod'), { 'user-agent': 'probe-test/1' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.state, 'requested');
  assert.equal(r.json.approvals_required, 2);
  const id = r.json.id;
  const approve = (c: TestClient) => c.post(`/api/v1/probe/scans/${id}/approve`, { comment: 'ok' });

  const own = await approve(requester.client);
  assert.equal(own.status, 403);
  assert.equal(own.json.code, 'approver_is_requester');

  const op = await loginAs(s, { roles: ['operator'], tenantId, mfaFresh: true });
  assert.equal((await approve(op.client)).json.code, 'forbidden');

  const a = await loginAs(s, { roles: ['security_lead'], tenantId, mfaFresh: true });
  const first = await approve(a.client);
  assert.equal(first.status, 200, first.text);
  assert.equal(first.json.state, 'requested');
  const twice = await approve(a.client);
  assert.equal(twice.status, 409);
  assert.equal(twice.json.code, 'already_decided');

  const never = await loginAs(s, { roles: ['admin'], tenantId, mfaFresh: false });
  assert.equal((await approve(never.client)).json.code, 'step_up_required');
  const b = await loginAs(s, { roles: ['admin'], tenantId, mfaFresh: true });
  await s.asAdmin((x) => x.query(`UPDATE sessions SET mfa_verified_at = now() - interval '6 minutes' WHERE tenant_id = $1 AND id = $2`, [tenantId, b.sessionId]));
  const stale = await approve(b.client);
  assert.equal(stale.status, 401);
  assert.equal(stale.json.code, 'step_up_required');
  assert.equal((await lastAudit('probe.scan.decided'))!.outcome, 'denied');
  assert.equal((await s.asAdmin((x) => x.query(`SELECT state FROM probe_scans WHERE id = $1`, [id]))).rows[0]!.state, 'requested');

  await s.asAdmin((x) => x.query(`UPDATE sessions SET mfa_verified_at = now() - interval '4 minutes' WHERE tenant_id = $1 AND id = $2`, [tenantId, b.sessionId]));
  const second = await approve(b.client);
  assert.equal(second.status, 200, second.text);
  assert.equal(second.json.state, 'queued');
  assert.deepEqual(second.json.approvals.map((x: { user_id: string }) => x.user_id).sort(), [a.userId, b.userId].sort());

  // Every transition is audited with actor, IP and user agent.
  const trail = await s.asAdmin(async (x) => (await x.query<{ action: string; actor_id: string; ip: string; user_agent: string | null }>(`SELECT action, actor_id, ip, user_agent FROM audit_log WHERE tenant_id = $1 AND target_id = $2 AND outcome = 'success' ORDER BY seq`, [tenantId, id])).rows);
  assert.deepEqual(trail.map((t) => t.action), ['probe.scan.requested', 'probe.scan.decided', 'probe.scan.decided', 'probe.scan.approved', 'probe.scan.queued']);
  assert.equal(trail[0]!.actor_id, requester.userId);
  // The user agent is stored under the requester's subject key (CORE-PRIVACY) and opens for readers.
  assert.match(trail[0]!.user_agent ?? '', /^pii1\./);
  const opened = await s.db.tx({ tenantId }, (q) => revealPii(q, tenantId, trail.map((t) => ({ ...t, actor_name: null }))));
  assert.equal(opened[0]!.user_agent, 'probe-test/1');
  assert.equal(trail[4]!.actor_id, b.userId);
  for (const t of trail) assert.ok(t.ip, 'ip recorded');
});

test('approvals expire; a rejection stops the request', async () => {
  assert.equal((await upload(lead.client, scope('prod2'))).status, 201);
  const op = await loginAs(s, { roles: ['operator'], tenantId });
  const a = await loginAs(s, { roles: ['security_lead'], tenantId, mfaFresh: true });
  const r = await op.client.post('/api/v1/probe/scans', scanBody('prod2'));
  assert.equal(Date.parse(r.json.expires_at) - Date.parse(r.json.created_at), 24 * 3600_000);
  await s.asAdmin((x) => x.query(`UPDATE probe_scans SET expires_at = now() - interval '1 second' WHERE id = $1`, [r.json.id]));
  const late = await a.client.post(`/api/v1/probe/scans/${r.json.id}/approve`, {});
  assert.equal(late.status, 409);
  assert.equal(late.json.code, 'approval_expired');
  assert.equal((await a.client.get(`/api/v1/probe/scans/${r.json.id}`)).json.state, 'expired');

  const r2 = await op.client.post('/api/v1/probe/scans', scanBody('prod2'));
  const no = await a.client.post(`/api/v1/probe/scans/${r2.json.id}/reject`, { comment: 'not this week' });
  assert.equal(no.json.state, 'rejected');
  const b = await loginAs(s, { roles: ['admin'], tenantId, mfaFresh: true });
  assert.equal((await b.client.post(`/api/v1/probe/scans/${r2.json.id}/approve`, {})).json.code, 'scan_not_awaiting_approval');
});

test('non-production scans queue at once; workers lease with SKIP LOCKED; revoking a scope cancels queued scans', async () => {
  assert.equal((await upload(lead.client, scope('lab', { environment: 'non-production' }))).status, 201);
  const op = await loginAs(s, { roles: ['operator'], tenantId });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await op.client.post('/api/v1/probe/scans', scanBody('lab'));
    assert.equal(r.json.state, 'queued', r.text);
    ids.push(r.json.id);
  }
  const ctx = { db: s.db, now: () => new Date() };
  // Earlier tests queued one production scan; drain what is there in parallel.
  const leases = await Promise.all([1, 2, 3, 4, 5].map((n) => leaseNextScan(ctx, tenantId, { id: `w${n}` })));
  const got = leases.filter((l) => l !== null).map((l) => l!.scan.id);
  assert.equal(new Set(got).size, got.length, 'no job leased twice');
  assert.ok(ids.every((x) => got.includes(x)));
  const job = leases.find((l) => l?.scan.id === ids[0])!;
  assert.equal(job.scan.state, 'leased');
  assert.equal((job.envelope as { payloadType: string }).payloadType, SCOPE_PAYLOAD_TYPE);
  const holder = leases.findIndex((l) => l?.scan.id === ids[0]) + 1;
  await reportScan(ctx, tenantId, { id: `w${holder}` }, ids[0]!, 'running');
  await reportScan(ctx, tenantId, { id: `w${holder}` }, ids[0]!, 'finished');
  assert.equal((await op.client.get(`/api/v1/probe/scans/${ids[0]}`)).json.state, 'finished');

  const r = await op.client.post('/api/v1/probe/scans', scanBody('lab'));
  assert.equal(r.json.state, 'queued');
  const scopeRow = (await lead.client.get('/api/v1/probe/scopes')).json.find((x: { scope_id: string }) => x.scope_id === 'lab');
  const rev = await lead.client.post(`/api/v1/probe/scopes/${scopeRow.id}/revoke`, { reason: 'lab decommissioned' });
  assert.equal(rev.status, 200, rev.text);
  assert.ok(rev.json.cancelled.includes(r.json.id));
  assert.equal((await op.client.get(`/api/v1/probe/scans/${r.json.id}`)).json.state, 'cancelled');
  assert.equal(await leaseNextScan(ctx, tenantId, { id: 'w9' }), null);
  const after = await op.client.post('/api/v1/probe/scans', scanBody('lab'));
  assert.equal(after.json.code, 'scope_revoked');
  const list = await op.client.get('/api/v1/probe/scans?state=finished');
  assert.deepEqual(list.json.map((x: { id: string }) => x.id), [ids[0]]);
});

test('optional tenant rule: the two approvers must come from two different groups', async () => {
  const t2 = await loginAs(s, { roles: ['security_lead'], mfaFresh: true });
  const tid = t2.tenantId;
  const k = dsse.generateEd25519();
  assert.equal((await t2.client.post('/api/v1/probe/keys', { name: 'k', public_key_pem: k.publicKeyPem })).status, 201);
  assert.equal((await t2.client.post('/api/v1/probe/scopes', { envelope: sign({ ...scope('grp'), tenant: tid }, k.privateKeyPem) })).status, 201);
  await s.asAdmin((x) => x.query(`UPDATE tenants SET settings = '{"probe":{"require_distinct_approver_groups":true}}' WHERE id = $1`, [tid]));
  const admin = await loginAs(s, { roles: ['admin'], tenantId: tid, mfaFresh: true });
  const a = await loginAs(s, { roles: ['security_lead'], tenantId: tid, mfaFresh: true });
  const b = await loginAs(s, { roles: ['security_lead'], tenantId: tid, mfaFresh: true });
  const c = await loginAs(s, { roles: ['admin'], tenantId: tid, mfaFresh: true });
  const op = await loginAs(s, { roles: ['operator'], tenantId: tid });
  for (const [who, g] of [[a, 'security'], [b, 'security'], [c, 'operations']] as const) {
    const r = await admin.client.request('PUT', `/api/v1/probe/approver-groups/${who.userId}`, { json: { group: g } });
    assert.equal(r.status, 204, r.text);
  }
  const scan = (await op.client.post('/api/v1/probe/scans', scanBody('grp'))).json;
  const approve = (who: typeof a) => who.client.post(`/api/v1/probe/scans/${scan.id}/approve`, {});
  assert.equal((await approve(admin)).json.code, 'approver_group_missing');
  assert.equal((await approve(a)).json.state, 'requested');
  const same = await approve(b);
  assert.equal(same.status, 409);
  assert.equal(same.json.code, 'approver_same_group');
  assert.equal((await approve(c)).json.state, 'queued');
});

test('revoking a signing key refuses new uploads and new scans of the scopes it signed', async () => {
  const k2 = dsse.generateEd25519();
  const reg = await lead.client.post('/api/v1/probe/keys', { name: 'second', public_key_pem: k2.publicKeyPem });
  assert.equal((await upload(lead.client, scope('by-k2'), k2.privateKeyPem)).status, 201);
  const op = await loginAs(s, { roles: ['operator'], tenantId });
  const stale = await loginAs(s, { roles: ['security_lead'], tenantId, mfaFresh: false });
  assert.equal((await stale.client.post(`/api/v1/probe/keys/${reg.json.id}/revoke`, {})).json.code, 'step_up_required');
  assert.equal((await lead.client.post(`/api/v1/probe/keys/${reg.json.id}/revoke`, {})).status, 204);
  assert.equal((await upload(lead.client, scope('by-k2-again'), k2.privateKeyPem)).json.code, 'scope_signing_key_revoked');
  assert.equal((await op.client.post('/api/v1/probe/scans', scanBody('by-k2'))).json.code, 'scope_signing_key_revoked');
  const keys = (await lead.client.get('/api/v1/probe/keys')).json;
  assert.ok(keys.find((k: { id: string; revoked_at: string | null }) => k.id === reg.json.id).revoked_at);
});

test('sweeps: overdue requests expire; a lapsed lease goes back to the queue for another worker', async () => {
  assert.equal((await upload(lead.client, scope('sweep'))).status, 201);
  assert.equal((await upload(lead.client, scope('sweep-lab', { environment: 'non-production' }))).status, 201);
  const op = await loginAs(s, { roles: ['operator'], tenantId });
  const prod = (await op.client.post('/api/v1/probe/scans', scanBody('sweep'))).json;
  const later = new Date(Date.now() + 25 * 3600_000);
  const expired = await expireOverdue({ db: s.db, now: () => later }, tenantId);
  assert.ok(expired.includes(prod.id));
  assert.equal((await op.client.get(`/api/v1/probe/scans/${prod.id}`)).json.state, 'expired');

  // Drain anything earlier tests left queued, then lease one job with a 1-second lease.
  const t0 = new Date();
  while (await leaseNextScan({ db: s.db, now: () => t0 }, tenantId, { id: 'drain' }, 3600));
  const lab = (await op.client.post('/api/v1/probe/scans', scanBody('sweep-lab'))).json;
  const first = await leaseNextScan({ db: s.db, now: () => t0 }, tenantId, { id: 'w-a' }, 1);
  assert.equal(first?.scan.id, lab.id);
  assert.equal(await leaseNextScan({ db: s.db, now: () => t0 }, tenantId, { id: 'w-b' }), null, 'a live lease is not handed out twice');
  const again = await leaseNextScan({ db: s.db, now: () => new Date(t0.getTime() + 5000) }, tenantId, { id: 'w-b' });
  assert.equal(again?.scan.id, lab.id);
  await assert.rejects(reportScan({ db: s.db, now: () => new Date() }, tenantId, { id: 'w-a' }, lab.id, 'running'), /no lease/);
  const trail = await s.asAdmin(async (x) => (await x.query<{ action: string; actor_id: string }>(`SELECT action, actor_id FROM audit_log WHERE tenant_id = $1 AND target_id = $2 ORDER BY seq`, [tenantId, lab.id])).rows);
  assert.deepEqual(trail.slice(-3).map((t) => [t.action, t.actor_id]), [['probe.scan.leased', 'w-a'], ['probe.scan.queued', 'w-b'], ['probe.scan.leased', 'w-b']]);
});

test('IPv6 targets overlapping ::ffff:0:0/96 are judged on their IPv4 meaning; zero-padded IPv4 inside IPv6 is invalid; refusals audited, nothing queued', async () => {
  const op = await loginAs(s, { roles: ['operator'], tenantId });
  assert.equal((await upload(lead.client, scope('dualstack', { include: ['0.0.0.0/0', '::/0'], exclude: ['10.0.0.0/8'] }))).status, 201);
  const before = await scanCount();
  for (const [target, code] of [
    ['::fffe:0:0/95', undefined],
    ['::ffff:a00:0/120', 'target_excluded'],
    ['::/64', undefined],
    ['::ffff:010.0.0.1', 'target_invalid'],
    ['0:0:0:0:0:ffff:10.0.0.01', 'target_invalid'],
  ] as const) {
    const r = await op.client.post('/api/v1/probe/scans', scanBody('dualstack', { targets: [target] }));
    assert.equal(r.status, 422, `${target}: ${r.text}`);
    if (code) assert.equal(r.json.code, code, target);
    assert.equal(r.json.target, target);
    const a = await lastAudit('probe.scan.refused');
    assert.equal(a!.details.code, r.json.code);
  }
  assert.equal(await scanCount(), before, 'nothing was queued');
  const ok = await op.client.post('/api/v1/probe/scans', scanBody('dualstack', { targets: ['::fffe:0:0/120'] }));
  assert.equal(ok.status, 201, ok.text);
});
