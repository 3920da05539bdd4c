/**
 * Probe in the demo, on loopback only: lab services (a weak legacy TLS service, an HTTP service
 * missing security headers, an unexpected open port, a healthy TLS 1.3 service), a scope-signing
 * key, a signed production scope with an expected policy, a scan requested by the security lead
 * and approved by two other people with fresh MFA, a real enrolled `parapet-worker` running it
 * while the demo follows the progress, and the signed JSON and PDF report verified offline with
 * `parapet report verify`.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalJsonBytes, dsse, exampleScope, SCOPE_PAYLOAD_TYPE } from '@parapet/core';
import { startServices } from '../packages/worker/src/lab/services.js';
import type { Progress } from './progress.js';
import type { DemoOrg } from './people.js';
import type { DemoServer } from './server.js';

const WORKER = fileURLToPath(new URL('../packages/worker/bin/parapet-worker.js', import.meta.url));
const CLI = fileURLToPath(new URL('../packages/cli/bin/parapet.js', import.meta.url));
/** The lab's address: loopback, never anything else. */
export const LAB_ADDRESS = '127.0.0.77';
const DAY = 86_400_000;

export interface ProbeOutcome {
  summary: string[];
}

/** Runs a program to completion; resolves with its exit code and output. */
function run(bin: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

export async function runProbe(s: DemoServer, org: DemoOrg, progress: Progress): Promise<ProbeOutcome> {
  const dir = join(s.dataDir, 'probe');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const admin = org.clients.get('admin')!;
  const lead = org.clients.get('lead')!;
  const approvers = [org.clients.get('approver1')!, org.clients.get('approver2')!];

  progress.step(`Lab services on ${LAB_ADDRESS} (loopback)`);
  const lab = await startServices(LAB_ADDRESS);
  try {
    progress.finish(`weak TLS :${lab.legacyTls}, TLS 1.3 :${lab.modernTls}, HTTP :${lab.http}, unexpected :${lab.banner}, closed :${lab.closed}`);

    progress.step('Scope-signing key and a signed production scope');
    const key = dsse.generateEd25519();
    await writeFile(join(dir, 'scope-signing.key'), key.privateKeyPem, { mode: 0o600 });
    await writeFile(join(dir, 'scope-signing.pub'), key.publicKeyPem);
    await lead.stepUp();
    await lead.call('POST', '/api/v1/probe/keys', { name: `Sam's scope key ${new Date().toISOString().slice(0, 10)}`, public_key_pem: key.publicKeyPem });
    const scopes = await lead.call<Array<{ scope_id: string; version: number }>>('GET', '/api/v1/probe/scopes');
    const version = 1 + Math.max(0, ...scopes.filter((x) => x.scope_id === 'northwind-lab').map((x) => x.version));
    const ports = [lab.legacyTls, lab.modernTls, lab.http, lab.banner, lab.closed];
    const scope = exampleScope({
      tenant: org.tenantId,
      id: 'northwind-lab',
      version,
      name: 'Northwind lab perimeter (loopback)',
      environment: 'production',
      include: [`${LAB_ADDRESS}/32`],
      exclude: [],
      ports,
      probe_types: ['tcp_connect', 'banner', 'tls', 'http_headers'],
      max_packets_per_second: 200,
      time_windows: { time_zone: 'UTC', allowed: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '24:00' }], blackouts: [] },
      valid_from: new Date(Date.now() - DAY).toISOString(),
      valid_until: new Date(Date.now() + 30 * DAY).toISOString(),
      // What should be open: the two web services and the legacy one; the banner port is not.
      expected_policy: [{ cidr: `${LAB_ADDRESS}/32`, open_ports: [lab.legacyTls, lab.modernTls, lab.http] }],
    });
    const envelope = dsse.signEnvelope(SCOPE_PAYLOAD_TYPE, canonicalJsonBytes(scope), key.privateKeyPem);
    await writeFile(join(dir, 'scope.json'), JSON.stringify(scope, null, 2) + '\n');
    await writeFile(join(dir, 'scope.dsse.json'), JSON.stringify(envelope, null, 2) + '\n');
    await lead.call('POST', '/api/v1/probe/scopes', { envelope });
    progress.finish(`scope northwind-lab v${version}, production, signed by Sam Lead`);

    progress.step('Scan requested by Sam, approved by Priya and Jordan (fresh MFA each)');
    const scan = await lead.call<{ id: string; state: string }>('POST', '/api/v1/probe/scans', { scope_id: 'northwind-lab', version, targets: [LAB_ADDRESS], ports, probe_types: ['tcp_connect', 'banner', 'tls', 'http_headers'], rate_pps: 100 });
    for (const a of approvers) {
      await a.stepUp();
      await a.call('POST', `/api/v1/probe/scans/${scan.id}/approve`, { comment: 'Demo lab, loopback only.' });
    }
    const queued = await lead.call<{ state: string }>('GET', `/api/v1/probe/scans/${scan.id}`);
    if (queued.state !== 'queued') throw new Error(`The approved scan is ${queued.state}, not queued.`);
    progress.finish(`scan ${scan.id.slice(0, 8)} queued`);

    progress.step('Worker enrolled and scanning (live)');
    await admin.stepUp();
    const token = await admin.call<{ token: string }>('POST', '/api/v1/devices/enrollment-tokens', { kind: 'worker' });
    const stateDir = join(dir, 'worker');
    const caFile = join(s.dataDir, 'tls', 'server.crt');
    const enrolled = await run(WORKER, ['enroll', '--server', s.url, '--token', token.token, '--ca', caFile, '--state-dir', stateDir, '--key-store', 'file', '--name', 'northwind-demo-worker', '--force']);
    if (enrolled.code !== 0) throw new Error(`parapet-worker enroll failed: ${enrolled.out.trim()}`);
    const worker = run(WORKER, ['run', '--once', '--state-dir', stateDir]);
    let done = false;
    void worker.then(() => (done = true));
    while (!done) {
      await new Promise((r) => setTimeout(r, 400));
      const p = await lead.call<{ planned?: number; done?: number; planned_probes?: number; done_probes?: number }>('GET', `/api/v1/probe/scans/${scan.id}/progress`).catch(() => undefined);
      const planned = p?.planned ?? p?.planned_probes;
      const finished = p?.done ?? p?.done_probes;
      if (planned) progress.detail(`${finished ?? 0} / ${planned} probes`);
    }
    const w = await worker;
    if (w.code !== 0) throw new Error(`parapet-worker run failed: ${w.out.trim().split('\n').pop()}`);
    const final = await lead.call<{ state: string }>('GET', `/api/v1/probe/scans/${scan.id}`);
    const results = await lead.call<unknown[]>('GET', `/api/v1/probe/scans/${scan.id}/results`);
    const findings = await lead.call<Array<{ kind: string; severity: string; port: number | null }>>('GET', `/api/v1/probe/findings?scan_id=${scan.id}`);
    progress.finish(`${final.state}: ${results.length} probes, ${findings.length} findings`);

    progress.step('Signed report (JSON and PDF), verified offline');
    const reportDir = join(s.dataDir, 'reports');
    await mkdir(reportDir, { recursive: true });
    await lead.call('GET', `/api/v1/probe/scans/${scan.id}/report`);
    const jsonPath = join(reportDir, `northwind-lab-${scan.id.slice(0, 8)}.json`);
    const pdfPath = join(reportDir, `northwind-lab-${scan.id.slice(0, 8)}.pdf`);
    const keyPath = join(reportDir, 'report-key.pem');
    await writeFile(jsonPath, await lead.download(`/api/v1/probe/scans/${scan.id}/report.json`));
    await writeFile(pdfPath, await lead.download(`/api/v1/probe/scans/${scan.id}/report.pdf`));
    const reportKey = await lead.call<{ public_key_pem: string; fingerprint: string }>('GET', '/api/v1/probe/report-key');
    await writeFile(keyPath, reportKey.public_key_pem);
    const verify = await run(CLI, ['report', 'verify', jsonPath, '--pdf', pdfPath, '--key', keyPath]);
    if (verify.code !== 0) throw new Error(`parapet report verify failed: ${verify.out.trim()}`);
    progress.finish(`verified (key ${reportKey.fingerprint})`);

    const bySeverity = new Map<string, number>();
    for (const f of findings) bySeverity.set(f.severity, (bySeverity.get(f.severity) ?? 0) + 1);
    return {
      summary: [
        `Probe: scan ${scan.id} of ${LAB_ADDRESS} ${final.state}; findings: ${[...bySeverity].map(([k, v]) => `${v} ${k}`).join(', ') || 'none'}.`,
        `  Watch it again in the console: ${s.url.replace('127.0.0.1', 'localhost')}/probe/scans/${scan.id} (as sam.lead, oscar.operator or an approver).`,
        `  Signed report: ${jsonPath}`,
        `  Report PDF:    ${pdfPath}`,
        `  Check it yourself: npx parapet report verify ${jsonPath} --pdf ${pdfPath} --key ${keyPath}`,
      ],
    };
  } finally {
    await lab.close();
  }
}
