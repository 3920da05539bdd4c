/**
 * The tray icon (PULSE-CONTROL) on Linux desktops: a StatusNotifierItem (freedesktop / KDE
 * StatusNotifierItem specification) with a com.canonical.dbusmenu menu, spoken over the
 * session D-Bus with `dbus-next`. GNOME (with the AppIndicator extension), KDE Plasma, XFCE,
 * waybar and most panels host such items; no GTK or libappindicator is needed.
 *
 * The item shows whether the agent is recording or paused (icon, title, tool tip) and offers
 * Pause, Resume and "Show my data" (opens the local page). Pause and resume write the same
 * `pause` setting as the CLI, so the tray, the CLI and the recorder always agree.
 *
 * Registration: the item owns `org.kde.StatusNotifierItem-PID-1`, exports
 * `/StatusNotifierItem` and `/MenuBar`, and calls
 * `org.kde.StatusNotifierWatcher.RegisterStatusNotifierItem`; when no watcher runs yet (the
 * panel starts later or restarts) it registers as soon as one appears.
 */
import { closeBus } from './dbus.js';
import type { Store } from './store.js';

/** What the tray shows. */
export type TrayState = 'recording' | 'paused' | 'locked' | 'not-recording';

export interface TrayOptions {
  store: Store;
  /** D-Bus address of the session bus; default DBUS_SESSION_BUS_ADDRESS. */
  busAddress?: string | undefined;
  /** Opens the local page for "Show my data"; resolves to the URL opened. */
  showData: () => Promise<string>;
  /** Called after a menu action, e.g. to make the recorder re-read the controls at once. */
  onChange?: () => void;
  log?: (line: string) => void;
}

export interface Tray {
  /** The bus name the item owns (`org.kde.StatusNotifierItem-PID-1`). */
  readonly busName: string;
  /** True once a StatusNotifierWatcher accepted the item. */
  readonly registered: boolean;
  readonly state: TrayState;
  /** Shows a new state (emits NewIcon, NewTitle, NewToolTip, NewStatus and a menu LayoutUpdated when it changed). */
  setState(s: TrayState): void;
  close(): Promise<void>;
}

export const ITEM_PATH = '/StatusNotifierItem';
export const MENU_PATH = '/MenuBar';
const WATCHER = 'org.kde.StatusNotifierWatcher';

/** Menu item ids (dbusmenu ids; 0 is the root). */
export const MENU = { pause: 1, resume: 2, show: 3 } as const;

const ICONS: Record<TrayState, string> = { recording: 'media-record', paused: 'media-playback-pause', locked: 'system-lock-screen', 'not-recording': 'media-playback-stop' };
const TEXT: Record<TrayState, string> = {
  recording: 'Parapet Pulse: recording the foreground app',
  paused: 'Parapet Pulse: paused; this time is recorded only as paused',
  locked: 'Parapet Pulse: screen locked; nothing is recorded',
  'not-recording': 'Parapet Pulse: nothing is recorded on this session',
};

/**
 * Starts the tray item on the session bus.
 * @throws Error when the bus cannot be reached or the name cannot be owned (the caller logs it; the CLI keeps working).
 */
