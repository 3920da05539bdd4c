// The tray icon (StatusNotifierItem + com.canonical.dbusmenu) against a real dbus-daemon: the
// test plays the panel, owning org.kde.StatusNotifierWatcher, reading the item's properties and
// menu layout and clicking menu entries through D-Bus exactly as a host does. The store is the
// real SQLCipher store and "Show my data" opens the real local page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dbusNext from 'dbus-next';
import { readControls } from '../src/control.js';
import { startLocalPage, type LocalPage } from '../src/page.js';
import { Store } from '../src/store.js';
import { MENU, ITEM_PATH, MENU_PATH, startTray, type Tray } from '../src/tray.js';
import { missingDbus, startBus, startWatcher, until, type TestBus } from './dbus.js';

const missing = missingDbus();
const skip = missing.length ? 'needs dbus-daemon (Debian: dbus)' : false;
const root = mkdtempSync(join(tmpdir(), 'pulse-tray-'));
let bus: TestBus;
let store: Store;
let page: LocalPage | undefined;
const opened: string[] = [];

before(async () => {
  if (skip) return;
  bus = await startBus();
  store = await Store.open({ dir: join(root, 's'), keyStore: 'file' });
});
after(async () => {
  await page?.close();
  store?.close();
  await bus?.close();
  rmSync(root, { recursive: true, force: true });
});

async function host(b: dbusNext.MessageBus, service: string) {
  const itemObj = await b.getProxyObject(service, ITEM_PATH);
  const props = itemObj.getInterface('org.freedesktop.DBus.Properties');
  const item = itemObj.getInterface('org.kde.StatusNotifierItem');
  const get = async (name: string) => ((await props.Get!('org.kde.StatusNotifierItem', name)) as dbusNext.Variant).value as unknown;
  const menuPath = (await get('Menu')) as string;
  const menu = (await b.getProxyObject(service, menuPath)).getInterface('com.canonical.dbusmenu');
  const click = (id: number) => menu.Event!(id, 'clicked', new dbusNext.Variant('s', ''), 0);
  return { item, get, menu, menuPath, click };
}

const showData = async () => {
  page ??= await startLocalPage(store);
  opened.push(page.url);
  return page.url;
};

