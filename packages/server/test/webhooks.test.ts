import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { fileURLToPath } from 'node:url';
import { startTestServer, loginAs, type TestServer } from '../src/testing.js';
import { createSelfSigned } from '../src/tls/certificate.js';
import { FileKeyProvider } from '../src/crypto/keyfile.js';
import { dataPaths } from '../src/datadir.js';
import { enqueue, MAX_ATTEMPTS, WEBHOOK_BACKOFF } from '../src/webhooks/deliver.js';
import { scanActivity } from '../src/webhooks/ocsf.js';
import { outboxBackoffMs, outboxFor } from '../src/platform/outbox.js';
import { finishedScan } from './probe-finished-scan.js';

const RECEIVER = fileURLToPath(new URL('./fixtures/webhook-receiver.mjs', import.meta.url));
let s: TestServer;
let dir: string;
let tls: { cert: string; key: string };
let keys: FileKeyProvider;
const receivers: ChildProcess[] = [];
let offset = 0;
const clock = () => new Date(Date.now() + offset);

async function startReceiver(port = 0): Promise<{ port: number; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [RECEIVER], { env: { ...process.env, CERT: join(dir, 'cert.pem'), KEY: join(dir, 'key.pem'), PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
  receivers.push(proc);
  const line = await new Promise<string>((resolve, reject) => {
    proc.stdout!.once('data', (d: Buffer) => resolve(d.toString()));
    proc.once('exit', (c) => reject(new Error(`receiver exited ${c}`)));
  });
  return { port: JSON.parse(line).port, proc };
}
function call(port: number, method: string, path: string, body?: unknown): Promise<any> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, ca: tls.cert, servername: 'localhost', headers: { 'content-type': 'application/json' } }, (res) => {
      let t = '';
      res.on('data', (c) => (t += c));
      res.on('end', () => resolve(t ? JSON.parse(t) : undefined));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}
/** One drain pass of the platform outbox on the test clock; returns the delivery attempts made. */
const drainNow = async () => {
  const r = await outboxFor(s.db).drainAll();
  return r.delivered + r.failed + r.dead;
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parapet-webhooks-'));
  tls = await createSelfSigned(['localhost']);
  await writeFile(join(dir, 'cert.pem'), tls.cert);
  await writeFile(join(dir, 'key.pem'), tls.key);
  process.env.PARAPET_WEBHOOK_CA_FILE = join(dir, 'cert.pem');
  s = await startTestServer();
  // The test drives the outbox itself, on its own clock, with the nominal (mid-jitter) delays.
  const ob = outboxFor(s.db);
  ob.automatic = false;
  ob.now = clock;
  ob.rand = () => 0.5;
  keys = await FileKeyProvider.open(dataPaths(s.dataDir).keyFile);
});
after(async () => {
  for (const r of receivers) r.kill('SIGTERM');
  await s.close();
});

/** A tenant whose admin allowed loopback targets, with an endpoint on the receiver's path. */
async function tenantWithEndpoint(port: number, path: string, events: string[]) {
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  assert.equal((await admin.client.request('PUT', '/api/v1/webhooks/settings', { json: { allow_private_cidrs: ['127.0.0.0/8'] } })).status, 200);
  const ep = await admin.client.post('/api/v1/webhooks/endpoints', { url: `https://localhost:${port}${path}`, events });
  assert.equal(ep.status, 201, ep.text);
  assert.match(ep.json.secret, /^whsec_[A-Za-z0-9+/]{32}$/);
  await call(port, 'POST', '/_config', { path, secret: ep.json.secret });
  return { admin, tenantId: admin.tenantId, endpointId: ep.json.id as string, secret: ep.json.secret as string };
}

test('backoff: about three days in all, jittered ±20%', () => {
  let total = 0;
  for (let n = 1; n < MAX_ATTEMPTS; n++) total += outboxBackoffMs(n, WEBHOOK_BACKOFF);
  assert.ok(total > 2.8 * 86400_000 && total < 3.2 * 86400_000, String(total));
  assert.equal(MAX_ATTEMPTS, 10);
  assert.equal(outboxBackoffMs(1, WEBHOOK_BACKOFF, 0), 4000);
  assert.equal(outboxBackoffMs(1, WEBHOOK_BACKOFF, 1), 6000);
  assert.equal(outboxBackoffMs(2, WEBHOOK_BACKOFF, 0.5), 25_000);
  assert.equal(outboxBackoffMs(9, WEBHOOK_BACKOFF, 0.5), 86_400_000, 'capped at 24 h');
});

