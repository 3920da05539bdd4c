// An agent enrolled with a token that names no owner records on its machine, but the server
// refuses its batches (403 pulse_device_not_personal). The batches are held, not refused for
// good: the agent says why and how to recover, and after `enroll --force` with a token that
// names the owner, everything recorded on the machine arrives once under the new identity.
// Also: the other refusals the agent treats as final or partial (docs/agent.md, "Refusals").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, loginAs, createUser, type TestServer } from '@parapet/server/testing';
import { deactivateUser } from '@parapet/server/platform/users';
import { runBin } from '@parapet/device-client/testing';
import { loadState, saveState } from '@parapet/device-client';
import { Store, BATCH_SIZE } from '../src/store.js';
import { Uploader } from '../src/upload.js';
import { currentDeviceClient } from '../src/cli.js';
import { showData, showText } from '../src/show.js';
import type { Interval } from '../src/heartbeat.js';
import { agentEnrolment } from './enrolment.js';

const bin = fileURLToPath(new URL('../bin/parapet-agent.js', import.meta.url));
const env = { PARAPET_AGENT_KEY_STORE: 'file' };
let s: TestServer;
let dir: string;
before(async () => {
  s = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), 'parapet-agent-reenrol-'));
});
after(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

const H = 3_600_000;
function intervals(n: number, from: number): Interval[] {
  return Array.from({ length: n }, (_, k) => ({ id: randomUUID(), start: from + k * 5000, end: from + k * 5000 + 5000, state: k % 5 === 4 ? 'paused' : 'active', app: k % 5 === 4 ? null : 'code', category: k % 5 === 4 ? null : 'development', domain: null, localCategory: null }) as Interval);
}

/** An enrollment token in the person's tenant that names no owner (what the README's first version made). */
async function ownerlessToken(tenantAdmin: Awaited<ReturnType<typeof loginAs>>): Promise<string> {
  const r = await tenantAdmin.client.post('/api/v1/devices/enrollment-tokens', { kind: 'agent' });
  assert.equal(r.status, 201, r.text);
  return r.json.token as string;
}

const serverRows = (tenantId: string) =>
  s.asAdmin(async (q) => {
    const i = await q.query<{ n: string; distinct_ids: string; devices: string[]; users: string[]; ms: number }>(
      `SELECT count(*) AS n, count(DISTINCT id) AS distinct_ids, coalesce(array_agg(DISTINCT device_id::text), '{}') AS devices, coalesce(array_agg(DISTINCT user_id::text), '{}') AS users,
              coalesce(sum(extract(epoch from end_at - start_at) * 1000), 0)::float8 AS ms FROM pulse_intervals WHERE tenant_id = $1`,
      [tenantId],
    );
    const r = (await q.query<{ s: number }>(`SELECT coalesce(sum(active_s + idle_s + paused_s), 0)::float8 AS s FROM pulse_daily WHERE tenant_id = $1`, [tenantId])).rows[0]!;
    const row = i.rows[0]!;
    return { intervals: Number(row.n), distinct: Number(row.distinct_ids), devices: row.devices.filter(Boolean), users: row.users.filter(Boolean), ms: Math.round(row.ms), rollupMs: Math.round(r.s * 1000) };
  });

/** A person's tenant with one agent enrolled through the real binary with a token naming no owner. */
async function ownerlessAgent(name: string) {
  const e = await agentEnrolment(s, dir);
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true, tenantId: e.tenantId });
  const sd = join(dir, name);
  const enroll = (token: string, extra: string[] = []) => runBin(bin, ['enroll', '--server', s.url, '--token', token, '--ca', e.caFile, '--state-dir', sd, '--key-store', 'file', ...extra], env);
  const first = await enroll(await ownerlessToken(admin));
  assert.equal(first.code, 0, first.stderr);
  /** The remedy: a token in the same tenant that names the person whose machine this is. */
  const ownedToken = async () => {
    const r = await admin.client.post('/api/v1/devices/enrollment-tokens', { kind: 'agent', owner_user_id: e.userId });
    assert.equal(r.status, 201, r.text);
    return r.json.token as string;
  };
  return { ...e, sd, enroll, ownedToken };
}

