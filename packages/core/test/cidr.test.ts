import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { ScopeMatcher, parseCidr, parseAddress, formatAddress, AddressError, type Cidr, type SpecialRange } from '../src/probe/cidr.js';

test('examples: one address outside, excluded inside, exclusion wins, IPv6', () => {
  const m = new ScopeMatcher(['10.0.0.0/24', '2001:db8:1::/48'], ['10.0.0.128/28', '10.0.0.0/24'.replace('/24', '/32')], []);
  assert.deepEqual(m.check('10.0.0.1'), { ok: true });
  assert.deepEqual(m.check('10.0.0.255'), { ok: true });
  const out = m.check('10.0.1.0'); // one past the end
  assert.equal(out.ok, false);
  assert.equal(!out.ok && out.rule, 'outside_scope');
  const before = m.check('9.255.255.255');
  assert.equal(!before.ok && before.rule, 'outside_scope');
  const ex = m.check('10.0.0.130');
  assert.equal(!ex.ok && ex.rule, 'excluded');
  assert.equal(!m.check('10.0.0.0').ok, true);
  // A CIDR target is refused at its first offending address.
  const c = m.check('10.0.0.64/26');
  assert.equal(c.ok, true);
  const c2 = m.check('10.0.0.0/25');
  assert.deepEqual(c2.ok ? null : [c2.rule, c2.address], ['excluded', '10.0.0.0']);
  const c3 = m.check('10.0.0.128/25');
  assert.deepEqual(c3.ok ? null : [c3.rule, c3.address], ['excluded', '10.0.0.128']);
  assert.equal(m.check('2001:db8:1:ffff::1').ok, true);
  const v6 = m.check('2001:db8:2::');
  assert.equal(!v6.ok && v6.rule, 'outside_scope');
});

test('IPv4-mapped IPv6 is normalised: it cannot slip past an IPv4 exclude or an IPv6-only scope', () => {
  const m = new ScopeMatcher(['10.0.0.0/8'], ['10.1.0.0/16']);
  assert.equal(m.check('::ffff:10.2.3.4').ok, true);
  assert.equal(m.check('::ffff:a02:304').ok, true);
  const r = m.check('::ffff:10.1.2.3');
  assert.equal(!r.ok && r.rule, 'excluded');
  assert.equal(parseCidr('::ffff:10.0.0.0/104').text, '10.0.0.0/8');
  const v6only = new ScopeMatcher(['::/0'], []);
  const r2 = v6only.check('::ffff:8.8.8.8');
  assert.equal(!r2.ok && r2.rule, 'outside_scope');
});

test('ambiguous address spellings and host bits are refused', () => {
  for (const bad of ['127.1', '0x7f.0.0.1', '010.0.0.1', '2130706433', '10.0.0.256', 'fe80::1%eth0', '10.0.0.5/24', '10.0.0.0/33', '10.0.0.0/08', '::/129', 'example.com', '']) {
    assert.throws(() => parseCidr(bad), AddressError, bad);
  }
  assert.equal(parseAddress('2001:DB8::0:1').text, '2001:db8::1/128');
});

test('special-purpose ranges are refused unless the scope includes them explicitly', () => {
  const wide = new ScopeMatcher(['0.0.0.0/0', '::/0'], []);
  const cases: Array<[string, string]> = [
    ['0.1.2.3', 'this-network'], ['127.0.0.1', 'loopback'], ['169.254.169.254', 'link-local'], ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'], ['255.255.255.255', 'broadcast'], ['240.0.0.1', 'reserved'], ['192.0.2.7', 'documentation'],
    ['::1', 'loopback'], ['::', 'unspecified'], ['fe80::1', 'link-local'], ['ff02::1', 'multicast'], ['::ffff:127.0.0.1', 'loopback'],
  ];
  for (const [a, name] of cases) {
    const r = wide.check(a);
    assert.equal(!r.ok && r.rule, 'special_purpose', a);
    assert.match(!r.ok ? r.detail : '', new RegExp(name), a);
  }
  assert.equal(wide.check('8.8.8.8').ok, true);
  assert.equal(wide.check('10.1.2.3').ok, true); // private space is a normal target
  assert.equal(wide.check('2606:4700::1').ok, true);
  // A CIDR spanning a special range is refused at its first special address.
  const span = wide.check('126.0.0.0/7');
  assert.deepEqual(span.ok ? null : [span.rule, span.address], ['special_purpose', '127.0.0.0']);
  // Explicit includes.
  const explicit = new ScopeMatcher(['127.0.0.0/8', '::1/128', '224.0.0.251/32', '240.0.0.0/4'], []);
  assert.equal(explicit.check('127.0.0.1').ok, true);
  assert.equal(explicit.check('::1').ok, true);
  assert.equal(explicit.check('::ffff:127.0.0.1').ok, true);
  assert.equal(explicit.check('224.0.0.251').ok, true);
  assert.equal(explicit.check('224.0.0.252').ok, false);
  assert.equal(explicit.check('240.1.2.3').ok, true);
  // Broadcast sits inside 240/4 but is its own special range: 240/4 does not name it.
  assert.equal(explicit.check('255.255.255.255').ok, false);
});

