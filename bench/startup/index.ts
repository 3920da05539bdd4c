/**
 * Start-up benchmark: `npm start` (the server's bin, as npm runs it) on a fresh data dir until
 * GET /healthz answers over TLS ("first start": self-signed certificate, key file, the
 * embedded database unpacked from the migrated template `npm install` built), then SIGTERM
 * and a second start on the same data dir ("later start"). References measured in the same
 * round: a first start that runs initdb and every migration (PARAPET_NO_TEMPLATE=1), a later
 * start that transpiles the TypeScript sources through tsx instead of loading the bundle
 * (PARAPET_NO_BUNDLE=1), and bare `node -e 0` / `node --import tsx -e 0`. The server's own
 * `startup_ms` log field is the in-process part. Rounds: BENCH_ROUNDS (default 3).
 * Goals (issue 19): first <= 5 s, later <= 1.5 s on this machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { templatePath } from '@parapet/db';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'packages/server/bin/parapet-server.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Starts the server on `dataDir`; resolves with wall time to healthy and the server's own startup_ms, then stops it. */
async function startOnce(dataDir: string, env: Record<string, string> = {}): Promise<{ wallMs: number; inProcessMs: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN], {
    cwd: ROOT,
    env: { ...process.env, PARAPET_DATA_DIR: dataDir, PARAPET_PORT: '0', PARAPET_HOST: '127.0.0.1', DATABASE_URL: '', DATABASE_ADMIN_URL: '', PARAPET_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  let port = 0;
  for (;;) {
    const m = /"url":"https:\/\/localhost:(\d+)"/.exec(out);
    if (m) port = Number(m[1]);
    if (port && (await healthy(port))) break;
    if (child.exitCode !== null) throw new Error(`server exited: ${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const wallMs = performance.now() - t0;
  const inProcessMs = Number(/"startup_ms":(\d+)/.exec(out)?.[1] ?? NaN);
  child.kill('SIGTERM');
  await exited;
  return { wallMs, inProcessMs };
}

function nodeBaseline(args: string[]): number {
  const t0 = performance.now();
  spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
  return performance.now() - t0;
}

// The first start of the loop also builds the bundle if a source changed; do that outside the timing.
spawnSync(process.execPath, [join(ROOT, 'packages/server/build/bundle.mjs')], { cwd: ROOT, stdio: 'ignore' });
const template = await templatePath();
console.log(existsSync(template) ? `template: ${template}` : `template missing (${template}): run npm install or node --import tsx packages/db/bin/build-template.ts; first starts run initdb`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
type Row = { first: number; firstIn: number; later: number; laterIn: number; coldFirst: number; tsxLater: number; node: number; tsx: number };
const rows: Row[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const dir = await mkdtemp(join(tmpdir(), 'parapet-bench-startup-'));
  const cold = await mkdtemp(join(tmpdir(), 'parapet-bench-startup-cold-'));
  try {
    const node = nodeBaseline(['-e', '0']);
    const tsx = nodeBaseline(['--import', 'tsx', '-e', '0']);
    const first = await startOnce(dir);
    const later = await startOnce(dir);
    const tsxLater = await startOnce(dir, { PARAPET_NO_BUNDLE: '1' });
    const coldFirst = await startOnce(cold, { PARAPET_NO_TEMPLATE: '1' });
    rows.push({ first: first.wallMs, firstIn: first.inProcessMs, later: later.wallMs, laterIn: later.inProcessMs, coldFirst: coldFirst.wallMs, tsxLater: tsxLater.wallMs, node, tsx });
    console.log(
      `round ${i + 1} (load ${loadavg()[0]!.toFixed(1)}): first ${first.wallMs.toFixed(0)} ms (in-process ${first.inProcessMs}), later ${later.wallMs.toFixed(0)} ms (in-process ${later.inProcessMs}); ` +
        `references: first without template ${coldFirst.wallMs.toFixed(0)} ms, later through tsx ${tsxLater.wallMs.toFixed(0)} ms, node -e 0 ${node.toFixed(0)} ms, node --import tsx -e 0 ${tsx.toFixed(0)} ms`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(cold, { recursive: true, force: true });
  }
}
const m = (k: keyof Row) => median(rows.map((r) => r[k]));
console.log(`median of ${ROUNDS}: first start ${m('first').toFixed(0)} ms (goal 5000), later start ${m('later').toFixed(0)} ms (goal 1500); load average ${loadavg()[0]!.toFixed(1)}`);
console.log(
  `ratios: first / first without template ${(m('first') / m('coldFirst')).toFixed(2)}x, later (bundle) / later through tsx ${(m('later') / m('tsxLater')).toFixed(2)}x, ` +
    `later / bare node ${(m('later') / m('node')).toFixed(1)}x; in-process share of a later start ${((m('laterIn') / m('later')) * 100).toFixed(0)}%`,
);
