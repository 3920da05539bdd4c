/**
 * `npm run demo` as a newcomer runs it, then walked in Chromium as a CISO would: Sam (security
 * lead) signs in with password and authenticator code, opens the live scan page of the demo's
 * scan and downloads the signed report PDF; Morgan (manager) signs in and asks Pulse about the
 * team under the Wellbeing purpose. Screenshots land in artifacts/screenshots/demo-*.png.
 * Finally `--reset` removes the demo (server stopped, data deleted).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { usingPostgres } from '@parapet/db/testing';
import { browserMissing, freePort, launchBrowser, nextTotp, screenshot } from './console/harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const missing = browserMissing();
let browser: Browser | undefined;
let dataDir: string | undefined;

function demo(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', 'demo/index.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

after(async () => {
  await browser?.close();
  if (dataDir) {
    await demo(['--reset'], { PARAPET_DEMO_DATA_DIR: dataDir });
    await rm(dataDir, { recursive: true, force: true });
  }
});

interface Person {
  key: string;
  email: string;
  password: string;
  totpSecret: string;
  lastStep?: number;
}

async function signIn(page: Page, url: string, org: string, p: Person): Promise<void> {
  await page.goto(`${url}/sign-in`);
  await page.getByLabel('Organisation').fill(org);
  await page.getByLabel('Email').fill(p.email);
  await page.getByLabel('Password').fill(p.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Verification code').fill(await nextTotp(p));
  await page.getByRole('button', { name: /Verify|Sign in|Continue/ }).first().click();
  await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
}

test('npm run demo builds the sandbox in one go; a CISO walks it in Chromium; --reset removes it', { skip: usingPostgres() ? 'the demo runs on the embedded engine; the PGlite run covers it' : (missing ?? false), timeout: 900_000 }, async (t) => {
  dataDir = await mkdtemp(join(tmpdir(), 'parapet-demo-'));
  const port = await freePort();
  const t0 = Date.now();
  const r = await demo(['--port', String(port)], { PARAPET_DEMO_DATA_DIR: dataDir, CI: 'true' });
  t.diagnostic(`demo finished in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /verified \(key/);
  assert.match(r.out, /Pulse: \d+ people, \d+ intervals/);
  const scanId = /scan ([0-9a-f-]{36}) of 127\.0\.0\.77 finished/.exec(r.out)?.[1];
  assert.ok(scanId, r.out);
  const pdfPath = /Report PDF:\s+(\S+)/.exec(r.out)![1]!;
  assert.equal((await readFile(pdfPath)).subarray(0, 5).toString(), '%PDF-');

  const state = JSON.parse(await readFile(join(dataDir, 'demo.json'), 'utf8')) as { slug: string; people: Person[] };
  const url = `https://localhost:${port}`;
  const who = (key: string) => state.people.find((p) => p.key === key)!;
  browser = await launchBrowser();

  // Sam, the security lead: the live scan page of the demo's scan, and its signed report.
  const ciso = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC', acceptDownloads: true });
  const page = await ciso.newPage();
  page.setDefaultTimeout(20_000);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await signIn(page, url, state.slug, who('lead'));
  await page.goto(`${url}/probe/scans/${scanId}`);
  await page.getByTestId('scan-report').waitFor();
  await screenshot(page, 'demo-probe-scan');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('scan-report').getByRole('link', { name: 'PDF' }).click()]);
  assert.equal((await readFile((await download.path())!)).subarray(0, 5).toString(), '%PDF-');

  // Morgan, a manager: the team under the Wellbeing purpose, as charts.
  const mgr = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
  const mpage = await mgr.newPage();
  mpage.setDefaultTimeout(20_000);
  mpage.on('pageerror', (e) => problems.push(e.message));
  await signIn(mpage, url, state.slug, who('manager'));
  await mpage.goto(`${url}/pulse`);
  await mpage.getByRole('form', { name: 'Question' }).waitFor();
  await mpage.getByLabel('Purpose').selectOption('wellbeing');
  await mpage.getByLabel('Level').selectOption('team');
  await mpage.getByLabel('Period').selectOption('week');
  const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
  await mpage.getByLabel('From').fill(day(24));
  await mpage.getByLabel('To').fill(day(2));
  await mpage.getByRole('button', { name: 'Show' }).click();
  await mpage.getByRole('table', { name: 'Cells' }).waitFor();
  assert.ok((await mpage.locator('.chart canvas').count()) >= 1, 'charts are drawn');
  await screenshot(mpage, 'demo-pulse-team');
  assert.deepEqual(problems, []);
  await ciso.close();
  await mgr.close();

  const reset = await demo(['--reset'], { PARAPET_DEMO_DATA_DIR: dataDir });
  assert.equal(reset.code, 0, reset.out);
  assert.ok(!existsSync(join(dataDir, 'demo.json')), 'the demo data is gone');
  dataDir = undefined;
});
