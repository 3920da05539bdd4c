/**
 * Address containment for Probe scopes (PROBE-SCAN). Parsing is ipaddr.js; containment is
 * interval arithmetic on bigints, so a CIDR target is checked as a whole (every address in
 * it) without enumerating it.
 *
 * Rules:
 *  - IPv4 is four-part decimal only ("127.1", "0x7f.0.0.1", "010.0.0.1" are refused: they
 *    mean different things to different parsers).
 *  - The dotted IPv4 tail of an IPv6 spelling (::ffff:a.b.c.d, ::a.b.c.d) follows the same
 *    rule: "::ffff:010.0.0.1" is refused as "010.0.0.1" is.
 *  - IPv4-mapped IPv6 (::ffff:a.b.c.d, and CIDRs inside ::ffff:0:0/96) is normalised to IPv4
 *    before anything else, so the mapped form can never slip past an IPv4 exclude.
 *  - An IPv6 CIDR that only partly overlaps ::ffff:0:0/96 (e.g. ::fffe:0:0/95, ::/0) is split:
 *    the overlap is judged as the IPv4 addresses it maps to (a dual-stack socket reaches
 *    them), the rest as IPv6. So an IPv6 include never allows an IPv4 address (only an IPv4
 *    include does), and an IPv6 exclude that covers mapped addresses excludes their IPv4.
 *  - An address is allowed when an include contains it and no exclude does (exclusion wins).
 *  - Special-purpose ranges (SPECIAL_RANGES) are refused unless an include that lies inside
 *    the special range names it explicitly: 127.0.0.0/8 allows loopback, 0.0.0.0/0 does not.
 */
import ipaddr from 'ipaddr.js';

export type Family = 4 | 6;

export interface Cidr {
  family: Family;
  /** First and last address as integers. */
  start: bigint;
  end: bigint;
  prefix: number;
  /** Normalised text, e.g. "10.0.0.0/24", "2001:db8::/32". */
  text: string;
}

export class AddressError extends Error {
  override name = 'AddressError';
}

const V4_DECIMAL = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const BITS: Record<Family, number> = { 4: 32, 6: 128 };

function toBig(bytes: number[]): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

export function formatAddress(family: Family, v: bigint): string {
  const n = family === 4 ? 4 : 16;
  const bytes: number[] = [];
  for (let i = n - 1; i >= 0; i--) bytes.push(Number((v >> BigInt(i * 8)) & 0xffn));
  const a = ipaddr.fromByteArray(bytes);
  return a.kind() === 'ipv6' ? (a as ipaddr.IPv6).toRFC5952String() : a.toString();
}

/** ::ffff:0:0/96, the IPv4-mapped block (RFC 4291 §2.5.5.2), as an interval of IPv6 integers. */
const MAPPED_START = 0xffffn << 32n;
const MAPPED_END = MAPPED_START | 0xffffffffn;

function parseIp(s: string): { family: Family; value: bigint; mapped: boolean } {
  const t = s.trim();
  if (V4_DECIMAL.test(t)) return { family: 4, value: toBig(ipaddr.IPv4.parse(t).toByteArray()), mapped: false };
  if (!t.includes(':') || t.includes('%') || !ipaddr.IPv6.isValid(t)) throw new AddressError(`"${s}" is not an IP address.`);
  // An embedded dotted IPv4 tail must be four-part decimal too: parsers disagree on "010".
  if (t.includes('.') && !V4_DECIMAL.test(t.slice(t.lastIndexOf(':') + 1))) {
    throw new AddressError(`"${s}" embeds an IPv4 address that is not four-part decimal without leading zeros.`);
  }
  const a = ipaddr.IPv6.parse(t);
  if (a.isIPv4MappedAddress()) return { family: 4, value: toBig(a.toIPv4Address().toByteArray()), mapped: true };
  return { family: 6, value: toBig(a.toByteArray()), mapped: false };
}

function makeCidr(family: Family, value: bigint, prefix: number): Cidr {
  const bits = BITS[family];
  const host = (1n << BigInt(bits - prefix)) - 1n;
  const start = value & ~host & ((1n << BigInt(bits)) - 1n);
  return { family, start, end: start | host, prefix, text: `${formatAddress(family, start)}/${prefix}` };
}

/** Parses an address as a single-address CIDR (/32 or /128), IPv4-mapped normalised. */
export function parseAddress(s: string): Cidr {
  const ip = parseIp(s);
  return makeCidr(ip.family, ip.value, BITS[ip.family]);
}