// ---- Property tests against a brute-force reference on small ranges ----

/** Reference: per address, straight from the definitions, containment by ipaddr.js match(). */
function reference(include: string[], exclude: string[], special: SpecialRange[], addr: string): boolean {
  const a = ipaddr.process(addr);
  const has = (c: string) => {
    const [n, p] = ipaddr.parseCIDR(c);
    return n.kind() === a.kind() && a.match(n, p);
  };
  const within = (inner: string, outer: string) => {
    const [n1, p1] = ipaddr.parseCIDR(inner);
    const [n2, p2] = ipaddr.parseCIDR(outer);
    return n1.kind() === n2.kind() && p1 >= p2 && n1.match(n2, p2);
  };
  const inc = include.some((i) => has(i) && special.every((s) => !has(s.cidr) || within(i, s.cidr)));
  return inc && !exclude.some(has);
}

function family(base: string, bits: number, hostBits: number) {
  // Networks inside base/(bits-hostBits): `hostBits` variable low bits.
  const baseBytes = ipaddr.parse(base).toByteArray();
  const addrAt = (n: number) => {
    const b = [...baseBytes];
    b[b.length - 1] = n & 0xff;
    return ipaddr.fromByteArray(b).toString();
  };
  const cidr = fc.tuple(fc.integer({ min: bits - hostBits, max: bits }), fc.nat({ max: (1 << hostBits) - 1 })).map(([p, n]) => {
    const size = 1 << (bits - p);
    return `${addrAt(n - (n % size))}/${p}`;
  });
  return { addrAt, cidr };
}

for (const [label, base, bits] of [['IPv4', '10.0.0.0', 32], ['IPv6', 'fd00::', 128]] as const) {
  test(`${label} containment equals the brute-force reference on a /24-sized universe (property)`, () => {
    const f = family(base, bits, 8);
    fc.assert(
      fc.property(
        fc.array(f.cidr, { minLength: 0, maxLength: 4 }),
        fc.array(f.cidr, { maxLength: 4 }),
        fc.array(f.cidr, { maxLength: 3 }),
        f.cidr,
        (include, exclude, specials, target) => {
          const special = specials.map((cidr) => ({ name: 'test', cidr }));
          const m = new ScopeMatcher(include, exclude, special);
          const all: boolean[] = [];
          for (let n = 0; n < 256; n++) {
            const a = f.addrAt(n);
            const want = reference(include, exclude, special, a);
            all.push(want);
            assert.equal(m.check(a).ok, want, `${a} include=${include} exclude=${exclude} special=${specials}`);
          }
          // A CIDR target is allowed iff every address in it is; otherwise the reported
          // address is the first refused one.
          const t = parseCidr(target);
          const lo = Number(t.start & 0xffn);
          const hi = Number(t.end & 0xffn);
          const firstBad = all.slice(lo, hi + 1).indexOf(false);
          const r = m.check(target);
          assert.equal(r.ok, firstBad < 0, target);
          if (!r.ok) assert.equal(r.address, f.addrAt(lo + firstBad));
        },
      ),
      { numRuns: 300 },
    );
  });
}