test('SSRF and access: each refused URL has its own problem code; admins with step-up only; audited', async () => {
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const code = async (url: string) => (await admin.client.post('/api/v1/webhooks/endpoints', { url })).json.code;
  assert.equal(await code('http://siem.example/hook'), 'webhook_url_not_https');
  assert.equal(await code('not a url'), 'webhook_url_invalid');
  assert.equal(await code('https://user:pw@siem.example/'), 'webhook_url_invalid');
  assert.equal(await code('https://127.0.0.1:9/hook'), 'webhook_target_loopback');
  assert.equal(await code('https://localhost:9/hook'), 'webhook_target_loopback');
  assert.equal(await code('https://[::ffff:127.0.0.1]:9/hook'), 'webhook_target_loopback');
  assert.equal(await code('https://10.1.2.3/hook'), 'webhook_target_private');
  assert.equal(await code('https://169.254.169.254/latest/meta-data'), 'webhook_target_private');
  assert.equal(await code('https://[fd00::1]/hook'), 'webhook_target_private');
  assert.equal(await code('https://nothing.invalid/hook'), 'webhook_url_unresolvable');
  assert.equal((await admin.client.request('PUT', '/api/v1/webhooks/settings', { json: { allow_private_cidrs: ['not-a-cidr'] } })).json.code, 'webhook_setting_invalid');
  // The allow-list opens exactly what it names.
  await admin.client.request('PUT', '/api/v1/webhooks/settings', { json: { allow_private_cidrs: ['127.0.0.0/8'] } });
  assert.equal(await code('https://10.1.2.3/hook'), 'webhook_target_private');
  assert.equal((await admin.client.post('/api/v1/webhooks/endpoints', { url: 'https://127.0.0.1:9/hook' })).status, 201);

  const stale = await loginAs(s, { roles: ['admin'], tenantId: admin.tenantId, mfaFresh: false });
  assert.equal((await stale.client.post('/api/v1/webhooks/endpoints', { url: 'https://127.0.0.1:9/x' })).json.code, 'step_up_required');
  const auditor = await loginAs(s, { roles: ['auditor'], tenantId: admin.tenantId, mfaFresh: true });
  assert.equal((await auditor.client.post('/api/v1/webhooks/endpoints', { url: 'https://127.0.0.1:9/x' })).status, 403);
  const list = await auditor.client.get('/api/v1/webhooks/endpoints');
  assert.equal(list.json.length, 1);
  assert.equal(list.json[0].secret, undefined, 'the secret is never shown again');
  const sealed = await s.asAdmin(async (a) => (await a.query<{ secret_sealed: string }>(`SELECT secret_sealed FROM webhook_endpoints WHERE tenant_id = $1`, [admin.tenantId])).rows[0]!.secret_sealed);
  assert.match(sealed, /^pe1\./);
  const audit = await s.asAdmin(async (a) => (await a.query<{ action: string; outcome: string }>(`SELECT action, outcome FROM audit_log WHERE tenant_id = $1 AND action LIKE 'webhook.%' ORDER BY seq`, [admin.tenantId])).rows);
  // The refused settings change wrote nothing; the accepted one is audited.
  assert.deepEqual(audit.map((r) => `${r.action}:${r.outcome}`), ['webhook.endpoint.updated:success', 'webhook.endpoint.created:success', 'webhook.endpoint.created:denied', 'webhook.endpoint.created:denied']);
});

test('500 twice then 200: one logical delivery, the same webhook-id on every attempt, verified by standardwebhooks; OCSF Scan Activity', async () => {
  const rx = await startReceiver();
  const t = await tenantWithEndpoint(rx.port, '/flaky', ['probe.scan.requested']);
  const { scanId } = await finishedScan(s, { tenantId: t.tenantId });
  offset = 0;
  assert.equal(await drainNow(), 1);
  offset += 7_000;
  assert.equal(await drainNow(), 1);
  assert.equal(await drainNow(), 0, 'not due before the second backoff');
  offset += 7 * 60_000;
  assert.equal(await drainNow(), 1);
  offset += 3 * 86400_000;
  assert.equal(await drainNow(), 0, 'delivered: never sent again');
  const got = (await call(rx.port, 'GET', '/_log')) as Array<{ id: string; n: number; verified: boolean; status: number; body: string; type: string }>;
  assert.deepEqual(got.map((g) => [g.n, g.verified, g.status]), [[1, true, 500], [2, true, 500], [3, true, 200]]);
  assert.equal(new Set(got.map((g) => g.id)).size, 1);
  const body = JSON.parse(got[2]!.body);
  assert.equal(body.type, 'probe.scan.requested');
  assert.equal(body.data.class_uid, 6007);
  assert.equal(body.data.category_uid, 6);
  assert.equal(body.data.scan.uid, scanId);
  assert.equal(body.data.metadata.product.name, 'Parapet Probe');
  assert.equal(body.data.metadata.uid, got[0]!.id);
  assert.equal(typeof body.data.time, 'number');
  const logv = await t.admin.client.get(`/api/v1/webhooks/endpoints/${t.endpointId}/messages`);
  assert.equal(logv.json.length, 1);
  assert.equal(logv.json[0].state, 'delivered');
  assert.deepEqual(logv.json[0].attempts.map((a: { status: number }) => a.status), [500, 500, 200]);
  assert.equal(logv.json[0].attempts[0].response_snippet, 'status 500');
  assert.ok(logv.json[0].attempts.every((a: { latency_ms: number }) => a.latency_ms >= 0));
});

