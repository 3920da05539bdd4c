/**
 * The audit event catalogue (platform/audit.ts), checked like the RLS catalogue: the names
 * each domain declares by declaration merging (`interface AuditEvents` in
 * `<domain>/audit-events.ts`, read from the sources) equal the names registered at run time
 * once the server's modules are loaded; every declared event is used by some source file;
 * every `action: '...'` written in the sources is declared; names follow the one style; and
 * the rename table maps only former names to declared ones.
 *
 * That an undeclared name or wrong `details` does not compile is checked by `npm run
 * typecheck` through the `@ts-expect-error` lines at the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AUDIT_EVENT_RENAMES, auditEventNamesByPrefix, currentAuditEventName, declaredAuditEvents, recordAudit, storedAuditEventNames } from '../src/platform/audit.js';
import type { Queryable } from '@parapet/db';
// Everything the server loads, plus key rotation (loaded by the CLI), registers its events.
import '../src/modules.js';
import '../src/crypto/rotation.js';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const sources = new Map(files(SRC).map((f) => [relative(SRC, f), readFileSync(f, 'utf8')]));
const isCatalogue = (f: string) => f.endsWith('/audit-events.ts') || f === 'platform/audit.ts';

/** Keys of every `interface AuditEvents { ... }` block in the catalogue files. */
function declaredInSources(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [f, src] of sources) {
    if (!f.endsWith('/audit-events.ts')) continue;
    const start = src.indexOf('interface AuditEvents {');
    assert.ok(start >= 0, `${f} declares no AuditEvents`);
    // The block ends at the first line that closes it at the interface's indentation.
    const body = src.slice(start, src.indexOf('\n  }\n', start));
    for (const m of body.matchAll(/^ {4}'([^']+)':/gm)) {
      assert.ok(!out.has(m[1]!), `${m[1]} is declared in ${out.get(m[1]!)} and ${f}`);
      out.set(m[1]!, f);
    }
  }
  return out;
}
const declared = declaredInSources();

test('the run-time list equals the declared keys', (t) => {
  t.diagnostic(`${declared.size} events declared in ${new Set(declared.values()).size} files`);
  assert.ok(declared.size >= 100);
  assert.deepEqual(declaredAuditEvents(), [...declared.keys()].sort());
});

test('every declared event is used somewhere outside the catalogue', () => {
  const unused = [...declared.keys()].filter((n) => ![...sources].some(([f, src]) => !isCatalogue(f) && src.includes(`'${n}'`)));
  assert.deepEqual(unused, []);
});

test('every event name written as an action in the sources is declared', (t) => {
  // `action: 'x'`, `action: c ? 'x' : 'y'`, and the event argument of the refusal helpers
  // (`audited(req, pdpAction, 'x', ...)`, `allow(req, pdpAction, 'x', ...)`).
  const N = "([a-z_]+\\.[a-z_.]+)";
  const patterns = [new RegExp(`\\baction:\\s*'${N}'`, 'g'), new RegExp(`\\baction:[^,}\\n]*?\\?\\s*'${N}'\\s*:\\s*'${N}'`, 'g'), new RegExp(`\\b(?:audited|allow)\\(req, '[a-z_.]+', '${N}'`, 'g')];
  const used = new Set<string>();
  for (const [f, src] of sources) {
    if (isCatalogue(f) || !/recordAudit|recordBudgeted|recordUnauthenticated/.test(src)) continue;
    for (const re of patterns) for (const m of src.matchAll(re)) for (const n of m.slice(1)) if (n) used.add(n);
  }
  t.diagnostic(`${used.size} names found in action positions`);
  // `details.action` of a PDP decision names a PDP action, not an event: those are excluded
  // by what they are not (`authz.*` details carry them as `action: 'pulse.activity.read'`,
  // which is also an event name).
  const undeclared = [...used].filter((n) => !declared.has(n));
  assert.deepEqual(undeclared, []);
  assert.ok(used.size >= 80, 'the scan finds the sources’ events');
});

test('names follow domain.object.verb (or domain.verb), the verb a past participle', () => {
  const irregular = new Set(['read', 'sent', 'made', 'signed_off', 'stepped_up']);
  for (const n of declared.keys()) {
    assert.match(n, /^[a-z]+(\.[a-z][a-z_]*){1,2}$/, `${n}: two or three lower snake_case segments`);
    const verb = n.split('.').pop()!;
    assert.ok(verb.endsWith('ed') || irregular.has(verb), `${n}: "${verb}" is not a past participle`);
  }
});

test('the rename table maps former names to declared current names, once', () => {
  for (const [old, now] of Object.entries(AUDIT_EVENT_RENAMES)) {
    assert.ok(declared.has(now), `${old} → ${now}, which is not declared`);
    assert.ok(!declared.has(old), `${old} is both a former and a current name`);
    assert.ok(!(now in AUDIT_EVENT_RENAMES), `${now} is itself renamed (no chains)`);
    assert.equal(currentAuditEventName(old), now);
  }
  assert.equal(currentAuditEventName('tenant.created'), 'tenant.created');
  assert.deepEqual(storedAuditEventNames('pulse.activity.exported', 'pulse.activity.read'), ['pulse.activity.exported', 'pulse.activity.read', 'pulse.export']);
  assert.deepEqual(auditEventNamesByPrefix('auth.session.'), ['auth.login', 'auth.logout', 'auth.step_up']);
  assert.deepEqual(auditEventNamesByPrefix('auth.session'), ['auth.login', 'auth.logout', 'auth.logout_all', 'auth.step_up']);
  assert.deepEqual(auditEventNamesByPrefix('auth.login'), ['auth.session.opened']);
});

// Type-level checks, run by `npm run typecheck` (an unused @ts-expect-error fails it).
export async function typeChecks(q: Queryable): Promise<void> {
  const sys = { type: 'system' as const, id: 'types' };
  await recordAudit(q, 't', sys, { action: 'tenant.created', outcome: 'success', details: { slug: 's', name: 'n' } });
  // @ts-expect-error an undeclared event name
  await recordAudit(q, 't', sys, { action: 'tenant.made', outcome: 'success' });
  // @ts-expect-error a former name is not an event any more
  await recordAudit(q, 't', sys, { action: 'auth.login', outcome: 'success', details: { stage: 'password' } });
  // @ts-expect-error details of another shape
  await recordAudit(q, 't', sys, { action: 'tenant.created', outcome: 'success', details: { slug: 's' } });
  // @ts-expect-error required details left out
  await recordAudit(q, 't', sys, { action: 'people.roles.changed', outcome: 'success' });
  // A refusal may carry the problem code instead of the event's details.
  await recordAudit(q, 't', sys, { action: 'people.roles.changed', outcome: 'denied', details: { code: 'forbidden' } });
  // @ts-expect-error ...but a success may not
  await recordAudit(q, 't', sys, { action: 'people.roles.changed', outcome: 'success', details: { code: 'forbidden' } });
}
