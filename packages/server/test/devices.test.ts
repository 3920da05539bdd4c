import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, randomUUID, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { httpsig } from '@parapet/core';
import { startTestServer, loginAs, type TestServer, type TestClient } from '../src/testing.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

interface Device {
  privateKey: KeyObject;
  publicRaw: string;
}
const newKey = (): Device => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicRaw: publicKey.export({ format: 'jwk' }).x! };
};

/** Signs like a device: @method @authority @path @query (+ content-digest with a body). */
function sign(o: { method: string; path: string; body?: Buffer; key: KeyObject; keyid: string; created?: number; nonce?: string }): Record<string, string> {
  const created = o.created ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = {};
  const components = ['@method', '@authority', '@path', '@query'];
  if (o.body) {
    headers['content-digest'] = httpsig.contentDigest(o.body);
    components.push('content-digest');
  }
  const sig = httpsig.signRequest(
    { method: o.method, authority: `127.0.0.1:${s.port}`, target: o.path, headers },
    { components, params: { created, expires: created + 60, nonce: o.nonce ?? randomBytes(16).toString('base64url'), keyid: o.keyid, alg: 'ed25519' }, privateKey: o.key },
  );
  return { ...headers, ...sig };
}

function send(c: TestClient, method: string, path: string, json: unknown, key: KeyObject, keyid: string, extra: { created?: number } = {}) {
  const body = json === undefined ? undefined : Buffer.from(JSON.stringify(json));
  const headers = sign({ method, path, key, keyid, ...(body ? { body } : {}), ...extra });
  if (body) headers['content-type'] = 'application/json';
  return { headers, body, go: () => c.request(method, path, { ...(body ? { body } : {}), headers }) };
}

async function admin(tenantId?: string) {
  return loginAs(s, { roles: ['admin'], mfaFresh: true, ...(tenantId ? { tenantId } : {}) });
}
async function newToken(a: Awaited<ReturnType<typeof admin>>, kind: 'agent' | 'worker' = 'agent', expires?: number) {
  const r = await a.client.post('/api/v1/devices/enrollment-tokens', { kind, ...(expires ? { expires_in_seconds: expires } : {}) });
  assert.equal(r.status, 201, r.text);
  return r.json.token as string;
}
async function enroll(token: string, dev = newKey(), kind: 'agent' | 'worker' = 'agent') {
  const r = await send(s.client(), 'POST', '/api/v1/devices/enroll', { token, kind, name: 'laptop-1', public_key: dev.publicRaw, key_store: 'file', platform: 'linux', version: '0.1.0' }, dev.privateKey, 'enroll').go();
  return { r, dev };
}
async function audit(tenantId: string, action: string) {
  return s.asAdmin(async (q) => (await q.query<{ outcome: string; details: Record<string, unknown>; target_id: string | null }>(`SELECT outcome, details, target_id FROM audit_log WHERE tenant_id = $1 AND action = $2 ORDER BY seq`, [tenantId, action])).rows);
}
const codes = (rows: Array<{ details: Record<string, unknown> }>) => rows.map((r) => r.details.code);

test('token: 256-bit secret naming its tenant, stored only as a hash, single use, audited', async () => {
  const a = await admin();
  const token = await newToken(a);
  assert.match(token, new RegExp(`^pet_${a.tenantId}_[A-Za-z0-9_-]{43}$`));
  const stored = await s.asAdmin(async (q) => (await q.query<{ token_hash: Buffer }>(`SELECT token_hash FROM device_enrollment_tokens WHERE tenant_id = $1`, [a.tenantId])).rows);
  assert.equal(stored.length, 1);
  assert.equal(stored[0]!.token_hash.length, 32);
  // The secret is base64url, which may itself contain '_': take everything after the tenant id.
  const secret = token.slice(`pet_${a.tenantId}_`.length);
  assert.equal(secret.length, 43);
  assert.ok(!JSON.stringify(await s.asAdmin((q) => q.query(`SELECT * FROM device_enrollment_tokens`))).includes(secret));
  assert.equal((await audit(a.tenantId, 'device.token.created'))[0]?.outcome, 'success');
});