test('receiver down for a whole run: ten attempts over about three days, a dead letter, then a replay delivers it with the same id', async () => {
  const port = await freePort();
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  await admin.client.request('PUT', '/api/v1/webhooks/settings', { json: { allow_private_cidrs: ['127.0.0.0/8'] } });
  const ep = await admin.client.post('/api/v1/webhooks/endpoints', { url: `https://localhost:${port}/ok`, events: ['probe.scan.finished'] });
  assert.equal(ep.status, 201, ep.text);
  await finishedScan(s, { tenantId: admin.tenantId });
  offset = 0;
  // Each round the clock jumps to the message's next attempt time.
  for (let rounds = 0; rounds < 40; rounds++) {
    await drainNow();
    const st = (await admin.client.get(`/api/v1/webhooks/endpoints/${ep.json.id}/messages`)).json[0];
    if (st.state === 'dead') break;
    offset = Date.parse(st.next_attempt_at) - Date.now() + 1;
  }
  const msg = (await admin.client.get(`/api/v1/webhooks/endpoints/${ep.json.id}/messages?state=dead`)).json[0];
  assert.equal(msg.attempts.length, 10);
  assert.ok(msg.attempts.every((a: { status: number | null; error_code: string }) => a.status === null && a.error_code === 'connect_error'));
  const span = Date.parse(msg.attempts[9].at) - Date.parse(msg.attempts[0].at);
  assert.ok(span > 2.8 * 86400_000 && span < 3.2 * 86400_000, `spread over ${span / 3600_000} h`);

  const rx = await startReceiver(port);
  await call(rx.port, 'POST', '/_config', { path: '/ok', secret: ep.json.secret });
  const stale = await loginAs(s, { roles: ['admin'], tenantId: admin.tenantId });
  assert.equal((await stale.client.post(`/api/v1/webhooks/messages/${msg.id}/replay`)).json.code, 'step_up_required');
  const rp = await admin.client.post(`/api/v1/webhooks/messages/${msg.id}/replay`);
  assert.equal(rp.status, 202, rp.text);
  assert.equal((await admin.client.post(`/api/v1/webhooks/messages/${msg.id}/replay`)).json.code, 'webhook_message_not_dead');
  assert.equal(await drainNow(), 1);
  const got = await call(rx.port, 'GET', '/_log');
  assert.deepEqual(got.map((g: { id: string; verified: boolean; status: number }) => [g.id, g.verified, g.status]), [[msg.id, true, 200]]);
  assert.equal(JSON.parse(got[0].body).type, 'probe.scan.finished');
  assert.equal((await admin.client.get(`/api/v1/webhooks/endpoints/${ep.json.id}/messages`)).json[0].state, 'delivered');
});

test('410 disables the endpoint; nothing more is queued for it until an admin enables it again', async () => {
  const rx = await startReceiver();
  const t = await tenantWithEndpoint(rx.port, '/gone', ['probe.scan.requested', 'probe.scan.approved']);
  await finishedScan(s, { tenantId: t.tenantId });
  offset = 0;
  await drainNow();
  const ep = (await t.admin.client.get('/api/v1/webhooks/endpoints')).json[0];
  assert.equal(ep.enabled, false);
  assert.match(ep.disabled_reason, /410/);
  const msgs = (await t.admin.client.get(`/api/v1/webhooks/endpoints/${t.endpointId}/messages`)).json;
  const states = msgs.map((m: { state: string }) => m.state).sort();
  // Both were sent at once (or one after the 410 disabled the endpoint): each is cancelled, none is retried.
  assert.deepEqual(states, ['cancelled', 'cancelled']);
  // The disable is audited once, by the delivery job, in the transaction that disabled it.
  const disabled = await s.asAdmin(async (a) => (await a.query<{ actor_id: string; target_id: string; details: { reason: string } }>(`SELECT actor_id, target_id, details FROM audit_log WHERE tenant_id = $1 AND action = 'webhook.endpoint.disabled'`, [t.tenantId])).rows);
  assert.deepEqual(disabled.map((r) => [r.actor_id, r.target_id]), [['webhooks', t.endpointId]]);
  assert.match(disabled[0]!.details.reason, /410 Gone/);
  offset += 4 * 86400_000;
  assert.equal(await drainNow(), 0, 'a cancelled message is not retried');
  const before = msgs.length;
  await finishedScan(s, { tenantId: t.tenantId });
  assert.equal((await t.admin.client.get(`/api/v1/webhooks/endpoints/${t.endpointId}/messages`)).json.length, before);
  const en = await t.admin.client.request('PATCH', `/api/v1/webhooks/endpoints/${t.endpointId}`, { json: { enabled: true } });
  assert.equal(en.json.enabled, true);
  assert.equal(en.json.disabled_reason, null);
});

