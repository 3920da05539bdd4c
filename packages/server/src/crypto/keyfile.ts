import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KeyRing, DecryptError, type KeyProvider } from '@parapet/core';

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
  if (!kf.keys.some((k) => k.id === keyId)) throw new KeyFileError(`There is no key ${keyId} in ${path}.`);
  if (kf.active === keyId) throw new KeyFileError('The active key cannot be retired; rotate first.');
  kf.keys = kf.keys.filter((k) => k.id !== keyId);
  await write(path, kf);
}

/**
 * The key file as a live KeyProvider: when an envelope names a key this process has not
 * loaded (another process rotated), it re-reads the file once before giving up, and it
 * re-reads periodically so a new active key is picked up without a restart.
 */
export class FileKeyProvider implements KeyProvider {
  private timer: NodeJS.Timeout | undefined;
  private constructor(private readonly path: string, private ring: KeyRing) {}

  static async open(path: string, refreshMs = 60_000): Promise<FileKeyProvider> {
    const p = new FileKeyProvider(path, await loadKeyFile(path));
    if (refreshMs > 0) {
      p.timer = setInterval(() => void p.reload().catch(() => undefined), refreshMs);
      p.timer.unref();
    }
    return p;
  }

  async reload(): Promise<void> {
    this.ring = await loadKeyFile(this.path);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  activeKeyId(): string {
    return this.ring.activeKeyId();
  }

  keyIds(): string[] {
    return this.ring.keyIds();
  }

  wrap(keyId: string, dek: Buffer, aad: Buffer): Promise<Buffer> {
    return this.ring.wrap(keyId, dek, aad);
  }

  async unwrap(keyId: string, wrapped: Buffer, aad: Buffer): Promise<Buffer> {
    if (!this.ring.keyIds().includes(keyId)) await this.reload();
    if (!this.ring.keyIds().includes(keyId)) throw new DecryptError(`Key-encryption key ${keyId} is not available.`);
    return this.ring.unwrap(keyId, wrapped, aad);
  }
}
