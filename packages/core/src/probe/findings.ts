/**
 * Findings (PROBE-FINDINGS): what a finished scan observed, judged against the scope's
 * expected policy. Pure: the server merges the output with earlier scans (first seen, last
 * seen, resolved).
 */
import { parseAddress, parseCidr } from './cidr.js';
import type { Scope } from './scope.js';
import type { ProbeResultInput } from './results.js';

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const FINDING_KINDS = {
  unexpected_open_port: { severity: 'medium', probe: 'tcp_connect', title: 'Port open that the expected policy does not list' },
  expected_port_closed: { severity: 'medium', probe: 'tcp_connect', title: 'Port the expected policy lists as open is not open' },
  tls_legacy_version: { severity: 'high', probe: 'tls', title: 'TLS below 1.2 accepted' },
  tls_weak_cipher: { severity: 'medium', probe: 'tls', title: 'Weak TLS cipher negotiated' },
  cert_expired: { severity: 'high', probe: 'tls', title: 'Certificate expired' },
  cert_expiring: { severity: 'medium', probe: 'tls', title: 'Certificate expires within 30 days' },
  cert_self_signed: { severity: 'medium', probe: 'tls', title: 'Self-signed certificate' },
  cert_name_mismatch: { severity: 'medium', probe: 'tls', title: 'Certificate does not name the host' },
  cert_weak_key: { severity: 'high', probe: 'tls', title: 'Certificate key too weak' },
  missing_hsts: { severity: 'low', probe: 'http_headers', title: 'HTTPS response without Strict-Transport-Security' },
  missing_csp: { severity: 'low', probe: 'http_headers', title: 'Response without Content-Security-Policy' },
  missing_framing_protection: { severity: 'low', probe: 'http_headers', title: 'Response without framing protection (X-Frame-Options or CSP frame-ancestors)' },
  banner_disclosure: { severity: 'low', probe: 'banner', title: 'Service discloses software and version' },
} as const satisfies Record<string, { severity: Severity; probe: string; title: string }>;
export type FindingKind = keyof typeof FINDING_KINDS;

export interface DerivedFinding {
  kind: FindingKind;
  severity: Severity;
  address: string;
  port: number;
  title: string;
  detail: Record<string, unknown>;
  /** resultKey() of the result that shows it (its evidence is the finding's evidence). */
  result: { address: string; port: number; probe_type: string };
}

export const fingerprintOf = (f: { kind: string; address: string; port: number }) => `${f.kind}|${f.address}|${f.port}`;

/** Cipher names (OpenSSL) Probe calls weak: no confidentiality, broken primitives, or no forward secrecy. */
export function weakCipher(name: string): string | null {
  if (/NULL|EXP|anon|ADH|AECDH/i.test(name)) return 'no or export-grade encryption';
  if (/RC4/i.test(name)) return 'RC4';
  if (/(^|-)DES-|3DES|DES-CBC3/i.test(name)) return 'DES or 3DES';
  if (/MD5/i.test(name)) return 'MD5 MAC';
  if (/^TLS_/.test(name)) return null; // TLS 1.3 suites are all AEAD with forward secrecy
  if (!/^(ECDHE|DHE|EDH)-/i.test(name)) return 'no forward secrecy (RSA key exchange)';
  return null;
}

/** Software name followed by a version, e.g. "nginx/1.18.0", "OpenSSH_8.4p1", "Apache/2.4.1 (Debian)". */
const VERSIONED = /[A-Za-z][A-Za-z0-9._-]*[\/_ ]v?\d+\.\d+/;

const DAY = 86_400_000;

function expectedFor(scope: Scope, address: string): Set<number> | null {
  const a = parseAddress(address);
  let set: Set<number> | null = null;
  for (const e of scope.expected_policy) {
    const c = parseCidr(e.cidr);
    if (c.family === a.family && a.start >= c.start && a.start <= c.end) {
      set ??= new Set();
      for (const p of e.open_ports) set.add(p);
    }
  }
  return set;
}

/**
 * Findings of one scan. `results` are that scan's results (all leases); `ports` the ports it
 * covered; `now` decides expiry. Addresses no expected_policy entry covers are not judged for
 * open/closed ports (there is no expectation to compare with).
 */
