// parapet-agent end to end: the real binary enrolls against a real server, records real X11
// windows under Xvfb (focus switched with xdotool), honours pause and exclusion given through
// the CLI while it runs, shows what it recorded, and its batches arrive once each (checked in
// the server's tables).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '@parapet/server/testing';
import { agentEnrolment } from './enrolment.js';
import { runBin } from '@parapet/device-client/testing';
import { Store } from '../src/store.js';
import { missingX11Tools, sleep, startDesktop, type Desktop } from './xvfb.js';

const bin = fileURLToPath(new URL('../bin/parapet-agent.js', import.meta.url));
const missing = missingX11Tools();
const skip = missing.length ? `needs ${missing.join(', ')}` : false;
let s: TestServer;
let d: Desktop;
let dir: string;
before(async () => {
  if (skip) return;
  s = await startTestServer();
  d = await startDesktop();
  dir = await mkdtemp(join(tmpdir(), 'parapet-agent-e2e-'));
});
after(async () => {
  await d?.close();
  await s?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function startAgent(args: string[], env: Record<string, string>): { p: ChildProcess; out: () => string; ready: Promise<void> } {
  const p = spawn(process.execPath, [bin, 'run', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    p.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('Recording (')) resolve();
    });
    p.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    p.once('exit', (c) => reject(new Error(`agent exited ${c}: ${out}`)));
  });
  return { p, out: () => out, ready };
}

test('parapet-agent run under Xvfb against the real server: windows, pause, exclusion, show, batches once each', { skip }, async () => {
  const { token, caFile, tenantId } = await agentEnrolment(s, dir);
  const sd = join(dir, 'agent');
  const env = { ...d.env, PARAPET_AGENT_KEY_STORE: 'file' };
  const cli = (args: string[]) => runBin(bin, [...args, '--state-dir', sd], env);
  const e = await runBin(bin, ['enroll', '--server', s.url, '--token', token, '--ca', caFile, '--state-dir', sd, '--key-store', 'file'], env);
  assert.equal(e.code, 0, e.stderr);

  const term = await d.open('xterm', ['-T', 'Mail – alice.smith@example.com – https://mail.example.org/inbox/4711'], 'Mail – alice.smith@example.com – https://mail.example.org/inbox/4711');
  const msg = await d.open('xmessage', ['-title', 'Chat with +49 30 12345678', 'hi'], 'Chat with +49 30 12345678');
  await d.activate(term);
  const agent = startAgent(['--state-dir', sd, '--upload-every', '1000'], env);
  await agent.ready;
  const focus = async (w: string, ms: number) => {
    await d.activate(w);
    for (let i = 0; i < ms / 500; i++) (await d.input(), await sleep(500));
  };
  await focus(term, 3000);
  await focus(msg, 3000);
  await focus(term, 3000);
  // Pause while it runs: the running agent picks the setting up from the store.
  assert.equal((await cli(['pause', '--until-resumed'])).code, 0);
  // As with exclusion below: the running agent reads the controls every 2 s.
  await focus(term, 2500);
  await focus(msg, 4000);
  // Switch back while still paused, so a slow window switch on a busy machine cannot record
  // a moment of xmessage after the resume.
  await d.activate(term);
  assert.equal((await cli(['resume'])).code, 0);
  await focus(term, 4000);
  assert.equal((await cli(['exclude', 'xmessage'])).code, 0);
  // The running agent reads the controls every 2 s; give it that before the switch.
  await focus(term, 2500);
  await focus(msg, 4000);
  await d.activate(term); // as above: switch before the control changes
  assert.equal((await cli(['include', 'xmessage'])).code, 0);
  await focus(term, 4000);
  agent.p.kill('SIGTERM');
  const code = await new Promise((r) => agent.p.once('exit', r));
  assert.equal(code, 0, agent.out());
  assert.match(agent.out(), /X11 session/);
  const up = await cli(['upload']);
  assert.equal(up.code, 0, up.stderr);

  // What the device recorded: the app sequence with the paused stretches, no raw title anywhere.
  const show = await cli(['show', '--json']);
  assert.equal(show.code, 0, show.stderr);
  assert.doesNotMatch(show.stdout, /alice|12345678|inbox\/4711|Mail –|Chat with/i);
  const j = JSON.parse(show.stdout) as { intervals: Array<{ id: string; state: string; app: string | null; domain: string | null; start: number; end: number; uploaded: boolean }>; pending: { sealed: unknown[]; unsealed: unknown[]; open: unknown } };
  const seq = j.intervals.map((i) => (i.state === 'paused' ? 'paused' : i.app)).filter((x, k, a) => x !== a[k - 1]);
  assert.deepEqual(seq, ['xterm', 'xmessage', 'xterm', 'paused', 'xterm', 'paused', 'xterm'], JSON.stringify(j.intervals.map((i) => [i.state, i.app, i.end - i.start])));
  for (const i of j.intervals) {
    if (i.state === 'paused') assert.deepEqual([i.app, i.domain], [null, null]);
    assert.equal(i.uploaded, true);
  }
  assert.ok(j.intervals.filter((i) => i.app === 'xterm').every((i) => i.domain === 'example.org'), 'the domain of the URL in the title, nothing more');
  assert.deepEqual([j.pending.sealed.length, j.pending.unsealed.length, j.pending.open], [0, 0, null]);
  for (let k = 1; k < j.intervals.length; k++) assert.ok(j.intervals[k]!.start >= j.intervals[k - 1]!.end, 'no overlap');
  const text = await cli(['show', '--today']);
  assert.match(text.stdout, /active +xterm +browsing +example\.org +\(uploaded\)/);
  assert.match(text.stdout, /paused +\(uploaded\)/);

  // On the server: each interval exactly once, with exactly the uploaded fields; batches once each.
  const rows = await s.asAdmin(async (q) => (await q.query<{ id: string; app: string | null; category: string | null; domain: string | null; state: number; ms: number }>(`SELECT id::text, app, category, domain, state, (extract(epoch from end_at - start_at) * 1000)::float8 AS ms FROM pulse_intervals WHERE tenant_id = $1 ORDER BY start_at`, [tenantId])).rows);
  assert.deepEqual(rows.map((r) => r.id).sort(), j.intervals.map((i) => i.id).sort());
  assert.deepEqual(rows.map((r) => Math.round(r.ms)), j.intervals.map((i) => i.end - i.start));
  const store = await Store.open({ dir: sd, keyStore: 'file' });
  const sent = store.intervals(0, Infinity).map((i) => i.batchId);
  store.close();
  const batches = await s.asAdmin(async (q) => (await q.query<{ batch_id: string }>(`SELECT batch_id::text FROM pulse_batches WHERE tenant_id = $1`, [tenantId])).rows.map((r) => r.batch_id));
  assert.deepEqual(batches.sort(), [...new Set(sent)].sort());
});
