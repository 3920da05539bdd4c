// The local transparency page in real Chromium: the day's intervals, the exact pending bytes and
// a uPlot timeline under a strict CSP with no violations; token and Host checks; a screenshot
// for docs/img.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { Store, uploadForm } from '../src/store.js';
import { startLocalPage, PAGE_CSP, type LocalPage } from '../src/page.js';
import { startOfLocalDay } from '../src/show.js';
import type { Interval } from '../src/heartbeat.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (Debian chromium)`;
const dir = mkdtempSync(join(tmpdir(), 'pulse-page-'));
let store: Store;
let page: LocalPage;
let browser: Browser;
const day = startOfLocalDay(Date.now()) - 24 * 3600_000; // yesterday: a full day to draw
const at = (h: number, m = 0) => day + (h * 60 + m) * 60_000;
const iv = (a: number, b: number, state: Interval['state'], app: string | null, category: string | null, domain: string | null = null, localCategory: string | null = null): Interval => ({ id: randomUUID(), start: a, end: b, state, app, category, domain, localCategory });

before(async () => {
  store = await Store.open({ dir, keyStore: 'file' });
  const day1 = [
    iv(at(8, 55), at(9, 40), 'active', 'code', 'development'),
    iv(at(9, 40), at(10, 5), 'active', 'firefox', 'browsing', 'github.com', 'review'),
    iv(at(10, 5), at(10, 20), 'idle', 'firefox', 'browsing', 'github.com'),
    iv(at(10, 20), at(11, 30), 'active', 'slack', 'communication'),
    iv(at(11, 30), at(12, 15), 'paused', null, null),
    iv(at(12, 15), at(14, 0), 'active', 'code', 'development'),
    iv(at(14, 0), at(14, 45), 'active', 'zoom', 'meetings'),
    iv(at(14, 45), at(15, 0), 'idle', 'zoom', 'meetings'),
    iv(at(15, 0), at(17, 10), 'active', 'code', 'development'),
  ];
  store.saveIntervals(day1.slice(0, 4), null);
  const b = store.sealBatch()!;
  store.markSent(b.batchId);
  store.saveIntervals(day1.slice(4), null);
  store.sealBatch();
  store.saveIntervals([], iv(at(17, 10), at(17, 30), 'active', 'xterm', 'development'));
  page = await startLocalPage(store, { now: () => at(18) });
});
after(async () => {
  await browser?.close();
  await page?.close();
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port: page.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    r.on('error', reject);
    r.end();
  });
}

test('the API needs the session token and the loopback Host; every answer carries the strict CSP', async () => {
  assert.match(page.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
  assert.equal((await get('/api/day')).status, 401);
  assert.equal((await get('/api/day', { 'x-parapet-token': page.token.slice(0, -1) + (page.token.endsWith('A') ? 'B' : 'A') })).status, 401);
  const ok = await get('/api/day', { 'x-parapet-token': page.token });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['content-security-policy'], PAGE_CSP);
  assert.equal((await get('/api/day', { 'x-parapet-token': page.token, host: `evil.example:${page.port}` })).status, 421, 'DNS rebinding');
  const d = JSON.parse(ok.body);
  assert.equal(d.intervals.length, 10);
  assert.equal(d.pending.sealed.length, 1);
  assert.equal(d.pending.sealed[0].body, store.pendingBatches()[0]!.body, 'the exact stored bytes');
  assert.deepEqual(d.pending.open, JSON.stringify(uploadForm({ ...d.intervals.at(-1), open: undefined })));
  assert.doesNotMatch(d.pending.sealed[0].body + d.pending.open, /review/, 'the local category never appears in what is sent');
});

test('Chromium renders the day: table, exact pending bytes and the uPlot timeline, with no CSP violation', { skip }, async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 }, timezoneId: Intl.DateTimeFormat().resolvedOptions().timeZone });
  const p = await ctx.newPage();
  const violations: string[] = [];
  p.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  // Runs in the page (the test's tsconfig has no DOM lib, hence the string).
  await p.addInitScript("document.addEventListener('securitypolicyviolation', (e) => console.error('Refused to: CSP ' + e.violatedDirective + ' ' + e.blockedURI))");
  await p.goto(page.url);
  await p.waitForSelector('#timeline canvas');
  await p.waitForSelector('#intervals tr');
  assert.equal(await p.locator('#intervals tr').count(), 10);
  assert.match(await p.locator('#intervals').innerText(), /firefox\s+browsing\s+github\.com\s+review\s+uploaded/);
  assert.match(await p.locator('#intervals').innerText(), /paused\s+—\s+—\s+—\s+—\s+sealed/);
  const pending = await p.locator('#pending').innerText();
  assert.ok(pending.includes(store.pendingBatches()[0]!.body), 'the page shows the exact batch bytes');
  assert.match(await p.locator('#controls').innerText(), /Recording \(not paused\)/);
  assert.ok((await p.locator('.u-legend').innerText()).includes('paused'));
  assert.deepEqual(violations, []);
  await p.screenshot({ path: new URL('../../../docs/img/agent-local-page.png', import.meta.url).pathname, fullPage: true });
  // Without the token the page says so and shows no data.
  const q = await ctx.newPage();
  await q.goto(page.url.replace(/token=.*/, 'token=wrong'));
  await q.waitForSelector('text=The page token is wrong');
  assert.equal(await q.locator('#intervals tr').count(), 0);
});