test('refused as not personal: held with a plain sentence, not refused for good; after enroll --force with an owner everything arrives once under the new identity', async () => {
  const a = await ownerlessAgent('held');
  const oldDevice = (await loadState(join(a.sd, 'state.json'))).deviceId;
  const store = await Store.open({ dir: a.sd, keyStore: 'file' });
  const ivs = intervals(BATCH_SIZE + 200, Date.now() - 3 * H);
  store.saveIntervals(ivs, null);
  store.close();

  const up1 = await runBin(bin, ['upload', '--state-dir', a.sd], env);
  assert.equal(up1.code, 1, up1.stdout);
  assert.match(up1.stderr, /not enrolled to an active person/);
  assert.match(up1.stderr, /enroll --force/);
  assert.doesNotMatch(up1.stderr, /for good/);
  // Nothing was sealed beyond the one batch tried, nothing is marked refused, and show says why.
  const mid = await Store.open({ dir: a.sd, keyStore: 'file' });
  assert.equal(mid.pendingBatches().length, 1);
  assert.deepEqual(mid.rejectedBatches(), []);
  assert.equal(mid.unsealed().length, 200);
  const shown = showText(showData(mid, { from: 0, to: Date.now() }), { recorded: false, pending: true }).join('\n');
  assert.match(shown, /Uploads are held.*not enrolled to an active person.*700 intervals are kept on this device/s);
  mid.close();
  const show = await runBin(bin, ['show', '--pending', '--state-dir', a.sd], env);
  assert.match(show.stdout, /Uploads are held/);
  const status = await runBin(bin, ['status', '--state-dir', a.sd], env);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /Pulse: Uploads are held.*700 intervals are kept/s);
  assert.equal((await serverRows(a.tenantId)).intervals, 0);

  // The same owner re-enrolls the machine; the first identity is revoked by enroll --force.
  const again = await a.enroll(await a.ownedToken(), ['--force']);
  assert.equal(again.code, 0, again.stderr);
  const newDevice = (await loadState(join(a.sd, 'state.json'))).deviceId;
  assert.notEqual(newDevice, oldDevice);
  const up2 = await runBin(bin, ['upload', '--state-dir', a.sd], env);
  assert.equal(up2.code, 0, up2.stderr);
  assert.match(up2.stdout, /Sent 2 batches/);
  const total = ivs.reduce((x, i) => x + i.end - i.start, 0);
  assert.deepEqual(await serverRows(a.tenantId), { intervals: ivs.length, distinct: ivs.length, devices: [newDevice], users: [a.userId], ms: total, rollupMs: total });
  const up3 = await runBin(bin, ['upload', '--state-dir', a.sd], env);
  assert.equal(up3.code, 0, up3.stderr);
  assert.match(up3.stdout, /Nothing was waiting/);
  assert.equal((await serverRows(a.tenantId)).intervals, ivs.length, 'nothing counted twice');
  const after = await runBin(bin, ['show', '--pending', '--state-dir', a.sd], env);
  assert.doesNotMatch(after.stdout, /Uploads are held|refused by the server/);
  assert.match((await runBin(bin, ['status', '--state-dir', a.sd], env)).stdout, /Pulse: 0 intervals waiting to be sent\./);
});

