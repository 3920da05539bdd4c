import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { parsePulseBatch, PulseBatchError, PULSE_BATCH_SCHEMA_ID, type PulseBatch } from '../src/pulse/batch.js';

const now = new Date('2026-11-30T12:00:00.000Z');
function batch(over: Partial<PulseBatch['intervals'][number]> = {}, extra: Record<string, unknown> = {}): unknown {
  return {
    schema: PULSE_BATCH_SCHEMA_ID,
    batch_id: randomUUID(),
    created_at: '2026-11-30T11:00:00.000Z',
    intervals: [{ id: randomUUID(), start: '2026-11-30T10:00:00.000Z', end: '2026-11-30T10:05:00.000Z', state: 'active', app: 'firefox', category: 'browsing', domain: 'example.com', ...over, ...extra }],
  };
}
function code(input: unknown): string | undefined {
  try {
    parsePulseBatch(input, now);
    return undefined;
  } catch (e) {
    assert.ok(e instanceof PulseBatchError);
    return e.code;
  }
}

test('a well-formed batch parses', () => {
  assert.equal(code(batch()), undefined);
  assert.equal(code(batch({ state: 'paused', app: null, category: null, domain: null })), undefined);
});

test('no field beyond the schema can ride along (raw titles, URLs)', () => {
  assert.equal(code(batch({}, { title: 'Inbox - casey@example.com' })), 'pulse_batch_invalid');
  assert.equal(code({ ...(batch() as object), device: 'x' }), 'pulse_batch_invalid');
  assert.equal(code(batch({ domain: 'https://example.com/path' })), 'pulse_batch_invalid');
});

test('interval semantics are checked', () => {
  assert.equal(code(batch({ end: '2026-11-30T09:00:00.000Z' })), 'pulse_interval_invalid');
  assert.equal(code(batch({ start: '2026-11-28T10:00:00.000Z' })), 'pulse_interval_invalid');
  assert.equal(code(batch({ start: '2026-11-30T12:00:00.000Z', end: '2026-11-30T12:30:00.000Z' })), 'pulse_interval_in_future');
  assert.equal(code(batch({ state: 'paused' })), 'pulse_interval_invalid');
  assert.equal(code(batch({ app: null })), 'pulse_interval_invalid');
  assert.equal(code(batch({ start: '2026-02-30T10:00:00.000Z' })), 'pulse_interval_invalid');
});

test('too many intervals is its own code', () => {
  const b = batch() as PulseBatch;
  const one = b.intervals[0]!;
  b.intervals = Array.from({ length: 5001 }, () => ({ ...one, id: randomUUID() }));
  assert.equal(code(b), 'pulse_batch_too_large');
});
