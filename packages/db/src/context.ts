import type { Queryable, TxContext } from './types.js';

/** Settings a transaction context maps to. Names are the contract with the SQL policies. */
export const SETTING = {
  tenantId: 'app.tenant_id',
  actor: 'app.actor',
  purpose: 'app.purpose',
  tenantSlug: 'app.tenant_slug',
  listTenants: 'app.list_tenants',
} as const;

/** Applies the context transaction-locally (is_local = true) in one round trip. */
export async function applyContext(q: Queryable, ctx: TxContext): Promise<void> {
  await q.query(
    `SELECT set_config($1, $2, true), set_config($3, $4, true), set_config($5, $6, true), set_config($7, $8, true), set_config($9, $10, true)`,
    [
      SETTING.tenantId, ctx.tenantId ?? '',
      SETTING.actor, ctx.actor ?? '',
      SETTING.purpose, ctx.purpose ?? '',
      SETTING.tenantSlug, ctx.tenantSlug ?? '',
      SETTING.listTenants, ctx.listTenants ? 'on' : '',
    ],
  );
}

/**
 * The same settings as one SQL statement with the values inlined as literals, for drivers that
 * send it in the same round trip as BEGIN (simple query protocol, no parameters).
 * `literal` must quote a string as a SQL literal (pg's escapeLiteral).
 */
export function contextStatement(ctx: TxContext, literal: (s: string) => string): string {
  const pairs: Array<[string, string]> = [
    [SETTING.tenantId, ctx.tenantId ?? ''],
    [SETTING.actor, ctx.actor ?? ''],
    [SETTING.purpose, ctx.purpose ?? ''],
    [SETTING.tenantSlug, ctx.tenantSlug ?? ''],
    [SETTING.listTenants, ctx.listTenants ? 'on' : ''],
  ];
  return `SELECT ${pairs.map(([k, v]) => `set_config(${literal(k)}, ${literal(v)}, true)`).join(', ')}`;
}
