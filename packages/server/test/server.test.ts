import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { request as httpRequest } from 'node:http';
import { createTenant, startTestServer, type TestServer } from '../src/testing.js';
import { recordAudit } from '../src/platform/audit.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

function handshake(version: 'TLSv1.2' | 'TLSv1.3'): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port: s.port, ca: s.ca, servername: 'localhost', minVersion: version, maxVersion: version }, () => {
      const v = sock.getProtocol() ?? '';
      sock.end();
      resolve(v);
    });
    sock.on('error', reject);
  });
}

test('TLS 1.3 handshakes; a TLS 1.2-only client is refused', async () => {
  assert.equal(await handshake('TLSv1.3'), 'TLSv1.3');
  await assert.rejects(handshake('TLSv1.2'), /protocol version|alert/i);
});

test('the certificate verifies for localhost against the self-signed cert', async () => {
  const r = await s.client().get('/healthz');
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { status: 'ok' });
});

function assertStrictHeaders(h: Record<string, unknown>, what: string) {
  const hsts = String(h['strict-transport-security']);
  const maxAge = Number(/max-age=(\d+)/.exec(hsts)?.[1]);
  assert.ok(maxAge >= 31536000, `${what}: HSTS max-age ${maxAge}`);
  assert.match(hsts, /includeSubDomains/, what);
  const csp = String(h['content-security-policy']);
  assert.match(csp, /frame-ancestors 'none'/, what);
  assert.match(csp, /script-src 'self'(;|$)/, what);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, what);
  assert.equal(h['x-content-type-options'], 'nosniff', what);
  assert.equal(h['referrer-policy'], 'no-referrer', what);
  assert.equal(h['x-frame-options'], 'DENY', what);
  assert.ok(h['x-request-id'], `${what}: request id`);
}

test('every response carries HSTS, a strict CSP, nosniff and a referrer policy (200, 404, 400, 401, 503-capable routes)', async () => {
  const c = s.client();
  const cases = [
    await c.get('/healthz'),
    await c.get('/readyz'),
    await c.get('/does-not-exist'),
    await c.request('POST', '/api/v1/bootstrap/organisations', { body: '{not json', headers: { 'content-type': 'application/json' } }),
    await c.post('/api/v1/bootstrap/organisations', { name: 'x', admin_email: 'a@b.c', admin_password: 'x' }),
    await c.get('/metrics'),
    await c.get('/api/v1/openapi.json'),
  ];
  for (const r of cases) assertStrictHeaders(r.headers, `status ${r.status}`);
});

test('responses fastify answers itself carry the same headers and are problem details: a path parameter that is not valid percent-encoding (fastify answered it without any hook), an over-long one, a body over the limit, an unknown method', async () => {
  const c = s.client();
  const cases: Array<[Awaited<ReturnType<typeof c.get>>, number, string]> = [
    [await c.get('/api/v1/probe/scans/%E0%A4%A'), 400, 'invalid_request'],
    [await c.get(`/api/v1/probe/scans/${'a'.repeat(600)}`), 404, 'not_found'],
    [await c.request('POST', '/api/v1/bootstrap/organisations', { body: `{"name":"${'x'.repeat(1_100_000)}"}`, headers: { 'content-type': 'application/json' } }), 413, 'body_too_large'],
    [await c.request('PROPFIND', '/healthz'), 404, 'not_found'],
  ];
  for (const [r, status, code] of cases) {
    assert.equal(r.status, status, r.text);
    assertStrictHeaders(r.headers, `status ${r.status}`);
    assert.match(String(r.headers['content-type']), /^application\/problem\+json/, `status ${r.status}`);
    assert.equal(r.json.code, code);
  }
});