test('token creation needs an admin with fresh MFA; the denial is audited', async () => {
  const op = await loginAs(s, { roles: ['operator'], mfaFresh: true });
  const r = await op.client.post('/api/v1/devices/enrollment-tokens', { kind: 'agent' });
  assert.equal(r.status, 403, r.text);
  assert.equal(r.json.code, 'forbidden');
  const stale = await loginAs(s, { roles: ['admin'] });
  const st = await stale.client.post('/api/v1/devices/enrollment-tokens', { kind: 'agent' });
  assert.equal(st.json?.code, 'step_up_required', `${st.status} ${st.text}`);
  const denied = await audit(op.tenantId, 'authz.access.denied');
  assert.equal(denied.length, 1, JSON.stringify(denied));
});

test('enrollment: proof of possession, device id and pins; then signed heartbeat and fleet list', async () => {
  const a = await admin();
  const { r, dev } = await enroll(await newToken(a));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.tenant_id, a.tenantId);
  assert.equal(r.json.keyid, `${a.tenantId}.${r.json.device_id}`);
  assert.equal(r.json.owner_user_id, null, 'a token naming nobody: no owner');
  const certSpki = new X509Certificate(s.ca).publicKey.export({ type: 'spki', format: 'der' });
  const { createHash } = await import('node:crypto');
  assert.equal(r.json.pins.current, createHash('sha256').update(certSpki).digest('base64'));
  assert.match(r.json.pins.backup, /^[A-Za-z0-9+/]{43}=$/);
  assert.notEqual(r.json.pins.backup, r.json.pins.current);
  const hb = await send(s.client(), 'POST', '/api/v1/devices/heartbeat', { version: '0.2.0', platform: 'linux', key_store: 'os' }, dev.privateKey, r.json.keyid).go();
  assert.equal(hb.status, 200, hb.text);
  assert.equal(hb.json.device_id, r.json.device_id);
  const list = await a.client.get('/api/v1/devices');
  assert.equal(list.status, 200);
  assert.equal(list.json.devices.length, 1);
  assert.equal(list.json.devices[0].version, '0.2.0');
  assert.equal(list.json.devices[0].key_store, 'os');
  assert.ok(list.json.devices[0].last_seen_at);
  assert.deepEqual((await audit(a.tenantId, 'device.enrolled')).map((x) => x.outcome), ['success']);
  assert.equal((await audit(a.tenantId, 'device.status.changed')).length, 1);
  // The same values again: no status change; a new version: one change, from the old value.
  assert.equal((await send(s.client(), 'POST', '/api/v1/devices/heartbeat', { version: '0.2.0', platform: 'linux' }, dev.privateKey, r.json.keyid).go()).status, 200);
  assert.equal((await audit(a.tenantId, 'device.status.changed')).length, 1);
  assert.equal((await send(s.client(), 'POST', '/api/v1/devices/heartbeat', { version: '0.3.0' }, dev.privateKey, r.json.keyid).go()).status, 200);
  const changes = await audit(a.tenantId, 'device.status.changed');
  assert.equal(changes.length, 2);
  assert.deepEqual(changes[1]!.details, { version: { from: '0.2.0', to: '0.3.0' } });
  const after = (await a.client.get('/api/v1/devices')).json.devices[0];
  assert.equal(after.version, '0.3.0');
  assert.equal(after.platform, 'linux');
  assert.equal(after.key_store, 'os');
});

test('enrollment refuses a reused token, an expired token and a token of the wrong kind; each audited', async () => {
  const a = await admin();
  const t = await newToken(a, 'agent');
  assert.equal((await enroll(t)).r.status, 201);
  const reused = (await enroll(t)).r;
  assert.equal(reused.status, 401);
  assert.equal(reused.json.code, 'enrollment_token_used');
  const wrong = (await enroll(await newToken(a, 'worker'), newKey(), 'agent')).r;
  assert.equal(wrong.status, 401);
  assert.equal(wrong.json.code, 'enrollment_token_wrong_kind');
  const old = await newToken(a, 'agent');
  await s.asAdmin((q) => q.query(`UPDATE device_enrollment_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = sha256(convert_to($1, 'UTF8'))`, [old.split('_').slice(2).join('_')]));
  const expired = (await enroll(old)).r;
  assert.equal(expired.status, 401);
  assert.equal(expired.json.code, 'enrollment_token_expired');
  const bogus = (await enroll(`pet_${a.tenantId}_${randomBytes(32).toString('base64url')}`)).r;
  assert.equal(bogus.json.code, 'enrollment_token_invalid');
  const noTenant = (await enroll(`pet_${randomUUID()}_${randomBytes(32).toString('base64url')}`)).r;
  assert.equal(noTenant.status, 401);
  assert.equal(noTenant.json.code, 'enrollment_token_invalid');
  assert.deepEqual(codes((await audit(a.tenantId, 'device.enrolled')).filter((x) => x.outcome === 'denied')), ['enrollment_token_used', 'enrollment_token_wrong_kind', 'enrollment_token_expired', 'enrollment_token_invalid']);
});

