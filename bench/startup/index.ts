/**
 * Start-up benchmark: `npm start` (the server's bin, as npm runs it) on a fresh data dir until
 * GET /healthz answers over TLS ("first start": self-signed certificate, key file, embedded
 * database creation and migrations), then SIGTERM and a second start on the same data dir
 * ("later start"). Each round also times a bare `node -e 0` and `node --import tsx -e 0` in
 * the same run, so the ratios say how much is Parapet and how much is the runtime and the
 * TypeScript loader. The server's own `startup_ms` log field splits the in-process part.
 * Rounds: BENCH_ROUNDS (default 3). Goals (issue 19): first <= 5 s, later <= 1.5 s.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
async function startOnce(dataDir: string): Promise<{ wallMs: number; inProcessMs: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN], {
    cwd: ROOT,
    env: { ...process.env, PARAPET_DATA_DIR: dataDir, PARAPET_PORT: '0', PARAPET_HOST: '127.0.0.1', DATABASE_URL: '', DATABASE_ADMIN_URL: '', PARAPET_LOG_LEVEL: 'info' },
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: Array<{ first: number; firstIn: number; later: number; laterIn: number; node: number; tsx: number }> = [];
for (let i = 0; i < ROUNDS; i++) {
  const dir = await mkdtemp(join(tmpdir(), 'parapet-bench-startup-'));
  try {
    const node = nodeBaseline(['-e', '0']);
    const tsx = nodeBaseline(['--import', 'tsx', '-e', '0']);
    const first = await startOnce(dir);
    const later = await startOnce(dir);
    rows.push({ first: first.wallMs, firstIn: first.inProcessMs, later: later.wallMs, laterIn: later.inProcessMs, node, tsx });
    console.log(`round ${i + 1}: first ${first.wallMs.toFixed(0)} ms (in-process ${first.inProcessMs} ms), later ${later.wallMs.toFixed(0)} ms (in-process ${later.inProcessMs} ms); node -e 0 ${node.toFixed(0)} ms, node --import tsx -e 0 ${tsx.toFixed(0)} ms`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
const m = (k: keyof (typeof rows)[number]) => median(rows.map((r) => r[k]));
console.log(`median of ${ROUNDS}: first start ${m('first').toFixed(0)} ms (goal 5000), later start ${m('later').toFixed(0)} ms (goal 1500); load average ${loadavg()[0]!.toFixed(1)}`);
console.log(`ratios: first / bare node ${(m('first') / m('node')).toFixed(1)}x, later / bare node ${(m('later') / m('node')).toFixed(1)}x, later / (node + tsx loader) ${(m('later') / m('tsx')).toFixed(1)}x; in-process share of a later start ${((m('laterIn') / m('later')) * 100).toFixed(0)}%`);
