import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScope, checkWhen, portAllowed, localTime, ScopeError } from '../src/probe/scope.js';
import { exampleScope as sampleScope } from '../src/probe/example.js';


test('a complete scope parses', () => {
  assert.equal(parseScope(sampleScope()).id, 'dmz');
});

test('schema and semantic errors are refused with a sentence naming the problem', () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ ...sampleScope(), extra: 1 }, /additional properties/],
    [sampleScope({ environment: 'prod' as 'production' }), /environment/],
    [sampleScope({ include: ['10.0.0.0/33'] }), /invalid CIDR/],
    [sampleScope({ exclude: ['10.0.0.5/24'] }), /invalid CIDR/],
    [sampleScope({ ports: [0] }), /ports/],
    [sampleScope({ ports: ['90-80'] }), /port range/],
    [sampleScope({ probe_types: ['exploit' as 'tls'] }), /probe_types/],
    [sampleScope({ time_windows: { time_zone: 'Mars/Olympus', allowed: [{ days: ['mon'], start: '09:00', end: '10:00' }], blackouts: [] } }), /IANA time zone/],
    [sampleScope({ time_windows: { time_zone: 'UTC', allowed: [{ days: ['mon'], start: '10:00', end: '09:00' }], blackouts: [] } }), /ends before/],
    [sampleScope({ valid_from: '2027-01-01T00:00:00Z', valid_until: '2026-01-01T00:00:00Z' }), /valid_until/],
    [sampleScope({ valid_from: 'yesterday' }), /valid_from/],
    [sampleScope({ version: 0 }), /version/],
  ];
  for (const [doc, re] of bad) assert.throws(() => parseScope(doc), (e: Error) => e instanceof ScopeError && re.test(e.message), JSON.stringify(doc).slice(0, 80));
});

test('ports: single values and inclusive ranges', () => {
  const s = sampleScope();
  assert.ok(portAllowed(s, 22) && portAllowed(s, 8000) && portAllowed(s, 8080) && portAllowed(s, 443));
  assert.ok(!portAllowed(s, 21) && !portAllowed(s, 7999) && !portAllowed(s, 8081));
});

test('time windows are evaluated in the scope time zone, with blackouts and validity first', () => {
  const s = sampleScope();
  // Monday 2026-11-23: 08:30 UTC is 09:30 in Berlin (CET, UTC+1).
  assert.equal(checkWhen(s, new Date('2026-11-23T08:30:00Z')), null);
  assert.equal(checkWhen(s, new Date('2026-11-23T07:59:00Z'))?.rule, 'outside_time_window'); // 08:59 local
  assert.equal(checkWhen(s, new Date('2026-11-23T08:00:00Z')), null); // 09:00 local, start inclusive
  assert.equal(checkWhen(s, new Date('2026-11-23T16:00:00Z'))?.rule, 'outside_time_window'); // 17:00 local, end exclusive
  assert.equal(checkWhen(s, new Date('2026-11-22T10:00:00Z'))?.rule, 'outside_time_window'); // Sunday
  // Summer time: 2026-07-06 (Monday) 07:30 UTC is 09:30 CEST.
  assert.equal(checkWhen(s, new Date('2026-07-06T07:30:00Z')), null);
  assert.equal(checkWhen(s, new Date('2026-12-24T10:00:00Z'))?.rule, 'in_blackout'); // a Thursday in the blackout
  assert.equal(checkWhen(s, new Date('2025-12-31T10:00:00Z'))?.rule, 'scope_not_yet_valid');
  assert.equal(checkWhen(s, new Date('2027-01-01T00:00:00Z'))?.rule, 'scope_expired');
  assert.deepEqual(localTime(new Date('2026-11-23T23:30:00Z'), 'Asia/Tokyo'), { day: 'tue', minutes: 8 * 60 + 30, text: '08:30' });
});
