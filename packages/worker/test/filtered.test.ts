/**
 * open / closed / filtered with nmap's meaning, on a port filtered by a DROP rule: the rule
 * lives in a network namespace this test creates (unshare --net, so nothing outside it is
 * touched), and nmap -sT must agree with the worker's tcp_connect probe on all three ports.
 * Skipped, with the reason, where namespaces or nft are unavailable (not root, no CAP_NET_ADMIN).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./netns-filtered.ts', import.meta.url));

function netnsUnavailable(): string | undefined {
  const probe = spawnSync('unshare', ['--net', 'sh', '-c', 'ip link set lo up && nft list tables'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return `network namespaces with nftables are not available here (${(probe.stderr || String(probe.error)).trim().split('\n')[0]})`;
  if (spawnSync('nmap', ['--version']).status !== 0) return 'nmap is not installed';
  return undefined;
}

test('a port dropped by nftables in a private namespace is filtered; open and closed too; nmap -sT agrees', (t) => {
  const why = netnsUnavailable();
  if (why) {
    t.skip(`skipped: ${why}`);
    return;
  }
  const r = spawnSync('unshare', ['--net', process.execPath, '--import', 'tsx', script], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.deepEqual(out.worker, { open: 'open', closed: 'closed', filtered: 'filtered' });
  assert.deepEqual(out.nmap, out.worker);
});
