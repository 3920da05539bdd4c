import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../src/testing.js';
import { CONSOLE_DIST } from '../src/console/build.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

test('the console is served from the API origin under the strict CSP', async () => {
  const r = await s.client().get('/');
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^text\/html/);
  assert.match(r.text, /<div id="root"><\/div>/);
  const csp = String(r.headers['content-security-policy']);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /style-src 'self'(;|$)/);
  // No inline script or style in the page the CSP would have to allow.
  assert.doesNotMatch(r.text, /<script(?![^>]*\bsrc=)[^>]*>/);
  assert.doesNotMatch(r.text, /<style|\sstyle=/);
  assert.equal(r.headers['cache-control'], 'no-cache');
});

test('client-side routes fall back to index.html for browsers; API and asset typos stay 404 problems', async () => {
  const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
  const page = await s.client().get('/people?q=x', html);
  assert.equal(page.status, 200);
  assert.match(page.text, /id="root"/);
  // A client that does not ask for HTML gets the problem, not the app.
  const script = await s.client().get('/people');
  assert.equal(script.status, 404);
  assert.equal(script.json.code, 'not_found');
  assert.equal((await s.client().get('/api/v1/nope', html)).status, 404);
  const api = await s.client().get('/api/v1/nope');
  assert.equal(api.status, 404);
  assert.equal(api.json.code, 'not_found');
  const asset = await s.client().get('/assets/nope.js');
  assert.equal(asset.status, 404);
  assert.equal(asset.json.code, 'not_found');
  // Only flat asset names are served: no way out of dist/assets.
  for (const p of ['/assets/..%2F..%2Fpackage.json', '/assets/%2e%2e/index.html', '/assets/../../package.json']) {
    const r = await s.client().get(p);
    assert.ok(r.status === 404 || r.status === 200, p);
    assert.doesNotMatch(r.text, /"workspaces"|"name": "@parapet/, p);
  }
});

test('hashed assets are cached for a year', async () => {
  const js = readdirSync(join(CONSOLE_DIST, 'assets')).find((f) => f.endsWith('.js'))!;
  const r = await s.client().get(`/assets/${js}`);
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /javascript/);
  assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable');
});
