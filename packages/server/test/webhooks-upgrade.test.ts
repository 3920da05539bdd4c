/**
 * Upgrade over migration 0460 on PGlite (the migration runs as the owner role, under forced
 * RLS, like on PostgreSQL): webhook messages written by the earlier schema (its own outbox
 * table, webhook_messages) become platform outbox messages with their webhook-id, state and
 * schedule; the delivery log survives; the platform consumer then delivers a carried-over
 * pending message with the webhook-id it had before the upgrade.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { loadMigrations, PgliteDatabase, runMigrations } from '@parapet/db';
import { listOutbox, Outbox } from '../src/platform/outbox.js';
import { WEBHOOK_TOPIC, type WebhookDelivery } from '../src/webhooks/deliver.js';

test('0460 carries webhook_messages over into the platform outbox and keeps the delivery log', async () => {
  const db = await PgliteDatabase.open();
  try {
    const all = await loadMigrations();
    await runMigrations(db.admin(), all.filter((m) => m.version < '0460'));
    const a = db.admin();
    const tenant = randomUUID();
    const other = randomUUID();
    const ep = randomUUID();
    await a.query(`INSERT INTO tenants (id, slug, name) VALUES ($1, 'upg-a', 'A'), ($2, 'upg-b', 'B')`, [tenant, other]);
    const user = (await a.query<{ id: string }>(`INSERT INTO users (tenant_id, email) VALUES ($1, 'admin@example.test') RETURNING id`, [tenant])).rows[0]!.id;
    await a.query(`INSERT INTO webhook_endpoints (tenant_id, id, url, secret_sealed, created_by, created_at, updated_at) VALUES ($1, $2, 'https://siem.example/hook', 'pe1.x', $3, now(), now())`, [tenant, ep, user]);
    const at = new Date('2026-06-01T12:00:00Z');
    const msgs = [
      ['msg_pending000000000000001', 'pending', 3, new Date(at.getTime() + 600_000)],
      ['msg_dead00000000000000000001', 'dead', 10, at],
      ['msg_delivered0000000000001', 'delivered', 1, at],
      ['msg_cancelled0000000000001', 'cancelled', 1, at],
    ] as const;
    for (const [id, state, attempts, next] of msgs) {
      await a.query(
        `INSERT INTO webhook_messages (tenant_id, id, endpoint_id, event_type, body, state, attempts, next_attempt_at, created_at, finished_at) VALUES ($1, $2, $3, 'probe.scan.finished', $4, $5, $6, $7, $8, $9)`,
        [tenant, id, ep, JSON.stringify({ type: 'probe.scan.finished', data: { id } }), state, attempts, next, at, state === 'pending' ? null : at],
      );
    }
    await a.query(`INSERT INTO webhook_attempts (tenant_id, message_id, n, endpoint_id, at, status, latency_ms) VALUES ($1, 'msg_dead00000000000000000001', 1, $2, $3, 500, 12)`, [tenant, ep, at]);

    const r = await runMigrations(db.admin(), all);
    assert.ok(r.applied.some((x) => x.startsWith('0460_')), r.applied.join());
    assert.equal((await a.query(`SELECT to_regclass('webhook_messages') AS t`)).rows[0]!.t, null, 'the webhooks\' own outbox is gone');

    const rows = await db.tx({ tenantId: tenant }, (q) => listOutbox(q, { topic: WEBHOOK_TOPIC }));
    const byKey = new Map(
      await db.tx({ tenantId: tenant }, async (q) => (await q.query<{ id: string; dedupe_key: string; payload: WebhookDelivery; max_attempts: number }>(`SELECT id::text AS id, dedupe_key, payload, max_attempts FROM outbox`)).rows.map((x) => [x.dedupe_key, x])),
    );
    assert.equal(rows.length, 4);
    for (const [id, state, attempts, next] of msgs) {
      const o = byKey.get(id)!;
      const row = rows.find((x) => x.id === o.id)!;
      assert.equal(row.state, state, id);
      assert.equal(row.attempts, attempts, id);
      assert.equal(o.max_attempts, 10);
      assert.deepEqual(o.payload, { webhook_id: id, endpoint_id: ep, event_type: 'probe.scan.finished', body: JSON.stringify({ type: 'probe.scan.finished', data: { id } }) });
      assert.equal(row.nextAttemptAt?.getTime() ?? null, state === 'pending' ? next.getTime() : null, id);
    }
    assert.deepEqual(await db.tx({ tenantId: other }, (q) => listOutbox(q)), [], 'each tenant\'s rows stay its own');
    const log = await db.tx({ tenantId: tenant }, async (q) => (await q.query<{ message_id: string; status: number }>(`SELECT message_id, status FROM webhook_attempts`)).rows);
    assert.deepEqual(log, [{ message_id: 'msg_dead00000000000000000001', status: 500 }]);

    // The carried-over pending message is delivered by the platform drainer under its old webhook-id.
    const ob = new Outbox(db);
    ob.now = () => new Date(at.getTime() + 600_001);
    const seen: string[] = [];
    ob.consume<WebhookDelivery>(WEBHOOK_TOPIC, async (m) => void seen.push(m.payload.webhook_id));
    assert.deepEqual(await ob.drainTenant(tenant), { delivered: 1, failed: 0, dead: 0 });
    assert.deepEqual(seen, ['msg_pending000000000000001']);
    // Deleting the endpoint takes its delivery log with it (the attempts now hang off the endpoint).
    await a.query(`DELETE FROM webhook_endpoints WHERE id = $1`, [ep]);
    assert.equal((await a.query(`SELECT count(*)::int AS n FROM webhook_attempts`)).rows[0]!.n, 0);
  } finally {
    await db.close();
  }
});
