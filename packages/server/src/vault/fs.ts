import { createHash } from 'node:crypto';
import { chmod, mkdir, open, readFile, readdir, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { checkKey, VaultError, type VaultObjectInfo, type WormVault } from './vault.js';

interface Meta {
  v: 1;
  size: number;
  sha256: string;
  retain_until: string;
  created_at: string;
}

/**
 * Filesystem driver (embedded default). Each object is two files created exclusively
 * (O_EXCL) and then made read-only (0444): `<key>` and `<key>.meta.json` with its size,
 * checksum and retain-until date. The metadata is written first, so an object never exists
 * without its retention. This is write-once against the application, not against root:
 * production uses the S3 driver with Object Lock in compliance mode.
 */
export class FsVault implements WormVault {
  constructor(readonly root: string, private readonly now: () => Date = () => new Date()) {}

  private path(key: string): string {
    checkKey(key);
    if (key.endsWith('.meta.json')) throw new VaultError('invalid_key', 'Vault keys may not end in .meta.json.');
    return join(this.root, ...key.split('/'));
  }

  private async writeOnce(path: string, data: Buffer | string): Promise<void> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    let fh;
    try {
      fh = await open(path, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new VaultError('exists', `Vault object ${relative(this.root, path)} already exists; objects are write-once.`);
      throw e;
    }
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(path, 0o444);
  }

  async put(key: string, data: Buffer, o: { retainUntil: Date }): Promise<VaultObjectInfo> {
    const p = this.path(key);
    const meta: Meta = { v: 1, size: data.length, sha256: createHash('sha256').update(data).digest('hex'), retain_until: o.retainUntil.toISOString(), created_at: this.now().toISOString() };
    await this.writeOnce(p + '.meta.json', JSON.stringify(meta));
    await this.writeOnce(p, data);
    return { key, size: meta.size, sha256: meta.sha256, retainUntil: o.retainUntil, createdAt: new Date(meta.created_at) };
  }

  async head(key: string): Promise<VaultObjectInfo | undefined> {
    let raw: string;
    try {
      raw = await readFile(this.path(key) + '.meta.json', 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const m = JSON.parse(raw) as Meta;
    return { key, size: m.size, sha256: m.sha256, retainUntil: new Date(m.retain_until), createdAt: new Date(m.created_at) };
  }

  async get(key: string): Promise<Buffer> {
    const info = await this.head(key);
    if (!info) throw new VaultError('not_found', `No vault object ${key}.`);
    let data: Buffer;
    try {
      data = await readFile(this.path(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new VaultError('integrity', `Vault object ${key} has metadata but no content.`);
      throw e;
    }
    const sum = createHash('sha256').update(data).digest('hex');
    if (sum !== info.sha256 || data.length !== info.size) throw new VaultError('integrity', `Vault object ${key} fails its checksum; it was altered on disk.`);
    return data;
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (dir: string) => {
      let names;
      try {
        names = await readdir(dir, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      for (const d of names) {
        const p = join(dir, d.name);
        if (d.isDirectory()) await walk(p);
        else if (d.name.endsWith('.meta.json')) out.push(relative(this.root, p).split(sep).join('/').slice(0, -'.meta.json'.length));
      }
    };
    await walk(this.root);
    return out.filter((k) => k.startsWith(prefix)).sort();
  }

  async delete(key: string): Promise<void> {
    const info = await this.head(key);
    if (!info) throw new VaultError('not_found', `No vault object ${key}.`);
    if (this.now() < info.retainUntil) throw new VaultError('retained', `Vault object ${key} is retained until ${info.retainUntil.toISOString()}; it cannot be deleted before.`);
    const p = this.path(key);
    await unlink(p).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    await unlink(p + '.meta.json');
  }
}
