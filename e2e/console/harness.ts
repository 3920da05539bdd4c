/**
 * Browser harness for the console tests: Debian's Chromium driven by playwright-core (no
 * browser download), against a real server from startTestServer. Every test gets its own
 * context; console errors, page errors and CSP violations are collected and must stay empty.
 */
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { loginAs, startTestServer, type TestServer } from '@parapet/server/testing';
import { createSession } from '@parapet/server/auth/sessions';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = fileURLToPath(new URL('../../artifacts/screenshots/', import.meta.url));

/** Why the browser tests cannot run here, or null. Under CI a missing browser is a failure. */
export function browserMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const msg = `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does).`;
  if (process.env.CI === 'true') throw new Error(msg);
  return msg;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * One server and one Chromium for a test file. Registers a `before` hook that runs `prepare`,
 * starts the server (with `env` and `start`) and the browser, then hands both to `setup`; and an `after` hook
 * that closes every tab pushed onto `tabs`, the browser, the server, then runs `teardown`.
 * `skip` is the reason the browser is missing (or false), for each test's options. Throws (via
 * browserMissing) under CI when Chromium is not installed.
 */
export function browserSuite(o: {
  env?: Record<string, string>;
  /** Start options for the server (startTestServer's second argument), e.g. the console dist to serve. */
  start?: Parameters<typeof startTestServer>[1];
  prepare?: () => Promise<void>;
  setup?: (s: TestServer, browser: Browser) => Promise<void> | void;
  teardown?: () => Promise<void> | void;
}): { skip: string | false; tabs: Tab[] } {
  const skip = browserMissing() ?? false;
  const tabs: Tab[] = [];
  let s: TestServer | undefined;
  let browser: Browser | undefined;
  before(async () => {
    if (skip) return;
    await o.prepare?.();
    s = await startTestServer(o.env, o.start);
    browser = await launchBrowser();
    await o.setup?.(s, browser);
  });
  after(async () => {
    for (const t of tabs) await t.context.close().catch(() => undefined);
    await browser?.close();
    await s?.close();
    await o.teardown?.();
  });
  return { skip, tabs };
}

export interface Tab {
  context: BrowserContext;
  page: Page;
  /** Console errors, uncaught exceptions and CSP reports seen so far. */
  problems: string[];
}

export async function openTab(browser: Browser, s: TestServer, cookie?: string): Promise<Tab> {
  // The test server's certificate is self-signed for 127.0.0.1; this browser trusts it.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 }, locale: 'en-GB', timezoneId: 'UTC' });
  if (cookie) await context.addCookies([{ name: '__Host-parapet_session', value: cookie, url: s.url, secure: true, httpOnly: true, sameSite: 'Strict' }]);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on('console', (m) => {
    // A 4xx answer the app handles is logged by Chromium as a failed resource; that is expected.
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return { context, page, problems };
}

/** A signed-in session for a user, as the cookie value to inject (login API independent). */
export async function sessionCookie(s: TestServer, tenantId: string, userId: string, o: { mfaFresh?: boolean } = {}): Promise<string> {
  const sess = await s.db.tx({ tenantId }, (q) => createSession(q, { tenantId, userId, mfaVerifiedAt: o.mfaFresh ? new Date() : null }));
  return sess.cookie;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Text of the focused element (a string expression: the e2e tsconfig has no DOM types). */
export const focusedText = (page: Page) => page.evaluate<string | null>('document.activeElement ? document.activeElement.textContent : null');

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) from a base32 secret, as an authenticator app computes it. */
export function totp(secretBase32: string, epochSeconds: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secretBase32.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(epochSeconds / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const off = mac[mac.length - 1]! & 0xf;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/**
 * An admin with a confirmed authenticator (enrolled through the API). Browser sessions made for
 * them with sessionCookie() have no fresh MFA, so step-up actions open the step-up dialog; the
 * enrolment used the current TOTP step, so the dialog takes the next one (codes are single-use).
 */
export async function adminWithTotp(s: TestServer, tenantId: string, email: string) {
  const a = await loginAs(s, { roles: ['admin'], tenantId, email });
  const enrol = await a.client.post('/api/v1/auth/mfa/totp/enroll');
  assert.equal(enrol.status, 200, enrol.text);
  const secret: string = enrol.json.secret;
  const confirmed = await a.client.post('/api/v1/auth/mfa/totp/confirm', { code: totp(secret, Date.now() / 1000) });
  assert.equal(confirmed.status, 200, confirmed.text);
  return { ...a, secret, nextCode: () => totp(secret, Date.now() / 1000 + 30) };
}

/** A free TCP port on 127.0.0.1 (bound then released; the caller starts a server on it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
    srv.on('error', reject);
  });
}

/** Someone with an authenticator: the base32 TOTP secret and the last 30 s step they used. */
export interface TotpHolder {
  totpSecret: string;
  lastStep?: number;
}

/**
 * The next authenticator code this person may use: codes are single-use per 30 s step, so a
 * second code within the same step waits for the next one (at most one step ahead of now).
 */
export async function nextTotp(p: TotpHolder): Promise<string> {
  const step = Math.floor(Date.now() / 30_000);
  let use = Math.max(step, (p.lastStep ?? 0) + 1);
  if (use > step + 1) {
    await new Promise((r) => setTimeout(r, (step + 1) * 30_000 - Date.now() + 500));
    use = (p.lastStep ?? 0) + 1;
  }
  p.lastStep = use;
  return totp(p.totpSecret, use * 30);
}
