// The macOS / Windows collector (src/collector/desktop.ts). Its foreground part is x-win, whose
// Linux build runs here against a real X server (Xvfb, openbox, xterm/xmessage, focus switched
// with xdotool) and must agree with the agent's own X11 collector (ASCII titles: x-win's Linux
// build returns xterm's COMPOUND_TEXT WM_NAME undecoded, one reason Linux keeps its own collector). The OS calls for idle time and
// the lock screen (user32/kernel32, CoreGraphics/CoreFoundation) cannot run on Linux: their koffi
// declarations are parsed by the real koffi, and a stand-in library plays the OS behind them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { appIdOf, bundleIdFromPlist, desktopCollector, desktopInfo, macInputState, tickDiffMs, windowsInputState, xwinForeground, type InputState, type Koffi } from '../src/collector/desktop.js';
import { detectSession } from '../src/collector/detect.js';
import { openX11Collector } from '../src/collector/x11.js';
import type { Collector } from '../src/collector/types.js';
import { missingX11Tools, startDesktop, type Desktop } from './xvfb.js';

const realKoffi = createRequire(import.meta.url)('koffi') as Koffi & { proto(decl: string): unknown };
const missing = missingX11Tools();
const skip = missing.length ? `needs ${missing.join(', ')} (Debian: xvfb openbox xdotool x11-utils x11-xserver-utils xterm)` : false;
let d: Desktop;
let x11: Collector;
let savedDisplay: string | undefined;
before(async () => {
  if (skip) return;
  d = await startDesktop();
  x11 = await openX11Collector({ display: d.display });
  savedDisplay = process.env.DISPLAY;
  process.env.DISPLAY = d.display; // x-win opens $DISPLAY itself
});
after(async () => {
  if (savedDisplay === undefined) delete process.env.DISPLAY;
  else process.env.DISPLAY = savedDisplay;
  await x11?.close();
  await d?.close();
});

test('x-win follows focus switched through the window manager and agrees with the X11 collector', { skip }, async () => {
  const fg = xwinForeground('linux');
  const term = await d.open('xterm', ['-T', 'Quarterly plan - draft'], 'Quarterly plan - draft');
  // A second xterm with its own WM_CLASS class (x-win's Linux build needs _NET_WM_PID, which xmessage does not set).
  const notes = await d.open('xterm', ['-class', 'ParapetNotes', '-T', 'Build report'], 'Build report');
  const seen: string[] = [];
  for (const w of [term, notes, term]) {
    await d.activate(w);
    const [a, b] = [await fg.active(), (await x11.sample()).window];
    assert.ok(a && b, 'both see a focused window');
    assert.deepEqual({ app: a.app, title: a.title, pid: a.pid }, { app: b.app, title: b.title, pid: b.pid });
    seen.push(a.app);
  }
  assert.deepEqual(seen, ['xterm', 'parapetnotes', 'xterm']);
  const s = await desktopCollector(desktopInfo('linux'), fg, { idleMs: () => 1234, locked: () => false }).sample();
  assert.deepEqual([s.window?.app, s.idleMs, s.locked], ['xterm', 1234, false]);
});

test('a locked session reports no window and never asks for one; failing OS calls read as active and unlocked', async () => {
  let asked = 0;
  const fg = { active: async () => (asked++, { app: 'mail', title: 'Inbox' }) };
  const locked = await desktopCollector(desktopInfo('win32'), fg, { idleMs: () => 5, locked: () => true }).sample();
  assert.deepEqual([locked.window, locked.locked, asked], [null, true, 0]);
  const broken: InputState = { idleMs: () => { throw new Error('gone'); }, locked: () => { throw new Error('gone'); } };
  const s = await desktopCollector(desktopInfo('darwin'), fg, broken).sample();
  assert.deepEqual([s.window?.app, s.idleMs, s.locked, asked], ['mail', 0, false, 1]);
});

test('GetTickCount differences are right across the 49.7-day wrap', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (last, idle) => {
      const now = (last + idle) % 2 ** 32;
      assert.equal(tickDiffMs(now, last), idle);
    }),
  );
});

