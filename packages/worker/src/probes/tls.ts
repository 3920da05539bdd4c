/**
 * tls: one handshake per protocol version (TLS 1.0, 1.1, 1.2, 1.3), each pinned to that
 * version. Versions below 1.3 offer 'ALL:@SECLEVEL=0' so OpenSSL 3 does not silently refuse
 * old versions or weak keys itself (it would report them as not accepted). Certificates are
 * not validated (rejectUnauthorized false): the probe reports their facts instead — chain,
 * validity, key type and size, signature algorithm, self-signed, name match (RFC 6125 via
 * tls.checkServerIdentity). No application data is sent.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, connect, type DetailedPeerCertificate, type PeerCertificate, type SecureVersion } from 'node:tls';
import type { TlsObserved } from '@parapet/core/probe/results';
import type { BeforeConnect, ProbeLimits, ProbeOutput } from './types.js';

export const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
type V = (typeof TLS_VERSIONS)[number];

interface Handshake {
  accepted: boolean;
  protocol?: string | null;
  cipher?: string;
  error?: string;
  chain?: Buffer[];
  peer?: PeerCertificate;
}

function handshake(address: string, port: number, version: V, servername: string | undefined, limits: ProbeLimits): Promise<Handshake> {
  return new Promise((resolve) => {
    let settled = false;
    const s = connect({
      host: address,
      port,
      ...(servername ? { servername } : {}),
      minVersion: version as SecureVersion,
      maxVersion: version as SecureVersion,
      ciphers: 'ALL:@SECLEVEL=0',
      rejectUnauthorized: false,
      ALPNProtocols: undefined,
    });
    const done = (h: Handshake) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve(h);
    };
    const timer = setTimeout(() => done({ accepted: false, error: 'timeout' }), limits.connectTimeoutMs + limits.readTimeoutMs);
    s.once('secureConnect', () => {
      const peer = s.getPeerCertificate(true) as DetailedPeerCertificate;
      const chain: Buffer[] = [];
      let c: DetailedPeerCertificate | undefined = peer;
      const seen = new Set<string>();
      while (c && c.raw && !seen.has(c.fingerprint256)) {
        seen.add(c.fingerprint256);
        chain.push(c.raw);
        c = c.issuerCertificate;
      }
      done({ accepted: true, protocol: s.getProtocol(), cipher: s.getCipher()?.name, chain, peer });
    });
    s.once('error', (e: NodeJS.ErrnoException) => done({ accepted: false, error: e.code ?? e.message }));
  });
}

const SIG_OIDS: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
};

/** DER: reads one TLV at `at`; returns tag, content start and end. */
function tlv(b: Buffer, at: number): { tag: number; start: number; end: number } {
  const tag = b[at]!;
  let len = b[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
    start += n;
  }
  return { tag, start, end: start + len };
}

/** The certificate's outer signatureAlgorithm (RFC 5280 4.1.1.2) as a name, or its OID. */
export function signatureAlgorithm(der: Buffer): string | null {
  try {
    const cert = tlv(der, 0);
    const tbs = tlv(der, cert.start);
    const alg = tlv(der, tbs.end);
    const oid = tlv(der, alg.start);
    if (oid.tag !== 0x06) return null;
    const bytes = der.subarray(oid.start, oid.end);
    const parts = [Math.floor(bytes[0]! / 40), bytes[0]! % 40];
    let v = 0;
    for (const x of bytes.subarray(1)) {
      v = v * 128 + (x & 0x7f);
      if (!(x & 0x80)) {
        parts.push(v);
        v = 0;
      }
    }
    const text = parts.join('.');
    return SIG_OIDS[text] ?? text;
  } catch {
    return null;
  }
}

const CURVE_BITS: Record<string, number> = { prime256v1: 256, secp384r1: 384, secp521r1: 521, secp256k1: 256, prime192v1: 192, secp224r1: 224 };