test('a running uploader holds, says so once, and picks up the identity enroll --force wrote without a restart', async () => {
  const a = await ownerlessAgent('running');
  const store = await Store.open({ dir: a.sd, keyStore: 'file' });
  const ivs = intervals(300, Date.now() - 2 * H);
  store.saveIntervals(ivs, null);
  const log: string[] = [];
  const up = new Uploader({ store, client: currentDeviceClient(a.sd, (l) => log.push(l)), baseMs: 20, capMs: 100, idleMs: 50, log: (l) => log.push(l) });
  const running = up.run();
  const until = async (what: string, ok: () => boolean | Promise<boolean>) => {
    try {
      for (let i = 0; i < 600; i++) {
        if (await ok()) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    } catch (e) {
      up.stop();
      await running;
      throw e;
    }
    up.stop();
    await running;
    assert.fail(`${what}; log:\n${log.join('\n')}`);
  };
  await until('the refusals are retried a few times', () => (store.pendingBatches()[0]?.attempts ?? 0) >= 4);
  const held = log.filter((l) => /not enrolled to an active person/.test(l));
  assert.equal(held.length, 1, `one plain sentence, not one per retry:\n${log.join('\n')}`);
  assert.deepEqual(store.rejectedBatches(), []);

  const again = await a.enroll(await a.ownedToken(), ['--force']);
  assert.equal(again.code, 0, again.stderr);
  await until('the held batch is sent under the new identity', async () => (await serverRows(a.tenantId)).intervals === ivs.length);
  up.stop();
  await running;
  const newDevice = (await loadState(join(a.sd, 'state.json'))).deviceId;
  assert.ok(log.some((l) => l.includes(newDevice)), `the log names the new identity:\n${log.join('\n')}`);
  assert.ok(log.some((l) => /Uploads resumed/.test(l)), log.join('\n'));
  assert.equal(store.getSetting('upload_held'), undefined);
  const total = ivs.reduce((x, i) => x + i.end - i.start, 0);
  assert.deepEqual(await serverRows(a.tenantId), { intervals: ivs.length, distinct: ivs.length, devices: [newDevice], users: [a.userId], ms: total, rollupMs: total });
  store.close();
});

test('a store that an earlier agent left with batches refused as not personal sends them after re-enrolment', async () => {
  const a = await ownerlessAgent('legacy');
  const store = await Store.open({ dir: a.sd, keyStore: 'file' });
  const ivs = intervals(40, Date.now() - 2 * H);
  store.saveIntervals(ivs, null);
  const b = store.sealBatch()!;
  // What the agent before this fix wrote after the 403.
  store.markRejected(b.batchId, 'pulse_device_not_personal');
  store.close();
  assert.equal((await a.enroll(await a.ownedToken(), ['--force'])).code, 0);
  const up = await runBin(bin, ['upload', '--state-dir', a.sd], env);
  assert.equal(up.code, 0, up.stderr);
  assert.equal((await serverRows(a.tenantId)).intervals, ivs.length);
});

test('expired intervals: only those older than the detail retention are dropped (logged and counted); the rest of the batch is sent', async () => {
  const e = await agentEnrolment(s, dir);
  const sd = join(dir, 'expired');
  assert.equal((await runBin(bin, ['enroll', '--server', s.url, '--token', e.token, '--ca', e.caFile, '--state-dir', sd, '--key-store', 'file'], env)).code, 0);
  const admin = await loginAs(s, { roles: ['admin'], tenantId: e.tenantId });
  assert.equal((await admin.client.get('/api/v1/pulse/settings')).status, 200); // makes the tenant's settings row
  const set = await s.asAdmin((q) => q.query('UPDATE pulse_settings SET detail_retention_days = 2 WHERE tenant_id = $1', [e.tenantId]));
  assert.equal(set.rowCount, 1);
  const store = await Store.open({ dir: sd, keyStore: 'file' });
  const old = intervals(30, Date.now() - 3 * 24 * H);
  const fresh = intervals(50, Date.now() - 3 * H);
  store.saveIntervals([...old, ...fresh], null);
  store.close();
  const up = await runBin(bin, ['upload', '--state-dir', sd], env);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stderr, /30 intervals .*older than the server keeps/);
  const rows = await serverRows(e.tenantId);
  assert.equal(rows.intervals, fresh.length);
  const after = await Store.open({ dir: sd, keyStore: 'file' });
  assert.equal(after.counter('expired'), 30);
  assert.deepEqual(after.rejectedBatches(), []);
  assert.equal(after.pendingBatches().length + after.unsealed().length, 0);
  assert.match(showText(showData(after, { from: 0, to: Date.now() }), { recorded: false, pending: true }).join('\n'), /30 intervals were dropped unsent because they were older than the server keeps/);
  after.close();
});

test('a running agent that reads state.json between the two writes of enroll --force --ca (first without the CA file, then with it) signs with the complete identity afterwards', async () => {
  const a = await ownerlessAgent('ca-window');
  const forced = await a.enroll(await a.ownedToken(), ['--force']);
  assert.equal(forced.code, 0, forced.stderr);
  const statePath = join(a.sd, 'state.json');
  const complete = await loadState(statePath);
  assert.ok(complete.caFile, 'enroll --ca records the CA file');
  const get = currentDeviceClient(a.sd);
  // What DeviceClient.enroll saves first; enroll-command then writes ca.pem and saves again.
  const { caFile: _ca, ...partial } = complete;
  await saveState(statePath, partial);
  await get();
  await saveState(statePath, complete);
  const c = await get();
  assert.equal(c.state.caFile, complete.caFile);
  const hb = await c.api.POST('/api/v1/devices/heartbeat', { body: {} });
  assert.equal(hb.response.status, 200);
});

