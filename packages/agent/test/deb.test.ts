// The Debian package (scripts/package-deb.ts): built with dpkg-deb, its control fields and file
// list read back with dpkg-deb, then extracted with `dpkg-deb -x` into a temporary root and run
// from there: --version, enroll and status against a real server, and a short real `run` under
// Xvfb whose intervals arrive on the server, then its local page. apt-get --simulate accepts the
// package where Node 20 is a Debian package. /proc/PID/maps proves the SQLCipher addon came from
// the extracted package, not this checkout. The unit is verified by systemd-analyze at its
// installed path, in a private mount namespace where the package's /usr is overlaid on the host's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '@parapet/server/testing';
import { agentEnrolment } from './enrolment.js';
import { packageAgent, type AgentDeb } from '../scripts/package-deb.js';
import { AGENT_NODE_FLAGS, AGENT_VERSION } from '../scripts/bundle.js';
import { missingX11Tools, sleep, startDesktop, type Desktop } from './xvfb.js';

const checkout = new URL('../../../', import.meta.url).pathname;
const haveDpkgDev = ['dpkg-deb', 'dpkg-shlibdeps'].every((b) => existsSync(`/usr/bin/${b}`));
const skip = haveDpkgDev ? false : 'needs dpkg-deb and dpkg-shlibdeps (Debian dpkg-dev)';
const work = mkdtempSync(join(tmpdir(), 'parapet-agent-deb-test-'));
const root = join(work, 'root');
const installed = join(root, 'usr/bin/parapet-agent');
let deb: AgentDeb;
before(async () => {
  if (skip) return;
  deb = await packageAgent(join(work, 'out'));
  execFileSync('dpkg-deb', ['-x', deb.path, root]);
});
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs the extracted agent as an executable (its shebang picks node and the flags), cwd outside the checkout. */
function agent(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(installed, args, { cwd: work, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('control fields: the build architecture (native addons), nodejs 20 and the addons\' libraries', { skip }, () => {
  const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
  assert.equal(deb.path, join(work, 'out', `parapet-agent_${AGENT_VERSION}_${arch}.deb`));
  const field = (f: string) => execFileSync('dpkg-deb', ['-f', deb.path, f], { encoding: 'utf8' }).trim();
  assert.equal(field('Package'), 'parapet-agent');
  assert.equal(field('Version'), AGENT_VERSION);
  assert.equal(field('Architecture'), arch);
  const depends = field('Depends').split(/,\s*/);
  assert.deepEqual(depends.slice(0, 2), ['nodejs (>= 20)', 'nodejs (<< 21)']);
  // better_sqlite3.node needs libstdc++ and libc; the keyring addon libgcc_s (from dpkg-shlibdeps).
  for (const lib of ['libc6', 'libstdc++6', 'libgcc-s1']) assert.ok(depends.some((d) => d.startsWith(`${lib} (>= `)), `${lib} in ${depends.join(', ')}`);
  assert.ok(Number(field('Installed-Size')) > 1000, 'Installed-Size in KiB');
  // dpkg itself accepts the archive and its control file.
  assert.match(execFileSync('dpkg-deb', ['--info', deb.path], { encoding: 'utf8' }), /new Debian package, version 2\.0/);
});

test('reproducible: a second build of the same checkout gives the same bytes', { skip }, async () => {
  const again = await packageAgent(join(work, 'again'));
  const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
  assert.equal(sha(again.path), sha(deb.path));
});

test('file list: bundle, symlink, unit, the compiled addon but not its C sources, all owned by root', { skip }, () => {
  const lines = execFileSync('dpkg-deb', ['-c', deb.path], { encoding: 'utf8' }).trim().split('\n');
  const paths = lines.map((l) => l.split(/\s+/).slice(5).join(' '));
  const has = (p: string) => assert.ok(paths.some((x) => x === p || x.startsWith(`${p} `)), `${p} in the package`);
  has('./usr/bin/parapet-agent -> ../lib/parapet-agent/parapet-agent.mjs');
  has('./usr/lib/parapet-agent/parapet-agent.mjs');
  has('./usr/lib/parapet-agent/page/index.html');
  has('./usr/lib/systemd/user/parapet-agent.service');
  has('./usr/lib/parapet-agent/node_modules/better-sqlite3-multiple-ciphers/build/Release/better_sqlite3.node');
  has('./usr/lib/parapet-agent/node_modules/uplot/dist/uPlot.iife.min.js');
  has('./usr/share/doc/parapet-agent/copyright');
  has('./usr/share/doc/parapet-agent/changelog.gz');
  assert.match(lines.find((l) => l.endsWith('/better_sqlite3.node'))!, /^-rw-r--r-- /, 'a shared object, not an executable');
  assert.ok(!paths.some((p) => /\/\.(npmignore|travis\.yml)$/.test(p)), 'no dot files of the npm packages');
  assert.ok(paths.some((p) => /node_modules\/@napi-rs\/keyring-linux-[^/]+\/keyring\.linux-[^/]+\.node$/.test(p)), 'the platform keyring addon');
  for (const bad of [/better-sqlite3-multiple-ciphers\/(deps|src)\//, /\.ts$/, /prebuild-install/, /\/test_extension\.node$/]) {
    assert.ok(!paths.some((p) => bad.test(p) && !p.endsWith('.d.ts')), `nothing matching ${bad}`);
  }
  for (const l of lines) assert.match(l, /^\S+ root\/root /, l);
  assert.match(lines.find((l) => l.endsWith('/parapet-agent.mjs'))!, /^-rwxr-xr-x /);
  assert.equal(readlinkSync(installed), '../lib/parapet-agent/parapet-agent.mjs');
  const unit = readFileSync(join(root, 'usr/lib/systemd/user/parapet-agent.service'), 'utf8');
  assert.match(unit, /^ExecStart=\/usr\/bin\/parapet-agent run$/m);
  assert.equal(readFileSync(join(root, 'usr/lib/parapet-agent/parapet-agent.mjs'), 'utf8').split('\n')[0], `#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(' ')}`);
});

test('the extracted agent: --version with no V8 warning, a clear sentence when not enrolled', { skip }, async () => {
  const v = await agent(['--version']);
  assert.deepEqual([v.code, v.stdout, v.stderr], [0, `${AGENT_VERSION}\n`, '']);
  const s = await agent(['status', '--state-dir', join(work, 'nobody')]);
  assert.equal(s.code, 1);
  assert.match(s.stderr, /^parapet-agent: This agent is not enrolled yet .*\.\n$/);
});

// Debian's package checker: no errors and no warnings beyond the two this layout means (the
// agent's manual is docs/agent.md and --help; `env -S` carries the V8 flags in the shebang).
const lintian = ['/usr/bin/lintian'].find(existsSync);
test('lintian finds nothing beyond the two known warnings', { skip: skip || (lintian ? false : 'needs lintian') }, () => {
  const r = spawnSync(lintian!, ['--fail-on', 'error,warning', '--suppress-tags', 'no-manual-page,unusual-interpreter', deb.path], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /^[EW]: /m, r.stdout);
});

// Where Node 20 is a Debian package (here NodeSource's nodejs), apt resolves every dependency.
const nodePkg = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'nodejs'], { encoding: 'utf8' });
const aptSkip = skip || (nodePkg.status !== 0 || !/^20\./.test(nodePkg.stdout) ? 'needs the Debian package nodejs 20.x installed' : false);
test('apt accepts the package: its dependencies are satisfied by this system (simulated install)', { skip: aptSkip }, () => {
  const r = spawnSync('apt-get', ['install', '--simulate', '--no-install-recommends', deb.path], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^Inst parapet-agent \\(${AGENT_VERSION.replace(/\./g, '\\.')} `, 'm'));
  assert.doesNotMatch(r.stdout, /^Inst (?!parapet-agent )/m, 'nothing else needs installing');
});

const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find(existsSync);
const unshare = ['/usr/bin/unshare', '/bin/unshare'].find(existsSync);
const nsSkip = skip || (!analyze ? 'needs systemd-analyze (Debian systemd)' : !unshare ? 'needs unshare (util-linux)' : process.getuid?.() !== 0 ? 'needs root for a private mount namespace' : false);
test('systemd-analyze verifies the unit at its installed path with the package overlaid on /usr', { skip: nsSkip }, () => {
  // Only this private mount namespace sees the package; the host's /usr is untouched.
  const script = `set -e; mount -t overlay overlay -o lowerdir="$1/usr":/usr /usr; test -x /usr/bin/parapet-agent; exec ${analyze} verify /usr/lib/systemd/user/parapet-agent.service`;
  const r = spawnSync(unshare!, ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', root], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.trim(), '', r.stderr);
  assert.ok(!existsSync('/usr/lib/systemd/user/parapet-agent.service') || readFileSync('/usr/lib/systemd/user/parapet-agent.service', 'utf8') !== readFileSync(join(root, 'usr/lib/systemd/user/parapet-agent.service'), 'utf8'), 'the host was not changed');
});

const x11Missing = missingX11Tools();
const runSkip = skip || (x11Missing.length ? `needs ${x11Missing.join(', ')}` : false);
let s: TestServer | undefined;
let d: Desktop | undefined;
after(async () => {
  await d?.close();
  await s?.close();
});

test('the extracted agent enrolls, reports status and records real X11 windows that arrive on the server', { skip: runSkip }, async () => {
  s = await startTestServer();
  d = await startDesktop();
  const { token, caFile, tenantId } = await agentEnrolment(s, work);
  const sd = join(work, 'state');
  const env = { ...d.env, PARAPET_AGENT_KEY_STORE: 'file' };
  const e = await agent(['enroll', '--server', s.url, '--token', token, '--ca', caFile, '--state-dir', sd, '--key-store', 'file'], env);
  assert.equal(e.code, 0, e.stderr);
  const st = await agent(['status', '--json', '--state-dir', sd], env);
  assert.equal(st.code, 0, st.stderr);
  const status = JSON.parse(st.stdout) as { enrolled: boolean; kind: string; server: string; tenant_id: string };
  assert.deepEqual([status.enrolled, status.kind, status.server, status.tenant_id], [true, 'agent', s.url, tenantId]);

  const term = await d.open('xterm', ['-T', 'Review – bob@example.com – https://git.example.org/pr/12'], 'Review – bob@example.com – https://git.example.org/pr/12');
  const msg = await d.open('xmessage', ['-title', 'Build 4711 done', 'x'], 'Build 4711 done');
  await d.activate(term);
  const p = spawn(installed, ['run', '--state-dir', sd, '--upload-every', '1000', '--no-tray'], { cwd: work, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (b: Buffer) => (out += b.toString()));
  p.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => p.once('exit', r));
  for (let i = 0; i < 300 && !out.includes('Recording ('); i++) await sleep(50);
  assert.match(out, /Recording \(/);
  // The process is node with the shebang's flags, and its SQLCipher addon is the packaged one.
  const cmdline = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0');
  for (const f of AGENT_NODE_FLAGS) assert.ok(cmdline.includes(f), `${f} in ${cmdline.join(' ')}`);
  const maps = readFileSync(`/proc/${p.pid}/maps`, 'utf8');
  assert.ok(maps.includes(join(root, 'usr/lib/parapet-agent/node_modules/better-sqlite3-multiple-ciphers/build/Release/better_sqlite3.node')), 'addon mapped from the extracted package');
  assert.ok(!maps.includes(checkout), 'nothing mapped from the checkout');
  for (const w of [term, msg, term]) {
    await d.activate(w);
    for (let i = 0; i < 5; i++) (await d.input(), await sleep(500));
  }
  p.kill('SIGTERM');
  assert.equal(await exited, 0, out);
  assert.doesNotMatch(out, /Warning|Error/, out);
  const up = await agent(['upload', '--state-dir', sd], env);
  assert.equal(up.code, 0, up.stderr);

  const show = await agent(['show', '--json', '--state-dir', sd], env);
  assert.equal(show.code, 0, show.stderr);
  assert.doesNotMatch(show.stdout, /bob@|4711|pr\/12/);
  const j = JSON.parse(show.stdout) as { intervals: Array<{ id: string; app: string | null; domain: string | null; uploaded: boolean }> };
  const seq = j.intervals.map((i) => i.app).filter((x, k, a) => x !== a[k - 1]);
  assert.deepEqual(seq, ['xterm', 'xmessage', 'xterm'], JSON.stringify(j.intervals));
  assert.ok(j.intervals.every((i) => i.uploaded));
  assert.ok(j.intervals.filter((i) => i.app === 'xterm').every((i) => i.domain === 'example.org'));
  const rows = await s.asAdmin(async (q) => (await q.query<{ id: string }>(`SELECT id::text FROM pulse_intervals WHERE tenant_id = $1`, [tenantId])).rows.map((r) => r.id));
  assert.deepEqual(rows.sort(), j.intervals.map((i) => i.id).sort());
  // The local page from the package: its own assets and uPlot from the package's node_modules.
  const pg = spawn(installed, ['page', '--port', '0', '--state-dir', sd], { cwd: work, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let pout = '';
    pg.stdout.on('data', (b: Buffer) => (pout += b.toString()));
    pg.stderr.on('data', (b: Buffer) => (pout += b.toString()));
    for (let i = 0; i < 300 && !/Local page: (\S+)/.test(pout); i++) await sleep(50);
    const url = new URL(/Local page: (\S+)/.exec(pout)?.[1] ?? assert.fail(pout));
    const token = url.searchParams.get('token')!;
    const get = async (path: string) => {
      const r = await fetch(new URL(path, url), { headers: { 'x-parapet-token': token } });
      return { status: r.status, body: await r.text() };
    };
    const html = await get('/');
    assert.equal(html.status, 200);
    assert.equal(html.body, readFileSync(join(root, 'usr/lib/parapet-agent/page/index.html'), 'utf8'));
    const uplot = await get('/assets/uPlot.iife.min.js');
    assert.equal(uplot.status, 200);
    assert.equal(uplot.body, readFileSync(join(root, 'usr/lib/parapet-agent/node_modules/uplot/dist/uPlot.iife.min.js'), 'utf8'));
    const day = await get('/api/day');
    assert.equal(day.status, 200);
    assert.deepEqual((JSON.parse(day.body) as { intervals: Array<{ id: string }> }).intervals.map((i) => i.id).sort(), j.intervals.map((i) => i.id).sort());
  } finally {
    pg.kill('SIGTERM');
  }
});
