/**
 * Every value sealed under a key-encryption key (KEK), found and re-wrapped in one place
 * (CORE-CRYPTO key rotation).
 *
 * Sealed values live in two kinds of places:
 *  - database columns whose name ends in `_sealed` on tenant tables. They are *discovered*
 *    from the PostgreSQL catalogue, not listed by hand, so a column added by any migration is
 *    counted by `keyUsage` (and so blocks `parapet keys retire`) even before its module
 *    registers how to re-wrap it. A module registers each of its columns with
 *    `registerSealedColumn`, giving the envelope binding (record name) it sealed with;
 *    `rewrapAll` refuses to run while a discovered column has no registration.
 *  - WORM vault objects under `tenants/<tenant id>/`. An object can never be rewritten, so
 *    re-wrapping stores the new wrap of its data key in `vault_object_wraps` (migration 0010);
 *    `openVaultObject` reads the wrap from there when present.
 *
 * Record ciphertext never changes; each update is conditional on the old value (a concurrent
 * write wins) and the walk can be re-run until nothing names the old key.
 */
import { envelope, type KeyProvider } from '@parapet/core';
import type { Database, Queryable } from '@parapet/db';
import type { WormVault } from '../vault/vault.js';

/** How to re-wrap one sealed column; the binding must match the one the module sealed with. */
export interface SealedColumn {
  table: string;
  column: string;
  /** Columns that identify a row within its tenant (besides tenant_id). */
  keyColumns: string[];
  /** The envelope binding's record name for a row, e.g. `mfa_totp/<user id>`. */
  record(row: Record<string, unknown>, tenantId: string): string;
  /**
   * Re-wrap a stored value under the active KEK (default: `envelope.rewrap` on a whole pe1
   * envelope). Returns the value unchanged when it already names the active key.
   */
  rewrap?(keys: KeyProvider, value: string, binding: envelope.Binding): Promise<string>;
}

const COLUMNS = new Map<string, SealedColumn>();
const IDENT = /^[a-z_][a-z0-9_]*$/;

/**
 * Declares how a module's sealed column is re-wrapped. Idempotent per (table, column).
 * @throws Error when a name is not a plain lower-case SQL identifier or the column's name does
 *   not end in `_sealed`.
 */
export function registerSealedColumn(c: SealedColumn): void {
  for (const n of [c.table, c.column, ...c.keyColumns]) if (!IDENT.test(n)) throw new Error(`Bad identifier ${n}.`);
  // The suffix is what lets the catalogue walk find the column without this registry.
  if (!c.column.endsWith('_sealed')) throw new Error(`Sealed column ${c.table}.${c.column} must be named *_sealed.`);
  const id = `${c.table}.${c.column}`;
  if (!COLUMNS.has(id)) COLUMNS.set(id, c);
}

/** Registered sealed columns, in registration order. */
export function sealedColumns(): readonly SealedColumn[] {
  return [...COLUMNS.values()];
}

/** A `*_sealed` column found in the catalogue: `table.column`. */
export interface DiscoveredColumn {
  table: string;
  column: string;
  /** Whether the table has tenant_id (every sealed column must be on a tenant table). */
  tenantScoped: boolean;
}

/** Every column of a public table whose name ends in `_sealed`, from pg_catalog. */
export async function discoverSealedColumns(db: Database): Promise<DiscoveredColumn[]> {
  return db.tx({ actor: 'system:key-rotation' }, async (q) =>
    (
      await q.query<{ table: string; column: string; tenant_scoped: boolean }>(
        `SELECT c.relname AS table, a.attname AS column,
                EXISTS (SELECT 1 FROM pg_attribute t WHERE t.attrelid = c.oid AND t.attname = 'tenant_id' AND NOT t.attisdropped) AS tenant_scoped
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
          WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND a.attname LIKE '%\\_sealed'
          ORDER BY 1, 2`,
      )
    ).rows.map((r) => ({ table: r.table, column: r.column, tenantScoped: r.tenant_scoped })),
  );
}

/** The KEK id named by a stored value: a pe1 envelope or a wrap header (`pe1.<kid>.<wrapped>`). */
export function sealedKeyId(value: string): string {
  const p = value.split('.');
  if (p[0] !== 'pe1' || !p[1]) throw new envelope.DecryptError('Not a pe1 envelope or wrap.');
  return p[1];
}

/** Whether a vault object is sealed (a pe1 envelope) rather than public text such as a signed note. */
function isSealed(body: string): boolean {
  return body.startsWith('pe1.');
}

function splitEnvelope(env: string): { header: string; body: string } {
  const p = env.split('.');
  if (p.length !== 5 || p[0] !== 'pe1') throw new envelope.DecryptError('Not a pe1 envelope.');
  return { header: p.slice(0, 3).join('.'), body: p.slice(3).join('.') };
}

