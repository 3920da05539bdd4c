import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Files the server keeps in its data dir. */
export const dataPaths = (dir: string) => ({
  keyFile: join(dir, 'keys', 'kek.json'),
  bootstrapToken: join(dir, 'bootstrap.token'),
  serverInfo: join(dir, 'server.json'),
});

export async function ensureDataDir(dir: string): Promise<boolean> {
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  return created !== undefined;
}

export async function loadOrCreateBootstrapToken(dir: string): Promise<string> {
  const p = dataPaths(dir).bootstrapToken;
  try {
    return (await readFile(p, 'utf8')).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const token = 'pbt_' + randomBytes(32).toString('base64url');
  await writeFile(p, token + '\n', { mode: 0o600, flag: 'wx' });
  return token;
}

/** Written while a server runs, so the CLI knows to talk to it instead of opening PGlite. */
export interface ServerInfo {
  pid: number;
  url: string;
  spkiSha256: string;
  engine: string;
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
    return info;
  } catch {
    return undefined;
  }
}
