/**
 * One test suite for both device binaries: packages/agent/test and packages/worker/test call
 * deviceBinSuite with their kind and bin path, so parapet-agent and parapet-worker are proven by
 * the same cases, each by spawning the real binary against a real test server.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, loginAs, type TestServer } from '@parapet/server/testing';
import type { DeviceKind, DeviceState } from './client.js';
import { spkiSha256OfDer } from './transport.js';

export interface BinResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a bin asynchronously (the test server lives in this process, so no spawnSync). */
export function runBin(bin: string, args: string[], env: Record<string, string> = {}): Promise<BinResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The bin's stderr must be one plain sentence (after the `parapet-<kind>: ` prefix). */
export function assertOneSentence(r: BinResult, kind: DeviceKind, re: RegExp): void {
  assert.notEqual(r.code, 0, `expected failure, got stdout ${r.stdout}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0]!, new RegExp(`^parapet-${kind}: [A-Z].*\\.$`));
  assert.match(lines[0]!, re);
}

export function deviceBinSuite(kind: DeviceKind, bin: string): void {
  const other: DeviceKind = kind === 'agent' ? 'worker' : 'agent';
  let s: TestServer;
  let dir: string;
  let caFile: string;
  let currentPin: string;
  const run = (args: string[], env?: Record<string, string>) => runBin(bin, args, env);
  const token = async (k: DeviceKind) => {
    const a = await loginAs(s, { roles: ['admin'], mfaFresh: true });
    const r = await a.client.post('/api/v1/devices/enrollment-tokens', { kind: k });
    assert.equal(r.status, 201, r.text);
    return { admin: a, token: r.json.token as string };
  };
  const enrollArgs = (t: string, stateDir: string, extra: string[] = []) => ['enroll', '--server', s.url, '--token', t, '--ca', caFile, '--state-dir', stateDir, '--key-store', 'file', ...extra];

  before(async () => {
    s = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), `parapet-${kind}-bin-`));
    caFile = join(dir, 'server-ca.pem');
    await writeFile(caFile, s.ca);
    currentPin = spkiSha256OfDer(new X509Certificate(s.ca).publicKey.export({ type: 'spki', format: 'der' }));
  });
  after(async () => {
    await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  test(`parapet-${kind} --help lists the commands; no command is a usage error`, async () => {
    const h = await run(['--help']);
    assert.equal(h.code, 0);
    for (const c of ['enroll --server URL --token TOKEN', 'status [--json]', 'heartbeat', '--key-store auto|file']) assert.ok(h.stdout.includes(c), c);
    assert.equal((await run([])).code, 2);
    const bad = await run(['enroll', '--server', s.url]);
    assert.equal(bad.code, 2);
    assertOneSentence(bad, kind, /needs --server URL and --token TOKEN/);
  });

  test(`parapet-${kind}: enroll with --ca, status shows the device, heartbeat is accepted, revocation stops it`, async () => {
    const { admin, token: t } = await token(kind);
    const sd = join(dir, 'main');
    const e = await run(enrollArgs(t, sd, ['--name', `${kind}-host`]));
    assert.equal(e.code, 0, e.stderr);
    const deviceId = /^Enrolled as (?:agent|worker) ([0-9a-f-]{36});/.exec(e.stdout)?.[1];
    assert.ok(deviceId, e.stdout);
    assert.match(e.stdout, new RegExp(`^Enrolled as ${kind} `));
    for (const f of ['state.json', 'device.key', 'device.key.kek', 'ca.pem']) assert.equal((await stat(join(sd, f))).mode & 0o777, 0o600, f);

    // Human status: identity, server, pins, key store (with the plain statement), no heartbeat yet.
    const st = await run(['status', '--state-dir', sd]);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, new RegExp(`Device: +${deviceId} \\(${kind}\\)`));
    assert.match(st.stdout, new RegExp(`Tenant: +${admin.tenantId}`));
    assert.match(st.stdout, new RegExp(`Server: +${s.url.replace(/\./g, '\\.')}`));
    assert.ok(st.stdout.includes(`sha256/${currentPin} (current)`), st.stdout);
    assert.match(st.stdout, /\(backup\)/);
    assert.match(st.stdout, /Key store: +encrypted file .*device\.key; the OS credential store was not used because --key-store file was given\./);
    assert.match(st.stdout, /Last heartbeat: none yet/);

    const hb = await run(['heartbeat', '--state-dir', sd]);
    assert.equal(hb.code, 0, hb.stderr);
    assert.match(hb.stdout, new RegExp(`^Heartbeat accepted by .*: device ${deviceId} is active`));

    const js = await run(['status', '--json', '--state-dir', sd]);
    assert.equal(js.code, 0, js.stderr);
    const j = JSON.parse(js.stdout);
    assert.equal(j.device_id, deviceId);
    assert.equal(j.tenant_id, admin.tenantId);
    assert.equal(j.kind, kind);
    assert.equal(j.server, s.url);
    assert.equal(j.pins.current, currentPin);
    assert.equal(j.pins.all.length, 2);
    assert.equal(j.key_store, 'file');
    assert.equal(j.last_heartbeat.ok, true);
    assert.equal(j.last_heartbeat.status, 'active');

    // The server sees the device as enrolled by this binary.
    const fleet = (await admin.client.get('/api/v1/devices')).json.devices as { id: string; name: string; kind: string; key_store: string; version: string | null; status: string }[];
    const d = fleet.find((x) => x.id === deviceId);
    assert.ok(d);
    assert.equal(d.kind, kind);
    assert.equal(d.name, `${kind}-host`);
    assert.equal(d.key_store, 'file');
    assert.equal(d.version, '0.1.0');

    // An admin revokes it: the next heartbeat fails with one plain sentence, and status shows it.
    assert.equal((await admin.client.post(`/api/v1/devices/${deviceId}/revoke`, {})).status, 200);
    const revoked = await run(['heartbeat', '--state-dir', sd]);
    assert.equal(revoked.code, 1);
    assertOneSentence(revoked, kind, new RegExp(`This ${kind} has been revoked by an administrator`));
    const after = JSON.parse((await run(['status', '--json', '--state-dir', sd])).stdout);
    assert.equal(after.last_heartbeat.ok, false);
    assert.equal(after.last_heartbeat.code, 'device_revoked');
    assert.match((await run(['status', '--state-dir', sd])).stdout, /Last heartbeat: .* failed: This .* has been revoked/);

    // The remedy the sentence gives: enroll again (same directory) with a new token; --force
    // because the directory still holds the old (here already revoked) identity.
    const again = await run([...enrollArgs((await token(kind)).token, sd), '--force']);
    assert.equal(again.code, 0, again.stderr);
    const st2 = await run(['status', '--state-dir', sd]);
    assert.doesNotMatch(st2.stdout, new RegExp(deviceId));
    assert.match(st2.stdout, /Last heartbeat: none yet/);
    assert.equal((await run(['heartbeat', '--state-dir', sd])).code, 0);
  });

  test(`parapet-${kind}: a token made for ${other === 'agent' ? 'an' : 'a'} ${other} is refused with a clear sentence and nothing is saved`, async () => {
    const { token: t } = await token(other);
    const sd = join(dir, 'wrong-kind');
    const r = await run(enrollArgs(t, sd));
    assert.equal(r.code, 1);
    assertOneSentence(r, kind, new RegExp(`made for another kind of device; ask an admin for a token made with --kind ${kind}`));
    await assert.rejects(stat(join(sd, 'state.json')), { code: 'ENOENT' });
    // Without --ca the self-signed server is not trusted: one sentence pointing to --ca.
    const noCa = await run(['enroll', '--server', s.url, '--token', t, '--state-dir', sd, '--key-store', 'file']);
    assertOneSentence(noCa, kind, /The certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted \([A-Z_]+\); give its CA with --ca FILE when enrolling\./);
  });

  test(`parapet-${kind}: a wrong --pin refuses at first contact, before the token is spent`, async () => {
    const { admin, token: t } = await token(kind);
    const sd = join(dir, 'pin');
    const r = await run(enrollArgs(t, sd, ['--pin', 'A'.repeat(43) + '=']));
    assert.equal(r.code, 1);
    assertOneSentence(r, kind, /does not match the pin given with --pin, so this .* refused to enroll/);
    await assert.rejects(stat(join(sd, 'state.json')), { code: 'ENOENT' });
    assert.equal((await admin.client.get('/api/v1/devices')).json.devices.length, 0);
    // The right pin works, with the same token: the refused attempt never reached the server.
    const ok = await run(enrollArgs(t, sd, ['--pin', currentPin]));
    assert.equal(ok.code, 0, ok.stderr);
  });

  test(`parapet-${kind}: after enrollment only the pins count, and an unreachable server is one sentence`, async () => {
    const { token: t } = await token(kind);
    const sd = join(dir, 'pinned');
    assert.equal((await run(enrollArgs(t, sd))).code, 0);
    // Same server, same trusted chain, but the state pins another key: refused before any request.
    const mitm = join(dir, 'pinned-other');
    await cp(sd, mitm, { recursive: true });
    const st = JSON.parse(await readFile(join(mitm, 'state.json'), 'utf8')) as DeviceState;
    await writeFile(join(mitm, 'state.json'), JSON.stringify({ ...st, pins: ['B'.repeat(43) + '='] }));
    const r = await run(['heartbeat', '--state-dir', mitm]);
    assert.equal(r.code, 1);
    assertOneSentence(r, kind, new RegExp(`certificate whose key \\(sha256/${currentPin.replace(/[+/]/g, '\\$&')}\\) is not pinned`));
    // Nothing listens on port 1.
    await writeFile(join(mitm, 'state.json'), JSON.stringify({ ...st, server: 'https://127.0.0.1:1' }));
    const u = await run(['heartbeat', '--state-dir', mitm]);
    assertOneSentence(u, kind, /The server https:\/\/127\.0\.0\.1:1 could not be reached \(ECONNREFUSED\)\./);
    // A key file that does not decrypt (tampered) is one sentence too, not a crypto stack trace.
    const kf = join(mitm, 'device.key');
    const bytes = await readFile(kf);
    bytes[bytes.length - 1]! ^= 1;
    await writeFile(kf, bytes);
    await writeFile(join(mitm, 'state.json'), JSON.stringify(st));
    assertOneSentence(await run(['heartbeat', '--state-dir', mitm]), kind, /The device key file cannot be decrypted with its \.kek file/);
    // Not enrolled at all.
    assertOneSentence(await run(['heartbeat', '--state-dir', join(dir, 'nowhere')]), kind, new RegExp(`This ${kind} is not enrolled yet`));
  });

  const which = (b: string) => ['/usr/bin', '/bin', '/usr/local/bin'].some((d) => existsSync(join(d, b)));
  const missing = ['dbus-run-session', 'gnome-keyring-daemon'].filter((b) => !which(b));
  test(
    `parapet-${kind}: with a Secret Service the key goes to the OS credential store; without it, heartbeat refuses plainly`,
    { skip: missing.length ? `needs ${missing.join(' and ')} (Debian packages dbus, gnome-keyring)` : false },
    async () => {
      const { token: t } = await token(kind);
      const home = join(dir, 'keyring-home');
      const sd = join(dir, 'keyring-state');
      // One session bus with an unlocked gnome-keyring for enroll, status and heartbeat.
      const script =
        'eval "$(printf "parapet-test\\n" | gnome-keyring-daemon --unlock --components=secrets)" && export GNOME_KEYRING_CONTROL && ' +
        '"$0" "$1" enroll --server "$2" --token "$3" --ca "$4" --state-dir "$5" --key-store auto && "$0" "$1" status --json --state-dir "$5" && "$0" "$1" heartbeat --state-dir "$5"';
      const r = await new Promise<BinResult>((resolve, reject) => {
        const p = spawn('dbus-run-session', ['--', 'sh', '-c', script, process.execPath, bin, s.url, t, caFile, sd], {
          env: { ...process.env, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_RUNTIME_DIR: home, DBUS_SESSION_BUS_ADDRESS: '' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
        p.on('error', reject);
        p.on('close', (code) => resolve({ code, stdout, stderr }));
      });
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Enrolled as ${kind} .*; key in the OS credential store;`, 'm'));
      const json = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'), r.stdout.lastIndexOf('}') + 1));
      assert.equal(json.key_store, 'os');
      assert.equal(json.os_credential_store_available, true);
      assert.match(r.stdout, /^Heartbeat accepted by /m);
      assert.equal(existsSync(join(sd, 'device.key')), false, 'no key file when the OS store holds the key');
      // Outside that session there is no Secret Service: the device does not fall back to a file.
      const out = await run(['heartbeat', '--state-dir', sd], { HOME: home, DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-bus')}` });
      assertOneSentence(out, kind, /key is in the OS credential store, which is not available now/);
    },
  );

  if (process.platform === 'linux') {
    test(`parapet-${kind}: with no Secret Service the key goes to the encrypted file and status says so`, async () => {
      const { token: t } = await token(kind);
      const sd = join(dir, 'auto');
      // A session bus address that does not exist: the keyring probe fails, as on a headless server.
      const env = { DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-bus')}` };
      const e = await run(['enroll', '--server', s.url, '--token', t, '--ca', caFile, '--state-dir', sd, '--key-store', 'auto'], env);
      assert.equal(e.code, 0, e.stderr);
      const st = await run(['status', '--state-dir', sd], env);
      assert.match(st.stdout, /Key store: +encrypted file .*device\.key; no OS credential store was available \(/);
      assert.equal(JSON.parse((await run(['status', '--json', '--state-dir', sd], env)).stdout).os_credential_store_available, false);
      assert.equal((await run(['heartbeat', '--state-dir', sd], env)).code, 0);
    });
  }
}
