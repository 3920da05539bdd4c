/**
 * Test harness: a real Parapet server on a real HTTPS port (127.0.0.1, port 0) over the engine
 * the environment selects, and a small HTTPS client with a cookie jar that trusts exactly the
 * server's certificate.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, settled, type TestDatabase } from '@parapet/db/testing';
import { PgliteDatabase, type AdminSession, type Database } from '@parapet/db';
import { loadConfig, type Config } from './config.js';
import { startServer, type RunningServer, type StartOptions } from './main.js';
import { loadTls } from './tls/certificate.js';
import { createSession, CSRF_HEADER, SESSION_COOKIE } from './auth/sessions.js';
import type { Role } from './platform/principal.js';
import { insertUser } from './platform/users.js';
import { randomUUID } from 'node:crypto';

export interface TestServer {
  url: string;
  port: number;
  db: Database;
  dataDir: string;
  /** The server's certificate (PEM), for clients that must trust it. */
  ca: string;
  config: Config;
  asAdmin<T>(fn: (s: AdminSession) => Promise<T>): Promise<T>;
  /** A client; `localAddress` (e.g. '127.0.0.7') is the source address it connects from. */
  client(localAddress?: string): TestClient;
  close(): Promise<void>;
}

/** Starts a test server with extra environment (`env`) and start options (`o`, e.g. the console dist to serve). */
export async function startTestServer(env: Record<string, string> = {}, o: StartOptions = {}): Promise<TestServer> {
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
    server = await startServer(config, o);
  } catch (e) {
    await tdb?.close();
    throw e;
  }
  const tls = await loadTls({ dataDir, certFile: config.tlsCertFile, keyFile: config.tlsKeyFile });
  const url = `https://127.0.0.1:${server.port}`;
  return {
    url,
    port: server.port,
    db: settled(server.db),
    dataDir,
    ca: tls.cert,
    config,
    asAdmin: async (fn) => (await server.db.idle(), tdb ? tdb.asAdmin(fn) : fn((server.db as PgliteDatabase).admin())),
    client: (localAddress?: string) => new TestClient(url, tls.cert, localAddress),
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
  constructor(readonly base: string, readonly ca: string, readonly localAddress?: string) {}

  request(method: string, path: string, o: { json?: unknown; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<TestResponse> {
    const body = o.json !== undefined ? Buffer.from(JSON.stringify(o.json)) : o.body !== undefined ? Buffer.from(o.body) : undefined;
    const headers: Record<string, string | number> = { ...this.headers, ...(o.headers ?? {}) };
    if (o.json !== undefined) headers['content-type'] ??= 'application/json';
    if (body) headers['content-length'] = body.length;
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    return new Promise((resolve, reject) => {
      const req = request(this.base + path, { method, ca: this.ca, headers, servername: 'localhost', ...(this.localAddress ? { localAddress: this.localAddress, agent: false } : {}) }, (res) => {
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

/** Creates a tenant (slug derived from a random id) with no users; returns its id. */
export async function createTenant(db: Database, slug = 't-' + randomUUID().slice(0, 8)): Promise<string> {
  const id = randomUUID();
  await db.tx({ tenantId: id }, (q) => q.query(`INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $2)`, [id, slug]));
  return id;
}

/** Creates a user directly in the database (no password unless given as a hash). */
export async function createUser(db: Database, tenantId: string, o: { roles: Role[]; email?: string; passwordHash?: string }): Promise<{ userId: string; email: string }> {
  const email = o.email ?? `${o.roles.join('-') || 'user'}-${randomUUID().slice(0, 8)}@example.test`;
  const { id } = await db.tx({ tenantId }, (q) => insertUser(q, tenantId, { email, roles: o.roles, passwordHash: o.passwordHash ?? null }));
  return { userId: id, email };
}

/**
 * A client signed in as a new user with `roles` (in `tenantId`, or a new tenant). `mfaFresh`
 * marks the session as MFA-verified now, so step-up routes pass.
 */
export async function loginAs(s: TestServer, o: { roles: Role[]; tenantId?: string; email?: string; mfaFresh?: boolean }): Promise<{ client: TestClient; tenantId: string; userId: string; email: string; sessionId: string }> {
  const tenantId = o.tenantId ?? (await createTenant(s.db));
  const u = await createUser(s.db, tenantId, { roles: o.roles, ...(o.email ? { email: o.email } : {}) });
  const sess = await s.db.tx({ tenantId }, (q) => createSession(q, { tenantId, userId: u.userId, mfaVerifiedAt: o.mfaFresh ? new Date() : null }));
  const client = s.client();
  client.cookies.set(SESSION_COOKIE, sess.cookie);
  client.headers[CSRF_HEADER] = sess.csrfToken;
  return { client, tenantId, userId: u.userId, email: u.email, sessionId: sess.id };
}