test('enrollment must be signed by the key being enrolled (not another key), over the body', async () => {
  const a = await admin();
  const token = await newToken(a);
  const dev = newKey();
  const other = newKey();
  const body = { token, kind: 'agent', name: 'x', public_key: dev.publicRaw, key_store: 'file' };
  const r = await send(s.client(), 'POST', '/api/v1/devices/enroll', body, other.privateKey, 'enroll').go();
  assert.equal(r.status, 401);
  assert.equal(r.json.code, 'signature_invalid');
  const unsigned = await s.client().post('/api/v1/devices/enroll', body);
  assert.equal(unsigned.json.code, 'signature_missing');
  // The token is still usable by its rightful holder.
  assert.equal((await enroll(token, dev)).r.status, 201);
  assert.deepEqual(codes((await audit(a.tenantId, 'device.enrolled')).filter((x) => x.outcome === 'denied')), ['signature_invalid', 'signature_missing']);
});

async function enrolled() {
  const a = await admin();
  const { r, dev } = await enroll(await newToken(a));
  assert.equal(r.status, 201, r.text);
  return { a, dev, keyid: r.json.keyid as string, deviceId: r.json.device_id as string };
}

test('a captured request replayed verbatim is refused (nonce seen) and audited', async () => {
  const { a, dev, keyid } = await enrolled();
  const req = send(s.client(), 'POST', '/api/v1/devices/heartbeat', { version: '1' }, dev.privateKey, keyid);
  assert.equal((await req.go()).status, 200);
  const again = await req.go();
  assert.equal(again.status, 401);
  assert.equal(again.json.code, 'signature_replayed');
  assert.deepEqual(codes(await audit(a.tenantId, 'device.request.refused')), ['signature_replayed']);
});

test('a body changed after signing is refused (content digest) and audited', async () => {
  const { a, dev, keyid } = await enrolled();
  const req = send(s.client(), 'POST', '/api/v1/devices/heartbeat', { version: '1.0.0' }, dev.privateKey, keyid);
  const tampered = await s.client().request('POST', '/api/v1/devices/heartbeat', { body: Buffer.from(JSON.stringify({ version: '6.6.6' })), headers: { ...req.headers, 'content-type': 'application/json' } });
  assert.equal(tampered.status, 401);
  assert.equal(tampered.json.code, 'content_digest_mismatch');
  // Recomputing the digest does not help: the digest header is signed.
  const redigested = await s.client().request('POST', '/api/v1/devices/heartbeat', {
    body: Buffer.from(JSON.stringify({ version: '6.6.6' })),
    headers: { ...req.headers, 'content-type': 'application/json', 'content-digest': httpsig.contentDigest(Buffer.from(JSON.stringify({ version: '6.6.6' }))) },
  });
  assert.equal(redigested.json.code, 'signature_invalid');
  assert.deepEqual(codes(await audit(a.tenantId, 'device.request.refused')), ['content_digest_mismatch', 'signature_invalid']);
});

test("a request signed by another device's key is refused and audited", async () => {
  const one = await enrolled();
  const two = await enrolled();
  const r = await send(s.client(), 'POST', '/api/v1/devices/heartbeat', {}, two.dev.privateKey, one.keyid).go();
  assert.equal(r.status, 401);
  assert.equal(r.json.code, 'signature_invalid');
  const rows = await audit(one.a.tenantId, 'device.request.refused');
  assert.deepEqual(codes(rows), ['signature_invalid']);
  assert.equal(rows[0]!.target_id, one.deviceId);
});

