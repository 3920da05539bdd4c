/**
 * RFC 8785 JSON Canonicalization Scheme (JCS), through the maintained `canonicalize` package.
 * Signed documents (probe scopes, reports) are signed over these bytes, so a verifier that
 * re-serialises the JSON gets exactly the same input.
 */
import canonicalizeImpl from 'canonicalize';

/** The canonical UTF-8 text of `value`. Throws on values JSON cannot represent. */
export function canonicalJson(value: unknown): string {
  assertJsonValue(value, '$');
  const s = canonicalizeImpl(value);
  if (s === undefined) throw new TypeError('The value has no JSON representation.');
  return s;
}

/** The canonical bytes (UTF-8). */
export function canonicalJsonBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// I-JSON (RFC 7493) as RFC 8785 requires: no NaN/Infinity, no lone surrogates, no
// non-plain objects. The package would silently drop or stringify some of these.
function assertJsonValue(v: unknown, path: string): void {
  if (v === null || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`${path}: ${v} is not a JSON number.`);
    return;
  }
  if (typeof v === 'string') {
    if (LONE_SURROGATE.test(v)) throw new TypeError(`${path}: string contains a lone surrogate.`);
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => assertJsonValue(x, `${path}[${i}]`));
    return;
  }
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) throw new TypeError(`${path}: only plain objects can be canonicalised.`);
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (LONE_SURROGATE.test(k)) throw new TypeError(`${path}: key contains a lone surrogate.`);
      assertJsonValue(x, `${path}.${k}`);
    }
    return;
  }
  throw new TypeError(`${path}: ${typeof v} is not a JSON value.`);
}
