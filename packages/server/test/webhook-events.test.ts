/**
 * SIEM events that the webhook suite does not drive, each produced by the real code path that
 * emits it and delivered through the platform outbox to the receiver process, which verifies
 * every delivery with the `standardwebhooks` package:
 *  - scan progress milestones (25/50/75 %) from result batches posted by an enrolled worker
 *    over the signed device API;
 *  - finding.opened on the first scan and finding.resolved on a second scan of the scope
 *    where the same ports came back as the expected policy wants;
 *  - audit.integrity.failed when a checkpoint is requested over a log whose newest entries
 *    were cut by a database superuser.
 * PGlite, and PostgreSQL with DATABASE_URL.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { fileURLToPath } from 'node:url';
import { canonicalJson } from '@parapet/core';
import { startTestServer, type TestServer } from '../src/testing.js';
import { createSelfSigned } from '../src/tls/certificate.js';
import { outboxFor } from '../src/platform/outbox.js';
import { milestoneCrossed } from '../src/webhooks/events.js';
import { enrollWorker, newOrg, requestScan, scopeDoc, uploadScope, type Org } from '../../worker/test/harness.js';

const RECEIVER = fileURLToPath(new URL('./fixtures/webhook-receiver.mjs', import.meta.url));
let s: TestServer;
let dir: string;
let tls: { cert: string; key: string };
let rx: { port: number; proc: ChildProcess };
let org: Org;

type Got = { path: string; id: string; n: number; verified: boolean; status: number; type: string; body: string };

function call(method: string, path: string, body?: unknown): Promise<any> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: rx.port, path, method, ca: tls.cert, servername: 'localhost', headers: { 'content-type': 'application/json' } }, (res) => {
      let t = '';
      res.on('data', (c) => (t += c));
      res.on('end', () => resolve(t ? JSON.parse(t) : undefined));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
/** Drains the outbox, then returns what the receiver got on `path` of `type`, oldest first, bodies parsed. */
async function received(path: string, type?: string): Promise<Array<Got & { data: any }>> {
  await outboxFor(s.db).drainAll();
  const log = (await call('GET', '/_log')) as Got[];
  return log.filter((g) => g.path === path && (!type || g.type === type)).map((g) => ({ ...g, data: JSON.parse(g.body).data }));
}
async function endpoint(path: string, events: string[]): Promise<string> {
  const ep = await org.admin.client.post('/api/v1/webhooks/endpoints', { url: `https://localhost:${rx.port}${path}`, events });
  assert.equal(ep.status, 201, ep.text);
  await call('POST', '/_config', { path, secret: ep.json.secret });
  return ep.json.id;
}
const result = (address: string, port: number, outcome: 'open' | 'closed') => {
  const transcript = { address, port, outcome };
  return { target: address, address, port, probe_type: 'tcp_connect', outcome, reason: outcome === 'open' ? 'syn_ack' : 'econnrefused', started_at: new Date().toISOString(), duration_ms: 2, observed: {}, transcript, transcript_sha256: createHash('sha256').update(canonicalJson(transcript)).digest('hex') };
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parapet-webhook-events-'));
  tls = await createSelfSigned(['localhost']);
  await writeFile(join(dir, 'cert.pem'), tls.cert);
  await writeFile(join(dir, 'key.pem'), tls.key);
  process.env.PARAPET_WEBHOOK_CA_FILE = join(dir, 'cert.pem');
  s = await startTestServer();
  // Delivery only when the test drains, so each assertion sees exactly what was enqueued.
  outboxFor(s.db).automatic = false;
  const proc = spawn(process.execPath, [RECEIVER], { env: { ...process.env, CERT: join(dir, 'cert.pem'), KEY: join(dir, 'key.pem'), PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    proc.stdout!.once('data', (d: Buffer) => resolve(d.toString()));
    proc.once('exit', (c) => reject(new Error(`receiver exited ${c}`)));
  });
  rx = { port: JSON.parse(line).port, proc };
  org = await newOrg(s);
  assert.equal((await org.admin.client.request('PUT', '/api/v1/webhooks/settings', { json: { allow_private_cidrs: ['127.0.0.0/8'] } })).status, 200);
});
after(async () => {
  rx?.proc.kill('SIGTERM');
  await s?.close();
});

