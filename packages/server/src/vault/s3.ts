import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand, GetObjectCommand, GetObjectLockConfigurationCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { checkKey, VaultError, type VaultObjectInfo, type WormVault } from './vault.js';

export interface S3VaultOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix inside the bucket (e.g. "parapet/"). */
  prefix?: string;
  /** Server-side encryption with this KMS key (SSE-KMS); absent: the bucket default. */
  kmsKeyId?: string;
  now?: () => Date;
}

const notFound = (e: unknown) => e instanceof S3ServiceException && (e.$metadata.httpStatusCode === 404 || e.name === 'NotFound' || e.name === 'NoSuchKey');

/**
 * S3 driver: every object is written with Object Lock in COMPLIANCE mode until its
 * retain-until date (nobody, not even the bucket owner, can shorten it), a SHA-256
 * checksum S3 verifies on upload, `If-None-Match: *` so an existing key is never
 * overwritten, and optionally SSE-KMS. `open` refuses a bucket without Object Lock.
 */
export class S3Vault implements WormVault {
  private constructor(private readonly o: S3VaultOptions) {}

  static async open(o: S3VaultOptions): Promise<S3Vault> {
    let enabled = false;
    try {
      const r = await o.client.send(new GetObjectLockConfigurationCommand({ Bucket: o.bucket }));
      enabled = r.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled';
    } catch (e) {
      if (!(e instanceof S3ServiceException)) throw e;
    }
    if (!enabled) throw new VaultError('no_object_lock', `Bucket ${o.bucket} does not have S3 Object Lock enabled; the vault refuses to store evidence where it could be deleted.`);
    return new S3Vault(o);
  }

  private k(key: string): string {
    checkKey(key);
    return (this.o.prefix ?? '') + key;
  }

  /**
   * A presigned GET of the object (AWS SigV4 query-string authentication, `X-Amz-Expires`
   * = ttlSeconds, host the only signed header), signed with the client's credentials by the
   * AWS SDK's presigner. Nothing is sent to S3.
   * @param ttlSeconds 1-604800 (S3's limit: 7 days)
   * @param at the signing time (default now)
   * @throws VaultError invalid_key
   */
  async presignGet(key: string, ttlSeconds: number, at?: Date): Promise<string> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 604_800) throw new RangeError('ttlSeconds must be an integer from 1 to 604800.');
    return getSignedUrl(this.o.client, new GetObjectCommand({ Bucket: this.o.bucket, Key: this.k(key) }), { expiresIn: ttlSeconds, ...(at ? { signingDate: at } : {}) });
  }

  async put(key: string, data: Buffer, o: { retainUntil: Date }): Promise<VaultObjectInfo> {
    const Key = this.k(key);
    if (await this.head(key)) throw new VaultError('exists', `Vault object ${key} already exists; objects are write-once.`);
    const sum = createHash('sha256').update(data).digest();
    try {
      await this.o.client.send(
        new PutObjectCommand({
          Bucket: this.o.bucket,
          Key,
          Body: data,
          ContentLength: data.length,
          IfNoneMatch: '*',
          ChecksumSHA256: sum.toString('base64'),
          ObjectLockMode: 'COMPLIANCE',
          ObjectLockRetainUntilDate: o.retainUntil,
          Metadata: { sha256: sum.toString('hex') },
          ...(this.o.kmsKeyId ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: this.o.kmsKeyId } : {}),
        }),
      );
    } catch (e) {
      if (e instanceof S3ServiceException && e.$metadata.httpStatusCode === 412) throw new VaultError('exists', `Vault object ${key} already exists; objects are write-once.`);
      throw e;
    }
    return { key, size: data.length, sha256: sum.toString('hex'), retainUntil: o.retainUntil, createdAt: (this.o.now ?? (() => new Date()))() };
  }

  async head(key: string): Promise<VaultObjectInfo | undefined> {
    try {
      const r = await this.o.client.send(new HeadObjectCommand({ Bucket: this.o.bucket, Key: this.k(key) }));
      return { key, size: r.ContentLength ?? 0, sha256: r.Metadata?.sha256 ?? '', retainUntil: r.ObjectLockRetainUntilDate ?? new Date(0), createdAt: r.LastModified ?? new Date(0) };
    } catch (e) {
      if (notFound(e)) return undefined;
      throw e;
    }
  }

  async get(key: string): Promise<Buffer> {
    let r;
    try {
      r = await this.o.client.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: this.k(key), ChecksumMode: 'ENABLED' }));
    } catch (e) {
      if (notFound(e)) throw new VaultError('not_found', `No vault object ${key}.`);
      throw e;
    }
    const data = Buffer.from(await r.Body!.transformToByteArray());
    if (createHash('sha256').update(data).digest('hex') !== r.Metadata?.sha256) throw new VaultError('integrity', `Vault object ${key} fails its checksum.`);
    return data;
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const r = await this.o.client.send(new ListObjectsV2Command({ Bucket: this.o.bucket, Prefix: (this.o.prefix ?? '') + prefix, ContinuationToken: token }));
      for (const c of r.Contents ?? []) if (c.Key) out.push(c.Key.slice((this.o.prefix ?? '').length));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  }

  async delete(key: string): Promise<void> {
    const info = await this.head(key);
    if (!info) throw new VaultError('not_found', `No vault object ${key}.`);
    if ((this.o.now ?? (() => new Date()))() < info.retainUntil) throw new VaultError('retained', `Vault object ${key} is retained until ${info.retainUntil.toISOString()}; it cannot be deleted before.`);
    await this.o.client.send(new DeleteObjectCommand({ Bucket: this.o.bucket, Key: this.k(key) }));
  }
}
