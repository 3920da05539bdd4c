import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KeyRing } from '@parapet/core';

/**
 * The local key provider: key-encryption keys in a JSON file that only the server's user can
 * read (0600). KMS providers implement the same KeyProvider interface.
 */
interface KeyFile {
  version: 1;
  active: string;
  keys: Array<{ id: string; key: string; created: string }>;
}

export class KeyFileError extends Error {
  override name = 'KeyFileError';
}

function newKeyId(): string {
  return 'k' + new Date().toISOString().slice(0, 10).replace(/-/g, '') + randomBytes(4).toString('hex');
}

async function read(path: string): Promise<KeyFile | undefined> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const mode = (await stat(path)).mode & 0o777;
  if (mode & 0o077) throw new KeyFileError(`Key file ${path} is readable by others (mode ${mode.toString(8)}); chmod 600 it.`);
  const kf = JSON.parse(raw) as KeyFile;
  if (kf.version !== 1 || !Array.isArray(kf.keys) || !kf.keys.some((k) => k.id === kf.active)) {
    throw new KeyFileError(`Key file ${path} is not a Parapet key file.`);
  }
  return kf;
}

async function write(path: string, kf: KeyFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(kf, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  await chmod(tmp, 0o600);
  await rename(tmp, path); // atomic: a crash never leaves half a key file
}

function ring(kf: KeyFile): KeyRing {
  return new KeyRing(kf.keys.map((k) => ({ id: k.id, key: Buffer.from(k.key, 'base64') })), kf.active);
}

/** Loads the key ring, creating the file with one fresh key on first run. */
export async function loadKeyFile(path: string): Promise<KeyRing> {
  let kf = await read(path);
  if (!kf) {
    const id = newKeyId();
    kf = { version: 1, active: id, keys: [{ id, key: randomBytes(32).toString('base64'), created: new Date().toISOString() }] };
    await write(path, kf);
  }
  return ring(kf);
}

/**
 * Adds a new key and makes it active. Old keys stay, so every envelope still opens while the
 * re-wrap job moves them; retire an old key only after no envelope names it.
 */
export async function rotateKeyFile(path: string): Promise<{ ring: KeyRing; newKeyId: string }> {
  const kf = await read(path);
  if (!kf) throw new KeyFileError(`No key file at ${path}.`);
  const id = newKeyId();
  kf.keys.push({ id, key: randomBytes(32).toString('base64'), created: new Date().toISOString() });
  kf.active = id;
  await write(path, kf);
  return { ring: ring(kf), newKeyId: id };
}

/** Removes a key no envelope uses any more. */
export async function retireKey(path: string, keyId: string): Promise<void> {
  const kf = await read(path);
  if (!kf) throw new KeyFileError(`No key file at ${path}.`);
  if (kf.active === keyId) throw new KeyFileError('The active key cannot be retired; rotate first.');
  kf.keys = kf.keys.filter((k) => k.id !== keyId);
  await write(path, kf);
}
