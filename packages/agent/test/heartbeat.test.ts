// Heartbeats → intervals (ActivityWatch-style merge with back-dated idle), and the controls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HeartbeatMerger, pulseTimeFor, type Heartbeat, type Interval, type IntervalData } from '../src/heartbeat.js';
import { localTime, parseDays, parseDuration, parseSpan, pausedReason, type Controls } from '../src/control.js';
import { observe, makeClassifier } from '../src/recorder.js';
import { DEFAULT_POLICY } from '../src/policy.js';

const T0 = Date.UTC(2026, 10, 30, 9, 0, 0);
const active = (app: string): IntervalData => ({ state: 'active', app, category: 'uncategorized', domain: null, localCategory: null });
const idle = (app: string): IntervalData => ({ ...active(app), state: 'idle' });
let n = 0;
const merger = () => new HeartbeatMerger(pulseTimeFor(1000), () => `id-${++n}`);
const feed = (m: HeartbeatMerger, hs: Heartbeat[]) => [...hs.flatMap((h) => m.heartbeat(h)), ...m.flush()];
const brief = (is: Interval[]) => is.map((i) => [i.state, i.app, (i.start - T0) / 1000, (i.end - T0) / 1000]);

test('pulse time is ActivityWatch\'s max(1.5 × poll, poll + 1 s)', () => {
  assert.equal(pulseTimeFor(1000), 2000);
  assert.equal(pulseTimeFor(5000), 7500);
});

test('equal heartbeats within the pulse time extend one interval; a switch closes it at the new heartbeat', () => {
  const hs: Heartbeat[] = [];
  for (let s = 0; s <= 10; s++) hs.push({ at: T0 + s * 1000, data: active(s < 6 ? 'xterm' : 'firefox'), idleMs: 0 });
  assert.deepEqual(brief(feed(merger(), hs)), [
    ['active', 'xterm', 0, 6],
    ['active', 'firefox', 6, 10],
  ]);
});

test('active → idle is back-dated to the last input; idle → active starts at the new input', () => {
  const hs: Heartbeat[] = [];
  // Input stops at 5 s; idle timeout 10 s, so from 15 s the samples say idle (idleMs = t - 5 s).
  for (let s = 0; s <= 30; s++) {
    const idleMs = s < 5 ? 0 : s < 25 ? (s - 5) * 1000 : (s - 25) * 1000 + 0;
    const state = s >= 15 && s < 25 ? 'idle' : 'active';
    hs.push({ at: T0 + s * 1000, data: state === 'idle' ? idle('xterm') : active('xterm'), idleMs: s === 25 ? 400 : idleMs });
  }
  assert.deepEqual(brief(feed(merger(), hs)), [
    ['active', 'xterm', 0, 5],
    ['idle', 'xterm', 5, 24.6],
    ['active', 'xterm', 24.6, 30],
  ]);
});

test('a gap longer than the pulse time (suspend) ends the interval; after a clock jump backwards nothing is recorded until the clock passes the last end; locked records nothing', () => {
  const m = merger();
  const out = feed(m, [
    { at: T0, data: active('a'), idleMs: 0 },
    { at: T0 + 1000, data: active('a'), idleMs: 0 },
    { at: T0 + 600_000, data: active('a'), idleMs: 0 }, // resumed from suspend
    { at: T0 + 601_000, data: active('a'), idleMs: 0 },
    { at: T0 + 300_000, data: active('a'), idleMs: 0 }, // clock set back 5 minutes: ignored
    { at: T0 + 301_000, data: active('a'), idleMs: 0 },
    { at: T0 + 602_000, data: active('a'), idleMs: 0 }, // past the floor again
    { at: T0 + 603_000, data: active('a'), idleMs: 0 },
    { at: T0 + 604_000, data: null, idleMs: 0 }, // locked
    { at: T0 + 605_000, data: null, idleMs: 0 },
    { at: T0 + 606_000, data: active('a'), idleMs: 0 },
    { at: T0 + 607_000, data: active('a'), idleMs: 0 },
  ]);
  assert.deepEqual(brief(out), [
    ['active', 'a', 0, 1],
    ['active', 'a', 600, 601],
    ['active', 'a', 602, 603],
    ['active', 'a', 606, 607],
  ]);
  // The floor survives a restart: a new merger given the last recorded end ignores earlier times.
  const m2 = new HeartbeatMerger(2000, () => 'x', undefined, T0 + 607_000);
  assert.deepEqual(feed(m2, [{ at: T0 + 500_000, data: active('a'), idleMs: 0 }, { at: T0 + 501_000, data: active('a'), idleMs: 0 }]), []);
  assert.equal(new Set(out.map((i) => i.id)).size, out.length);
});

test('an interval never exceeds 24 h: a longer run continues in a new interval', () => {
  const m = new HeartbeatMerger(pulseTimeFor(1000), () => `id-${++n}`, 10_000);
  const hs = Array.from({ length: 26 }, (_, s) => ({ at: T0 + s * 1000, data: active('a'), idleMs: 0 }));
  const out = feed(m, hs);
  assert.deepEqual(brief(out), [
    ['active', 'a', 0, 10],
    ['active', 'a', 10, 20],
    ['active', 'a', 20, 25],
  ]);
});

