/**
 * SCIM filter expressions (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2): a tokenizer, a
 * recursive-descent parser (precedence: not > and > or) and an evaluator over SCIM JSON.
 * Pure code; errors are FilterError, which routes turn into SCIM `invalidFilter`/`invalidPath`.
 * Comparison follows each attribute's schema (RFC 7644 §3.4.2.2): strings compare case-exactly
 * only where the schema says `caseExact`, and dateTimes compare chronologically.
 */
import { attributeTraits, coreSchemaOf, type AttrTraits } from './schema.js';

export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'lt' | 'ge' | 'le';
export type Value = string | number | boolean | null;

/** An attribute path: optional schema URN, attribute, optional sub-attribute. */
export interface AttrPath {
  urn?: string | undefined;
  attr: string;
  sub?: string | undefined;
}

export type Filter =
  | { op: 'and' | 'or'; left: Filter; right: Filter }
  | { op: 'not'; filter: Filter }
  | { op: 'pr'; path: AttrPath }
  | { op: CompareOp; path: AttrPath; value: Value }
  | { op: 'valuePath'; path: AttrPath; filter: Filter };

/** A PATCH path: attribute, optionally narrowed by a value filter, optionally a sub-attribute. */
export interface PatchPath {
  path: AttrPath;
  filter?: Filter | undefined;
  /** Sub-attribute after a value filter: `emails[type eq "work"].value`. */
  sub?: string | undefined;
}

export class FilterError extends Error {
  override name = 'FilterError';
}

const COMPARE = new Set<string>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le']);
const MAX_LENGTH = 4096;
const MAX_DEPTH = 32;

type Tok = { t: '(' | ')' | '[' | ']' } | { t: 'word'; v: string } | { t: 'str'; v: string };

function tokenize(src: string): Tok[] {
  if (src.length > MAX_LENGTH) throw new FilterError(`The filter is longer than ${MAX_LENGTH} characters.`);
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')' || c === '[' || c === ']') {
      out.push({ t: c });
      i++;
    } else if (c === '"') {
      // A JSON string literal (RFC 7644 says compValue strings are JSON strings).
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new FilterError('A string in the filter is not closed.');
      try {
        out.push({ t: 'str', v: JSON.parse(src.slice(i, j + 1)) as string });
      } catch {
        throw new FilterError('A string in the filter is not valid JSON.');
      }
      i = j + 1;
    } else {
      let j = i;
      while (j < src.length && !' \t\n\r()[]"'.includes(src[j]!)) j++;
      out.push({ t: 'word', v: src.slice(i, j) });
      i = j;
    }
  }
  return out;
}

const ATTR = /^[A-Za-z][\w$-]*$/;

