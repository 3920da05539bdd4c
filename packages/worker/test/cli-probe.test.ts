/**
 * The Probe run commands of the `parapet` CLI: `scan watch` follows a scan a worker is running
 * (results, progress bar, findings at the end) and `profile sign` signs a safety profile that
 * the worker's verifier accepts, refusing an invalid one.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, verifyProfile } from '@parapet/core';
import { startTestServer, type TestServer } from '@parapet/server/testing';
import { runCli } from '../../cli/test/run-cli.js';
import { progressLine } from '../../cli/src/commands/scan.js';
import { enrollWorker, newOrg, requestScan, scopeDoc, uploadScope, type Org } from './harness.js';

let s: TestServer;
let org: Org;
before(async () => {
  s = await startTestServer();
  org = await newOrg(s);
});
after(() => s.close());

test('progress line: bar, counts, rate and ETA', () => {
  assert.equal(progressLine(5, 10, 1000, 10), '[#####.....] 5/10 probes  5.0/s  ETA 1s');
  assert.equal(progressLine(10, 10, 2000, 10), '[##########] 10/10 probes  5.0/s  ETA -');
  assert.equal(progressLine(0, 0, 0, 4), '[....] 0/? probes  0.0/s  ETA -');
});

test('parapet scan watch shows results as they arrive, a progress bar, and the findings when the scan ends', async () => {
  await uploadScope(org, scopeDoc(org, 'watch', { expected_policy: [{ cidr: '10.0.0.0/24', open_ports: [443] }] }));
  const scanId = await requestScan(org, { scope_id: 'watch', targets: ['10.0.0.12'], ports: [22, 443], probe_types: ['tcp_connect'], rate_pps: 10 });
  const env = { PARAPET_DATA_DIR: s.dataDir, PARAPET_SESSION: org.operator.client.cookies.get('__Host-parapet_session')! };
  const watching = runCli(['scan', 'watch', scanId, '--interval', '0.2'], env);
  const w = await enrollWorker(s, org, 'watched');
  const post = async (path: string, body: unknown) => (await w.client.request('POST', path, body)).json();
  const l = await post('/api/v1/probe/jobs/lease', {});
  await post(`/api/v1/probe/jobs/${l.lease_id}/renew`, { planned_probes: 2 });
  const r = (port: number, outcome: string) => {
    const transcript = { port };
    return { target: '10.0.0.12', address: '10.0.0.12', port, probe_type: 'tcp_connect', outcome, reason: '', started_at: new Date().toISOString(), duration_ms: 1, observed: {}, transcript, transcript_sha256: createHash('sha256').update(canonicalJson(transcript)).digest('hex') };
  };
  await post(`/api/v1/probe/jobs/${l.lease_id}/results`, { batch_id: randomUUID(), results: [r(22, 'open')] });
  await new Promise((res) => setTimeout(res, 600));
  await post(`/api/v1/probe/jobs/${l.lease_id}/results`, { batch_id: randomUUID(), results: [r(443, 'closed')] });
  await post(`/api/v1/probe/jobs/${l.lease_id}/finish`, { outcome: 'finished' });
  const out = await watching;
  assert.equal(out.code, 0, out.err);
  assert.match(out.out, /10\.0\.0\.12\s+22\s+tcp_connect\s+open/);
  assert.match(out.out, /10\.0\.0\.12\s+443\s+tcp_connect\s+closed/);
  assert.match(out.out, /finished\s+\[#{30}\] 2\/2 probes/);
  assert.match(out.out, new RegExp(`Scan ${scanId} finished: 2 probes, 2 findings\\.`));
  assert.match(out.out, /medium\s+10\.0\.0\.12:22\s+Port open that the expected policy does not list/);
  assert.match(out.out, /medium\s+10\.0\.0\.12:443\s+Port the expected policy lists as open is not open/);
  const bad = await runCli(['scan', 'watch', randomUUID()], env);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /No such scan\. \(scan_not_found\)/);
});

test('parapet profile sign: a profile the worker verifier accepts; an invalid profile is refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'profile-sign-'));
  assert.equal((await runCli(['keygen', '--out', join(dir, 'release.key')])).code, 0);
  const doc = JSON.parse(await readFile(new URL('../profile/safety-profile.json', import.meta.url), 'utf8'));
  await writeFile(join(dir, 'p.json'), JSON.stringify(doc));
  const r = await runCli(['profile', 'sign', join(dir, 'p.json'), '--key', join(dir, 'release.key'), '--out', join(dir, 'p.dsse.json')]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Signed safety profile version 1 \(valid until 2028-11-01T00:00:00Z\) with release key [0-9a-f]{64} into /);
  const env = JSON.parse(await readFile(join(dir, 'p.dsse.json'), 'utf8'));
  assert.deepEqual(verifyProfile(env, await readFile(join(dir, 'release.key.pub'), 'utf8'), new Date('2027-01-01T00:00:00Z')), doc);
  await writeFile(join(dir, 'bad.json'), JSON.stringify({ ...doc, max_packets_per_second: 1_000_000 }));
  const bad = await runCli(['profile', 'sign', join(dir, 'bad.json'), '--key', join(dir, 'release.key'), '--out', join(dir, 'bad.dsse.json')]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /safety profile does not match its schema/);
});
