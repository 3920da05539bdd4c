/**
 * Where the device's Ed25519 private key lives. First choice: the OS credential store through
 * @napi-rs/keyring (Keychain, Windows Credential Manager, Secret Service). Where none works (a
 * headless Linux server without a Secret Service), an AES-256-GCM encrypted file, mode 0600,
 * whose key-encryption key comes from the caller (e.g. a systemd credential) or from a separate
 * 0600 file. That protects a copied state directory, not a root attacker on the host; the
 * device reports `key_store: 'file'` so the fleet view shows which devices have the weaker store.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export type KeyStoreKind = 'os' | 'file';

export interface KeyStore {
  readonly kind: KeyStoreKind;
  /** Why the OS store was not used (for status and logs), when kind is 'file'. */
  readonly fallbackReason?: string | undefined;
  load(): Promise<Buffer | undefined>;
  save(secret: Buffer): Promise<void>;
  remove(): Promise<void>;
}

export class OsKeyStore implements KeyStore {
  readonly kind = 'os' as const;
  constructor(
    private readonly entry: { getPassword(): Promise<string | null>; setPassword(p: string): Promise<void>; deletePassword(): Promise<boolean> },
  ) {}
  async load() {
    const v = await this.entry.getPassword();
    return v === null ? undefined : Buffer.from(v, 'base64');
  }
  async save(secret: Buffer) {
    await this.entry.setPassword(secret.toString('base64'));
  }
  async remove() {
    await this.entry.deletePassword().catch(() => false);
  }
}

const MAGIC = Buffer.from('PARAPET-DEVKEY-1');

export class FileKeyStore implements KeyStore {
  readonly kind = 'file' as const;
  constructor(readonly path: string, private readonly kek: () => Promise<Buffer>, readonly fallbackReason?: string) {}

  async load() {
    let data: Buffer;
    try {
      data = await readFile(this.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    if (data.length < MAGIC.length + 12 + 16 || !data.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error(`${this.path} is not a Parapet device key file.`);
    const iv = data.subarray(MAGIC.length, MAGIC.length + 12);
    const tag = data.subarray(data.length - 16);
    const d = createDecipheriv('aes-256-gcm', await this.kek(), iv);
    d.setAAD(MAGIC);
    d.setAuthTag(tag);
    return Buffer.concat([d.update(data.subarray(MAGIC.length + 12, data.length - 16)), d.final()]);
  }

  async save(secret: Buffer) {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', await this.kek(), iv);
    c.setAAD(MAGIC);
    const body = Buffer.concat([MAGIC, iv, c.update(secret), c.final(), c.getAuthTag()]);
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, body, { mode: 0o600 });
    await chmod(tmp, 0o600); // umask cannot widen it, but an existing file keeps its mode
    const { rename } = await import('node:fs/promises');
    await rename(tmp, this.path);
  }

  async remove() {
    await rm(this.path, { force: true });
  }
}

/** A key-encryption key kept in its own 0600 file, made on first use. */
export function kekFile(path: string): () => Promise<Buffer> {
  return async () => {
    try {
      const k = await readFile(path);
      if (k.length !== 32) throw new Error(`${path} must hold 32 bytes.`);
      return k;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const k = randomBytes(32);
    try {
      await writeFile(path, k, { mode: 0o600, flag: 'wx' });
      return k;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      return readFile(path);
    }
  };
}

export interface OpenKeyStoreOptions {
  /** Keyring service name, e.g. 'parapet-agent'. */
  service: string;
  /** Keyring account, e.g. the server host. */
  account: string;
  /** Fallback encrypted file. */
  filePath: string;
  /** Fallback key-encryption key; default a 0600 file next to filePath (`.kek`). */
  kek?: () => Promise<Buffer>;
  /** 'file' skips the OS store (tests, or an operator's explicit choice). */
  prefer?: KeyStoreKind;
}

/**
 * Opens the OS store when a write/read/delete round-trip works (merely reading succeeds even
 * without a Secret Service on Linux), else the encrypted file.
 */
export async function openKeyStore(o: OpenKeyStoreOptions): Promise<KeyStore> {
  const fallback = (reason: string) => new FileKeyStore(o.filePath, o.kek ?? kekFile(`${o.filePath}.kek`), reason);
  if (o.prefer === 'file') return fallback('file store requested');
  let mod: typeof import('@napi-rs/keyring');
  try {
    mod = await import('@napi-rs/keyring');
  } catch (e) {
    return fallback(`keyring binding unavailable: ${(e as Error).message}`);
  }
  try {
    const probe = new mod.AsyncEntry(o.service, `${o.account}.probe`);
    const value = randomBytes(8).toString('hex');
    await probe.setPassword(value);
    const back = await probe.getPassword();
    await probe.deletePassword();
    if (back !== value) return fallback('OS credential store did not return what was stored');
  } catch (e) {
    return fallback(`no OS credential store: ${(e as Error).message}`);
  }
  return new OsKeyStore(new mod.AsyncEntry(o.service, o.account));
}
