/**
 * Bad input never becomes a 500. Two central guards:
 *
 * 1. `findUnstorable` (run on every request's body, query string and path parameters before
 *    schema validation): PostgreSQL text and jsonb cannot hold U+0000, a lone UTF-16
 *    surrogate cannot be encoded as UTF-8 (it would be stored silently as U+FFFD), and JSON
 *    nested deeper than MAX_DEPTH is never a real API body. Such input is refused with 400
 *    before any handler sees it.
 * 2. `problemForDatabaseError` (run by the error handler): the SQLSTATE classes a client can
 *    provoke, 22 (data exception: out-of-range numbers, malformed values) and 23 (integrity
 *    constraint violation: unique, foreign key, not null, check), become 4xx problems, each
 *    with its own stable code. A handler that knows better throws its own ProblemError first;
 *    these are the net under it.
 */
import { pgErrorCode } from '@parapet/db';
import { ProblemError, type ProblemCode } from './problem.js';

/** Deepest JSON nesting accepted in a request (objects and arrays both count). */
export const MAX_DEPTH = 64;

/** A lone surrogate: a high one not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored, or undefined when it can. */
export function unstorableReason(s: string): string | undefined {
  if (s.includes('\u0000')) return 'contains the NUL character (U+0000)';
  if (LONE_SURROGATE.test(s)) return 'contains a lone UTF-16 surrogate, which is not a Unicode character';
  return undefined;
}

/**
 * Walks a parsed request part (iteratively: depth is bounded here, not by the stack) and
 * returns a ProblemError for the first string or key that cannot be stored, or for nesting
 * deeper than MAX_DEPTH; undefined when the value is fine. `where` names the part
 * ("body", "query", "params") in the problem's `pointer` extension (RFC 6901).
 */
export function findUnstorable(value: unknown, where: string): ProblemError | undefined {
  // Every request passes here (a Pulse batch has thousands of strings), so an entry keeps its
  // parent and key, and a JSON pointer is spelled out only for the entry that fails.
  interface Entry {
    v: unknown;
    up: Entry | undefined;
    key: string;
    depth: number;
  }
  const pointer = (e: Entry | undefined): string => {
    let path = '';
    for (; e?.up; e = e.up) path = `/${e.key.replace(/~/g, '~0').replace(/\//g, '~1')}${path}`;
    return path;
  };
  const stack: Entry[] = [{ v: value, up: undefined, key: '', depth: 0 }];
  while (stack.length > 0) {
    const e = stack.pop()!;
    const v = e.v;
    if (typeof v === 'string') {
      const why = unstorableReason(v);
      if (why) {
        const path = pointer(e);
        return new ProblemError(400, 'unstorable_string', `The ${where} value at "${path || '/'}" ${why}.`, { pointer: `${where}${path}` });
      }
      continue;
    }
    if (v === null || typeof v !== 'object' || Buffer.isBuffer(v)) continue;
    if (e.depth >= MAX_DEPTH) return new ProblemError(400, 'nesting_too_deep', `The ${where} is nested deeper than ${MAX_DEPTH} levels.`, { pointer: `${where}${pointer(e)}` });
    for (const k of Object.keys(v)) {
      const why = unstorableReason(k);
      if (why) return new ProblemError(400, 'unstorable_string', `A ${where} member name ${why}.`, { pointer: `${where}${pointer(e)}` });
      stack.push({ v: (v as Record<string, unknown>)[k], up: e, key: k, depth: e.depth + 1 });
    }
  }
  return undefined;
}

/**
 * Unique constraints with a code of their own: the generic `already_exists` is right but
 * says less than a client can act on.
 */
const UNIQUE_CODES: Record<string, { code: ProblemCode; detail: string }> = {
  webauthn_credentials_tenant_id_credential_id_key: { code: 'webauthn_credential_exists', detail: 'This security key is registered already.' },
};

/**
 * The problem for a database error a client's input can cause, or undefined for any other
 * error (which stays a logged 500). Details never echo database text: constraint and column
 * names are internal, and a unique violation's key could name another tenant's data.
 */
export function problemForDatabaseError(e: unknown): ProblemError | undefined {
  const code = pgErrorCode(e);
  if (!code || !/^(22|23)[0-9A-Z]{3}$/.test(code)) return code === '54000' ? new ProblemError(400, 'value_too_large', 'A value in the request is too large to store.') : undefined;
  const err = e as { constraint?: string; detail?: string; column?: string };
  switch (code) {
    case '22021': // character_not_in_repertoire: NUL or invalid UTF-8 in text
    case '22P05': // untranslatable_character: \u0000 in jsonb
      return new ProblemError(400, 'unstorable_string', 'A string in the request contains a character that cannot be stored (such as U+0000).');
    case '22001':
      return new ProblemError(400, 'value_too_long', 'A value in the request is longer than its field allows.');
    case '22003':
      return new ProblemError(400, 'number_out_of_range', 'A number in the request is out of the range its field allows.');
    case '22007':
    case '22008':
      return new ProblemError(400, 'invalid_datetime', 'A date or time in the request is not valid.');
    case '23505': {
      const known = err.constraint ? UNIQUE_CODES[err.constraint] : undefined;
      return new ProblemError(409, known?.code ?? 'already_exists', known?.detail ?? 'A value in the request must be unique and is in use already.');
    }
    case '23503':
      return /still referenced/.test(err.detail ?? '')
        ? new ProblemError(409, 'still_referenced', 'The resource is still in use by another one and cannot be removed.')
        : new ProblemError(422, 'reference_not_found', 'The request refers to something that does not exist.');
    case '23502':
      return new ProblemError(400, 'missing_value', 'A required value is missing from the request.');
    case '23514':
      return new ProblemError(422, 'constraint_violated', 'A value in the request is outside what its field allows.');
    case '23P01':
      return new ProblemError(409, 'conflict', 'The request conflicts with an existing resource.');
  }
  return code.startsWith('22')
    ? new ProblemError(400, 'invalid_value', 'A value in the request has the wrong form for its field.')
    : new ProblemError(409, 'integrity_violation', 'The request would break a consistency rule of the stored data.');
}
