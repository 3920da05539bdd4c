/**
 * Every route is registered on a Fastify instance typed with the API's type provider
 * (`parent.withTypeProvider<ApiTypeProvider>()`, src/http/type-provider.ts), so its request and
 * reply types come from its schema and are never written by hand. The provider is a type only
 * (at run time `withTypeProvider()` returns the same instance), so the rule is read from the
 * TypeScript checker: for each call of a route method (get, post, put, patch, delete, head,
 * options, all, route) on a FastifyInstance anywhere under src/, the instance's TypeProvider
 * type argument must be ApiTypeProvider. The few routes that answer bytes or HTML rather than
 * a serialized value stay on the untyped instance and are listed in UNTYPED with the reason;
 * an entry no route uses any more fails too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SRC = join(ROOT, 'packages/server/src');
const ROUTE_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'all', 'route']);

/** `<file under src> <METHOD> <path>` of routes on the untyped instance, with the reason. */
const UNTYPED: Record<string, string> = {
  'app.ts GET /api/v1/openapi.json': 'Hidden from the document it serves; answers @fastify/swagger\'s object as is.',
  'http/metrics.ts GET /metrics': 'Prometheus text exposition, hidden from the API document.',
  'console/routes.ts GET /assets/*': 'Static files of the built console (sendFile), hidden from the API document.',
  'console/routes.ts GET /': 'The console\'s index.html, hidden from the API document.',
  'console/routes.ts GET /*': 'The console\'s index.html for client-side routes, hidden from the API document.',
  'probe/report-routes.ts GET /api/v1/probe/scans/:id/report.json': 'Answers the stored DSSE file byte for byte (nothing is serialized).',
  'probe/report-routes.ts GET /api/v1/probe/scans/:id/report.pdf': 'Answers the stored PDF bytes.',
  'probe/evidence-export.ts GET /api/v1/probe/evidence/download': 'Answers a stored evidence object\'s bytes.',
};

interface Registration {
  key: string;
  where: string;
  typed: boolean;
}

/** The TypeProvider type argument of a FastifyInstance type, or undefined for other types. */
function providerOf(checker: ts.TypeChecker, t: ts.Type): ts.Type | undefined {
  for (const part of t.isIntersection() ? t.types : [t]) {
    if (part.getSymbol()?.getName() !== 'FastifyInstance') continue;
    const args = checker.getTypeArguments(part as ts.TypeReference);
    // FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider>
    return args[4];
  }
  return undefined;
}

/** The route path a call names: its first argument (string or template literal) or `url` of route({...}). */
function pathOf(call: ts.CallExpression, method: string): string {
  const arg = call.arguments[0];
  if (!arg) return '?';
  if (method === 'route' && ts.isObjectLiteralExpression(arg)) {
    const url = arg.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText() === 'url');
    return url ? url.initializer.getText().replace(/^['"`]|['"`]$/g, '') : '?';
  }
  return arg.getText().replace(/^['"`]|['"`]$/g, '');
}

function registrations(): Registration[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')) })!;
  const rootNames = config.fileNames.filter((f) => f.startsWith(SRC + '/'));
  const program = ts.createProgram({ rootNames, options: config.options });
  const checker = program.getTypeChecker();
  const out: Registration[] = [];
  for (const sf of program.getSourceFiles()) {
    if (!sf.fileName.startsWith(SRC + '/')) continue;
    const file = relative(SRC, sf.fileName);
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ROUTE_METHODS.has(node.expression.name.text)) {
        const provider = providerOf(checker, checker.getTypeAtLocation(node.expression.expression));
        if (provider) {
          const method = node.expression.name.text;
          const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
          out.push({
            key: `${file} ${method.toUpperCase()} ${pathOf(node, method)}`,
            where: `${file}:${line + 1}`,
            typed: (provider.aliasSymbol ?? provider.getSymbol())?.getName() === 'ApiTypeProvider' || checker.typeToString(provider) === 'ApiTypeProvider',
          });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}

test('every route is registered on the instance typed by the API type provider', (ctx) => {
  const all = registrations();
  const typed = all.filter((r) => r.typed);
  ctx.diagnostic(`route registrations: ${all.length}, on the type provider: ${typed.length}, untyped by design: ${all.length - typed.length}`);
  const wrong = all.filter((r) => !r.typed && UNTYPED[r.key] === undefined).map((r) => `${r.where} ${r.key}`);
  assert.deepEqual(wrong, [], 'routes registered without the type provider: use `parent.withTypeProvider<ApiTypeProvider>()`');
  // The checker found the route modules (a broken walk would pass vacuously).
  assert.ok(typed.length >= 140, `only ${typed.length} typed registrations found`);
  for (const probe of ['pulse/routes.ts POST /api/v1/pulse/batches', 'scim/routes.ts POST /api/v1/scim/tokens', 'auth/webauthn.ts POST /api/v1/auth/webauthn/register/verify', 'audit/routes-console.ts GET /api/v1/audit/search']) {
    assert.ok(typed.some((r) => r.key === probe), `${probe} is found and typed`);
  }
  const stale = Object.keys(UNTYPED).filter((k) => !all.some((r) => r.key === k && !r.typed));
  assert.deepEqual(stale, [], 'UNTYPED entries no untyped route uses');
});
