// parapet-agent's Pulse commands as the real binary: rules test prints the exact upload form,
// controls validate before touching anything, a wrong store key is one sentence, the systemd
// unit verifies.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertOneSentence, runBin, type BinResult } from '@parapet/device-client/testing';

const bin = fileURLToPath(new URL('../bin/parapet-agent.js', import.meta.url));
const fixture = (f: string) => fileURLToPath(new URL(`./fixtures/${f}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pulse-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { PARAPET_AGENT_KEY_STORE: 'file' };
const run = (args: string[]) => runBin(bin, args, env);

function withStdin(args: string[], input: string): Promise<BinResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d));
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(input);
  });
}

test('rules test reads app<TAB>title lines and prints the category and exact upload form per line', async () => {
  const r = await withStdin(['rules', 'test', '--rules', fixture('rules.json')], readFileSync(fixture('titles.tsv'), 'utf8'));
  assert.equal(r.code, 0, r.stderr);
  const got = r.stdout.trimEnd().split('\n');
  assert.deepEqual(got, readFileSync(fixture('titles.expected.jsonl'), 'utf8').trimEnd().split('\n'));
  assert.deepEqual(Object.keys(JSON.parse(got[0]!).upload), ['app', 'category', 'domain']);
  const bad = await withStdin(['rules', 'test', '--rules', fixture('rules.json')], 'no tab here\n');
  assert.equal(bad.code, 2);
  assertOneSentence(bad, 'agent', /Line 1 has no tab between the app and the title\./);
  writeFileSync(join(dir, 'bad-rules.json'), JSON.stringify({ rules: [{ category: 'x', title: '([' }] }));
  assertOneSentence(await withStdin(['rules', 'test', '--rules', join(dir, 'bad-rules.json')], ''), 'agent', /Rule 1 in the policy has a title pattern that is not a valid regular expression/);
  assertOneSentence(await withStdin(['rules', 'test', '--rules', join(dir, 'nope.json')], ''), 'agent', /The rules file .*nope\.json cannot be read as JSON/);
});

test('controls: wrong input is a usage sentence (exit 2) and changes nothing; show reports the controls', async () => {
  const sd = join(dir, 'controls');
  for (const [args, re] of [
    [['pause', '--for', 'soon'], /The duration "soon" is not of a form like 30m, 1h or 1h30m\./],
    [['pause', '--for', '1h', '--until-resumed'], /Give either --for or --until-resumed, not both\./],
    [['hours', 'set', 'mon-fri', '09:00-17:30', '--tz', 'Mars/Olympus'], /The time zone "Mars\/Olympus" is not known/],
    [['hours', 'set', 'mon-fry', '09:00-17:30', '--tz', 'UTC'], /The days "mon-fry" are not a list like mon-fri/],
    [['exclude'], /Use: parapet-agent exclude APP\./],
    [['category', 'add', 'reading'], /Use: parapet-agent category add KEY/],
    [['show', '--bogus'], /Unknown option '--bogus'/],
  ] as Array<[string[], RegExp]>) {
    const r = await run([...args, '--state-dir', sd]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assertOneSentence(r, 'agent', re);
  }
  assert.equal(existsSync(join(sd, 'pulse.db')), false, 'nothing was created by refused commands');
  assert.equal((await run(['pause', '--for', '1h30m', '--state-dir', sd])).code, 0);
  assert.equal((await run(['exclude', 'KeePassXC', '--state-dir', sd])).code, 0);
  assert.equal((await run(['hours', 'set', 'mon-fri', '09:00-17:30', '--tz', 'Europe/Berlin', '--state-dir', sd])).code, 0);
  assert.equal((await run(['category', 'add', 'reading', '--app', 'evince', '--state-dir', sd])).code, 0);
  const show = await run(['show', '--state-dir', sd]);
  assert.match(show.stdout, /Paused until \d{4}-\d\d-\d\dT/);
  assert.match(show.stdout, /Excluded apps \(recorded as paused\): keepassxc\./);
  assert.match(show.stdout, /Working hours: mon,tue,wed,thu,fri 09:00-17:30 Europe\/Berlin/);
  assert.match(show.stdout, /Nothing is waiting to be sent\./);
  assert.equal((await run(['resume', '--state-dir', sd])).code, 0);
  assert.match((await run(['show', '--state-dir', sd])).stdout, /Recording \(not paused\)\./);
  assert.equal((await run(['category', 'list', '--state-dir', sd])).stdout.trim(), '{"category":"reading","app":"evince"}');
});

test('a store whose key file was replaced, or whose database is damaged, is one sentence and left as it is', async () => {
  const sd = join(dir, 'wrongkey');
  assert.equal((await run(['pause', '--state-dir', sd])).code, 0);
  const db = readFileSync(join(sd, 'pulse.db'));
  const other = join(dir, 'other');
  assert.equal((await run(['pause', '--state-dir', other])).code, 0);
  // Another device's key files: the key decrypts, but it is not this database's key.
  for (const f of ['store.key', 'store.key.kek']) writeFileSync(join(sd, f), readFileSync(join(other, f)));
  const r = await run(['show', '--state-dir', sd]);
  assertOneSentence(r, 'agent', /The local store .*pulse\.db cannot be opened with its key \(the key is wrong or the file is damaged\); it was left untouched\./);
  assert.deepEqual(readFileSync(join(sd, 'pulse.db')), db);
  const kek = readFileSync(join(sd, 'store.key.kek'));
  kek[0]! ^= 1;
  writeFileSync(join(sd, 'store.key.kek'), kek);
  assertOneSentence(await run(['show', '--state-dir', sd]), 'agent', /key cannot be read from its key store|cannot be decrypted/);
});

test('a device key that fell back to a file gives the local store its reason, not "requested"', async () => {
  // As enroll writes it on a host without an OS credential store (the README's Xvfb desktop).
  const state = (sd: string, keyStoreNote: string) => {
    mkdirSync(sd, { recursive: true });
    writeFileSync(join(sd, 'state.json'), JSON.stringify({ server: 'https://127.0.0.1:1', tenantId: 't', deviceId: 'd', keyid: 't.d', kind: 'agent', pins: ['a', 'b'], keyStore: 'file', keyStoreNote }));
  };
  const fell = join(dir, 'fell-back');
  state(fell, 'no OS credential store: AccessDenied');
  for (let i = 0; i < 2; i++) {
    const r = await runBin(bin, ['show', '--state-dir', fell], { PARAPET_AGENT_KEY_STORE: '' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /store\.key because no OS credential store was available \(no OS credential store: AccessDenied\)\./);
    assert.doesNotMatch(r.stdout + r.stderr, /requested/);
  }
  // Enrolled with --key-store file, it was asked for.
  const asked = join(dir, 'asked');
  state(asked, 'file store requested');
  const r = await runBin(bin, ['show', '--state-dir', asked], { PARAPET_AGENT_KEY_STORE: '' });
  assert.match(r.stdout + r.stderr, /store\.key because the file key store was requested\./);
});

test('one run per state dir: a live parapet-agent holding run.pid refuses a second run in one sentence; a dead holder or an unrelated process is taken over, and the lock is released', async () => {
  const sd = join(dir, 'locked');
  mkdirSync(sd, { recursive: true });
  const lock = join(sd, 'run.pid');
  // A live process whose command line names parapet-agent, as a recording agent's does.
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)', 'parapet-agent', 'run'], { stdio: 'ignore' });
  try {
    writeFileSync(lock, `${holder.pid}\n`);
    const r = await runBin(bin, ['run', '--no-upload', '--no-tray', '--state-dir', sd], { ...env, DISPLAY: ':987' });
    assert.equal(r.code, 1, r.stderr);
    assertOneSentence(r, 'agent', new RegExp(`Another parapet-agent run \\(pid ${holder.pid}\\) is recording into`));
    assert.equal(readFileSync(lock, 'utf8').trim(), String(holder.pid), 'the holder keeps its lock');
  } finally {
    holder.kill();
  }
  // A live process that is not an agent (a reused pid) and a pid that no longer runs are stale:
  // the run goes on (and here stops at the missing display), then removes the lock it took.
  const other = spawn('sleep', ['60'], { stdio: 'ignore' });
  const dead = spawnSync(process.execPath, ['-e', '0']).pid;
  try {
    for (const pid of [other.pid, dead]) {
      writeFileSync(lock, `${pid}\n`);
      const r = await runBin(bin, ['run', '--no-upload', '--no-tray', '--state-dir', sd], { ...env, DISPLAY: ':987' });
      assert.equal(r.code, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /Another parapet-agent run/);
      assert.match(r.stderr, /display/i);
      assert.equal(existsSync(lock), false, `the lock over pid ${pid} was taken over and released`);
    }
  } finally {
    other.kill();
  }
});

test('--help lists the Pulse commands after the device commands', async () => {
  const h = await run(['--help']);
  assert.equal(h.code, 0);
  for (const c of ['enroll --server URL', 'run [--idle-timeout SECONDS]', 'rules test [--rules FILE]', 'pause [--for 1h | --until-resumed]', 'hours set mon-fri 09:00-17:30 --tz Europe/Berlin', 'show [--today] [--pending]', 'page [--port N]']) assert.ok(h.stdout.includes(c), c);
  // After a command too: `run --help` was an unknown option, `enroll --help` left out the Pulse commands.
  for (const args of [['run', '--help'], ['hours', 'set', '-h'], ['enroll', '--help']]) {
    const r = await run(args);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, h.stdout, ''], args.join(' '));
  }
});

const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find(existsSync);
test('the systemd user unit verifies with systemd-analyze', { skip: analyze ? false : 'needs systemd-analyze (Debian systemd)' }, () => {
  const unit = fileURLToPath(new URL('../dist-files/parapet-agent.service', import.meta.url));
  const r = spawnSync(analyze!, ['verify', unit], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.trim(), '', r.stderr);
  assert.match(readFileSync(unit, 'utf8'), /^ExecStart=\/usr\/bin\/env parapet-agent run$/m);
});
