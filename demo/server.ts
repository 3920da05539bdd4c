/**
 * The demo's server: the one already running on the demo data dir, or a new one started on
 * the embedded defaults (PGlite, filesystem vault, self-signed certificate) that keeps running
 * after the demo so a person can open the console.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../packages/server/bin/parapet-server.js', import.meta.url));

export interface DemoServer {
  url: string;
  /** The server's certificate (PEM): the demo trusts exactly this one. */
  ca: string;
  pid: number;
  dataDir: string;
  /** Whether this run started it (otherwise it was already running). */
  started: boolean;
  bootstrapToken: string;
}

/** Where the demo keeps its own deployment; separate from `npm start`'s `.parapet`. */
export function demoDataDir(): string {
  return resolve(process.env.PARAPET_DEMO_DATA_DIR || '.parapet-demo');
}

async function serverInfo(dir: string): Promise<{ pid: number; url: string } | undefined> {
  try {
    const info = JSON.parse(await readFile(join(dir, 'server.json'), 'utf8')) as { pid: number; url: string };
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}

/** Finds the demo server or starts one; waits until it is healthy. */
export async function ensureServer(port: number): Promise<DemoServer> {
  const dataDir = demoDataDir();
  let info = await serverInfo(dataDir);
  let started = false;
  if (!info) {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const log = openSync(join(dataDir, 'server.log'), 'a');
    const child = spawn(process.execPath, [BIN], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, PARAPET_DATA_DIR: dataDir, PARAPET_PORT: String(port), PARAPET_HOST: '127.0.0.1', DATABASE_URL: '', DATABASE_ADMIN_URL: '', PARAPET_LOG_LEVEL: 'info' },
    });
    child.unref();
    started = true;
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    let dead: number | null | undefined;
    void exited.then((c) => (dead = c));
    for (let i = 0; i < 600 && !info; i++) {
      if (dead !== undefined) throw new Error(`The demo server stopped at start (exit ${dead}); see ${join(dataDir, 'server.log')}.`);
      await new Promise((r) => setTimeout(r, 100));
      info = await serverInfo(dataDir);
    }
    if (!info) throw new Error(`The demo server did not come up within 60 s; see ${join(dataDir, 'server.log')}.`);
  }
  const ca = await readFile(join(dataDir, 'tls', 'server.crt'), 'utf8');
  const bootstrapToken = (await readFile(join(dataDir, 'bootstrap.token'), 'utf8')).trim();
  return { url: info.url.replace('localhost', '127.0.0.1'), ca, pid: info.pid, dataDir, started, bootstrapToken };
}

/** Stops the demo server (if running) and deletes the demo data dir. */
export async function resetDemo(): Promise<{ stopped: boolean; removed: boolean }> {
  const dataDir = demoDataDir();
  const info = await serverInfo(dataDir);
  if (info) {
    process.kill(info.pid, 'SIGTERM');
    for (let i = 0; i < 200; i++) {
      try {
        process.kill(info.pid, 0);
        await new Promise((r) => setTimeout(r, 100));
      } catch {
        break;
      }
    }
  }
  const removed = existsSync(dataDir);
  await rm(dataDir, { recursive: true, force: true });
  return { stopped: Boolean(info), removed };
}