test('a signed body past 10 MiB is refused with 413 (the request is signed and digested correctly)', async () => {
  const { dev, keyid } = await enrolled();
  const body = Buffer.from(JSON.stringify({ version: 'x'.repeat(10 * 1024 * 1024) }));
  const headers = { ...sign({ method: 'POST', path: '/api/v1/devices/heartbeat', key: dev.privateKey, keyid, body }), 'content-type': 'application/json' };
  const r = await s.client().request('POST', '/api/v1/devices/heartbeat', { body, headers });
  assert.equal(r.status, 413, r.text);
  assert.equal(r.json.code, 'body_too_large');
  assert.equal(r.json.detail, 'The signed body is too large.', 'refused while reading the signed body, before any parser');
});

test('expired, future-dated and unsigned-body requests are refused', async () => {
  const { dev, keyid } = await enrolled();
  const now = Math.floor(Date.now() / 1000);
  assert.equal((await send(s.client(), 'POST', '/api/v1/devices/heartbeat', {}, dev.privateKey, keyid, { created: now - 600 }).go()).json.code, 'signature_expired');
  assert.equal((await send(s.client(), 'POST', '/api/v1/devices/heartbeat', {}, dev.privateKey, keyid, { created: now + 600 }).go()).json.code, 'signature_future');
  // Signed without a Content-Digest, then a body attached.
  const headers = sign({ method: 'POST', path: '/api/v1/devices/heartbeat', key: dev.privateKey, keyid });
  const r = await s.client().request('POST', '/api/v1/devices/heartbeat', { body: '{"version":"9"}', headers: { ...headers, 'content-type': 'application/json' } });
  assert.equal(r.json.code, 'content_digest_missing');
});

test('a revoked device is refused on its next request; revocation is audited', async () => {
  const { a, dev, keyid, deviceId } = await enrolled();
  const rv = await a.client.post(`/api/v1/devices/${deviceId}/revoke`);
  assert.equal(rv.status, 200, rv.text);
  assert.equal(rv.json.status, 'revoked');
  const r = await send(s.client(), 'POST', '/api/v1/devices/heartbeat', {}, dev.privateKey, keyid).go();
  assert.equal(r.status, 401);
  assert.equal(r.json.code, 'device_revoked');
  assert.equal((await audit(a.tenantId, 'device.revoked'))[0]?.outcome, 'success');
  assert.deepEqual(codes(await audit(a.tenantId, 'device.request.refused')), ['device_revoked']);
  // Another tenant's admin cannot see or revoke it.
  const b = await admin();
  assert.equal((await b.client.post(`/api/v1/devices/${deviceId}/revoke`)).status, 404);
});

// The server caches device keys in memory; these changes are made in the database directly, as
// another replica (or an erasure) would, so nothing in this process is told about them.
test('a cached device revoked elsewhere is refused on its next request', async () => {
  const { a, dev, keyid, deviceId } = await enrolled();
  assert.equal((await send(s.client(), 'POST', '/api/v1/devices/heartbeat', {}, dev.privateKey, keyid).go()).status, 200);
  await s.asAdmin((q) => q.query(`UPDATE devices SET status = 'revoked', revoked_at = now() WHERE tenant_id = $1 AND id = $2`, [a.tenantId, deviceId]));
  const r = await send(s.client(), 'POST', '/api/v1/devices/heartbeat', {}, dev.privateKey, keyid).go();
  assert.equal(r.status, 401);
  assert.equal(r.json.code, 'device_revoked');
});

test('a cached key replaced or a device deleted elsewhere stops working on the next request', async () => {
  const { a, dev, keyid, deviceId } = await enrolled();
  assert.equal((await send(s.client(), 'POST', '/api/v1/devices/heartbeat', {}, dev.privateKey, keyid).go()).status, 200);
  const other = newKey();
  await s.asAdmin((q) => q.query(`UPDATE devices SET public_key = $3 WHERE tenant_id = $1 AND id = $2`, [a.tenantId, deviceId, Buffer.from(other.publicRaw, 'base64url')]));
  const old = await send(s.client(), 'POST', '/api/v1/devices/heartbeat', {}, dev.privateKey, keyid).go();
  assert.equal(old.status, 401);
  assert.equal(old.json.code, 'device_unknown');
  assert.equal((await send(s.client(), 'POST', '/api/v1/devices/heartbeat', {}, other.privateKey, keyid).go()).status, 200);
  await s.asAdmin(async (q) => {
    await q.query(`DELETE FROM device_nonces WHERE tenant_id = $1 AND device_id = $2`, [a.tenantId, deviceId]);
    await q.query(`DELETE FROM devices WHERE tenant_id = $1 AND id = $2`, [a.tenantId, deviceId]);
  });
  const gone = await send(s.client(), 'POST', '/api/v1/devices/heartbeat', {}, other.privateKey, keyid).go();
  assert.equal(gone.status, 401);
  assert.equal(gone.json.code, 'device_unknown');
  assert.deepEqual(codes(await audit(a.tenantId, 'device.request.refused')), ['device_unknown', 'device_unknown']);
});