test('errors are RFC 9457 problem details with a stable code', async () => {
  const c = s.client();
  const nf = await c.get('/nope?x=1');
  assert.equal(nf.status, 404);
  assert.match(String(nf.headers['content-type']), /^application\/problem\+json/);
  assert.equal(nf.json.code, 'not_found');
  assert.equal(nf.json.status, 404);
  assert.equal(nf.json.type, 'https://parapet.dev/problems/not_found');
  assert.equal(nf.json.instance, '/nope');
  const bad = await c.request('POST', '/api/v1/bootstrap/organisations', { body: '{not json', headers: { 'content-type': 'application/json' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.code, 'invalid_json');
  const invalid = await c.post('/api/v1/bootstrap/organisations', { name: 'x' });
  assert.equal(invalid.status, 400);
  assert.equal(invalid.json.code, 'invalid_request');
  assert.match(invalid.json.detail, /admin_email/);
  const unauth = await c.post('/api/v1/bootstrap/organisations', { name: 'x', admin_email: 'a@b.c', admin_password: 'correct horse battery' });
  assert.equal(unauth.status, 401);
  assert.equal(unauth.json.code, 'bootstrap_token_invalid');
  const media = await c.request('POST', '/api/v1/bootstrap/organisations', { body: '<x/>', headers: { 'content-type': 'application/xml' } });
  assert.equal(media.status, 415);
  assert.equal(media.json.code, 'unsupported_media_type');
});

test('a sane incoming request id is echoed; a hostile one is replaced', async () => {
  const c = s.client();
  assert.equal((await c.get('/healthz', { 'x-request-id': 'abc-123' })).headers['x-request-id'], 'abc-123');
  const r = await c.get('/healthz', { 'x-request-id': 'evil\tlog line' });
  assert.notEqual(r.headers['x-request-id'], 'evil\tlog line');
  assert.match(String(r.headers['x-request-id']), /^[0-9a-f-]{36}$/);
});

test('readyz reports the engine once migrations are current', async () => {
  const r = await s.client().get('/readyz');
  assert.equal(r.status, 200);
  assert.equal(r.json.status, 'ready');
  assert.equal(r.json.engine, s.db.engine);
});

test('readyz answers 503 migrations_pending when a migration is missing', async () => {
  await s.asAdmin((a) => a.exec(`SET ROLE parapet_owner; DELETE FROM parapet_schema_migrations WHERE version = '0001'; RESET ROLE;`));
  try {
    const r = await s.client().get('/readyz');
    assert.equal(r.status, 503);
    assert.equal(r.json.code, 'migrations_pending');
    assert.deepEqual(r.json.pending, ['0001_tenants_and_users']);
  } finally {
    await s.asAdmin(async (a) => {
      const { loadMigrations } = await import('@parapet/db');
      const m = (await loadMigrations())[0]!;
      await a.exec('SET ROLE parapet_owner');
      await a.query(`INSERT INTO parapet_schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`, [m.version, m.name, m.checksum]);
      await a.exec('RESET ROLE');
    });
  }
});

const metricsAuth = async () => ({ authorization: `Bearer ${(await readFile(join(s.dataDir, 'metrics.token'), 'utf8')).trim()}` });

test('metrics are not served without the scrape token (data dir metrics.token, 0600)', async () => {
  const c = s.client();
  for (const h of [undefined, { authorization: 'Bearer wrong' }, { authorization: 'Basic eDp5' }]) {
    const r = await c.get('/metrics', h);
    assert.equal(r.status, 401);
    assert.equal(r.json.code, 'metrics_token_required');
    assert.doesNotMatch(r.text, /parapet_http_requests_total/);
  }
  assert.equal((await stat(join(s.dataDir, 'metrics.token'))).mode & 0o777, 0o600);
});

test('metrics are Prometheus text and count requests by route pattern', async () => {
  const c = s.client();
  await c.get('/healthz');
  const r = await c.get('/metrics', await metricsAuth());
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^text\/plain/);
  assert.match(r.text, /parapet_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
  assert.match(r.text, /# TYPE parapet_http_request_duration_seconds histogram/);
});

test('metrics count audit entries chained by the sequencer and its rounds', async () => {
  const tenantId = await createTenant(s.db);
  await s.db.tx({ tenantId }, async (q) => {
    for (let i = 0; i < 3; i++) await recordAudit(q, tenantId, { type: 'system', id: 'metrics-test' }, { action: 'auth.session.opened', outcome: 'success', details: { stage: 'password' } });
  });
  await s.db.tx({}, async () => undefined); // the test view waits for the sequencer's round
  const r = await s.client().get('/metrics', await metricsAuth());
  const chained = Number(/^parapet_audit_entries_chained_total (\d+)$/m.exec(r.text)?.[1]);
  assert.ok(chained >= 3, `chained_total is ${chained}`);
  assert.match(r.text, /^parapet_audit_sequencer_round_seconds_count [1-9]\d*$/m);
  assert.match(r.text, /^parapet_audit_sequencer_failures_total 0$/m);
  assert.match(r.text, /^parapet_audit_inbox_oldest_seconds \d+(\.\d+)?$/m);
});

test('the OpenAPI document describes the routes, with problem details for errors', async () => {
  const r = await s.client().get('/api/v1/openapi.json');
  assert.equal(r.status, 200);
  assert.equal(r.json.openapi, '3.1.0');
  assert.ok(r.json.paths['/readyz']);
  assert.ok(r.json.paths['/api/v1/bootstrap/organisations'].post.requestBody);
});

test('the plain-HTTP port only redirects to HTTPS', async () => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const s2 = await startTestServer({ PARAPET_HTTP_PORT: String(port) });
  try {
    for (const [method, path] of [['GET', '/healthz'], ['POST', '/api/v1/bootstrap/organisations'], ['GET', '/anything?a=b']] as const) {
      const r = await new Promise<{ status: number; location: string; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { host: 'localhost' } }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode!, location: String(res.headers.location), body }));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(r.status, 308);
      assert.equal(r.location, `https://localhost:${s2.port}${path}`);
      assert.equal(r.body, '');
    }
  } finally {
    await s2.close();
  }
});
