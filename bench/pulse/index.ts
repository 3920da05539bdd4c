/**
 * bench/pulse (PostgreSQL only: set DATABASE_URL and DATABASE_ADMIN_URL).
 * Run: npm run bench -- pulse   or   node --import tsx bench/pulse/index.ts [--people 200 --days 84 --per-day 27] [--full]
 *      [--batches 80 --batch-size 500] (batch size: intervals per upload, at most 5,000) [--only ingest|views] [--rounds 3] [--agents 8]
 *
 * 1. Ingest: intervals/s through the signed batch API (Fastify inject: RFC 9421 verify, nonce,
 *    parse, overlap resolution, idempotency checks, intervals + daily rollups + audit entry in
 *    one transaction), --agents (8) agents uploading at once, so the server is busy: with 4 its
 *    event loop idles while each batch waits for its commit; --batch-size intervals per batch; against a raw
 *    `COPY pulse_intervals FROM STDIN` (psql) of rows of the same shape, in the same run.
 * 2. Manager week view: GET /api/v1/pulse/activity (session, PDP, k-anonymity and the
 *    differencing rule, audit entry) for a ~100-person team and for the whole org, over
 *    synthetic data made with SQL (--full: 1,000 people x 365 days x 27 intervals/day = 10 M
 *    intervals); p50/p95 against a plain SQL aggregate of the raw intervals for the same team
 *    and week (no RLS, PDP or k-anonymity), also in this run.
 * 3. Storage: bytes per interval (heap + indexes of every partition), and of the rollups.
 */
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpsig, KeyRing, PULSE_BATCH_SCHEMA_ID } from '@parapet/core';
import { createTestDatabase, usingPostgres } from '@parapet/db/testing';
import { PostgresDatabase } from '@parapet/db';
import { buildApp } from '@parapet/server';
import { createSession, SESSION_COOKIE } from '@parapet/server/auth/sessions';

const { values } = parseArgs({ options: { people: { type: 'string', default: '200' }, days: { type: 'string', default: '84' }, 'per-day': { type: 'string', default: '27' }, full: { type: 'boolean', default: false }, batches: { type: 'string', default: '80' }, 'batch-size': { type: 'string', default: '500' }, requests: { type: 'string', default: '40' }, only: { type: 'string' }, rounds: { type: 'string', default: '3' }, agents: { type: 'string', default: '8' } } });
const AGENTS = Number(values.agents);
const ROUNDS = Number(values.rounds);
const ONLY = values.only as 'ingest' | 'views' | undefined;
const PEOPLE = values.full ? 1000 : Number(values.people);
const DAYS = values.full ? 365 : Number(values.days);
const PER_DAY = Number(values['per-day']);
const BATCHES = Number(values.batches);
const REQUESTS = Number(values.requests);
const BATCH_SIZE = Number(values['batch-size']);
const DAY = 86_400_000;

if (!usingPostgres()) {
  console.log('bench/pulse: skipped (set DATABASE_URL and DATABASE_ADMIN_URL for real PostgreSQL: source /tmp/pgenv.sh)');
  process.exit(0);
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const t = await createTestDatabase();
const db = new PostgresDatabase({ url: t.urls!.app, adminUrl: t.urls!.admin, max: 8 });
const dataDir = await mkdtemp(join(tmpdir(), 'parapet-bench-pulse-'));
const app = await buildApp({ db, keys: new KeyRing([{ id: 'k', key: randomBytes(32) }], 'k'), dataDir, now: () => new Date() });
await app.ready();
const admin = (sql: string, params?: unknown[]) => t.asAdmin((s) => s.query(sql, params));

function psqlCopy(sql: string, csv: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('psql', [t.urls!.admin, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { stdio: ['pipe', 'inherit', 'inherit'] });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`psql exited ${code}`))));
    p.stdin.end(csv);
  });
}