test('device_request_accept leaves the calling transaction its own tenant', async () => {
  const { a, deviceId } = await enrolled();
  const other = await admin();
  const key = (await s.asAdmin((aq) => aq.query<{ public_key: Buffer }>(`SELECT public_key FROM devices WHERE id = $1`, [deviceId]))).rows[0]!.public_key;
  const seen = await s.db.tx({ tenantId: other.tenantId }, async (q) => {
    const out = (await q.query<{ o: string }>(`SELECT device_request_accept($1, $2, $3, $4, now() + interval '1 minute', now()) AS o`, [a.tenantId, deviceId, key, randomBytes(16).toString('base64url')])).rows[0]!.o;
    const tenant = (await q.query<{ t: string }>(`SELECT current_setting('app.tenant_id') AS t`)).rows[0]!.t;
    return { out, tenant };
  });
  assert.deepEqual(seen, { out: 'accepted', tenant: other.tenantId });
});

test('a keyid naming another tenant finds no device (RLS), and is refused', async () => {
  const { dev, deviceId } = await enrolled();
  const other = await admin();
  const r = await send(s.client(), 'POST', '/api/v1/devices/heartbeat', {}, dev.privateKey, `${other.tenantId}.${deviceId}`).go();
  assert.equal(r.json.code, 'device_unknown');
});

test('pin announcement is signed by the serving key over the current and backup pins', async () => {
  const { dev, keyid } = await enrolled();
  const r = await send(s.client(), 'GET', '/api/v1/devices/pins', undefined, dev.privateKey, keyid).go();
  assert.equal(r.status, 200, r.text);
  const payload = Buffer.from(r.json.payload, 'base64');
  const certKey = new X509Certificate(s.ca).publicKey;
  assert.ok(verify('sha256', payload, certKey, Buffer.from(r.json.signature, 'base64')));
  const body = JSON.parse(payload.toString('utf8'));
  assert.equal(body.pins.length, 2);
  payload[2] = payload[2]! ^ 1;
  assert.equal(verify('sha256', payload, certKey, Buffer.from(r.json.signature, 'base64')), false);
});

test('device endpoints need a device; user endpoints refuse devices', async () => {
  const { dev, keyid } = await enrolled();
  assert.equal((await s.client().post('/api/v1/devices/heartbeat', {})).json.code, 'device_unauthenticated');
  assert.equal((await send(s.client(), 'GET', '/api/v1/devices', undefined, dev.privateKey, keyid).go()).json.code, 'unauthenticated');
});

test('replay race: the same captured request sent 24 times at once is accepted exactly once', async () => {
  const { a, dev, keyid } = await enrolled();
  const req = send(s.client(), 'POST', '/api/v1/devices/heartbeat', {}, dev.privateKey, keyid);
  // Fresh requests of the same device in the same burst, which share the nonce statements.
  const fresh = Array.from({ length: 8 }, () => send(s.client(), 'POST', '/api/v1/devices/heartbeat', {}, dev.privateKey, keyid));
  const [rs, fs] = await Promise.all([Promise.all(Array.from({ length: 24 }, () => req.go())), Promise.all(fresh.map((f) => f.go()))]);
  assert.equal(rs.filter((r) => r.status === 200).length, 1, 'exactly one copy accepted');
  assert.ok(rs.filter((r) => r.status !== 200).every((r) => r.status === 401 && r.json.code === 'signature_replayed'));
  assert.deepEqual(fs.map((r) => r.status), Array(8).fill(200));
  assert.equal(codes(await audit(a.tenantId, 'device.request.refused')).filter((c) => c === 'signature_replayed').length, 23);
});