/**
 * Parses "addr/prefix" (or a bare address). Host bits must be zero: "10.0.0.5/24" is refused
 * because the author may have meant either the address or the network.
 */
export function parseCidr(s: string): Cidr {
  const slash = s.indexOf('/');
  if (slash < 0) return parseAddress(s);
  const addr = s.slice(0, slash);
  const p = s.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(p)) throw new AddressError(`"${s}" has an invalid prefix length.`);
  let prefix = Number(p);
  const ip = parseIp(addr);
  if (ip.mapped) {
    if (prefix < 96 || prefix > 128) throw new AddressError(`"${s}": an IPv4-mapped CIDR needs a prefix of 96 to 128.`);
    prefix -= 96;
  }
  if (prefix > BITS[ip.family]) throw new AddressError(`"${s}" has an invalid prefix length.`);
  const c = makeCidr(ip.family, ip.value, prefix);
  if (c.start !== ip.value) throw new AddressError(`"${s}" has host bits set; write ${c.text} or the single address.`);
  return c;
}

export function isCidr(s: string): boolean {
  try {
    parseCidr(s);
    return true;
  } catch {
    return false;
  }
}

export interface SpecialRange {
  name: string;
  cidr: string;
}

/**
 * Ranges never probed unless a scope includes them explicitly. Private (RFC 1918, ULA) space
 * is not here: internal networks are a normal scan target. Loopback is here: probing the
 * worker's own host is almost always a mistake, so the scope must say 127.0.0.0/8 or ::1.
 */
export const SPECIAL_RANGES: readonly SpecialRange[] = [
  { name: 'this-network', cidr: '0.0.0.0/8' },
  { name: 'loopback', cidr: '127.0.0.0/8' },
  { name: 'link-local', cidr: '169.254.0.0/16' },
  { name: 'ietf-protocol-assignments', cidr: '192.0.0.0/24' },
  { name: 'documentation', cidr: '192.0.2.0/24' },
  { name: 'benchmarking', cidr: '198.18.0.0/15' },
  { name: 'documentation', cidr: '198.51.100.0/24' },
  { name: 'documentation', cidr: '203.0.113.0/24' },
  { name: 'multicast', cidr: '224.0.0.0/4' },
  { name: 'reserved', cidr: '240.0.0.0/4' },
  { name: 'broadcast', cidr: '255.255.255.255/32' },
  { name: 'unspecified', cidr: '::/128' },
  // IPv6 blocks that embed an IPv4 address a translator may reach (RFC 4291 §2.5.5.1, RFC 6052,
  // RFC 8215): probing them is probing IPv4 by another name, so they need an explicit include.
  { name: 'ipv4-compatible', cidr: '::/96' },
  { name: 'nat64', cidr: '64:ff9b::/96' },
  { name: 'nat64', cidr: '64:ff9b:1::/48' },
  { name: 'loopback', cidr: '::1/128' },
  { name: 'discard', cidr: '100::/64' },
  { name: 'documentation', cidr: '2001:db8::/32' },
  { name: 'link-local', cidr: 'fe80::/10' },
  { name: 'site-local', cidr: 'fec0::/10' },
  { name: 'multicast', cidr: 'ff00::/8' },
];

type Interval = [bigint, bigint];

function union(xs: Interval[]): Interval[] {
  const s = [...xs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Interval[] = [];
  for (const [a, b] of s) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1n) {
      if (b > last[1]) last[1] = b;
    } else out.push([a, b]);
  }
  return out;
}

function subtract(xs: Interval[], cut: Interval[]): Interval[] {
  let cur = union(xs);
  for (const [c0, c1] of union(cut)) {
    const next: Interval[] = [];
    for (const [a, b] of cur) {
      if (b < c0 || a > c1) next.push([a, b]);
      else {
        if (a < c0) next.push([a, c0 - 1n]);
        if (b > c1) next.push([c1 + 1n, b]);
      }
    }
    cur = next;
  }
  return cur;
}

const inside = (x: Cidr, y: Cidr) => x.family === y.family && x.start >= y.start && x.end <= y.end;
const contains = (c: Cidr, f: Family, v: bigint) => c.family === f && v >= c.start && v <= c.end;

export type ContainmentRule = 'outside_scope' | 'excluded' | 'special_purpose';
export type ContainmentResult =
  | { ok: true }
  | { ok: false; rule: ContainmentRule; address: string; detail: string };

