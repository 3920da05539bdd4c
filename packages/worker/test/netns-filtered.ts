/**
 * Run inside a fresh network namespace (`unshare --net`) by filtered.test.ts: brings up its
 * private loopback, opens a listener, leaves one port closed, drops SYNs to a third port with
 * nftables, then prints what the worker's tcp_connect probe and nmap -sT say about each.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { tcpConnect } from '../src/probes/tcp-connect.js';
import { nmapConnect } from '../src/lab/services.js';

execFileSync('ip', ['link', 'set', 'lo', 'up']);
const A = '127.0.0.1';
const open = createServer((c) => c.destroy());
await new Promise<void>((r) => open.listen(0, A, () => r()));
const openPort = (open.address() as { port: number }).port;
const closedPort = openPort === 65000 ? 65001 : 65000;
const filteredPort = openPort === 65002 ? 65003 : 65002;
execFileSync('nft', ['-f', '-'], { input: `table inet probe_test { chain input { type filter hook input priority 0; policy accept; tcp dport ${filteredPort} drop; }; }\n` });
const limits = { connectTimeoutMs: 1000, readTimeoutMs: 1000, maxReadBytes: 1024 };
const worker: Record<string, string> = {};
for (const [name, port] of [['open', openPort], ['closed', closedPort], ['filtered', filteredPort]] as const) worker[name] = (await tcpConnect(A, port, limits, async () => () => undefined)).outcome;
const nm = nmapConnect(A, [openPort, closedPort, filteredPort], ['--max-retries', '1', '--host-timeout', '30s']);
process.stdout.write(JSON.stringify({ worker, nmap: { open: nm.get(openPort), closed: nm.get(closedPort), filtered: nm.get(filteredPort) } }) + '\n');
open.close();
