/**
 * Live scan events across server instances (PROBE-VISIBILITY): a console stream opened on
 * instance B follows a worker that leases and reports through instance A, both on one
 * PostgreSQL. A is this process's test server, B a separate `parapet-server` process sharing
 * the certificate, key-encryption key and bootstrap token (as replicas do), so no in-process
 * event can reach B's stream; only the database can.
 *
 * PostgreSQL only: the embedded engine lives inside one process and cannot be shared.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usingPostgres } from '@parapet/db/testing';
import { startTestServer, type TestServer } from '@parapet/server/testing';
import { launchReplica, type Replica } from '../../../e2e/cluster.js';
import { loadSafetyProfile } from '../src/embedded-profile.js';
import { runJob } from '../src/run.js';
import { enrollWorker, newOrg, requestScan, scopeDoc, uploadScope } from './harness.js';

let s: TestServer | undefined;
let b: Replica | undefined;
let dirB: string | undefined;
after(async () => {
  b?.child.kill('SIGKILL');
  if (b) await b.exited;
  await s?.close();
  if (dirB) await rm(dirB, { recursive: true, force: true });
});

test('a live stream on instance B shows every result, the findings and the end of a scan a worker reports to instance A', { skip: usingPostgres() ? false : 'needs PostgreSQL (DATABASE_URL): the embedded engine cannot be shared by two processes', timeout: 180_000 }, async () => {
  s = await startTestServer();
  const org = await newOrg(s);
  dirB = await mkdtemp(join(tmpdir(), 'parapet-live-b-'));
  await mkdir(join(dirB, 'tls'), { recursive: true, mode: 0o700 });
  await mkdir(join(dirB, 'keys'), { recursive: true, mode: 0o700 });
  for (const f of ['tls/server.crt', 'tls/server.key', 'keys/kek.json', 'bootstrap.token']) await copyFile(join(s.dataDir, f), join(dirB, f));
  b = await launchReplica('b', dirB, { app: s.config.databaseUrl!, admin: s.config.databaseAdminUrl! });

  await uploadScope(org, scopeDoc(org, 'two-instances', { expected_policy: [{ cidr: '127.0.0.28/32', open_ports: [24000] }] }));
  const ports = Array.from({ length: 60 }, (_, i) => 24000 + i); // nothing listens: closed
  const scanId = await requestScan(org, { scope_id: 'two-instances', targets: ['127.0.0.28'], ports, probe_types: ['tcp_connect'], rate_pps: 100 });

  // The operator's session, used on B.
  const cookie = [...org.operator.client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const events: Array<{ event: string; data: any }> = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  const waiters: Array<() => void> = [];
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    const req = request(`https://127.0.0.1:${b!.port}/api/v1/probe/scans/${scanId}/events`, { ca: s!.ca, servername: 'localhost', headers: { cookie } }, resolve);
    req.on('error', reject);
    req.end();
  });
  assert.equal(res.statusCode, 200);
  let buf = '';
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
  const until = (pred: () => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} on instance B within 30 s; events: ${events.map((e) => e.event).join(', ')}`)), 30_000);
      const check = () => {
        if (pred()) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  await until(() => events.length >= 1, 'snapshot');
  assert.equal(events[0]!.event, 'snapshot');
  assert.equal(events[0]!.data.scan.state, 'queued');

  // The worker talks to A only.
  const w = await enrollWorker(s, org, 'on-a');
  const r = await runJob({ client: w.client, profile: loadSafetyProfile(), batchSize: 7, flushMs: 50 });
  assert.equal(r.status, 'finished');
  await until(() => events.some((e) => e.event === 'state' && e.data.state === 'finished'), "'finished'");
  res.destroy();

  const results = events.filter((e) => e.event === 'results').flatMap((e) => e.data.results as Array<{ id: string; port: number; outcome: string }>);
  assert.equal(results.length, 60, 'every result once');
  assert.equal(new Set(results.map((x) => x.id)).size, 60);
  assert.deepEqual(results.map((x) => x.port).sort((x, y) => x - y), ports);
  assert.ok(results.every((x) => x.outcome === 'closed'));
  const states = events.filter((e) => e.event === 'state').map((e) => e.data.state as string);
  assert.equal(states.at(-1), 'finished');
  // B samples the scan's state every FEED_POLL_MS, so a short 'running' can fall between two
  // reads; what it tells is in lifecycle order, never backwards.
  const order = ['queued', 'leased', 'running', 'finished'];
  assert.ok(states.every((x, i) => i === 0 || order.indexOf(x) >= order.indexOf(states[i - 1]!) && order.includes(x)), states.join(','));
  const findings = events.find((e) => e.event === 'findings');
  assert.equal(findings?.data.findings, 1, 'port 24000 is expected open: expected_port_closed');
  // Order: every result and the findings count come before the end.
  const endAt = events.findIndex((e) => e.event === 'state' && e.data.state === 'finished');
  assert.ok(events.slice(endAt + 1).every((e) => e.event !== 'results'));
  // And B saw the planned count the worker reported to A.
  assert.ok(events.some((e) => e.event === 'state' && e.data.planned_probes === 60));
});