/** Certificate facts (see TlsObserved.cert). `name` is the host name or address probed. */
export function certFacts(der: Buffer, peer: PeerCertificate | undefined, name: string): NonNullable<TlsObserved['cert']> {
  const x = new X509Certificate(der);
  const pk = x.publicKey;
  const details = pk.asymmetricKeyDetails ?? {};
  const keyType = pk.asymmetricKeyType ?? 'unknown';
  const bits = keyType === 'rsa' || keyType === 'rsa-pss' || keyType === 'dsa' ? details.modulusLength ?? null : keyType === 'ec' ? CURVE_BITS[details.namedCurve ?? ''] ?? null : keyType === 'ed25519' ? 256 : keyType === 'ed448' ? 456 : null;
  let selfSigned = false;
  try {
    selfSigned = x.checkIssued(x) && x.verify(pk);
  } catch {
    selfSigned = false;
  }
  const san = (x.subjectAltName ?? '').split(/,\s*/).filter(Boolean);
  const id = peer ? checkServerIdentity(name, peer) : new Error('no certificate');
  return {
    subject: x.subject.replace(/\n/g, ', '),
    issuer: x.issuer.replace(/\n/g, ', '),
    not_before: new Date(x.validFrom).toISOString(),
    not_after: new Date(x.validTo).toISOString(),
    key_type: keyType === 'rsa-pss' ? 'rsa' : keyType,
    key_bits: bits,
    signature_algorithm: signatureAlgorithm(der),
    self_signed: selfSigned,
    san,
    name_matches: id === undefined,
    name_checked: name,
    sha256: createHash('sha256').update(der).digest('hex'),
  };
}

/**
 * Runs the four handshakes, one after the other (each is one new connection, so each waits
 * for `before`). `hostName` is the scan target when it is a name (sent as SNI and used for the
 * name check); for an address target the address is checked and no SNI is sent.
 */
export async function tlsProbe(address: string, port: number, hostName: string | undefined, limits: ProbeLimits, before: BeforeConnect): Promise<ProbeOutput> {
  const name = hostName ?? address;
  const servername = hostName && !isIP(hostName) ? hostName : undefined;
  const results: Partial<Record<V, Handshake>> = {};
  for (const v of TLS_VERSIONS) {
    await before();
    results[v] = await handshake(address, port, v, servername, limits);
    // A port that does not answer at all will not answer the next versions either.
    if (['timeout', 'ECONNREFUSED', 'EHOSTUNREACH'].includes(results[v]!.error ?? '')) break;
  }
  const versions = Object.fromEntries(TLS_VERSIONS.map((v) => [v, results[v]?.accepted === true])) as TlsObserved['versions'];
  const ciphers: TlsObserved['ciphers'] = {};
  for (const v of TLS_VERSIONS) if (results[v]?.accepted && results[v]!.cipher) ciphers[v] = results[v]!.cipher!;
  const best = [...TLS_VERSIONS].reverse().find((v) => results[v]?.accepted);
  const transcript = {
    probe: 'tls',
    address,
    port,
    servername: servername ?? null,
    handshakes: Object.fromEntries(TLS_VERSIONS.map((v) => [v, results[v] ? { accepted: results[v]!.accepted, protocol: results[v]!.protocol ?? null, cipher: results[v]!.cipher ?? null, error: results[v]!.error ?? null } : { skipped: true }])),
    chain_pem: best ? results[best]!.chain!.map((d) => new X509Certificate(d).toString()) : [],
  };
  if (!best) {
    const errors = TLS_VERSIONS.map((v) => results[v]?.error).filter(Boolean) as string[];
    const timeout = errors.length > 0 && errors.every((e) => e === 'timeout');
    return { outcome: timeout ? 'inconclusive' : 'no_data', reason: timeout ? 'timeout' : 'not_tls', observed: { tls: { versions, ciphers, chain_length: 0 } satisfies TlsObserved }, transcript };
  }
  const h = results[best]!;
  const cert = h.chain && h.chain.length ? certFacts(h.chain[0]!, h.peer, name) : undefined;
  const observed: TlsObserved = { versions, ciphers, chain_length: h.chain?.length ?? 0, ...(cert ? { cert } : {}) };
  return { outcome: 'ok', reason: `best_${best}`, observed: { tls: observed }, transcript };
}
