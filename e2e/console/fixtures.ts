/**
 * Set-up the console tests share, on top of harness.ts: the file's server and Chromium, tabs that
 * close with them, an organisation whose admin (authenticator enrolled) is signed in in a tab,
 * and for WebAuthn the localhost origin, Chromium's virtual authenticator and the password
 * sign-in form.
 */
import type { Browser, Page } from 'playwright-core';
import { createTenant, createUser, type TestServer } from '@parapet/server/testing';
import { hashPassword } from '@parapet/server/auth/password';
import { adminWithTotp, browserSuite, openTab, sessionCookie, type Tab } from './harness.js';

export interface ConsoleSuite {
  /** The reason Chromium is missing, or false: each test's `skip` option. */
  skip: string | false;
  /** The server (set once the `before` hook ran). */
  readonly s: TestServer;
  readonly browser: Browser;
  /**
   * https://localhost:<port>: WebAuthn refuses IP addresses as relying party, and the test
   * certificate covers localhost (the server derives the RP ID from the Host header).
   */
  readonly base: string;
  /** A new browser context (signed in when `cookie` is given), closed with the suite. */
  tab(cookie?: string): Promise<Tab>;
  /**
   * A new organisation `slug` and its admin `email`, whose authenticator is enrolled through the
   * API (adminWithTotp: step-up actions open the dialog and take `admin.nextCode()`), signed in
   * with a session cookie in a new tab on no page yet.
   */
  orgWithAdmin(slug: string, email: string): Promise<{ tenantId: string; admin: Awaited<ReturnType<typeof adminWithTotp>> } & Tab>;
  /**
   * A new organisation `slug` with one person (`role`, `email`) who has `password` and no second
   * factor, and a new signed-out tab; `signIn()` submits their password there at `base`.
   */
  orgWithPasswordUser(slug: string, role: Role, email: string, password: string): Promise<{ tenantId: string; user: { userId: string; email: string }; signIn: () => Promise<void> } & Tab>;
}

type Role = Parameters<typeof createUser>[2]['roles'][number];

/**
 * One server and one Chromium for a test file (harness.ts browserSuite, same options; `setup`
 * runs once both are up, for the file's own shared data): call at the top level, read `s`,
 * `browser` and `base` inside tests.
 */
export function consoleSuite(o: Parameters<typeof browserSuite>[0] = {}): ConsoleSuite {
  let s: TestServer | undefined;
  let browser: Browser | undefined;
  const { skip, tabs } = browserSuite({
    ...o,
    setup: async (srv, br) => {
      s = srv;
      browser = br;
      await o.setup?.(srv, br);
    },
  });
  const started = () => {
    if (!s || !browser) throw new Error('the console suite has not started (Chromium missing, or read outside a test)');
    return { s, browser };
  };
  const suite: ConsoleSuite = {
    skip,
    get s() {
      return started().s;
    },
    get browser() {
      return started().browser;
    },
    get base() {
      return `https://localhost:${started().s.port}`;
    },
    async tab(cookie) {
      const t = await openTab(started().browser, started().s, cookie);
      tabs.push(t);
      return t;
    },
    async orgWithAdmin(slug, email) {
      const { s } = started();
      const tenantId = await createTenant(s.db, slug);
      const admin = await adminWithTotp(s, tenantId, email);
      return { tenantId, admin, ...(await suite.tab(await sessionCookie(s, tenantId, admin.userId))) };
    },
    async orgWithPasswordUser(slug, role, email, password) {
      const { s } = started();
      const tenantId = await createTenant(s.db, slug);
      const user = await createUser(s.db, tenantId, { roles: [role], email, passwordHash: await hashPassword(password) });
      const t = await suite.tab();
      return { tenantId, user, signIn: () => signInWithPassword(t.page, suite.base, slug, email, password), ...t };
    },
  };
  return suite;
}

/**
 * Chromium's virtual authenticator (DevTools WebAuthn domain) on this page's context, standing in
 * for a passkey store (`internal`, the default) or a USB security key (`usb`): CTAP2, resident
 * keys, user verification that always succeeds. `credentials()` lists what it holds; `clear()`
 * forgets them all (a reset phone).
 */
export async function virtualAuthenticator(page: Page, transport: 'internal' | 'usb' = 'internal') {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport, hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
  return {
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
    clear: async () => {
      await cdp.send('WebAuthn.clearCredentials', { authenticatorId });
    },
  };
}

/** Opens `base`/sign-in and submits organisation, e-mail and password (the next step is the caller's). */
export async function signInWithPassword(page: Page, base: string, org: string, email: string, password: string): Promise<void> {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel('Organisation').fill(org);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
