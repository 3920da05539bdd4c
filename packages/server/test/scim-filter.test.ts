import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FilterError, matches, parseFilter, parsePatchPath, printFilter, type Filter } from '../src/scim/filter.js';
import { applyPatch } from '../src/scim/patch.js';
import { ScimError } from '../src/scim/errors.js';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const user = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENT],
  id: '2819c223-7f76-453a-919d-413861904646',
  userName: 'Bjensen@Example.com',
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  active: true,
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@jensen.org', type: 'home' },
  ],
  meta: { lastModified: '2011-05-13T04:42:34Z' },
  [ENT]: { department: 'Tour Operations', employeeNumber: '701984' },
};

test('the filter examples of RFC 7644 §3.4.2.2 parse', () => {
  const examples = [
    'userName eq "bjensen"',
    'name.familyName co "O\'Malley"',
    'userName sw "J"',
    'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"',
    'title pr',
    'meta.lastModified gt "2011-05-13T04:42:34Z"',
    'title pr and userType eq "Employee"',
    'title pr or userType eq "Intern"',
    'schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"',
    'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
    'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
    'userType eq "Employee" and (emails.type eq "work")',
    'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
    'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
  ];
  for (const e of examples) assert.doesNotThrow(() => parseFilter(e), e);
});

test('precedence: and binds tighter than or; not applies to its group', () => {
  assert.deepEqual(parseFilter('a pr or b pr and c pr'), {
    op: 'or',
    left: { op: 'pr', path: { attr: 'a' } },
    right: { op: 'and', left: { op: 'pr', path: { attr: 'b' } }, right: { op: 'pr', path: { attr: 'c' } } },
  });
  assert.equal(parseFilter('NOT (a pr)').op, 'not');
  assert.equal(parseFilter('userName EQ "x"').op, 'eq');
});

test('evaluation: eq is case-insensitive, co/sw on multi-valued, valuePath, enterprise URN, pr, numbers', () => {
  const t = (f: string) => matches(user, parseFilter(f));
  assert.ok(t('userName eq "bjensen@example.com"'));
  assert.ok(!t('userName eq "bjensen"'));
  assert.ok(t('userName sw "bjen"'));
  assert.ok(t('userName ew "EXAMPLE.COM"'));
  assert.ok(t('emails co "jensen.org"'));
  assert.ok(t('emails.value co "jensen.org"'));
  assert.ok(t('emails[type eq "work" and value co "@example.com"]'));
  assert.ok(!t('emails[type eq "home" and value co "@example.com"]'));
  assert.ok(t('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "tour operations"'));
  assert.ok(t('urn:ietf:params:scim:schemas:core:2.0:User:userName sw "B"'));
  assert.ok(t('name.givenName pr and not (title pr)'));
  assert.ok(t('active eq true'));
  assert.ok(!t('active eq false'));
  assert.ok(t('meta.lastModified gt "2011-01-01T00:00:00Z"'));
  assert.ok(t('title eq null'));
  assert.ok(t('userName eq "nobody" or name.familyName eq "jensen"'));
});

test('malformed filters are refused with FilterError', () => {
  for (const bad of ['', 'userName', 'userName eq', 'userName eq bjensen', 'userName xx "a"', '(userName pr', 'userName pr)', 'a pr and', 'emails[type eq "w"', '"x" eq "y"', 'userName eq "unterminated', 'not a pr', '1abc pr', 'a pr'.repeat(2000), '('.repeat(100) + 'a pr' + ')'.repeat(100)]) {
    assert.throws(() => parseFilter(bad), FilterError, bad);
  }
});

// Random filters for the properties below.
const attrName = fc.constantFrom('userName', 'displayName', 'title', 'active', 'emails', 'name');
const sub = fc.option(fc.constantFrom('value', 'type', 'givenName'), { nil: undefined });
const path = fc.record({ attr: attrName, sub }).map(({ attr, sub }) => (sub ? { attr, sub } : { attr }));
const value = fc.oneof(fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.integer({ min: -1000, max: 1000 }));
const filterArb: fc.Arbitrary<Filter> = fc.letrec<{ f: Filter }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ op: fc.constant('pr' as const), path }),
    fc.record({ op: fc.constantFrom('eq' as const, 'ne' as const, 'co' as const, 'sw' as const), path, value: fc.string({ maxLength: 8 }) }),
    fc.record({ op: fc.constantFrom('eq' as const, 'ne' as const), path, value }),
    fc.record({ op: fc.constantFrom('and' as const, 'or' as const), left: tie('f'), right: tie('f') }),
    fc.record({ op: fc.constant('not' as const), filter: tie('f') }),
  ),
})).f;

test('property: print then parse gives back the same filter', () => {
  const plain = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown; // fc.record builds null-prototype objects
  fc.assert(fc.property(filterArb, (f) => assert.deepEqual(plain(parseFilter(printFilter(f))), plain(f))), { numRuns: 500 });
});

test('property: and/or/not evaluate as boolean algebra over the same resource', () => {
  fc.assert(
    fc.property(filterArb, filterArb, (a, b) => {
      const m = (f: Filter) => matches(user, f);
      assert.equal(m({ op: 'and', left: a, right: b }), m(a) && m(b));
      assert.equal(m({ op: 'or', left: a, right: b }), m(a) || m(b));
      assert.equal(m({ op: 'not', filter: a }), !m(a));
    }),
    { numRuns: 300 },
  );
});

