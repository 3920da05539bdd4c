/**
 * Run inside a fresh network namespace (`unshare --net`) by netns-flow.test.ts, so nftables
 * rules touch nothing outside it. With PostgreSQL, the database is reached through the parent's
 * Unix-socket bridge (PARAPET_PG_BRIDGE): this process listens on the database's loopback
 * address and port in the namespace and forwards each connection to that socket.
 *
 * 1. Full flow with a filtered port: the lab services plus a port dropped by nftables; the real
 *    parapet-worker binary enrolls and runs an approved production scan. Prints the states,
 *    the findings on the filtered port and what nmap -sT says.
 * 2. Burst canary, silent: an address answers on its first ports, then everything to it is
 *    dropped mid-scan (including the canary port). Prints every state and reason.
 * 3. Burst canary, answering: an address whose later ports are dropped, the canary port not.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer } from '@parapet/server/testing';
import { runBin } from '@parapet/device-client/testing';
import { loadSafetyProfile } from '../src/embedded-profile.js';
import { runJob } from '../src/run.js';
import { nmapConnect, startServices } from '../src/lab/services.js';
import { enrollWorker, newOrg, requestScan, scopeDoc, uploadScope } from './harness.js';

execFileSync('ip', ['link', 'set', 'lo', 'up']);
const nft = (rules: string) => execFileSync('nft', ['-f', '-'], { input: rules });

if (process.env.PARAPET_PG_BRIDGE) {
  const seen = new Set<string>();
  for (const v of [process.env.DATABASE_URL, process.env.DATABASE_ADMIN_URL]) {
    const u = new URL(v!);
    const key = `${u.hostname}:${u.port || 5432}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const srv = createServer((c) => {
      const up = connect(process.env.PARAPET_PG_BRIDGE!);
      c.pipe(up).pipe(c);
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
    });
    await new Promise<void>((r) => srv.listen(Number(u.port || 5432), u.hostname, () => r()));
    srv.unref();
  }
}

const listen = async (address: string, ports: number[]): Promise<{ accepted: () => number; close: () => void }> => {
  let n = 0;
  const servers: Server[] = [];
  for (const p of ports) {
    const srv = createServer((c) => {
      n++;
      c.on('error', () => undefined);
      c.destroy();
    });
    await new Promise<void>((r) => srv.listen(p, address, () => r()));
    servers.push(srv);
  }
  return { accepted: () => n, close: () => servers.forEach((s) => s.close()) };
};

const out: Record<string, unknown> = {};
const s = await startTestServer();
try {
  const org = await newOrg(s);
  const svc = await startServices();
  try {
    // ---- 1. full flow with a filtered port ----
    const A = svc.address;
    const filtered = 61000;
    nft(`table inet probe_flow { chain input { type filter hook input priority 0; policy accept; ip daddr ${A} tcp dport ${filtered} drop; }; }\n`);
    const ports = [svc.http, svc.banner, svc.closed, filtered];
    await uploadScope(org, scopeDoc(org, 'netns-lab', { environment: 'production', expected_policy: [{ cidr: `${A}/32`, open_ports: [svc.http, filtered] }] }));
    const r = await org.operator.client.post('/api/v1/probe/scans', { scope_id: 'netns-lab', version: 1, targets: [A], ports, probe_types: ['tcp_connect', 'banner'], rate_pps: 100 });
    const scanId = r.json.id as string;
    await org.lead.client.post(`/api/v1/probe/scans/${scanId}/approve`, { comment: 'lab' });
    await org.admin.client.post(`/api/v1/probe/scans/${scanId}/approve`, { comment: 'lab' });
    const t = await org.admin.client.post('/api/v1/devices/enrollment-tokens', { kind: 'worker' });
    const dir = await mkdtemp(join(tmpdir(), 'pw-netns-'));
    await writeFile(join(dir, 'ca.pem'), s.ca);
    const bin = fileURLToPath(new URL('../bin/parapet-worker.js', import.meta.url));
    const e = await runBin(bin, ['enroll', '--server', s.url, '--token', t.json.token, '--ca', join(dir, 'ca.pem'), '--state-dir', join(dir, 'state'), '--key-store', 'file', '--name', 'netns-worker']);
    const run = await runBin(bin, ['run', '--once', '--state-dir', join(dir, 'state')]);
    const scan = await org.operator.client.get(`/api/v1/probe/scans/${scanId}`);
    const results = (await org.operator.client.get(`/api/v1/probe/scans/${scanId}/results`)).json as Array<{ port: number; probe_type: string; outcome: string; reason: string }>;
    const findings = (await org.operator.client.get(`/api/v1/probe/findings?scan_id=${scanId}`)).json as Array<{ kind: string; port: number; severity: string; status: string; evidence_id: string }>;
    const nm = nmapConnect(A, ports, ['--max-retries', '1', '--host-timeout', '30s']);
    const state = (p: number) => results.find((x) => x.port === p && x.probe_type === 'tcp_connect');
    out.flow = {
      enroll: e.code, run: run.code, run_output: (run.stderr + run.stdout).slice(-600), scan_state: scan.json.state,
      worker: { open: state(svc.http)?.outcome, banner: state(svc.banner)?.outcome, closed: state(svc.closed)?.outcome, filtered: state(filtered)?.outcome },
      filtered_reason: state(filtered)?.reason,
      filtered_probes: results.filter((x) => x.port === filtered).map((x) => x.probe_type),
      nmap: { open: nm.get(svc.http), banner: nm.get(svc.banner), closed: nm.get(svc.closed), filtered: nm.get(filtered) },
      filtered_findings: findings.filter((f) => f.port === filtered).map((f) => ({ kind: f.kind, severity: f.severity, status: f.status, has_evidence: Boolean(f.evidence_id) })),
    };
    nft('delete table inet probe_flow\n');

    // ---- 2. burst canary, silent: everything to B is dropped after its first answers ----
    const profile = loadSafetyProfile();
    const w = await enrollWorker(s, org, 'netns-inproc');
    const B = '127.0.0.31';
    const bPorts = Array.from({ length: 30 }, (_, i) => 62000 + i);
    const lb = await listen(B, bPorts);
    await uploadScope(org, scopeDoc(org, 'burst-lab'));
    const silentScan = await requestScan(org, { scope_id: 'burst-lab', targets: [B], ports: bPorts, probe_types: ['tcp_connect'], rate_pps: 50 });
    let dropped = false;
    const watch = setInterval(() => {
      if (!dropped && lb.accepted() >= 6) {
        dropped = true;
        nft(`table inet probe_burst { chain input { type filter hook input priority 0; policy accept; ip daddr ${B} drop; }; }\n`);
      }
    }, 2);
    const logs: string[] = [];
    const r2 = await runJob({ client: w.client, profile, batchSize: 10, flushMs: 50, log: (l) => logs.push(l) });
    clearInterval(watch);
    const silent = (await org.operator.client.get(`/api/v1/probe/scans/${silentScan}/results`)).json as Array<{ port: number; outcome: string; reason: string }>;
    out.silent = { status: r2.status, accepted_before_drop: lb.accepted(), results: silent.map((x) => [x.port, x.outcome, x.reason]), log: logs.filter((l) => l.includes('canary')) };
    nft('delete table inet probe_burst\n');
    lb.close();

    // ---- 3. burst canary, answering: C's ports from the 10th on are dropped, the canary is not ----
    const C = '127.0.0.32';
    const cPorts = Array.from({ length: 30 }, (_, i) => 63000 + i);
    const lc = await listen(C, cPorts);
    nft(`table inet probe_burst2 { chain input { type filter hook input priority 0; policy accept; ip daddr ${C} tcp dport ${cPorts[10]}-${cPorts.at(-1)} drop; }; }\n`);
    const answeringScan = await requestScan(org, { scope_id: 'burst-lab', targets: [C], ports: cPorts, probe_types: ['tcp_connect'], rate_pps: 50 });
    const logs3: string[] = [];
    const r3 = await runJob({ client: w.client, profile, batchSize: 10, flushMs: 50, log: (l) => logs3.push(l) });
    const answering = (await org.operator.client.get(`/api/v1/probe/scans/${answeringScan}/results`)).json as Array<{ port: number; outcome: string; reason: string }>;
    out.answering = { status: r3.status, results: answering.map((x) => [x.port, x.outcome, x.reason]), log: logs3.filter((l) => l.includes('canary')) };
    nft('delete table inet probe_burst2\n');
    lc.close();
  } finally {
    await svc.close();
  }
} finally {
  await s.close();
}
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(0);
