/**
 * Child process for bench/probe: the worker's connect-scan engine (RateLimiter, runPool over
 * port-major targets, global and per-address Semaphore, RTT-based timeouts, tcp_connect probe,
 * as run.ts composes them) on the given targets, without the server round-trips. Prints JSON:
 * elapsed ms, open ports, attempts, peak RSS (bytes, the kernel's high-water mark VmHWM) and
 * CPU time (ms).
 * Args: JSON {addresses, ports, rate, concurrency, perHost, connectTimeoutMs}.
 */
import { readFileSync } from 'node:fs';
import { RateLimiter, RttTimeout, runPool, Semaphore } from '../../packages/worker/src/limiter.js';
import { tcpConnect } from '../../packages/worker/src/probes/tcp-connect.js';

const o = JSON.parse(process.argv[2]!) as { addresses: string[]; ports: number[]; rate: number; concurrency: number; perHost: number; connectTimeoutMs: number };
const limiter = new RateLimiter(o.rate);
const global = new Semaphore(o.concurrency);
const hosts = new Map(o.addresses.map((a) => [a, { sem: new Semaphore(o.perHost), rtt: new RttTimeout(o.connectTimeoutMs) }]));
const limits = { connectTimeoutMs: o.connectTimeoutMs, readTimeoutMs: 1000, maxReadBytes: 1024 };
const open: string[] = [];
const cpu0 = process.cpuUsage();
const t0 = performance.now();
function* work() {
  for (const p of o.ports) for (const a of o.addresses) yield { a, p };
}
// As run.ts does during the connect phase.
Error.stackTraceLimit = 0;
await runPool(work(), o.concurrency, async ({ a, p }) => {
  const g = await global.acquire();
  const h = hosts.get(a)!;
  const hr = await h.sem.acquire();
  try {
    const r = await tcpConnect(a, p, limits, () => limiter.acquire(), h.rtt);
    if (r.outcome === 'open') open.push(`${a}:${p}`);
  } finally {
    hr();
    g();
  }
});
const elapsed = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
process.stdout.write(JSON.stringify({ elapsed_ms: elapsed, open: open.sort(), attempts: limiter.released, rss_peak: Math.max(hwm, process.resourceUsage().maxRSS * 1024), cpu_ms: (cpu.user + cpu.system) / 1000 }) + '\n');
