/**
 * The first hour, as README's "Try it" section tells a newcomer: `npm start`'s entry on an
 * empty data dir and a free port (embedded PGlite, self-signed certificate), `npx parapet init`
 * in a second terminal, then everything else in Chromium: the admin signs in and enrols an
 * authenticator, invites a security lead and a second approver (step-up), both accept their
 * links and enrol; the lead makes a key pair with `npx parapet keygen`, registers its public
 * half in the console, copies the starter scope the console shows, signs it with `npx parapet
 * scope sign`, uploads it and requests a production scan; the admin and the second approver
 * approve it with fresh MFA and it is queued. Real server process, real CLI processes, real
 * browser; nothing is injected into the database.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { usingPostgres } from '@parapet/db/testing';
import { browserMissing, freePort, launchBrowser, nextTotp, screenshot, type TotpHolder } from './console/harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'packages/server/bin/parapet-server.js');
const missing = browserMissing();

let server: ChildProcess | undefined;
let browser: Browser | undefined;
const dirs: string[] = [];
const contexts: BrowserContext[] = [];

after(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server!.once('exit', r));
  }
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** `npx parapet ARGS` from the checkout, as README shows it; resolves with exit code and output. */
function npxParapet(args: string[], env: Record<string, string>, cwd = ROOT): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('npx', ['--no-install', 'parapet', ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

interface Person extends TotpHolder {
  email: string;
  password: string;
  page: Page;
}

async function newPage(): Promise<Page> {
  const ctx = await browser!.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return page;
}
const problems: string[] = [];

/** The authenticator set-up every admin and security lead meets at first sign-in or invitation. */
async function enrolAuthenticator(page: Page, p: Partial<Person> & TotpHolder): Promise<void> {
  await page.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
  const start = page.getByRole('button', { name: 'Set up an authenticator app' });
  const secretBox = page.getByTestId('totp-secret');
  await start.or(secretBox).first().waitFor();
  if (await start.isVisible()) await start.click();
  p.totpSecret = (await secretBox.textContent())!.replace(/\s+/g, '');
  await page.getByLabel('Code from the app').fill(await nextTotp(p));
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByRole('button', { name: 'I saved them, continue' }).click();
}

/** Clicks `button`, answers the step-up dialog if the server asks for a fresh verification, and waits for `done`. */
async function withStepUp(page: Page, p: Person, click: () => Promise<void>, done: ReturnType<Page['getByText']>): Promise<boolean> {
  await click();
  const dialog = page.getByRole('dialog', { name: "Confirm it's you" });
  await dialog.or(done).first().waitFor();
  if (!(await dialog.isVisible())) return false;
  await dialog.getByLabel('Verification code').fill(await nextTotp(p));
  await dialog.getByRole('button', { name: 'Verify and continue' }).click();
  await done.waitFor();
  return true;
}

test('the first hour from npm start: init, invitations, MFA, a signed scope and a scan approved by two', { skip: usingPostgres() ? 'npm start on an empty data dir runs the embedded engine; the PGlite run covers it' : (missing ?? false), timeout: 600_000 }, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'parapet-first-hour-'));
  const work = await mkdtemp(join(tmpdir(), 'parapet-first-hour-lead-'));
  dirs.push(dataDir, work);
  const port = await freePort();
  const env = { PARAPET_DATA_DIR: dataDir, DATABASE_URL: '', DATABASE_ADMIN_URL: '' };

  // Terminal 1: npm start.
  const t0 = Date.now();
  server = spawn(process.execPath, [BIN], { cwd: ROOT, env: { ...process.env, ...env, PARAPET_PORT: String(port), PARAPET_HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  server.stdout!.on('data', (d) => (log += d));
  server.stderr!.on('data', (d) => (log += d));
  while (!log.includes('npx parapet init')) {
    if (server.exitCode !== null) assert.fail(`the server exited: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  t.diagnostic(`npm start on an empty data dir: hint printed after ${Date.now() - t0} ms`);
  assert.ok(log.includes(`Data dir: ${dataDir}.`), log);
  const url = `https://localhost:${port}`;

  // Terminal 2: init, with the data dir the server printed (README: --password-file for scripts, then delete the file).
  const admin = { email: 'admin@example.com', password: 'a long admin passphrase 1' } as Person;
  const pwFile = join(work, 'admin-password.txt');
  await writeFile(pwFile, admin.password + '\n', { mode: 0o600 });
  const init = await npxParapet(['init', '--org', 'Example Corp', '--email', admin.email, '--password-file', pwFile], env);
  await rm(pwFile);
  assert.equal(init.code, 0, init.out);
  assert.match(init.out, /Created organisation "Example Corp" \(slug example-corp/);
  assert.ok(init.out.includes(`Through the server running on the data dir ${dataDir}`), init.out);

  browser = await launchBrowser();

  // The admin signs in and must enrol an authenticator first.
  admin.page = await newPage();
  await admin.page.goto(`${url}/sign-in`);
  await admin.page.getByLabel('Organisation').fill('example-corp');
  await admin.page.getByLabel('Email').fill(admin.email);
  await admin.page.getByLabel('Password').fill(admin.password);
  await admin.page.getByRole('button', { name: 'Sign in' }).click();
  await enrolAuthenticator(admin.page, admin);
  await admin.page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
  await screenshot(admin.page, 'first-hour-home');

  // Invitations: a security lead (Lea) and a second approver (Pat), each link shown once.
  const invite = async (email: string): Promise<string> => {
    await admin.page.goto(`${url}/people`);
    const card = admin.page.getByRole('region', { name: 'Invite someone' });
    await card.getByLabel('Email').fill(email);
    await card.getByRole('checkbox', { name: /Security lead/ }).check();
    await card.getByRole('checkbox', { name: /Employee/ }).uncheck();
    await withStepUp(admin.page, admin, () => card.getByRole('button', { name: 'Create invitation link' }).click(), admin.page.getByTestId('one-time-secret'));
    const link = (await admin.page.getByTestId('one-time-secret').textContent())!.trim();
    assert.match(link, new RegExp(`^https://localhost:${port}/invite#pinv_`));
    return link;
  };
  const accept = async (link: string, name: string, email: string): Promise<Person> => {
    const p = { email, password: `${name} picks a long passphrase` } as Person;
    p.page = await newPage();
    await p.page.goto(link);
    await p.page.getByRole('heading', { name: 'Accept your invitation' }).waitFor();
    await p.page.getByLabel('Your name').fill(name);
    await p.page.getByLabel('Choose a password').fill(p.password);
    await p.page.getByLabel('Password again').fill(p.password);
    await p.page.getByRole('button', { name: 'Create my account' }).click();
    await enrolAuthenticator(p.page, p);
    await p.page.getByTestId('user-email').waitFor();
    assert.equal(await p.page.getByTestId('user-email').textContent(), email);
    return p;
  };
  const lea = await accept(await invite('lea@example.com'), 'Lea Lead', 'lea@example.com');
  const pat = await accept(await invite('pat@example.com'), 'Pat Approver', 'pat@example.com');

  // Lea's machine: a key pair (README: npx parapet keygen), the public half registered in the console.
  const kg = await npxParapet(['keygen', '--out', join(work, 'lead.key')], {});
  assert.equal(kg.code, 0, kg.out);
  await lea.page.goto(`${url}/probe`);
  const keys = lea.page.getByRole('form', { name: 'Register a signing key' });
  await keys.getByLabel('Key name').fill("Lea's laptop");
  await keys.getByLabel('Public key (contents of KEY.pub)').fill(await readFile(join(work, 'lead.key.pub'), 'utf8'));
  await withStepUp(lea.page, lea, () => keys.getByRole('button', { name: 'Register key' }).click(), lea.page.getByText(/Registered "Lea's laptop"/));
  await lea.page.getByRole('table', { name: 'Registered keys' }).getByText('lea@example.com').waitFor();

  // The starter scope the console shows, saved, signed offline and uploaded as a file.
  const template = JSON.parse((await lea.page.getByTestId('scope-template').textContent())!) as { tenant: string; id: string; include: string[] };
  assert.match(template.tenant, /^[0-9a-f-]{36}$/, 'the organisation id is filled in');
  assert.deepEqual(template.include, ['127.0.0.1/32']);
  await writeFile(join(work, 'scope.json'), JSON.stringify(template, null, 2));
  const signed = await npxParapet(['scope', 'sign', join(work, 'scope.json'), '--key', join(work, 'lead.key'), '--out', join(work, 'scope.dsse.json')], {});
  assert.equal(signed.code, 0, signed.out);
  const upload = lea.page.getByRole('form', { name: 'Upload a signed scope' });
  await upload.getByLabel('Signed scope file (SCOPE.dsse.json)').setInputFiles(join(work, 'scope.dsse.json'));
  await upload.getByRole('button', { name: 'Upload scope' }).click();
  await lea.page.getByText('Scope first-scope v1 uploaded').waitFor();
  await lea.page.getByRole('table', { name: 'Scopes' }).getByText('first-scope v1').waitFor();

  // A target outside the scope is refused before any scan exists; then one inside it.
  const req = lea.page.getByRole('form', { name: 'Request a scan' });
  await req.getByLabel(/^Targets/).fill('127.0.0.2');
  await req.getByLabel('Ports').fill('443');
  await req.getByRole('button', { name: 'Request scan' }).click();
  await lea.page.getByText(/127\.0\.0\.2/).filter({ hasText: /scope/ }).first().waitFor();
  await req.getByLabel(/^Targets/).fill('127.0.0.1');
  await req.getByLabel('Note for the approvers').fill('First scan of this machine.');
  await req.getByRole('button', { name: 'Request scan' }).click();
  const requested = lea.page.getByText(/Scan ([0-9a-f]{8}) requested; it waits for 2 approvals/);
  await requested.waitFor();
  const scanShort = /Scan ([0-9a-f]{8})/.exec((await requested.textContent())!)![1]!;
  await lea.page.getByRole('table', { name: 'Scans' }).getByText('Yours: others approve').waitFor();
  await screenshot(lea.page, 'first-hour-probe-requested');

  // Two approvers, each with a fresh MFA verification (the step-up dialog when theirs is older than the limit).
  for (const [who, after] of [[admin, 'requested'], [pat, 'queued']] as const) {
    await who.page.goto(`${url}/probe`);
    await withStepUp(who.page, who, () => who.page.getByRole('button', { name: `Approve scan ${scanShort}` }).click(), who.page.getByText(`Scan ${scanShort} approved; it is now ${after}.`));
  }
  const row = pat.page.getByRole('table', { name: 'Scans' }).getByRole('row').filter({ hasText: scanShort });
  // The notice comes with the API's answer; the table reloads just after it.
  await row.filter({ hasText: '2/2' }).waitFor();
  assert.match(await row.innerText(), /queued[\s\S]*2\/2 admin@example\.com, pat@example\.com/);
  await screenshot(pat.page, 'first-hour-probe-approved');
  assert.deepEqual(problems, []);
  t.diagnostic(`first hour walked in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
});
