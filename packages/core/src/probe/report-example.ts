/**
 * A complete, realistic ReportInput for tests, benchmarks and the sample PDF: a scan of
 * `hosts` hosts with `probes` probes, findings of every severity, evidence objects, and a
 * real audit log (leaf bytes chained per audit/leaf.ts, a Merkle tree, a checkpoint signed as
 * a C2SP note with a fresh Ed25519 log key) with inclusion proofs for the scan's entries.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { leafBytes, ZERO_HASH, type AuditRecord } from '../audit/leaf.js';
import { leafHash, MerkleTree } from '../merkle/tree.js';
import { checkpointText, rawPublicKey, signNote, verifierKey } from '../merkle/note.js';
import type { ReportFinding, ReportInput, ReportProbe, Severity } from './report.js';

export interface ExampleReportOptions {
  probes?: number;
  hosts?: number;
  tenantId?: string;
  scanId?: string;
}

const TLS_SUMMARY = ['TLS 1.3, TLS_AES_256_GCM_SHA384, certificate valid 212 days', 'TLS 1.2 and 1.0 accepted; certificate valid 9 days', 'TLS 1.3; HSTS max-age=31536000'];

/** Builds the example; `at` (RFC 3339) fixes every time in it so output is deterministic. */
export function exampleReportInput(o: ExampleReportOptions = {}, at = '2026-11-30T02:00:00.000Z'): { input: ReportInput; logPublicKey: string } {
  const tenantId = o.tenantId ?? '6f1c2a4e-8d0b-4c1e-9a55-3f7e2b1d0c99';
  const scanId = o.scanId ?? '0b6e3c1d-2f4a-4e8b-9c7d-5a1e3f2b4c6d';
  const nProbes = o.probes ?? 24;
  const nHosts = Math.max(1, Math.min(o.hosts ?? 6, nProbes));
  const t0 = Date.parse(at);
  const iso = (ms: number) => new Date(t0 + ms).toISOString();
  const types = ['tcp_connect', 'banner', 'tls', 'http_headers'];
  const ports = [22, 80, 443, 8443, 3306, 5432, 25, 8080];
  const probes: ReportProbe[] = [];
  for (let i = 0; i < nProbes; i++) {
    const host = `10.20.${Math.floor((i % nHosts) / 250)}.${(i % nHosts) % 250 + 1}`;
    const port = ports[Math.floor(i / nHosts) % ports.length]!;
    const type = types[Math.floor(i / (nHosts * ports.length)) % types.length]!;
    const status = port === 3306 || port === 5432 ? 'open' : i % 5 === 0 ? 'filtered' : i % 3 === 0 ? 'closed' : 'open';
    const summary = status !== 'open' ? '' : type === 'tls' ? TLS_SUMMARY[i % 3]! : type === 'banner' ? (port === 22 ? 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3' : 'no banner within 2 s') : type === 'http_headers' ? 'server: nginx; no content-security-policy' : 'connected';
    const evidence = status === 'open' ? createHash('sha256').update(`evidence ${i}`).digest('hex') : null;
    probes.push({ host, port, probe_type: type, status, summary, evidence_sha256: evidence });
  }
  const evidence = probes.filter((p) => p.evidence_sha256).map((p, i) => ({ key: `scans/${scanId}/evidence/${String(i).padStart(5, '0')}.json`, sha256: p.evidence_sha256!, size: 600 + ((i * 37) % 900), media_type: 'application/json' }));
  const rules: Array<{ rule: string; title: string; severity: Severity; port: number }> = [
    { rule: 'unexpected-open-port', title: 'Database port reachable from the scanned network', severity: 'critical', port: 5432 },
    { rule: 'unexpected-open-port', title: 'MySQL port open but not in the expected policy', severity: 'high', port: 3306 },
    { rule: 'tls-legacy-version', title: 'TLS 1.0 accepted', severity: 'medium', port: 8443 },
    { rule: 'tls-certificate-expiring', title: 'Certificate expires within 14 days', severity: 'low', port: 443 },
    { rule: 'http-missing-csp', title: 'No Content-Security-Policy header', severity: 'info', port: 80 },
  ];
  const findings: ReportFinding[] = [];
  for (let h = 0; h < nHosts; h++) {
    const host = probes[h]!.host;
    const r = rules[h % rules.length]!;
    const ev = probes.find((p) => p.host === host && p.evidence_sha256)?.evidence_sha256;
    findings.push({ id: `f-${String(h + 1).padStart(4, '0')}`, host, port: r.port, rule: r.rule, title: r.title, severity: r.severity, status: h % 7 === 6 ? 'resolved' : 'open', trend: h % 7 === 6 ? 'resolved' : h % 2 ? 'recurring' : 'new', evidence_sha256: ev ? [ev] : [] });
  }

  // A small audit log: some unrelated entries, then the scan's lifecycle.
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const origin = `parapet.audit/${tenantId}`;
  const lead = 'a1e0c0de-0000-4000-8000-000000000001';
  const lead2 = 'a1e0c0de-0000-4000-8000-000000000002';
  const op = 'a1e0c0de-0000-4000-8000-000000000003';
  const scanEvents: Array<[string, string]> = [
    ['probe.scan.requested', op],
    ['probe.scan.approved', lead],
    ['probe.scan.approved', lead2],
    ['probe.scan.queued', lead2],
    ['probe.scan.started', 'worker-1'],
    ['probe.scan.finished', 'worker-1'],
  ];
  const tree = new MerkleTree();
  const leaves: Buffer[] = [];
  let prev: Buffer = Buffer.from(ZERO_HASH);
  const scanSeqs: number[] = [];
  const push = (action: string, actor: string, target: { type: string; id: string } | null, k: number) => {
    const seq = leaves.length + 1;
    const r: AuditRecord = { tenant_id: tenantId, seq, at: new Date(t0 - 3600_000 + k * 60_000).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'), actor: { type: actor.startsWith('worker') ? 'device' : 'user', id: actor, name: null, ip: null, user_agent: null }, action, outcome: 'success', target, purpose: null, details: {} };
    const leaf = leafBytes(r, prev);
    prev = leafHash(leaf);
    tree.push(prev);
    leaves.push(leaf);
    if (target?.id === scanId) scanSeqs.push(seq);
  };
  for (let k = 0; k < 5; k++) push('auth.session.opened', lead, null, k);
  scanEvents.forEach(([a, actor], k) => push(a, actor, { type: 'probe_scan', id: scanId }, 10 + k));
  push('auth.session.opened', op, null, 30);
  const size = tree.size;
  const checkpoint = signNote(checkpointText({ origin, size, root: tree.root() }), origin, privateKey);
  const entries = scanSeqs.map((seq) => ({ seq, leaf: leaves[seq - 1]!.toString('base64'), proof: tree.inclusionProof(seq - 1).map((h) => h.toString('base64')) }));

  const input: ReportInput = {
    tenant: { id: tenantId, name: 'Example Org' },
    scan: { id: scanId, state: 'finished', requested_by: 'operator@example.org', requested_at: iso(-3600_000), started_at: iso(-1800_000), finished_at: iso(-600_000), targets: ['10.20.0.0/24'], ports, probe_types: types, rate_pps: 50, note: 'Quarterly perimeter validation (change CHG-1234)' },
    scope: { id: 'dmz', version: 3, name: 'DMZ web tier', environment: 'production', signer_key_id: 'd7a1'.repeat(16), signer: 'lead@example.org', payload_sha256: 'ab'.repeat(32), expected_policy: [{ cidr: '10.20.0.0/24', open_ports: [22, 80, 443] }] },
    approvals: [
      { user_id: lead, email: 'lead@example.org', decision: 'approve', at: iso(-3300_000), mfa_verified_at: iso(-3400_000), comment: 'Change CHG-1234 approved by CAB' },
      { user_id: lead2, email: 'ciso@example.org', decision: 'approve', at: iso(-3200_000), mfa_verified_at: iso(-3250_000), comment: '' },
    ],
    operators: [{ user_id: op, email: 'operator@example.org' }],
    worker: { id: 'worker-1', name: 'probe-worker-dmz-1', version: '0.1.0', safety_profile_version: 'safe-v1' },
    probes,
    findings,
    evidence,
    audit: { origin, log_key: verifierKey(origin, rawPublicKey(publicKey)), checkpoint, entries },
  };
  return { input, logPublicKey: verifierKey(origin, rawPublicKey(publicKey)) };
}