test('IPv4 and its IPv4-mapped IPv6 spelling always get the same answer (property)', () => {
  const f = family('10.0.0.0', 32, 8);
  fc.assert(
    fc.property(fc.array(f.cidr, { maxLength: 4 }), fc.array(f.cidr, { maxLength: 4 }), fc.nat({ max: 255 }), (include, exclude, n) => {
      const m = new ScopeMatcher(include, exclude);
      const a = f.addrAt(n);
      assert.deepEqual(m.check(`::ffff:${a}`), m.check(a));
    }),
  );
});

// ---- IPv6 ranges that overlap the IPv4-mapped block ::ffff:0:0/96 ----

test('issue example: with include 0.0.0.0/0 + ::/0 and exclude 10.0.0.0/8, IPv6 targets overlapping the mapped block are judged as IPv4', () => {
  const m = new ScopeMatcher(['0.0.0.0/0', '::/0'], ['10.0.0.0/8']);
  for (const t of ['::fffe:0:0/95', '::/64', '::/0', '::ffff:0:0/96', '::ffff:a00:0/120', '0:0:0:0:0:ffff:a00:1', '::ffff:10.0.0.1', '::ffff:127.0.0.1']) {
    const r = m.check(t);
    assert.equal(r.ok, false, t);
  }
  const r = m.check('::fffe:0:0/95');
  assert.match(!r.ok ? r.detail : '', /IPv4-mapped/);
  // The IPv4 meaning is what counts: mapped 10.x is excluded, mapped 127.x is special.
  assert.equal(!m.check('::ffff:10.0.0.1').ok && (m.check('::ffff:10.0.0.1') as { rule: string }).rule, 'excluded');
  assert.equal(!m.check('::ffff:127.0.0.1').ok && (m.check('::ffff:127.0.0.1') as { rule: string }).rule, 'special_purpose');
  // IPv6 ranges clear of the mapped block are unaffected.
  assert.equal(m.check('2606:4700::/32').ok, true);
  assert.equal(m.check('::fffe:0:0/96').ok, true);
  assert.equal(m.check('::1:0:0:0/96').ok, true);
  // An IPv6 include does not allow IPv4: only an IPv4 include does.
  const v6 = new ScopeMatcher(['::/0'], []);
  assert.equal(v6.check('::fffe:0:0/95').ok, false);
  assert.equal(v6.check('::fffe:0:0/96').ok, true);
  // An IPv6 exclude covering mapped addresses excludes their IPv4 meaning.
  const ex6 = new ScopeMatcher(['0.0.0.0/0'], ['::ffff:0:0/95'.replace('ffff', 'fffe')]);
  const r4 = ex6.check('8.8.8.8');
  assert.equal(!r4.ok && r4.rule, 'excluded');
  // IPv6 spellings that reach IPv4 through a translator need an explicit include.
  for (const t of ['64:ff9b::808:808', '64:ff9b:1::1', '::808:808']) assert.equal(!m.check(t).ok && (m.check(t) as { rule: string }).rule, 'special_purpose', t);
});

const MAPPED = 0xffffn << 32n;
const MAPPED_END = MAPPED | 0xffffffffn;
const V6_ANCHORS = [0n, 0xfffen << 32n, MAPPED, MAPPED | 0x0a000000n, MAPPED | 0x7f000001n, MAPPED_END, 1n << 48n, 0x20010db8n << 96n];
const mask = (bits: number, v: bigint, p: number) => v & ~((1n << BigInt(bits - p)) - 1n) & ((1n << BigInt(bits)) - 1n);
const v6Cidr = fc
  .tuple(fc.constantFrom(...V6_ANCHORS), fc.bigInt({ min: -(1n << 40n), max: 1n << 40n }), fc.oneof(fc.integer({ min: 88, max: 128 }), fc.integer({ min: 0, max: 128 })))
  .map(([a, d, p]) => {
    const v = a + d < 0n ? 0n : a + d >= 1n << 128n ? (1n << 128n) - 1n : a + d;
    return `${formatAddress(6, mask(128, v, p))}/${p}`;
  });
const v4Cidr = fc
  .tuple(fc.constantFrom(0n, 0x0a000000n, 0x7f000000n, 0xc0a80000n, 0xffffff00n), fc.bigInt({ min: 0n, max: (1n << 24n) - 1n }), fc.integer({ min: 0, max: 32 }))
  .map(([a, d, p]) => `${formatAddress(4, mask(32, (a + d) & 0xffffffffn, p))}/${p}`);
