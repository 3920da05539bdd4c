/**
 * The short CI load run (OPS Load): 200 simulated agents and 5 workers for 45 s against two
 * replicas behind HAProxy (bench/load/run.ts; `npm run bench -- load` is the long run).
 * Asserts no failed request, a verifying audit log and every acknowledged Pulse interval stored
 * exactly once. Latency is printed as a diagnostic only: speed belongs in the benchmark.
 *
 * PostgreSQL only (the embedded engine cannot be shared by two processes); needs haproxy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usingPostgres } from '@parapet/db/testing';
import { haproxyAvailable } from './cluster.js';
import { formatLoad, runLoad } from '../bench/load/run.js';

test('load: 200 agents and 5 workers for 45 s through two replicas: no errors, audit verifies, intervals exactly once', { skip: !usingPostgres() ? 'needs PostgreSQL (DATABASE_URL)' : !haproxyAvailable() ? 'needs haproxy (Debian package)' : false, timeout: 300_000 }, async (t) => {
  const r = await runLoad({ agents: 200, workers: 5, durationMs: 45_000, log: (l) => t.diagnostic(l) });
  for (const line of formatLoad(r).split('\n')) t.diagnostic(line);
  assert.equal(r.total.errors, 0, `no failed requests: ${r.errorSamples.join('; ')}`);
  // Every kind was really exercised (200 agents send about 300 batches and 150 heartbeats).
  assert.ok(r.kinds.batch.requests >= 200, `batches sent: ${r.kinds.batch.requests}`);
  assert.ok(r.kinds.heartbeat.requests >= 100, `heartbeats sent: ${r.kinds.heartbeat.requests}`);
  assert.ok(r.kinds.lease.requests >= 50, `lease polls sent: ${r.kinds.lease.requests}`);
  assert.equal(r.audit.verified, true, JSON.stringify(r.audit.body));
  assert.ok(r.intervalsAcked > 0);
  assert.equal(r.intervalsMissing, 0, 'every acknowledged interval is stored');
  assert.equal(r.intervalsDuplicated, 0, 'no interval is stored twice');
  assert.equal(r.intervalsStored, r.intervalsAcked, 'nothing stored that was not acknowledged');
});
