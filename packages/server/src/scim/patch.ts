/**
 * SCIM PATCH (RFC 7644 §3.5.2) applied to a resource's JSON representation. The service
 * renders the stored resource, applies the operations here, and saves the result the same way
 * a PUT would, so PATCH and PUT share one validation path.
 */
import { FilterError, matches, parsePatchPath, type Filter, type PatchPath } from './filter.js';
import { ScimError } from './errors.js';
import { attributeTraits, coreSchemaOf } from './schema.js';

type Obj = Record<string, unknown>;
export interface PatchOperation {
  op: string;
  path?: string | undefined;
  value?: unknown;
}

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** The existing key matching `name` case-insensitively, or `name` itself. */
function keyOf(o: Obj, name: string): string {
  const l = name.toLowerCase();
  return Object.keys(o).find((k) => k.toLowerCase() === l) ?? name;
}

/** The object a path's attribute lives in: the resource, or its extension (created on write). */
function container(res: Obj, p: PatchPath, create: boolean): Obj | undefined {
  const urn = p.path.urn;
  const core = Array.isArray(res.schemas) ? String(res.schemas[0] ?? '') : '';
  if (!urn || urn.toLowerCase() === core.toLowerCase()) return res;
  const k = keyOf(res, urn);
  if (!isObj(res[k])) {
    if (!create) return undefined;
    res[k] = {};
    if (Array.isArray(res.schemas) && !res.schemas.includes(k)) res.schemas.push(k);
  }
  return res[k] as Obj;
}

/** Values for multi-valued adds: elements equal by `value` are not added twice. */
function mergeMulti(existing: unknown[], add: unknown[]): unknown[] {
  const out = [...existing];
  for (const v of add) {
    const dup = out.some((e) => JSON.stringify(e) === JSON.stringify(v) || (isObj(e) && isObj(v) && e.value !== undefined && e.value === v.value));
    if (!dup) out.push(v);
  }
  return out;
}

/** `type eq "work" and primary eq true` → { type: 'work', primary: true }, to create a missing element. */
function seedFrom(f: Filter): Obj | undefined {
  if (f.op === 'eq' && !f.path.urn && !f.path.sub) return { [f.path.attr]: f.value };
  if (f.op === 'and') {
    const a = seedFrom(f.left);
    const b = seedFrom(f.right);
    return a && b ? { ...a, ...b } : undefined;
  }
  return undefined;
}

function applyOne(res: Obj, opName: 'add' | 'replace' | 'remove', p: PatchPath, value: unknown): void {
  const c = container(res, p, opName !== 'remove');
  if (!c) return;
  const k = keyOf(c, p.path.attr);
  if (p.filter) {
    const arr = Array.isArray(c[k]) ? (c[k] as unknown[]) : [];
    const hit = arr.filter((el) => matches(el, p.filter!));
    if (opName === 'remove') {
      if (p.sub) {
        for (const el of hit) if (isObj(el)) delete el[keyOf(el, p.sub)];
      } else {
        c[k] = arr.filter((el) => !hit.includes(el));
      }
      return;
    }
    if (hit.length === 0) {
      // Identity providers (Entra ID) send `emails[type eq "work"].value` to set a value that is
      // not there yet; create the element the filter describes.
      const seed = seedFrom(p.filter);
      if (!seed) throw new ScimError(400, 'No value matches the path filter.', 'noTarget');
      const el = p.sub ? { ...seed, [p.sub]: value } : { ...seed, ...(isObj(value) ? value : {}) };
      c[k] = [...arr, el];
      return;
    }
    for (const el of hit) {
      if (!isObj(el)) continue;
      if (p.sub) el[keyOf(el, p.sub)] = value;
      else if (isObj(value)) {
        if (opName === 'replace') for (const key of Object.keys(el)) if (!(key in value)) delete el[key];
        Object.assign(el, value);
      } else throw new ScimError(400, 'A filtered path needs an object value.', 'invalidValue');
    }
    return;
  }
  if (p.path.sub) {
    const parent = c[k];
    if (opName === 'remove') {
      if (isObj(parent)) delete parent[keyOf(parent, p.path.sub)];
      else if (Array.isArray(parent)) for (const el of parent) if (isObj(el)) delete el[keyOf(el, p.path.sub)];
      return;
    }
    if (Array.isArray(parent)) {
      for (const el of parent) if (isObj(el)) el[keyOf(el, p.path.sub)] = value;
      return;
    }
    const obj = isObj(parent) ? parent : (c[k] = {} as Obj);
    obj[keyOf(obj, p.path.sub)] = value;
    return;
  }
  if (opName === 'remove') {
    // Entra ID removes members as `{path: "members", value: [{value: id}]}`: only those go.
    if (Array.isArray(c[k]) && Array.isArray(value) && value.length > 0) {
      const drop = new Set(value.map((v) => (isObj(v) ? String(v.value) : String(v))));
      c[k] = (c[k] as unknown[]).filter((el) => !(isObj(el) && drop.has(String(el.value))));
    } else delete c[k];
    return;
  }
  const cur = c[k];
  if (opName === 'add' && Array.isArray(cur)) c[k] = mergeMulti(cur, Array.isArray(value) ? value : [value]);
  // RFC 7644 §3.5.2.1 and §3.5.2.3: adding or replacing a singular complex attribute sets the
  // sub-attributes given and leaves the others as they are (replacing `name` with only
  // `givenName` keeps `familyName`).
  else if ((opName === 'add' || opName === 'replace') && isObj(cur) && isObj(value)) Object.assign(cur, value);
  else c[k] = value;
}