test('owner deactivated (their devices are revoked) and reactivated: uploads are held with the remedy, nothing lost; after enroll --force everything arrives once', async () => {
  const a = await ownerlessAgent('deactivated');
  const owned = await a.enroll(await a.ownedToken(), ['--force']);
  assert.equal(owned.code, 0, owned.stderr);
  const first = intervals(30, Date.now() - 3 * H);
  const second = intervals(30, Date.now() - 2 * H);
  const save = async (ivs: Interval[]) => {
    const st = await Store.open({ dir: a.sd, keyStore: 'file' });
    st.saveIntervals(ivs, null);
    st.close();
  };
  await save(first);
  assert.equal((await runBin(bin, ['upload', '--state-dir', a.sd], env)).code, 0);

  await s.db.tx({ tenantId: a.tenantId }, (q) => deactivateUser(q, a.tenantId, a.userId));
  await save(second);
  const up = await runBin(bin, ['upload', '--state-dir', a.sd], env);
  assert.equal(up.code, 1, up.stdout);
  assert.match(up.stderr, /Uploads are held since .*no longer accepts this device's identity.*\(device_revoked\); 30 intervals are kept on this device.*enroll --force/s);
  assert.doesNotMatch(up.stderr, /sent by the next run or upload/);
  assert.match((await runBin(bin, ['status', '--state-dir', a.sd], env)).stdout, /Pulse: Uploads are held.*30 intervals are kept/s);

  // Reactivating the owner does not bring the revoked device back: still held, still kept.
  await s.asAdmin((q) => q.query(`UPDATE users SET status = 'active' WHERE tenant_id = $1 AND id = $2`, [a.tenantId, a.userId]));
  assert.equal((await runBin(bin, ['upload', '--state-dir', a.sd], env)).code, 1);
  assert.equal((await serverRows(a.tenantId)).intervals, first.length);

  const again = await a.enroll(await a.ownedToken(), ['--force']);
  assert.equal(again.code, 0, again.stderr);
  const sent = await runBin(bin, ['upload', '--state-dir', a.sd], env);
  assert.equal(sent.code, 0, sent.stderr);
  const rows = await serverRows(a.tenantId);
  assert.equal(rows.intervals, first.length + second.length);
  assert.equal(rows.distinct, first.length + second.length);
  assert.deepEqual(rows.users, [a.userId]);
  assert.doesNotMatch((await runBin(bin, ['show', '--pending', '--state-dir', a.sd], env)).stdout, /Uploads are held/);
});

test('handed to another person: enroll --force with their token deletes the previous person\'s intervals, so none is uploaded or shown as the new person\'s', async () => {
  const a = await ownerlessAgent('handover');
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true, tenantId: a.tenantId });
  const tokenFor = async (userId: string) => {
    const r = await admin.client.post('/api/v1/devices/enrollment-tokens', { kind: 'agent', owner_user_id: userId });
    assert.equal(r.status, 201, r.text);
    return r.json.token as string;
  };
  // The machine is the first person's: the state records its owner, the store adopts it.
  assert.equal((await a.enroll(await tokenFor(a.userId), ['--force'])).code, 0);
  assert.equal((await loadState(join(a.sd, 'state.json'))).ownerUserId, a.userId);
  const store = await Store.open({ dir: a.sd, keyStore: 'file' });
  store.saveIntervals(intervals(20, Date.now() - 2 * H), null);
  store.close();
  const up1 = await runBin(bin, ['upload', '--state-dir', a.sd], env);
  assert.equal(up1.code, 0, up1.stderr);
  assert.equal((await serverRows(a.tenantId)).intervals, 20);
  const later = await Store.open({ dir: a.sd, keyStore: 'file' });
  later.saveIntervals(intervals(7, Date.now() - H), null);
  later.close();
  // Handed to someone else before those 7 were sent.
  const next = await createUser(s.db, a.tenantId, { roles: ['employee'] });
  assert.equal((await a.enroll(await tokenFor(next.userId), ['--force'])).code, 0);
  const shown = await runBin(bin, ['show', '--state-dir', a.sd], env);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stderr, /enrolled again for another person, so the 27 intervals recorded for the previous one were deleted from it \(7 never sent\)/);
  assert.doesNotMatch(shown.stdout, /\bcode\b/, 'nothing of the first person is shown');
  const up2 = await runBin(bin, ['upload', '--state-dir', a.sd], env);
  assert.equal(up2.code, 0, up2.stderr);
  assert.match(up2.stdout, /Nothing was waiting/);
  const rows = await serverRows(a.tenantId);
  assert.equal(rows.intervals, 20, 'the 7 unsent intervals were not uploaded');
  assert.deepEqual(rows.users, [a.userId], 'nothing is stored as the new person\'s');
});
