/**
 * Child process for bench/probe: the worker's connect-scan engine (RateLimiter, global and
 * per-address Semaphore, tcp_connect probe, exactly as run.ts composes them) on the given
 * targets, without the server round-trips. Prints JSON: elapsed ms, open ports, attempts,
 * peak RSS (bytes) and CPU time (ms).
 * Args: JSON {addresses, ports, rate, concurrency, perHost, connectTimeoutMs}.
 */
import { RateLimiter, Semaphore } from '../../packages/worker/src/limiter.js';
import { tcpConnect } from '../../packages/worker/src/probes/tcp-connect.js';

const o = JSON.parse(process.argv[2]!) as { addresses: string[]; ports: number[]; rate: number; concurrency: number; perHost: number; connectTimeoutMs: number };
const limiter = new RateLimiter(o.rate);
const global = new Semaphore(o.concurrency);
const hosts = new Map(o.addresses.map((a) => [a, new Semaphore(o.perHost)]));
const limits = { connectTimeoutMs: o.connectTimeoutMs, readTimeoutMs: 1000, maxReadBytes: 1024 };
const open: string[] = [];
let rssPeak = process.memoryUsage().rss;
const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await Promise.all(
  o.addresses.flatMap((a) =>
    o.ports.map(async (p) => {
      const g = await global.acquire();
      const h = await hosts.get(a)!.acquire();
      try {
        const r = await tcpConnect(a, p, limits, () => limiter.acquire());
        if (r.outcome === 'open') open.push(`${a}:${p}`);
      } finally {
        h();
        g();
      }
    }),
  ),
);
const elapsed = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
clearInterval(sampler);
rssPeak = Math.max(rssPeak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
process.stdout.write(JSON.stringify({ elapsed_ms: elapsed, open: open.sort(), attempts: limiter.released, rss_peak: rssPeak, cpu_ms: (cpu.user + cpu.system) / 1000 }) + '\n');
