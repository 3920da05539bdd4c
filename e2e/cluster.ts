/**
 * Several Parapet server processes on one PostgreSQL behind Debian's HAProxy (TCP mode, round
 * robin, TLS passes through), shared by the replica test, the load test and `bench/load`.
 *
 * PostgreSQL only: the embedded engine lives inside one process and cannot be shared.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../packages/server/bin/parapet-server.js', import.meta.url));

/** True when the `haproxy` binary (Debian package `haproxy`) runs. */
export const haproxyAvailable = (): boolean => spawnSync('haproxy', ['-v']).status === 0;

export interface Replica {
  name: string;
  child: ChildProcess;
  port: number;
  dataDir: string;
  /** The process's stdout and stderr so far (only the last `logTail` characters when set). */
  logs: () => string;
  exited: Promise<number | null>;
}

/** A free TCP port on 127.0.0.1 (closed again before returning). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

/** Database URLs the replicas connect with (app role and admin role). */
export interface ClusterDb {
  app: string;
  admin: string;
}

/**
 * Starts one `parapet-server` on an ephemeral port; resolves once it logs its URL.
 * `logTail` bounds the kept log (characters) for long runs; default: keep everything.
 * Rejects with the process output when it exits before listening.
 */
export async function launchReplica(name: string, dataDir: string, db: ClusterDb, o: { logTail?: number; env?: Record<string, string> } = {}): Promise<Replica> {
  const env = { ...process.env, PARAPET_DATA_DIR: dataDir, PARAPET_PORT: '0', PARAPET_HOST: '127.0.0.1', DATABASE_URL: db.app, DATABASE_ADMIN_URL: db.admin, ...(o.env ?? {}) };
  const child = spawn(process.execPath, [BIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out += d;
    if (o.logTail && out.length > 2 * o.logTail) out = out.slice(-o.logTail);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /"url":"https:\/\/localhost:(\d+)"/.exec(out);
      if (m) {
        clearInterval(timer);
        resolve(Number(m[1]));
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`replica ${name} exited ${code}: ${out}`));
    });
  });
  return { name, child, port, dataDir, logs: () => out, exited };
}

export interface Res {
  status: number;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One request on a fresh connection (agent: false), so HAProxy balances every request. */
export function call(base: string, ca: string, method: string, path: string, o: { json?: unknown; headers?: Record<string, string>; body?: Buffer } = {}): Promise<Res> {
  const body = o.body ?? (o.json !== undefined ? Buffer.from(JSON.stringify(o.json)) : undefined);
  const headers: Record<string, string | number> = { ...(o.headers ?? {}) };
  if (body) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = body.length;
  }
  return new Promise((resolve, reject) => {
    const req = request(base + path, { method, ca, headers, servername: 'localhost', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
      res.on('error', reject);
    });
    req.setTimeout(15_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

export interface Cluster {
  replicas: Replica[];
  /** `https://127.0.0.1:<haproxy port>`; the certificate's name is `localhost`. */
  base: string;
  /** The replicas' shared certificate (PEM), to trust. */
  ca: string;
  /** The bootstrap token (shared by all replicas). */
  bootstrapToken: string;
  haproxy: ChildProcess;
  /** Kills every process (SIGKILL) and removes the data directories. */
  stop: () => Promise<void>;
}

/**
 * `count` replicas (default 2) sharing what a real deployment shares — the certificate, the
 * key-encryption key and the bootstrap token (a secret store in production), nothing else —
 * behind one HAProxy, waiting until `/healthz` answers through it.
 * `maxconn` is HAProxy's global connection limit (default 512).
 */
export async function startCluster(db: ClusterDb, o: { count?: number; maxconn?: number; logTail?: number } = {}): Promise<Cluster> {
  const count = o.count ?? 2;
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const replicas: Replica[] = [];
  const stop = async () => {
    for (const c of children) c.kill('SIGKILL');
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) {
      const name = String.fromCharCode(97 + i);
      const dir = await mkdtemp(join(tmpdir(), `parapet-rep-${name}-`));
      dirs.push(dir);
      if (i > 0) {
        await mkdir(join(dir, 'tls'), { recursive: true, mode: 0o700 });
        await mkdir(join(dir, 'keys'), { recursive: true, mode: 0o700 });
        for (const f of ['tls/server.crt', 'tls/server.key', 'keys/kek.json', 'bootstrap.token']) await copyFile(join(dirs[0]!, f), join(dir, f));
      }
      const r = await launchReplica(name, dir, db, o.logTail ? { logTail: o.logTail } : {});
      children.push(r.child);
      replicas.push(r);
    }
    const ca = await readFile(join(dirs[0]!, 'tls', 'server.crt'), 'utf8');
    const lbPort = await freePort();
    const cfg = join(dirs[0]!, 'haproxy.cfg');
    await writeFile(
      cfg,
      [
        'global', `  maxconn ${o.maxconn ?? 512}`,
        'defaults', '  mode tcp', '  timeout connect 2s', '  timeout client 30s', '  timeout server 30s', '  retries 3', '  option redispatch',
        'frontend fe', `  bind 127.0.0.1:${lbPort}`, '  default_backend be',
        'backend be', '  balance roundrobin',
        ...replicas.map((r) => `  server ${r.name} 127.0.0.1:${r.port} check inter 200ms fall 1 rise 2`),
        '',
      ].join('\n'),
    );
    const haproxy = spawn('haproxy', ['-f', cfg, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout!.resume();
    haproxy.stderr!.resume();
    children.push(haproxy);
    const base = `https://127.0.0.1:${lbPort}`;
    for (let i = 0; i < 100; i++) {
      const ok = await call(base, ca, 'GET', '/healthz').then((r) => r.status === 200, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const bootstrapToken = (await readFile(join(dirs[0]!, 'bootstrap.token'), 'utf8')).trim();
    return { replicas, base, ca, bootstrapToken, haproxy, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
