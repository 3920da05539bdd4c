/**
 * bench/probe (PROBE-PROBES benchmarks), every figure measured in this run:
 *  1. connect scan of 16 loopback addresses x N ports (some open, the rest closed) by the
 *     worker's engine vs `nmap -sT` with the same rate limit and parallelism: wall-time ratio
 *     and whether the open sets are equal;
 *  2. rate cap: the worst one-second window of accepted connections counted by a separate
 *     listener process, at 100, 1000 and 5000 attempts per second (and nmap --max-rate at the
 *     same rates for reference);
 *  3. the scanner's peak RSS and CPU time at 5000 attempts per second.
 * Env: PROBE_BENCH_PORTS (ports per address, default 1000); PROBE_BENCH_PARTS (comma list of
 * `scan` and `cap`, default both).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { worstWindow } from '../../packages/worker/src/limiter.js';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const tsx = (file: string, arg: unknown) => [process.execPath, ['--import', 'tsx', here(file), JSON.stringify(arg)]] as const;

async function startListener(address: string, ports: number[]): Promise<{ stop(): Promise<number[]> }> {
  const [cmd, args] = tsx('./listen.ts', { address, ports });
  const p = spawn(cmd, [...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: p.stdout! });
  const it = lines[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.value !== 'ready') throw new Error('listener did not start');
  return {
    async stop() {
      p.kill('SIGTERM');
      const r = await it.next();
      return (JSON.parse(r.value as string) as { times: number[] }).times;
    },
  };
}

/** SYNs to `address` as the kernel saw them on lo (tcpdump timestamps, ms), when tcpdump is installed. */
async function capture(address: string): Promise<{ stop(): Promise<number[]> } | undefined> {
  if (spawnSync('tcpdump', ['--version']).status !== 0) return undefined;
  const p = spawn('tcpdump', ['-i', 'lo', '-n', '-tt', '-l', '-q', '-B', '32768', `dst host ${address} and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const times: number[] = [];
  createInterface({ input: p.stdout! }).on('line', (l) => {
    const t = Number(l.split(' ')[0]);
    if (Number.isFinite(t)) times.push(t * 1000);
  });
  await new Promise<void>((r) => p.stderr!.on('data', (d: Buffer) => d.toString().includes('listening on') && r()));
  return {
    async stop() {
      await new Promise((r) => setTimeout(r, 300));
      p.kill('SIGTERM');
      await new Promise((r) => p.once('close', r));
      return times;
    },
  };
}

const over = (worst: number, rate: number) => (worst > rate ? `${(((worst - rate) / rate) * 100).toFixed(1)} % over` : '0 % over');

// The scanner runs as an esbuild bundle under plain node (as the built worker does), so its
// RSS and CPU are the engine's, not the TypeScript loader's.
const scanBundle = join(await mkdtemp(join(tmpdir(), 'bench-probe-')), 'scan.mjs');
await build({ entryPoints: [here('./scan.ts')], outfile: scanBundle, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'silent' });

function scan(arg: { addresses: string[]; ports: number[]; rate: number; concurrency: number; perHost: number; connectTimeoutMs: number }) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [scanBundle, JSON.stringify(arg)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(r.stderr);
  return { ...(JSON.parse(r.stdout.trim().split('\n').pop()!) as { elapsed_ms: number; open: string[]; attempts: number; rss_peak: number; cpu_ms: number }), process_ms: wall };
}

function nmap(addresses: string[], ports: number[], rate: number, parallelism: number): { elapsed_ms: number; open: string[] } {
  const t0 = performance.now();
  const xml = execFileSync('nmap', ['-sT', '-Pn', '-n', '--max-retries', '0', '--max-rate', String(rate), '--min-parallelism', String(parallelism), '--max-parallelism', String(parallelism), '-p', rangeText(ports), '-oX', '-', ...addresses], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const elapsed = performance.now() - t0;
  const open: string[] = [];
  for (const [h] of xml.matchAll(/<host [\s\S]*?<\/host>/g)) {
    const addr = /<address addr="([^"]+)"/.exec(h)?.[1];
    for (const m of h.matchAll(/portid="(\d+)"><state state="open"/g)) open.push(`${addr}:${m[1]}`);
  }
  return { elapsed_ms: elapsed, open: open.sort() };
}

function rangeText(ports: number[]): string {
  const s = [...ports].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    out.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

const perAddress = Number(process.env.PROBE_BENCH_PORTS ?? 1000);
const addresses = Array.from({ length: 16 }, (_, i) => `127.0.1.${i + 1}`);
const ports = Array.from({ length: perAddress }, (_, i) => 30000 + i);
const openPorts = ports.filter((_, i) => i % 20 === 0); // 5 % open

const parts = (process.env.PROBE_BENCH_PARTS ?? 'scan,cap').split(',');

// 1. Wall time vs nmap -sT, same rate and parallelism.
if (parts.includes('scan')) {
  const listeners = await Promise.all(addresses.map((a) => startListener(a, openPorts)));
  const rate = 5000;
  const parallelism = 128;
  // Alternating runs, medians: on a shared machine one run of either is mostly noise.
  const rounds = Number(process.env.PROBE_BENCH_ROUNDS ?? 3);
  const mineRuns: Array<ReturnType<typeof scan>> = [];
  const theirRuns: Array<ReturnType<typeof nmap>> = [];
  for (let i = 0; i < rounds; i++) {
    mineRuns.push(scan({ addresses, ports, rate, concurrency: parallelism, perHost: parallelism, connectTimeoutMs: 1000 }));
    theirRuns.push(nmap(addresses, ports, rate, parallelism));
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const mine = { ...mineRuns[0]!, elapsed_ms: median(mineRuns.map((r) => r.elapsed_ms)), process_ms: median(mineRuns.map((r) => r.process_ms)) };
  const theirs = { ...theirRuns[0]!, elapsed_ms: median(theirRuns.map((r) => r.elapsed_ms)) };
  await Promise.all(listeners.map((l) => l.stop()));
  const a = new Set(mine.open);
  const allSame = mineRuns.every((r) => r.open.join() === mine.open.join()) && theirRuns.every((r) => r.open.join() === theirs.open.join());
  const same = allSame && mine.open.length === theirs.open.length && theirs.open.every((x) => a.has(x));
  console.log(`connect scan, ${addresses.length} addresses x ${ports.length} ports (${addresses.length * openPorts.length} open), ${rate}/s, parallelism ${parallelism}:`);
  console.log(`  medians of ${rounds} alternating runs: worker ${mine.elapsed_ms.toFixed(0)} ms scanning (${mine.process_ms.toFixed(0)} ms with Node start-up), nmap -sT ${theirs.elapsed_ms.toFixed(0)} ms (process); ratio worker/nmap ${(mine.elapsed_ms / theirs.elapsed_ms).toFixed(2)}x (${(mine.process_ms / theirs.elapsed_ms).toFixed(2)}x process to process); worker runs ${mineRuns.map((r) => r.elapsed_ms.toFixed(0)).join('/')} ms, nmap ${theirRuns.map((r) => r.elapsed_ms.toFixed(0)).join('/')} ms; open sets ${same ? 'equal' : `DIFFER (worker ${mine.open.length}, nmap ${theirs.open.length}; e.g. worker-only ${mine.open.find((x) => !theirs.open.includes(x))}, nmap-only ${theirs.open.find((x) => !a.has(x))})`}`);
}

// 2 and 3. The rate cap: SYNs counted on the wire (tcpdump on lo) and accepted connections
// counted by a listener process; RSS and CPU at 5000/s.
for (const rate of parts.includes('cap') ? [100, 1000, 5000] : []) {
  const seconds = 3;
  const n = rate * seconds;
  const address = '127.0.2.1';
  const countPorts = Array.from({ length: Math.min(n, 5000) }, (_, i) => 40000 + i);
  const l = await startListener(address, countPorts);
  const cap = await capture(address);
  const targetPorts = Array.from({ length: n }, (_, i) => countPorts[i % countPorts.length]!);
  const mine = scan({ addresses: [address], ports: targetPorts, rate, concurrency: 512, perHost: 512, connectTimeoutMs: 1000 });
  const wire = (await cap?.stop()) ?? [];
  const times = await l.stop();
  const parts = [`rate cap ${rate}/s (${n} attempts, achieved ${((n / mine.elapsed_ms) * 1000).toFixed(0)}/s):`];
  if (cap) parts.push(`on the wire ${wire.length} SYNs captured, worst one-second window ${worstWindow(wire)} (${over(worstWindow(wire), rate)});`);
  parts.push(`listener ${times.length} accepts, worst window ${worstWindow(times)} (${over(worstWindow(times), rate)})`);
  if (rate <= 1000) {
    const l2 = await startListener(address, countPorts.slice(0, n));
    const cap2 = await capture(address);
    nmap([address], countPorts.slice(0, n), rate, 128);
    const w2 = (await cap2?.stop()) ?? [];
    const t2 = await l2.stop();
    parts.push(`| nmap --max-rate ${rate}: ${cap2 ? `wire worst ${worstWindow(w2)} (${over(worstWindow(w2), rate)}), ` : ''}listener worst ${worstWindow(t2)} (${over(worstWindow(t2), rate)})`);
  }
  console.log(parts.join(' '));
  if (rate === 5000) console.log(`worker engine at 5000/s: peak RSS ${(mine.rss_peak / 1048576).toFixed(1)} MB (kernel high-water mark, VmHWM), CPU ${mine.cpu_ms.toFixed(0)} ms over ${mine.elapsed_ms.toFixed(0)} ms wall (${((mine.cpu_ms / mine.elapsed_ms) * 100).toFixed(0)} % of one core)`);
}
