/**
 * Probe results as the worker reports them and the server stores them (PROBE-PROBES,
 * PROBE-EVIDENCE). Shared by worker and server so both agree on shapes and limits.
 */
import type { ProbeType } from './scope.js';

/** tcp_connect: nmap's connect-scan states; the other probes: ok / no_data / error; any: inconclusive, refused. */
export const PROBE_OUTCOMES = ['open', 'closed', 'filtered', 'inconclusive', 'ok', 'no_data', 'error', 'refused'] as const;
export type ProbeOutcome = (typeof PROBE_OUTCOMES)[number];

/** TLS facts (observed.tls). Dates are RFC 3339; key_bits is the RSA modulus or EC curve size. */
export interface TlsObserved {
  /** Which protocol versions completed a handshake (one handshake per version). */
  versions: Record<'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3', boolean>;
  /** Cipher (OpenSSL name) negotiated per accepted version. */
  ciphers: Partial<Record<'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3', string>>;
  cert?: {
    subject: string;
    issuer: string;
    not_before: string;
    not_after: string;
    key_type: string;
    key_bits: number | null;
    signature_algorithm: string | null;
    self_signed: boolean;
    san: string[];
    /** Whether the certificate names the host or address probed (RFC 6125 via tls.checkServerIdentity). */
    name_matches: boolean;
    name_checked: string;
    sha256: string;
  };
  chain_length: number;
}

export interface HttpObserved {
  scheme: 'http' | 'https';
  status: number;
  /** Lower-case header name → value, only the ones Probe judges. */
  headers: Partial<Record<'strict-transport-security' | 'content-security-policy' | 'x-frame-options' | 'server' | 'x-powered-by' | 'location', string>>;
  /** Redirect locations followed (inside the scope) or refused (outside it). */
  redirects: Array<{ location: string; followed: boolean; why?: string }>;
}

export interface BannerObserved {
  /** The first bytes the service sent, printable ASCII with others as \xNN; at most 256 characters. */
  banner: string;
  bytes: number;
}

/** One probe result in a worker batch. */
export interface ProbeResultInput {
  target: string;
  address: string;
  port: number;
  probe_type: ProbeType;
  outcome: ProbeOutcome;
  reason: string;
  started_at: string;
  duration_ms: number;
  observed: { tls?: TlsObserved; http?: HttpObserved; banner?: BannerObserved } & Record<string, unknown>;
  /** The raw transcript (bytes as base64, certificate chain PEM, HTTP status and headers). */
  transcript: Record<string, unknown>;
  /** Hex SHA-256 of the transcript's RFC 8785 canonical JSON. */
  transcript_sha256: string;
}

/** Limits the server enforces on a batch (bytes are of the JSON text). */
export const BATCH_LIMITS = { maxResults: 500, maxTranscriptBytes: 256 * 1024 } as const;

/** The key that makes a result unique within a scan. */
export const resultKey = (r: { address: string; port: number; probe_type: string }) => `${r.address}|${r.port}|${r.probe_type}`;