test('milestones: each of 25, 50 and 75 % is crossed once, over many splits of a scan into batches', () => {
  assert.equal(milestoneCrossed(0, 1, 4), 25);
  assert.equal(milestoneCrossed(1, 2, 4), 50);
  assert.equal(milestoneCrossed(2, 4, 4), 75, 'a batch that crosses 75 % and finishes reports 75');
  assert.equal(milestoneCrossed(0, 4, 4), 75, 'one batch over all three reports the highest only');
  assert.equal(milestoneCrossed(3, 4, 4), undefined);
  assert.equal(milestoneCrossed(0, 5, 0), undefined, 'nothing planned: no milestone');
  // Over any split of 1..planned into batches, the milestones reported are increasing and each at most once.
  for (const planned of [1, 3, 4, 7, 100]) {
    for (let seed = 1; seed <= 20; seed++) {
      let done = 0;
      const hits: number[] = [];
      while (done < planned) {
        const step = 1 + ((seed * 7 + done * 13) % Math.max(1, Math.ceil(planned / 3)));
        const next = Math.min(planned, done + step);
        const m = milestoneCrossed(done, next, planned);
        if (m !== undefined) hits.push(m);
        done = next;
      }
      assert.deepEqual(hits, [...new Set(hits)].sort((a, b) => a - b), `planned ${planned}, seed ${seed}: ${hits}`);
      assert.ok(hits.at(-1) === 75 || planned < 2, `the last milestone reached is 75 (planned ${planned}: ${hits})`);
    }
  }
});

test('a worker posting results crosses 25, 50 and 75 %: one verified probe.scan.progressed each, with probes done/planned; then started and finished', async () => {
  await endpoint('/ok', ['probe.scan.started', 'probe.scan.progressed', 'probe.scan.finished']);
  await uploadScope(org, scopeDoc(org, 'events', { expected_policy: [{ cidr: '10.0.0.30/32', open_ports: [443] }] }));
  const scanId = await requestScan(org, { scope_id: 'events', targets: ['10.0.0.30'], ports: [22, 80, 443, 8080], probe_types: ['tcp_connect'], rate_pps: 10 });
  const w = await enrollWorker(s, org, 'events-worker');
  const post = async (path: string, body: unknown) => {
    const r = await w.client.request('POST', path, body);
    assert.ok(r.status < 300, `${path}: ${r.status} ${JSON.stringify(r.json())}`);
    return r.json();
  };
  const l = await post('/api/v1/probe/jobs/lease', {});
  assert.equal(l.scan.id, scanId);
  await post(`/api/v1/probe/jobs/${l.lease_id}/renew`, { planned_probes: 4 });
  const progress = async () => (await received('/ok', 'probe.scan.progressed')).filter((g) => g.data.scan.uid === scanId);
  await post(`/api/v1/probe/jobs/${l.lease_id}/results`, { batch_id: randomUUID(), results: [result('10.0.0.30', 22, 'open')] });
  assert.deepEqual((await progress()).map((g) => g.data.unmapped), [{ probes_done: 1, probes_planned: 4 }]);
  const batch2 = randomUUID();
  await post(`/api/v1/probe/jobs/${l.lease_id}/results`, { batch_id: batch2, results: [result('10.0.0.30', 80, 'closed')] });
  // A retried batch (same batch id) is a replay: no second 50 % event.
  await post(`/api/v1/probe/jobs/${l.lease_id}/results`, { batch_id: batch2, results: [result('10.0.0.30', 80, 'closed')] });
  await post(`/api/v1/probe/jobs/${l.lease_id}/results`, { batch_id: randomUUID(), results: [result('10.0.0.30', 443, 'closed'), result('10.0.0.30', 8080, 'closed')] });
  await post(`/api/v1/probe/jobs/${l.lease_id}/finish`, { outcome: 'finished' });
  const got = await progress();
  assert.deepEqual(got.map((g) => g.data.unmapped), [{ probes_done: 1, probes_planned: 4 }, { probes_done: 2, probes_planned: 4 }, { probes_done: 4, probes_planned: 4 }]);
  assert.ok(got.every((g) => g.verified && g.status === 200 && g.data.class_uid === 6007 && g.data.activity_name === 'Progress' && g.data.type_uid === 600799));
  assert.equal(new Set(got.map((g) => g.id)).size, 3, 'three logical messages');
  const all = (await received('/ok')).filter((g) => g.data.scan?.uid === scanId).map((g) => g.type);
  assert.deepEqual(all.filter((t) => t !== 'probe.scan.progressed'), ['probe.scan.started', 'probe.scan.finished']);
});