export async function startTray(o: TrayOptions): Promise<Tray> {
  // Loaded only here: a session without a bus never pays for the D-Bus library's memory.
  const dbus = (await import('dbus-next')).default;
  const { Interface } = dbus.interface;
  const { Variant } = dbus;
  const bus = dbus.sessionBus(o.busAddress ? { busAddress: o.busAddress } : {});
  const log = o.log ?? (() => {});
  let state: TrayState = 'recording';
  let revision = 1;
  let registered = false;
  let closed = false;

  const pause = () => {
    o.store.setSetting('pause', { since: Date.now(), until: null });
    o.onChange?.();
  };
  const resume = () => {
    o.store.setSetting('pause', undefined);
    o.onChange?.();
  };
  const showMyData = () => void o.showData().catch((e: Error) => log(`The local page could not be opened (${e.message}).`));

  class Item extends Interface {
    get Category() {
      return 'ApplicationStatus';
    }
    get Id() {
      return 'parapet-pulse';
    }
    get Title() {
      return TEXT[state];
    }
    get Status() {
      return 'Active';
    }
    get WindowId() {
      return 0;
    }
    get IconName() {
      return ICONS[state];
    }
    get IconPixmap() {
      return [];
    }
    get AttentionIconName() {
      return '';
    }
    get OverlayIconName() {
      return '';
    }
    get ToolTip() {
      return [ICONS[state], [], 'Parapet Pulse', TEXT[state]];
    }
    get ItemIsMenu() {
      return false;
    }
    get Menu() {
      return MENU_PATH;
    }
    Activate(_x: number, _y: number) {
      showMyData();
    }
    SecondaryActivate(_x: number, _y: number) {
      if (state === 'paused') resume();
      else pause();
    }
    ContextMenu(_x: number, _y: number) {}
    Scroll(_delta: number, _orientation: string) {}
    NewTitle() {}
    NewIcon() {}
    NewToolTip() {}
    NewStatus(s: string) {
      return s;
    }
  }
  const R = dbus.interface.ACCESS_READ;
  Item.configureMembers({
    properties: {
      Category: { signature: 's', access: R },
      Id: { signature: 's', access: R },
      Title: { signature: 's', access: R },
      Status: { signature: 's', access: R },
      WindowId: { signature: 'i', access: R },
      IconName: { signature: 's', access: R },
      IconPixmap: { signature: 'a(iiay)', access: R },
      AttentionIconName: { signature: 's', access: R },
      OverlayIconName: { signature: 's', access: R },
      ToolTip: { signature: '(sa(iiay)ss)', access: R },
      ItemIsMenu: { signature: 'b', access: R },
      Menu: { signature: 'o', access: R },
    },
    methods: {
      Activate: { inSignature: 'ii' },
      SecondaryActivate: { inSignature: 'ii' },
      ContextMenu: { inSignature: 'ii' },
      Scroll: { inSignature: 'is' },
    },
    signals: { NewTitle: { signature: '' }, NewIcon: { signature: '' }, NewToolTip: { signature: '' }, NewStatus: { signature: 's' } },
  });

  // dbusmenu layout: (id, properties, children as variants).
  type Layout = [number, Record<string, InstanceType<typeof Variant>>, InstanceType<typeof Variant>[]];
  const entry = (id: number): Layout => {
    const p: Record<string, InstanceType<typeof Variant>> = {};
    if (id === MENU.pause) Object.assign(p, { label: new Variant('s', 'Pause recording'), enabled: new Variant('b', state !== 'paused'), visible: new Variant('b', true) });
    if (id === MENU.resume) Object.assign(p, { label: new Variant('s', 'Resume recording'), enabled: new Variant('b', state === 'paused'), visible: new Variant('b', true) });
    if (id === MENU.show) Object.assign(p, { label: new Variant('s', 'Show my data'), enabled: new Variant('b', true), visible: new Variant('b', true) });
    return [id, p, []];
  };
  const root = (depth: number): Layout => [0, { 'children-display': new Variant('s', 'submenu') }, depth === 0 ? [] : [MENU.pause, MENU.resume, MENU.show].map((id) => new Variant('(ia{sv}av)', entry(id)))];
  const filter = (l: Layout, names: string[]): Layout => (names.length === 0 ? l : [l[0], Object.fromEntries(Object.entries(l[1]).filter(([k]) => names.includes(k))), l[2]]);
  const known = (id: number) => id === 0 || Object.values(MENU).includes(id as 1);

  class Menu extends Interface {
    get Version() {
      return 3;
    }
    get TextDirection() {
      return 'ltr';
    }
    get Status() {
      return 'normal';
    }
    get IconThemePath() {
      return [];
    }
    GetLayout(parent: number, depth: number, names: string[]) {
      if (!known(parent)) throw new dbus.DBusError('com.canonical.dbusmenu.Error.UnknownId', `No menu item ${parent}.`);
      return [revision, filter(parent === 0 ? root(depth) : entry(parent), names)];
    }
    GetGroupProperties(ids: number[], names: string[]) {
      return (ids.length ? ids : [0, ...Object.values(MENU)]).filter(known).map((id) => {
        const l = filter(id === 0 ? root(0) : entry(id), names);
        return [l[0], l[1]];
      });
    }
    GetProperty(id: number, name: string) {
      const v = (id === 0 ? root(0) : entry(id))[1][name];
      if (!known(id) || !v) throw new dbus.DBusError('com.canonical.dbusmenu.Error.UnknownProperty', `No property ${name} on menu item ${id}.`);
      return v;
    }
    Event(id: number, eventId: string, _data: unknown, _timestamp: number) {
      if (!known(id) || id === 0) throw new dbus.DBusError('com.canonical.dbusmenu.Error.UnknownId', `No menu item ${id}.`);
      if (eventId !== 'clicked') return; // hovered, opened, closed: nothing to do
      if (id === MENU.pause) pause();
      else if (id === MENU.resume) resume();
      else showMyData();
    }
    EventGroup(events: [number, string, unknown, number][]) {
      const bad: number[] = [];
      for (const [id, ev, data, ts] of events) {
        if (known(id) && id !== 0) this.Event(id, ev, data, ts);
        else bad.push(id);
      }
      return bad;
    }
    AboutToShow(_id: number) {
      return false;
    }
    AboutToShowGroup(_ids: number[]) {
      return [[], []];
    }
    LayoutUpdated(rev: number, parent: number) {
      return [rev, parent];
    }
    ItemsPropertiesUpdated(updated: unknown[], removed: unknown[]) {
      return [updated, removed];
    }
  }
  Menu.configureMembers({
    properties: {
      Version: { signature: 'u', access: R },
      TextDirection: { signature: 's', access: R },
      Status: { signature: 's', access: R },
      IconThemePath: { signature: 'as', access: R },
    },
    methods: {
      GetLayout: { inSignature: 'iias', outSignature: 'u(ia{sv}av)' },
      GetGroupProperties: { inSignature: 'aias', outSignature: 'a(ia{sv})' },
      GetProperty: { inSignature: 'is', outSignature: 'v' },
      Event: { inSignature: 'isvu' },
      EventGroup: { inSignature: 'a(isvu)', outSignature: 'ai' },
      AboutToShow: { inSignature: 'i', outSignature: 'b' },
      AboutToShowGroup: { inSignature: 'ai', outSignature: 'aiai' },
    },
    signals: { LayoutUpdated: { signature: 'ui' }, ItemsPropertiesUpdated: { signature: 'a(ia{sv})a(ias)' } },
  });

  const item = new Item('org.kde.StatusNotifierItem');
  const menu = new Menu('com.canonical.dbusmenu');
  const busName = `org.kde.StatusNotifierItem-${process.pid}-1`;
  bus.export(ITEM_PATH, item);
  bus.export(MENU_PATH, menu);
  // dbus-next reports a failed or lost connection as an 'error' event: a rejection while
  // starting, a log line afterwards (the CLI controls keep working without the tray).
  let failed: (e: Error) => void = () => {};
  bus.on('error', (e: Error) => {
    failed(e);
    if (!closed) log(`The tray icon lost the session bus (${e.message}).`);
  });
  try {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      bus.requestName(busName, 0x4 /* DBUS_NAME_FLAG_DO_NOT_QUEUE */),
      new Promise<never>((_, reject) => (failed = reject)),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the session bus did not answer within 5 s')), 5000))),
    ]).finally(() => clearTimeout(timer));
  } catch (e) {
    closed = true;
    closeBus(bus);
    throw e;
  }

  const register = async () => {
    try {
      const watcher = await bus.getProxyObject(WATCHER, '/StatusNotifierWatcher');
      await watcher.getInterface(WATCHER).RegisterStatusNotifierItem!(busName);
      registered = true;
      log('Tray icon registered with the panel.');
    } catch {
      registered = false; // No panel yet: register when a watcher appears (below).
    }
  };
  const dbusProxy = await bus.getProxyObject('org.freedesktop.DBus', '/org/freedesktop/DBus');
  const dbusIface = dbusProxy.getInterface('org.freedesktop.DBus');
  const onOwner = (name: string, _old: string, owner: string) => {
    if (name !== WATCHER || closed) return;
    if (owner) void register();
    else registered = false;
  };
  dbusIface.on('NameOwnerChanged', onOwner);
  await register();

  return {
    busName,
    get registered() {
      return registered;
    },
    get state() {
      return state;
    },
    setState(s: TrayState) {
      if (s === state || closed) return;
      state = s;
      revision++;
      item.NewIcon();
      item.NewTitle();
      item.NewToolTip();
      item.NewStatus('Active');
      menu.ItemsPropertiesUpdated(
        [MENU.pause, MENU.resume].map((id) => [id, { enabled: entry(id)[1].enabled }]),
        [],
      );
      menu.LayoutUpdated(revision, 0);
    },
    async close() {
      if (closed) return;
      closed = true;
      dbusIface.off('NameOwnerChanged', onOwner);
      closeBus(bus);
    },
  };
}

