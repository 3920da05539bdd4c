/**
 * Probe end to end inside a network namespace this test creates (netns-flow.ts), where
 * nftables DROP rules can make ports filtered without touching the host:
 *  - the full flow (real parapet-worker binary, approved production scan) with a filtered port:
 *    the worker says `filtered` (after its RTT-based timeout, re-probed at the profile's full
 *    timeout), nmap -sT says `filtered`, and the expected-open port raises expected_port_closed;
 *  - the burst canary, both ways: an address that goes silent mid-scan, canary included, gives
 *    `inconclusive` (rate_limited_or_interfered) for every port that timed out, never closed or
 *    filtered; an address whose canary still answers gets its held ports re-probed, `filtered`.
 * Runs on both engines: with PostgreSQL, the namespace reaches it through a Unix-socket bridge.
 * Skipped, with the reason, where namespaces or nft are unavailable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./netns-flow.ts', import.meta.url));

function netnsUnavailable(): string | undefined {
  const probe = spawnSync('unshare', ['--net', 'sh', '-c', 'ip link set lo up && nft list tables'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return `network namespaces with nftables are not available here (${(probe.stderr || String(probe.error)).trim().split('\n')[0]})`;
  if (spawnSync('nmap', ['--version']).status !== 0) return 'nmap is not installed';
  return undefined;
}

test('in a private namespace: filtered port end to end (worker, findings, nmap agree); burst canary silent -> inconclusive, answering -> filtered', { timeout: 300_000 }, async (t) => {
  const why = netnsUnavailable();
  if (why) {
    t.skip(`skipped: ${why}`);
    return;
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  let bridge: import('node:net').Server | undefined;
  if (process.env.DATABASE_URL && process.env.DATABASE_ADMIN_URL) {
    const u = new URL(process.env.DATABASE_ADMIN_URL);
    const path = join(await mkdtemp(join(tmpdir(), 'pg-bridge-')), 'pg.sock');
    bridge = createServer((c) => {
      const up = connect(Number(u.port || 5432), u.hostname);
      c.pipe(up).pipe(c);
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
    });
    await new Promise<void>((r) => bridge!.listen(path, () => r()));
    env.PARAPET_PG_BRIDGE = path;
  }
  try {
    const child = spawn('unshare', ['--net', process.execPath, '--import', 'tsx', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.equal(code, 0, stderr.slice(-3000));
    const out = JSON.parse(stdout.trim().split('\n').pop()!);

    // 1. Full flow with a filtered port.
    const f = out.flow;
    assert.equal(f.enroll, 0);
    assert.equal(f.run, 0, f.run_output);
    assert.equal(f.scan_state, 'finished');
    assert.deepEqual(f.worker, { open: 'open', banner: 'open', closed: 'closed', filtered: 'filtered' });
    assert.equal(f.filtered_reason, 'timeout');
    assert.deepEqual(f.filtered_probes, ['tcp_connect'], 'nothing but the connect probe on a filtered port');
    assert.deepEqual(f.nmap, f.worker, 'nmap -sT agrees on all four ports');
    assert.deepEqual(f.filtered_findings, [{ kind: 'expected_port_closed', severity: 'medium', status: 'open', has_evidence: true }]);

    // 2. Silent canary: every port after the drop is inconclusive; the answered ones stay open.
    const silent = out.silent as { status: string; accepted_before_drop: number; results: Array<[number, string, string]>; log: string[] };
    assert.equal(silent.status, 'finished');
    assert.equal(silent.results.length, 30);
    const opened = silent.results.filter((x) => x[1] === 'open');
    const inconclusive = silent.results.filter((x) => x[1] === 'inconclusive');
    assert.equal(opened.length, silent.accepted_before_drop, 'every port accepted before the drop is open');
    assert.ok(opened.length >= 6 && opened.length < 30);
    assert.equal(inconclusive.length, 30 - opened.length, JSON.stringify(silent.results));
    assert.ok(inconclusive.every((x) => x[2] === 'rate_limited_or_interfered'));
    assert.ok(!silent.results.some((x) => x[1] === 'closed' || x[1] === 'filtered'), 'never closed or filtered');
    assert.equal(silent.log.length, 1);
    assert.match(silent.log[0]!, /was silent too/);

    // 3. Answering canary: held ports probed again at the full timeout, now filtered.
    const ans = out.answering as { status: string; results: Array<[number, string, string]>; log: string[] };
    assert.equal(ans.status, 'finished');
    assert.deepEqual(ans.results.filter((x) => x[1] === 'open').map((x) => x[0]).sort(), Array.from({ length: 10 }, (_, i) => 63000 + i));
    assert.deepEqual(ans.results.filter((x) => x[1] === 'filtered').map((x) => x[0]).sort(), Array.from({ length: 20 }, (_, i) => 63010 + i));
    assert.equal(ans.results.length, 30);
    assert.match(ans.log[0]!, /answered/);
  } finally {
    bridge?.close();
  }
});
