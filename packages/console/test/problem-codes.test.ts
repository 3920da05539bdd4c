// The console compares problem codes only through the server's catalogue (PROBLEM), so a
// misspelt or retired code cannot sit in the console as a comparison that never matches.
// Two checks: the TypeScript compiler, run with the console's own settings on a probe file
// placed beside the console's sources, must reject a misspelt code in both forms; and no
// console source compares `code` with a string it typed, apart from the console's own codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { PROBLEM, PROBLEM_CODES } from '@parapet/server/problem-codes';

const CONSOLE = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(CONSOLE, 'src');
/** Codes the console makes itself (api.ts), not the server's. */
const CLIENT_CODES = new Set(['network_error', 'step_up_cancelled']);

function diagnosticsFor(probe: string): string[] {
  const cfg = ts.readConfigFile(join(CONSOLE, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(cfg.config, ts.sys, CONSOLE);
  const file = join(SRC, '__problem_code_probe__.ts');
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, probe, lang) : getSourceFile(name, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => `${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

test('PROBLEM maps every catalogued code to itself, and nothing else', () => {
  assert.deepEqual(Object.keys(PROBLEM).sort(), Object.keys(PROBLEM_CODES).sort());
  for (const [k, v] of Object.entries(PROBLEM)) assert.equal(v, k);
  assert.ok(Object.isFrozen(PROBLEM));
});

test("the console's type check rejects a misspelt problem code, as a PROBLEM name or as a typed string", () => {
  const ok = diagnosticsFor(`import { ApiError, PROBLEM } from './api';\nexport const f = (e: ApiError) => e.code === PROBLEM.too_many_attempts || e.code === 'not_found' || e.code === 'network_error';\n`);
  assert.deepEqual(ok, []);
  const name = diagnosticsFor(`import { ApiError, PROBLEM } from './api';\nexport const f = (e: ApiError) => e.code === PROBLEM.too_many_attempt;\n`);
  assert.ok(name.some((d) => d.startsWith('2339:') || d.startsWith('2551:')), name.join('\n'));
  const typed = diagnosticsFor(`import { ApiError } from './api';\nexport const f = (e: ApiError) => e.code === 'account_locked';\n`);
  assert.ok(typed.some((d) => d.startsWith('2367:')), typed.join('\n'));
});

test('no console source compares a problem code with a string it typed', () => {
  const files = (readdirSync(SRC, { recursive: true }) as string[]).filter((f) => /\.tsx?$/.test(f));
  assert.ok(files.length > 10);
  const found: string[] = [];
  for (const f of files) {
    const text = readFileSync(join(SRC, f), 'utf8');
    for (const m of text.matchAll(/\bcode\s*(?:===|!==|==|!=)\s*['"]([^'"]+)['"]|['"]([^'"]+)['"]\s*(?:===|!==)\s*[\w.]*\bcode\b|\bcode:\s*['"]([a-z_]+)['"]/g)) {
      const lit = m[1] ?? m[2] ?? m[3]!;
      if (CLIENT_CODES.has(lit) || /^ERROR_[A-Z_]+$/.test(lit)) continue; // @simplewebauthn's own error codes
      found.push(`${f}: ${m[0]}`);
    }
  }
  assert.deepEqual(found, []);
});
