/**
 * PDP benchmark (CORE-PDP): decisions per second and p50/p99 latency of authorize() on the
 * Cedar policy set (pre-parsed once), for a tenant of 10,000 users in a 6-level manager
 * hierarchy. Each decision asks whether a random manager may read a random person's data
 * (action in subject_data), with that person's manager chain as entities, as the routes do.
 */
import { availableParallelism, loadavg } from 'node:os';
import { clearDecisionCache, decide, defineActions, pdpCacheStats } from '../../packages/server/src/platform/pdp.js';
import type { UserPrincipal } from '../../packages/server/src/platform/principal.js';

const USERS = 10_000;
const LEVELS = 6;
const DECISIONS = Number(process.env.BENCH_DECISIONS ?? 20_000);

defineActions({ 'bench.person.read': { roles: ['manager', 'employee'], groups: ['subject_data'] } });

// Fan-out 6: 1 + 6 + 36 + 216 + 1296 + the rest (8445) on the sixth level.
const manager: (number | null)[] = [null];
const level: number[] = [0];
for (let i = 1; i < USERS; i++) {
  const lv = i < 7 ? 1 : i < 43 ? 2 : i < 259 ? 3 : i < 1555 ? 4 : 5;
  const start = [0, 1, 7, 43, 259, 1555][lv - 1]!;
  const end = [1, 7, 43, 259, 1555, USERS][lv - 1]!;
  manager.push(start + ((i * 7919) % (end - start)));
  level.push(lv);
}
const chainOf = (i: number): string[] => {
  const out: string[] = [];
  for (let m = manager[i]; m !== null && m !== undefined; m = manager[m]) out.push(`u${m}`);
  return out;
};
const managers = [...Array(USERS).keys()].filter((i) => level[i]! < LEVELS - 1);
let seed = 42;
const rnd = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31), seed % n);

const principalOf = (i: number): UserPrincipal => ({ kind: 'user', tenantId: 't', userId: `u${i}`, email: 'e', roles: ['manager'], sessionId: 's', mfaVerifiedAt: null, csrfToken: 'x' });
function one(pair?: [number, number]): boolean {
  const who = pair ? pair[0] : managers[rnd(managers.length)]!;
  const subject = pair ? pair[1] : rnd(USERS);
  return decide(principalOf(who), 'bench.person.read', { type: 'person', id: `u${subject}`, tenantId: 't', attrs: { subject: `u${subject}`, managerChain: chainOf(subject) } }, { purpose: 'bench', mfaAgeSeconds: 10 }).allowed;
}

for (let i = 0; i < 500; i++) one(); // warm-up (and the one-time policy load)
const lat: number[] = [];
let allowed = 0;
const t0 = performance.now();
for (let i = 0; i < DECISIONS; i++) {
  const s = performance.now();
  if (one()) allowed++;
  lat.push(performance.now() - s);
}
const total = (performance.now() - t0) / 1000;
lat.sort((a, b) => a - b);
const pct = (l: number[], p: number) => l[Math.min(l.length - 1, Math.floor((p / 100) * l.length))]!.toFixed(3);

console.log(`pdp cold (random pairs; ${pdpCacheStats.hits} of ${pdpCacheStats.hits + pdpCacheStats.misses} Cedar evaluations, warm-up included, came from the cache): ${USERS} users, ${LEVELS} levels, ${DECISIONS} decisions (${allowed} allowed): ${(DECISIONS / total).toFixed(0)} decisions/s, p50 ${pct(lat, 50)} ms, p90 ${pct(lat, 90)} ms, p99 ${pct(lat, 99)} ms (load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores)`);

// Warm: 1,000 (manager, person) pairs asked again and again, as sessions repeat their
// requests; the decision cache answers after each pair's first decision.
clearDecisionCache();
const pairs: Array<[number, number]> = [...Array(1000)].map(() => [managers[rnd(managers.length)]!, rnd(USERS)]);
const before = { ...pdpCacheStats };
const warm: number[] = [];
const t1 = performance.now();
for (let i = 0; i < DECISIONS; i++) {
  const s = performance.now();
  one(pairs[rnd(pairs.length)]);
  warm.push(performance.now() - s);
}
const total1 = (performance.now() - t1) / 1000;
warm.sort((a, b) => a - b);
const hits = pdpCacheStats.hits - before.hits;
console.log(`pdp warm (1,000 repeating pairs): ${DECISIONS} decisions, ${(100 * hits / DECISIONS).toFixed(1)}% from the cache: ${(DECISIONS / total1).toFixed(0)} decisions/s, p50 ${pct(warm, 50)} ms, p90 ${pct(warm, 90)} ms, p99 ${pct(warm, 99)} ms; warm/cold throughput ${(total / total1).toFixed(1)}x`);
const warmP99us = warm[Math.min(warm.length - 1, Math.floor(0.99 * warm.length))]! * 1000;
console.log(`pdp goal: warm p99 <= 100 µs: ${warmP99us.toFixed(0)} µs, ${warmP99us <= 100 ? 'met' : 'NOT met'}`);
