import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, rm, stat, readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, loginAs, type TestServer } from '@parapet/server/testing';
import { createSelfSigned } from '@parapet/server/tls/certificate';
import { DeviceClient, DeviceRequestError, FileKeyStore, PinMismatchError, acceptPinAnnouncement, kekFile, openKeyStore, PinAnnouncementError } from '../src/index.js';

let s: TestServer;
let dir: string;
before(async () => {
  s = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), 'parapet-device-'));
});
after(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

async function enrolledClient(name: string, tenantId?: string) {
  const a = await loginAs(s, { roles: ['admin'], mfaFresh: true, ...(tenantId ? { tenantId } : {}) });
  const t = await a.client.post('/api/v1/devices/enrollment-tokens', { kind: 'worker' });
  const store = await openKeyStore({ service: 'parapet-test', account: name, filePath: join(dir, name, 'device.key'), prefer: 'file' });
  const c = await DeviceClient.enroll({ server: s.url, token: t.json.token, kind: 'worker', name, store, statePath: join(dir, name, 'state.json'), ca: s.ca, version: '0.1.0', platform: process.platform });
  return { a, c };
}

test('enroll, then signed heartbeats over pinned TLS; the key file is encrypted and 0600', async () => {
  const { a, c } = await enrolledClient('w1');
  assert.equal(c.store.kind, 'file');
  assert.equal(c.state.pins.length, 2);
  const hb = await c.heartbeat({ version: '0.1.1' });
  assert.equal(hb.device_id, c.state.deviceId);
  const fleet = await a.client.get('/api/v1/devices');
  assert.equal(fleet.json.devices[0].key_store, 'file');
  assert.equal(fleet.json.devices[0].version, '0.1.1');
  for (const f of ['device.key', 'device.key.kek', 'state.json']) assert.equal((await stat(join(dir, 'w1', f))).mode & 0o777, 0o600, f);
  // The key file does not contain the PKCS#8 key in clear.
  const der = (await c.store.load())!;
  assert.equal((await readFile(join(dir, 'w1', 'device.key'))).includes(der.subarray(16)), false);
  // Reopened from disk, it still works.
  const again = await DeviceClient.open({ statePath: join(dir, 'w1', 'state.json'), store: c.store, ca: s.ca });
  assert.equal((await again.heartbeat()).status, 'active');
});

test('the encrypted key file does not open with another key-encryption key', async () => {
  const f = new FileKeyStore(join(dir, 'k', 'a.key'), kekFile(join(dir, 'k', 'a.kek')));
  await f.save(Buffer.from('secret key bytes'));
  assert.deepEqual(await f.load(), Buffer.from('secret key bytes'));
  const wrong = new FileKeyStore(join(dir, 'k', 'a.key'), kekFile(join(dir, 'k', 'other.kek')));
  await assert.rejects(wrong.load());
});

test('man in the middle: a certificate that chains to a trusted CA but has another key is refused before any request is sent', async () => {
  const { c } = await enrolledClient('w2');
  // Another subject name, so the chain builder does not confuse it with the real certificate.
  const mitm = await createSelfSigned(['mitm.localhost']);
  let seen = 0;
  const srv = createServer({ key: mitm.key, cert: mitm.cert }, (_req, res) => {
    seen++;
    res.end('{}');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const port = (srv.address() as { port: number }).port;
    // The device trusts both certificates (a valid chain), but only the real key is pinned.
    const victim = await DeviceClient.open({ statePath: join(dir, 'w2', 'state.json'), store: c.store, ca: [s.ca, mitm.cert] });
    victim.state.server = `https://127.0.0.1:${port}`;
    await assert.rejects(victim.heartbeat(), (e: unknown) => e instanceof PinMismatchError && e.code === 'server_pin_mismatch' && /not pinned/.test(e.message));
    assert.equal(seen, 0);
    // Sanity: without pins the same chain is accepted, so it is the pin that refused it.
    const unpinned = await DeviceClient.open({ statePath: join(dir, 'w2', 'state.json'), store: c.store, ca: [s.ca, mitm.cert] });
    unpinned.state.server = `https://127.0.0.1:${port}`;
    unpinned.state.pins = [];
    await unpinned.request('GET', '/');
    assert.equal(seen, 1);
  } finally {
    srv.close();
  }
});

test('a revoked device gets device_revoked on its next request', async () => {
  const { a, c } = await enrolledClient('w3');
  await a.client.post(`/api/v1/devices/${c.state.deviceId}/revoke`);
  await assert.rejects(c.heartbeat(), (e: unknown) => e instanceof DeviceRequestError && e.code === 'device_revoked' && e.status === 401);
});

test('pin rotation: accepted only when signed by the current server key, newer, and keeping the current pin', async () => {
  const { c } = await enrolledClient('w4');
  const pins = await c.refreshPins();
  assert.equal(pins.length, 2);
  assert.ok(c.state.pinsIssuedAt);
  // Forged: signed by a key that is not the server's.
  const r = await c.request('GET', '/api/v1/devices/pins');
  const a = r.json() as { payload: string; signature: string };
  const evil = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const fakePayload = Buffer.from(JSON.stringify({ pins: ['A'.repeat(43) + '='], issued_at: new Date(Date.now() + 1000).toISOString() }));
  const forged = { payload: fakePayload.toString('base64'), signature: sign('sha256', fakePayload, evil.privateKey).toString('base64') };
  assert.throws(() => acceptPinAnnouncement(forged, r.serverKey), PinAnnouncementError);
  // Same payload signature moved onto changed pins: refused.
  assert.throws(() => acceptPinAnnouncement({ payload: fakePayload.toString('base64'), signature: a.signature }, r.serverKey), PinAnnouncementError);
  // An announcement signed by the right key (the evil one plays the server here) that drops the current key: refused.
  assert.throws(() => acceptPinAnnouncement(forged, evil.publicKey), /drops the server's current key/);
  // Replaying an older announcement: refused.
  assert.throws(() => acceptPinAnnouncement(a, r.serverKey, new Date(Date.now() + 60_000).toISOString()), /older/);
});

test('runEnroll (shared by parapet-agent and parapet-worker): --ca for first contact, --pin checked on it', async () => {
  const { writeFile } = await import('node:fs/promises');
  const { runEnroll } = await import('../src/index.js');
  const a = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const caFile = join(dir, 'server.pem');
  await writeFile(caFile, s.ca);
  const lines: string[] = [];
  // A wrong out-of-band pin stops enrollment at the first handshake, and the token is not spent.
  const token = (await a.client.post('/api/v1/devices/enrollment-tokens', { kind: 'agent' })).json.token;
  await assert.rejects(runEnroll('agent', ['--server', s.url, '--token', token, '--ca', caFile, '--pin', 'A'.repeat(43) + '=', '--state-dir', join(dir, 'cli'), '--key-store', 'file'], { out: (l) => lines.push(l) }), PinMismatchError);
  const c = await runEnroll('agent', ['--server', s.url, '--token', token, '--ca', caFile, '--state-dir', join(dir, 'cli'), '--key-store', 'file', '--name', 'host-a'], { out: (l) => lines.push(l), version: '9.9.9' });
  assert.match(lines[0]!, /^Enrolled as agent [0-9a-f-]{36}; key in the encrypted file/);
  assert.equal((await c.heartbeat()).status, 'active');
  assert.equal((await a.client.get('/api/v1/devices')).json.devices[0].name, 'host-a');
});