test('the item registers with the panel, shows recording, and its menu pauses, resumes and shows my data through the store', { skip }, async () => {
  const w = await startWatcher(bus.address);
  let changes = 0;
  const tray: Tray = await startTray({ store, busAddress: bus.address, showData, onChange: () => changes++ });
  try {
    assert.equal(tray.registered, true);
    assert.deepEqual(w.items, [tray.busName]);
    assert.match(tray.busName, new RegExp(`^org\\.kde\\.StatusNotifierItem-${process.pid}-1$`));
    const h = await host(w.bus, w.items[0]!);
    assert.equal(h.menuPath, MENU_PATH);
    assert.equal(await h.get('Id'), 'parapet-pulse');
    assert.equal(await h.get('Category'), 'ApplicationStatus');
    assert.equal(await h.get('Status'), 'Active');
    assert.equal(await h.get('IconName'), 'media-record');
    assert.match((await h.get('Title')) as string, /recording/);
    const tip = (await h.get('ToolTip')) as [string, unknown[], string, string];
    assert.equal(tip[2], 'Parapet Pulse');
    assert.match(tip[3], /recording/);

    // The menu as a panel reads it: three entries under the root, labels and enabled flags.
    const [rev, layout] = (await h.menu.GetLayout!(0, -1, [])) as [number, [number, Record<string, dbusNext.Variant>, dbusNext.Variant[]]];
    assert.ok(rev >= 1);
    assert.equal(layout[0], 0);
    const entries = layout[2].map((v) => v.value as [number, Record<string, dbusNext.Variant>, unknown[]]);
    assert.deepEqual(entries.map((e) => [e[0], e[1].label!.value, e[1].enabled!.value]), [
      [MENU.pause, 'Pause recording', true],
      [MENU.resume, 'Resume recording', false],
      [MENU.show, 'Show my data', true],
    ]);
    assert.equal(((await h.menu.GetProperty!(MENU.show, 'label')) as dbusNext.Variant).value, 'Show my data');

    // Pause: the same setting the CLI writes; the agent re-reads its controls at once.
    assert.equal(readControls(store).pause, null);
    const signals: string[] = [];
    h.item.on('NewIcon', () => signals.push('NewIcon'));
    h.item.on('NewToolTip', () => signals.push('NewToolTip'));
    h.menu.on('LayoutUpdated', () => signals.push('LayoutUpdated'));
    await h.click(MENU.pause);
    const p = readControls(store).pause;
    assert.ok(p && p.until === null && Math.abs(p.since - Date.now()) < 5000, 'paused until resumed');
    assert.equal(changes, 1);
    tray.setState('paused');
    await until(() => signals.includes('NewIcon') && signals.includes('NewToolTip') && signals.includes('LayoutUpdated'), 'change signals');
    assert.equal(await h.get('IconName'), 'media-playback-pause');
    assert.match((await h.get('Title')) as string, /paused/);
    const after = (await h.menu.GetGroupProperties!([MENU.pause, MENU.resume], ['enabled'])) as [number, Record<string, dbusNext.Variant>][];
    assert.deepEqual(after.map(([id, p]) => [id, p.enabled!.value, Object.keys(p)]), [
      [MENU.pause, false, ['enabled']],
      [MENU.resume, true, ['enabled']],
    ]);

    await h.click(MENU.resume);
    assert.equal(readControls(store).pause, null);
    assert.equal(changes, 2);

    // Middle click (SecondaryActivate) toggles pause; a left click (Activate) shows my data.
    tray.setState('recording');
    await h.item.SecondaryActivate!(0, 0);
    assert.ok(readControls(store).pause);
    tray.setState('paused');
    await h.item.SecondaryActivate!(0, 0);
    assert.equal(readControls(store).pause, null);

    await h.click(MENU.show);
    await until(() => opened.length === 1, 'the page to open');
    const res = await fetch(opened[0]!);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /<html/i);
    await h.item.Activate!(10, 10);
    await until(() => opened.length === 2, 'the page to open again');
    assert.equal(opened[1], opened[0], 'one page per agent');

    // An unknown menu entry is a D-Bus error, not a crash.
    await assert.rejects(h.click(99), (e: Error & { type?: string }) => e.type === 'com.canonical.dbusmenu.Error.UnknownId');
    await assert.rejects(h.menu.GetLayout!(42, -1, []), (e: Error & { type?: string }) => e.type === 'com.canonical.dbusmenu.Error.UnknownId');
  } finally {
    await tray.close();
    w.bus.disconnect();
  }
});

test('with no panel running the item waits, and registers as soon as a StatusNotifierWatcher appears', { skip }, async () => {
  const tray = await startTray({ store, busAddress: bus.address, showData });
  try {
    assert.equal(tray.registered, false);
    const w = await startWatcher(bus.address);
    try {
      await until(() => tray.registered, 'registration');
      assert.deepEqual(w.items, [tray.busName]);
      const h = await host(w.bus, tray.busName);
      assert.equal(await h.get('IconName'), 'media-record');
    } finally {
      w.bus.disconnect();
    }
    // The panel goes away (restart): the item notices.
    await until(() => !tray.registered, 'the watcher to go away');
  } finally {
    await tray.close();
  }
});

test('an unreachable session bus is one error, which run turns into a sentence (the CLI keeps working)', { skip }, async () => {
  await assert.rejects(startTray({ store, busAddress: `unix:path=${join(root, 'no-bus')}`, showData }));
  // A socket that accepts and never speaks D-Bus: `run` must not hang on it.
  const silent = createServer(() => undefined);
  const path = join(root, 'silent-bus');
  await new Promise<void>((r) => silent.listen(path, r));
  try {
    await assert.rejects(startTray({ store, busAddress: `unix:path=${path}`, showData }), /did not answer within 5 s/);
  } finally {
    silent.close();
  }
});
