/**
 * Import rules, read from the sources (static `import`/`export ... from` and dynamic
 * `import()` with a literal): `src/platform/` imports no domain module, no import cycle
 * passes through a platform file, a domain imports another only through its `index.ts`, and
 * no two domains import each other, directly or through others. The rules are documented in
 * docs/architecture.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
/** Folders of src/ that are domains (they own routes, tables and audit events). */
const DOMAINS = ['audit', 'auth', 'console', 'crypto', 'devices', 'governance', 'health', 'organisation', 'people', 'posture', 'probe', 'pulse', 'scim', 'sso', 'tenants', 'webhooks'];
/** What platform code may import besides itself and packages: infrastructure, not domains. */
const PLATFORM_MAY_IMPORT = [/^platform\//, /^vault\//, /^http\//, /^config\.ts$/, /^deps\.ts$/];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
function localImports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of src.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    if (!spec.startsWith('.')) continue;
    out.push(relative(SRC, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))));
  }
  return out;
}

const graph = new Map(files(SRC).map((f) => [relative(SRC, f), localImports(f)]));

test('platform/ imports no domain module', (ctx) => {
  const platform = [...graph.keys()].filter((f) => f.startsWith('platform/'));
  ctx.diagnostic(`platform files checked: ${platform.join(', ')}`);
  assert.ok(platform.length >= 4);
  // The audit writer, its row shapes and the sequencer are platform code.
  for (const f of ['platform/audit.ts', 'platform/audit-rows.ts', 'platform/audit-sequencer.ts', 'platform/audit-sequencer-worker.ts']) assert.ok(platform.includes(f), `${f} is checked`);
  for (const f of platform) {
    for (const dep of graph.get(f)!) {
      assert.ok(!DOMAINS.includes(dep.split('/')[0]!), `${f} imports the domain module ${dep}`);
      assert.ok(PLATFORM_MAY_IMPORT.some((r) => r.test(dep)), `${f} imports ${dep}, which is not platform infrastructure`);
    }
  }
});

test('no import cycle passes through a platform file', () => {
  const visit = (start: string) => {
    const stack: string[] = [];
    const onStack = new Set<string>();
    const done = new Set<string>();
    const dfs = (n: string) => {
      stack.push(n);
      onStack.add(n);
      for (const d of graph.get(n) ?? []) {
        if (d === start) assert.fail(`import cycle: ${[...stack, d].join(' -> ')}`);
        if (!onStack.has(d) && !done.has(d)) dfs(d);
      }
      stack.pop();
      onStack.delete(n);
      done.add(n);
    };
    dfs(start);
  };
  for (const f of graph.keys()) if (f.startsWith('platform/')) visit(f);
});

test('every folder of src/ is a domain or platform infrastructure', () => {
  const folders = new Set([...graph.keys()].filter((f) => f.includes('/')).map((f) => f.split('/')[0]!));
  const infrastructure = ['platform', 'vault', 'http', 'mail', 'tls'];
  for (const d of folders) assert.ok(DOMAINS.includes(d) || infrastructure.includes(d), `src/${d}/ is neither a listed domain nor infrastructure`);
});

test('the rule itself fails on a violation', () => {
  const fake = new Map(graph);
  fake.set('platform/bad.ts', ['audit/routes.ts']);
  const bad = [...fake.entries()].filter(([f]) => f.startsWith('platform/')).flatMap(([f, ds]) => ds.filter((d) => DOMAINS.includes(d.split('/')[0]!)).map((d) => `${f} -> ${d}`));
  assert.deepEqual(bad, ['platform/bad.ts -> audit/routes.ts']);
});