test('send test event: delivered and verified; a redirecting receiver is refused with its own code; findings arrive as OCSF Compliance Finding', async () => {
  const rx = await startReceiver();
  const t = await tenantWithEndpoint(rx.port, '/ok', ['probe.finding.opened']);
  const r = await t.admin.client.post(`/api/v1/webhooks/endpoints/${t.endpointId}/test`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.delivered, true);
  assert.equal(r.json.status, 200);
  const red = await t.admin.client.post('/api/v1/webhooks/endpoints', { url: `https://localhost:${rx.port}/redirect` });
  await call(rx.port, 'POST', '/_config', { path: '/redirect', secret: red.json.secret });
  const rr = await t.admin.client.post(`/api/v1/webhooks/endpoints/${red.json.id}/test`);
  assert.equal(rr.status, 422);
  assert.equal(rr.json.code, 'webhook_redirect_refused');
  await t.admin.client.request('DELETE', `/api/v1/webhooks/endpoints/${red.json.id}`);

  const { scanId, op } = await finishedScan(s, { tenantId: t.tenantId });
  assert.equal((await op.client.get(`/api/v1/probe/scans/${scanId}/report`)).status, 200);
  offset = 0;
  assert.equal(await drainNow(), 1);
  const got = await call(rx.port, 'GET', '/_log');
  const f = got.find((g: { type: string }) => g.type === 'probe.finding.opened');
  assert.ok(f?.verified);
  const data = JSON.parse(f.body).data;
  assert.equal(data.class_uid, 2003);
  assert.equal(data.category_uid, 2);
  assert.equal(data.type_uid, 200301);
  assert.equal(data.severity_id, 4);
  assert.equal(data.compliance.status, 'Fail');
  assert.equal(data.finding_info.related_events[0].uid, scanId);
  assert.equal(got.find((g: { type: string }) => g.type === 'webhook.test.sent')?.verified, true);
});

test('renamed event types: a former name is accepted and shown under its current name; a subscription stored under a former name still receives the event', async () => {
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  assert.equal((await admin.client.request('PUT', '/api/v1/webhooks/settings', { json: { allow_private_cidrs: ['127.0.0.0/8'] } })).status, 200);
  const ep = await admin.client.post('/api/v1/webhooks/endpoints', { url: 'https://localhost:9/old', events: ['probe.scan.progress', 'probe.scan.progressed', 'probe.scan.finished'] });
  assert.equal(ep.status, 201, ep.text);
  assert.deepEqual(ep.json.events, ['probe.scan.progressed', 'probe.scan.finished']);
  // As a server before the rename stored it; and one endpoint subscribed to something else.
  await s.asAdmin((a) => a.query(`UPDATE webhook_endpoints SET events = ARRAY['probe.scan.progress'] WHERE id = $1`, [ep.json.id]));
  const other = await admin.client.post('/api/v1/webhooks/endpoints', { url: 'https://localhost:9/other', events: ['probe.scan.finished'] });
  assert.deepEqual((await admin.client.get('/api/v1/webhooks/endpoints')).json.find((e: { id: string }) => e.id === ep.json.id).events, ['probe.scan.progressed']);
  const at = new Date();
  const ids = await s.db.tx({ tenantId: admin.tenantId }, (q) =>
    enqueue(q, admin.tenantId, 'probe.scan.progressed', at, (uid) => scanActivity('probe.scan.progressed', { tenantId: admin.tenantId, scanId: '00000000-0000-0000-0000-000000000001', scopeId: 'lab', scopeVersion: 1, state: 'running', at, progress: { done: 1, planned: 4 } }, uid)),
  );
  assert.equal(ids.length, 1, 'only the endpoint subscribed under the former name');
  const msgs = (await admin.client.get(`/api/v1/webhooks/endpoints/${ep.json.id}/messages`)).json;
  assert.deepEqual(msgs.map((m: { event_type: string }) => m.event_type), ['probe.scan.progressed']);
  assert.deepEqual((await admin.client.get(`/api/v1/webhooks/endpoints/${other.json.id}/messages`)).json, []);
});
