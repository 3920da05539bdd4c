/**
 * Test harness: a real Parapet server on a real HTTPS port (127.0.0.1, port 0) over the engine
 * the environment selects, and a small HTTPS client with a cookie jar that trusts exactly the
 * server's certificate.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@parapet/db/testing';
import { PgliteDatabase, type AdminSession, type Database } from '@parapet/db';
import { loadConfig, type Config } from './config.js';
import { startServer, type RunningServer } from './main.js';
import { loadTls } from './tls/certificate.js';

export interface TestServer {
  url: string;
  port: number;
  db: Database;
  dataDir: string;
  /** The server's certificate (PEM), for clients that must trust it. */
  ca: string;
  config: Config;
  asAdmin<T>(fn: (s: AdminSession) => Promise<T>): Promise<T>;
  client(): TestClient;
  close(): Promise<void>;
}

export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'parapet-test-'));
  let tdb: TestDatabase | undefined;
  const vars: Record<string, string> = { PARAPET_DATA_DIR: dataDir, PARAPET_PORT: '0', PARAPET_HOST: '127.0.0.1', PARAPET_LOG_LEVEL: 'silent', ...env };
  if (process.env.DATABASE_URL && process.env.DATABASE_ADMIN_URL) {
    tdb = await createTestDatabase();
    vars.DATABASE_URL = tdb.urls!.app;
    vars.DATABASE_ADMIN_URL = tdb.urls!.admin;
  }
  const config = loadConfig({ ...vars, ...(tdb ? {} : { DATABASE_URL: '', DATABASE_ADMIN_URL: '' }) });
  let server: RunningServer;
  try {
    server = await startServer(config);
  } catch (e) {
    await tdb?.close();
    throw e;
  }
  const tls = await loadTls({ dataDir, certFile: config.tlsCertFile, keyFile: config.tlsKeyFile });
  const url = `https://127.0.0.1:${server.port}`;
  return {
    url,
    port: server.port,
    db: server.db,
    dataDir,
    ca: tls.cert,
    config,
    asAdmin: (fn) => (tdb ? tdb.asAdmin(fn) : fn((server.db as PgliteDatabase).admin())),
    client: () => new TestClient(url, tls.cert),
    async close() {
      await server.close();
      await tdb?.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // Parsed JSON body (problem details included); undefined when the body is not JSON.
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** HTTPS client with a cookie jar; sends the CSRF header when the server set one. */
export class TestClient {
  readonly cookies = new Map<string, string>();
  readonly headers: Record<string, string> = {};
  constructor(readonly base: string, readonly ca: string) {}

  request(method: string, path: string, o: { json?: unknown; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<TestResponse> {
    const body = o.json !== undefined ? Buffer.from(JSON.stringify(o.json)) : o.body !== undefined ? Buffer.from(o.body) : undefined;
    const headers: Record<string, string | number> = { ...this.headers, ...(o.headers ?? {}) };
    if (o.json !== undefined) headers['content-type'] ??= 'application/json';
    if (body) headers['content-length'] = body.length;
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return new Promise((resolve, reject) => {
      const req = request(this.base + path, { method, ca: this.ca, headers, servername: 'localhost' }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          for (const sc of ([] as string[]).concat(res.headers['set-cookie'] ?? [])) {
            const [pair, ...attrs] = sc.split(';');
            const eq = pair!.indexOf('=');
            const name = pair!.slice(0, eq).trim();
            const value = pair!.slice(eq + 1).trim();
            const expired = attrs.some((a) => /^\s*max-age=0/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
            if (expired || value === '') this.cookies.delete(name);
            else this.cookies.set(name, value);
          }
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  get(path: string, headers?: Record<string, string>) {
    return this.request('GET', path, { ...(headers ? { headers } : {}) });
  }
  post(path: string, json?: unknown, headers?: Record<string, string>) {
    return this.request('POST', path, { json: json ?? {}, ...(headers ? { headers } : {}) });
  }
}
