/**
 * Rebuilding the console while the server runs (`npm run build -w @parapet/console`): Vite
 * empties dist and writes index.html and assets under new hashed names. The running server must
 * serve the new index.html and its assets at once, with no restart: a browser that reloads gets
 * the new page, not an index naming assets that no longer exist (a blank page).
 *
 * The server serves a copy of the checkout's build (StartOptions.consoleDist), so the test can
 * rebuild it without touching the dist other console tests load. The rebuild is done as Vite
 * does it, on the files: every asset gets new content and a new hashed name, the old files are
 * deleted, index.html names the new ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSOLE_DIST, ensureConsoleBuilt } from '@parapet/server/console/build';
import { consoleSuite } from './fixtures.js';

const dist = join(tmpdir(), `parapet-console-rebuild-${process.pid}-${randomBytes(4).toString('hex')}`);

const suite = consoleSuite({
  start: { consoleDist: dist },
  prepare: async () => {
    await ensureConsoleBuilt();
    await cp(CONSOLE_DIST, dist, { recursive: true });
  },
  teardown: () => rm(dist, { recursive: true, force: true }),
});

/** The /assets/ paths an index.html names (script src, stylesheet href). */
const assetsOf = (html: string) => [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);

/**
 * Rebuilds `dir` as `vite build` with emptyOutDir would after a source change: each asset gets
 * new content (the JS marks the page with data-build=`n`) and a new content-hashed name, every
 * reference to an old name is rewritten, the old files are gone. Returns the new asset names.
 */
async function rebuild(dir: string, n: number): Promise<string[]> {
  const before = await readdir(join(dir, 'assets'));
  const body = new Map<string, string>();
  const renamed = new Map<string, string>();
  for (const name of before) {
    let text = await readFile(join(dir, 'assets', name), 'utf8');
    if (name.endsWith('.js')) text += `\ndocument.documentElement.dataset.build = '${n}';\n`;
    if (name.endsWith('.css')) text += `\n/* build ${n} */\n`;
    const hash = createHash('sha256').update(text).digest('base64url').slice(0, 8);
    const next = name.replace(/-[A-Za-z0-9_-]{8}\.(\w+)$/, `-${hash}.$1`);
    assert.notEqual(next, name, `Vite's name-hash.ext for ${name}`);
    body.set(name, text);
    renamed.set(name, next);
  }
  const rewrite = (text: string) => [...renamed].reduce((t, [a, b]) => t.replaceAll(a, b), text);
  const index = rewrite(await readFile(join(dir, 'index.html'), 'utf8'));
  // emptyOutDir: the whole old build goes first, then the new files are written.
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'assets'), { recursive: true });
  for (const [name, text] of body) await writeFile(join(dir, 'assets', renamed.get(name)!), rewrite(text));
  await writeFile(join(dir, 'index.html'), index);
  return [...renamed.values()];
}

test('after a rebuild the running server serves the new index.html and its new assets (no-cache page, immutable assets); the old assets are gone', { skip: suite.skip }, async () => {
  const client = suite.s.client();
  const html = { accept: 'text/html' };
  const first = await client.get('/', html);
  assert.equal(first.status, 200);
  assert.equal(first.headers['cache-control'], 'no-cache');
  const oldAssets = assetsOf(first.text);
  assert.ok(oldAssets.some((a) => a.endsWith('.js')) && oldAssets.some((a) => a.endsWith('.css')), first.text);
  for (const a of oldAssets) assert.equal((await client.get(a)).status, 200, a);

  const names = await rebuild(dist, 3);

  for (const path of ['/', '/people']) {
    const page = await client.get(path, html);
    assert.equal(page.status, 200, path);
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.deepEqual(assetsOf(page.text).sort(), names.map((n) => `/assets/${n}`).sort(), `${path} names the new build's assets`);
  }
  for (const n of names) {
    const r = await client.get(`/assets/${n}`);
    assert.equal(r.status, 200, n);
    assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable');
    if (n.endsWith('.js')) assert.match(r.text, /dataset\.build = '3'/);
  }
  for (const a of oldAssets) {
    const r = await client.get(a);
    assert.equal(r.status, 404, a);
    assert.equal(r.json.code, 'not_found');
  }

  // While a build has emptied dist and not yet written index.html, pages answer 503 (a
  // problem naming the cause), and once it is written again they are served.
  await rename(join(dist, 'index.html'), join(dist, 'index.html.pending'));
  const during = await client.get('/', html);
  assert.equal(during.status, 503);
  assert.equal(during.json.code, 'console_unavailable');
  await rename(join(dist, 'index.html.pending'), join(dist, 'index.html'));
  assert.equal((await client.get('/', html)).status, 200);
});

test('Chromium: a page open during a rebuild reloads into the new build, not a blank page', { skip: suite.skip }, async () => {
  const { page, problems } = await suite.tab();
  await page.goto(`${suite.s.url}/sign-in`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();

  const names = await rebuild(dist, 4);
  const assetStatus = new Map<string, number>();
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/assets/')) assetStatus.set(path, r.status());
  });
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.evaluate<string | undefined>('document.documentElement.dataset.build'), '4', 'the new build ran');
  assert.deepEqual([...assetStatus.keys()].sort(), names.map((n) => `/assets/${n}`).sort());
  assert.deepEqual([...assetStatus.values()], names.map(() => 200));
  assert.deepEqual(problems, []);
});
