// Every operation in /api/v1/openapi.json declares what it answers: each 2xx response has a
// schema in which every object lists its `properties` and `required` members and is never a
// bare `additionalProperties: true` (Fastify serializes responses through these schemas, so a
// member left out is silently dropped, and clients' generated types are only as good as them),
// and its 4xx answers are the shared problem-details schema (SCIM's own error, RFC 7644 §3.12,
// under /scim/v2). A map whose `additionalProperties` is itself a schema (counts per table,
// roles per group) is typed and allowed; a free-form object is allowed only where its schema's
// `title` is listed in EXCEPTIONS with the reason. Routes are read from the OpenAPI document at
// run time, so a route added without a complete schema fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openApiFixture, type Schema } from './fixtures/openapi.js';

/** Schemas (by `title`) whose content is free-form by design, with the reason. */
const EXCEPTIONS: Record<string, string> = {
  'Audit event details': "Each event's own facts, declared per event in its domain's audit catalogue; entries are returned exactly as hashed into the log.",
  'SCIM User': 'RFC 7643 §3: a resource carries attributes of any schema extension the identity provider sends (its URN as the member name), stored and returned as sent.',
  'Probe observation': 'What a probe observed (TLS, certificate, HTTP headers, banner), by probe type, as the worker reported it.',
  'Probe transcript': 'The raw exchange a probe recorded (bytes as base64, certificate chain, status line, headers), kept as evidence byte for byte.',
  'Finding detail': 'The facts behind a finding, which differ by finding kind (certificate dates, TLS version, header names, expected ports).',
  'WebAuthn client extension inputs': 'WebAuthn §9: an open registry of extension identifiers, passed to the browser as @simplewebauthn/server makes them.',
};

const openapi = openApiFixture();
const { resolve } = openapi;

/** The problems of one schema node and its children; `where` is `<op> <status> <pointer>`. */
function walk(node: Schema, where: string, pointer: string, used: Set<string>, out: string[]): void {
  const x = resolve(node);
  const at = `${where} ${pointer || '/'}`;
  if (typeof x.title === 'string' && EXCEPTIONS[x.title] !== undefined) {
    used.add(x.title);
    return;
  }
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) {
    if (Array.isArray(x[k])) (x[k] as Schema[]).forEach((sub, i) => walk(sub, where, `${pointer}/${k}/${i}`, used, out));
  }
  const types: string[] = Array.isArray(x.type) ? x.type : x.type ? [x.type] : [];
  if (types.length === 0 && !x.anyOf && !x.oneOf && !x.allOf && !('const' in x) && !x.enum) {
    out.push(`${at}: no type`);
    return;
  }
  const typedMap = !x.properties && x.additionalProperties && typeof x.additionalProperties === 'object';
  if ((types.includes('object') || x.properties) && !typedMap) {
    if (!x.properties || typeof x.properties !== 'object') out.push(`${at}: object without properties`);
    if (!Array.isArray(x.required)) out.push(`${at}: object without a required list`);
    // false, or a schema for the rest of the members (typed); never true or left open.
    if (x.additionalProperties === true || x.additionalProperties === undefined) out.push(`${at}: additionalProperties is not false`);
    for (const [k, v] of Object.entries((x.properties ?? {}) as Record<string, Schema>)) walk(v, where, `${pointer}/properties/${k}`, used, out);
    for (const r of (x.required ?? []) as string[]) if (x.properties && !(r in x.properties)) out.push(`${at}: requires ${r}, which it does not describe`);
  }
  if (x.additionalProperties && typeof x.additionalProperties === 'object') walk(x.additionalProperties, where, `${pointer}/additionalProperties`, used, out);
  if (types.includes('array')) {
    if (!x.items) out.push(`${at}: array without items`);
    else walk(x.items, where, `${pointer}/items`, used, out);
  }
}

interface Op {
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

test('every 2xx response has a complete schema and every operation answers errors as problem details', () => {
  const problems: string[] = [];
  const used = new Set<string>();
  let operations = 0;
  let responses = 0;
  for (const [path, item] of Object.entries(openapi.spec.paths as Record<string, Record<string, Op>>)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      operations++;
      const name = `${method.toUpperCase()} ${path}`;
      const codes = Object.keys(op.responses ?? {});
      const ok = codes.filter((c) => /^2/.test(c));
      // A route that only redirects (SSO login) declares its 3xx instead.
      if (ok.length === 0 && !codes.some((c) => /^3/.test(c))) problems.push(`${name}: no 2xx response`);
      for (const code of ok) {
        responses++;
        const content = op.responses![code]!.content;
        if (code === '204') {
          if (content && Object.keys(content).length) problems.push(`${name} 204: a 204 has no content`);
          continue;
        }
        if (!content || Object.keys(content).length === 0) {
          problems.push(`${name} ${code}: no content schema`);
          continue;
        }
        for (const [type, media] of Object.entries(content)) {
          if (!media.schema) problems.push(`${name} ${code} ${type}: no schema`);
          else walk(media.schema, `${name} ${code}`, '', used, problems);
        }
      }
      const errors = codes.filter((c) => /^[45]/.test(c));
      if (errors.length === 0) problems.push(`${name}: no error responses declared`);
      for (const code of errors) {
        for (const [type, media] of Object.entries(op.responses![code]!.content ?? {})) {
          const ref = media.schema?.$ref as string | undefined;
          const problem = !!ref && /Problem$/.test(decodeURIComponent(ref));
          const scimError = path.startsWith('/scim/v2/') && /^SCIM error/.test(String(media.schema?.title));
          if (!problem && !scimError) problems.push(`${name} ${code} ${type}: not the problem-details schema`);
        }
      }
    }
  }
  const stale = Object.keys(EXCEPTIONS).filter((k) => !used.has(k));
  assert.ok(operations > 100, `only ${operations} operations found`);
  assert.deepEqual(problems, [], `${problems.length} incomplete response schemas in ${operations} operations (${responses} 2xx responses)`);
  assert.deepEqual(stale, [], 'exceptions that no longer match any schema');
});
