/**
 * Key rotation for the CLI and jobs: the platform walk (platform/sealed.ts) plus one audit
 * entry per tenant whose values moved (`crypto.keys.rewrapped`).
 */
import type { KeyProvider } from '@parapet/core';
import type { Database } from '@parapet/db';
import { recordAudit } from '../platform/audit.js';
import { rewrapAll as platformRewrap, type RewrapReport } from '../platform/sealed.js';
import type { WormVault } from '../vault/vault.js';
import './audit-events.js'; // this domain's audit events (platform/audit.ts)

export {
  registerSealedColumn, registerSealedColumn as registerEncryptedColumn, sealedColumns, sealedColumns as encryptedColumns, keyUsage, discoverSealedColumns,
  UnregisteredSealedColumnError, type SealedColumn, type SealedColumn as EncryptedColumn, type RewrapReport, type KeyUsage,
} from '../platform/sealed.js';

/**
 * Re-wraps every sealed value (registered columns and, given a vault, vault objects) under the
 * active key and audits the count per tenant. See platform/sealed.ts `rewrapAll`.
 */
export async function rewrapAll(db: Database, keys: KeyProvider, o: { vault?: WormVault | undefined; batch?: number } | number = {}): Promise<RewrapReport> {
  const opts = typeof o === 'number' ? { batch: o } : o;
  const active = keys.activeKeyId();
  return platformRewrap(db, keys, {
    ...opts,
    onTenant: (tenantId, count) =>
      db.tx({ tenantId, actor: 'system:key-rotation' }, (q) =>
        recordAudit(q, tenantId, { type: 'system', id: 'key-rotation' }, { action: 'crypto.keys.rewrapped', outcome: 'success', details: { count, active_key: active } }),
      ),
  });
}
