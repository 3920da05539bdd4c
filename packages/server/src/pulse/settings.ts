/**
 * The tenant's Pulse settings (PULSE-ACCESS, PULSE-POLICY): the agent-facing policy
 * (categories, rules), the purpose list with the (role, level, period) grants each purpose
 * carries, k, retention and work hours; and the tenant's policy-signing key, with which the
 * policy is served to agents as a DSSE envelope.
 */
import { canonicalJsonBytes, dsse, envelope, type DsseEnvelope, type KeyProvider, type PulsePolicy } from '@parapet/core';
import { pulseBatch } from '@parapet/core';
import type { Queryable } from '@parapet/db';
import { registerSealedColumn } from '../platform/sealed.js';
import type { BudgetPeriod } from './budget.js';

/** Who a purpose grant is for: the person themselves, a manager over their chain, a category delegate. */
export const GRANT_ROLES = ['employee', 'manager', 'delegate'] as const;
export type GrantRole = (typeof GRANT_ROLES)[number];
/** person: one person's rows; team: a manager's reporting chain as one aggregate; org: the whole tenant. */
export const LEVELS = ['person', 'team', 'org'] as const;
export type Level = (typeof LEVELS)[number];
/** day: one cell per UTC day; week: one cell per ISO week (Monday to Sunday, UTC). */
export const PERIODS = ['day', 'week'] as const;
export type Period = (typeof PERIODS)[number];

export interface PurposeGrant {
  role: GrantRole;
  level: Level;
  period: Period;
}
/** One purpose a reader may name; `key` is what requests and audit entries carry. */
export interface Purpose {
  key: string;
  name: string;
  grants: PurposeGrant[];
}

export interface PulseSettings {
  policy: Omit<PulsePolicy, 'schema' | 'tenant' | 'version'>;
  policyVersion: number;
  purposes: Purpose[];
  /** k-anonymity threshold, >= 3. */
  kMin: number;
  detailRetentionDays: number;
  rollupRetentionDays: number;
  /** UTC hours [start, end) on ISO weekdays (1 = Monday). */
  workStartHour: number;
  workEndHour: number;
  workDays: number[];
  /** Differential privacy on org-level figures: ε per released cell, null = off (pulse/dp.ts). */
  dpEpsilon: number | null;
  /** The tenant's secret for drawing DP noise (never served). */
  dpKey: Uint8Array;
  /** ε each viewer may spend on noisy answers per {@link dpBudgetPeriod} (pulse/budget.ts). */
  dpBudget: number;
  dpBudgetPeriod: BudgetPeriod;
  updatedAt: string;
}

export const DEFAULT_CATEGORIES: Array<{ key: string; name: string }> = [
  { key: 'uncategorized', name: 'Uncategorized' },
  { key: 'development', name: 'Development' },
  { key: 'communication', name: 'Communication' },
  { key: 'meetings', name: 'Meetings' },
  { key: 'documents', name: 'Documents' },
  { key: 'design', name: 'Design' },
  { key: 'browsing', name: 'Browsing' },
  { key: 'hr_tools', name: 'HR tools' },
];

const g = (role: GrantRole, levels: Level[], periods: Period[]): PurposeGrant[] => levels.flatMap((level) => periods.map((period) => ({ role, level, period })));

/**
 * The purposes a new tenant starts with. People-level data for managers only under
 * `security_investigation`; capacity planning and wellbeing give aggregates.
 */
export const DEFAULT_PURPOSES: Purpose[] = [
  { key: 'my_data', name: 'My own data', grants: g('employee', ['person'], ['day', 'week']) },
  { key: 'capacity_planning', name: 'Capacity planning', grants: [...g('manager', ['team', 'org'], ['week']), ...g('delegate', ['org'], ['week'])] },
  { key: 'wellbeing', name: 'Wellbeing', grants: g('manager', ['team'], ['day', 'week']) },
  { key: 'tool_adoption', name: 'Tool adoption', grants: g('delegate', ['team', 'org'], ['day', 'week']) },
  { key: 'security_investigation', name: 'Security investigation', grants: [...g('manager', ['person', 'team'], ['day', 'week']), ...g('delegate', ['person'], ['day'])] },
];

export const DEFAULT_POLICY: PulseSettings['policy'] = {
  categories: DEFAULT_CATEGORIES,
  rules: [
    { category: 'development', app: 'code' },
    { category: 'development', app: 'jetbrains-idea' },
    { category: 'communication', app: 'slack' },
    { category: 'meetings', app: 'zoom' },
    { category: 'documents', app: 'libreoffice' },
    { category: 'design', app: 'figma' },
    { category: 'browsing', domain: '.*' },
  ],
  idle_timeout_seconds: 180,
  allow_local_categories: false,
  scrub_names: [],
};

interface SettingsRow {
  policy: PulseSettings['policy'];
  policy_version: number;
  purposes: Purpose[];
  k_min: number;
  detail_retention_days: number;
  rollup_retention_days: number;
  work_start_hour: number;
  work_end_hour: number;
  work_days: number[];
  dp_epsilon: number | null;
  dp_key: Uint8Array;
  dp_budget: number;
  dp_budget_period: BudgetPeriod;
  updated_at: Date;
}

