/**
 * The Probe scope document (PROBE-SCOPE): its JSON schema, semantic validation, and the pure
 * checks a scan request must pass (ports, probe types, rate, validity, time windows).
 * Containment lives in ./cidr.ts.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isCidr, ScopeMatcher } from './cidr.js';

export const SCOPE_PAYLOAD_TYPE = 'application/vnd.parapet.scope+json';
export const PROBE_TYPES = ['tcp_connect', 'banner', 'tls', 'http_headers'] as const;
export type ProbeType = (typeof PROBE_TYPES)[number];
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface TimeWindow {
  days: Weekday[];
  /** "HH:MM" local time in the scope's time zone; end is exclusive and may be "24:00". */
  start: string;
  end: string;
}
export interface Blackout {
  start: string;
  end: string;
  reason?: string;
}
export interface Scope {
  tenant: string;
  id: string;
  version: number;
  name: string;
  environment: 'production' | 'non-production';
  include: string[];
  exclude: string[];
  /** Single ports or inclusive ranges "from-to". */
  ports: Array<number | string>;
  probe_types: ProbeType[];
  max_packets_per_second: number;
  time_windows: { time_zone: string; allowed: TimeWindow[]; blackouts: Blackout[] };
  valid_from: string;
  valid_until: string;
  expected_policy: Array<{ cidr: string; open_ports: number[] }>;
}

const DATE_TIME = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$';
const HHMM = '^(([01]\\d|2[0-3]):[0-5]\\d|24:00)$';
const PORT = { type: 'integer', minimum: 1, maximum: 65535 } as const;

export const SCOPE_SCHEMA = {
  $id: 'https://parapet.dev/schemas/probe-scope.json',
  type: 'object',
  additionalProperties: false,
  required: ['tenant', 'id', 'version', 'name', 'environment', 'include', 'exclude', 'ports', 'probe_types', 'max_packets_per_second', 'time_windows', 'valid_from', 'valid_until', 'expected_policy'],
  properties: {
    tenant: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' },
    id: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,99}$' },
    version: { type: 'integer', minimum: 1, maximum: 2147483647 },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    environment: { enum: ['production', 'non-production'] },
    include: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', maxLength: 64 } },
    exclude: { type: 'array', maxItems: 1000, items: { type: 'string', maxLength: 64 } },
    ports: { type: 'array', minItems: 1, maxItems: 1000, items: { anyOf: [PORT, { type: 'string', pattern: '^\\d{1,5}-\\d{1,5}$' }] } },
    probe_types: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...PROBE_TYPES] } },
    max_packets_per_second: { type: 'integer', minimum: 1, maximum: 100000 },
    time_windows: {
      type: 'object',
      additionalProperties: false,
      required: ['time_zone', 'allowed', 'blackouts'],
      properties: {
        time_zone: { type: 'string', minLength: 1, maxLength: 64 },
        allowed: {
          type: 'array',
          minItems: 1,
          maxItems: 100,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['days', 'start', 'end'],
            properties: { days: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...WEEKDAYS] } }, start: { type: 'string', pattern: HHMM }, end: { type: 'string', pattern: HHMM } },
          },
        },
        blackouts: {
          type: 'array',
          maxItems: 1000,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['start', 'end'],
            properties: { start: { type: 'string', pattern: DATE_TIME }, end: { type: 'string', pattern: DATE_TIME }, reason: { type: 'string', maxLength: 500 } },
          },
        },
      },
    },
    valid_from: { type: 'string', pattern: DATE_TIME },
    valid_until: { type: 'string', pattern: DATE_TIME },
    expected_policy: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['cidr', 'open_ports'],
        properties: { cidr: { type: 'string', maxLength: 64 }, open_ports: { type: 'array', maxItems: 65535, items: PORT } },
      },
    },
  },
} as const;

