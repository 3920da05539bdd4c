/**
 * The WORM vault chosen by configuration (PARAPET_VAULT=fs|s3, see config.ts and README).
 */
import { join } from 'node:path';
import type { VaultConfig } from '../config.js';
import { FsVault } from '../vault/fs.js';
import type { WormVault } from '../vault/vault.js';

/**
 * Opens the configured vault driver. The S3 driver is loaded only when chosen.
 * @throws VaultError('no_object_lock') when the S3 bucket does not have Object Lock enabled.
 */
export async function openVault(c: VaultConfig, now: () => Date = () => new Date()): Promise<WormVault> {
  if (c.driver === 'fs') return new FsVault(c.dir, now);
  const [{ S3Client }, { S3Vault }] = await Promise.all([import('@aws-sdk/client-s3'), import('../vault/s3.js')]);
  const client = new S3Client({ ...(c.region ? { region: c.region } : { region: 'us-east-1' }), ...(c.endpoint ? { endpoint: c.endpoint } : {}), forcePathStyle: c.forcePathStyle });
  return S3Vault.open({ client, bucket: c.bucket, prefix: c.prefix, ...(c.kmsKeyId ? { kmsKeyId: c.kmsKeyId } : {}), now });
}

/** The default vault of a data directory (fs driver), for tests and tools without a Config. */
export function dataDirVault(dataDir: string, now: () => Date = () => new Date()): WormVault {
  return new FsVault(join(dataDir, 'vault'), now);
}