/** Parses `[urn:...:]attr[.sub]`. The URN ends at the last colon. */
export function parseAttrPath(s: string): AttrPath {
  let urn: string | undefined;
  let rest = s;
  if (/^urn:/i.test(s)) {
    const colon = s.lastIndexOf(':');
    urn = s.slice(0, colon);
    rest = s.slice(colon + 1);
  }
  const dot = rest.indexOf('.');
  const attr = dot < 0 ? rest : rest.slice(0, dot);
  const sub = dot < 0 ? undefined : rest.slice(dot + 1);
  if (!ATTR.test(attr) || (sub !== undefined && !ATTR.test(sub))) throw new FilterError(`"${s}" is not an attribute path.`);
  return { ...(urn ? { urn } : {}), attr, ...(sub !== undefined ? { sub } : {}) };
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  done(): boolean {
    return this.i >= this.toks.length;
  }
  private peek(): Tok | undefined {
    return this.toks[this.i];
  }
  private next(): Tok {
    const t = this.toks[this.i++];
    if (!t) throw new FilterError('The filter ends too early.');
    return t;
  }
  private isWord(w: string): boolean {
    const t = this.peek();
    return t?.t === 'word' && t.v.toLowerCase() === w;
  }
  private expect(t: '(' | ')' | '[' | ']'): void {
    const got = this.next();
    if (got.t !== t) throw new FilterError(`Expected "${t}" in the filter.`);
  }

  or(depth: number): Filter {
    if (depth > MAX_DEPTH) throw new FilterError('The filter is nested too deeply.');
    let left = this.and(depth);
    while (this.isWord('or')) {
      this.i++;
      left = { op: 'or', left, right: this.and(depth) };
    }
    return left;
  }
  private and(depth: number): Filter {
    let left = this.unary(depth);
    while (this.isWord('and')) {
      this.i++;
      left = { op: 'and', left, right: this.unary(depth) };
    }
    return left;
  }
  private unary(depth: number): Filter {
    if (this.isWord('not')) {
      this.i++;
      this.expect('(');
      const f = this.or(depth + 1);
      this.expect(')');
      return { op: 'not', filter: f };
    }
    const t = this.peek();
    if (t?.t === '(') {
      this.i++;
      const f = this.or(depth + 1);
      this.expect(')');
      return f;
    }
    const w = this.next();
    if (w.t !== 'word') throw new FilterError('Expected an attribute name in the filter.');
    const path = parseAttrPath(w.v);
    if (this.peek()?.t === '[') {
      if (path.sub) throw new FilterError('A value filter follows an attribute, not a sub-attribute.');
      this.i++;
      const f = this.or(depth + 1);
      this.expect(']');
      return { op: 'valuePath', path, filter: f };
    }
    const opTok = this.next();
    if (opTok.t !== 'word') throw new FilterError('Expected an operator in the filter.');
    const op = opTok.v.toLowerCase();
    if (op === 'pr') return { op: 'pr', path };
    if (!COMPARE.has(op)) throw new FilterError(`"${opTok.v}" is not a filter operator.`);
    return { op: op as CompareOp, path, value: this.value() };
  }
  private value(): Value {
    const t = this.next();
    if (t.t === 'str') return t.v;
    if (t.t !== 'word') throw new FilterError('Expected a value in the filter.');
    if (t.v === 'true') return true;
    if (t.v === 'false') return false;
    if (t.v === 'null') return null;
    if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(t.v)) return Number(t.v);
    throw new FilterError(`"${t.v}" is not a filter value; quote strings.`);
  }
  /** `attrPath` or `attrPath "[" filter "]" ["." sub]`, the whole input. */
  patchPath(): PatchPath {
    const w = this.next();
    if (w.t !== 'word') throw new FilterError('Expected an attribute path.');
    const path = parseAttrPath(w.v);
    if (this.done()) return { path };
    if (path.sub) throw new FilterError('A value filter follows an attribute, not a sub-attribute.');
    this.expect('[');
    const filter = this.or(1);
    this.expect(']');
    if (this.done()) return { path, filter };
    const s = this.next();
    if (s.t !== 'word' || !/^\.[A-Za-z][\w$-]*$/.test(s.v) || !this.done()) throw new FilterError('Only ".subAttribute" may follow a value filter.');
    return { path, filter, sub: s.v.slice(1) };
  }
}

export function parseFilter(src: string): Filter {
  const p = new Parser(tokenize(src));
  const f = p.or(0);
  if (!p.done()) throw new FilterError('The filter has extra text at its end.');
  return f;
}

export function parsePatchPath(src: string): PatchPath {
  return new Parser(tokenize(src)).patchPath();
}

/** Prints a filter in canonical form (fully parenthesised); parse(print(f)) equals f. */
export function printFilter(f: Filter): string {
  const path = (p: AttrPath) => `${p.urn ? p.urn + ':' : ''}${p.attr}${p.sub ? '.' + p.sub : ''}`;
  switch (f.op) {
    case 'and':
    case 'or':
      return `(${printFilter(f.left)} ${f.op} ${printFilter(f.right)})`;
    case 'not':
      return `not (${printFilter(f.filter)})`;
    case 'pr':
      return `${path(f.path)} pr`;
    case 'valuePath':
      return `${path(f.path)}[${printFilter(f.filter)}]`;
    default:
      return `${path(f.path)} ${f.op} ${JSON.stringify(f.value)}`;
  }
}

// ---------------------------------------------------------------------------------------
// Evaluation over SCIM JSON resources.

type Json = unknown;

function getCI(obj: Json, key: string): Json {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const lk = key.toLowerCase();
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lk) return v;
  return undefined;
}

/** The object an attribute path starts from: the resource, or its extension by URN. */
function base(resource: Json, p: AttrPath): Json {
  if (!p.urn) return resource;
  // A URN naming the resource's core schema addresses the resource itself.
  const schemas = (getCI(resource, 'schemas') as string[] | undefined) ?? [];
  const core = schemas[0];
  if (core && core.toLowerCase() === p.urn.toLowerCase()) return resource;
  return getCI(resource, p.urn);
}

const flat = (v: Json): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Values an attribute path denotes (multi-valued attributes flattened). */
function valuesOf(resource: Json, p: AttrPath): Json[] {
  const top = flat(getCI(base(resource, p), p.attr));
  if (!p.sub) return top;
  return top.flatMap((v) => flat(getCI(v, p.sub!)));
}

