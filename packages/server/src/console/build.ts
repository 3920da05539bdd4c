/**
 * Makes sure the console's built files exist before the server serves them. The root
 * `prepare` script builds the console on `npm install`/`npm ci`; this is the safety net for a
 * checkout where that did not happen (scripts disabled, sources edited since): it runs
 * `vite build` once, into a temporary folder that is renamed into place, so two servers
 * starting together never see a half-written dist.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSOLE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../console');
export const CONSOLE_DIST = join(CONSOLE_DIR, 'dist');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

/** True when dist is missing, or older than a console source file (when sources are present). */
export function consoleBuildNeeded(dir = CONSOLE_DIR): boolean {
  const index = join(dir, 'dist', 'index.html');
  if (!existsSync(index)) return existsSync(join(dir, 'index.html'));
  const src = join(dir, 'src');
  if (!existsSync(src)) return false;
  const built = statSync(index).mtimeMs;
  const inputs = [newestMtime(src), ...['index.html', 'vite.config.mjs'].map((f) => (existsSync(join(dir, f)) ? statSync(join(dir, f)).mtimeMs : 0))];
  return Math.max(...inputs) > built;
}

let inFlight: Promise<void> | undefined;

export function ensureConsoleBuilt(dir = CONSOLE_DIR): Promise<void> {
  if (!consoleBuildNeeded(dir)) return Promise.resolve();
  inFlight ??= build(dir).finally(() => (inFlight = undefined));
  return inFlight;
}

async function build(dir: string): Promise<void> {
  const viteBin = join(dirname(createRequire(join(dir, 'package.json')).resolve('vite/package.json')), 'bin', 'vite.js');
  const tmp = join(dir, `.dist-${process.pid}-${Date.now()}`);
  try {
    await new Promise<void>((ok, fail) => {
      const child = spawn(process.execPath, [viteBin, 'build', '--outDir', tmp, '--emptyOutDir', '--logLevel', 'error'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('error', fail);
      child.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`vite build failed (exit ${code}): ${err.trim().slice(0, 2000)}`))));
    });
    const dist = join(dir, 'dist');
    // Another process may have finished first; a fresh build replaces an older one.
    if (consoleBuildNeeded(dir)) {
      const old = `${dist}.old-${process.pid}-${Date.now()}`;
      if (existsSync(dist)) await rename(dist, old).catch(() => undefined);
      await rename(tmp, dist).catch(() => undefined);
      await rm(old, { recursive: true, force: true });
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