test('finding.opened on the first scan, finding.resolved on the next one where the ports are as expected', async () => {
  await endpoint('/findings', ['probe.finding.opened', 'probe.finding.resolved']);
  await uploadScope(org, scopeDoc(org, 'trend', { expected_policy: [{ cidr: '10.0.0.40/32', open_ports: [443] }] }));
  const w = await enrollWorker(s, org, 'trend-worker');
  const scan = async (outcomes: Record<number, 'open' | 'closed'>) => {
    const scanId = await requestScan(org, { scope_id: 'trend', targets: ['10.0.0.40'], ports: [22, 443], probe_types: ['tcp_connect'], rate_pps: 10 });
    const post = async (path: string, body: unknown) => (await w.client.request('POST', path, body)).json();
    const l = await post('/api/v1/probe/jobs/lease', {});
    assert.equal(l.scan.id, scanId);
    await post(`/api/v1/probe/jobs/${l.lease_id}/results`, { batch_id: randomUUID(), results: [result('10.0.0.40', 22, outcomes[22]!), result('10.0.0.40', 443, outcomes[443]!)] });
    await post(`/api/v1/probe/jobs/${l.lease_id}/finish`, { outcome: 'finished' });
    // The report is made on first request; the finding events go out with it.
    const rep = await org.operator.client.get(`/api/v1/probe/scans/${scanId}/report`);
    assert.equal(rep.status, 200, rep.text);
    return scanId;
  };
  // First scan: 22 open (not expected) and 443 closed (expected open): two findings opened.
  const first = await scan({ 22: 'open', 443: 'closed' });
  const opened = (await received('/findings', 'probe.finding.opened')).filter((g) => g.data.finding_info.related_events[0].uid === first);
  assert.equal(opened.length, 2, JSON.stringify(opened.map((g) => g.data.finding_info)));
  assert.ok(opened.every((g) => g.verified && g.data.class_uid === 2003 && g.data.activity_id === 1 && g.data.compliance.status === 'Fail'));
  assert.deepEqual(opened.map((g) => g.data.resources[0].data.port).sort(), [22, 443]);
  assert.deepEqual(await received('/findings', 'probe.finding.resolved'), []);
  // Second scan: as the policy wants. Both findings resolve; nothing new opens.
  const second = await scan({ 22: 'closed', 443: 'open' });
  const resolved = (await received('/findings', 'probe.finding.resolved')).filter((g) => g.data.finding_info.related_events[0].uid === second);
  assert.equal(resolved.length, 2);
  assert.ok(resolved.every((g) => g.verified && g.status === 200 && g.data.activity_id === 3 && g.data.activity_name === 'Close' && g.data.status === 'Resolved' && g.data.compliance.status === 'Pass' && g.data.type_uid === 200303));
  assert.deepEqual(resolved.map((g) => g.data.finding_info.uid).sort(), opened.map((g) => g.data.finding_info.uid).sort(), 'the same findings that opened are the ones resolved');
  assert.equal((await received('/findings', 'probe.finding.opened')).filter((g) => g.data.finding_info.related_events[0].uid === second).length, 0);
});

test('a log cut by a database superuser: the requested checkpoint is refused and every subscribed SIEM gets a verified audit.integrity.failed', async () => {
  await endpoint('/integrity', ['audit.integrity.failed']);
  const cp = await org.admin.client.post('/api/v1/audit/checkpoints', {});
  assert.equal(cp.status, 201, cp.text);
  const size = Number(cp.json.tree_size);
  assert.ok(size >= 3, JSON.stringify(cp.json));
  assert.deepEqual(await received('/integrity'), [], 'an intact log alerts nobody');
  await s.asAdmin((x) =>
    x.transaction(async (t) => {
      await t.exec(`SET LOCAL ROLE parapet_owner;`);
      const trig = (await t.query<{ tgname: string; tgenabled: string }>(`SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal`)).rows;
      for (const r of trig) await t.exec(`ALTER TABLE audit_log DISABLE TRIGGER ${r.tgname}`);
      await t.exec(`ALTER TABLE audit_log NO FORCE ROW LEVEL SECURITY`);
      await t.query(`DELETE FROM audit_log WHERE tenant_id = $1 AND seq > $2`, [org.tenantId, size - 2]);
      for (const r of trig) await t.exec(`ALTER TABLE audit_log ENABLE ${r.tgenabled === 'A' ? 'ALWAYS ' : ''}TRIGGER ${r.tgname}`);
      await t.exec(`ALTER TABLE audit_log FORCE ROW LEVEL SECURITY`);
      await t.exec(`RESET ROLE;`);
    }),
  );
  const again = await org.admin.client.post('/api/v1/audit/checkpoints', {});
  assert.equal(again.status, 409, again.text);
  assert.equal(again.json.code, 'audit_log_tampered');
  const got = await received('/integrity');
  assert.equal(got.length, 1);
  const a = got[0]!;
  assert.equal(a.type, 'audit.integrity.failed');
  assert.ok(a.verified);
  assert.equal(a.status, 200);
  assert.equal(a.data.class_uid, 2004);
  assert.equal(a.data.category_uid, 2);
  assert.equal(a.data.severity_id, 5);
  assert.equal(a.data.metadata.tenant_uid, org.tenantId);
  assert.match(a.data.message, /entries were removed/);
});
