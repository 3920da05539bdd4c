import { mailConfigFromEnv, MailConfigError, type MailConfig } from './mail/mailer.js';
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
  /** Where WORM vault objects go (PARAPET_VAULT, default fs). */
  vault: VaultConfig;
  /** Mail relay for invitations (PARAPET_SMTP_URL, PARAPET_SMTP_FROM, PARAPET_SMTP_CA_FILE); absent: none. */
  smtp: MailConfig | undefined;
}

/**
 * The vault driver. `fs`: files under `dir` (default <data dir>/vault), write-once against the
 * application only (evaluation). `s3`: an S3 bucket with Object Lock enabled; credentials come
 * from the AWS SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, or an
 * instance role).
 */
export type VaultConfig =
  | { driver: 'fs'; dir: string }
  | { driver: 's3'; bucket: string; prefix: string; region: string | undefined; endpoint: string | undefined; forcePathStyle: boolean; kmsKeyId: string | undefined };

function vaultConfig(env: NodeJS.ProcessEnv, dataDir: string): VaultConfig {
  const driver = env.PARAPET_VAULT || 'fs';
  if (driver === 'fs') return { driver, dir: resolve(env.PARAPET_VAULT_DIR || resolve(dataDir, 'vault')) };
  if (driver !== 's3') throw new ConfigError(`PARAPET_VAULT must be "fs" or "s3", got "${driver}".`);
  const bucket = env.PARAPET_S3_BUCKET;
  if (!bucket) throw new ConfigError('PARAPET_VAULT=s3 needs PARAPET_S3_BUCKET (a bucket with S3 Object Lock enabled).');
  const endpoint = env.PARAPET_S3_ENDPOINT || undefined;
  if (endpoint && !/^https?:\/\//.test(endpoint)) throw new ConfigError(`PARAPET_S3_ENDPOINT must be an http(s) URL, got "${endpoint}".`);
  return {
    driver,
    bucket,
    prefix: env.PARAPET_S3_PREFIX ?? '',
    region: env.PARAPET_S3_REGION || env.AWS_REGION || undefined,
    endpoint,
    forcePathStyle: env.PARAPET_S3_FORCE_PATH_STYLE === '1' || env.PARAPET_S3_FORCE_PATH_STYLE === 'true',
    kmsKeyId: env.PARAPET_S3_KMS_KEY_ID || undefined,
  };
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
  const dataDir = resolve(env.PARAPET_DATA_DIR || '.parapet');
  return {
    port: port('PARAPET_PORT', env.PARAPET_PORT, 8443)!,
    host: env.PARAPET_HOST || '::',
    httpRedirectPort: port('PARAPET_HTTP_PORT', env.PARAPET_HTTP_PORT),
    dataDir,
    databaseUrl: env.DATABASE_URL || undefined,
    databaseAdminUrl: env.DATABASE_ADMIN_URL || undefined,
    tlsCertFile: cert,
    tlsKeyFile: key,
    autoMigrate: env.PARAPET_AUTO_MIGRATE === '1' || env.PARAPET_AUTO_MIGRATE === 'true',
    logLevel: env.PARAPET_LOG_LEVEL || 'info',
    shutdownGraceSeconds: grace,
    vault: vaultConfig(env, dataDir),
    smtp: smtpConfig(env),
  };
}

function smtpConfig(env: NodeJS.ProcessEnv): MailConfig | undefined {
  try {
    return mailConfigFromEnv(env);
  } catch (e) {
    if (e instanceof MailConfigError) throw new ConfigError(e.message);
    throw e;
  }
}
