/**
 * The ingest path's pure parts (pulse/ingest.ts): the batch digest, which stored batches are
 * compared by on a replay, is pinned to its definition and to a fixed vector (a change would
 * turn every replay of a stored batch into a conflict); rollups and partitions agree with a
 * plain per-interval computation (property tests).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { PULSE_BATCH_SCHEMA_ID, type PulseBatch } from '@parapet/core';
import { batchDigest, resolveOverlaps, rollupsOf, workSeconds } from '../src/pulse/ingest.js';

const DAY = 86_400_000;
const batch: PulseBatch = {
  schema: PULSE_BATCH_SCHEMA_ID,
  batch_id: '6f1c2a4e-8b0d-4c3e-9f7a-1d2e3f4a5b6c',
  created_at: '2026-11-30T10:00:00.000Z',
  intervals: [
    { id: '0b7e4a1c-2d3f-4e5a-8b6c-7d8e9f0a1b2c', start: '2026-11-30T09:00:00.000Z', end: '2026-11-30T09:05:00.000Z', state: 'active', app: 'code "insiders" \\ ✓', category: 'development', domain: null },
    { id: '1c8f5b2d-3e4a-4f6b-9c7d-8e9f0a1b2c3d', start: '2026-11-30T09:05:00.000Z', end: '2026-11-30T09:06:00.000Z', state: 'paused', app: null, category: null, domain: null },
  ],
};

test('batchDigest: SHA-256 of the versioned prefix and each part as JSON, in order; a fixed vector', () => {
  const h = createHash('sha256').update('parapet.pulse.batch-digest/v2\n');
  h.update(JSON.stringify([batch.schema, batch.batch_id, batch.created_at]));
  for (const i of batch.intervals) h.update(JSON.stringify([i.id, i.start, i.end, i.state, i.app, i.category, i.domain]));
  assert.equal(batchDigest(batch).toString('hex'), h.digest('hex'));
  assert.equal(batchDigest(batch).toString('hex'), '737837500cc03b615fb775876a1e0087f2438e3738bdac8b27f151ad24f429a4');
  // Key order and whitespace of the JSON sent do not matter; content does.
  const reordered = JSON.parse(JSON.stringify({ intervals: batch.intervals.map(({ id, ...rest }) => ({ ...rest, id })), created_at: batch.created_at, batch_id: batch.batch_id, schema: batch.schema })) as PulseBatch;
  assert.ok(batchDigest(reordered).equals(batchDigest(batch)));
  assert.ok(!batchDigest({ ...batch, intervals: [{ ...batch.intervals[0]!, app: 'code' }, batch.intervals[1]!] }).equals(batchDigest(batch)));
});

const settings = { workStartHour: 9, workEndHour: 17, workDays: [1, 2, 3, 4, 5] };
const rowsArb = fc.array(
  fc.record({ start: fc.integer({ min: 0, max: 10 * DAY }), len: fc.integer({ min: 1, max: DAY }), state: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>, category: fc.constantFrom('development', 'meetings', null) }),
  { maxLength: 40 },
).map((xs) => xs.map((x, k) => ({ id: `id-${k}`, start: 1_780_000_000_000 + x.start, end: 1_780_000_000_000 + x.start + x.len, state: x.state, app: x.state === 2 ? null : 'a', category: x.state === 2 ? null : x.category, domain: null })));

test('property: rollups split every interval at UTC midnight and sum to its length; each interval counts once', () => {
  fc.assert(
    fc.property(rowsArb, (rows) => {
      const sums = rollupsOf(rows, settings);
      const total = sums.reduce((t, s) => t + s.active + s.idle + s.paused, 0);
      assert.ok(Math.abs(total - rows.reduce((t, r) => t + (r.end - r.start) / 1000, 0)) < 1e-6);
      assert.equal(sums.reduce((t, s) => t + s.n, 0), rows.length);
      // Each cell is one (day, category), its day the UTC date of the part it sums.
      assert.equal(new Set(sums.map((s) => `${s.day}|${s.category}`)).size, sums.length);
      for (const r of rows) {
        const day = new Date(Math.floor(r.start / DAY) * DAY).toISOString().slice(0, 10);
        assert.ok(sums.some((s) => s.day === day && s.category === (r.category ?? '')));
      }
      const work = sums.reduce((t, s) => t + s.work, 0);
      assert.ok(Math.abs(work - rows.filter((r) => r.state === 0).reduce((t, r) => t + workSeconds(r.start, r.end, settings), 0)) < 1e-6);
    }),
    { numRuns: 300 },
  );
});

test('property: resolved intervals are sorted and never overlap', () => {
  fc.assert(
    fc.property(rowsArb, (rows) => {
      const iv = rows.map((r) => ({ id: r.id, start: new Date(r.start).toISOString(), end: new Date(r.end).toISOString(), state: (['active', 'idle', 'paused'] as const)[r.state], app: r.app, category: r.category, domain: r.domain }));
      const { rows: out } = resolveOverlaps(iv);
      for (let k = 1; k < out.length; k++) assert.ok(out[k]!.start >= out[k - 1]!.end);
      for (const r of out) assert.ok(r.end > r.start);
    }),
    { numRuns: 300 },
  );
});