/** xsd:dateTime as RFC 7643 §2.3.5 uses it: date, time, optional fraction, zone required. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** Milliseconds since the epoch of an xsd:dateTime, or undefined when `s` is not one. */
export function dateTimeMs(s: string): number | undefined {
  if (!DATE_TIME.test(s)) return undefined;
  const ms = Date.parse(s.toUpperCase());
  return Number.isFinite(ms) ? ms : undefined;
}

function compare(op: CompareOp, a: Json, b: Value, t?: AttrTraits): boolean {
  // Complex values compare through their `value` sub-attribute (e.g. `emails co "x"`).
  if (a && typeof a === 'object' && !Array.isArray(a)) a = getCI(a, 'value');
  if (op === 'eq' && b === null) return a === null || a === undefined;
  if (op === 'ne' && b === null) return !(a === null || a === undefined);
  if (a === null || a === undefined || b === null) return op === 'ne';
  if (t?.type === 'dateTime' && typeof b === 'string' && op !== 'co' && op !== 'sw' && op !== 'ew') {
    // Chronological, whatever offset either side is written with (RFC 7644 §3.4.2.2).
    const y = dateTimeMs(b);
    if (y === undefined) throw new FilterError(`"${b}" is not a dateTime (e.g. 2026-11-30T01:09:28Z).`);
    const x = typeof a === 'string' ? dateTimeMs(a) : undefined;
    if (x === undefined) return op === 'ne';
    switch (op) {
      case 'eq': return x === y;
      case 'ne': return x !== y;
      case 'gt': return x > y;
      case 'lt': return x < y;
      case 'ge': return x >= y;
      case 'le': return x <= y;
    }
  }
  if (typeof a === 'string' && typeof b === 'string') {
    // caseExact comes from the attribute's schema; attributes the schema does not define
    // compare case-insensitively, the RFC 7643 §2.2 default.
    const exact = t?.caseExact === true;
    const x = exact ? a : a.toLowerCase();
    const y = exact ? b : b.toLowerCase();
    switch (op) {
      case 'eq': return x === y;
      case 'ne': return x !== y;
      case 'co': return x.includes(y);
      case 'sw': return x.startsWith(y);
      case 'ew': return x.endsWith(y);
      case 'gt': return x > y;
      case 'lt': return x < y;
      case 'ge': return x >= y;
      case 'le': return x <= y;
    }
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') {
    if (op === 'eq') return a === b;
    if (op === 'ne') return a !== b;
    throw new FilterError(`"${op}" does not apply to booleans.`);
  }
  if (typeof a === 'number' && typeof b === 'number') {
    switch (op) {
      case 'eq': return a === b;
      case 'ne': return a !== b;
      case 'gt': return a > b;
      case 'lt': return a < b;
      case 'ge': return a >= b;
      case 'le': return a <= b;
      default: throw new FilterError(`"${op}" does not apply to numbers.`);
    }
  }
  // Values of different types never match (a string filter on a boolean attribute, …).
  return op === 'ne';
}

/**
 * Where a filter is evaluated: the schema its unqualified attributes belong to and, inside a
 * value filter (`emails[type eq "work"]`), the multi-valued attribute whose elements it sees.
 */
export interface FilterScope {
  urn: string;
  parent?: string | undefined;
}

function traitsOf(scope: FilterScope, p: AttrPath): AttrTraits | undefined {
  const urn = p.urn ?? scope.urn;
  if (scope.parent && !p.urn) return attributeTraits(urn, scope.parent, p.attr);
  return attributeTraits(urn, p.attr, p.sub);
}

/**
 * Does `resource` match `f`? Multi-valued attributes match when any value does. `scope`
 * defaults to the resource's own core schema.
 */
export function matches(resource: Json, f: Filter, scope: FilterScope = { urn: coreSchemaOf(resource) }): boolean {
  switch (f.op) {
    case 'and':
      return matches(resource, f.left, scope) && matches(resource, f.right, scope);
    case 'or':
      return matches(resource, f.left, scope) || matches(resource, f.right, scope);
    case 'not':
      return !matches(resource, f.filter, scope);
    case 'pr':
      return valuesOf(resource, f.path).some((v) => v !== null && v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0));
    case 'valuePath': {
      const inner: FilterScope = { urn: f.path.urn ?? scope.urn, parent: f.path.attr };
      return flat(getCI(base(resource, f.path), f.path.attr)).some((el) => matches(el, f.filter, inner));
    }
    default: {
      const t = traitsOf(scope, f.path);
      const vals = valuesOf(resource, f.path);
      if (f.op === 'ne') return vals.length === 0 ? f.value !== null : vals.every((v) => compare('ne', v, f.value, t));
      if (vals.length === 0) return f.op === 'eq' && f.value === null;
      return vals.some((v) => compare(f.op as CompareOp, v, f.value, t));
    }
  }
}