/** A file that registers routes (on the module's Fastify instance). */
const ROUTE_REGISTRATION = /\bapp\.(?:get|post|put|patch|delete|head|options|route)\s*[<(]/;
/** What a route file may not call: the guard (platform/guard.ts) is the one way in. */
const BYPASS = /\b(?:authorize|authorizeAudited|authorizeOwnTx|requireUser|requireDevice)\s*\(/g;

/** The bypasses in one file's source, as `name(` strings; comments count too (no room for doubt). */
function bypasses(src: string): string[] {
  return ROUTE_REGISTRATION.test(src) ? [...src.matchAll(BYPASS)].map((m) => m[0].replace(/\s+/g, '')) : [];
}

test('route files reach the PDP and the principal only through the guard', (ctx) => {
  const routeFiles = [...graph.keys()].filter((f) => !f.startsWith('platform/') && ROUTE_REGISTRATION.test(readFileSync(join(SRC, f), 'utf8')));
  ctx.diagnostic(`route files checked: ${routeFiles.length}`);
  assert.ok(routeFiles.length >= 20, `only ${routeFiles.length} route files found; the pattern no longer matches how routes are registered`);
  for (const f of routeFiles) {
    const src = readFileSync(join(SRC, f), 'utf8');
    assert.deepEqual(bypasses(src), [], `${f} authorizes by hand instead of calling guard()`);
    assert.ok(/\bguard(?:User|Device|Any)?\(/.test(src) || !/\/api\/v1\//.test(src) || /^(?:health|tenants|console|http)\/|^app\.ts$/.test(f), `${f} registers API routes but never calls the guard`);
  }
});

test('the guard rule itself fails on a hand-written check', () => {
  const bad = `app.get('/api/v1/x', async (req) => { const p = requireUser(req); authorize(p, 'x.read', r, {}, now); });`;
  assert.deepEqual(bypasses(bad), ['requireUser(', 'authorize(']);
  assert.deepEqual(bypasses(`export function helper() { authorize(p); }`), [], 'only files that register routes are held to it');
});

/** Domain-level edges: `a -> b` when a file of domain a imports one of domain b. */
function domainEdges(g: Map<string, string[]>): Set<string> {
  const edges = new Set<string>();
  for (const [f, deps] of g) {
    const a = f.split('/')[0]!;
    if (!DOMAINS.includes(a) || !f.includes('/')) continue;
    for (const d of deps) {
      const b = d.split('/')[0]!;
      if (b !== a && DOMAINS.includes(b)) edges.add(`${a} -> ${b}`);
    }
  }
  return edges;
}

/** Files of a domain that import another domain's file other than its index.ts. */
function deepImports(g: Map<string, string[]>): string[] {
  const bad: string[] = [];
  for (const [f, deps] of g) {
    const a = f.split('/')[0]!;
    if (!DOMAINS.includes(a) || !f.includes('/')) continue;
    for (const d of deps) {
      const b = d.split('/')[0]!;
      if (b !== a && DOMAINS.includes(b) && d !== `${b}/index.ts`) bad.push(`${f} -> ${d}`);
    }
  }
  return bad;
}

test('a domain imports another domain only through its index.ts', () => {
  assert.deepEqual(deepImports(graph), []);
  const fake = new Map(graph);
  fake.set('probe/bad.ts', ['audit/service.ts', 'audit/index.ts', 'platform/guard.ts']);
  assert.deepEqual(deepImports(fake), ['probe/bad.ts -> audit/service.ts']);
});

/** The edges of `edges` that lie on a cycle, sorted. */
function cycleEdges(edges: Set<string>): string[] {
  const out = new Map<string, string[]>();
  for (const e of edges) {
    const [a, b] = e.split(' -> ') as [string, string];
    out.set(a, [...(out.get(a) ?? []), b]);
  }
  const reaches = (from: string, to: string) => {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length) {
      const n = stack.pop()!;
      if (n === to) return true;
      if (seen.has(n)) continue;
      seen.add(n);
      stack.push(...(out.get(n) ?? []));
    }
    return false;
  };
  // An edge a -> b is on a cycle when b reaches a.
  return [...edges].filter((e) => {
    const [a, b] = e.split(' -> ') as [string, string];
    return reaches(b, a);
  }).sort();
}

test('no domain-level import cycle', (ctx) => {
  const edges = domainEdges(graph);
  ctx.diagnostic(`domain edges: ${[...edges].sort().join(', ')}`);
  assert.ok(edges.size >= 15, `only ${edges.size} domain edges found; the graph no longer matches how domains import each other`);
  assert.deepEqual(cycleEdges(edges), []);
  const fake = new Map(graph);
  fake.set('pulse/bad.ts', ['probe/index.ts']);
  fake.set('probe/bad.ts', ['pulse/index.ts']);
  assert.ok(cycleEdges(domainEdges(fake)).includes('probe -> pulse'));
  // One edge back down the real graph closes a cycle through every domain on the way.
  const back = new Map(graph);
  back.set('audit/bad.ts', ['people/service.ts']);
  assert.deepEqual(cycleEdges(domainEdges(back)), ['audit -> people', 'auth -> audit', 'people -> auth']);
});