/**
 * RFC 7644 §3.5.2: read-only attributes (`id`, `meta`, `schemas`, and those the schema marks
 * readOnly, such as a User's `groups`) cannot be changed by a PATCH: 400 `mutability`. Returns
 * false for an operation that only restates the current value (skip it), true to apply.
 */
function checkMutable(res: Obj, p: PatchPath, opName: string, value: unknown): boolean {
  const urn = p.path.urn ?? coreSchemaOf(res);
  const t = attributeTraits(urn, p.path.attr);
  const sub = p.sub ?? p.path.sub;
  const st = sub !== undefined ? attributeTraits(urn, p.path.attr, sub) : undefined;
  if (t?.mutability === 'readOnly' || st?.mutability === 'readOnly') {
    // Okta renames a group with `replace` and a value holding the group's own `id`: stating a
    // read-only value as it is changes nothing, so that part is skipped, not refused.
    if (opName !== 'remove' && !p.filter && sub === undefined && sameValue(res[keyOf(res, p.path.attr)], value)) return false;
    const name = `${p.path.attr}${sub ? '.' + sub : ''}`;
    throw new ScimError(400, `${name} is read-only and cannot be changed by PATCH.`, 'mutability');
  }
  return true;
}

/** Equal as JSON, strings compared case-insensitively (ids are UUIDs in any case). */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

/** Multi-valued attributes (core and extension) whose elements may carry `primary`. */
function multiValued(res: Obj): Array<[Obj, string]> {
  const out: Array<[Obj, string]> = [];
  for (const holder of [res, ...Object.values(res).filter(isObj)]) {
    for (const [k, v] of Object.entries(holder)) if (Array.isArray(v) && v.some(isObj)) out.push([holder, k]);
  }
  return out;
}

/**
 * RFC 7643 §2.4: `primary: true` appears at most once per attribute. RFC 7644 §3.5.2: an
 * operation that makes a value primary makes the others non-primary. `before` holds the
 * primary elements (as JSON) before the operation; the ones that were primary already lose it
 * to the new one. Two new primaries in one operation are refused (400 invalidValue).
 */
function settlePrimaries(res: Obj, before: Map<string, Set<string>>): void {
  for (const [holder, k] of multiValued(res)) {
    const arr = holder[k] as unknown[];
    const prim = arr.filter((e): e is Obj => isObj(e) && e.primary === true);
    if (prim.length < 2) continue;
    const old = before.get(k.toLowerCase()) ?? new Set<string>();
    const fresh = prim.filter((e) => !old.has(JSON.stringify(e)));
    if (fresh.length > 1) throw new ScimError(400, `At most one value of ${k} may be primary.`, 'invalidValue');
    // No new primary: the stored state already had several (written before this rule); the
    // first stays primary, so an unrelated PATCH (deactivation above all) still goes through.
    const keep = fresh[0] ?? prim[0];
    for (const e of prim) if (e !== keep) e.primary = false;
  }
}

function primariesOf(res: Obj): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const [holder, k] of multiValued(res)) {
    const set = new Set<string>();
    for (const e of holder[k] as unknown[]) if (isObj(e) && e.primary === true) set.add(JSON.stringify(e));
    m.set(k.toLowerCase(), set);
  }
  return m;
}

/** Applies `ops` to a copy of `resource`; throws ScimError on a malformed operation. */
export function applyPatch(resource: Obj, ops: PatchOperation[]): Obj {
  const res = structuredClone(resource);
  const one = (opName: 'add' | 'replace' | 'remove', p: PatchPath, v: unknown) => {
    if (checkMutable(res, p, opName, v)) applyOne(res, opName, p, v);
  };
  for (const o of ops) {
    const opName = String(o.op ?? '').toLowerCase();
    if (opName !== 'add' && opName !== 'replace' && opName !== 'remove') throw new ScimError(400, `"${o.op}" is not a PATCH operation.`, 'invalidSyntax');
    if (o.path !== undefined && typeof o.path !== 'string') throw new ScimError(400, 'path must be a string.', 'invalidPath');
    const before = primariesOf(res);
    if (o.path === undefined || o.path === '') {
      if (opName === 'remove') throw new ScimError(400, 'A remove operation needs a path.', 'noTarget');
      if (!isObj(o.value)) throw new ScimError(400, 'An operation without a path needs an object value.', 'invalidValue');
      // Each key is itself a path (Entra ID sends `name.givenName` and URN-qualified keys here).
      for (const [key, v] of Object.entries(o.value)) {
        if (isObj(v) && /^urn:.*:(User|Group)$/i.test(key)) {
          // The extension object itself: merge its attributes one by one.
          for (const [sub, sv] of Object.entries(v)) one(opName, parse(`${key}:${sub}`), sv);
        } else one(opName, parse(key), v);
      }
    } else one(opName, parse(o.path), o.value);
    settlePrimaries(res, before);
  }
  return res;
}

function parse(path: string): PatchPath {
  try {
    return parsePatchPath(path);
  } catch (e) {
    if (e instanceof FilterError) throw new ScimError(400, e.message, 'invalidPath');
    throw e;
  }
}
