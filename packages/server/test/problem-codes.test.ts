/**
 * The problem code catalogue (http/problem-codes.ts) against the source: every code thrown
 * with a literal status is catalogued with that status, every code passed to a refusal helper
 * is catalogued, and every catalogued code is still used somewhere (no dead entries).
 * ProblemError's `code` parameter is the catalogue's type, so an uncatalogued literal is a
 * type error as well (checked below with @ts-expect-error, which fails typecheck if it is not).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PROBLEM_CODES, ProblemError, isProblemCode, problemStatuses, type ProblemCode } from '../src/http/problem.js';

const root = new URL('../../', import.meta.url).pathname;
function sources(dir: string): Array<{ file: string; text: string }> {
  const out: Array<{ file: string; text: string }> = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push({ file: p.slice(root.length), text: readFileSync(p, 'utf8') });
  }
  return out;
}
const server = sources(join(root, 'server/src')).filter((s) => !s.file.endsWith('http/problem-codes.ts'));
const core = sources(join(root, 'core/src'));

test('every code thrown with a literal status is catalogued with that status', () => {
  const wrong: string[] = [];
  let seen = 0;
  const thrown = /(?:new ProblemError|super|problemBody)\(\s*(\d{3}),\s*'([a-z0-9_]+)'/g;
  for (const { file, text } of server) {
    for (const m of text.matchAll(thrown)) {
      seen++;
      const [, status, code] = m;
      if (!isProblemCode(code!)) wrong.push(`${file}: ${code} is not catalogued`);
      else if (!problemStatuses(code).includes(Number(status))) wrong.push(`${file}: ${code} thrown with ${status}, catalogued as ${problemStatuses(code).join('/')}`);
    }
  }
  assert.ok(seen > 150, `found only ${seen} throws; has the pattern stopped matching?`);
  assert.deepEqual(wrong, []);
});

test('every code handed to a refusal helper or declared in a code table is catalogued', () => {
  const missing: string[] = [];
  const helper = /\b(?:refuse|invalid|refusal)\(\s*'([a-z0-9_]+)'/g;
  for (const { file, text } of server) for (const m of text.matchAll(helper)) if (!isProblemCode(m[1]!)) missing.push(`${file}: ${m[1]}`);
  // The tables that map database constraints and Fastify errors to codes.
  const tables = /\bcode: '([a-z0-9_]+)'|: '([a-z0-9_]+)',?$/gm;
  for (const { file, text } of server.filter((s) => /http\/bad-input\.ts$|src\/app\.ts$/.test(s.file))) {
    const table = file.endsWith('app.ts') ? /FASTIFY_CODES[^{]*\{([^}]*)\}/.exec(text)?.[1] ?? '' : text;
    for (const m of table.matchAll(tables)) if (!isProblemCode((m[1] ?? m[2])!)) missing.push(`${file}: ${m[1] ?? m[2]}`);
  }
  // Codes that reach ProblemError through error classes of @parapet/core.
  for (const name of ['httpsig/signature.ts', 'pulse/batch.ts', 'probe/scope.ts']) {
    const text = core.find((s) => s.file.endsWith(name))!.text;
    const union = /export type (?:SignatureErrorCode|ValidityRule) =([^;]+);|readonly code: ([^,]+),/g;
    for (const m of text.matchAll(union)) for (const c of (m[1] ?? m[2]!).matchAll(/'([a-z0-9_]+)'/g)) if (!isProblemCode(c[1]!)) missing.push(`core/src/${name}: ${c[1]}`);
  }
  assert.deepEqual(missing, []);
});

test('every catalogued code is used in the source, with a 4xx or 5xx status', () => {
  const all = [...server, ...core].map((s) => s.text).join('\n');
  const unused = Object.keys(PROBLEM_CODES).filter((c) => !all.includes(`'${c}'`));
  assert.deepEqual(unused, []);
  for (const c of Object.keys(PROBLEM_CODES) as ProblemCode[]) {
    assert.match(c, /^[a-z][a-z0-9_]*$/);
    for (const s of problemStatuses(c)) assert.ok(s >= 400 && s <= 599, `${c}: ${s}`);
  }
});

test('ProblemError takes catalogued codes only (a type error otherwise)', () => {
  // @ts-expect-error 'no_such_code' is not in the catalogue
  const e = new ProblemError(400, 'no_such_code', 'x');
  assert.equal(isProblemCode(e.code), false);
  assert.equal(isProblemCode(new ProblemError(404, 'not_found', 'x').code), true);
});
