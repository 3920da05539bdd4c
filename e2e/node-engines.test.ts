/**
 * Parapet runs on Node 20 (README, CI), so `npm install` there must print no EBADENGINE
 * warning: every package in package-lock.json must declare `engines.node` that admits Node 20.
 * The floor is 20.19.0, the release whose require() loads ES modules, which vite 7 and
 * @noble/hashes already ask for; packages whose newest major wants Node 22 are pinned to their
 * last Node 20 major with root `overrides`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

const NODE_20_FLOOR = '20.19.0';

interface LockEntry {
  version?: string;
  engines?: { node?: string } | string[];
}

test('every package in package-lock.json admits Node 20 (no EBADENGINE on npm install)', () => {
  const lock = JSON.parse(readFileSync(fileURLToPath(new URL('../package-lock.json', import.meta.url)), 'utf8')) as { packages: Record<string, LockEntry> };
  const checked: string[] = [];
  const refused: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    const range = !entry.engines || Array.isArray(entry.engines) ? undefined : entry.engines.node;
    if (!range || !path) continue;
    checked.push(path);
    for (const node of [NODE_20_FLOOR, ...(process.versions.node.startsWith('20.') ? [process.versions.node] : [])]) {
      if (!semver.satisfies(node, range)) refused.push(`${path.replace(/^.*node_modules\//, '')}@${entry.version} needs node ${range} (not ${node})`);
    }
  }
  assert.ok(checked.length > 100, `only ${checked.length} packages declare engines: is this the lock?`);
  assert.deepEqual(refused, []);
});
