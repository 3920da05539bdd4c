/**
 * CORE-ANOMALY to the SIEM: a burst of data reads by a manager is scored by the server's own
 * anomaly job and delivered by its own webhook drainer to a real HTTPS receiver that verifies
 * the Standard Webhooks signature with an independent implementation. The time from the end of
 * the burst to the receiver's log is measured and printed (the job runs every 15 s).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, loginAs, createUser, type TestServer } from '../src/testing.js';
import { createSelfSigned } from '../src/tls/certificate.js';
import { recordAudit } from '../src/platform/audit.js';
import { ANOMALY_JOB_INTERVAL_MS } from '../src/governance/routes.js';

const RECEIVER = fileURLToPath(new URL('./fixtures/webhook-receiver.mjs', import.meta.url));
let s: TestServer;
let dir: string;
let tls: { cert: string; key: string };
let receiver: ChildProcess | undefined;
let port = 0;

function call(method: string, path: string, body?: unknown): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
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

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parapet-anomaly-wh-'));
  tls = await createSelfSigned(['localhost']);
  await writeFile(join(dir, 'cert.pem'), tls.cert);
  await writeFile(join(dir, 'key.pem'), tls.key);
  process.env.PARAPET_WEBHOOK_CA_FILE = join(dir, 'cert.pem');
  receiver = spawn(process.execPath, [RECEIVER], { env: { ...process.env, CERT: join(dir, 'cert.pem'), KEY: join(dir, 'key.pem'), PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    receiver!.stdout!.once('data', (d: Buffer) => resolve(d.toString()));
    receiver!.once('exit', (c) => reject(new Error(`receiver exited ${c}`)));
  });
  port = JSON.parse(line).port;
  s = await startTestServer();
});
after(async () => {
  receiver?.kill('SIGTERM');
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

test('a manager reading far beyond their baseline reaches the SIEM as a signed governance.anomaly.detected Detection Finding', async (ctx) => {
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const tenantId = admin.tenantId;
  assert.equal((await admin.client.request('PUT', '/api/v1/webhooks/settings', { json: { allow_private_cidrs: ['127.0.0.0/8'] } })).status, 200);
  const ep = await admin.client.post('/api/v1/webhooks/endpoints', { url: `https://localhost:${port}/ok`, events: ['governance.anomaly.detected'] });
  assert.equal(ep.status, 201, ep.text);
  await call('POST', '/_config', { path: '/ok', secret: ep.json.secret });
  // Control: a quiet reader (below the floor) in the same hour raises nothing.
  const quiet = await createUser(s.db, tenantId, { roles: ['manager'], email: 'quiet.manager@anomaly.test' });
  const manager = await createUser(s.db, tenantId, { roles: ['manager'], email: 'mo.manager@anomaly.test' });
  await s.db.tx({ tenantId }, async (q) => {
    for (let i = 0; i < 5; i++) await recordAudit(q, tenantId, { type: 'user', id: quiet.userId, name: quiet.email }, { action: 'authz.access.allowed', outcome: 'success', details: { action: 'pulse.activity.read', decision: 'allow', policies: [] }, purpose: 'wellbeing', target: { type: 'pulse_person', id: `q${i}` } });
  });
  // The burst: 120 reads of people's data in one go.
  await s.db.tx({ tenantId }, async (q) => {
    for (let i = 0; i < 120; i++) await recordAudit(q, tenantId, { type: 'user', id: manager.userId, name: manager.email, ip: '192.0.2.7' }, { action: 'authz.access.allowed', outcome: 'success', details: { action: 'pulse.activity.read', decision: 'allow', policies: [] }, purpose: 'wellbeing', target: { type: 'pulse_person', id: `p${i}` } });
  });
  const burstEnd = Date.now();

  type Got = { id: string; verified: boolean; status: number; body: string; type: string };
  let got: Got | undefined;
  const deadline = burstEnd + 4 * ANOMALY_JOB_INTERVAL_MS + 30_000;
  while (!got && Date.now() < deadline) {
    got = ((await call('GET', '/_log')) as Got[]).find((g) => g.type === 'governance.anomaly.detected');
    if (!got) await sleep(250);
  }
  const elapsed = Date.now() - burstEnd;
  assert.ok(got, 'the anomaly reached the receiver');
  ctx.diagnostic(`burst to verified webhook delivery: ${elapsed} ms (anomaly job every ${ANOMALY_JOB_INTERVAL_MS} ms)`);
  assert.equal(got.verified, true, 'the receiver verified the Standard Webhooks signature');
  assert.equal(got.status, 200);

  const body = JSON.parse(got.body) as { type: string; data: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(body.type, 'governance.anomaly.detected');
  assert.equal(body.data.class_uid, 2004);
  assert.equal(body.data.type_uid, 200401);
  assert.equal(body.data.severity_id, 4);
  assert.equal(body.data.metadata.tenant_uid, tenantId);
  assert.equal(body.data.actor.user.uid, manager.userId);
  assert.equal(body.data.observables.find((o: { name: string }) => o.name === 'count').value, '120');
  // The person's address and IP stay inside Parapet.
  assert.ok(!got.body.includes(manager.email) && !got.body.includes('192.0.2.7'), got.body);

  const alerts = await admin.client.get('/api/v1/governance/alerts?open=true');
  assert.equal(alerts.status, 200, alerts.text);
  assert.deepEqual(alerts.json.alerts.map((a: { actor_id: string }) => a.actor_id), [manager.userId], 'only the burst, not the quiet reader');
  assert.equal(body.data.finding_info.uid, alerts.json.alerts[0].id);
  const log = await s.db.tx({ tenantId }, (q) => q.query<{ action: string; details: { alert_id?: string } }>(`SELECT action, details FROM audit_log WHERE action = 'governance.anomaly.detected'`));
  assert.equal(log.rows.length, 1);
  assert.equal(log.rows[0]!.details.alert_id, alerts.json.alerts[0].id);
  // One message for one alert: the next job runs raise nothing new within the hour.
  // Webhook deliveries are platform outbox messages (migration 0460), one per event and endpoint.
  const msgs = await s.db.tx({ tenantId }, (q) => q.query(`SELECT 1 FROM outbox WHERE topic = 'webhook.delivery' AND payload->>'event_type' = 'governance.anomaly.detected'`));
  assert.equal(msgs.rows.length, 1);
});