export class ScopeMatcher {
  readonly include: Cidr[];
  readonly exclude: Cidr[];
  private readonly special: Array<Cidr & { name: string }>;
  private readonly allowed: Record<Family, Interval[]>;

  constructor(include: string[], exclude: string[], special: readonly SpecialRange[] = SPECIAL_RANGES) {
    this.include = include.map(parseCidr);
    this.exclude = exclude.map(parseCidr);
    this.special = special.map((r) => ({ ...parseCidr(r.cidr), name: r.name }));
    const allowed: Record<Family, Interval[]> = { 4: [], 6: [] };
    for (const f of [4, 6] as const) {
      const parts: Interval[] = [];
      for (const i of this.include.filter((c) => c.family === f)) {
        // An include inside a special range names it explicitly; any other include loses the
        // special ranges it happens to cover.
        const cut = this.special.filter((s) => s.family === f && !inside(i, s)).map((s): Interval => [s.start, s.end]);
        parts.push(...subtract([[i.start, i.end]], cut));
      }
      const excluded = this.exclude.filter((c) => c.family === f).map((c): Interval => [c.start, c.end]);
      if (f === 6) {
        // IPv6 includes never allow the mapped block (only IPv4 includes allow IPv4).
        excluded.push([MAPPED_START, MAPPED_END]);
      } else {
        // IPv6 excludes that cover mapped addresses exclude the IPv4 addresses they map to.
        for (const c of this.exclude) {
          if (c.family === 6 && c.start <= MAPPED_END && c.end >= MAPPED_START) {
            excluded.push([(c.start > MAPPED_START ? c.start : MAPPED_START) - MAPPED_START, (c.end < MAPPED_END ? c.end : MAPPED_END) - MAPPED_START]);
          }
        }
      }
      allowed[f] = subtract(parts, excluded);
    }
    this.allowed = allowed;
  }

  /** Checks an address or CIDR target (text); every address in it must be allowed. */
  check(target: string): ContainmentResult {
    return this.checkCidr(parseCidr(target));
  }

  /**
   * Checks a parsed target; every address in it must be allowed. An IPv6 target overlapping
   * ::ffff:0:0/96 is checked in three parts: below the block, the block as IPv4, above it.
   */
  checkCidr(t: Cidr): ContainmentResult {
    if (t.family === 4 || t.end < MAPPED_START || t.start > MAPPED_END) return this.checkInterval(t.family, t.start, t.end);
    if (t.start < MAPPED_START) {
      const r = this.checkInterval(6, t.start, MAPPED_START - 1n);
      if (!r.ok) return r;
    }
    const r4 = this.checkInterval(4, (t.start > MAPPED_START ? t.start : MAPPED_START) - MAPPED_START, (t.end < MAPPED_END ? t.end : MAPPED_END) - MAPPED_START);
    if (!r4.ok) return { ...r4, detail: `${t.text} contains IPv4-mapped addresses, judged as IPv4: ${r4.detail}` };
    return t.end > MAPPED_END ? this.checkInterval(6, MAPPED_END + 1n, t.end) : { ok: true };
  }

  private checkInterval(f: Family, start: bigint, end: bigint): ContainmentResult {
    let cur = start;
    for (const [a, b] of this.allowed[f]) {
      if (b < cur) continue;
      if (a > cur) break;
      cur = b + 1n;
      if (cur > end) return { ok: true };
    }
    return this.explain(f, cur);
  }

  /** Why one address is not allowed (it is known not to be). */
  private explain(f: Family, v: bigint): ContainmentResult {
    const address = formatAddress(f, v);
    const inc = this.include.filter((c) => contains(c, f, v));
    if (inc.length === 0) return { ok: false, rule: 'outside_scope', address, detail: `${address} is not inside any include CIDR of the scope.` };
    const ex = this.exclude.find((c) => contains(c, f, v) || (f === 4 && contains(c, 6, v + MAPPED_START)));
    if (ex) return { ok: false, rule: 'excluded', address, detail: `${address} is inside the excluded CIDR ${ex.text}.` };
    const sp = this.special.filter((s) => contains(s, f, v)).sort((a, b) => b.prefix - a.prefix)[0];
    const name = sp ? `${sp.name} range ${sp.text}` : 'a special-purpose range';
    return { ok: false, rule: 'special_purpose', address, detail: `${address} is in the ${name}, which the scope does not include explicitly.` };
  }
}
