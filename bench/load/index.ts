/**
 * `npm run bench -- load`: two server replicas behind HAProxy on one PostgreSQL, simulated
 * agents and workers for a fixed time (see run.ts). Needs DATABASE_URL and DATABASE_ADMIN_URL
 * (PostgreSQL) and the `haproxy` binary.
 *
 * Environment: LOAD_AGENTS (default 2000), LOAD_WORKERS (20), LOAD_DURATION_S (600),
 * LOAD_REPLICAS (2). Exits non-zero when any request failed, the audit log does not verify or
 * an acknowledged interval is missing or stored twice.
 */
import { haproxyAvailable } from '../../e2e/cluster.js';
import { formatLoad, runLoad } from './run.js';

const num = (v: string | undefined, d: number) => (v && Number.isFinite(Number(v)) && Number(v) > 0 ? Number(v) : d);

if (!process.env.DATABASE_URL || !process.env.DATABASE_ADMIN_URL) {
  console.error('bench load needs PostgreSQL: set DATABASE_URL and DATABASE_ADMIN_URL.');
  process.exit(1);
}
if (!haproxyAvailable()) {
  console.error('bench load needs haproxy (Debian package haproxy).');
  process.exit(1);
}
const r = await runLoad({
  agents: num(process.env.LOAD_AGENTS, 2000),
  workers: num(process.env.LOAD_WORKERS, 20),
  durationMs: num(process.env.LOAD_DURATION_S, 600) * 1000,
  replicas: num(process.env.LOAD_REPLICAS, 2),
  log: (l) => console.log(l),
});
console.log('\n' + formatLoad(r));
const ok = r.total.errors === 0 && r.audit.verified && r.intervalsMissing === 0 && r.intervalsDuplicated === 0 && r.intervalsStored === r.intervalsAcked;
if (!ok) {
  console.error('\nThe load run failed its checks (errors, audit verification or interval exactly-once).');
  process.exit(1);
}
