// PULSE-UPLOAD against the real server through a TCP proxy that can be down, or hold the
// server's answer until the batch is committed in the database and then cut the connection or
// kill the agent process (the server committed, the agent never heard); plus a clock that jumps
// backwards while recording. Every case checks the server's tables: nothing lost, nothing counted twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, loginAs, createUser, type TestServer } from '@parapet/server/testing';
import { DeviceClient, openKeyStore, saveState } from '@parapet/device-client';
import { runBin } from '@parapet/device-client/testing';
import { Store } from '../src/store.js';
import { Uploader } from '../src/upload.js';
import { Recorder } from '../src/recorder.js';
import type { Collector, Sample } from '../src/collector/types.js';
import type { Interval } from '../src/heartbeat.js';

const bin = fileURLToPath(new URL('../bin/parapet-agent.js', import.meta.url));
let s: TestServer;
let dir: string;
before(async () => {
  s = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), 'parapet-agent-upload-'));
});
after(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

type Mode = 'pass' | 'hold';
/** A TCP proxy in front of the server's TLS port (TLS passes through, so the pins still match). */
class FaultProxy {
  mode: Mode = 'pass';
  port = 0;
  readonly held = new Set<Socket>();
  private server: Server | undefined;
  private onAnswer: (() => void) | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(private readonly target: number) {}
  async up(): Promise<void> {
    this.server = createServer((c) => {
      this.sockets.add(c);
      const u = connect(this.target, '127.0.0.1');
      this.sockets.add(u);
      c.on('error', () => u.destroy());
      u.on('error', () => c.destroy());
      c.on('close', () => u.destroy());
      c.pipe(u);
      // Only batch uploads (tens of kB from the client) get the fault; handshakes and the policy GET pass.
      let fromClient = 0;
      c.on('data', (b: Buffer) => (fromClient += b.length));
      u.on('data', (b) => {
        if (fromClient > 20_000 && this.mode === 'hold') {
          // Nothing from the server reaches the agent any more (TLS session tickets may come
          // first, so the test waits for the commit in the database before cutting).
          this.held.add(c);
          this.onAnswer?.();
          return;
        }
        c.write(b);
      });
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', () => r()));
    this.port = (this.server!.address() as { port: number }).port;
  }
  async down(): Promise<void> {
    for (const x of this.sockets) x.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
  }
  nextAnswer(): Promise<void> {
    return new Promise((r) => (this.onAnswer = r));
  }
  /** Cuts the agent's side of every held connection. */
  cutHeld(): void {
    for (const c of this.held) c.destroy();
    this.held.clear();
  }
}

async function personAgent(proxy: FaultProxy, name: string) {
  const admin = await loginAs(s, { roles: ['admin'], mfaFresh: true });
  const person = await createUser(s.db, admin.tenantId, { roles: ['employee'] });
  const t = await admin.client.post('/api/v1/devices/enrollment-tokens', { kind: 'agent', owner_user_id: person.userId });
  const sd = join(dir, name);
  const store = await openKeyStore({ service: 'parapet-agent', account: `127.0.0.1:${proxy.port}`, filePath: join(sd, 'device.key'), prefer: 'file' });
  const client = await DeviceClient.enroll({ server: `https://127.0.0.1:${proxy.port}`, token: t.json.token, kind: 'agent', name, store, statePath: join(sd, 'state.json'), ca: s.ca });
  // What `parapet-agent enroll --ca` keeps, so the binary trusts the same anchor.
  client.state.caFile = join(sd, 'ca.pem');
  await writeFile(client.state.caFile, s.ca, { mode: 0o600 });
  await saveState(join(sd, 'state.json'), client.state);
  return { tenantId: admin.tenantId, client, sd };
}

const H = 3_600_000;
function intervals(n: number, from: number): Interval[] {
  return Array.from({ length: n }, (_, k) => ({ id: randomUUID(), start: from + k * 5000, end: from + k * 5000 + 5000, state: k % 7 === 6 ? 'idle' : 'active', app: k % 2 ? 'code' : 'slack', category: k % 2 ? 'development' : 'communication', domain: null, localCategory: null }) as Interval);
}
/** Waits until the server has committed at least `n` batches for the tenant. */
async function committed(tenantId: string, n: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await serverCounts(tenantId)).batches >= n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the server never committed the batch');
}
const serverCounts = (tenantId: string) =>
  s.asAdmin(async (q) => {
    const i = (await q.query<{ n: string; ms: number }>(`SELECT count(*) AS n, coalesce(sum(extract(epoch from end_at - start_at) * 1000), 0)::float8 AS ms FROM pulse_intervals WHERE tenant_id = $1`, [tenantId])).rows[0]!;
    const b = (await q.query<{ n: string }>(`SELECT count(*) AS n FROM pulse_batches WHERE tenant_id = $1`, [tenantId])).rows[0]!;
    const r = (await q.query<{ s: number }>(`SELECT coalesce(sum(active_s + idle_s + paused_s), 0)::float8 AS s FROM pulse_daily WHERE tenant_id = $1`, [tenantId])).rows[0]!;
    const distinct = (await q.query<{ n: string }>(`SELECT count(DISTINCT id) AS n FROM pulse_intervals WHERE tenant_id = $1`, [tenantId])).rows[0]!;
    return { intervals: Number(i.n), distinct: Number(distinct.n), ms: Math.round(i.ms), batches: Number(b.n), rollupMs: Math.round(r.s * 1000) };
  });

test('server down for a whole run: backoff with jitter, nothing sent; after a restart everything arrives once', async () => {
  const proxy = new FaultProxy(s.port);
  await proxy.up();
  const { tenantId, client, sd } = await personAgent(proxy, 'down');
  await proxy.down();
  const store = await Store.open({ dir: sd, keyStore: 'file' });
  const ivs = intervals(1100, Date.now() - 3 * H);
  store.saveIntervals(ivs, null);
  const delays: number[] = [];
  const up = new Uploader({ store, client, baseMs: 20, capMs: 300, random: () => 0.5, log: (l) => void delays.push(Number(/retrying in (\d+)/.exec(l)?.[1] ?? -1)) });
  const t0 = Date.now();
  const running = up.run();
  await new Promise((r) => setTimeout(r, 1500));
  up.stop();
  await running;
  assert.ok(up.failures >= 3, `${up.failures} failures`);
  assert.deepEqual([up.backoff(1), up.backoff(2), up.backoff(3), up.backoff(10)], [20, 40, 80, 150], 'full jitter: random × min(cap, base × 2^n)');
  const pend = store.pendingBatches();
  assert.equal(pend.length, 1, 'one batch sealed and retried, not a new one per attempt');
  assert.ok(pend[0]!.attempts >= 3 && /ECONNREFUSED/.test(pend[0]!.lastError ?? ''));
  store.close();
  assert.deepEqual(await serverCounts(tenantId), { intervals: 0, distinct: 0, ms: 0, batches: 0, rollupMs: 0 });

  // Restart: a new process would open the same store and send the same batch first.
  await proxy.up();
  const again = await Store.open({ dir: sd, keyStore: 'file' });
  const u2 = new Uploader({ store: again, client });
  const first = await u2.sendOne();
  assert.deepEqual(first, { kind: 'sent', batchId: pend[0]!.batchId });
  while ((await u2.sendOne()).kind === 'sent');
  assert.deepEqual(again.pendingBatches(), []);
  assert.equal(again.unsealed().length, 0);
  again.close();
  const total = ivs.reduce((a, i) => a + i.end - i.start, 0);
  assert.deepEqual(await serverCounts(tenantId), { intervals: 1100, distinct: 1100, ms: total, batches: 3, rollupMs: total });
  await proxy.down();
});

test('the connection is cut after the server committed a batch: the retry is pulse_batch_replayed, counted once', async () => {
  const proxy = new FaultProxy(s.port);
  await proxy.up();
  const { tenantId, client, sd } = await personAgent(proxy, 'cut');
  const store = await Store.open({ dir: sd, keyStore: 'file' });
  const ivs = intervals(300, Date.now() - 2 * H);
  store.saveIntervals(ivs, null);
  const up = new Uploader({ store, client });
  await up.fetchPolicy();
  proxy.mode = 'hold';
  const sending = up.sendOne();
  await committed(tenantId, 1);
  proxy.cutHeld();
  const r1 = await sending;
  assert.equal(r1.kind, 'retry');
  assert.equal((await serverCounts(tenantId)).intervals, 300, 'the server did commit');
  proxy.mode = 'pass';
  assert.deepEqual(await up.sendOne(), { kind: 'sent', batchId: (r1 as { batchId: string }).batchId });
  assert.equal((await up.sendOne()).kind, 'nothing');
  const total = ivs.reduce((a, i) => a + i.end - i.start, 0);
  assert.deepEqual(await serverCounts(tenantId), { intervals: 300, distinct: 300, ms: total, batches: 1, rollupMs: total });
  store.close();
  await proxy.down();
});

test('the agent process is killed while its upload is in flight: the next run resends the same batch, counted once', async () => {
  const proxy = new FaultProxy(s.port);
  await proxy.up();
  const { tenantId, sd } = await personAgent(proxy, 'killed');
  const store = await Store.open({ dir: sd, keyStore: 'file' });
  const ivs = intervals(700, Date.now() - 2 * H);
  store.saveIntervals(ivs, null);
  store.close();
  const env = { PARAPET_AGENT_KEY_STORE: 'file' };
  // The agent fetches the policy, then sends; the first batch's answer is held and the agent killed.
  proxy.mode = 'hold';
  const answered = proxy.nextAnswer().then(() => committed(tenantId, 1));
  const p = spawn(process.execPath, [bin, 'upload', '--state-dir', sd], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise((r) => p.once('exit', r));
  await Promise.race([answered, exited.then(() => assert.fail(`the agent ended before its batch was answered: ${err}`))]);
  p.kill('SIGKILL');
  await exited;
  proxy.cutHeld();
  proxy.mode = 'pass';
  const mid = await serverCounts(tenantId);
  assert.ok(mid.batches >= 1 && mid.intervals >= 500, `the server committed the first batch before the kill: ${JSON.stringify(mid)}`);
  const again = await runBin(bin, ['upload', '--state-dir', sd], env);
  assert.equal(again.code, 0, again.stderr);
  const total = ivs.reduce((a, i) => a + i.end - i.start, 0);
  assert.deepEqual(await serverCounts(tenantId), { intervals: 700, distinct: 700, ms: total, batches: 2, rollupMs: total });
  await proxy.down();
});

test('the clock jumps back 10 minutes while recording: nothing overlaps on the device or the server, nothing is counted twice', async () => {
  const proxy = new FaultProxy(s.port);
  await proxy.up();
  const { tenantId, client, sd } = await personAgent(proxy, 'clock');
  // A scripted collector: the clock is the only thing under test here (the real X11 collector
  // is tested elsewhere), and this machine's clock must not be changed under other tests.
  let at = Date.now() - 2 * H;
  const samples: Sample[] = [];
  for (let k = 0; k < 120; k++) {
    if (k === 60) at -= 10 * 60_000;
    at += 1000;
    samples.push({ at, window: { app: k < 90 ? 'code' : 'slack', title: 'x' }, idleMs: 0, locked: false });
  }
  let k = 0;
  const collector: Collector = { info: { session: 'test', supported: true, notes: [] }, sample: async () => samples[k++]!, close: async () => {} };
  const store = await Store.open({ dir: sd, keyStore: 'file' });
  const rec = new Recorder({ collector, store, saveEveryMs: 0 });
  for (let i = 0; i < samples.length; i++) await rec.tick();
  await rec.stop();
  const local = store.intervals(0, Infinity);
  for (let i = 1; i < local.length; i++) assert.ok(local[i]!.start >= local[i - 1]!.end, 'no overlap on the device');
  const up = new Uploader({ store, client });
  while ((await up.sendOne()).kind === 'sent');
  const total = local.reduce((a, i) => a + i.end - i.start, 0);
  assert.equal(total, 59_000, 'the first minute counts; the minute after the jump lies inside it and is not recorded again');
  assert.deepEqual(await serverCounts(tenantId), { intervals: local.length, distinct: local.length, ms: total, batches: 1, rollupMs: total });
  store.close();
  await proxy.down();
});
