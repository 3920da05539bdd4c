/**
 * A private D-Bus daemon for tests (Debian package `dbus`): `dbus-daemon --session` on a fresh
 * socket, so tests talk to a real bus daemon without touching any bus of the machine. It
 * stands in for the session bus (tray) and, with a test process owning org.freedesktop.login1,
 * for the system bus (logind cannot run here: it needs systemd as PID 1).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

export const missingDbus = (): string[] => (['/usr/bin/dbus-daemon', '/bin/dbus-daemon'].some((p) => existsSync(p)) ? [] : ['dbus-daemon']);

export interface TestBus {
  address: string;
  close(): Promise<void>;
}

export async function startBus(): Promise<TestBus> {
  const p: ChildProcess = spawn('dbus-daemon', ['--session', '--nofork', '--nopidfile', '--print-address=1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const address = await new Promise<string>((resolve, reject) => {
    let buf = '';
    p.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(buf.split('\n')[0]!.trim());
    });
    p.once('exit', (c) => reject(new Error(`dbus-daemon exited ${c}`)));
  });
  return {
    address,
    close: async () => {
      if (p.exitCode !== null) return;
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    },
  };
}

/** Waits until `f()` is truthy (polling every 25 ms) or throws after `ms`. */
export async function until<T>(f: () => T | Promise<T>, what: string, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A stand-in for systemd-logind on a test bus: owns org.freedesktop.login1 and exports the
 * Manager (GetSession, GetSessionByPID, PrepareForSleep) and one Session (LockedHint, Lock,
 * Unlock) with the names and signatures of logind's D-Bus API (org.freedesktop.login1(5)).
 */
export interface FakeLogind {
  sessionPath: string;
  /** What a `loginctl lock-session` does: emits Session.Lock (the locker then sets LockedHint). */
  emitLock(): void;
  emitUnlock(): void;
  /** What a locker does with SetLockedHint: the property changes (PropertiesChanged). */
  setLockedHint(v: boolean): void;
  prepareForSleep(start: boolean): void;
  /** Session ids / PIDs the agent asked about. */
  asked: string[];
  close(): Promise<void>;
}

export async function startFakeLogind(address: string, sessionId = '7'): Promise<FakeLogind> {
  const dbus = (await import('dbus-next')).default;
  const { Interface } = dbus.interface;
  const bus = dbus.sessionBus({ busAddress: address });
  const sessionPath = `/org/freedesktop/login1/session/_3${sessionId}`;
  const asked: string[] = [];
  class Manager extends Interface {
    GetSession(id: string) {
      asked.push(`id:${id}`);
      if (id !== sessionId) throw new dbus.DBusError('org.freedesktop.login1.NoSuchSession', `No session '${id}' known`);
      return sessionPath;
    }
    GetSessionByPID(pid: number) {
      asked.push(`pid:${pid}`);
      return sessionPath;
    }
    PrepareForSleep(start: boolean) {
      return start;
    }
  }
  Manager.configureMembers({
    methods: { GetSession: { inSignature: 's', outSignature: 'o' }, GetSessionByPID: { inSignature: 'u', outSignature: 'o' } },
    signals: { PrepareForSleep: { signature: 'b' } },
  });
  let hint = false;
  class Session extends Interface {
    get LockedHint() {
      return hint;
    }
    Lock() {}
    Unlock() {}
  }
  Session.configureMembers({
    properties: { LockedHint: { signature: 'b', access: dbus.interface.ACCESS_READ } },
    signals: { Lock: { signature: '' }, Unlock: { signature: '' } },
  });
  const manager = new Manager('org.freedesktop.login1.Manager');
  const session = new Session('org.freedesktop.login1.Session');
  bus.export('/org/freedesktop/login1', manager);
  bus.export(sessionPath, session);
  await bus.requestName('org.freedesktop.login1', 0x4);
  return {
    sessionPath,
    asked,
    emitLock: () => session.Lock(),
    emitUnlock: () => session.Unlock(),
    setLockedHint: (v: boolean) => {
      hint = v;
      Interface.emitPropertiesChanged(session, { LockedHint: v }, []);
    },
    prepareForSleep: (s: boolean) => manager.PrepareForSleep(s),
    close: async () => bus.disconnect(),
  };
}

/** The panel side: a StatusNotifierWatcher that records what registers with it. */
export async function startWatcher(address: string) {
  const dbusNext = (await import('dbus-next')).default;
  const { Interface } = dbusNext.interface;
  const b = dbusNext.sessionBus({ busAddress: address });
  const items: string[] = [];
  class Watcher extends Interface {
    RegisterStatusNotifierItem(service: string) {
      items.push(service);
    }
    get RegisteredStatusNotifierItems() {
      return items;
    }
    get IsStatusNotifierHostRegistered() {
      return true;
    }
    get ProtocolVersion() {
      return 0;
    }
  }
  Watcher.configureMembers({
    methods: { RegisterStatusNotifierItem: { inSignature: 's' } },
    properties: {
      RegisteredStatusNotifierItems: { signature: 'as', access: dbusNext.interface.ACCESS_READ },
      IsStatusNotifierHostRegistered: { signature: 'b', access: dbusNext.interface.ACCESS_READ },
      ProtocolVersion: { signature: 'i', access: dbusNext.interface.ACCESS_READ },
    },
  });
  b.export('/StatusNotifierWatcher', new Watcher('org.kde.StatusNotifierWatcher'));
  await b.requestName('org.kde.StatusNotifierWatcher', 0x4);
  return { bus: b, items };
}

