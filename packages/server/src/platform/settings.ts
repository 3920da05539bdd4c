/**
 * The owner of the tenant settings document (`tenants.settings`, jsonb): the only module that
 * reads or writes it. Each domain declares the settings it keeps there as typed slices
 * ({@link defineSetting} and the helpers below): a key, a parser from the stored JSON value,
 * a default and bounds. Readers get the parsed value or the default, never the JSON; a stored
 * value that is missing, of the wrong type or out of bounds reads as the default (or, for a
 * slice declared with `outOfRange: 'clamp'`, as the nearest bound).
 *
 * Keys are a top-level name (`support_grant_max_hours`) or one level of nesting
 * (`probe.approval_ttl_hours`, stored as `{"probe": {"approval_ttl_hours": …}}`).
 * `test/owners.test.ts` reads the sources and fails when another module touches the document,
 * and checks every declared slice (parser, default within bounds, the expected key list).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Queryable } from '@parapet/db';

/** What values a slice admits; shown to clients next to the value (e.g. organisation settings). */
export type SettingBounds =
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'number'; min: number; max: number }
  | { kind: 'boolean' }
  | { kind: 'list'; maxItems: number };

/** One declared setting: `T` is its parsed type. */
export interface SettingSlice<T> {
  /** `name` or `group.name` (lower-case, digits, underscores). */
  readonly key: string;
  /** The declaring domain (e.g. `auth`, `probe`), for the catalogue. */
  readonly owner: string;
  /** Value when the tenant has set nothing usable. Within `bounds`. */
  readonly default: T;
  readonly bounds: SettingBounds;
  /** The stored JSON value (undefined when absent) to `T`, or undefined when it is not a usable value. */
  readonly parse: (raw: unknown) => T | undefined;
}

const KEY = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)?$/;
const SLICES = new Map<string, SettingSlice<unknown>>();

/**
 * Declares a slice. Throws when the key is malformed or declared twice, when the default does
 * not parse to itself (a default outside the slice's own bounds), or when a key is both a
 * value and a group (`probe` and `probe.x`).
 */
export function defineSetting<T>(s: SettingSlice<T>): SettingSlice<T> {
  if (!KEY.test(s.key)) throw new Error(`Setting key ${JSON.stringify(s.key)} is not name or group.name.`);
  if (SLICES.has(s.key)) throw new Error(`Setting ${s.key} is declared twice.`);
  const group = s.key.split('.')[0]!;
  for (const k of SLICES.keys()) {
    if (k === group || k.split('.')[0] === s.key) throw new Error(`Setting ${s.key} collides with ${k}.`);
  }
  if (!isDeepStrictEqual(s.parse(s.default), s.default)) throw new Error(`The default of setting ${s.key} is not a value it accepts.`);
  SLICES.set(s.key, s as SettingSlice<unknown>);
  return s;
}

/** Every declared slice, in declaration order. */
export function settingSlices(): readonly SettingSlice<unknown>[] {
  return [...SLICES.values()];
}

/**
 * An integer setting within [min, max]. A stored number outside the bounds reads as the
 * default, or as the nearest bound with `outOfRange: 'clamp'`; a non-integer reads as the default.
 */
export function integerSetting(o: { key: string; owner: string; default: number; min: number; max: number; outOfRange?: 'default' | 'clamp' }): SettingSlice<number> {
  return defineSetting<number>({
    key: o.key,
    owner: o.owner,
    default: o.default,
    bounds: { kind: 'integer', min: o.min, max: o.max },
    parse: (raw) => {
      if (typeof raw !== 'number' || !Number.isInteger(raw)) return undefined;
      if (raw >= o.min && raw <= o.max) return raw;
      return o.outOfRange === 'clamp' ? Math.min(o.max, Math.max(o.min, raw)) : undefined;
    },
  });
}

/** A finite number within [min, max]; outside them (or not a number) reads as the default. */
export function numberSetting(o: { key: string; owner: string; default: number; min: number; max: number }): SettingSlice<number> {
  return defineSetting<number>({
    key: o.key,
    owner: o.owner,
    default: o.default,
    bounds: { kind: 'number', min: o.min, max: o.max },
    parse: (raw) => (typeof raw === 'number' && Number.isFinite(raw) && raw >= o.min && raw <= o.max ? raw : undefined),
  });
}

/** A boolean; anything but `true` or `false` reads as the default. */
export function booleanSetting(o: { key: string; owner: string; default: boolean }): SettingSlice<boolean> {
  return defineSetting<boolean>({ key: o.key, owner: o.owner, default: o.default, bounds: { kind: 'boolean' }, parse: (raw) => (typeof raw === 'boolean' ? raw : undefined) });
}

