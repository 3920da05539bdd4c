import { envelope, type KeyProvider } from '@parapet/core';
import type { VaultObjectInfo, WormVault } from './vault.js';

/**
 * Objects are encrypted (CORE-CRYPTO envelope, bound to tenant and key) before any driver
 * sees them, and stored under the tenant's own prefix.
 */
export function tenantKey(tenantId: string, key: string): string {
  return `tenants/${tenantId}/${key}`;
}

export async function putSealed(vault: WormVault, keys: KeyProvider, tenantId: string, key: string, plaintext: Buffer, retainUntil: Date): Promise<VaultObjectInfo> {
  const full = tenantKey(tenantId, key);
  const sealed = await envelope.seal(keys, plaintext, { tenantId, record: `vault/${full}` });
  return vault.put(full, Buffer.from(sealed, 'utf8'), { retainUntil });
}

export async function getSealed(vault: WormVault, keys: KeyProvider, tenantId: string, key: string): Promise<Buffer> {
  const full = tenantKey(tenantId, key);
  return envelope.open(keys, (await vault.get(full)).toString('utf8'), { tenantId, record: `vault/${full}` });
}