test('property: the parser never throws anything but FilterError on arbitrary input', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 60 }), (s) => {
      try {
        parseFilter(s);
      } catch (e) {
        assert.ok(e instanceof FilterError, String(e));
      }
    }),
    { numRuns: 1000 },
  );
});

test('property: eq matches exactly the userName it was built from, whatever the case', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ minLength: 1, maxLength: 20 }), (a, b) => {
      const r = { userName: a };
      assert.equal(matches(r, parseFilter(`userName eq ${JSON.stringify(a.toUpperCase())}`)), true);
      assert.equal(matches(r, parseFilter(`userName eq ${JSON.stringify(b)}`)), a.toLowerCase() === b.toLowerCase());
      assert.equal(matches(r, parseFilter(`userName sw ${JSON.stringify(a.slice(0, 3))}`)), true);
    }),
  );
});

test('PATCH paths: value filters and sub-attributes', () => {
  assert.deepEqual(parsePatchPath('emails[type eq "work"].value'), { path: { attr: 'emails' }, filter: { op: 'eq', path: { attr: 'type' }, value: 'work' }, sub: 'value' });
  assert.deepEqual(parsePatchPath(`${ENT}:manager`), { path: { urn: ENT, attr: 'manager' } });
  assert.deepEqual(parsePatchPath('name.givenName'), { path: { attr: 'name', sub: 'givenName' } });
  assert.throws(() => parsePatchPath('emails[type eq "work"] value'), FilterError);
});

test('applyPatch: add/replace/remove, multi-valued paths, members, no-path merge, extension', () => {
  let r = applyPatch(user, [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'new@example.com' }]);
  assert.equal((r.emails as Array<{ value: string }>)[0]!.value, 'new@example.com');
  assert.equal((r.emails as unknown[]).length, 2);
  r = applyPatch(user, [{ op: 'Replace', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555' }]);
  assert.deepEqual(r.phoneNumbers, [{ type: 'mobile', value: '+1 555' }]);
  r = applyPatch(user, [{ op: 'remove', path: 'emails[type eq "home"]' }]);
  assert.deepEqual((r.emails as Array<{ type: string }>).map((e) => e.type), ['work']);
  r = applyPatch(user, [{ op: 'add', path: 'emails', value: [{ value: 'x@y.z', type: 'other' }, { value: 'bjensen@example.com', type: 'work', primary: true }] }]);
  assert.equal((r.emails as unknown[]).length, 3);
  r = applyPatch(user, [{ op: 'replace', value: { active: false, 'name.givenName': 'Babs', [`${ENT}:department`]: 'Sales' } }]);
  assert.equal(r.active, false);
  assert.equal((r.name as { givenName: string }).givenName, 'Babs');
  assert.equal((r[ENT] as { department: string }).department, 'Sales');
  r = applyPatch(user, [{ op: 'replace', value: { [ENT]: { employeeNumber: '9' } } }]);
  assert.deepEqual(r[ENT], { department: 'Tour Operations', employeeNumber: '9' });
  r = applyPatch(user, [{ op: 'remove', path: `${ENT}:department` }]);
  assert.deepEqual(r[ENT], { employeeNumber: '701984' });
  const g = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'G', members: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] };
  assert.deepEqual((applyPatch(g, [{ op: 'remove', path: 'members[value eq "b"]' }]).members as Array<{ value: string }>).map((m) => m.value), ['a', 'c']);
  assert.deepEqual((applyPatch(g, [{ op: 'remove', path: 'members', value: [{ value: 'a' }, { value: 'c' }] }]).members as Array<{ value: string }>).map((m) => m.value), ['b']);
  assert.deepEqual((applyPatch(g, [{ op: 'add', path: 'members', value: [{ value: 'c' }, { value: 'd' }] }]).members as Array<{ value: string }>).map((m) => m.value), ['a', 'b', 'c', 'd']);
  assert.deepEqual(applyPatch(g, [{ op: 'remove', path: 'members' }]).members, undefined);
  // The input is never mutated.
  assert.equal((user.emails[0] as { value: string }).value, 'bjensen@example.com');
  assert.throws(() => applyPatch(user, [{ op: 'move', path: 'a' }]), (e: unknown) => e instanceof ScimError && e.scimType === 'invalidSyntax');
  assert.throws(() => applyPatch(user, [{ op: 'remove' }]), (e: unknown) => e instanceof ScimError && e.scimType === 'noTarget');
  assert.throws(() => applyPatch(user, [{ op: 'add', path: 'emails[type eq' }]), (e: unknown) => e instanceof ScimError && e.scimType === 'invalidPath');
});

test('property: adding members then removing the same values by filter restores the member set; input untouched', () => {
  const id = fc.uuid();
  fc.assert(
    fc.property(fc.uniqueArray(id, { maxLength: 6 }), fc.uniqueArray(id, { maxLength: 6 }), (start, extra) => {
      const g = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'G', members: start.map((value) => ({ value })) };
      const snapshot = JSON.stringify(g);
      const fresh = extra.filter((v) => !start.includes(v));
      const added = applyPatch(g, [{ op: 'add', path: 'members', value: extra.map((value) => ({ value })) }]);
      const values = (added.members as Array<{ value: string }>).map((m) => m.value);
      assert.deepEqual(values, [...start, ...fresh], 'add appends only new values');
      const removed = applyPatch(added, fresh.map((v) => ({ op: 'remove', path: `members[value eq "${v}"]` })));
      assert.deepEqual((removed.members as Array<{ value: string }>).map((m) => m.value), start);
      assert.equal(JSON.stringify(g), snapshot);
    }),
    { numRuns: 200 },
  );
});