/**
 * A list of at most `maxItems` items. Items `item` does not accept are left out (one bad entry
 * does not void the others); a value that is not an array, or is longer than `maxItems`, reads
 * as the default.
 */
export function listSetting<I>(o: { key: string; owner: string; default: I[]; maxItems: number; item: (x: unknown) => I | undefined }): SettingSlice<I[]> {
  return defineSetting<I[]>({
    key: o.key,
    owner: o.owner,
    default: o.default,
    bounds: { kind: 'list', maxItems: o.maxItems },
    parse: (raw) => {
      if (!Array.isArray(raw) || raw.length > o.maxItems) return undefined;
      return raw.map(o.item).filter((x): x is I => x !== undefined);
    },
  });
}

/** The slice's value from its stored JSON value (undefined when absent): parsed, or the default. */
export function settingFrom<T>(slice: SettingSlice<T>, raw: unknown): T {
  return slice.parse(raw ?? undefined) ?? slice.default;
}

const pathOf = (slice: SettingSlice<unknown>) => slice.key.split('.');

/**
 * SQL for the slice's stored JSON value (jsonb, NULL when absent) of the tenants row `alias`,
 * for a query that reads it beside others (the session lookup); pass the column to
 * {@link settingFrom}. The key is checked at declaration, so it is safe to inline.
 */
export function settingSql(slice: SettingSlice<unknown>, alias: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(alias)) throw new Error(`Bad alias ${alias}.`);
  return `${alias}.settings #> '{${pathOf(slice).join(',')}}'`;
}

/** The tenant row: `tenantId`, or the transaction's tenant (`app.tenant_id`) when omitted. */
const TENANT = `id = COALESCE($1::uuid, NULLIF(current_setting('app.tenant_id', true), '')::uuid)`;

/** Reads one setting of the tenant (the transaction's tenant when `tenantId` is omitted). */
export async function readSetting<T>(q: Queryable, slice: SettingSlice<T>, tenantId?: string): Promise<T> {
  const { rows } = await q.query<{ v: unknown }>(`SELECT settings #> $2::text[] AS v FROM tenants WHERE ${TENANT}`, [tenantId ?? null, pathOf(slice)]);
  return settingFrom(slice, rows[0]?.v);
}

type Values<S extends readonly SettingSlice<unknown>[]> = { -readonly [K in keyof S]: S[K] extends SettingSlice<infer T> ? T : never };

/**
 * Reads several settings of the tenant in one query. With `forUpdate` the tenant row is locked
 * until the transaction ends, so a read-modify-write (before/after in an audit entry) is not
 * interleaved with another change.
 */
export async function readSettings<S extends readonly SettingSlice<unknown>[]>(q: Queryable, slices: S, o: { tenantId?: string; forUpdate?: boolean } = {}): Promise<Values<S>> {
  const { rows } = await q.query<{ settings: Record<string, unknown> }>(`SELECT settings FROM tenants WHERE ${TENANT}${o.forUpdate ? ' FOR UPDATE' : ''}`, [o.tenantId ?? null]);
  const doc = rows[0]?.settings ?? {};
  return slices.map((s) => settingFrom(s, valueAt(doc, pathOf(s)))) as Values<S>;
}

function valueAt(doc: Record<string, unknown>, path: string[]): unknown {
  let v: unknown = doc;
  for (const p of path) v = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

/**
 * Stores one setting of the tenant (the transaction's tenant when `tenantId` is omitted),
 * keeping every other key. The caller has validated `value` and answers bad input with its
 * own problem; a value the slice would not read back as itself is a programming error and
 * throws RangeError (nothing written).
 */
export async function writeSetting<T>(q: Queryable, slice: SettingSlice<T>, value: T, tenantId?: string): Promise<void> {
  if (!isDeepStrictEqual(slice.parse(value), value)) throw new RangeError(`${JSON.stringify(value)} is not a value of setting ${slice.key}.`);
  const { rows } = await q.query<{ id: string; settings: Record<string, unknown> }>(`SELECT id, settings FROM tenants WHERE ${TENANT} FOR UPDATE`, [tenantId ?? null]);
  const row = rows[0];
  if (!row) throw new Error('No tenant in this transaction.');
  const doc = { ...row.settings };
  const [first, second] = pathOf(slice) as [string, string | undefined];
  if (second === undefined) doc[first] = value;
  else {
    const group = doc[first];
    doc[first] = { ...(group && typeof group === 'object' && !Array.isArray(group) ? group : {}), [second]: value };
  }
  await q.query(`UPDATE tenants SET settings = $2::jsonb WHERE id = $1`, [row.id, JSON.stringify(doc)]);
}