try {
  // ---------------------------------------------------------------- ingest
  if (ONLY !== 'views') {
  const tenantId = randomUUID();
  const agents: Array<{ key: ReturnType<typeof generateKeyPairSync>['privateKey']; keyid: string; userId: string }> = [];
  await db.tx({ tenantId }, async (q) => {
    await q.query(`INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $2)`, [tenantId, 'bench-' + tenantId.slice(0, 8)]);
    for (let i = 0; i < AGENTS; i++) {
      const u = (await q.query<{ id: string }>(`INSERT INTO users (tenant_id, email, roles) VALUES ($1, $2, '{employee}') RETURNING id`, [tenantId, `agent${i}@bench.test`])).rows[0]!.id;
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
      const tok = await q.query<{ id: string }>(`INSERT INTO device_enrollment_tokens (tenant_id, token_hash, kind, created_by, expires_at, used_at, owner_user_id) VALUES ($1, $2, 'agent', 'bench', now(), now(), $3) RETURNING id`, [tenantId, randomBytes(32), u]);
      const d = (await q.query<{ id: string }>(`INSERT INTO devices (tenant_id, kind, name, public_key, enrollment_token_id, owner_user_id) VALUES ($1, 'agent', $2, $3, $4, $5) RETURNING id`, [tenantId, `bench-${i}`, raw, tok.rows[0]!.id, u])).rows[0]!.id;
      agents.push({ key: privateKey, keyid: `${tenantId}.${d}`, userId: u });
    }
  });
  const start0 = Math.floor(Date.now() / DAY) * DAY - 60 * DAY;
  /** Batch b of agent a: BATCH_SIZE back-to-back 60 s intervals, later batches later in time. */
  const makeBatch = (a: number, b: number) => {
    const base = start0 + (b * BATCH_SIZE + a * 7) * 60_000 * 1.01;
    return {
      schema: PULSE_BATCH_SCHEMA_ID,
      batch_id: randomUUID(),
      created_at: new Date().toISOString(),
      intervals: Array.from({ length: BATCH_SIZE }, (_, i) => ({
        id: randomUUID(),
        start: new Date(base + i * 60_000).toISOString(),
        end: new Date(base + i * 60_000 + 59_000).toISOString(),
        state: i % 9 === 0 ? 'idle' : 'active',
        app: ['code', 'slack', 'zoom', 'firefox'][i % 4]!,
        category: ['development', 'communication', 'meetings', 'browsing'][i % 4]!,
        domain: i % 4 === 3 ? 'example.com' : null,
      })),
    };
  };
  const host = 'bench.example:443';
  /**
   * Agent a's signed upload of `body`: the headers as the agent would send them. Made before a
   * round is timed, since signing is the agent's work on its own machine, not the server's; a
   * round takes seconds, well inside the signature's window.
   */
  const signed = (a: number, body: Buffer) => {
    const created = Math.floor(Date.now() / 1000);
    const h: Record<string, string> = { host, 'content-type': 'application/json', 'content-digest': httpsig.contentDigest(body) };
    const sig = httpsig.signRequest(
      { method: 'POST', authority: host, target: '/api/v1/pulse/batches', headers: h },
      { components: ['@method', '@authority', '@path', '@query', 'content-digest'], params: { created, expires: created + 60, nonce: randomBytes(16).toString('base64url'), keyid: agents[a]!.keyid, alg: 'ed25519' }, privateKey: agents[a]!.key },
    );
    return { headers: { ...h, ...sig }, body };
  };
  const send = async (u: { headers: Record<string, string>; body: Buffer }) => {
    const r = await app.inject({ method: 'POST', url: '/api/v1/pulse/batches', headers: u.headers, payload: u.body });
    if (r.statusCode !== 201) throw new Error(`upload ${r.statusCode}: ${r.body}`);
  };
  // Warm-up (partitions, then one unmeasured round of the API path the size of a measured one,
  // so V8 has optimised it as it would have on a server that has been up for a while), then
  // ROUNDS measured rounds, each the API run and the COPY of rows of the same shape back to
  // back, so a change in the machine's load (the cores are shared) hits both sides of a round
  // alike. The warm-up batches lie before the measured ones in time.
  for (let m = start0 - 40 * DAY; m < Date.now() + 31 * DAY; m += 28 * DAY) await db.tx({ tenantId }, (q) => q.query(`SELECT pulse_ensure_partition($1::date)`, [new Date(m).toISOString().slice(0, 10)]));
  const B4 = Math.floor(BATCHES / AGENTS);
  await Promise.all(agents.map(async (_, a) => {
    for (let b = 0; b < B4; b++) await send(signed(a, Buffer.from(JSON.stringify(makeBatch(a, -1 - b)))));
  }));
  let apiTotal = 0;
  let copyTotal = 0;
  const ratios: number[] = [];
  // Node CPU (user + system) per batch in the API phase (the server's work; the requests are
  // built and signed before it): less
  // sensitive to the machine's load than the rates, so it shows what a change to the ingest
  // path saves when the shared cores make the rates noisy.
  const cpuMsPerBatch: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const uploads = agents.map((_, a) => Array.from({ length: B4 }, (_, b) => signed(a, Buffer.from(JSON.stringify(makeBatch(a, round * B4 + b))))));
    let t0 = performance.now();
    const cpu0 = process.cpuUsage();
    await Promise.all(agents.map(async (_, a) => {
      for (const u of uploads[a]!) await send(u);
    }));
    const apiSecs = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    cpuMsPerBatch.push((cpu.user + cpu.system) / 1000 / (B4 * AGENTS));
    const rows: string[] = [];
    for (let a = 0; a < AGENTS; a++) {
      for (let b = 0; b < B4; b++) {
        const batch = makeBatch(a, (ROUNDS + round) * B4 + b);
        for (const i of batch.intervals) rows.push([tenantId, i.start, i.id, i.end, agents[a]!.userId, agents[a]!.keyid.split('.')[1], i.state === 'idle' ? 1 : 0, i.app, i.category, i.domain ?? ''].join(','));
      }
    }
    const months = new Set(rows.map((r) => r.split(',')[1]!.slice(0, 7)));
    for (const m of months) await db.tx({ tenantId }, (q) => q.query(`SELECT pulse_ensure_partition($1::date)`, [`${m}-01`]));
    t0 = performance.now();
    await psqlCopy(`COPY pulse_intervals (tenant_id, start_at, id, end_at, user_id, device_id, state, app, category, domain) FROM STDIN WITH (FORMAT csv, NULL '')`, rows.join('\n') + '\n');
    const copySecs = (performance.now() - t0) / 1000;
    apiTotal += apiSecs;
    copyTotal += copySecs;
    ratios.push(copySecs / apiSecs);
    console.log(`ingest round ${round + 1}: signed API ${Math.round((B4 * AGENTS * BATCH_SIZE) / apiSecs)} intervals/s vs raw COPY ${Math.round(rows.length / copySecs)} intervals/s: ratio ${(copySecs / apiSecs).toFixed(2)}`);
  }
  const n = ROUNDS * B4 * AGENTS * BATCH_SIZE;
  console.log(`ingest: signed API ${Math.round(n / apiTotal)} intervals/s (${ROUNDS} x ${B4 * AGENTS} batches of ${BATCH_SIZE}, ${AGENTS} agents) vs raw COPY ${Math.round(n / copyTotal)} intervals/s: ratio ${(copyTotal / apiTotal).toFixed(2)} overall, median round ${pct(ratios, 50).toFixed(2)} (goal >= 0.5); Node CPU per batch, median round ${pct(cpuMsPerBatch, 50).toFixed(2)} ms`);

  }
  if (ONLY !== 'ingest') {
  // ---------------------------------------------------------------- synthetic org
  const org = randomUUID();
  const g0 = performance.now();
  await db.tx({ tenantId: org }, (q) => q.query(`INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $2)`, [org, 'org-' + org.slice(0, 8)]));
  // People: p0 the ceo; p1..p10 directors; p11..p110 managers (10 per director); the rest
  // engineers spread over the managers.
  await admin(
    `INSERT INTO users (tenant_id, id, email, roles, manager_id)
     SELECT $1::uuid, md5($3 || i)::uuid, 'p' || i || '@bench.test',
            CASE WHEN i <= 110 THEN '{manager,employee}'::text[] ELSE '{employee}'::text[] END,
            CASE WHEN i = 0 THEN NULL WHEN i <= 10 THEN md5($3 || 0)::uuid WHEN i <= 110 THEN md5($3 || (1 + (i - 11) / 10))::uuid
                 ELSE md5($3 || (11 + (i - 111) % 100))::uuid END
       FROM generate_series(0, $2 - 1) i ORDER BY i`,
    [org, PEOPLE, org],
  );
  const firstDay = Math.floor(Date.now() / DAY) * DAY - (DAYS + 2) * DAY;
  for (let m = firstDay; m < Date.now() + 31 * DAY; m += 28 * DAY) await db.tx({ tenantId: org }, (q) => q.query(`SELECT pulse_ensure_partition($1::date)`, [new Date(m).toISOString().slice(0, 10)]));
  // PER_DAY intervals of 15 min per person per day from 08:00, categories by rotation.
  await admin(
    `INSERT INTO pulse_intervals (tenant_id, start_at, id, end_at, user_id, device_id, state, app, category, domain)
     SELECT $1::uuid, ts, md5(u::text || ts::text)::uuid, ts + interval '14 minutes', u, u, CASE WHEN k % 7 = 6 THEN 1 ELSE 0 END,
            (ARRAY['code','slack','zoom','firefox','libreoffice'])[1 + (k + h) % 5], (ARRAY['development','communication','meetings','browsing','documents'])[1 + (k + h) % 5], NULL
       FROM generate_series(0, $2 - 1) d,
            LATERAL (SELECT $3::timestamptz + d * interval '1 day' + interval '8 hours' AS day0) x,
            LATERAL (SELECT md5($6 || i)::uuid AS u, i AS h FROM generate_series(0, $4 - 1) i) p,
            LATERAL (SELECT day0 + k * interval '15 minutes' AS ts, k FROM generate_series(0, $5 - 1) k) s`,
    [org, DAYS, new Date(firstDay), PEOPLE, PER_DAY, org],
  );
  await admin(
    `INSERT INTO pulse_daily (tenant_id, day, user_id, category, active_s, idle_s, paused_s, work_s, intervals)
     SELECT tenant_id, (start_at AT TIME ZONE 'UTC')::date, user_id, category,
            sum(CASE WHEN state = 0 THEN extract(epoch FROM end_at - start_at) ELSE 0 END), sum(CASE WHEN state = 1 THEN extract(epoch FROM end_at - start_at) ELSE 0 END), 0,
            sum(CASE WHEN state = 0 AND extract(hour FROM start_at AT TIME ZONE 'UTC') BETWEEN 9 AND 16 AND extract(isodow FROM start_at AT TIME ZONE 'UTC') <= 5 THEN extract(epoch FROM end_at - start_at) ELSE 0 END), count(*)
       FROM pulse_intervals WHERE tenant_id = $1 GROUP BY 1, 2, 3, 4`,
    [org],
  );
  await t.asAdmin((s) => s.exec(`ANALYZE pulse_intervals; ANALYZE pulse_daily; ANALYZE users`));
  const nIntervals = Number((await admin(`SELECT count(*) AS n FROM pulse_intervals WHERE tenant_id = $1`, [org])).rows[0]!.n);
  console.log(`synthetic org: ${PEOPLE} people, ${DAYS} days, ${nIntervals.toLocaleString('en')} intervals, made with SQL in ${((performance.now() - g0) / 1000).toFixed(0)} s${values.full ? '' : ' (use --full for 1,000 people x 365 days)'}`);

  // ---------------------------------------------------------------- storage
  const bytes = Number((await admin(`SELECT sum(pg_total_relation_size(relid)) AS b FROM pg_partition_tree('pulse_intervals')`)).rows[0]!.b);
  const heap = Number((await admin(`SELECT sum(pg_relation_size(relid)) AS b FROM pg_partition_tree('pulse_intervals')`)).rows[0]!.b);
  const allRows = Number((await admin(`SELECT count(*) AS n FROM pulse_intervals`)).rows[0]!.n);
  const rollupBytes = Number((await admin(`SELECT pg_total_relation_size('pulse_daily') AS b`)).rows[0]!.b);
  console.log(`storage: ${(bytes / allRows).toFixed(0)} B per interval with indexes (${(heap / allRows).toFixed(0)} B heap), rollups ${(rollupBytes / allRows).toFixed(1)} B per interval; ActivityWatch about 142 B per event`);

  // ---------------------------------------------------------------- week view
  const director = (await admin(`SELECT md5($1 || 1)::uuid AS id`, [org])).rows[0]!.id as string;
  const ceo = (await admin(`SELECT md5($1 || 0)::uuid AS id`, [org])).rows[0]!.id as string;
  const cookieFor = async (userId: string) => (await db.tx({ tenantId: org }, (q) => createSession(q, { tenantId: org, userId, mfaVerifiedAt: null }))).cookie;
  const weeks = Array.from({ length: Math.max(1, Math.floor(DAYS / 7) - 1) }, (_, i) => {
    const d = new Date(firstDay + (i * 7 + 7) * DAY);
    const monday = new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY);
    return monday.toISOString().slice(0, 10);
  });
  for (const [who, viewer, level] of [['director (team)', director, 'team'], ['ceo (org)', ceo, 'org']] as const) {
    const cookie = await cookieFor(viewer);
    const teamSize = level === 'team' ? Number((await admin(`WITH RECURSIVE t(id) AS (SELECT id FROM users WHERE tenant_id = $1 AND manager_id = $2 UNION ALL SELECT u.id FROM users u JOIN t ON u.manager_id = t.id WHERE u.tenant_id = $1) SELECT count(*) AS n FROM t`, [org, viewer])).rows[0]!.n) : PEOPLE;
    const api: number[] = [];
    const raw: number[] = [];
    let released = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const week = weeks[i % weeks.length]!;
      const sunday = new Date(Date.parse(week) + 6 * DAY).toISOString().slice(0, 10);
      const qs = new URLSearchParams({ purpose: 'capacity_planning', level, period: 'week', from: week, to: sunday, ...(level === 'team' ? { subject: viewer } : {}) });
      let s0 = performance.now();
      const r = await app.inject({ method: 'GET', url: `/api/v1/pulse/activity?${qs}`, headers: { cookie: `${SESSION_COOKIE}=${cookie}` } });
      api.push(performance.now() - s0);
      if (r.statusCode !== 200) throw new Error(`week view ${r.statusCode}: ${r.body}`);
      released += (r.json() as { cells: Array<{ released: boolean }> }).cells.filter((c) => c.released).length;
      s0 = performance.now();
      await admin(
        `WITH RECURSIVE t(id) AS (SELECT id FROM users WHERE tenant_id = $1 AND ($3::text = 'org' OR manager_id = $2) UNION ALL SELECT u.id FROM users u JOIN t ON u.manager_id = t.id WHERE u.tenant_id = $1 AND $3::text <> 'org')
         SELECT category, sum(extract(epoch FROM end_at - start_at)) FROM pulse_intervals WHERE tenant_id = $1 AND start_at >= $4::date AND start_at < $4::date + 7 AND user_id IN (SELECT id FROM t) GROUP BY category`,
        [org, viewer, level, week],
      );
      raw.push(performance.now() - s0);
    }
    console.log(
      `week view, ${who}, ${teamSize} people: API (session, PDP, k-anonymity, audit) p50 ${pct(api, 50).toFixed(0)} ms, p95 ${pct(api, 95).toFixed(0)} ms (goal <= 200) vs raw SQL over intervals p50 ${pct(raw, 50).toFixed(0)} ms, p95 ${pct(raw, 95).toFixed(0)} ms: p95 ratio ${(pct(api, 95) / pct(raw, 95)).toFixed(2)}; ${released} released cells in ${REQUESTS} answers`,
    );
  }
  }
} finally {
  await app.close();
  await db.close();
  await t.close();
  await rm(dataDir, { recursive: true, force: true });
}