test('app ids: Windows exe name, macOS bundle id from Info.plist (executable name for a binary plist), X11 WM_CLASS', async () => {
  assert.equal(await appIdOf('win32', { processId: 1, path: 'C:\\Program Files\\Mozilla Firefox\\firefox.exe', name: 'Firefox', execName: 'firefox' }), 'firefox');
  assert.equal(await appIdOf('win32', { processId: 1, path: '', name: '', execName: 'Code.EXE' }), 'code');
  const dir = await mkdtemp(join(tmpdir(), 'parapet-app-'));
  try {
    const app = join(dir, 'Safari.app');
    await mkdir(join(app, 'Contents', 'MacOS'), { recursive: true });
    await writeFile(
      join(app, 'Contents', 'Info.plist'),
      '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict>\n<key>CFBundleName</key><string>Safari</string>\n<key>CFBundleIdentifier</key>\n\t<string>com.apple.Safari</string>\n</dict></plist>\n',
    );
    assert.equal(await appIdOf('darwin', { processId: 1, path: join(app, 'Contents/MacOS/Safari'), name: 'Safari', execName: 'Safari' }), 'com.apple.safari');
    const bin = join(dir, 'Tool.app');
    await mkdir(join(bin, 'Contents'), { recursive: true });
    await writeFile(join(bin, 'Contents', 'Info.plist'), Buffer.from('bplist00\xd1\x01\x02', 'latin1'));
    assert.equal(await appIdOf('darwin', { processId: 1, path: join(bin, 'Contents/MacOS/Tool'), name: 'Tool', execName: 'Tool' }), 'tool');
    assert.equal(await appIdOf('darwin', { processId: 1, path: '/usr/local/bin/kitty', name: 'kitty', execName: 'kitty' }), 'kitty');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  assert.equal(await appIdOf('linux', { processId: 1, path: '/usr/bin/xterm', name: 'XTerm', execName: 'xterm' }), 'xterm');
  assert.equal(bundleIdFromPlist('<key>CFBundleName</key><string>x</string>'), undefined);
});

/**
 * A stand-in for koffi's `load`: every declaration is parsed by the real koffi (so a typo in a
 * C prototype fails here), and the function is played by `impl[name]`.
 */
function osStandIn(impl: Record<string, (...a: any[]) => unknown>, loaded: string[]): Koffi {
  return {
    struct: (name, def) => assert.deepEqual([name, def], ['LASTINPUTINFO', { cbSize: 'uint32', dwTime: 'uint32' }]),
    load(path) {
      loaded.push(path);
      return {
        func(decl) {
          const proto = decl.replace(/LASTINPUTINFO/g, 'LASTINPUTINFO_T');
          realKoffi.proto(proto.replace(/(\w+)\(/, (_, n) => `${n}_${Math.random().toString(36).slice(2)}(`));
          const name = /(\w+)\(/.exec(decl)![1]!;
          const f = impl[name];
          if (!f) throw new Error(`${name} is not played by the stand-in`);
          return f;
        },
      };
    },
  };
}

test('Windows: idle from GetLastInputInfo and GetTickCount, locked when OpenInputDesktop fails', () => {
  realKoffi.struct('LASTINPUTINFO_T', { cbSize: 'uint32', dwTime: 'uint32' });
  const loaded: string[] = [];
  let lastInput = 2 ** 32 - 500; // input just before the tick counter wrapped
  let tick = 1500;
  let secure = false;
  let closed = 0;
  const s = windowsInputState(
    osStandIn(
      {
        GetLastInputInfo: (lii: { cbSize: number; dwTime: number }) => (assert.equal(lii.cbSize, 8), (lii.dwTime = lastInput), 1),
        GetTickCount: () => tick,
        OpenInputDesktop: () => (secure ? null : { handle: 1 }),
        CloseDesktop: () => (closed++, 1),
      },
      loaded,
    ),
  );
  assert.deepEqual(loaded, ['user32.dll', 'kernel32.dll']);
  assert.equal(s.idleMs(), 2000);
  lastInput = 1400;
  assert.equal(s.idleMs(), 100);
  tick = 1400;
  assert.equal(s.idleMs(), 0);
  assert.equal(s.locked(), false);
  assert.equal(closed, 1, 'the desktop handle is closed');
  secure = true;
  assert.equal(s.locked(), true);
});

test('macOS: idle from CGEventSourceSecondsSinceLastEventType, locked from the session dictionary, which is released', () => {
  const loaded: string[] = [];
  let dict: { CGSSessionScreenIsLocked?: boolean } | null = {};
  const released: unknown[] = [];
  let asked: unknown[] = [];
  const s = macInputState(
    osStandIn(
      {
        CGEventSourceSecondsSinceLastEventType: (state: number, type: number) => ((asked = [state, type]), 12.3456),
        CGSessionCopyCurrentDictionary: () => dict,
        CFStringCreateWithCString: (_a: null, str: string) => ({ cfstring: str }),
        CFDictionaryGetValue: (d: Record<string, boolean>, key: { cfstring: string }) => (key.cfstring in d ? { value: d[key.cfstring] } : null),
        CFBooleanGetValue: (b: { value: boolean }) => b.value,
        CFRelease: (x: unknown) => released.push(x),
      },
      loaded,
    ),
  );
  assert.equal(loaded.length, 2);
  assert.match(loaded[0]!, /CoreGraphics\.framework/);
  assert.equal(s.idleMs(), 12346);
  assert.deepEqual(asked, [0, 0xffffffff], 'combined session state, any input event');
  assert.equal(s.locked(), false);
  dict = { CGSSessionScreenIsLocked: true };
  assert.equal(s.locked(), true);
  assert.equal(released.length, 2, 'each session dictionary is released');
  dict = null;
  assert.equal(s.locked(), true, 'no GUI session (login window) records nothing');
});

test('session detection: macOS and Windows record, and say what they need', () => {
  const mac = detectSession({}, 'darwin');
  assert.deepEqual([mac.session, mac.supported], ['macos', true]);
  assert.match(mac.notes.join(' '), /Screen Recording permission/);
  const win = detectSession({}, 'win32');
  assert.deepEqual([win.session, win.supported], ['windows', true]);
  assert.match(win.notes.join(' '), /GetLastInputInfo/);
});
