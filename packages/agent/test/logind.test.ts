// Screen lock and suspend from logind. logind itself cannot run here (it needs systemd as PID 1),
// so a real dbus-daemon carries a stand-in org.freedesktop.login1 (test/dbus.ts) with logind's
// names and signatures; the agent's side (dbus-next, the watcher, the recorder, `run`) is real.
// The last test runs `parapet-agent run` under Xvfb with a session bus (tray) and a "system" bus
// (the stand-in), and checks what was recorded through lock, pause and resume.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type dbusNext from 'dbus-next';
import { runBin } from '@parapet/device-client/testing';
import { watchLogind } from '../src/collector/logind.js';
import { openX11Collector } from '../src/collector/x11.js';
import { Recorder } from '../src/recorder.js';
import { Store } from '../src/store.js';
import { ITEM_PATH } from '../src/tray.js';
import { missingDbus, startBus, startFakeLogind, startWatcher, until, type FakeLogind, type TestBus } from './dbus.js';
import { missingX11Tools, sleep, startDesktop, type Desktop } from './xvfb.js';

const missing = [...missingDbus(), ...missingX11Tools()];
const skip = missing.length ? `needs ${missing.join(', ')} (Debian: dbus xvfb openbox xdotool x11-utils xterm)` : false;
const root = mkdtempSync(join(tmpdir(), 'pulse-logind-'));
const bin = new URL('../bin/parapet-agent.js', import.meta.url).pathname;
let system: TestBus;
let session: TestBus;
let logind: FakeLogind;
let d: Desktop;

before(async () => {
  if (skip) return;
  system = await startBus();
  session = await startBus();
  logind = await startFakeLogind(system.address, '7');
  d = await startDesktop();
});
after(async () => {
  await logind?.close();
  await system?.close();
  await session?.close();
  await d?.close();
  rmSync(root, { recursive: true, force: true });
});

test('the watcher follows Lock/Unlock, LockedHint and PrepareForSleep of the session named by XDG_SESSION_ID', { skip }, async () => {
  const w = await watchLogind({ busAddress: system.address, sessionId: '7' });
  try {
    assert.equal(logind.asked.at(-1), 'id:7');
    assert.equal(w.locked, false);
    logind.emitLock();
    await until(() => w.locked, 'Lock');
    logind.emitUnlock();
    await until(() => !w.locked, 'Unlock');
    logind.setLockedHint(true);
    await until(() => w.locked, 'LockedHint true');
    logind.setLockedHint(false);
    await until(() => !w.locked, 'LockedHint false');
    logind.prepareForSleep(true);
    await until(() => w.locked, 'PrepareForSleep(true)');
    logind.prepareForSleep(false);
    await until(() => !w.locked, 'PrepareForSleep(false)');
  } finally {
    await w.close();
  }
  // Started while the session is already locked: the LockedHint property is read at start.
  logind.setLockedHint(true);
  const w2 = await watchLogind({ busAddress: system.address });
  try {
    assert.equal(logind.asked.at(-1), `pid:${process.pid}`, 'no session id: looked up by PID');
    assert.equal(w2.locked, true);
  } finally {
    logind.setLockedHint(false);
    await w2.close();
  }
});

test('an unknown session, a bus without logind and no bus at all are errors, not a silent "unlocked"', { skip }, async () => {
  await assert.rejects(watchLogind({ busAddress: system.address, sessionId: '99' }), (e: Error & { type?: string }) => e.type === 'org.freedesktop.login1.NoSuchSession');
  await assert.rejects(watchLogind({ busAddress: session.address, sessionId: '7' }), (e: Error & { type?: string }) => e.type === 'org.freedesktop.DBus.Error.ServiceUnknown');
  await assert.rejects(watchLogind({ busAddress: `unix:path=${join(root, 'none')}`, sessionId: '7' }), { message: `no system D-Bus at unix:path=${join(root, 'none')} (ENOENT)` });
});

