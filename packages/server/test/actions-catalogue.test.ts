/**
 * The PDP action catalogue, read from the server's sources: every action a module declares
 * with `defineActions` is asked for somewhere (a declaration nothing checks is a permission
 * nobody can reason about), and every action literal an authorization call asks for
 * (`authorize`, `authorizeAudited`, `decide`, `guard` and the routes' `allow`/`audited`/
 * `guarded` wrappers: the first `domain.object.verb` literal of the call) is declared, so a
 * typo cannot silently deny (or, with a hand-written policy, allow) a request.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : n.endsWith('.ts') ? [join(d, n)] : []));
const SOURCES = walk(SRC).map((f) => ({ file: relative(SRC, f), text: readFileSync(f, 'utf8') }));

const ACTION = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$/;
const CALLEE = /\b(authori[sz]e\w*|guard\w*|allow\w*|decide\w*|audited)\s*\(/g;

/** End (index of the closing bracket) of the bracketed span opening at `open`. */
function spanEnd(text: string, open: number): number {
  let depth = 0;
  for (let j = open; j < text.length; j++) {
    const c = text[j]!;
    if (c === "'" || c === '"' || c === '`') {
      const close = text.indexOf(c, j + 1);
      if (close < 0) return text.length;
      j = close;
    } else if (c === '(' || c === '{' || c === '[') depth++;
    else if (c === ')' || c === '}' || c === ']') {
      depth--;
      if (depth === 0) return j;
    }
  }
  return text.length;
}

/**
 * The `defineActions({...})` argument spans of a source: from the call to the `})` that closes
 * it at the start of a line (declarations are top-level statements; their comments may hold
 * apostrophes, so the span is not found by matching quotes).
 */
function declarationSpans(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const m of text.matchAll(/\bdefineActions\s*\(\s*\{/g)) {
    const end = /\n\}\s*\)/g;
    end.lastIndex = m.index!;
    const e = end.exec(text);
    out.push([m.index!, e ? e.index : text.length]);
  }
  return out;
}

function catalogue(sources: Array<{ file: string; text: string }>) {
  const declared = new Map<string, string>();
  for (const { file, text } of sources) {
    for (const [a, b] of declarationSpans(text)) {
      for (const m of text.slice(a, b).matchAll(/['"]([^'"\n]+)['"]\s*:\s*\{/g)) declared.set(m[1]!, file);
    }
  }
  // Asked for anywhere: the action's name as a whole string literal outside declarations.
  const used = new Set<string>();
  for (const { text } of sources) {
    const spans = declarationSpans(text);
    for (const a of declared.keys()) {
      for (const q of ["'", '"', '`']) {
        for (let i = text.indexOf(q + a + q); i >= 0; i = text.indexOf(q + a + q, i + 1)) if (!spans.some(([x, y]) => i >= x && i <= y)) used.add(a);
      }
    }
  }
  // The action each authorization call asks for: its first action-shaped literal argument.
  const calls: Array<{ file: string; callee: string; action: string }> = [];
  for (const { file, text } of sources) {
    for (const m of text.matchAll(CALLEE)) {
      if (/(?:function|async)\s*$/.test(text.slice(Math.max(0, m.index! - 16), m.index!))) continue; // a definition, not a call
      const open = m.index! + m[0].length - 1;
      const end = spanEnd(text, open);
      let depth = 0;
      for (let j = open; j < end; j++) {
        const c = text[j]!;
        if (c === '(' || c === '{' || c === '[') depth++;
        else if (c === ')' || c === '}' || c === ']') depth--;
        else if (c === "'" || c === '"') {
          const close = text.indexOf(c, j + 1);
          if (close < 0) break; // an apostrophe in a comment: no literal follows
          const lit = text.slice(j + 1, close);
          j = close;
          if (depth === 1 && ACTION.test(lit)) {
            calls.push({ file, callee: m[1]!, action: lit });
            break;
          }
        } else if (c === '`') {
          j = text.indexOf('`', j + 1);
          if (j < 0) break;
        }
      }
    }
  }
  return { declared, used, calls };
}

test('every declared PDP action is asked for, and every action asked for is declared', (ctx) => {
  const { declared, used, calls } = catalogue(SOURCES);
  ctx.diagnostic(`${declared.size} actions declared; ${calls.length} authorization calls name an action`);
  assert.ok(declared.size >= 40 && calls.length >= 40, 'the reader found the declarations and the calls');
  assert.deepEqual([...declared.keys()].filter((a) => !used.has(a)).map((a) => `${a} (declared in ${declared.get(a)})`), [], 'declared but never asked for');
  assert.deepEqual(calls.filter((c) => !declared.has(c.action)).map((c) => `${c.file}: ${c.callee}(… '${c.action}' …)`), [], 'asked for but never declared');
});

test('the reader catches a declaration nobody asks for and a call naming an undeclared action', () => {
  const fake = [
    { file: 'a/routes.ts', text: `defineActions({\n  'a.thing.read': { roles: ['admin'] },\n  'a.thing.unused': { roles: ['admin'] },\n});\nconst d = authorize(p, 'a.thing.read', { type: 'tenant', id: f(x) });\nawait guard(req, 'a.thing.raed', { audit: 'a.thing_read' });\nasync function allow(req: R, action: string) {}\nawait allow(req, 'a.thing.read', 'a.audit_event');` },
  ];
  const { declared, used, calls } = catalogue(fake);
  assert.deepEqual([...declared.keys()], ['a.thing.read', 'a.thing.unused']);
  assert.deepEqual([...declared.keys()].filter((a) => !used.has(a)), ['a.thing.unused']);
  assert.deepEqual(calls.map((c) => `${c.callee}:${c.action}`), ['authorize:a.thing.read', 'guard:a.thing.raed', 'allow:a.thing.read']);
  assert.deepEqual(calls.filter((c) => !declared.has(c.action)).map((c) => c.action), ['a.thing.raed']);
});

test('an unmatched quote inside a call (an apostrophe in a comment) ends the scan of that call', () => {
  const { calls } = catalogue([{ file: 'a/routes.ts', text: "await guard(req, // the viewer's own team\n  scope);\nconst t = `x" }]);
  assert.deepEqual(calls, []);
});