export function deriveFindings(scope: Scope, results: Array<Pick<ProbeResultInput, 'address' | 'port' | 'probe_type' | 'outcome' | 'observed'>>, now: Date): DerivedFinding[] {
  const out: DerivedFinding[] = [];
  const add = (kind: FindingKind, r: { address: string; port: number; probe_type: string }, detail: Record<string, unknown>) =>
    out.push({ kind, severity: FINDING_KINDS[kind].severity, address: r.address, port: r.port, title: FINDING_KINDS[kind].title, detail, result: { address: r.address, port: r.port, probe_type: r.probe_type } });
  for (const r of results) {
    if (r.probe_type === 'tcp_connect') {
      const expected = expectedFor(scope, r.address);
      if (!expected) continue;
      if (r.outcome === 'open' && !expected.has(r.port)) add('unexpected_open_port', r, { expected_open: [...expected].sort((a, b) => a - b) });
      if ((r.outcome === 'closed' || r.outcome === 'filtered') && expected.has(r.port)) add('expected_port_closed', r, { state: r.outcome });
    } else if (r.probe_type === 'tls' && r.outcome === 'ok' && r.observed.tls) {
      const t = r.observed.tls;
      const legacy = (['TLSv1', 'TLSv1.1'] as const).filter((v) => t.versions[v]);
      if (legacy.length) add('tls_legacy_version', r, { versions: legacy });
      const weak = Object.entries(t.ciphers).flatMap(([v, c]) => (c && weakCipher(c) ? [{ version: v, cipher: c, why: weakCipher(c) }] : []));
      if (weak.length) add('tls_weak_cipher', r, { ciphers: weak });
      const c = t.cert;
      if (c) {
        const until = Date.parse(c.not_after);
        if (until <= now.getTime()) add('cert_expired', r, { not_after: c.not_after });
        else if (until - now.getTime() <= 30 * DAY) add('cert_expiring', r, { not_after: c.not_after, days_left: Math.floor((until - now.getTime()) / DAY) });
        if (c.self_signed) add('cert_self_signed', r, { subject: c.subject });
        if (!c.name_matches) add('cert_name_mismatch', r, { checked: c.name_checked, subject: c.subject, san: c.san });
        const weakKey = (c.key_type === 'rsa' || c.key_type === 'dsa') ? (c.key_bits ?? 0) < 2048 : c.key_type === 'ec' ? (c.key_bits ?? 0) < 256 : false;
        if (weakKey) add('cert_weak_key', r, { key_type: c.key_type, key_bits: c.key_bits });
      }
    } else if (r.probe_type === 'http_headers' && r.outcome === 'ok' && r.observed.http) {
      const h = r.observed.http;
      if (h.scheme === 'https' && !h.headers['strict-transport-security']) add('missing_hsts', r, { status: h.status });
      const csp = h.headers['content-security-policy'];
      if (!csp) add('missing_csp', r, { status: h.status });
      if (!h.headers['x-frame-options'] && !/frame-ancestors/i.test(csp ?? '')) add('missing_framing_protection', r, { status: h.status });
      const disclosed = (['server', 'x-powered-by'] as const).filter((k) => VERSIONED.test(h.headers[k] ?? '')).map((k) => ({ header: k, value: h.headers[k] }));
      if (disclosed.length) add('banner_disclosure', r, { headers: disclosed });
    } else if (r.probe_type === 'banner' && r.outcome === 'ok' && r.observed.banner) {
      const m = VERSIONED.exec(r.observed.banner.banner);
      if (m) add('banner_disclosure', r, { banner: r.observed.banner.banner.slice(0, 120), match: m[0] });
    }
  }
  // One banner_disclosure per address and port (HTTP headers and a banner may both show it).
  const seen = new Set<string>();
  return out.filter((f) => (seen.has(fingerprintOf(f)) ? false : (seen.add(fingerprintOf(f)), true)));
}

/** Which probe type, run conclusively at an address and port, can show a finding is gone. */
export const resolvingProbe = (kind: string): string => (FINDING_KINDS as Record<string, { probe: string }>)[kind]?.probe ?? 'tcp_connect';
