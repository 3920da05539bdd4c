/**
 * The worker job API against a real server: signed device requests, tenant isolation, lease
 * fencing, idempotent batches, takeover after a lease runs out, findings across scans.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { canonicalJson, type ProbeResultInput } from '@parapet/core';
import { startTestServer, type TestServer } from '@parapet/server/testing';
import type { DeviceClient } from '@parapet/device-client';
import { enrollWorker, newOrg, requestScan, scopeDoc, uploadScope, type Org } from './harness.js';

let s: TestServer;
let a: Org;
let b: Org;
before(async () => {
  s = await startTestServer(process.env.PROBE_DEBUG ? { PARAPET_LOG_LEVEL: 'error' } : {});
  a = await newOrg(s);
  b = await newOrg(s);
});
after(() => s.close());

function result(address: string, port: number, probe_type: ProbeResultInput['probe_type'], outcome: ProbeResultInput['outcome'], observed: ProbeResultInput['observed'] = {}, target = address): ProbeResultInput {
  const transcript = { address, port, probe_type, note: `transcript ${address}:${port}` };
  return { target, address, port, probe_type, outcome, reason: '', started_at: new Date().toISOString(), duration_ms: 3, observed, transcript, transcript_sha256: createHash('sha256').update(canonicalJson(transcript)).digest('hex') };
}
const post = async (c: DeviceClient, path: string, body: unknown = {}) => {
  const r = await c.request('POST', path, body);
  return { status: r.status, json: r.body.length ? r.json() : undefined };
};
async function expireLeases(scanId: string) {
  await s.asAdmin(async (q) => {
    await q.query(`UPDATE probe_scans SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [scanId]);
    await q.query(`UPDATE probe_job_leases SET expires_at = now() - interval '1 second' WHERE scan_id = $1 AND ended_at IS NULL`, [scanId]);
  });
}

test("a worker of organisation A only ever leases A's jobs; an agent cannot lease", async () => {
  await uploadScope(a, scopeDoc(a, 'iso'));
  await uploadScope(b, scopeDoc(b, 'iso'));
  const bScan = await requestScan(b, { scope_id: 'iso', targets: ['10.0.0.5'], ports: [22], probe_types: ['tcp_connect'], rate_pps: 10 });
  const aScan = await requestScan(a, { scope_id: 'iso', targets: ['10.0.0.5'], ports: [22], probe_types: ['tcp_connect'], rate_pps: 10 });
  const wa = await enrollWorker(s, a, 'wa');
  const first = await post(wa.client, '/api/v1/probe/jobs/lease');
  assert.equal(first.status, 200);
  assert.equal(first.json.scan.id, aScan);
  assert.equal(first.json.signing_keys.length, 1);
  // A's queue is empty now; B's job is queued but invisible to A's worker.
  assert.equal((await post(wa.client, '/api/v1/probe/jobs/lease')).status, 204);
  const bState = await s.asAdmin(async (q) => (await q.query<{ state: string }>(`SELECT state FROM probe_scans WHERE id = $1`, [bScan])).rows[0]!.state);
  assert.equal(bState, 'queued');
  // A's worker cannot report into B's scan through its own lease id either: a lease id from B is unknown to A.
  const wb = await enrollWorker(s, b, 'wb');
  const bl = await post(wb.client, '/api/v1/probe/jobs/lease');
  assert.equal(bl.json.scan.id, bScan);
  const cross = await post(wa.client, `/api/v1/probe/jobs/${bl.json.lease_id}/results`, { batch_id: randomUUID(), results: [result('10.0.0.5', 22, 'tcp_connect', 'open')] });
  assert.equal(cross.status, 404);
  assert.equal(cross.json.code, 'job_lease_unknown');
  // An agent device is not a worker.
  const t = await a.admin.client.post('/api/v1/devices/enrollment-tokens', { kind: 'agent' });
  const { DeviceClient: DC, FileKeyStore, kekFile } = await import('@parapet/device-client');
  const { mkdtemp } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'agent-'));
  const agent = await DC.enroll({ server: s.url, token: t.json.token, kind: 'agent', name: 'ag', store: new FileKeyStore(join(dir, 'k'), kekFile(join(dir, 'k.kek'))), statePath: join(dir, 's.json'), ca: s.ca });
  const ar = await post(agent, '/api/v1/probe/jobs/lease');
  assert.equal(ar.status, 403);
  assert.equal(ar.json.code, 'device_not_worker');
  // Unsigned requests are refused.
  const anon = await s.client().post('/api/v1/probe/jobs/lease', {});
  assert.equal(anon.status, 401);
});

test('batches are idempotent and checked; a lease that ran out is taken over and fenced; nothing is lost or recorded twice', async () => {
  await uploadScope(a, scopeDoc(a, 'resume', { expected_policy: [{ cidr: '10.0.0.0/24', open_ports: [22, 443] }] }));
  const scanId = await requestScan(a, { scope_id: 'resume', targets: ['10.0.0.7'], ports: [22, 80, 443], probe_types: ['tcp_connect', 'tls'], rate_pps: 10 });
  const w1 = await enrollWorker(s, a, 'w1');
  const w2 = await enrollWorker(s, a, 'w2');
  const l1 = await post(w1.client, '/api/v1/probe/jobs/lease', { lease_seconds: 30 });
  assert.equal(l1.json.scan.id, scanId);
  assert.deepEqual(l1.json.done, []);
  const batch = { batch_id: randomUUID(), results: [result('10.0.0.7', 22, 'tcp_connect', 'open'), result('10.0.0.7', 80, 'tcp_connect', 'open')] };
  const r1 = await post(w1.client, `/api/v1/probe/jobs/${l1.json.lease_id}/results`, batch);
  assert.deepEqual(r1.json, { accepted: 2, duplicates: 0, replayed: false });
  const again = await post(w1.client, `/api/v1/probe/jobs/${l1.json.lease_id}/results`, batch);
  assert.deepEqual(again.json, { accepted: 2, duplicates: 0, replayed: true });
  // Checks: outside the scope, a port not in the scan, a transcript that does not match its digest.
  const bad = [
    [result('10.0.1.7', 22, 'tcp_connect', 'open'), 'result_outside_scan'],
    [result('127.0.0.99', 22, 'tcp_connect', 'open'), 'result_outside_scan'],
    [result('10.0.0.7', 8080, 'tcp_connect', 'open'), 'result_outside_scan'],
    [result('10.0.0.7', 443, 'http_headers', 'ok'), 'result_outside_scan'],
    [{ ...result('10.0.0.7', 443, 'tcp_connect', 'open'), transcript: { changed: true } }, 'evidence_digest_mismatch'],
  ] as const;
  for (const [r, code] of bad) {
    const x = await post(w1.client, `/api/v1/probe/jobs/${l1.json.lease_id}/results`, { batch_id: randomUUID(), results: [r] });
    assert.equal(x.status, 422, JSON.stringify(x.json));
    assert.equal(x.json.code, code);
  }
  const renew = await post(w1.client, `/api/v1/probe/jobs/${l1.json.lease_id}/renew`, { lease_seconds: 30, planned_probes: 4 });
  assert.equal(renew.status, 200);

  // w1 "dies": its lease runs out; w2 takes the job over and is told what is done.
  await expireLeases(scanId);
  const l2 = await post(w2.client, '/api/v1/probe/jobs/lease', { lease_seconds: 30 });
  assert.equal(l2.json.scan.id, scanId);
  assert.deepEqual(l2.json.done.map((d: { port: number; outcome: string }) => `${d.port}:${d.outcome}`).sort(), ['22:open', '80:open']);
  // The old lease is fenced off: no renew, no results, no finish.
  for (const path of ['renew', 'results', 'finish']) {
    const body = path === 'results' ? { batch_id: randomUUID(), results: [result('10.0.0.7', 443, 'tcp_connect', 'open')] } : path === 'finish' ? { outcome: 'finished' } : {};
    const x = await post(w1.client, `/api/v1/probe/jobs/${l1.json.lease_id}/${path}`, body);
    assert.equal(x.status, 409, path);
    assert.equal(x.json.code, 'job_lease_ended');
  }
  // w2 reports the rest (repeating one already recorded, which is skipped) and finishes.
  const tls = { versions: { TLSv1: true, 'TLSv1.1': false, 'TLSv1.2': true, 'TLSv1.3': false }, ciphers: { TLSv1: 'ECDHE-RSA-AES256-SHA', 'TLSv1.2': 'AES256-GCM-SHA384' }, chain_length: 1,
    cert: { subject: 'CN=old', issuer: 'CN=old', not_before: '2020-01-01T00:00:00Z', not_after: '2021-01-01T00:00:00Z', key_type: 'rsa', key_bits: 1024, signature_algorithm: 'sha1WithRSAEncryption', self_signed: true, san: [], name_matches: false, name_checked: '10.0.0.7', sha256: 'x' } };
  const r2 = await post(w2.client, `/api/v1/probe/jobs/${l2.json.lease_id}/results`, { batch_id: randomUUID(), results: [result('10.0.0.7', 22, 'tcp_connect', 'open'), result('10.0.0.7', 443, 'tcp_connect', 'closed'), result('10.0.0.7', 22, 'tls', 'ok', { tls })] });
  assert.deepEqual(r2.json, { accepted: 2, duplicates: 1, replayed: false });
  const fin = await post(w2.client, `/api/v1/probe/jobs/${l2.json.lease_id}/finish`, { outcome: 'finished' });
  assert.equal(fin.status, 200, JSON.stringify(fin.json));
  const rows = await s.asAdmin(async (q) => (await q.query<{ port: number; probe_type: string; n: number }>(`SELECT port, probe_type, count(*)::int AS n FROM probe_results WHERE scan_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`, [scanId])).rows);
  assert.deepEqual(rows.map((r) => `${r.port}/${r.probe_type}:${r.n}`), ['22/tcp_connect:1', '22/tls:1', '80/tcp_connect:1', '443/tcp_connect:1']);
  const scan = await a.operator.client.get(`/api/v1/probe/scans/${scanId}`);
  assert.equal(scan.json.state, 'finished');

  // Findings: 80 unexpected, 443 expected but closed, TLS 1.0, weak cipher (RSA key exchange), expired, self-signed, wrong name, weak key.
  const f = await a.operator.client.get(`/api/v1/probe/findings?scan_id=${scanId}`);
  const kinds = f.json.map((x: { kind: string; port: number }) => `${x.kind}:${x.port}`).sort();
  assert.deepEqual(kinds, ['cert_expired:22', 'cert_name_mismatch:22', 'cert_self_signed:22', 'cert_weak_key:22', 'expected_port_closed:443', 'tls_legacy_version:22', 'tls_weak_cipher:22', 'unexpected_open_port:80']);
  for (const x of f.json) {
    assert.equal(x.status, 'open');
    assert.match(x.evidence_sha256, /^[0-9a-f]{64}$/);
  }
  // Evidence: the decrypted transcript matches its SHA-256 (auditors, leads, admins).
  const ev = await a.lead.client.get(`/api/v1/probe/evidence/${f.json[0].evidence_id}`);
  assert.equal(ev.status, 200, ev.text);
  assert.equal(createHash('sha256').update(canonicalJson(ev.json.transcript)).digest('hex'), ev.json.sha256);
  assert.match(ev.json.object_key, new RegExp(`^tenants/${a.tenantId}/probe/${scanId}/`));
  assert.equal((await a.operator.client.get(`/api/v1/probe/evidence/${f.json[0].evidence_id}`)).status, 403);
  assert.equal((await b.lead.client.get(`/api/v1/probe/evidence/${f.json[0].evidence_id}`)).status, 404);

  // A second scan of the same scope: port 80 now closed, 443 open, TLS fixed -> those findings resolve; first_seen stays.
  const scan2 = await requestScan(a, { scope_id: 'resume', targets: ['10.0.0.7'], ports: [22, 80, 443], probe_types: ['tcp_connect', 'tls'], rate_pps: 10 });
  const l3 = await post(w2.client, '/api/v1/probe/jobs/lease');
  assert.equal(l3.json.scan.id, scan2);
  const good = { ...tls, versions: { TLSv1: false, 'TLSv1.1': false, 'TLSv1.2': true, 'TLSv1.3': true }, ciphers: { 'TLSv1.2': 'ECDHE-RSA-AES128-GCM-SHA256', 'TLSv1.3': 'TLS_AES_256_GCM_SHA384' } };
  await post(w2.client, `/api/v1/probe/jobs/${l3.json.lease_id}/results`, { batch_id: randomUUID(), results: [result('10.0.0.7', 22, 'tcp_connect', 'open'), result('10.0.0.7', 80, 'tcp_connect', 'closed'), result('10.0.0.7', 443, 'tcp_connect', 'open'), result('10.0.0.7', 22, 'tls', 'ok', { tls: good })] });
  assert.equal((await post(w2.client, `/api/v1/probe/jobs/${l3.json.lease_id}/finish`, { outcome: 'finished' })).status, 200);
  const all = await a.operator.client.get('/api/v1/probe/findings?scope_id=resume');
  const by = Object.fromEntries(all.json.map((x: { kind: string; port: number }) => [`${x.kind}:${x.port}`, x]));
  for (const k of ['unexpected_open_port:80', 'expected_port_closed:443', 'tls_legacy_version:22', 'tls_weak_cipher:22']) {
    assert.equal(by[k].status, 'resolved', k);
    assert.equal(by[k].resolved_scan_id, scan2);
  }
  for (const k of ['cert_expired:22', 'cert_self_signed:22', 'cert_weak_key:22']) {
    assert.equal(by[k].status, 'open', k);
    assert.equal(by[k].first_scan_id, scanId);
    assert.equal(by[k].last_scan_id, scan2);
    assert.equal(by[k].times_seen, 2);
  }
});

test('a cancelled scan stops its worker: renew answers job_cancelled and the lease ends', async () => {
  await uploadScope(a, scopeDoc(a, 'cancel'));
  const scanId = await requestScan(a, { scope_id: 'cancel', targets: ['10.0.0.9'], ports: [22], probe_types: ['tcp_connect'], rate_pps: 10 });
  const w = await enrollWorker(s, a, 'wc');
  const l = await post(w.client, '/api/v1/probe/jobs/lease');
  assert.equal(l.json.scan.id, scanId);
  assert.equal((await a.operator.client.post(`/api/v1/probe/scans/${scanId}/cancel`)).status, 200);
  const r = await post(w.client, `/api/v1/probe/jobs/${l.json.lease_id}/renew`, {});
  assert.equal(r.status, 409);
  assert.equal(r.json.code, 'job_cancelled');
  const ended = await s.asAdmin(async (q) => (await q.query<{ end_reason: string }>(`SELECT end_reason FROM probe_job_leases WHERE id = $1`, [l.json.lease_id])).rows[0]!.end_reason);
  assert.equal(ended, 'cancelled');
});

test('live view: the scan event stream sends a snapshot, then results and the state change as they commit; other tenants get 404', async () => {
  const { request } = await import('node:https');
  await uploadScope(a, scopeDoc(a, 'live'));
  const scanId = await requestScan(a, { scope_id: 'live', targets: ['10.0.0.11'], ports: [22, 23], probe_types: ['tcp_connect'], rate_pps: 10 });
  const c = a.operator.client;
  const events: Array<{ event: string; data: any }> = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  let buf = '';
  const waiters: Array<() => void> = [];
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    const req = request(`${s.url}/api/v1/probe/scans/${scanId}/events`, { ca: s.ca, servername: 'localhost', headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } }, resolve);
    req.on('error', reject);
    req.end();
  });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/event-stream/);
  res.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const ev = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (ev && data) events.push({ event: ev, data: JSON.parse(data) });
      for (const w of waiters.splice(0)) w();
    }
  });
  const until = async (pred: () => boolean) => {
    while (!pred()) await new Promise<void>((r) => waiters.push(r));
  };
  await until(() => events.length >= 1);
  assert.equal(events[0]!.event, 'snapshot');
  assert.equal(events[0]!.data.scan.state, 'queued');
  assert.deepEqual(events[0]!.data.results, []);
  const w = await enrollWorker(s, a, 'live');
  const l = await post(w.client, '/api/v1/probe/jobs/lease');
  assert.equal(l.json.scan.id, scanId);
  await post(w.client, `/api/v1/probe/jobs/${l.json.lease_id}/renew`, { planned_probes: 2 });
  await post(w.client, `/api/v1/probe/jobs/${l.json.lease_id}/results`, { batch_id: randomUUID(), results: [result('10.0.0.11', 22, 'tcp_connect', 'open')] });
  await until(() => events.some((e) => e.event === 'results'));
  const r = events.find((e) => e.event === 'results')!.data;
  assert.equal(r.results[0].port, 22);
  assert.equal(r.results[0].outcome, 'open');
  assert.ok(events.some((e) => e.event === 'state' && e.data.planned_probes === 2));
  await post(w.client, `/api/v1/probe/jobs/${l.json.lease_id}/results`, { batch_id: randomUUID(), results: [result('10.0.0.11', 23, 'tcp_connect', 'closed')] });
  await post(w.client, `/api/v1/probe/jobs/${l.json.lease_id}/finish`, { outcome: 'finished' });
  await until(() => events.some((e) => e.event === 'state' && e.data.state === 'finished'));
  res.destroy();
  const progress = await c.get(`/api/v1/probe/scans/${scanId}/progress`);
  assert.equal(progress.json.planned, 2);
  assert.equal(progress.json.done, 2);
  assert.equal((await b.operator.client.get(`/api/v1/probe/scans/${scanId}/events`)).status, 404);
});
