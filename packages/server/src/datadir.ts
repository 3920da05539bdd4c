import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, writeFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Files the server keeps in its data dir. */
export const dataPaths = (dir: string) => ({
  keyFile: join(dir, 'keys', 'kek.json'),
  bootstrapToken: join(dir, 'bootstrap.token'),
  metricsToken: join(dir, 'metrics.token'),
  serverInfo: join(dir, 'server.json'),
  lock: join(dir, 'server.lock'),
});

/** Another live process holds the data dir; the message is the one sentence `npm start` prints. */
export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The pid of the live server holding the data dir, or undefined. A lock naming this very process
 * is stale (a crashed server's pid given to the caller, as in a restarted container).
 */
export async function dataDirHolder(dir: string): Promise<number | undefined> {
  const holder = Number((await readFile(dataPaths(dir).lock, 'utf8').catch(() => '')).trim());
  return Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder) ? holder : undefined;
}

/**
 * Takes the data dir for this process: `server.lock` created exclusively (O_EXCL) with our
 * pid. A lock left by a process that no longer runs is taken over. The embedded database
 * lives in the data dir and must never be opened by two servers, so this runs before it is
 * opened. Returns the release function. Throws DataDirLockedError naming the holder.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const path = dataPaths(dir).lock;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return async () => {
        const held = Number((await readFile(path, 'utf8').catch(() => '')).trim());
        if (held === process.pid) await unlink(path).catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
      throw new DataDirLockedError(`Another Parapet server (pid ${holder}) is already using the data dir ${dir}; stop it first, or give this one its own PARAPET_DATA_DIR.`);
    }
    // Stale (the holder is gone, or the file is empty from a crash mid-write): take it over.
    await unlink(path).catch(() => undefined);
  }
  throw new DataDirLockedError(`Could not lock the data dir ${dir} (${path} keeps reappearing); is another server starting?`);
}

export async function ensureDataDir(dir: string): Promise<boolean> {
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  return created !== undefined;
}

export async function loadOrCreateBootstrapToken(dir: string): Promise<string> {
  return loadOrCreateToken(dataPaths(dir).bootstrapToken, 'pbt_');
}

/** The metrics scrape token: PARAPET_METRICS_TOKEN when set, else `metrics.token` (made 0600 on first start). */
export async function loadOrCreateMetricsToken(dir: string, fromEnv?: string): Promise<string> {
  return fromEnv || loadOrCreateToken(dataPaths(dir).metricsToken, 'pmt_');
}

async function loadOrCreateToken(p: string, prefix: string): Promise<string> {
  try {
    return (await readFile(p, 'utf8')).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const token = prefix + randomBytes(32).toString('base64url');
  await writeFile(p, token + '\n', { mode: 0o600, flag: 'wx' });
  return token;
}

/** Written while a server runs, so the CLI knows to talk to it instead of opening PGlite. */
export interface ServerInfo {
  pid: number;
  url: string;
  spkiSha256: string;
  engine: string;
  /**
   * Embedded engine only: the migrations (`0001_name`, in order) the database held once this
   * server's start-up migration was done. Absent for PostgreSQL, whose migrations
   * `parapet db migrate` may apply while servers run.
   */
  migrations?: string[];
}

export async function writeServerInfo(dir: string, info: ServerInfo): Promise<void> {
  await writeFile(dataPaths(dir).serverInfo, JSON.stringify(info) + '\n', { mode: 0o600 });
}

export async function clearServerInfo(dir: string): Promise<void> {
  await unlink(dataPaths(dir).serverInfo).catch(() => undefined);
}

export async function readServerInfo(dir: string): Promise<ServerInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(dataPaths(dir).serverInfo, 'utf8')) as ServerInfo;
    process.kill(info.pid, 0); // throws when no such process
    // Our own pid in the file is stale: a crashed server's pid now given to this process
    // (a restarted container numbers its processes from the same start).
    if (info.pid === process.pid) return undefined;
    return info;
  } catch {
    return undefined;
  }
}
