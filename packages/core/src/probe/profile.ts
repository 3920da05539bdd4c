/**
 * The worker's safety profile (PROBE-WORKER): what a release of parapet-worker may ever do,
 * whatever a scope or scan asks. A DSSE envelope (payload type PROFILE_PAYLOAD_TYPE, RFC 8785
 * canonical JSON) signed with the Ed25519 release key, embedded in the worker at build time
 * and verified at start against the release public key compiled into the same build.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { canonicalJson } from '../crypto/canonical-json.js';
import { DsseError, verifyEnvelope } from '../crypto/dsse.js';
import { PROBE_TYPES, type ProbeType } from './scope.js';

export const PROFILE_PAYLOAD_TYPE = 'application/vnd.parapet.safety-profile+json';

export interface SafetyProfile {
  /** Profile version (integer, grows with each release that changes it). */
  version: number;
  probe_types: ProbeType[];
  /** Hard cap on new connection attempts (SYNs) per second, for the whole worker. */
  max_packets_per_second: number;
  /** Probes in flight at once, whole worker. */
  max_concurrency: number;
  /** Probes in flight at once against one address. */
  per_host_concurrency: number;
  /** TCP connect timeout (ms): no answer in time means filtered. */
  connect_timeout_ms: number;
  /** How long a passive read or a TLS/HTTP exchange may take (ms). */
  read_timeout_ms: number;
  /** Most bytes read from a service by any probe. */
  max_read_bytes: number;
  /** Most addresses in one scan after CIDR expansion and name resolution. */
  max_addresses: number;
  valid_from: string;
  valid_until: string;
}

const DATE_TIME = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$';
const int = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum }) as const;

export const PROFILE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'probe_types', 'max_packets_per_second', 'max_concurrency', 'per_host_concurrency', 'connect_timeout_ms', 'read_timeout_ms', 'max_read_bytes', 'max_addresses', 'valid_from', 'valid_until'],
  properties: {
    version: int(1, 2147483647),
    probe_types: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...PROBE_TYPES] } },
    max_packets_per_second: int(1, 10000),
    max_concurrency: int(1, 1024),
    per_host_concurrency: int(1, 256),
    connect_timeout_ms: int(100, 30000),
    read_timeout_ms: int(100, 30000),
    max_read_bytes: int(1, 1048576),
    max_addresses: int(1, 65536),
    valid_from: { type: 'string', pattern: DATE_TIME },
    valid_until: { type: 'string', pattern: DATE_TIME },
  },
} as const;

// Compiled on first use, not at import (see scope.ts).
let compiled: ValidateFunction | undefined;
const validator = (): ValidateFunction => (compiled ??= new Ajv({ strict: true }).compile(PROFILE_SCHEMA));

export type ProfileProblem = 'missing' | 'malformed' | 'unsigned' | 'bad_signature' | 'wrong_type' | 'not_canonical' | 'invalid' | 'not_yet_valid' | 'expired';

export class ProfileError extends Error {
  override name = 'ProfileError';
  constructor(readonly code: ProfileProblem, message: string) {
    super(message);
  }
}

/** Validates a profile document; throws ProfileError('invalid'). */
export function parseProfile(doc: unknown): SafetyProfile {
  const validate = validator();
  if (!validate(doc)) throw new ProfileError('invalid', `The safety profile does not match its schema (${validate.errors?.[0]?.instancePath || 'document'} ${validate.errors?.[0]?.message ?? ''}).`);
  const p = doc as unknown as SafetyProfile;
  if (!(Date.parse(p.valid_from) < Date.parse(p.valid_until))) throw new ProfileError('invalid', 'The safety profile ends before it starts.');
  if (p.per_host_concurrency > p.max_concurrency) throw new ProfileError('invalid', 'The safety profile allows more per-host than global concurrency.');
  return p;
}

/**
 * Verifies an embedded profile envelope with the release public key (PEM SPKI) at `now`.
 * Throws ProfileError with a one-sentence message for: missing, malformed, unsigned, a bad
 * signature (tampered or another key), wrong payload type, non-canonical payload, schema,
 * not yet valid, expired.
 */
export function verifyProfile(envelope: unknown, releasePublicKeyPem: string, now: Date): SafetyProfile {
  if (envelope === undefined || envelope === null || envelope === '') throw new ProfileError('missing', 'The worker has no embedded safety profile, so it refuses to run.');
  const e = envelope as { signatures?: unknown };
  if (typeof envelope !== 'object') throw new ProfileError('malformed', 'The embedded safety profile is not a DSSE envelope, so the worker refuses to run.');
  if (!Array.isArray(e.signatures) || e.signatures.length === 0) throw new ProfileError('unsigned', 'The embedded safety profile is not signed, so the worker refuses to run.');
  let payload: Buffer;
  try {
    payload = verifyEnvelope(envelope, PROFILE_PAYLOAD_TYPE, releasePublicKeyPem).payload;
  } catch (err) {
    if (err instanceof DsseError && err.code === 'payload_type') throw new ProfileError('wrong_type', 'The embedded safety profile has the wrong payload type, so the worker refuses to run.');
    if (err instanceof DsseError && err.code === 'bad_signature') throw new ProfileError('bad_signature', 'The embedded safety profile is not signed by this release key (it was changed or signed by someone else), so the worker refuses to run.');
    throw new ProfileError('malformed', 'The embedded safety profile is not a valid DSSE envelope, so the worker refuses to run.');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new ProfileError('malformed', 'The signed safety profile is not JSON, so the worker refuses to run.');
  }
  if (canonicalJson(doc) !== payload.toString('utf8')) throw new ProfileError('not_canonical', 'The signed safety profile is not in canonical form, so the worker refuses to run.');
  const p = parseProfile(doc);
  if (now.getTime() < Date.parse(p.valid_from)) throw new ProfileError('not_yet_valid', `The safety profile is valid only from ${p.valid_from}, so the worker refuses to run.`);
  if (now.getTime() >= Date.parse(p.valid_until)) throw new ProfileError('expired', `The safety profile expired at ${p.valid_until}, so the worker refuses to run.`);
  return p;
}
