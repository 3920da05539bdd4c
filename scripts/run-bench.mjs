#!/usr/bin/env node
// Runs every bench/<name>/index.ts (one file per bench) through tsx, one after another.
// Arguments narrow the set: `npm run bench -- pdp`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, 'bench');
const names = existsSync(dir) ? readdirSync(dir).filter((n) => existsSync(join(dir, n, 'index.ts'))).sort() : [];
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const selected = names.filter((n) => filters.length === 0 || filters.some((f) => n.includes(f)));
if (selected.length === 0) {
  console.error('No benchmarks matched.');
  process.exit(1);
}
let failed = 0;
for (const n of selected) {
  console.log(`\n== bench/${n}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join('bench', n, 'index.ts')], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
