import { createServer as createHttpServer, type Server } from 'node:http';
import pino from 'pino';
import { openDatabase, PostgresDatabase, type Database } from '@parapet/db';
import { buildApp } from './app.js';
import { loadConfig, type Config } from './config.js';
import { FileKeyProvider } from './crypto/keyfile.js';
import { clearServerInfo, dataPaths, ensureDataDir, loadOrCreateBootstrapToken, writeServerInfo } from './datadir.js';
import { loadTls } from './tls/certificate.js';
import { openVault } from './platform/vault.js';

export interface RunningServer {
  url: string;
  port: number;
  db: Database;
  close(): Promise<void>;
}

/** Starts Parapet from configuration: the same path `npm start` and the e2e tests take. */
export async function startServer(config: Config = loadConfig()): Promise<RunningServer> {
  const t0 = performance.now();
  const log = pino({ level: config.logLevel, base: { service: 'parapet-server' } });
  await ensureDataDir(config.dataDir);
  const tls = await loadTls({ dataDir: config.dataDir, certFile: config.tlsCertFile, keyFile: config.tlsKeyFile });
  if (tls.selfSigned) log.warn({ spki_sha256: tls.spkiSha256 }, 'serving a self-signed certificate; set PARAPET_TLS_CERT_FILE and PARAPET_TLS_KEY_FILE in production');
  const keys = await FileKeyProvider.open(dataPaths(config.dataDir).keyFile);

  const db = await openDatabase({ databaseUrl: config.databaseUrl, databaseAdminUrl: config.databaseAdminUrl, dataDir: config.dataDir });
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
  } catch (e) {
    await db.close();
    keys.close();
    throw e;
  }

  const bootstrapToken = await loadOrCreateBootstrapToken(config.dataDir);
  let vault;
  try {
    vault = await openVault(config.vault);
  } catch (e) {
    await db.close();
    keys.close();
    throw e;
  }
  log.info({ vault: config.vault.driver }, 'WORM vault opened');
  const app = await buildApp(
    { db, keys, tls, dataDir: config.dataDir, bootstrapToken, vault, now: () => new Date() },
    { logger: { level: config.logLevel, base: { service: 'parapet-server' }, redact: ['req.headers.authorization', 'req.headers.cookie'] }, https: tls },
  );
  await app.listen({ port: config.port, host: config.host });
  app.jobs.start();
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

  await writeServerInfo(config.dataDir, { pid: process.pid, url, spkiSha256: tls.spkiSha256, engine: db.engine });
  log.info({ url, engine: db.engine, startup_ms: Math.round(performance.now() - t0) }, 'Parapet is listening');
  log.info(`Create an organisation and its first admin: npx parapet init --org "Example Corp" --email admin@example.com --password-file ./admin-password.txt`);

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
        await db.close();
        keys.close();
        await clearServerInfo(config.dataDir);
      })();
      return closing;
    },
  };
}
