// The X11 collector against a real X server (Xvfb), window manager (openbox) and X clients,
// with focus switched by xdotool, idle from the MIT screen saver extension and the screen saver
// activated by xset.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openX11Collector } from '../src/collector/x11.js';
import { detectSession, openCollector } from '../src/collector/detect.js';
import type { Collector } from '../src/collector/types.js';
import { missingX11Tools, sleep, startDesktop, type Desktop } from './xvfb.js';

const missing = missingX11Tools();
const skip = missing.length ? `needs ${missing.join(', ')} (Debian: xvfb openbox xdotool x11-utils x11-xserver-utils xterm)` : false;
let d: Desktop;
let c: Collector;
before(async () => {
  if (skip) return;
  d = await startDesktop();
  c = await openX11Collector({ display: d.display });
});
after(async () => {
  await c?.close();
  await d?.close();
});

test('the active window, its WM_CLASS, process and UTF-8 title follow focus switched through the window manager', { skip }, async () => {
  const term = await d.open('xterm', ['-T', 'Inbox – Jörg Müller <joerg@example.com>'], 'Inbox – Jörg Müller <joerg@example.com>');
  const msg = await d.open('xmessage', ['-name', 'parapet-msg', '-title', 'Build report', 'hello'], 'Build report');
  await d.activate(term);
  let s = await c.sample();
  assert.equal(s.window?.app, 'xterm');
  assert.equal(s.window?.process, 'xterm');
  assert.equal(s.window?.title, 'Inbox – Jörg Müller <joerg@example.com>');
  assert.ok(s.window?.pid && s.window.pid > 1);
  await d.activate(msg);
  s = await c.sample();
  assert.equal(s.window?.app, 'xmessage', 'WM_CLASS class, lower-cased');
  assert.equal(s.window?.title, 'Build report');
  await d.activate(term);
  assert.equal((await c.sample()).window?.app, 'xterm');
  assert.ok(c.info.notes.some((n) => /MIT-SCREEN-SAVER/.test(n)));
});

test('idle time grows without input and resets with input; an active screen saver counts as locked', { skip }, async () => {
  await d.input();
  const a = (await c.sample()).idleMs;
  await sleep(1200);
  const b = (await c.sample()).idleMs;
  assert.ok(b >= a + 1000, `idle grew from ${a} to ${b}`);
  await d.input();
  assert.ok((await c.sample()).idleMs < 500);
  assert.equal((await c.sample()).locked, false);
  await d.xset('s', 'activate');
  await sleep(200);
  assert.equal((await c.sample()).locked, true);
  await d.xset('s', 'reset');
  await sleep(200);
  assert.equal((await c.sample()).locked, false);
});

test('session detection: X11 records; Wayland and no display record nothing and say why', { skip }, async () => {
  assert.equal(detectSession({ DISPLAY: ':5', XDG_SESSION_TYPE: 'x11' }, 'linux').supported, true);
  const gnome = detectSession({ DISPLAY: ':0', WAYLAND_DISPLAY: 'wayland-0', XDG_SESSION_TYPE: 'wayland', XDG_CURRENT_DESKTOP: 'ubuntu:GNOME' }, 'linux');
  assert.deepEqual([gnome.session, gnome.supported], ['wayland-gnome', false]);
  assert.match(gnome.notes.join(' '), /Shell extension.*XWayland would only see X11 windows/s);
  assert.equal(detectSession({ WAYLAND_DISPLAY: 'wayland-1', XDG_CURRENT_DESKTOP: 'KDE' }, 'linux').session, 'wayland-kde');
  assert.equal(detectSession({ WAYLAND_DISPLAY: 'wayland-1', XDG_CURRENT_DESKTOP: 'sway' }, 'linux').session, 'wayland-wlroots');
  assert.equal(detectSession({}, 'linux').session, 'none');
  // On Wayland, even with an XWayland DISPLAY, the collector records nothing rather than X-only focus.
  const w = await openCollector({ DISPLAY: d.display, WAYLAND_DISPLAY: 'wayland-0', XDG_SESSION_TYPE: 'wayland', XDG_CURRENT_DESKTOP: 'GNOME' });
  assert.equal((await w.sample()).window, null);
  await w.close();
});