test('the replay store keeps a nonce only until its signature would fail the time window anyway', async () => {
  const { a, dev, keyid } = await enrolled();
  const created = Math.floor(Date.now() / 1000);
  assert.equal((await send(s.client(), 'POST', '/api/v1/devices/heartbeat', {}, dev.privateKey, keyid, { created }).go()).status, 200);
  const rows = await s.asAdmin(async (q) => (await q.query<{ expires_at: Date }>(`SELECT expires_at FROM device_nonces WHERE tenant_id = $1`, [a.tenantId])).rows);
  assert.equal(rows.length, 1);
  // created + max age (300 s) + twice the skew (60 s): past that, checkPolicy refuses the signature.
  assert.equal(new Date(rows[0]!.expires_at).getTime() / 1000, created + 300 + 120);
});

// Issue 12 item 7: strangers cannot grow the audit inbox or page the on-call.
const failuresMetric = async () => {
  const m = await s.client().get('/metrics', { authorization: `Bearer ${(await readFile(join(s.dataDir, 'metrics.token'), 'utf8')).trim()}` });
  const line = m.text.split('\n').find((l) => l.startsWith('parapet_audit_sequencer_failures_total'));
  return Number(line?.split(' ')[1] ?? 'NaN');
};

test('refusals naming a tenant that does not exist write nothing and fail no sequencer round', async () => {
  const before = await failuresMetric();
  assert.ok(Number.isFinite(before), 'the metric is exported');
  const dev = newKey();
  for (let i = 0; i < 40; i++) {
    const r = await send(s.client(), 'POST', '/api/v1/devices/heartbeat', { version: '1' }, dev.privateKey, `${randomUUID()}.${randomUUID()}`).go();
    assert.equal(r.status, 401);
  }
  for (let i = 0; i < 10; i++) assert.equal((await enroll(`pet_${randomUUID()}_${randomBytes(32).toString('base64url')}`)).r.status, 401);
  // And an SSO callback naming a made-up tenant.
  assert.equal((await s.client().get(`/api/v1/sso/callback?state=${randomUUID()}.x`)).status, 400);
  const orphans = await s.asAdmin(async (q) => (await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_inbox i WHERE NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = i.tenant_id)`)).rows[0]!.n);
  assert.equal(orphans, 0, 'no inbox row for a tenant that does not exist');
  assert.equal(await failuresMetric(), before, 'no sequencer failure');
});

test("refusals for an existing tenant are audited within a budget; the next entry counts what was left out", async () => {
  const { REFUSAL_BURST } = await import('../src/audit/unauthenticated.js');
  const a = await admin();
  const dev = newKey();
  const flood = REFUSAL_BURST + 40;
  for (let i = 0; i < flood; i++) {
    const r = await send(s.client(), 'POST', '/api/v1/devices/heartbeat', { version: '1' }, dev.privateKey, `${a.tenantId}.${randomUUID()}`).go();
    assert.equal(r.json.code, 'device_unknown');
  }
  const written = (await audit(a.tenantId, 'device.request.refused')).length;
  assert.ok(written >= REFUSAL_BURST && written < flood, `${written} of ${flood} written`);
  await new Promise((r) => setTimeout(r, 1100)); // one entry's worth refills
  await send(s.client(), 'POST', '/api/v1/devices/heartbeat', { version: '1' }, dev.privateKey, `${a.tenantId}.${randomUUID()}`).go();
  const rows = await audit(a.tenantId, 'device.request.refused');
  assert.ok(rows.some((x) => Number(x.details.suppressed) > 0), 'a later entry says how many were left out');
  const counted = rows.length + rows.reduce((n, x) => n + Number(x.details.suppressed ?? 0), 0);
  assert.equal(counted, flood + 1, 'written + suppressed = every refusal');
});

test('a signature created before the database last started is refused as stale; a fresh one passes', async (t) => {
  // Nonces written in the last moments before a database crash may be lost (they commit without
  // waiting for the WAL flush), so nothing signed before the database started may count.
  const started = Number((await s.asAdmin((q) => q.query<{ t: string }>(`SELECT extract(epoch FROM pg_postmaster_start_time())::text AS t`))).rows[0]!.t);
  const created = Math.floor(started) - 2;
  if (created < Date.now() / 1000 - 290) return t.skip('the database started longer ago than the signature window (300 s)');
  const a = await admin();
  const { r, dev } = await enroll(await newToken(a));
  assert.equal(r.status, 201, r.text);
  const stale = await send(s.client(), 'POST', '/api/v1/devices/heartbeat', { version: '1' }, dev.privateKey, r.json.keyid, { created }).go();
  assert.equal(stale.status, 401, stale.text);
  assert.equal(stale.json.code, 'signature_stale');
  const fresh = await send(s.client(), 'POST', '/api/v1/devices/heartbeat', { version: '1' }, dev.privateKey, r.json.keyid).go();
  assert.equal(fresh.status, 200, fresh.text);
});

test('a device revoked or erased after its signature was accepted and before the heartbeat writes: device_revoked / device_unknown (401), not a 500 or an update of a revoked device', async () => {
  // The race is made deterministic: the heartbeat's transaction runs the revocation (or the
  // erasure) itself just before the heartbeat statement, as if another request had committed it
  // after the signature check (which found the device active).
  type Tx = (ctx: unknown, fn: (q: { query: (sql: string, p?: unknown[]) => Promise<unknown> }) => Promise<unknown>) => Promise<unknown>;
  const realTx = (Object.getPrototypeOf(s.db) as { tx: Tx }).tx;
  let race: ((q: { query: (sql: string, p?: unknown[]) => Promise<unknown> }) => Promise<unknown>) | undefined;
  (s.db as unknown as { tx: Tx }).tx = function (this: unknown, ctx, fn) {
    return realTx.call(this, ctx, (q) =>
      fn(new Proxy(q, {
        get(t, p) {
          if (p !== 'query') return Reflect.get(t, p, t) as unknown;
          return async (sql: string, params?: unknown[]) => {
            if (race && /UPDATE devices d SET last_seen_at/.test(sql)) {
              const r = race;
              race = undefined;
              await r(t);
            }
            return t.query(sql, params);
          };
        },
      })),
    );
  };
  try {
    const { a, dev, keyid, deviceId } = await enrolled();
    race = (q) => q.query(`UPDATE devices SET status = 'revoked', revoked_at = now() WHERE id = $1`, [deviceId]);
    const revoked = await send(s.client(), 'POST', '/api/v1/devices/heartbeat', { version: '9.9.9' }, dev.privateKey, keyid).go();
    assert.equal(race, undefined, 'the race ran');
    assert.equal(revoked.status, 401, revoked.text);
    assert.equal(revoked.json.code, 'device_revoked');
    const row = (await s.asAdmin((q) => q.query<{ status: string; version: string }>(`SELECT status, version FROM devices WHERE tenant_id = $1 AND id = $2`, [a.tenantId, deviceId]))).rows[0]!;
    assert.deepEqual({ ...row }, { status: 'revoked', version: '0.1.0' });

    const two = await enrolled();
    race = async (q) => {
      await q.query(`DELETE FROM device_nonces WHERE device_id = $1`, [two.deviceId]);
      await q.query(`DELETE FROM devices WHERE id = $1`, [two.deviceId]);
    };
    const erased = await send(s.client(), 'POST', '/api/v1/devices/heartbeat', { version: '9.9.9' }, two.dev.privateKey, two.keyid).go();
    assert.equal(race, undefined, 'the race ran');
    assert.equal(erased.status, 401, erased.text);
    assert.equal(erased.json.code, 'device_unknown');
  } finally {
    delete (s.db as unknown as { tx?: Tx }).tx;
  }
});

test('concurrent heartbeats of one device: each audited change starts from the value the one before it left, and the row ends at the last', async () => {
  const { a, dev, keyid, deviceId } = await enrolled();
  for (let round = 0; round < 4; round++) {
    const rs = await Promise.all(['a', 'b', 'c'].map((v) => send(s.client(), 'POST', '/api/v1/devices/heartbeat', { version: `${round}.${v}` }, dev.privateKey, keyid).go()));
    for (const r of rs) assert.equal(r.status, 200, r.text);
  }
  const changes = (await audit(a.tenantId, 'device.status.changed')).map((e) => e.details.version as { from: string; to: string });
  assert.equal(changes.length, 12);
  let cur = '0.1.0';
  for (const c of changes) {
    assert.equal(c.from, cur, JSON.stringify(changes));
    cur = c.to;
  }
  const row = (await s.asAdmin((q) => q.query<{ version: string }>(`SELECT version FROM devices WHERE tenant_id = $1 AND id = $2`, [a.tenantId, deviceId]))).rows[0]!;
  assert.equal(row.version, cur);
});
