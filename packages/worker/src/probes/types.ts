/** What every probe module returns; the runner adds target, time and the transcript digest. */
import type { ProbeOutcome } from '@parapet/core/probe/results';

export interface ProbeOutput {
  outcome: ProbeOutcome;
  /** A stable word: econnrefused, timeout, ehostunreach, not_tls, rate_limited, ... */
  reason: string;
  observed: Record<string, unknown>;
  /** Raw facts as seen (bytes base64, certificate chain PEM, HTTP status line and headers). */
  transcript: Record<string, unknown>;
}

/** Limits every probe obeys (from the verified safety profile). Units: ms and bytes. */
export interface ProbeLimits {
  connectTimeoutMs: number;
  readTimeoutMs: number;
  maxReadBytes: number;
}

/**
 * Called before every new connection a probe opens: waits for the rate limiter and re-checks
 * the address against the scope. Throws to stop the probe before anything is sent.
 */
export type BeforeConnect = () => Promise<void>;
