/**
 * Argon2id cost per login (CORE-AUTHN) at the configured parameters: the time of one
 * verifyPassword, which every password login pays once (unknown accounts too).
 */
import { availableParallelism } from 'node:os';
import { ARGON2_PARAMS, hashPassword, verifyPassword } from '../../packages/server/src/auth/password.js';

const N = Number(process.env.BENCH_LOGINS ?? 20);
const h = await hashPassword('correct horse battery staple');
await verifyPassword(h, 'correct horse battery staple');
const lat: number[] = [];
for (let i = 0; i < N; i++) {
  const s = performance.now();
  await verifyPassword(h, 'correct horse battery staple');
  lat.push(performance.now() - s);
}
lat.sort((a, b) => a - b);
const p = ARGON2_PARAMS;
console.log(`login: Argon2id m=${p.memoryCost} KiB t=${p.timeCost} p=${p.parallelism} on ${availableParallelism()} cores: median ${lat[Math.floor(N / 2)]!.toFixed(0)} ms, max ${lat[N - 1]!.toFixed(0)} ms per verification (${N} runs)`);
