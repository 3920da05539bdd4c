/**
 * Key rotation without downtime: every column holding envelopes is registered here by its
 * module; `rewrapAll` walks them tenant by tenant and moves each data key to the active KEK.
 * Record ciphertext is untouched, each update is conditional on the old value (a concurrent
 * write wins), and the walk can be re-run until nothing names the old key.
 */
import { envelope, type KeyProvider } from '@parapet/core';
import type { Database } from '@parapet/db';
import { listTenantIds } from '../tenants/service.js';
import { recordAudit } from '../audit/record.js';

export interface EncryptedColumn {
  table: string;
  column: string;
  /** Columns that identify a row within its tenant (besides tenant_id). */
  keyColumns: string[];
  /** The envelope binding's record name for a row (must match how the module sealed it). */
  record(row: Record<string, unknown>): string;
}

const COLUMNS: EncryptedColumn[] = [];
const IDENT = /^[a-z_][a-z0-9_]*$/;

export function registerEncryptedColumn(c: EncryptedColumn): void {
  for (const n of [c.table, c.column, ...c.keyColumns]) if (!IDENT.test(n)) throw new Error(`Bad identifier ${n}.`);
  if (!COLUMNS.some((x) => x.table === c.table && x.column === c.column)) COLUMNS.push(c);
}

export function encryptedColumns(): readonly EncryptedColumn[] {
  return COLUMNS;
}

export interface RewrapReport {
  rewrapped: number;
  current: number;
  /** Envelopes per key id after the walk (what still names an old key). */
  byKey: Record<string, number>;
}

export async function rewrapAll(db: Database, keys: KeyProvider, batch = 200): Promise<RewrapReport> {
  const report: RewrapReport = { rewrapped: 0, current: 0, byKey: {} };
  const active = keys.activeKeyId();
  for (const tenantId of await listTenantIds(db)) {
    const before = report.rewrapped;
    for (const c of COLUMNS) {
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
            const binding = { tenantId, record: c.record(row) };
            if (envelope.envelopeKeyId(env) === active) {
              report.current++;
              continue;
            }
            const moved = await envelope.rewrap(keys, env, binding);
            const where = c.keyColumns.map((k, i) => `${k} = $${i + 3}`).join(' AND ');
            const upd = await q.query(`UPDATE ${c.table} SET ${c.column} = $1 WHERE ${c.column} = $2 AND ${where}`, [moved, env, ...c.keyColumns.map((k) => row[k])]);
            if (upd.rowCount === 1) report.rewrapped++;
          }
          return page.rows;
        });
        if (rows.length < batch) break;
        lastKey = String(rows[rows.length - 1]!.k);
      }
      await db.tx({ tenantId, actor: 'system:key-rotation' }, async (q) => {
        const { rows } = await q.query<{ kid: string; n: number }>(`SELECT split_part(${c.column}, '.', 2) AS kid, count(*)::int AS n FROM ${c.table} WHERE ${c.column} IS NOT NULL GROUP BY 1`);
        for (const r of rows) report.byKey[r.kid] = (report.byKey[r.kid] ?? 0) + r.n;
      });
    }
    if (report.rewrapped > before) {
      await db.tx({ tenantId, actor: 'system:key-rotation' }, (q) =>
        recordAudit(q, tenantId, { type: 'system', id: 'key-rotation' }, { action: 'crypto.keys_rewrapped', outcome: 'success', details: { count: report.rewrapped - before, active_key: active } }),
      );
    }
  }
  return report;
}
