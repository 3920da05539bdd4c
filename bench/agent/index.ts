/**
 * Pulse agent benchmark (PULSE-AGENT): CPU and RSS of a real `parapet-agent run` (1 s poll,
 * SQLCipher store, no upload) under Xvfb + openbox while xdotool switches focus between two
 * real X clients every 2 s, against an idle baseline process (the same node + tsx loader,
 * doing nothing but a 1 s timer) measured over the same wall time. Then scrubber and
 * categoriser throughput on the title corpus, against one trivial regex pass over the same
 * titles as the reference.
 *
 * A plain `node` timer process is measured too: the floor of any Node 20 process.
 *
 * Duration: AGENT_BENCH_SECONDS (default 60); `--long` or AGENT_BENCH_SECONDS=600 for 10 minutes.
 * Goals from the issue: <= 1 % of one core, <= 60 MB RSS.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { build } from 'esbuild';
import { join } from 'node:path';
import { missingX11Tools, sleep, startDesktop } from '../../packages/agent/test/xvfb.js';
import { makeClassifier } from '../../packages/agent/src/recorder.js';
import { readRulesFile } from '../../packages/agent/src/policy.js';

const root = new URL('../../', import.meta.url).pathname;
const seconds = process.argv.includes('--long') ? 600 : Number(process.env.AGENT_BENCH_SECONDS ?? 60);
const TICK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]); // utime + stime (fields 14, 15)
}
const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

interface Measure {
  cpuPct: number;
  rssMaxMb: number;
  rssMeanMb: number;
}

async function measure(p: ChildProcess, ms: number, during: () => Promise<void>): Promise<Measure> {
  const pid = p.pid!;
  const c0 = cpuTicks(pid);
  const t0 = Date.now();
  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(rssKb(pid)), 1000);
  const stopAt = t0 + ms;
  while (Date.now() < stopAt) await during();
  clearInterval(sampler);
  const cpu = (cpuTicks(pid) - c0) / TICK;
  const wall = (Date.now() - t0) / 1000;
  return { cpuPct: (100 * cpu) / wall, rssMaxMb: Math.max(...rss) / 1024, rssMeanMb: rss.reduce((a, b) => a + b, 0) / rss.length / 1024 };
}

async function processes(): Promise<void> {
  const missing = missingX11Tools();
  if (missing.length) {
    console.log(`skipped the process part: needs ${missing.join(', ')}`);
    return;
  }
  const d = await startDesktop();
  const dir = mkdtempSync(join(tmpdir(), 'pulse-bench-'));
  const procs: ChildProcess[] = [];
  const extraDirs: string[] = [];
  try {
    const a = await d.open('xterm', ['-T', 'Inbox – alice@example.com – https://mail.example.org/x'], 'Inbox – alice@example.com – https://mail.example.org/x');
    const b = await d.open('xmessage', ['-title', 'Build 4711 report', 'x'], 'Build 4711 report');
    const env = { ...process.env, ...d.env, PARAPET_AGENT_KEY_STORE: 'file' };
    const agent = spawn(process.execPath, [join(root, 'packages/agent/bin/parapet-agent.js'), 'run', '--no-upload', '--state-dir', dir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const baseline = spawn(process.execPath, ['--import', 'tsx', '-e', 'setInterval(() => {}, 1000)'], { env, stdio: 'ignore' });
    // The same agent bundled by esbuild (no tsx loader at run time), to show what the loader costs.
    const bundle = join(root, 'packages/agent/dist/agent.mjs');
    await build({
      entryPoints: [join(root, 'packages/agent/src/main.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: bundle,
      external: ['better-sqlite3-multiple-ciphers', '@napi-rs/keyring', 'x11'],
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      logLevel: 'error',
    });
    const dir2 = mkdtempSync(join(tmpdir(), 'pulse-bench-'));
    extraDirs.push(dir2);
    const bundled = spawn(process.execPath, [bundle, 'run', '--no-upload', '--state-dir', dir2], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(bundled);
    const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { env, stdio: 'ignore' });
    procs.push(agent, baseline, bare);
    await new Promise<void>((resolve, reject) => {
      agent.stdout!.on('data', (x: Buffer) => x.toString().includes('Recording (') && resolve());
      agent.once('exit', (c) => reject(new Error(`agent exited ${c}`)));
    });
    await new Promise<void>((resolve, reject) => {
      bundled.stdout!.on('data', (x: Buffer) => x.toString().includes('Recording (') && resolve());
      bundled.once('exit', (c) => reject(new Error(`bundled agent exited ${c}`)));
    });
    await sleep(3000); // past start-up (tsx compile, SQLCipher open)
    let which = 0;
    let switches = 0;
    const switcher = async () => {
      await d.activate(which++ % 2 ? a : b);
      await d.input();
      switches++;
      await sleep(2000);
    };
    const [ma, mb, mn, mz] = await Promise.all([measure(agent, seconds * 1000, switcher), measure(baseline, seconds * 1000, async () => void (await sleep(500))), measure(bare, seconds * 1000, async () => void (await sleep(500))), measure(bundled, seconds * 1000, async () => void (await sleep(500)))]);
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    const shown = execFileSync(process.execPath, [join(root, 'packages/agent/bin/parapet-agent.js'), 'show', '--json', '--state-dir', dir], { env }).toString();
    const n = (JSON.parse(shown) as { intervals: unknown[] }).intervals.length;
    console.log(`agent run under Xvfb, ${seconds} s, ${switches} focus switches (every 2 s), ${n} intervals recorded:`);
    console.log(`  agent:    CPU ${ma.cpuPct.toFixed(2)} % of one core, RSS max ${ma.rssMaxMb.toFixed(1)} MB (mean ${ma.rssMeanMb.toFixed(1)} MB)`);
    console.log(`  baseline: CPU ${mb.cpuPct.toFixed(2)} % of one core, RSS max ${mb.rssMaxMb.toFixed(1)} MB (node + tsx, a 1 s timer)`);
    console.log(`  the same agent bundled by esbuild (no tsx), recording the same windows: CPU ${mz.cpuPct.toFixed(2)} %, RSS max ${mz.rssMaxMb.toFixed(1)} MB (mean ${mz.rssMeanMb.toFixed(1)} MB)`);
    console.log(`  plain node (no tsx): CPU ${mn.cpuPct.toFixed(2)} %, RSS max ${mn.rssMaxMb.toFixed(1)} MB: the floor any Node 20 agent starts from`);
    console.log(`  agent - baseline: CPU ${(ma.cpuPct - mb.cpuPct).toFixed(2)} points, RSS +${(ma.rssMaxMb - mb.rssMaxMb).toFixed(1)} MB; ratio CPU ${(ma.cpuPct / Math.max(mb.cpuPct, 0.01)).toFixed(1)}x, RSS ${(ma.rssMaxMb / mb.rssMaxMb).toFixed(2)}x`);
    console.log(`  goals: <= 1 % of one core: ${ma.cpuPct <= 1 ? 'met' : 'NOT met'}; <= 60 MB RSS: ${ma.rssMaxMb <= 60 ? 'met' : 'NOT met'} (bundled: ${mz.rssMaxMb <= 60 ? 'met' : 'NOT met'})`);
    console.log(`  load average during the run: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${availableParallelism()} cores`);
  } finally {
    for (const p of procs) p.kill('SIGKILL');
    await d.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(root, 'packages/agent/dist'), { recursive: true, force: true });
    for (const x of extraDirs) rmSync(x, { recursive: true, force: true });
  }
}

function scrubber(): void {
  const { policy, localRules } = readRulesFile(join(root, 'packages/agent/test/fixtures/rules.json'));
  const c = makeClassifier(policy, localRules);
  const lines = readFileSync(join(root, 'packages/agent/test/fixtures/titles.tsv'), 'utf8').trimEnd().split('\n').map((l) => l.split('\t') as [string, string]);
  const rounds = 4000;
  const time = (f: (app: string, t: string) => unknown) => {
    for (let r = 0; r < 200; r++) for (const [a, t] of lines) f(a, t); // warm-up
    const t0 = process.hrtime.bigint();
    let sink = 0;
    for (let r = 0; r < rounds; r++) for (const [a, t] of lines) sink += JSON.stringify(f(a, t)).length;
    const ns = Number(process.hrtime.bigint() - t0);
    return { perSec: (rounds * lines.length) / (ns / 1e9), sink };
  };
  const full = time((app, t) => {
    const s = c.scrub(t);
    return c.categoriser.categorise(app, s.title, s.domain);
  });
  const ref = time((_a, t) => t.replace(/\s+/g, ' '));
  console.log(`scrub + categorise on the ${lines.length}-title corpus: ${Math.round(full.perSec).toLocaleString('en')} titles/s (${(1e6 / full.perSec).toFixed(1)} µs each); one whitespace regex pass: ${Math.round(ref.perSec).toLocaleString('en')} titles/s; ratio ${(ref.perSec / full.perSec).toFixed(1)}x the reference cost`);
}

scrubber();
await processes();
