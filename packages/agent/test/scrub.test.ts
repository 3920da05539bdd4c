// The on-device scrubber and categoriser: fast-check properties with generated PII in every
// position of a title, and a corpus of realistic titles with their expected output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { getDomain } from 'tldts';
import { pulseBatch } from '@parapet/core';
import { LONG_DIGITS, luhn, makeScrubber, scrubTitle } from '../src/scrub/scrub.js';
import { makeCategoriser, RuleError } from '../src/scrub/categorise.js';
import { readRulesFile } from '../src/policy.js';
import { makeClassifier } from '../src/recorder.js';

const fixture = (f: string) => new URL(`./fixtures/${f}`, import.meta.url).pathname;
const NAMES = ['Alice Smith', 'Jörg Müller', 'Acme Corp', 'Zoë'];
const scrub = makeScrubber({ names: NAMES });
const DOMAIN_RE = new RegExp(pulseBatch.DOMAIN);

const lower = 'abcdefghijklmnopqrstuvwxyz';
const word = fc.stringMatching(/^[A-Za-z][a-z]{0,9}$/);
// Filler: words a title would have, without digits (digits next to PII would change what it is).
const filler = fc.array(fc.oneof(word, fc.constantFrom('Mozilla Firefox', 'Visual Studio Code', 'Inbox', 'Re:', '#general', 'draft', 'ü', '—')), { minLength: 0, maxLength: 4 }).map((w) => w.join(' '));
const sep = fc.constantFrom(' ', ' - ', ' | ', ': ', ' — ', ' (', ') ', ', ', ' · ');

type Pii = { kind: string; text: string; forbidden: string[] };
const email = fc
  .tuple(fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,15}$/), fc.domain())
  .map(([l, d]): Pii => ({ kind: 'email', text: `${l}@${d}`, forbidden: [`${l}@${d}`, '@'] }));
const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((a) => a.join(''));
const phone = fc
  .oneof(
    fc.tuple(fc.integer({ min: 1, max: 99 }), digits(2), digits(7)).map(([cc, a, b]) => `+${cc} ${a} ${b}`),
    fc.tuple(digits(3), digits(3), digits(4)).map(([a, b, c]) => `(${a}) ${b}-${c}`),
    fc.tuple(digits(3), digits(3), digits(4)).map(([a, b, c]) => `${a}-${b}-${c}`),
    fc.tuple(digits(3), digits(8)).map(([a, b]) => `0${a} ${b}`),
    fc.tuple(fc.integer({ min: 1, max: 99 }), digits(10)).map(([cc, b]) => `+${cc}${b}`),
  )
  .map((t): Pii => ({ kind: 'phone', text: t, forbidden: [t] }));
const card = fc
  .tuple(digits(15), fc.constantFrom(' ', '-', ''))
  .map(([d, s]) => {
    const check = [...'0123456789'].find((c) => luhn(d + c))!;
    const n = d + check;
    const t = s ? n.match(/.{4}/g)!.join(s) : n;
    return { kind: 'card', text: t, forbidden: [t, n.slice(0, 8)] } as Pii;
  });
const longRun = digits(LONG_DIGITS + 4).map((t): Pii => ({ kind: 'digits', text: t, forbidden: [t] }));
const path = fc
  .tuple(fc.constantFrom('/home/', '~/', '/var/lib/', 'C:\\Users\\', './'), fc.array(fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/), { minLength: 2, maxLength: 4 }))
  .map(([root, segs]) => {
    const s = root.includes('\\') ? '\\' : '/';
    const t = root + segs.join(s);
    return { kind: 'path', text: t, forbidden: [segs.join(s)] } as Pii;
  });
const name = fc
  .tuple(fc.constantFrom(...NAMES), fc.constantFrom('lower', 'upper', 'same', 'underscore'))
  .map(([n, how]): Pii => {
    const t = how === 'lower' ? n.toLowerCase() : how === 'upper' ? n.toUpperCase() : how === 'underscore' ? n.replace(/ /g, '_') : n;
    return { kind: 'name', text: t, forbidden: [n.toLowerCase(), n.toLowerCase().replace(/ /g, '_')] };
  });
const url = fc.webUrl({ withQueryParameters: true, withFragments: true }).map((u): Pii => {
  const rest = u.replace(/^https?:\/\/[^/?#]+/, '');
  return { kind: 'url', text: u, forbidden: rest.length > 3 ? [rest] : [] };
});
const pii = fc.oneof(email, phone, card, longRun, path, name, url);

// Interleaves filler and PII parts: PII at the start, in the middle and at the end.
const title = fc.tuple(fc.array(fc.tuple(filler, pii, sep), { minLength: 1, maxLength: 4 }), filler, fc.boolean()).map(([parts, tail, piiFirst]) => {
  const p = parts.map(([f, x, s]) => (piiFirst ? `${x.text}${s}${f}` : `${f}${s}${x.text}`)).join(' ');
  return { text: `${p} ${tail}`.trim(), pii: parts.map(([, x]) => x) };
});

test('no generated PII survives scrubbing, wherever it sits in the title', () => {
  fc.assert(
    fc.property(title, ({ text, pii: found }) => {
      const out = scrub(text);
      const low = out.title.toLowerCase();
      for (const p of found) for (const f of p.forbidden) assert.ok(!low.includes(f.toLowerCase()), `${p.kind} ${JSON.stringify(f)} survived in ${JSON.stringify(out.title)} (from ${JSON.stringify(text)})`);
      assert.doesNotMatch(out.title, new RegExp(`\\d{${LONG_DIGITS}}`));
      if (out.domain !== null) assert.match(out.domain, DOMAIN_RE);
    }),
    { numRuns: 2000 },
  );
});

test('the domain of a URL is its registrable domain (Public Suffix List, ICANN section), whatever surrounds it', () => {
  fc.assert(
    fc.property(filler, url, sep, filler, (a, u, s, b) => {
      const out = scrubTitle(`${a}${s}${u.text}${s}${b}`);
      const want = getDomain(u.text, { allowPrivateDomains: false });
      assert.equal(out.domain, want && /^[a-z0-9.-]+$/.test(want) ? want : null);
    }),
    { numRuns: 1000 },
  );
});

test('scrubbing arbitrary strings never throws, is idempotent, drops control characters and bounds the length', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 700 }), (s) => {
      const a = scrub(s);
      assert.equal(scrub(a.title).title, a.title);
      assert.doesNotMatch(a.title, /[\u0000-\u001f\u007f]/);
      assert.ok(a.title.length <= 600);
    }),
    { numRuns: 2000 },
  );
});