/**
 * Re-wraps a wrap header (`pe1.<kid>.<wrapped data key>`) under the active KEK without the
 * record's ciphertext. Unwrapping authenticates the data key under the binding.
 */
export async function rewrapHeader(keys: KeyProvider, header: string, binding: envelope.Binding): Promise<string> {
  const [v, kid, wrapped] = header.split('.');
  if (v !== 'pe1' || !kid || !wrapped) throw new envelope.DecryptError('Not a pe1 wrap.');
  const active = keys.activeKeyId();
  if (kid === active) return header;
  const aad = envelope.bindingAad(binding);
  const dek = await keys.unwrap(kid, Buffer.from(wrapped, 'base64url'), aad);
  try {
    return ['pe1', active, (await keys.wrap(active, dek, aad)).toString('base64url')].join('.');
  } finally {
    dek.fill(0);
  }
}

registerSealedColumn({ table: 'vault_object_wraps', column: 'wrap_sealed', keyColumns: ['object_key'], record: (r) => `vault/${String(r.object_key)}`, rewrap: rewrapHeader });

/**
 * Opens a sealed vault object (`tenants/<tenant>/<key>`, see vault/sealed.ts), taking its
 * data-key wrap from `vault_object_wraps` when it was re-wrapped.
 * @throws VaultError (not_found, integrity), DecryptError (wrong key or binding).
 */
export async function openVaultObject(q: Queryable, vault: WormVault, keys: KeyProvider, tenantId: string, fullKey: string): Promise<Buffer> {
  const stored = (await vault.get(fullKey)).toString('utf8');
  const { rows } = await q.query<{ wrap_sealed: string }>(`SELECT wrap_sealed FROM vault_object_wraps WHERE object_key = $1`, [fullKey]);
  const env = rows[0] ? `${rows[0].wrap_sealed}.${splitEnvelope(stored).body}` : stored;
  return envelope.open(keys, env, { tenantId, record: `vault/${fullKey}` });
}

export interface RewrapReport {
  /** Values moved to the active KEK by this run. */
  rewrapped: number;
  /** Values that already named the active KEK. */
  current: number;
  /** Sealed values per KEK id after the walk, over every column and vault object. */
  byKey: Record<string, number>;
}

export interface KeyUsage {
  /** Sealed values per KEK id: every discovered `*_sealed` column and every vault object. */
  byKey: Record<string, number>;
  /** Where each KEK id is used: `table.column` or `vault`, with counts. */
  where: Record<string, Record<string, number>>;
  /** Discovered columns no module registered (they cannot be re-wrapped). */
  unregistered: string[];
}

async function listTenantIds(db: Database): Promise<string[]> {
  return db.tx({ listTenants: true, actor: 'system:key-rotation' }, async (q) => (await q.query<{ id: string }>(`SELECT id FROM tenants ORDER BY created_at, id`)).rows.map((r) => r.id));
}

function add(u: KeyUsage, kid: string, where: string, n: number): void {
  u.byKey[kid] = (u.byKey[kid] ?? 0) + n;
  (u.where[kid] ??= {})[where] = (u.where[kid]![where] ?? 0) + n;
}

/**
 * Counts what names each KEK, everywhere: every `*_sealed` column the catalogue has (whether
 * or not a module registered it) in every tenant, and every vault object under `tenants/`
 * (its current wrap). `parapet keys retire` refuses a key with any count here.
 */
export async function keyUsage(db: Database, vault?: WormVault): Promise<KeyUsage> {
  const discovered = await discoverSealedColumns(db);
  const u: KeyUsage = { byKey: {}, where: {}, unregistered: discovered.filter((d) => !COLUMNS.has(`${d.table}.${d.column}`)).map((d) => `${d.table}.${d.column}`) };
  for (const tenantId of await listTenantIds(db)) {
    await db.tx({ tenantId, actor: 'system:key-rotation' }, async (q) => {
      for (const d of discovered) {
        const { rows } = await q.query<{ kid: string; n: number }>(`SELECT split_part(${d.column}, '.', 2) AS kid, count(*)::int AS n FROM ${d.table} WHERE ${d.column} IS NOT NULL GROUP BY 1`);
        for (const r of rows) add(u, r.kid, `${d.table}.${d.column}`, r.n);
      }
      if (vault) {
        const wrapped = new Set((await q.query<{ object_key: string }>(`SELECT object_key FROM vault_object_wraps`)).rows.map((r) => r.object_key));
        for (const key of await vault.list(`tenants/${tenantId}/`)) {
          if (wrapped.has(key)) continue; // counted with vault_object_wraps.wrap_sealed
          const body = (await vault.get(key)).toString('utf8');
          // Public objects (signed checkpoint notes pinned by the audit log) are not sealed and name no key.
          if (!isSealed(body)) continue;
          add(u, sealedKeyId(body), 'vault', 1);
        }
      }
    });
  }
  return u;
}