test('property: intervals have positive length, never overlap (even when the clock goes backwards), and cover only seen time', () => {
  const step = fc.record({ dt: fc.oneof(fc.integer({ min: 1, max: 4000 }), fc.integer({ min: -20_000, max: -1 })), app: fc.constantFrom('a', 'b'), state: fc.constantFrom('active', 'idle', 'paused', 'locked'), idleMs: fc.integer({ min: 0, max: 3000 }) });
  fc.assert(
    fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
      const m = merger();
      let t = T0;
      const hs: Heartbeat[] = steps.map((s) => {
        t += s.dt;
        const data: IntervalData | null = s.state === 'locked' ? null : s.state === 'paused' ? { state: 'paused', app: null, category: null, domain: null, localCategory: null } : { ...active(s.app), state: s.state as 'active' | 'idle' };
        return { at: t, data, idleMs: s.idleMs };
      });
      const out = feed(m, hs);
      for (const i of out) assert.ok(i.end > i.start && i.end - i.start <= m.maxMs);
      for (let k = 1; k < out.length; k++) assert.ok(out[k]!.start >= out[k - 1]!.end, 'no overlap');
      const total = out.reduce((a, i) => a + i.end - i.start, 0);
      if (hs.length) assert.ok(total <= Math.max(...hs.map((h) => h.at)) - Math.min(...hs.map((h) => h.at)));
    }),
    { numRuns: 500 },
  );
});

test('controls: durations, days, spans, time zones, and what counts as paused', () => {
  assert.equal(parseDuration('1h30m'), 90 * 60_000);
  assert.throws(() => parseDuration('soon'), /The duration "soon" is not of a form like 30m/);
  assert.deepEqual(parseDays('mon-fri'), [1, 2, 3, 4, 5]);
  assert.deepEqual(parseDays('fri-mon'), [1, 5, 6, 7]);
  assert.deepEqual(parseSpan('09:00-17:30'), { start: 540, end: 1050 });
  assert.throws(() => parseSpan('17:30-09:00'), /must end after it starts/);
  // 2026-11-30 is a Monday; 08:30 UTC is 09:30 in Berlin (CET, UTC+1).
  const at = Date.UTC(2026, 10, 30, 8, 30);
  assert.deepEqual(localTime(at, 'Europe/Berlin'), { day: 1, minute: 570 });
  const c: Controls = { pause: null, excluded: ['slack'], hours: { days: [1, 2, 3, 4, 5], start: 540, end: 1050, tz: 'Europe/Berlin' } };
  assert.equal(pausedReason(c, at, 'xterm'), null);
  assert.equal(pausedReason(c, at, 'Slack'), 'excluded');
  assert.equal(pausedReason(c, Date.UTC(2026, 10, 30, 7, 59), 'xterm'), 'off-hours', '08:59 Berlin');
  assert.equal(pausedReason(c, Date.UTC(2026, 10, 30, 16, 30), 'xterm'), 'off-hours', '17:30 Berlin, end exclusive');
  assert.equal(pausedReason(c, Date.UTC(2026, 11, 5, 10, 0), 'xterm'), 'off-hours', 'Saturday');
  assert.equal(pausedReason({ ...c, pause: { since: 0, until: at + 1 } }, at, 'xterm'), 'paused');
  assert.equal(pausedReason({ ...c, pause: { since: 0, until: at } }, at, 'xterm'), null, 'a pause ends at its until');
  assert.equal(pausedReason({ ...c, pause: { since: 0, until: null } }, at + 1e10, 'xterm'), 'paused');
});

test('observe: paused carries no detail even with a window; the raw title never reaches the heartbeat', () => {
  const cls = makeClassifier({ ...DEFAULT_POLICY, scrub_names: ['Alice Smith'] });
  const sample = { at: T0, window: { app: 'thunderbird', title: 'Mail from Alice Smith <alice@example.com> https://mail.example.org/x' }, idleMs: 0, locked: false };
  const free: Controls = { pause: null, excluded: [], hours: null };
  const h = observe(sample, free, cls);
  assert.deepEqual(h.data, { state: 'active', app: 'thunderbird', category: 'uncategorized', domain: 'example.org', localCategory: null });
  assert.doesNotMatch(JSON.stringify(h), /alice|Smith|mail\.example/i);
  assert.deepEqual(observe(sample, { ...free, excluded: ['thunderbird'] }, cls).data, { state: 'paused', app: null, category: null, domain: null, localCategory: null });
  assert.equal(observe({ ...sample, locked: true }, free, cls).data, null);
  assert.equal(observe({ ...sample, idleMs: 180_000 }, free, cls).data?.state, 'idle');
  assert.equal(observe({ ...sample, idleMs: 179_999 }, free, cls).data?.state, 'active');
});
