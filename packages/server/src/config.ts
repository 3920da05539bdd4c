import { resolve } from 'node:path';

/** Everything the server reads from its environment, parsed once. */
export interface Config {
  port: number;
  host: string;
  /** Optional plain-HTTP port that only redirects to HTTPS. */
  httpRedirectPort: number | undefined;
  dataDir: string;
  databaseUrl: string | undefined;
  databaseAdminUrl: string | undefined;
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  /** Apply pending migrations at start (always on for PGlite). */
  autoMigrate: boolean;
  logLevel: string;
  /** Seconds SIGTERM waits for in-flight requests. */
  shutdownGraceSeconds: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function port(name: string, v: string | undefined, dflt?: number): number | undefined {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`${name} must be a port number (0-65535), got "${v}".`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const cert = env.PARAPET_TLS_CERT_FILE || undefined;
  const key = env.PARAPET_TLS_KEY_FILE || undefined;
  if (Boolean(cert) !== Boolean(key)) throw new ConfigError('Set both PARAPET_TLS_CERT_FILE and PARAPET_TLS_KEY_FILE, or neither.');
  const grace = Number(env.PARAPET_SHUTDOWN_GRACE_SECONDS ?? 10);
  if (!Number.isFinite(grace) || grace < 0) throw new ConfigError('PARAPET_SHUTDOWN_GRACE_SECONDS must be a non-negative number.');
  return {
    port: port('PARAPET_PORT', env.PARAPET_PORT, 8443)!,
    host: env.PARAPET_HOST || '::',
    httpRedirectPort: port('PARAPET_HTTP_PORT', env.PARAPET_HTTP_PORT),
    dataDir: resolve(env.PARAPET_DATA_DIR || '.parapet'),
    databaseUrl: env.DATABASE_URL || undefined,
    databaseAdminUrl: env.DATABASE_ADMIN_URL || undefined,
    tlsCertFile: cert,
    tlsKeyFile: key,
    autoMigrate: env.PARAPET_AUTO_MIGRATE === '1' || env.PARAPET_AUTO_MIGRATE === 'true',
    logLevel: env.PARAPET_LOG_LEVEL || 'info',
    shutdownGraceSeconds: grace,
  };
}
