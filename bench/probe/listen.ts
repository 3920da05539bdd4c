/**
 * Child process for bench/probe: a counting listener. Listens on the given address and ports,
 * records the time of every accepted connection, and on SIGTERM prints JSON with the times (ms,
 * performance.now()). Runs in its own process so the scanner's event loop cannot delay it.
 * Args: JSON {address, ports}.
 */
import { createServer } from 'node:net';

const o = JSON.parse(process.argv[2]!) as { address: string; ports: number[] };
const times: number[] = [];
const servers = o.ports.map((p) => {
  const s = createServer({ noDelay: true }, (c) => {
    times.push(performance.now());
    c.on('error', () => undefined);
    c.destroy();
  });
  s.listen({ port: p, host: o.address, backlog: 4096 });
  return s;
});
await Promise.all(servers.map((s) => new Promise((r) => (s.listening ? r(undefined) : s.once('listening', r)))));
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  process.stdout.write(JSON.stringify({ times }) + '\n');
  process.exit(0);
});
