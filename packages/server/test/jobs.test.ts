/**
 * The job runner on an injected clock: due-ness by that clock, no overlapping runs, the
 * per-job metrics, and stop() waiting for runs in progress.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { forEachSettled, JobError, JobRunner } from '../src/platform/jobs.js';

async function metric(r: Registry, name: string, job: string): Promise<number | undefined> {
  const m = (await r.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values as Array<{ labels: { job?: string }; value: number }> | undefined)?.find((v) => v.labels.job === job)?.value;
}

test('jobs run when due by the injected clock, once per period, and report success and failure', async () => {
  let now = new Date('2026-01-01T00:00:00Z');
  const registry = new Registry();
  const errors: string[] = [];
  const jobs = new JobRunner({ now: () => now, registry, onError: (n) => errors.push(n) });
  const ran: string[] = [];
  jobs.define({ name: 'a.every-second', everyMs: 1000, run: async (at) => void ran.push(`a@${at.toISOString()}`) });
  jobs.define({ name: 'b.later', everyMs: 10_000, runAtStart: false, run: async () => void ran.push('b') });
  let fail = true;
  jobs.define({ name: 'c.flaky', everyMs: 5000, run: async () => { if (fail) throw new Error('boom'); } });
  assert.throws(() => jobs.define({ name: 'a.every-second', everyMs: 1, run: async () => undefined }), JobError);

  await jobs.runDue();
  assert.deepEqual(ran, ['a@2026-01-01T00:00:00.000Z']);
  assert.equal(await metric(registry, 'parapet_job_failures_total', 'c.flaky'), 1);
  assert.deepEqual(errors, ['c.flaky']);
  now = new Date(now.getTime() + 999);
  await jobs.runDue();
  assert.equal(ran.length, 1, 'not due before its period');
  now = new Date(now.getTime() + 1);
  await jobs.runDue();
  assert.equal(ran.length, 2);
  now = new Date('2026-01-01T00:00:10Z');
  fail = false;
  await jobs.runDue();
  assert.deepEqual(ran.slice(2), ['a@2026-01-01T00:00:10.000Z', 'b']);
  assert.equal(await metric(registry, 'parapet_job_last_success_timestamp_seconds', 'c.flaky'), now.getTime() / 1000);
  assert.equal(await metric(registry, 'parapet_job_failures_total', 'c.flaky'), 1);
  assert.equal(await metric(registry, 'parapet_job_failures_total', 'b.later'), 0);
  assert.throws(() => jobs.runNow('nope'), JobError);
});

test('a job never overlaps itself, and stop() waits for runs in progress, after which nothing runs', async () => {
  let now = new Date(0);
  const jobs = new JobRunner({ now: () => now });
  let running = 0;
  let maxRunning = 0;
  let runs = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  jobs.define({ name: 'slow', everyMs: 10, run: async () => { running++; runs++; maxRunning = Math.max(maxRunning, running); await gate; running--; } });
  const first = jobs.runDue();
  now = new Date(1000);
  const second = jobs.runDue(); // due again, but the first run is still going
  const manual = jobs.runNow('slow');
  let stopped = false;
  const stopping = jobs.stop().then(() => (stopped = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(stopped, false, 'stop waits for the run in progress');
  release();
  await Promise.all([first, second, manual, stopping]);
  assert.equal(maxRunning, 1);
  assert.equal(runs, 1);
  now = new Date(5000);
  await jobs.runDue();
  await jobs.runOnce('after-commit', async () => void runs++);
  assert.equal(runs, 1, 'nothing runs after stop');
});

test('after-commit work runs under its name and counts in the same series', async () => {
  const registry = new Registry();
  const jobs = new JobRunner({ now: () => new Date(42_000), registry });
  await jobs.runOnce('outbox.drain', async () => undefined);
  await jobs.runOnce('outbox.drain', async () => { throw new Error('x'); });
  assert.equal(await metric(registry, 'parapet_job_runs_total', 'outbox.drain'), 2);
  assert.equal(await metric(registry, 'parapet_job_failures_total', 'outbox.drain'), 1);
  assert.equal(await metric(registry, 'parapet_job_last_success_timestamp_seconds', 'outbox.drain'), 42);
});

test('forEachSettled: every item runs even after failures; one AggregateError names the count and holds each error', async () => {
  const ran: number[] = [];
  const seen: number[] = [];
  await assert.doesNotReject(forEachSettled([1, 2], 'item(s)', async (n) => ran.push(n)));
  const err = await forEachSettled([1, 2, 3, 4], 'tenant(s)', async (n) => {
    ran.push(n);
    if (n % 2 === 0) throw new Error(`boom ${n}`);
  }, (n) => seen.push(n)).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof AggregateError);
  assert.equal(err.message, '2 tenant(s) failed.');
  assert.deepEqual(err.errors.map((e: Error) => e.message), ['boom 2', 'boom 4']);
  assert.deepEqual(ran, [1, 2, 1, 2, 3, 4]);
  assert.deepEqual(seen, [2, 4]);
});
