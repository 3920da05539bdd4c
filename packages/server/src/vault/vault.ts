/**
 * WORM vault (CORE-VAULT): one interface, drivers underneath. Objects are written once,
 * kept until their retain-until date, and checked against their SHA-256 on every read.
 * Callers store only ciphertext (see sealed.ts), so a driver never sees plaintext.
 */
export interface VaultObjectInfo {
  key: string;
  size: number;
  sha256: string;
  retainUntil: Date;
  createdAt: Date;
}

export interface WormVault {
  /** Writes a new object; refuses when the key exists. */
  put(key: string, data: Buffer, o: { retainUntil: Date }): Promise<VaultObjectInfo>;
  /** Reads an object and checks its checksum. */
  get(key: string): Promise<Buffer>;
  head(key: string): Promise<VaultObjectInfo | undefined>;
  list(prefix: string): Promise<string[]>;
  /** Removes an object after its retain-until date; refuses before it. */
  delete(key: string): Promise<void>;
  /**
   * A URL that reads the object without credentials for `ttlSeconds` (S3: a presigned GET).
   * Absent on drivers that cannot serve objects themselves (the filesystem).
   */
  presignGet?(key: string, ttlSeconds: number, at?: Date): Promise<string>;
}

export class VaultError extends Error {
  override name = 'VaultError';
  constructor(readonly code: 'exists' | 'not_found' | 'retained' | 'integrity' | 'invalid_key' | 'no_object_lock', message: string) {
    super(message);
  }
}

/** Keys are relative paths of safe characters; no empty, dot or dot-dot segments. */
export function checkKey(key: string): void {
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(key) || key.split('/').some((s) => s === '.' || s === '..') || key.length > 512) {
    throw new VaultError('invalid_key', `"${key}" is not a valid vault key.`);
  }
}