/** Thrown by `rewrapAll` when a `*_sealed` column has no registration. */
export class UnregisteredSealedColumnError extends Error {
  override name = 'UnregisteredSealedColumnError';
}

/**
 * Moves every sealed value, in every tenant, to the active KEK: every registered column, and
 * every vault object (its new wrap goes to `vault_object_wraps`). Then reports what names each
 * key, counted by `keyUsage`.
 * @throws UnregisteredSealedColumnError when the catalogue has a `*_sealed` column no module
 *   registered (nothing is re-wrapped: the report could not be complete).
 * @throws DecryptError when a value does not open under its binding (the walk stops there).
 */
export async function rewrapAll(db: Database, keys: KeyProvider, o: { vault?: WormVault | undefined; batch?: number; onTenant?: (tenantId: string, rewrapped: number) => Promise<unknown> } = {}): Promise<RewrapReport> {
  const batch = o.batch ?? 200;
  const discovered = await discoverSealedColumns(db);
  const missing = discovered.filter((d) => !COLUMNS.has(`${d.table}.${d.column}`)).map((d) => `${d.table}.${d.column}`);
  if (missing.length) throw new UnregisteredSealedColumnError(`No module registered how to re-wrap ${missing.join(', ')}; nothing was re-wrapped.`);
  const present = new Set(discovered.map((d) => `${d.table}.${d.column}`));
  const report: RewrapReport = { rewrapped: 0, current: 0, byKey: {} };
  const active = keys.activeKeyId();
  for (const tenantId of await listTenantIds(db)) {
    const before = report.rewrapped;
    if (o.vault) {
      const vault = o.vault;
      // Objects whose wrap is still inside the object: record a new wrap for each that names an old key.
      await db.tx({ tenantId, actor: 'system:key-rotation' }, async (q) => {
        const wrapped = new Set((await q.query<{ object_key: string }>(`SELECT object_key FROM vault_object_wraps`)).rows.map((r) => r.object_key));
        for (const key of await vault.list(`tenants/${tenantId}/`)) {
          if (wrapped.has(key)) continue;
          const body = (await vault.get(key)).toString('utf8');
          if (!isSealed(body)) continue; // a public object (a pinned checkpoint note): nothing to re-wrap
          const { header } = splitEnvelope(body);
          if (sealedKeyId(header) === active) {
            report.current++;
            continue;
          }
          const moved = await rewrapHeader(keys, header, { tenantId, record: `vault/${key}` });
          const ins = await q.query(`INSERT INTO vault_object_wraps (tenant_id, object_key, wrap_sealed) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [tenantId, key, moved]);
          if (ins.rowCount === 1) report.rewrapped++;
        }
      });
    }
    for (const c of COLUMNS.values()) {
      if (!present.has(`${c.table}.${c.column}`)) continue; // its migration is not applied here (a test's own table is)
      const keyList = c.keyColumns.join(', ');
      let lastKey: string | null = null;
      for (;;) {
        const rows: Record<string, unknown>[] = await db.tx({ tenantId, actor: 'system:key-rotation' }, async (q) => {
          const page = await q.query<Record<string, unknown>>(
            `SELECT ${keyList}, ${c.column} AS env, (${keyList})::text AS k FROM ${c.table}
              WHERE ${c.column} IS NOT NULL ${lastKey === null ? '' : `AND (${keyList})::text > $1`}
              ORDER BY (${keyList})::text LIMIT ${batch}`,
            lastKey === null ? [] : [lastKey],
          );
          for (const row of page.rows) {
            const env = String(row.env);
            if (sealedKeyId(env) === active) {
              report.current++;
              continue;
            }
            const binding = { tenantId, record: c.record(row, tenantId) };
            const moved = c.rewrap ? await c.rewrap(keys, env, binding) : await envelope.rewrap(keys, env, binding);
            const where = c.keyColumns.map((k, i) => `${k} = $${i + 3}`).join(' AND ');
            const upd = await q.query(`UPDATE ${c.table} SET ${c.column} = $1 WHERE ${c.column} = $2 AND ${where}`, [moved, env, ...c.keyColumns.map((k) => row[k])]);
            if (upd.rowCount === 1) report.rewrapped++;
          }
          return page.rows;
        });
        if (rows.length < batch) break;
        lastKey = String(rows[rows.length - 1]!.k);
      }
    }
    if (o.onTenant && report.rewrapped > before) await o.onTenant(tenantId, report.rewrapped - before);
  }
  report.byKey = (await keyUsage(db, o.vault)).byKey;
  return report;
}