test('numbers that are not PII stay: short ticket numbers, dates, times, versions; non-Luhn 16-digit groups become [number], not [card]', () => {
  assert.equal(scrubTitle('Fix #4711 on 2026-11-30 at 09:00 for v1.2.3').title, 'Fix #4711 on 2026-11-30 at 09:00 for v1.2.3');
  assert.equal(scrubTitle('4111 1111 1111 1111').title, '[card]');
  assert.equal(scrubTitle('4111111111111112').title, '[number]');
  assert.equal(scrubTitle('main.ts - parapet').domain, null, 'a file name with a ccTLD-like extension is not a domain');
  assert.equal(scrubTitle('see https://foo.github.io/x and https://bbc.co.uk').domain, 'github.io', 'first URL; private suffixes are not split');
  assert.equal(scrubTitle('file:///home/alice/x.pdf').title, '[url]');
});

test('title corpus: browser, IDE, mail, chat and terminal titles give the expected category and upload form', () => {
  const { policy, localRules } = readRulesFile(fixture('rules.json'));
  const c = makeClassifier(policy, localRules);
  const lines = readFileSync(fixture('titles.tsv'), 'utf8').trimEnd().split('\n');
  const expected = readFileSync(fixture('titles.expected.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, expected.length);
  assert.ok(lines.length >= 25);
  lines.forEach((line, i) => {
    const [app, raw] = line.split('\t') as [string, string];
    const { title, domain } = c.scrub(raw);
    const cat = c.categoriser.categorise(app, title, domain);
    const want = expected[i];
    assert.deepEqual({ category: cat.category, local_category: cat.localCategory, scrubbed_title: title, upload: { app, category: cat.category, domain } }, { category: want.category, local_category: want.local_category, scrubbed_title: want.scrubbed_title, upload: want.upload }, `line ${i + 1}: ${raw}`);
  });
});

test('the most specific rule wins: title+app over app over title over domain; deeper category on a tie; then the earlier rule', () => {
  const categories = ['uncategorized', 'a', 'b', 'c', 'd', 'web', 'web.news', 'web.news.local'].map((key) => ({ key, name: key }));
  const c = makeCategoriser({
    categories,
    allow_local_categories: true,
    rules: [
      { category: 'd', domain: 'example\\.com' },
      { category: 'c', title: 'report' },
      { category: 'b', app: 'firefox' },
      { category: 'a', app: 'firefox', title: 'report' },
      { category: 'web', title: 'news' },
      { category: 'web.news.local', title: 'news' },
      { category: 'web.news', title: 'news' },
    ],
  });
  assert.equal(c.categorise('firefox', 'Weekly report', 'example.com').category, 'a');
  assert.equal(c.categorise('FireFox', 'Weekly', 'example.com').category, 'b');
  assert.equal(c.categorise('chromium', 'Weekly report', 'example.com').category, 'c');
  assert.equal(c.categorise('chromium', 'Weekly', 'example.com').category, 'd');
  assert.equal(c.categorise('chromium', 'Weekly', null).category, 'uncategorized');
  assert.equal(c.categorise('chromium', 'news', null).category, 'web.news.local');
  assert.equal(c.categorise('chromium', 'news', null).localCategory, null);
});

test('local categories apply only when the policy allows them, and bad rules are one sentence', () => {
  const base = { categories: [{ key: 'uncategorized', name: 'u' }], rules: [] };
  const local = [{ category: 'reading', app: 'evince' }];
  assert.equal(makeCategoriser({ ...base, allow_local_categories: true }, local).categorise('evince', 'x', null).localCategory, 'reading');
  assert.equal(makeCategoriser({ ...base, allow_local_categories: false }, local).categorise('evince', 'x', null).localCategory, null);
  assert.throws(() => makeCategoriser({ ...base, allow_local_categories: true, rules: [{ category: 'nope', app: 'x' }] }), (e: Error) => e instanceof RuleError && /names category "nope", which the policy does not define\.$/.test(e.message));
  assert.throws(() => makeCategoriser({ ...base, allow_local_categories: true }, [{ category: 'r', title: '(' }]), (e: Error) => e instanceof RuleError && /not a valid regular expression/.test(e.message));
  assert.throws(() => makeCategoriser({ ...base, allow_local_categories: true }, [{ category: 'Bad Key', app: 'x' }]), /invalid category key/);
  assert.throws(() => makeCategoriser({ ...base, allow_local_categories: true }, [{ category: 'r' }]), /no app, title or domain condition/);
  void lower;
});
