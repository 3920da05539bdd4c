// Every CLI command that talks to the API goes through the generated client (api.client),
// so a renamed route or a changed body is a type error in the CLI, not a runtime 404/400.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

test('no command sends an untyped API request (api.call / api.raw / c.raw with a path)', () => {
  const dir = fileURLToPath(new URL('../src/commands', import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length > 5);
  const found: string[] = [];
  let typed = 0;
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    for (const m of text.matchAll(/\.(call|raw)\(\s*['"`](GET|POST|PUT|PATCH|DELETE)/g)) found.push(`${f}: ${m[0]}`);
    typed += [...text.matchAll(/\.client\.(GET|POST|PUT|PATCH|DELETE)\(/g)].length;
  }
  assert.deepEqual(found, []);
  assert.ok(typed >= 20, `only ${typed} typed calls found`);
});
