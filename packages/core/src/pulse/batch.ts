/**
 * The Pulse upload batch (PULSE-UPLOAD, PULSE-LOCAL): the one format the agent sends and the
 * server ingests. An interval carries only app, category, optional registrable domain, start,
 * end and state; nothing else can be added without changing this schema, and the schema
 * refuses unknown properties at every level (`additionalProperties: false`).
 *
 * Wire form: `POST /api/v1/pulse/batches`, an RFC 9421-signed device request whose JSON body is
 * a {@link PulseBatch}. Times are RFC 3339 UTC strings with millisecond precision
 * (`2026-11-30T09:00:00.000Z`); durations are in milliseconds.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/** Schema id carried in every batch; a new wire form gets a new id. */
export const PULSE_BATCH_SCHEMA_ID = 'parapet.pulse.batch/v1';
/** Most intervals one batch may carry. */
export const PULSE_BATCH_MAX_INTERVALS = 5000;
/** Most bytes one batch body may have (1 MiB). */
export const PULSE_BATCH_MAX_BYTES = 1024 * 1024;
/** Longest single interval (ms): 24 h. The agent splits longer runs. */
export const PULSE_INTERVAL_MAX_MS = 24 * 60 * 60 * 1000;
/** How far in the future (ms) an interval's end may lie, for device clock skew. */
export const PULSE_FUTURE_SKEW_MS = 5 * 60 * 1000;

/** `active`: input seen within the idle timeout; `idle`: no input; `paused`: by the employee's choice (pause, excluded app, outside work hours), no detail. */
export const PULSE_STATES = ['active', 'idle', 'paused'] as const;
export type PulseState = (typeof PULSE_STATES)[number];

/**
 * One interval. For `paused` intervals `app`, `category` and `domain` are all null.
 * `id` is made on the device (UUID) and is the idempotency key of the interval.
 */
export interface PulseInterval {
  id: string;
  /** RFC 3339 UTC, inclusive. */
  start: string;
  /** RFC 3339 UTC, exclusive; later than start. */
  end: string;
  state: PulseState;
  /** Normalised application id (lower-case WM_CLASS / bundle id / exe name), at most 128 chars. */
  app: string | null;
  /** A category key from the tenant's Pulse policy (or `uncategorized`). */
  category: string | null;
  /** Registrable domain only (e.g. `example.com`), never a URL or path. */
  domain: string | null;
}

/** One upload. `batch_id` is the idempotency key of the whole batch. */
export interface PulseBatch {
  schema: typeof PULSE_BATCH_SCHEMA_ID;
  batch_id: string;
  /** When the agent sealed the batch (RFC 3339 UTC). */
  created_at: string;
  intervals: PulseInterval[];
}

const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const UTC_MS = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$';
/** Category keys: lower-case, digits, `_`, `-`, `.`; at most 64 chars. */
export const CATEGORY_KEY = '^[a-z0-9][a-z0-9_.-]{0,63}$';
/** A registrable domain: LDH labels, at least two, lower-case, at most 253 chars. */
export const DOMAIN = '^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$';
const APP = '^[^\\u0000-\\u001f\\u007f]{1,128}$';

export const PULSE_INTERVAL_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'start', 'end', 'state', 'app', 'category', 'domain'],
  properties: {
    id: { type: 'string', pattern: UUID },
    start: { type: 'string', pattern: UTC_MS },
    end: { type: 'string', pattern: UTC_MS },
    state: { enum: [...PULSE_STATES] },
    app: { anyOf: [{ type: 'string', pattern: APP }, { type: 'null' }] },
    category: { anyOf: [{ type: 'string', pattern: CATEGORY_KEY }, { type: 'null' }] },
    domain: { anyOf: [{ type: 'string', pattern: DOMAIN }, { type: 'null' }] },
  },
} as const;

export const PULSE_BATCH_SCHEMA = {
  $id: 'https://parapet.dev/schemas/pulse-batch.json',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'batch_id', 'created_at', 'intervals'],
  properties: {
    schema: { const: PULSE_BATCH_SCHEMA_ID },
    batch_id: { type: 'string', pattern: UUID },
    created_at: { type: 'string', pattern: UTC_MS },
    intervals: { type: 'array', minItems: 1, maxItems: PULSE_BATCH_MAX_INTERVALS, items: PULSE_INTERVAL_SCHEMA },
  },
} as const;

/** Why a batch was refused; `code` is the stable problem code the server answers with. */
export class PulseBatchError extends Error {
  override name = 'PulseBatchError';
  constructor(
    readonly code: 'pulse_batch_invalid' | 'pulse_batch_too_large' | 'pulse_interval_invalid' | 'pulse_interval_in_future',
    message: string,
    readonly intervalId?: string,
  ) {
    super(message);
  }
}

