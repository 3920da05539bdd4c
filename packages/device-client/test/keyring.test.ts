/**
 * The Secret Service path, for real: this file re-runs itself inside `dbus-run-session` with a
 * fresh `gnome-keyring-daemon --unlock` (Debian: dbus, gnome-keyring), in a throwaway HOME.
 * Skipped, with the reason, only when those binaries are absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openKeyStore } from '../src/index.js';

const here = fileURLToPath(import.meta.url);
const inside = process.env.PARAPET_KEYRING_CHILD === '1';
const which = (b: string) => ['/usr/bin', '/bin', '/usr/local/bin'].some((d) => existsSync(join(d, b)));
const missing = ['dbus-run-session', 'gnome-keyring-daemon'].filter((b) => !which(b));

if (!inside) {
  test('Secret Service key store under dbus-run-session + gnome-keyring-daemon', { skip: missing.length ? `needs ${missing.join(' and ')} (Debian packages dbus, gnome-keyring)` : false }, () => {
    const home = mkdtempSync(join(tmpdir(), 'parapet-keyring-'));
    try {
      const script = 'eval "$(printf "parapet-test\\n" | gnome-keyring-daemon --unlock --components=secrets)" && export GNOME_KEYRING_CONTROL && exec "$0" --import tsx --test --test-reporter=tap "$1"';
      // The parent runner's NODE_TEST_CONTEXT would switch the child to its binary protocol.
      const { NODE_TEST_CONTEXT: _ctx, ...env } = process.env;
      const r = spawnSync('dbus-run-session', ['--', 'sh', '-c', script, process.execPath, here], {
        env: { ...env, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_RUNTIME_DIR: home, PARAPET_KEYRING_CHILD: '1', DBUS_SESSION_BUS_ADDRESS: '' },
        encoding: 'utf8',
        timeout: 120_000,
      });
      assert.equal(r.status, 0, `child failed:\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /# pass 2/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('without a Secret Service the key store falls back to the encrypted file and says why', async () => {
    const home = mkdtempSync(join(tmpdir(), 'parapet-nokeyring-'));
    const saved = process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${join(home, 'no-bus')}`;
    try {
      const s = await openKeyStore({ service: 'parapet-test', account: 'nobus', filePath: join(home, 'device.key') });
      assert.equal(s.kind, 'file');
      assert.match(s.fallbackReason ?? '', /credential store/);
    } finally {
      if (saved === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
      else process.env.DBUS_SESSION_BUS_ADDRESS = saved;
      rmSync(home, { recursive: true, force: true });
    }
  });
} else {
  test('inside: the OS store is chosen and round-trips the device key', async () => {
    const s = await openKeyStore({ service: 'parapet-test', account: 'device', filePath: join(process.env.HOME!, 'unused.key') });
    assert.equal(s.kind, 'os', s.fallbackReason);
    const key = Buffer.from('pkcs8-bytes-of-a-device-key');
    await s.save(key);
    assert.deepEqual(await s.load(), key);
    assert.equal(existsSync(join(process.env.HOME!, 'unused.key')), false);
  });
  test('inside: remove deletes it', async () => {
    const s = await openKeyStore({ service: 'parapet-test', account: 'device', filePath: join(process.env.HOME!, 'unused.key') });
    await s.remove();
    assert.equal(await s.load(), undefined);
  });
}