const anyCidr = fc.oneof(v4Cidr, v6Cidr);

/** Reference from the definitions: one address (IPv6 integer space, IPv4 at ::ffff:x), no special ranges. */
function allowedRef(include: Cidr[], exclude: Cidr[], v: bigint): boolean {
  const inC = (c: Cidr, x: bigint) => x >= c.start && x <= c.end;
  if (v >= MAPPED && v <= MAPPED_END) {
    const x = v - MAPPED;
    return include.some((c) => c.family === 4 && inC(c, x)) && !exclude.some((c) => (c.family === 4 ? inC(c, x) : inC(c, v)));
  }
  return include.some((c) => c.family === 6 && inC(c, v)) && !exclude.some((c) => c.family === 6 && inC(c, v));
}

test('property: any target, IPv4 or IPv6 of any size, is allowed exactly when every address in it is, IPv4-mapped parts judged as IPv4; a refusal names the first refused address', () => {
  fc.assert(
    fc.property(fc.array(anyCidr, { minLength: 1, maxLength: 5 }), fc.array(anyCidr, { maxLength: 4 }), anyCidr, (inc, exc, target) => {
      const m = new ScopeMatcher(inc, exc, []);
      const include = inc.map(parseCidr);
      const exclude = exc.map(parseCidr);
      const t = parseCidr(target);
      // In one integer space: IPv4 x is ::ffff:x.
      const lift = (c: Cidr): [bigint, bigint] => (c.family === 4 ? [c.start + MAPPED, c.end + MAPPED] : [c.start, c.end]);
      const [lo, hi] = lift(t);
      // Allowedness is constant between breakpoints, so checking these is checking every address.
      const points = new Set<bigint>([lo, MAPPED, MAPPED_END + 1n]);
      for (const c of [...include, ...exclude]) {
        const [a, b] = lift(c);
        points.add(a);
        points.add(b + 1n);
      }
      const inside = [...points].filter((p) => p >= lo && p <= hi).sort((a, b) => (a < b ? -1 : 1));
      const firstBad = inside.find((p) => !allowedRef(include, exclude, p));
      const r = m.check(target);
      assert.equal(r.ok, firstBad === undefined, `${target} include=${inc} exclude=${exc}`);
      if (!r.ok) {
        const want = firstBad! >= MAPPED && firstBad! <= MAPPED_END ? formatAddress(4, firstBad! - MAPPED) : formatAddress(6, firstBad!);
        assert.equal(r.address, want, `${target} include=${inc} exclude=${exc}`);
      }
    }),
    { numRuns: 1500 },
  );
});

test('property: a dotted IPv4 that is not four-part decimal is refused inside every IPv6 spelling, as it is alone', () => {
  const octet = fc.integer({ min: 0, max: 255 });
  const odd = fc.oneof(
    octet.map((n) => `0${n}`), // zero-padded (octal to some parsers)
    octet.map((n) => `00${n}`),
    octet.map((n) => `0x${n.toString(16)}`), // hex
    fc.integer({ min: 256, max: 999 }).map(String), // out of range
  );
  const prefixes = ['::ffff:', '::FFFF:', '0:0:0:0:0:ffff:', '0::ffff:', '::', '0:0:0:0:0:0:', '64:ff9b::'];
  fc.assert(
    fc.property(fc.array(octet.map(String), { minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 3 }), odd, fc.constantFrom(...prefixes), fc.constantFrom('', '/128', '/120'), (parts, i, bad, pre, suffix) => {
      const p = [...parts];
      p[i] = bad;
      const v4 = p.join('.');
      assert.throws(() => parseCidr(v4), AddressError, v4);
      assert.throws(() => parseCidr(pre + v4 + suffix), AddressError, pre + v4 + suffix);
      // The same address spelled properly parses.
      assert.doesNotThrow(() => parseCidr(pre + parts.join('.')));
    }),
    { numRuns: 500 },
  );
  for (const bad of ['::ffff:010.0.0.1', '::ffff:10.0.0.01', '::ffff:0x0a.0.0.1', '::FFFF:127.000.000.001', '::10.0.0.010']) assert.throws(() => parseCidr(bad), AddressError, bad);
});