test('the recorder ends the interval at a logind lock and records nothing until unlock (real X11 window focused throughout)', { skip }, async () => {
  const term = await d.open('xterm', ['-T', 'logind lock test'], 'logind lock test');
  await d.activate(term);
  const store = await Store.open({ dir: join(root, 'rec'), keyStore: 'file' });
  const collector = await openX11Collector({ display: d.display });
  const lock = await watchLogind({ busAddress: system.address, sessionId: '7' });
  const rec = new Recorder({ collector, store, pollMs: 100, saveEveryMs: 100, locks: [lock] });
  try {
    for (let i = 0; i < 5; i++) await rec.tick(), await sleep(100);
    const tLock = Date.now();
    logind.emitLock();
    await until(() => lock.locked, 'lock');
    assert.equal(rec.trayState(Date.now(), true), 'locked');
    for (let i = 0; i < 8; i++) await rec.tick(), await sleep(100);
    logind.emitUnlock();
    await until(() => !lock.locked, 'unlock');
    const tUnlock = Date.now();
    for (let i = 0; i < 5; i++) await rec.tick(), await sleep(100);
    await rec.stop();
    // A poll delayed past the pulse time (a loaded machine) may split either side in two; what
    // matters is that the intervals stop at the lock, resume after unlock and nothing lies between.
    const ivs = store.intervals(0, Infinity).filter((x) => x.app === 'xterm');
    const before = ivs.filter((x) => x.start < tLock);
    const after = ivs.filter((x) => x.start >= tLock);
    assert.ok(before.length >= 1 && after.length >= 1, JSON.stringify(ivs));
    for (const x of before) assert.ok(x.end <= tLock + 150, `an interval before the lock ends at it: ${JSON.stringify(ivs)}`);
    for (const x of after) assert.ok(x.start >= tUnlock - 150, `an interval after the lock starts after unlock: ${JSON.stringify(ivs)}`);
    assert.ok(Math.min(...after.map((x) => x.start)) - Math.max(...before.map((x) => x.end)) >= 700, 'nothing in between');
    // The tray also shows "locked" while the X screen saver is active (no logind lock).
    const rec2 = new Recorder({ collector, store, pollMs: 100, locks: [lock] });
    await rec2.tick();
    assert.equal(rec2.trayState(Date.now(), true), 'recording');
    await d.xset('s', 'activate');
    await sleep(200);
    await rec2.tick();
    assert.equal(rec2.trayState(Date.now(), true), 'locked');
    await d.xset('s', 'reset');
    await sleep(200);
    await rec2.tick();
    assert.equal(rec2.trayState(Date.now(), true), 'recording');
    await rec2.stop();
  } finally {
    await lock.close();
    await collector.close();
    store.close();
  }
});

test('parapet-agent run: the tray follows pause from its menu, resume from the CLI and a logind lock; show records the pause and a gap at the lock', { skip }, async () => {
  const sd = join(root, 'run');
  const env = { ...process.env, ...d.env, PARAPET_AGENT_KEY_STORE: 'file', DBUS_SESSION_BUS_ADDRESS: session.address, DBUS_SYSTEM_BUS_ADDRESS: system.address, XDG_SESSION_ID: '7' };
  const term = await d.open('xterm', ['-T', 'tray run test'], 'tray run test');
  await d.activate(term);
  const w = await startWatcher(session.address);
  const p: ChildProcess = spawn(process.execPath, [bin, 'run', '--no-upload', '--poll-ms', '200', '--state-dir', sd], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  p.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  try {
    await until(() => w.items.length === 1 && out.includes('Recording ('), `the agent's tray to register: ${out}`, 30_000);
    assert.match(out, /followed through logind \(session _37\)/);
    const obj = await w.bus.getProxyObject(w.items[0]!, ITEM_PATH);
    const props = obj.getInterface('org.freedesktop.DBus.Properties');
    const icon = async () => ((await props.Get!('org.kde.StatusNotifierItem', 'IconName')) as dbusNext.Variant).value as string;
    const menu = (await w.bus.getProxyObject(w.items[0]!, '/MenuBar')).getInterface('com.canonical.dbusmenu');
    await until(async () => (await icon()) === 'media-record', 'recording icon');
    await sleep(1500);
    await menu.Event!(1, 'clicked', new (await import('dbus-next')).default.Variant('s', ''), 0);
    await until(async () => (await icon()) === 'media-playback-pause', 'paused icon');
    await sleep(1500);
    const r = await runBin(bin, ['resume', '--state-dir', sd], env);
    assert.equal(r.code, 0, r.stderr);
    await until(async () => (await icon()) === 'media-record', 'recording icon after CLI resume');
    await sleep(1500);
    logind.emitLock();
    await until(async () => (await icon()) === 'system-lock-screen', 'locked icon');
    await sleep(1500);
    logind.emitUnlock();
    await until(async () => (await icon()) === 'media-record', 'recording icon after unlock');
    await sleep(1500);
  } finally {
    p.kill('SIGTERM');
    await new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)));
    w.bus.disconnect();
  }
  assert.match(out, /Stopped; the open interval was saved/);
  const show = await runBin(bin, ['show', '--json', '--state-dir', sd], env);
  assert.equal(show.code, 0, show.stderr);
  const ivs = (JSON.parse(show.stdout) as { intervals: Array<{ state: string; app: string | null; start: number; end: number }> }).intervals.sort((a, b) => a.start - b.start);
  assert.deepEqual(
    ivs.map((x) => [x.state, x.app]),
    [
      ['active', 'xterm'],
      ['paused', null],
      ['active', 'xterm'],
      ['active', 'xterm'],
    ],
    JSON.stringify(ivs),
  );
  assert.ok(ivs[3]!.start - ivs[2]!.end >= 1000, `a gap of at least the lock's 1.5 s: ${ivs[3]!.start - ivs[2]!.end} ms`);
});
