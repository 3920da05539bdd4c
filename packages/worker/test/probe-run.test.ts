/**
 * Probe end to end on real loopback services (services.ts): enroll parapet-worker with its
 * real binary, request a production scan, approve it twice, `parapet-worker run --once`, then
 * assert each probe state, the findings and the evidence, and that nmap -sT agrees on
 * open/closed. Also: a killed worker's job resumes on another worker without re-probing what
 * was recorded; refusals at probe time (DNS rebinding, tampered scope) send nothing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalJson } from '@parapet/core';
import { startTestServer, type TestServer } from '@parapet/server/testing';
import { runBin } from '@parapet/device-client/testing';
import { loadSafetyProfile } from '../src/embedded-profile.js';
import { runJob } from '../src/run.js';
import { enrollWorker, newOrg, requestScan, scopeDoc, uploadScope, type Org } from './harness.js';
import { nmapConnect, startServices, type Services } from '../src/lab/services.js';

const bin = fileURLToPath(new URL('../bin/parapet-worker.js', import.meta.url));
let s: TestServer;
let org: Org;
let svc: Services;
before(async () => {
  s = await startTestServer(process.env.PROBE_DEBUG ? { PARAPET_LOG_LEVEL: 'error' } : {});
  org = await newOrg(s);
  svc = await startServices();
});
after(async () => {
  await svc?.close();
  await s?.close();
});

test('full flow: enrolled worker runs an approved scan of real services; states, findings and evidence are right; nmap agrees', async () => {
  const { address: A, legacyTls, modernTls, http, banner, closed } = svc;
  const ports = [legacyTls, modernTls, http, banner, closed];
  await uploadScope(org, scopeDoc(org, 'loopback-lab', { environment: 'production', expected_policy: [{ cidr: `${A}/32`, open_ports: [legacyTls, modernTls, http, closed] }] }));
  const r = await org.operator.client.post('/api/v1/probe/scans', { scope_id: 'loopback-lab', version: 1, targets: [A], ports, probe_types: ['tcp_connect', 'banner', 'tls', 'http_headers'], rate_pps: 200 });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.state, 'requested');
  const scanId = r.json.id as string;
  assert.equal((await org.lead.client.post(`/api/v1/probe/scans/${scanId}/approve`, { comment: 'lab' })).json.state, 'requested');
  assert.equal((await org.admin.client.post(`/api/v1/probe/scans/${scanId}/approve`, { comment: 'lab' })).json.state, 'queued');

  // The real binary: enroll with a token, then run one job.
  const t = await org.admin.client.post('/api/v1/devices/enrollment-tokens', { kind: 'worker' });
  const { dir } = { dir: await (await import('node:fs/promises')).mkdtemp(join((await import('node:os')).tmpdir(), 'pw-bin-')) };
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, s.ca);
  const e = await runBin(bin, ['enroll', '--server', s.url, '--token', t.json.token, '--ca', caFile, '--state-dir', join(dir, 'state'), '--key-store', 'file', '--name', 'lab-worker']);
  assert.equal(e.code, 0, e.stderr);
  const run = await runBin(bin, ['run', '--once', '--state-dir', join(dir, 'state')]);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout, new RegExp(`Finished scan ${scanId}`));

  const scan = await org.operator.client.get(`/api/v1/probe/scans/${scanId}`);
  assert.equal(scan.json.state, 'finished');
  // The run records the safety profile the worker ran under: version and digest of the signed document.
  const embedded = loadSafetyProfile();
  assert.equal(scan.json.leases.length, 1);
  assert.equal(scan.json.leases[0].safety_profile_version, embedded.version);
  assert.equal(scan.json.leases[0].safety_profile_sha256, createHash('sha256').update(canonicalJson(embedded)).digest('hex'));
  const leasedAudit = await s.asAdmin(async (q) => (await q.query<{ details: { safety_profile_version: number } }>(`SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'probe.scan.leased' ORDER BY seq DESC LIMIT 1`, [org.tenantId])).rows[0]);
  assert.equal(leasedAudit?.details.safety_profile_version, embedded.version);
  const results = (await org.operator.client.get(`/api/v1/probe/scans/${scanId}/results`)).json as Array<{ port: number; probe_type: string; outcome: string; reason: string; observed: any; evidence_id: string; evidence_sha256: string }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const get = (port: number, type: string) => results.find((x) => x.port === port && x.probe_type === type);
  // Connect states.
  for (const p of [legacyTls, modernTls, http, banner]) assert.equal(get(p, 'tcp_connect')?.outcome, 'open', `port ${p}`);
  assert.equal(get(closed, 'tcp_connect')?.outcome, 'closed');
  assert.equal(results.filter((x) => x.port === closed).length, 1, 'nothing but the connect probe on a closed port');
  // TLS facts.
  const lt = get(legacyTls, 'tls')!.observed.tls;
  assert.deepEqual(lt.versions, { TLSv1: true, 'TLSv1.1': true, 'TLSv1.2': true, 'TLSv1.3': false });
  assert.equal(lt.ciphers.TLSv1, 'AES128-SHA');
  assert.equal(lt.cert.key_type, 'rsa');
  assert.equal(lt.cert.key_bits, 1024);
  assert.equal(lt.cert.signature_algorithm, 'sha1WithRSAEncryption');
  assert.equal(lt.cert.self_signed, true);
  assert.equal(lt.cert.name_matches, false);
  assert.equal(lt.cert.not_after, '2021-01-01T00:00:00.000Z');
  const mt = get(modernTls, 'tls')!.observed.tls;
  assert.deepEqual(mt.versions, { TLSv1: false, 'TLSv1.1': false, 'TLSv1.2': false, 'TLSv1.3': true });
  assert.match(mt.ciphers['TLSv1.3'], /^TLS_/);
  assert.equal(mt.cert.key_type, 'ec');
  assert.equal(mt.cert.key_bits, 256);
  assert.equal(mt.cert.name_matches, true);
  assert.equal(get(http, 'tls')!.outcome, 'no_data');
  // HTTP: the redirect to /landing (same host, a scanned port) was followed.
  const h = get(http, 'http_headers')!.observed.http;
  assert.equal(h.scheme, 'http');
  assert.equal(h.status, 200);
  assert.deepEqual(h.redirects, [{ location: `http://${A}:${http}/landing`, followed: true }]);
  assert.equal(get(modernTls, 'http_headers')!.observed.http.scheme, 'https');
  // Banner: passive read.
  assert.equal(get(banner, 'banner')!.observed.banner.banner, 'SSH-2.0-OpenSSH_7.4\\r\\n');
  assert.equal(get(http, 'banner')!.outcome, 'no_data');

  // Findings.
  const f = (await org.operator.client.get(`/api/v1/probe/findings?scan_id=${scanId}`)).json as Array<{ kind: string; port: number; severity: string; status: string; evidence_id: string }>;
  const got = f.map((x) => `${x.port === legacyTls ? 'legacy' : x.port === modernTls ? 'modern' : x.port === http ? 'http' : x.port === banner ? 'banner' : x.port === closed ? 'closed' : x.port}:${x.kind}`).sort();
  assert.deepEqual(got, [
    'banner:banner_disclosure', 'banner:unexpected_open_port',
    'closed:expected_port_closed',
    'http:banner_disclosure', 'http:missing_csp', 'http:missing_framing_protection',
    'legacy:cert_expired', 'legacy:cert_name_mismatch', 'legacy:cert_self_signed', 'legacy:cert_weak_key', 'legacy:missing_csp', 'legacy:missing_framing_protection', 'legacy:missing_hsts', 'legacy:tls_legacy_version', 'legacy:tls_weak_cipher',
    'modern:cert_self_signed',
  ].sort());

  // Evidence: every result has one; the vault object is encrypted at rest, decrypts to a transcript matching its SHA-256.
  for (const x of results) assert.match(x.evidence_sha256, /^[0-9a-f]{64}$/);
  const ev = await org.lead.client.get(`/api/v1/probe/evidence/${get(banner, 'banner')!.evidence_id}`);
  assert.equal(ev.status, 200, ev.text);
  assert.equal(createHash('sha256').update(canonicalJson(ev.json.transcript)).digest('hex'), get(banner, 'banner')!.evidence_sha256);
  assert.equal(Buffer.from(ev.json.transcript.read_b64, 'base64').toString(), 'SSH-2.0-OpenSSH_7.4\r\n');
  const vdir = join(s.dataDir, 'vault', 'tenants', org.tenantId, 'probe', scanId);
  const leaseDir = (await readdir(vdir))[0]!;
  const files = (await readdir(join(vdir, leaseDir))).filter((n) => !n.endsWith('.meta.json'));
  assert.equal(files.length, results.length);
  for (const n of files) assert.ok(!(await readFile(join(vdir, leaseDir, n), 'utf8')).includes('OpenSSH'), `${n} is not plaintext`);

  // nmap -sT agrees on open/closed for the same targets.
  const nm = nmapConnect(A, ports);
  for (const p of ports) assert.equal(nm.get(p), get(p, 'tcp_connect')!.outcome, `nmap vs worker on port ${p}`);
});

test('a killed worker: the job resumes on another worker, nothing recorded is probed again, nothing is lost', async () => {
  await uploadScope(org, scopeDoc(org, 'resume-lab'));
  const ports = Array.from({ length: 40 }, (_, i) => 20000 + i); // nothing listens: 40 closed ports
  const scanId = await requestScan(org, { scope_id: 'resume-lab', targets: ['127.0.0.24'], ports, probe_types: ['tcp_connect'], rate_pps: 40 });
  const profile = loadSafetyProfile();
  const w1 = await enrollWorker(s, org, 'dies');
  const w2 = await enrollWorker(s, org, 'resumes');
  const kill = new AbortController();
  const r1 = await runJob({ client: w1.client, profile, batchSize: 5, flushMs: 50, leaseSeconds: 30, signal: kill.signal, onBatch: (_a, total) => total >= 10 && kill.abort() });
  assert.equal(r1.status, 'killed');
  const recorded1 = await s.asAdmin(async (q) => (await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM probe_results WHERE scan_id = $1`, [scanId])).rows[0]!.n);
  assert.ok(recorded1 >= 10 && recorded1 < 40, `recorded before the kill: ${recorded1}`);
  // While the dead worker's lease is live, nobody else gets the job.
  assert.equal((await runJob({ client: w2.client, profile })).status, 'idle');
  await s.asAdmin(async (q) => {
    await q.query(`UPDATE probe_scans SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [scanId]);
    await q.query(`UPDATE probe_job_leases SET expires_at = now() - interval '1 second' WHERE scan_id = $1 AND ended_at IS NULL`, [scanId]);
  });
  const r2 = await runJob({ client: w2.client, profile, batchSize: 5, flushMs: 50 });
  assert.equal(r2.status, 'finished');
  assert.equal(r2.attempts, 40 - recorded1, 'the second worker probed exactly what was not recorded');
  const rows = await s.asAdmin(async (q) => (await q.query<{ port: number; n: number; outcome: string }>(`SELECT port, count(*)::int AS n, min(outcome) AS outcome FROM probe_results WHERE scan_id = $1 GROUP BY port ORDER BY port`, [scanId])).rows);
  assert.deepEqual(rows.map((x) => Number(x.port)), ports);
  assert.ok(rows.every((x) => x.n === 1 && x.outcome === 'closed'));
  const leases = await s.asAdmin(async (q) => (await q.query<{ end_reason: string }>(`SELECT end_reason FROM probe_job_leases WHERE scan_id = $1 ORDER BY leased_at`, [scanId])).rows.map((x) => x.end_reason));
  assert.deepEqual(leases, ['expired', 'finished']);
});

async function countingListener(address: string): Promise<{ port: number; count: () => number; close: () => Promise<void> }> {
  let n = 0;
  const srv = createServer((c) => {
    n++;
    c.destroy();
  });
  await new Promise<void>((r) => srv.listen(0, address, () => r()));
  return { port: (srv.address() as { port: number }).port, count: () => n, close: () => new Promise((r) => srv.close(() => r())) };
}

test('refused at probe time: a host name that now resolves outside the scope (DNS rebinding) and a tampered scope; nothing is sent, the refusal is audited', async () => {
  const profile = loadSafetyProfile();
  const w = await enrollWorker(s, org, 'careful');
  await uploadScope(org, scopeDoc(org, 'rebind', { include: ['127.0.0.0/8', '::1/128'], exclude: ['127.0.0.99/32'] }));
  const trap = await countingListener('127.0.0.99');
  const good = await countingListener('127.0.0.1');
  try {
    // The server resolved "localhost" to loopback at request time; at probe time it points at the excluded address.
    const scanId = await requestScan(org, { scope_id: 'rebind', targets: ['localhost'], ports: [trap.port, good.port], probe_types: ['tcp_connect'], rate_pps: 10 });
    const r = await runJob({ client: w.client, profile, resolve: async () => ['127.0.0.99'] });
    assert.equal(r.status, 'refused');
    assert.match(r.detail!, /127\.0\.0\.99/);
    assert.equal(trap.count(), 0);
    const scan = await org.operator.client.get(`/api/v1/probe/scans/${scanId}`);
    assert.equal(scan.json.state, 'failed');
    const audit = await s.asAdmin(async (q) => (await q.query<{ outcome: string; details: { code: string } }>(`SELECT outcome, details FROM audit_log WHERE tenant_id = $1 AND action = 'probe.job.refused' ORDER BY seq DESC LIMIT 1`, [org.tenantId])).rows[0]);
    assert.equal(audit?.outcome, 'denied');
    assert.equal(audit?.details.code, 'target_excluded');

    // Rebinding in the middle of the job: fine at the start, the excluded address at the next resolution.
    const scan2 = await requestScan(org, { scope_id: 'rebind', targets: ['localhost'], ports: [good.port, trap.port], probe_types: ['tcp_connect'], rate_pps: 10 });
    let calls = 0;
    const r2 = await runJob({ client: w.client, profile, resolve: async () => (++calls === 1 ? ['127.0.0.1'] : ['127.0.0.99']) });
    assert.equal(r2.status, 'refused');
    assert.equal(trap.count(), 0, 'nothing reached the rebound address');
    assert.equal((await org.operator.client.get(`/api/v1/probe/scans/${scan2}`)).json.state, 'failed');

    // A scope whose stored envelope was altered in the database: the worker's own signature check refuses it.
    await uploadScope(org, scopeDoc(org, 'tampered'));
    const scan3 = await requestScan(org, { scope_id: 'tampered', targets: ['127.0.0.1'], ports: [good.port], probe_types: ['tcp_connect'], rate_pps: 10 });
    await s.asAdmin(async (q) => {
      const env = (await q.query<{ envelope: any }>(`SELECT envelope FROM probe_scopes WHERE tenant_id = $1 AND scope_id = 'tampered'`, [org.tenantId])).rows[0]!.envelope; // eslint-disable-line @typescript-eslint/no-explicit-any
      const e = typeof env === 'string' ? JSON.parse(env) : env;
      const doc = JSON.parse(Buffer.from(e.payload, 'base64').toString());
      doc.exclude = [];
      doc.include = ['0.0.0.0/0'];
      e.payload = Buffer.from(canonicalJson(doc)).toString('base64');
      await q.query(`UPDATE probe_scopes SET envelope = $2 WHERE tenant_id = $1 AND scope_id = 'tampered'`, [org.tenantId, JSON.stringify(e)]);
    });
    const before = good.count();
    const r3 = await runJob({ client: w.client, profile });
    assert.equal(r3.status, 'refused');
    assert.match(r3.detail!, /signature/);
    assert.equal(good.count(), before);
    assert.equal((await org.operator.client.get(`/api/v1/probe/scans/${scan3}`)).json.state, 'failed');
  } finally {
    await trap.close();
    await good.close();
  }
});

test('a service that answers 429, or 503 with Retry-After, is inconclusive (rate_limited) and judged for nothing; the same answer without Retry-After is judged', async () => {
  const profile = loadSafetyProfile();
  const w = await enrollWorker(s, org, 'polite');
  const A = '127.0.0.27';
  const answer = (status: number, retryAfter: boolean) =>
    createHttpServer((_req, res) => {
      res.statusCode = status;
      res.setHeader('server', 'Apache/2.4.1 (Unix)');
      if (retryAfter) res.setHeader('retry-after', '30');
      res.end('busy');
    });
  const servers = [answer(429, true), answer(503, true), answer(503, false), answer(429, false)];
  const ports: number[] = [];
  for (const srv of servers) ports.push(await new Promise<number>((r) => srv.listen(0, A, () => r((srv.address() as { port: number }).port))));
  try {
    await uploadScope(org, scopeDoc(org, 'busy-lab'));
    const scanId = await requestScan(org, { scope_id: 'busy-lab', targets: [A], ports, probe_types: ['tcp_connect', 'http_headers'], rate_pps: 20 });
    const r = await runJob({ client: w.client, profile });
    assert.equal(r.status, 'finished');
    assert.equal(r.scanId, scanId);
    const results = (await org.operator.client.get(`/api/v1/probe/scans/${scanId}/results`)).json as Array<{ port: number; probe_type: string; outcome: string; reason: string; observed: { http?: { status: number } } }>;
    const http = (p: number) => results.find((x) => x.port === p && x.probe_type === 'http_headers')!;
    const [tooMany, unavailable, plain503, bare429] = ports as [number, number, number, number];
    assert.deepEqual([http(tooMany).outcome, http(tooMany).reason, http(tooMany).observed.http?.status], ['inconclusive', 'rate_limited', 429]);
    assert.deepEqual([http(bare429).outcome, http(bare429).reason], ['inconclusive', 'rate_limited'], '429 means rate limited with or without Retry-After');
    assert.deepEqual([http(unavailable).outcome, http(unavailable).reason], ['inconclusive', 'rate_limited']);
    assert.deepEqual([http(plain503).outcome, http(plain503).reason], ['ok', 'status_503']);
    const findings = (await org.operator.client.get(`/api/v1/probe/findings?scan_id=${scanId}`)).json as Array<{ kind: string; port: number }>;
    const kindsAt = (p: number) => findings.filter((f) => f.port === p).map((f) => f.kind).sort();
    assert.deepEqual(kindsAt(tooMany), [], 'nothing is judged from a rate-limited answer');
    assert.deepEqual(kindsAt(bare429), []);
    assert.deepEqual(kindsAt(unavailable), []);
    assert.deepEqual(kindsAt(plain503), ['banner_disclosure', 'missing_csp', 'missing_framing_protection'], 'the same headers are judged when the answer is not a rate limit');
  } finally {
    for (const srv of servers) srv.close();
  }
});
