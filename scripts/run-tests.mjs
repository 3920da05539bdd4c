#!/usr/bin/env node
// Finds every *.test.ts under packages/*/test, e2e/ and bench/ smoke tests, and runs them
// with Node's test runner through tsx. Arguments narrow the set: `npm test -- audit` runs
// files whose path contains "audit".
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const roots = ['packages', 'e2e'];
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts') && (p.includes('/test/') || p.startsWith(join(root, 'e2e')))) files.push(relative(root, p));
  }
}
for (const r of roots) if (existsSync(join(root, r))) walk(join(root, r));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const selected = files.sort().filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (selected.length === 0) {
  console.error('No test files matched.');
  process.exit(1);
}
const concurrency = process.env.PARAPET_TEST_CONCURRENCY ?? '2';
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', '--test-timeout=300000', ...selected],
  { stdio: 'inherit', cwd: root },
);
process.exit(r.status ?? 1);
