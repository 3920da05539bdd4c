/**
 * Every client goes through the generated client, checked on the sources:
 *
 * - the console (packages/console/src) calls `fetch` only in its client module, src/api.ts,
 *   which runs the typed client over it;
 * - the Node clients (device-client, agent, worker, CLI) name API paths only as the typed
 *   client's path templates: every `/api/v1/...` string is exactly a path of the generated
 *   `paths`, on a line that calls a typed method (`.GET(`, `.POST(`, …) or names a type of
 *   it. A path built by hand (`/api/v1/devices/${id}`, concatenation, a raw request) fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Lines that are code (comment lines dropped), with their numbers. */
function codeLines(file: string): Array<[number, string]> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l, i) => [i + 1, l] as [number, string])
    .filter(([, l]) => !/^\s*(\*|\/\/|\/\*)/.test(l));
}

const PATHS = new Set([...readFileSync(join(ROOT, 'packages/api-client/src/schema.ts'), 'utf8').matchAll(/^ {4}"(\/[^"]+)": \{$/gm)].map((m) => m[1]!));

/** Problems of one Node client source file: `file:line: text`. */
export function handBuiltPaths(file: string, text?: string): string[] {
  const bad: string[] = [];
  const lines = text === undefined ? codeLines(file) : text.split('\n').map((l, i) => [i + 1, l] as [number, string]);
  for (const [n, line] of lines) {
    for (const m of line.matchAll(/(['"`])(\/api\/v\d[^'"`]*)\1?/g)) {
      const path = m[2]!;
      const typedLine = /\.(GET|POST|PUT|DELETE|PATCH)\(|paths\[|(RequestBody|ResponseBody|Query)</.test(line);
      if (!PATHS.has(path) || m[1] === '`' && path.includes('${') || !typedLine) bad.push(`${relative(ROOT, file)}:${n}: ${line.trim()}`);
    }
  }
  return bad;
}

test('the console calls fetch only in its client module (src/api.ts)', () => {
  const dir = join(ROOT, 'packages/console/src');
  const bad: string[] = [];
  for (const f of sources(dir)) {
    if (relative(dir, f) === 'api.ts') continue;
    for (const [n, line] of codeLines(f)) if (/\b(fetch|XMLHttpRequest)\s*\(/.test(line)) bad.push(`${relative(ROOT, f)}:${n}: ${line.trim()}`);
  }
  assert.deepEqual(bad, [], `Console sources call fetch outside src/api.ts; use the typed client (api.GET, api.POST, …):\n${bad.join('\n')}`);
  // The client module itself runs the generated client.
  assert.match(readFileSync(join(dir, 'api.ts'), 'utf8'), /createApiClient\(/);
});

test('device-client, agent, worker and CLI build no API path by hand', () => {
  const bad: string[] = [];
  for (const pkg of ['device-client', 'agent', 'worker', 'cli']) {
    for (const f of sources(join(ROOT, 'packages', pkg, 'src'))) {
      // The admin-side fixture of device tests talks through the server's test client, not as a device.
      if (f.endsWith('device-client/src/testing.ts')) continue;
      bad.push(...handBuiltPaths(f));
    }
  }
  assert.deepEqual(bad, [], `API paths built by hand; call the typed client with the path template instead:\n${bad.join('\n')}`);
});

test('the path check catches what it is for', () => {
  const f = join(ROOT, 'packages/device-client/src/example.ts');
  assert.deepEqual(handBuiltPaths(f, "const r = await c.api.POST('/api/v1/devices/heartbeat', { body });"), []);
  assert.deepEqual(handBuiltPaths(f, "const r = await c.api.POST('/api/v1/devices/{id}/revoke', { params: { path: { id } } });"), []);
  assert.equal(handBuiltPaths(f, "const r = await c.request('POST', '/api/v1/devices/heartbeat', body);").length, 1, 'a raw request');
  assert.equal(handBuiltPaths(f, 'const r = await c.api.POST(`/api/v1/devices/${id}/revoke` as never);').length, 1, 'an interpolated path');
  assert.equal(handBuiltPaths(f, "const base = '/api/v1/probe/jobs/' + id;").length, 1, 'a concatenated path');
  assert.equal(handBuiltPaths(f, "await c.api.GET('/api/v1/no-such-route');").length, 1, 'a path the server does not have');
});