/** The settings columns, qualified by `alias`, for a query that reads them next to others. */
export const SETTINGS_COLUMNS = (alias: string) =>
  ['policy', 'policy_version', 'purposes', 'k_min', 'detail_retention_days', 'rollup_retention_days', 'work_start_hour', 'work_end_hour', 'work_days', 'dp_epsilon', 'dp_key', 'dp_budget', 'dp_budget_period', 'updated_at'].map((c) => `${alias}.${c}`).join(', ');

/** Settings from a row of {@link SETTINGS_COLUMNS}; undefined when the tenant has none yet (policy is null). */
export function settingsOfRow(r: object): PulseSettings | undefined {
  return (r as Partial<SettingsRow>).policy ? fromRow(r as SettingsRow) : undefined;
}

function fromRow(r: SettingsRow): PulseSettings {
  return {
    policy: r.policy,
    policyVersion: r.policy_version,
    purposes: r.purposes,
    kMin: r.k_min,
    detailRetentionDays: r.detail_retention_days,
    rollupRetentionDays: r.rollup_retention_days,
    workStartHour: r.work_start_hour,
    workEndHour: r.work_end_hour,
    workDays: r.work_days,
    dpEpsilon: r.dp_epsilon === null ? null : Number(r.dp_epsilon),
    dpKey: new Uint8Array(r.dp_key),
    dpBudget: Number(r.dp_budget),
    dpBudgetPeriod: r.dp_budget_period,
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

/** The tenant's settings, creating the defaults on first use. `q` is a tenant transaction. */
export async function loadSettings(q: Queryable, tenantId: string): Promise<PulseSettings> {
  const sel = `SELECT ${SETTINGS_COLUMNS('pulse_settings')} FROM pulse_settings`;
  let { rows } = await q.query<SettingsRow>(sel);
  if (!rows[0]) {
    await q.query(`INSERT INTO pulse_settings (tenant_id, policy, purposes) VALUES ($1, $2, $3) ON CONFLICT (tenant_id) DO NOTHING`, [tenantId, JSON.stringify(DEFAULT_POLICY), JSON.stringify(DEFAULT_PURPOSES)]);
    ({ rows } = await q.query<SettingsRow>(sel));
  }
  return fromRow(rows[0]!);
}

/** The policy as agents receive it (PulsePolicy, packages/core/src/pulse/batch.ts). */
export function agentPolicy(tenantId: string, s: PulseSettings): PulsePolicy {
  return { schema: 'parapet.pulse.policy/v1', tenant: tenantId, version: s.policyVersion, ...s.policy };
}

/** The category keys a batch may use: the policy's, plus `uncategorized`. */
export function categoryKeys(s: PulseSettings): Set<string> {
  return new Set(['uncategorized', ...s.policy.categories.map((c) => c.key)]);
}

export interface PolicyKey {
  keyId: string;
  publicKeyPem: string;
  privateKeyPem: string;
}

const keyBinding = (tenantId: string, keyId: string) => ({ tenantId, record: `pulse_policy_key/${keyId}` });
registerSealedColumn({ table: 'pulse_policy_keys', column: 'private_key_sealed', keyColumns: ['key_id'], record: (r) => `pulse_policy_key/${String(r.key_id)}` });

/**
 * The tenant's policy-signing key (Ed25519), made and stored sealed on first use. The settings
 * row is locked first so two first uses do not make two keys.
 */
export async function policyKey(q: Queryable, keys: KeyProvider, tenantId: string): Promise<{ key: PolicyKey; created: boolean }> {
  await q.query(`SELECT 1 FROM pulse_settings FOR UPDATE`);
  const { rows } = await q.query<{ key_id: string; public_key_pem: string; private_key_sealed: string }>(
    `SELECT key_id, public_key_pem, private_key_sealed FROM pulse_policy_keys ORDER BY created_at DESC, id LIMIT 1`,
  );
  if (rows[0]) {
    const pem = (await envelope.open(keys, rows[0].private_key_sealed, keyBinding(tenantId, rows[0].key_id))).toString('utf8');
    return { key: { keyId: rows[0].key_id, publicKeyPem: rows[0].public_key_pem, privateKeyPem: pem }, created: false };
  }
  const { privateKeyPem, publicKeyPem } = dsse.generateEd25519();
  const keyId = dsse.keyId(publicKeyPem);
  const sealed = await envelope.seal(keys, privateKeyPem, keyBinding(tenantId, keyId));
  await q.query(`INSERT INTO pulse_policy_keys (tenant_id, key_id, public_key_pem, private_key_sealed) VALUES ($1, $2, $3, $4)`, [tenantId, keyId, publicKeyPem, sealed]);
  return { key: { keyId, publicKeyPem, privateKeyPem }, created: true };
}

/** The policy as a DSSE envelope (payload type PULSE_POLICY_PAYLOAD_TYPE) over its canonical JSON. */
export function signPolicy(policy: PulsePolicy, key: PolicyKey): DsseEnvelope {
  return dsse.signEnvelope(pulseBatch.PULSE_POLICY_PAYLOAD_TYPE, canonicalJsonBytes(policy), key.privateKeyPem);
}

/** The grants of the named purpose, or undefined when the tenant has no such purpose. */
export function purposeOf(s: PulseSettings, key: string): Purpose | undefined {
  return s.purposes.find((p) => p.key === key);
}
