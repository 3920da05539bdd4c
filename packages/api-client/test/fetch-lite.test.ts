/**
 * fetch-lite against Node's own Headers, Request and Response (undici, WHATWG Fetch): the same
 * operations give the same fields, the same normalisation and the same errors; and the typed
 * client built with LiteRequest over a transport that answers LiteResponse works as with the
 * global classes (no server needed: the transport is the test).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LiteHeaders, LiteRequest, LiteResponse } from '../src/fetch-lite.js';
import { createApiClient } from '../src/index.js';

const tokenChar = fc.constantFrom(...("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".split('')));
// Few distinct names so that appends, sets and deletes meet; set-cookie is iterated apart by Fetch.
const name = fc.constantFrom('Accept', 'content-type', 'X-A', 'x-a', 'X-Trace-Id', "x-!#$%&'*+", 'Content-Digest');
const value = fc.tuple(fc.constantFrom('', ' ', '\t', '\r\n', ' \t'), fc.string({ unit: fc.constantFrom(...'abc XYZ=;,:/"\'0189\t'.split('')), maxLength: 12 }), fc.constantFrom('', ' ', '\t', '\n'));
type Op = ['append' | 'set', string, string] | ['delete', string];
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.tuple(fc.constantFrom('append' as const, 'set' as const), name, value.map((v) => v.join(''))),
  fc.tuple(fc.constant('delete' as const), name),
);

function apply(h: { append(n: string, v: string): void; set(n: string, v: string): void; delete(n: string): void }, ops: Op[]): void {
  for (const o of ops) (o[0] === 'delete' ? h.delete(o[1]) : h[o[0]](o[1], o[2]));
}

test('LiteHeaders gives the same entries and get() as Fetch Headers for any append / set / delete sequence', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 20 }), (ops) => {
      const real = new Headers();
      const lite = new LiteHeaders();
      apply(real, ops);
      apply(lite, ops);
      assert.deepEqual([...lite.entries()], [...real.entries()]);
      for (const n of ['accept', 'X-A', 'content-type', 'Content-Digest', 'absent']) assert.equal(lite.get(n), real.get(n));
      const seen: string[] = [];
      lite.forEach((v, k) => seen.push(`${k}=${v}`));
      assert.deepEqual(seen, [...real.entries()].map(([k, v]) => `${k}=${v}`));
      // Built from another Headers, from pairs and from a record: what Fetch builds from them.
      assert.deepEqual([...new LiteHeaders(real).entries()], [...new Headers(real).entries()]);
      assert.deepEqual([...new LiteHeaders([...real.entries()]).entries()], [...new Headers([...real.entries()]).entries()]);
      assert.deepEqual([...new LiteHeaders(Object.fromEntries(real.entries())).entries()], [...new Headers(Object.fromEntries(real.entries())).entries()]);
    }),
    { numRuns: 300 },
  );
});

test('LiteHeaders refuses what Fetch Headers refuses: names outside the token grammar, CR / LF / NUL inside values', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(...'a:b ()[]@,;\\"/?={}é\n'.split('')), minLength: 1, maxLength: 6 }), fc.constantFrom('a\nb', 'a\rb', 'a\0b', 'ok'), (n, v) => {
      const outcome = (f: () => void) => {
        try {
          f();
          return 'ok';
        } catch (e) {
          return (e as Error).constructor.name;
        }
      };
      assert.equal(outcome(() => new LiteHeaders().append(n, v)), outcome(() => new Headers().append(n, v)), `${JSON.stringify(n)}: ${JSON.stringify(v)}`);
      assert.equal(outcome(() => new LiteHeaders().set('x-ok', v)), outcome(() => new Headers().set('x-ok', v)), JSON.stringify(v));
    }),
    { numRuns: 200 },
  );
  assert.deepEqual(new LiteHeaders({ 'set-cookie': ['a=1', 'b=2'] }).getSetCookie(), ['a=1', 'b=2']);
});

test('LiteRequest: URL and method normalised as Fetch does; body bytes read once; no body on GET or HEAD', async () => {
  for (const [url, method] of [
    ['https://h.example:443/a/../b?q=1#frag', 'post'],
    ['https://H.EXAMPLE/x y', 'patch'],
    ['http://[::1]:8443/', 'delete'],
    ['https://h.example/', 'Get'],
  ] as const) {
    const body = method.toUpperCase() === 'GET' ? undefined : '{"a":"é"}';
    const real = new Request(url, { method, body });
    const lite = new LiteRequest(url, { method, body });
    assert.deepEqual([lite.url, lite.method], [real.url, real.method]);
    assert.deepEqual(Buffer.from(await lite.arrayBuffer()), Buffer.from(await real.arrayBuffer()));
    assert.equal(lite.bodyUsed, real.bodyUsed);
  }
  const r = new LiteRequest('https://h.example/', { method: 'POST', body: '{"n":1}', headers: { 'Content-Type': 'application/json' } });
  assert.deepEqual(await r.json(), { n: 1 });
  await assert.rejects(r.text(), TypeError);
  assert.equal(r.headers.get('content-type'), 'application/json');
  assert.throws(() => new LiteRequest('/relative'), TypeError);
  assert.throws(() => new Request('/relative'), TypeError);
  assert.throws(() => new LiteRequest('https://h.example/', { method: 'GET', body: 'x' }), TypeError);
  assert.throws(() => new LiteRequest('https://h.example/', { method: 'HEAD', body: 'x' }), TypeError);
  assert.deepEqual(Buffer.from(await new LiteRequest('https://h.example/').arrayBuffer()), Buffer.alloc(0));
});

test('LiteResponse: status, ok and body as Fetch Response; the same errors for a bad status or a body on 204/205/304', async () => {
  fc.assert(
    fc.property(fc.integer({ min: 100, max: 700 }), fc.boolean(), (status, withBody) => {
      const outcome = (f: () => { status: number; ok: boolean }) => {
        try {
          const x = f();
          return `${x.status} ${x.ok}`;
        } catch (e) {
          return (e as Error).constructor.name;
        }
      };
      const body = withBody ? 'x' : null;
      assert.equal(outcome(() => new LiteResponse(body, { status })), outcome(() => new Response(body, { status })), `${status} ${withBody}`);
    }),
    { numRuns: 400 },
  );
  const bytes = Buffer.from('{"code":"é"}');
  const lite = new LiteResponse(bytes, { status: 409, headers: { 'content-type': 'application/problem+json' } });
  const real = new Response(bytes, { status: 409, headers: { 'content-type': 'application/problem+json' } });
  assert.deepEqual([lite.status, lite.ok, lite.headers.get('Content-Type')], [real.status, real.ok, real.headers.get('Content-Type')]);
  assert.deepEqual(await lite.json(), await real.json());
  await assert.rejects(lite.text(), TypeError);
  await assert.rejects(real.text(), TypeError);
  assert.equal(await new LiteResponse(null, { status: 204 }).text(), await new Response(null, { status: 204 }).text());
});

test('the typed client with LiteRequest over a LiteResponse transport: headers, query, body, data, error and 204', async () => {
  const seen: Array<{ method: string; url: string; headers: Record<string, string>; body: string }> = [];
  const answers = [
    new LiteResponse('{"people":[{"email":"a@example.test"}]}', { status: 200, headers: { 'content-type': 'application/json' } }),
    new LiteResponse('{"code":"validation_failed","detail":"No."}', { status: 422, headers: { 'content-type': 'application/problem+json' } }),
    new LiteResponse(null, { status: 204 }),
  ];
  const api = createApiClient({
    baseUrl: 'https://parapet.example/',
    Request: LiteRequest,
    headers: { 'x-client': 'test' },
    fetch: async (request) => {
      assert.ok(request instanceof LiteRequest, 'built with the Request given');
      const headers: Record<string, string> = {};
      request.headers.forEach((v, k) => (headers[k] = v));
      seen.push({ method: request.method, url: request.url, headers, body: await request.text() });
      return answers.shift() as unknown as Response;
    },
  });
  const people = await api.GET('/api/v1/people', { params: { query: { q: 'a b' } } } as never);
  assert.deepEqual(people.data, { people: [{ email: 'a@example.test' }] });
  const inv = await api.POST('/api/v1/people/invitations', { body: { email: 'x@example.test', roles: ['employee'] } });
  assert.equal(inv.response.status, 422);
  assert.deepEqual(inv.error, { code: 'validation_failed', detail: 'No.' });
  const del = await api.DELETE('/api/v1/people/invitations/{id}', { params: { path: { id: 'p/1' } } });
  assert.deepEqual([del.response.status, del.data, del.error], [204, undefined, undefined]);
  assert.deepEqual(seen, [
    { method: 'GET', url: 'https://parapet.example/api/v1/people?q=a%20b', headers: { 'x-client': 'test' }, body: '' },
    { method: 'POST', url: 'https://parapet.example/api/v1/people/invitations', headers: { 'content-type': 'application/json', 'x-client': 'test' }, body: '{"email":"x@example.test","roles":["employee"]}' },
    { method: 'DELETE', url: 'https://parapet.example/api/v1/people/invitations/p%2F1', headers: { 'x-client': 'test' }, body: '' },
  ]);
});