// Compiled on first use: compiling at import cost every process that loads @parapet/core
// (the server's start-up among them) whether it ever parses a scope or not.
let compiled: ValidateFunction | undefined;
const validateSchema = (): ValidateFunction => (compiled ??= new Ajv({ allErrors: false, strict: true }).compile(SCOPE_SCHEMA));

export class ScopeError extends Error {
  override name = 'ScopeError';
}

function fmt(e: ErrorObject): string {
  return `${e.instancePath || '(document)'} ${e.message ?? 'is invalid'}`;
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/** Validates a parsed scope document; returns it typed or throws ScopeError naming the first problem. */
export function parseScope(doc: unknown): Scope {
  const validate = validateSchema();
  if (!validate(doc)) throw new ScopeError(`The scope does not match the schema: ${fmt(validate.errors![0]!)}.`);
  const s = doc as unknown as Scope;
  for (const c of [...s.include, ...s.exclude, ...s.expected_policy.map((e) => e.cidr)]) if (!isCidr(c)) throw new ScopeError(`The scope names an invalid CIDR "${c}".`);
  for (const p of s.ports) {
    if (typeof p === 'string') {
      const [a, b] = p.split('-').map(Number);
      if (!(a! >= 1 && b! <= 65535 && a! <= b!)) throw new ScopeError(`The port range "${p}" is invalid.`);
    }
  }
  if (!isTimeZone(s.time_windows.time_zone)) throw new ScopeError(`"${s.time_windows.time_zone}" is not an IANA time zone.`);
  for (const w of s.time_windows.allowed) if (minutes(w.start) >= minutes(w.end)) throw new ScopeError(`The time window ${w.start}-${w.end} ends before it starts.`);
  for (const b of s.time_windows.blackouts) if (!(Date.parse(b.start) < Date.parse(b.end))) throw new ScopeError(`The blackout ${b.start} - ${b.end} ends before it starts.`);
  if (!(Date.parse(s.valid_from) < Date.parse(s.valid_until))) throw new ScopeError('valid_until must be after valid_from.');
  new ScopeMatcher(s.include, s.exclude); // every CIDR parses (checked above); builds once to be sure
  return s;
}

export function portAllowed(s: Scope, port: number): boolean {
  return s.ports.some((p) => {
    if (typeof p === 'number') return p === port;
    const [a, b] = p.split('-').map(Number);
    return port >= a! && port <= b!;
  });
}

export type ValidityRule = 'scope_not_yet_valid' | 'scope_expired' | 'outside_time_window' | 'in_blackout';

/** The validity period first, then blackouts, then the allowed windows; null when `now` is fine. */
export function checkWhen(s: Scope, now: Date): { rule: ValidityRule; detail: string } | null {
  const t = now.getTime();
  if (t < Date.parse(s.valid_from)) return { rule: 'scope_not_yet_valid', detail: `The scope is valid from ${s.valid_from}.` };
  if (t >= Date.parse(s.valid_until)) return { rule: 'scope_expired', detail: `The scope expired at ${s.valid_until}.` };
  const b = s.time_windows.blackouts.find((x) => t >= Date.parse(x.start) && t < Date.parse(x.end));
  if (b) return { rule: 'in_blackout', detail: `Now is inside the blackout ${b.start} - ${b.end}${b.reason ? ` (${b.reason})` : ''}.` };
  const local = localTime(now, s.time_windows.time_zone);
  const ok = s.time_windows.allowed.some((w) => w.days.includes(local.day) && local.minutes >= minutes(w.start) && local.minutes < minutes(w.end));
  if (!ok) return { rule: 'outside_time_window', detail: `Now (${local.day} ${local.text} ${s.time_windows.time_zone}) is outside every allowed time window.` };
  return null;
}

/** Weekday and minute of day of `now` in an IANA time zone. */
export function localTime(now: Date, timeZone: string): { day: Weekday; minutes: number; text: string } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const day = get('weekday').toLowerCase().slice(0, 3) as Weekday;
  const h = Number(get('hour')) % 24;
  const m = Number(get('minute'));
  return { day, minutes: h * 60 + m, text: `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}` };
}
