/**
 * Helpers for Pulse tests: enroll a real agent (DeviceClient over pinned TLS) for a person, and
 * build batches in the shared wire format.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { TestClient, TestServer } from '@parapet/server/testing';
import { DeviceClient, openKeyStore } from '@parapet/device-client';
import { PULSE_BATCH_SCHEMA_ID, type PulseBatch, type PulseInterval } from '@parapet/core';

/** Enrolls an agent owned by `ownerUserId` (undefined: a fleet device) through the real API. */
export async function enrollAgent(s: TestServer, admin: TestClient, dir: string, ownerUserId: string | undefined, name = 'laptop-' + randomUUID().slice(0, 8), kind: 'agent' | 'worker' = 'agent'): Promise<DeviceClient> {
  const t = await admin.post('/api/v1/devices/enrollment-tokens', { kind, ...(ownerUserId ? { owner_user_id: ownerUserId } : {}) });
  assert.equal(t.status, 201, t.text);
  const store = await openKeyStore({ service: 'parapet-test', account: name, filePath: join(dir, name, 'device.key'), prefer: 'file' });
  return DeviceClient.enroll({ server: s.url, token: t.json.token, kind, name, store, statePath: join(dir, name, 'state.json'), ca: s.ca, version: '1', platform: 'linux' });
}

/** An interval; `start`/`end` in ms. */
export function iv(start: number, end: number, o: Partial<PulseInterval> = {}): PulseInterval {
  const state = o.state ?? 'active';
  return {
    id: o.id ?? randomUUID(),
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    state,
    app: state === 'paused' ? null : (o.app ?? 'code'),
    category: state === 'paused' ? null : (o.category ?? 'development'),
    domain: o.domain ?? null,
  };
}

export function batch(intervals: PulseInterval[], batchId: string = randomUUID()): PulseBatch {
  return { schema: PULSE_BATCH_SCHEMA_ID, batch_id: batchId, created_at: new Date().toISOString(), intervals };
}

/** POSTs a batch with the device's signature; returns status and JSON body. */
export async function upload(d: DeviceClient, body: unknown): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await d.request('POST', '/api/v1/pulse/batches', body);
  return { status: r.status, json: r.json() };
}

export const HOUR = 3_600_000;
export const DAY = 86_400_000;
/** Midnight UTC `daysAgo` days before now. */
export function dayStart(daysAgo: number, now = Date.now()): number {
  return Math.floor(now / DAY) * DAY - daysAgo * DAY;
}

/** Monday (YYYY-MM-DD, UTC) of the ISO week `weeksAgo` weeks before this one. */
export function monday(weeksAgo: number): string {
  const today = Math.floor(Date.now() / DAY) * DAY;
  const dow = (new Date(today).getUTCDay() + 6) % 7;
  return new Date(today - dow * DAY - weeksAgo * 7 * DAY).toISOString().slice(0, 10);
}

/** The day `n` days after `day` (both YYYY-MM-DD, UTC). */
export const plusDays = (day: string, n: number) => new Date(Date.parse(day) + n * DAY).toISOString().slice(0, 10);
