/**
 * PROBE-REPORT end to end on the loopback lab (services.ts): a production scan approved twice
 * is run by the real parapet-worker binary; the server makes the signed report; its JSON and
 * PDF are downloaded as bytes, checked with `parapet report verify` (the real CLI, offline,
 * pinned to the published key and the audit log key), and every PDF page is rendered with
 * poppler's pdftoppm into artifacts/probe-report/.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer, type TestClient } from '@parapet/server/testing';
import { runBin } from '@parapet/device-client/testing';
import { newOrg, scopeDoc, uploadScope, type Org } from './harness.js';
import { startServices, type Services } from '../src/lab/services.js';

const bin = fileURLToPath(new URL('../bin/parapet-worker.js', import.meta.url));
const cli = fileURLToPath(new URL('../../cli/bin/parapet.js', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../../artifacts/probe-report/', import.meta.url));
let s: TestServer;
let org: Org;
let svc: Services;
before(async () => {
  s = await startTestServer();
  org = await newOrg(s);
  svc = await startServices();
});
after(async () => {
  await svc?.close();
  await s?.close();
});

/** GET as the client's session, body as bytes (the test client decodes text). */
function bytes(c: TestClient, path: string): Promise<{ status: number; body: Buffer; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request(c.base + path, { ca: c.ca, servername: 'localhost', headers: { ...c.headers, cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a real scan of the loopback lab yields a report that parapet report verify accepts; a tampered PDF is refused; pages render', async () => {
  const { address: A, legacyTls, modernTls, http, banner, closed } = svc;
  const ports = [legacyTls, modernTls, http, banner, closed];
  await uploadScope(org, scopeDoc(org, 'loopback-lab', { environment: 'production', expected_policy: [{ cidr: `${A}/32`, open_ports: [legacyTls, modernTls, http, closed] }] }));
  const r = await org.operator.client.post('/api/v1/probe/scans', { scope_id: 'loopback-lab', version: 1, targets: [A], ports, probe_types: ['tcp_connect', 'banner', 'tls', 'http_headers'], rate_pps: 200, note: 'Loopback lab, CI run' });
  assert.equal(r.status, 201, r.text);
  const scanId = r.json.id as string;
  await org.lead.client.post(`/api/v1/probe/scans/${scanId}/approve`, { comment: 'lab change LAB-1' });
  assert.equal((await org.admin.client.post(`/api/v1/probe/scans/${scanId}/approve`, { comment: 'lab' })).json.state, 'queued');
  const t = await org.admin.client.post('/api/v1/devices/enrollment-tokens', { kind: 'worker' });
  const dir = await mkdtemp(join(tmpdir(), 'pw-report-'));
  await writeFile(join(dir, 'ca.pem'), s.ca);
  const e = await runBin(bin, ['enroll', '--server', s.url, '--token', t.json.token, '--ca', join(dir, 'ca.pem'), '--state-dir', join(dir, 'state'), '--key-store', 'file', '--name', 'lab-worker']);
  assert.equal(e.code, 0, e.stderr);
  const run = await runBin(bin, ['run', '--once', '--state-dir', join(dir, 'state')]);
  assert.equal(run.code, 0, run.stderr + run.stdout);

  const meta = await org.operator.client.get(`/api/v1/probe/scans/${scanId}/report`);
  assert.equal(meta.status, 200, meta.text);
  assert.equal(meta.json.verdict, 'fail', 'the lab has a legacy TLS server: high findings');
  const json = await bytes(org.operator.client, `/api/v1/probe/scans/${scanId}/report.json`);
  const pdf = await bytes(org.operator.client, `/api/v1/probe/scans/${scanId}/report.pdf`);
  assert.equal(pdf.type, 'application/pdf');
  const key = (await org.operator.client.get('/api/v1/probe/report-key')).json;
  const logKey = (await org.admin.client.get('/api/v1/audit/key')).json.verifier_key;
  await mkdir(ARTIFACTS, { recursive: true });
  const f = (n: string) => join(ARTIFACTS, n);
  await writeFile(f('report.json'), json.body);
  await writeFile(f('report.pdf'), pdf.body);
  await writeFile(f('report-key.pem'), key.public_key_pem);

  const ok = await runBin(cli, ['report', 'verify', f('report.json'), '--pdf', f('report.pdf'), '--key', f('report-key.pem'), '--log-key', logKey]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^Valid: scan .* verdict FAIL; signed by report key [0-9a-f]{64}; PDF matches; \d+ audit entries proven/);
  const predicate = JSON.parse(Buffer.from(JSON.parse(json.body.toString()).payload, 'base64').toString()).predicate;
  assert.equal(predicate.approvals.length, 2);
  assert.ok(predicate.approvals.every((a: { mfa_verified_at: string | null }) => a.mfa_verified_at));
  assert.equal(predicate.worker.name, 'lab-worker');
  assert.ok(predicate.probes.length >= 10);
  assert.ok(predicate.findings.some((x: { rule: string; severity: string }) => x.rule === 'tls_legacy_version'));
  assert.equal(predicate.evidence.length, predicate.probes.length);

  const bad = Buffer.from(pdf.body);
  bad[bad.length >> 1] = bad[bad.length >> 1]! ^ 1;
  await writeFile(join(dir, 'bad.pdf'), bad);
  const no = await runBin(cli, ['report', 'verify', f('report.json'), '--pdf', join(dir, 'bad.pdf'), '--key', f('report-key.pem')]);
  assert.equal(no.code, 1);
  assert.match(no.stderr.trim(), /^The PDF does not match the SHA-256 the signed report names/);

  for (const old of (await readdir(ARTIFACTS)).filter((x) => x.startsWith('page'))) await rm(f(old));
  execFileSync('pdftoppm', ['-r', '60', '-png', f('report.pdf'), f('page')]);
  const pngs = (await readdir(ARTIFACTS)).filter((x) => x.startsWith('page') && x.endsWith('.png'));
  const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [f('report.pdf')], { encoding: 'utf8' }))![1]);
  assert.equal(pngs.length, pages);
});
