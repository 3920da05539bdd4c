import type { KeyProvider } from '@parapet/core';
import type { Database } from '@parapet/db';
import type { TlsMaterial } from './tls/certificate.js';
import type { WormVault } from './vault/vault.js';
import type { JobRunner } from './platform/jobs.js';
import type { Mailer } from './mail/mailer.js';

/** What every domain module may use. Modules get it as their plugin options. */
export interface AppDeps {
  db: Database;
  /** Key-encryption keys for CORE-CRYPTO envelopes. */
  keys: KeyProvider;
  /** The serving certificate (absent when a test injects requests without TLS). */
  tls?: TlsMaterial | undefined;
  dataDir: string;
  /** Token that authorizes the bootstrap API (held in the data dir). */
  bootstrapToken?: string | undefined;
  /** The WORM vault (PARAPET_VAULT); absent: the fs driver under dataDir/vault. */
  vault?: WormVault | undefined;
  /** Background jobs (platform/jobs.ts); buildApp makes one on deps.now when absent. */
  jobs?: JobRunner | undefined;
  /** Bearer token that GET /metrics requires (absent: open, for in-process tests only). */
  metricsToken?: string | undefined;
  /** Outgoing mail (PARAPET_SMTP_URL); absent: invitation links are shown to pass on. */
  mailer?: Mailer | undefined;
  /** The built web console to serve (a Vite dist folder); absent: packages/console/dist, built when missing or stale. */
  consoleDist?: string | undefined;
  /** Clock, replaceable in tests. */
  now: () => Date;
}
