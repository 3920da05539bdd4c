import { createServer as createHttpServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import pino from 'pino';
import { loadMigrations, openDatabase, PostgresDatabase, type Database } from '@parapet/db';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createMailer, type Mailer } from './mail/mailer.js';
import { FileKeyProvider } from './crypto/keyfile.js';
import { clearServerInfo, dataPaths, ensureDataDir, loadOrCreateBootstrapToken, loadOrCreateMetricsToken, lockDataDir, writeServerInfo } from './datadir.js';
import { loadTls } from './tls/certificate.js';
import { openVault } from './platform/vault.js';

export interface RunningServer {
  url: string;
  port: number;
  db: Database;
  close(): Promise<void>;
}

/** The relay URL without its password, for the log. */
function redactSmtpUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** How `startServer` runs beyond its configuration. */
export interface StartOptions {
  /**
   * Real ms after listening before background jobs first run (default 0: at once). `npm start`
   * gives its first requests this time: on the embedded database a job's queries hold the
   * one connection, and the jobs only catch up periodic work.
   */
  jobsDelayMs?: number;
  /** The built console to serve (AppDeps.consoleDist); default packages/console/dist. */
  consoleDist?: string;
}

/** Starts Parapet from configuration: the same path `npm start` and the e2e tests take. */
export async function startServer(config: Config = loadConfig(), o: StartOptions = {}): Promise<RunningServer> {
  const t0 = performance.now();
  const log = pino({ level: config.logLevel, base: { service: 'parapet-server' } });
  await ensureDataDir(config.dataDir);
  // The embedded database lives in the data dir: one server per data dir, checked before
  // anything is opened. PostgreSQL replicas may share a data dir (it then holds only keys).
  const unlock = config.databaseUrl ? async () => undefined : await lockDataDir(config.dataDir);
  try {
    return await startLocked(config, log, t0, unlock, o);
  } catch (e) {
    await unlock();
    throw e;
  }
}

async function startLocked(config: Config, log: pino.Logger, t0: number, unlock: () => Promise<void>, o: StartOptions): Promise<RunningServer> {
  const tls = await loadTls({ dataDir: config.dataDir, certFile: config.tlsCertFile, keyFile: config.tlsKeyFile });
  if (tls.selfSigned) log.warn({ spki_sha256: tls.spkiSha256 }, 'serving a self-signed certificate; set PARAPET_TLS_CERT_FILE and PARAPET_TLS_KEY_FILE in production');
  const keys = await FileKeyProvider.open(dataPaths(config.dataDir).keyFile);

  const db = await openDatabase({ databaseUrl: config.databaseUrl, databaseAdminUrl: config.databaseAdminUrl, dataDir: config.dataDir });
  let migrated: string[] | undefined;
  try {
    if (db instanceof PostgresDatabase) {
      await db.assertSafeRole();
      if (config.autoMigrate) await db.migrate();
    } else {
      log.warn(
        'EMBEDDED DATABASE (PGlite): for evaluation only. It runs inside this process, so row-level security is not an isolation boundary here (code in the process can SET ROLE postgres). Use PostgreSQL (DATABASE_URL) in production.',
      );
      await db.migrate();
    }
    const pending = await db.pendingMigrations();
    if (pending.length) log.error({ pending }, 'database migrations are pending; run "parapet db migrate" (readyz answers 503 until then)');
    // server.json names what the embedded database holds, so `parapet db migrate` can tell
    // whether this server's start-up migration already did its work.
    if (db.engine === 'pglite') migrated = (await loadMigrations()).map((m) => `${m.version}_${m.name}`).filter((v) => !pending.includes(v));
  } catch (e) {
    await db.close();
    keys.close();
    throw e;
  }

  const bootstrapToken = await loadOrCreateBootstrapToken(config.dataDir);
  const metricsToken = await loadOrCreateMetricsToken(config.dataDir, process.env.PARAPET_METRICS_TOKEN);
  let vault;
  try {
    vault = await openVault(config.vault);
  } catch (e) {
    await db.close();
    keys.close();
    throw e;
  }
  log.info({ vault: config.vault.driver }, 'WORM vault opened');
  let mailer: Mailer | undefined;
  try {
    mailer = config.smtp ? createMailer(config.smtp) : undefined;
  } catch (e) {
    await db.close();
    keys.close();
    throw new ConfigError((e as Error).message);
  }
  if (config.smtp) log.info({ smtp: redactSmtpUrl(config.smtp.url), from: config.smtp.from }, 'invitations are mailed through this relay (STARTTLS or TLS required)');
  const app = await buildApp(
    { db, keys, tls, dataDir: config.dataDir, bootstrapToken, metricsToken, vault, mailer, consoleDist: o.consoleDist, now: () => new Date() },
    { logger: { level: config.logLevel, base: { service: 'parapet-server' }, redact: ['req.headers.authorization', 'req.headers.cookie'] }, https: tls },
  );
  await app.listen({ port: config.port, host: config.host });
  app.jobs.start({ firstBeatMs: o.jobsDelayMs ?? 0 });
  const port = (app.server.address() as { port: number }).port;
  const url = `https://localhost:${port}`;

  let redirect: Server | undefined;
  if (config.httpRedirectPort !== undefined) {
    // Plain HTTP never serves content: every request is sent to the HTTPS origin.
    redirect = createHttpServer((req, res) => {
      const host = (req.headers.host ?? 'localhost').replace(/:\d+$/, '');
      res.writeHead(308, { location: `https://${host}:${port}${req.url ?? '/'}`, 'content-length': '0' });
      res.end();
    });
    await new Promise<void>((ok) => redirect!.listen(config.httpRedirectPort, config.host, ok));
  }

  await writeServerInfo(config.dataDir, { pid: process.pid, url, spkiSha256: tls.spkiSha256, engine: db.engine, migrations: migrated });
  log.info({ url, engine: db.engine, data_dir: config.dataDir, startup_ms: Math.round(performance.now() - t0) }, 'Parapet is listening');
  // The hint names this server's data dir: a CLI run with another one would create the
  // organisation in a database this server never reads.
  const dirEnv = config.dataDir === resolve('.parapet') ? '' : `PARAPET_DATA_DIR=${config.dataDir} `;
  log.info(`Data dir: ${config.dataDir}. Create an organisation and its first admin (asks for the password): ${dirEnv}npx parapet init --org "Example Corp" --email admin@example.com`);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    db,
    close() {
      closing ??= (async () => {
        redirect?.close();
        // Stop accepting, let in-flight requests finish; keep-alive connections that become
        // idle once their response is out are closed as they go idle, so they cannot hold us.
        const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
        try {
          await app.close();
        } finally {
          clearInterval(sweep);
        }
        mailer?.close();
        await db.close();
        keys.close();
        await clearServerInfo(config.dataDir);
        await unlock();
      })();
      return closing;
    },
  };
}