// Compiled on first use: the agent imports this module for its constants and never parses a
// batch, and an Ajv compile costs it memory it keeps for its whole run.
let compiled: ValidateFunction<PulseBatch> | undefined;
const validator = (): ValidateFunction<PulseBatch> => (compiled ??= new Ajv({ allErrors: false, strict: true }).compile<PulseBatch>(PULSE_BATCH_SCHEMA));

function describe(e: ErrorObject | undefined): string {
  if (!e) return 'does not match the schema';
  return `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`;
}

/**
 * Parses and checks a batch: the schema, then each interval's semantics (end after start, at
 * most {@link PULSE_INTERVAL_MAX_MS} long, end no later than `now + PULSE_FUTURE_SKEW_MS`,
 * paused intervals carry no detail, idle/active carry an app, interval ids unique).
 * Categories are checked against the tenant's policy by the server, not here.
 * @param now the server's (or agent's) clock, injected for tests.
 * @throws PulseBatchError with the problem code to answer.
 */
export function parsePulseBatch(input: unknown, now: Date = new Date()): PulseBatch {
  const validateSchema = validator();
  if (!validateSchema(input)) {
    const e = validateSchema.errors?.[0];
    if (e?.keyword === 'maxItems' && e.instancePath === '/intervals') throw new PulseBatchError('pulse_batch_too_large', `A batch carries at most ${PULSE_BATCH_MAX_INTERVALS} intervals.`);
    throw new PulseBatchError('pulse_batch_invalid', `The batch ${describe(e)}.`);
  }
  const seen = new Set<string>();
  const limit = now.getTime() + PULSE_FUTURE_SKEW_MS;
  for (const i of input.intervals) {
    const s = Date.parse(i.start);
    const e = Date.parse(i.end);
    if (!Number.isFinite(s) || !Number.isFinite(e)) throw new PulseBatchError('pulse_interval_invalid', `Interval ${i.id} has a time that is not a real date.`, i.id);
    if (e <= s) throw new PulseBatchError('pulse_interval_invalid', `Interval ${i.id} ends before it starts.`, i.id);
    if (e - s > PULSE_INTERVAL_MAX_MS) throw new PulseBatchError('pulse_interval_invalid', `Interval ${i.id} is longer than 24 hours.`, i.id);
    if (e > limit) throw new PulseBatchError('pulse_interval_in_future', `Interval ${i.id} ends in the future.`, i.id);
    if (i.state === 'paused' && (i.app !== null || i.category !== null || i.domain !== null)) throw new PulseBatchError('pulse_interval_invalid', `Paused interval ${i.id} must carry no app, category or domain.`, i.id);
    if (i.state !== 'paused' && (i.app === null || i.category === null)) throw new PulseBatchError('pulse_interval_invalid', `Interval ${i.id} needs an app and a category.`, i.id);
    if (seen.has(i.id)) throw new PulseBatchError('pulse_interval_invalid', `Interval id ${i.id} appears twice in the batch.`, i.id);
    seen.add(i.id);
  }
  return input;
}

/** Formats a millisecond timestamp the way the batch carries it. */
export function pulseTime(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The tenant's Pulse policy, served to agents at `GET /api/v1/pulse/policy` (signed device
 * request) as a DSSE envelope (payload type {@link PULSE_POLICY_PAYLOAD_TYPE}) over canonical
 * JSON of this shape, signed with the tenant's policy key.
 */
export const PULSE_POLICY_PAYLOAD_TYPE = 'application/vnd.parapet.pulse-policy+json';
export interface PulsePolicy {
  schema: 'parapet.pulse.policy/v1';
  tenant: string;
  version: number;
  /** Category keys ({@link CATEGORY_KEY}) with display names; `uncategorized` always exists. */
  categories: Array<{ key: string; name: string }>;
  /**
   * Categorisation rules; the most specific match wins (title+app beats app beats domain).
   * `app` is a case-insensitive exact app id; `title` and `domain` are case-insensitive
   * regular expressions (JavaScript syntax, no flags).
   */
  rules: Array<{ category: string; app?: string; title?: string; domain?: string }>;
  /** No input for this long (s) counts as idle; default 180. */
  idle_timeout_seconds: number;
  /** Whether employees may add local categories (kept on the device). */
  allow_local_categories: boolean;
  /** Names to scrub from titles before categorisation output (e.g. customer names). */
  scrub_names: string[];
}
