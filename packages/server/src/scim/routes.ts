/**
 * SCIM 2.0 service provider at /scim/v2 (RFC 7643/7644) and the admin API that issues its
 * bearer tokens (/api/v1/scim/tokens). SCIM routes authenticate by token only; the token is the
 * tenant's grant to its identity provider, so there is no user principal to authorize.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiTypeProvider } from '../http/type-provider.js';
import type { Queryable } from '@parapet/db';
import type { AppDeps } from '../deps.js';
import { type AuditActor, recordAudit } from '../platform/audit.js';
import { actorOf } from '../platform/principal.js';
import { defineActions } from '../platform/pdp.js';
import { ProblemError } from '../http/problem.js';
import { problemForDatabaseError } from '../http/bad-input.js';
import { publicOrigin } from '../http/public-url.js';
import { ScimError } from './errors.js';
import { type Filter, FilterError, matches, parseFilter } from './filter.js';
import { applyPatch } from './patch.js';
import { DEFAULT_COUNT, ERROR_SCHEMA, LIST_SCHEMA, MAX_RESULTS, PATCH_SCHEMA, SCIM_CONTENT_TYPE, resourceTypesDocument, schemasDocument, serviceProviderConfig } from './schema.js';
import * as svc from './service.js';
import { type ScimTokenInfo, claimedTenant, issueScimToken, resolveScimToken } from './tokens.js';
import { guard } from '../platform/guard.js';
import { type ScimGroup, type ScimUser, scimError, scimGroup, scimList, scimResourceType, scimSchemaResource, scimServiceProviderConfig, scimUser } from './response-schemas.js';
import './audit-events.js'; // this domain's audit events (platform/audit.ts)

defineActions({
  'scim.token.create': { roles: ['admin'], stepUp: true },
  'scim.token.list': { roles: ['admin'] },
  'scim.token.revoke': { roles: ['admin'] },
});

type Obj = Record<string, unknown>;
const anyObject = { type: 'object', additionalProperties: true } as const;
const scimErrors = { '4xx': scimError, '5xx': scimError } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 100 } } } as const;
const listQuery = {
  type: 'object',
  properties: {
    filter: { type: 'string', maxLength: 4096 },
    startIndex: { type: 'integer' },
    count: { type: 'integer' },
    attributes: { type: 'string', maxLength: 2000 },
    excludedAttributes: { type: 'string', maxLength: 2000 },
  },
} as const;
const projQuery = { type: 'object', properties: { attributes: listQuery.properties.attributes, excludedAttributes: listQuery.properties.excludedAttributes } } as const;

function scimBody(status: number, detail: string, scimType?: string): Obj {
  return { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail };
}

/** A resource the service provider answers; every member but `schemas`, `id` and `meta` is optional. */
type ScimResource = ScimUser | ScimGroup;

/**
 * `attributes` / `excludedAttributes` on top-level names; id, schemas and meta always stay, so
 * the result is still an `R` (its other members are optional).
 */
function project<R extends ScimResource>(r: R, q: { attributes?: string | undefined; excludedAttributes?: string | undefined }): R {
  const names = (s: string) => s.split(',').map((x) => x.trim().toLowerCase().split('.')[0]!).filter(Boolean);
  const keep = new Set(['id', 'schemas', 'meta']);
  const only = (pick: (k: string) => boolean): R => Object.fromEntries(Object.entries(r).filter(([k]) => keep.has(k) || pick(k.toLowerCase()))) as R;
  if (q.attributes) {
    const want = new Set(names(q.attributes));
    return only((k) => want.has(k));
  }
  if (q.excludedAttributes) {
    const drop = new Set(names(q.excludedAttributes));
    return only((k) => !drop.has(k));
  }
  return r;
}

/** Both parts, each in its own encapsulated context: SCIM errors on /scim/v2, problem details on /api. */
export async function scimRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  await app.register(async (c) => scimProtocolRoutes(c, deps));
  await app.register(async (c) => scimAdminRoutes(c, deps));
}

async function scimProtocolRoutes(parent: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();
  // SCIM clients send application/scim+json; parse it like JSON (this plugin only).
  app.addContentTypeParser('application/scim+json', { parseAs: 'string', bodyLimit: 1024 * 1024 }, app.getDefaultJsonParser('error', 'error'));

  app.setErrorHandler((err: Error, req, reply) => {
    let status = 500;
    let body: Obj;
    if (err instanceof ScimError) {
      status = err.status;
      body = scimBody(err.status, err.detail, err.scimType);
    } else if (err instanceof FilterError) {
      status = 400;
      body = scimBody(400, err.message, 'invalidFilter');
    } else if (err instanceof ProblemError) {
      status = err.status;
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      body = scimBody(err.status, err.detail, err.code === 'unstorable_string' ? 'invalidValue' : err.code === 'nesting_too_deep' ? 'invalidSyntax' : undefined);
    } else if (problemForDatabaseError(err)) {
      // RFC 7644 §3.12: a unique violation is 409 uniqueness; other refused values are invalidValue.
      const pe = problemForDatabaseError(err)!;
      req.log.warn({ sqlstate: (err as { code?: string }).code, constraint: (err as { constraint?: string }).constraint }, 'database refused SCIM input');
      status = pe.status;
      body = scimBody(pe.status, pe.detail, pe.status === 409 ? 'uniqueness' : 'invalidValue');
    } else if ((err as { validation?: unknown }).validation) {
      status = 400;
      body = scimBody(400, `Request ${err.message}`, 'invalidSyntax');
    } else if (((err as Error & { statusCode?: number }).statusCode ?? 500) < 500) {
      status = (err as Error & { statusCode: number }).statusCode;
      body = scimBody(status, err.message, status === 400 ? 'invalidSyntax' : undefined);
    } else {
      req.log.error({ err }, 'unhandled SCIM error');
      body = scimBody(500, 'The server failed to handle this request; it has been logged with its request id.');
    }
    reply.code(status).type(SCIM_CONTENT_TYPE).send(body);
  });

  /** Authenticates the bearer token; a failure naming an existing tenant is audited there. */
  async function auth(req: FastifyRequest): Promise<ScimTokenInfo> {
    const h = req.headers.authorization ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(h)?.[1];
    const info = token ? await resolveScimToken(deps.db, token) : undefined;
    if (info) return info;
    const tenantId = token ? claimedTenant(token) : undefined;
    if (tenantId) {
      await deps.db.tx({ tenantId, actor: 'system:scim' }, async (q) => {
        const t = await q.query(`SELECT 1 FROM tenants WHERE id = $1`, [tenantId]);
        if (t.rows.length) await recordAudit(q, tenantId, { ...actorOf(req), type: 'system', id: 'scim:unknown-token' }, { action: 'scim.auth.failed', outcome: 'denied', details: { path: req.url.split('?')[0] } });
      });
    }
    throw new ScimError(401, 'A valid SCIM bearer token is required.');
  }

  /**
   * The base of meta.location and $ref URIs: the configured public URL (PARAPET_PUBLIC_URL),
   * never the request's Host header, which the client chooses. Without one configured the
   * base is https://localhost:<the port the request arrived on>, and the docs say to set it.
   */
  const base = (req: FastifyRequest) => `${publicOrigin(req.socket.localPort)}/scim/v2`;
  const tokenActor = (req: FastifyRequest, t: ScimTokenInfo): AuditActor => {
    const a = actorOf(req);
    return { type: 'system', id: `scim-token:${t.tokenId}`, name: `SCIM: ${t.name}`, ip: a.ip, userAgent: a.userAgent };
  };

  /** Runs `fn` in the token's tenant; a SCIM error is audited as a rejected request. */
  async function withScim<T>(req: FastifyRequest, fn: (c: svc.Ctx) => Promise<T>): Promise<T> {
    const t = await auth(req);
    const actor = tokenActor(req, t);
    try {
      return await deps.db.tx({ tenantId: t.tenantId, actor: `scim:${t.tokenId}` }, (q: Queryable) => fn({ q, tenantId: t.tenantId, actor, base: base(req) }));
    } catch (e) {
      if ((e instanceof ScimError || e instanceof FilterError) && req.method !== 'GET') {
        await deps.db.tx({ tenantId: t.tenantId, actor: `scim:${t.tokenId}` }, (q) =>
          recordAudit(q, t.tenantId, actor, { action: 'scim.request.rejected', outcome: 'failure', details: { method: req.method, path: req.url.split('?')[0], error: e.message } }),
        );
      }
      throw e;
    }
  }

  const send = <R extends ScimResource>(reply: FastifyReply, status: number, body: R): R => {
    reply.code(status).type(SCIM_CONTENT_TYPE);
    if (status === 201) reply.header('location', body.meta.location);
    return body;
  };

  // ---------------------------------------------------------------------- discovery
  const discovery = (path: string, doc: (b: string) => unknown, answer: object) =>
    app.get(`/scim/v2/${path}`, { schema: { tags: ['scim'], summary: `SCIM ${path}`, response: { 200: answer, ...scimErrors } } }, async (req, reply) => {
      await auth(req);
      const d = doc(base(req));
      reply.type(SCIM_CONTENT_TYPE);
      return Array.isArray(d) ? { schemas: [LIST_SCHEMA], totalResults: d.length, startIndex: 1, itemsPerPage: d.length, Resources: d } : d;
    });
  discovery('ServiceProviderConfig', serviceProviderConfig, scimServiceProviderConfig);
  discovery('ResourceTypes', resourceTypesDocument, scimList(scimResourceType));
  discovery('Schemas', schemasDocument, scimList(scimSchemaResource));
  app.get('/scim/v2/Schemas/:id', { schema: { tags: ['scim'], params: idParams, response: { 200: scimSchemaResource, ...scimErrors } } }, async (req, reply) => {
    await auth(req);
    const { id } = req.params;
    const s = schemasDocument(base(req)).find((x) => x.id === id);
    if (!s) throw new ScimError(404, `Schema ${id} not found.`);
    reply.type(SCIM_CONTENT_TYPE);
    return s;
  });
  app.get('/scim/v2/ResourceTypes/:id', { schema: { tags: ['scim'], params: idParams, response: { 200: scimResourceType, ...scimErrors } } }, async (req, reply) => {
    await auth(req);
    const { id } = req.params;
    const s = resourceTypesDocument(base(req)).find((x) => x.id === id);
    if (!s) throw new ScimError(404, `Resource type ${id} not found.`);
    reply.type(SCIM_CONTENT_TYPE);
    return s;
  });

  // ---------------------------------------------------------------------- resources
  type Kind = {
    path: 'Users' | 'Groups';
    resource: typeof scimUser | typeof scimGroup;
    list: (c: svc.Ctx, narrow: { email?: string | undefined }) => Promise<ScimResource[]>;
    get: (c: svc.Ctx, id: string) => Promise<ScimResource>;
    create: (c: svc.Ctx, rep: Obj) => Promise<ScimResource>;
    save: (c: svc.Ctx, id: string, rep: Obj, via: 'put' | 'patch') => Promise<ScimResource>;
    del: (c: svc.Ctx, id: string) => Promise<void>;
  };
  const kinds: Kind[] = [
    { path: 'Users', resource: scimUser, list: svc.listUsers, get: svc.getUser, create: svc.createUser, save: svc.saveUser, del: svc.deleteUser },
    { path: 'Groups', resource: scimGroup, list: svc.listGroups, get: svc.getGroup, create: svc.createGroup, save: svc.saveGroup, del: svc.deleteGroup },
  ];

  for (const k of kinds) {
    app.get(`/scim/v2/${k.path}`, { schema: { tags: ['scim'], summary: `List ${k.path} (filter, startIndex, count)`, querystring: listQuery, response: { 200: scimList(k.resource), ...scimErrors } } }, async (req, reply) => {
      const qs = req.query;
      let filter: Filter | undefined;
      const all = await withScim(req, (c) => {
        if (qs.filter !== undefined) filter = parseFilter(qs.filter);
        // `userName eq "<email>"` (how providers look a user up before creating it) uses the index.
        const f = filter;
        const email = f?.op === 'eq' && !f.path.urn && !f.path.sub && f.path.attr.toLowerCase() === 'username' && typeof f.value === 'string' && f.value.includes('@') ? f.value : undefined;
        return k.list(c, { email });
      });
      const hits = filter ? all.filter((r) => matches(r, filter!)) : all;
      const startIndex = Math.max(1, qs.startIndex ?? 1);
      const count = Math.min(MAX_RESULTS, Math.max(0, qs.count ?? DEFAULT_COUNT));
      const page = hits.slice(startIndex - 1, startIndex - 1 + count).map((r) => project(r, qs));
      reply.type(SCIM_CONTENT_TYPE);
      return { schemas: [LIST_SCHEMA], totalResults: hits.length, startIndex, itemsPerPage: page.length, Resources: page };
    });

    app.get(`/scim/v2/${k.path}/:id`, { schema: { tags: ['scim'], params: idParams, querystring: projQuery, response: { 200: k.resource, ...scimErrors } } }, async (req, reply) => {
      const { id } = req.params;
      const r = await withScim(req, (c) => k.get(c, id));
      return send(reply, 200, project(r, req.query));
    });

    app.post(`/scim/v2/${k.path}`, { schema: { tags: ['scim'], body: anyObject, response: { 201: k.resource, ...scimErrors } } }, async (req, reply) => {
      const r = await withScim(req, (c) => k.create(c, req.body));
      return send(reply, 201, r);
    });

    app.put(`/scim/v2/${k.path}/:id`, { schema: { tags: ['scim'], params: idParams, body: anyObject, response: { 200: k.resource, ...scimErrors } } }, async (req, reply) => {
      const { id } = req.params;
      const r = await withScim(req, async (c) => {
        await svc.lockResource(c, k.path === 'Users' ? 'users' : 'groups', id);
        await k.get(c, id);
        return k.save(c, id, req.body, 'put');
      });
      return send(reply, 200, r);
    });

    app.patch(
      `/scim/v2/${k.path}/:id`,
      {
        schema: {
          tags: ['scim'],
          params: idParams,
          body: {
            type: 'object',
            required: ['Operations'],
            properties: {
              schemas: { type: 'array', items: { type: 'string' }, examples: [[PATCH_SCHEMA]] },
              Operations: {
                type: 'array',
                maxItems: 1000,
                items: {
                  type: 'object',
                  required: ['op'],
                  additionalProperties: true,
                  properties: {
                    // RFC 7644 §3.5.2: add, remove or replace; IdPs (Entra ID) send them capitalised.
                    op: { type: 'string', pattern: '^([Aa][Dd][Dd]|[Rr][Ee][Mm][Oo][Vv][Ee]|[Rr][Ee][Pp][Ll][Aa][Cc][Ee])$', examples: ['replace'] },
                    path: { type: 'string', maxLength: 1024 },
                  },
                },
              },
            },
            additionalProperties: true,
          },
          response: { 200: k.resource, ...scimErrors },
        },
      },
      async (req, reply) => {
        const { id } = req.params;
        const body = req.body;
        if (body.schemas && !body.schemas.includes(PATCH_SCHEMA)) throw new ScimError(400, `A PATCH body names the schema ${PATCH_SCHEMA}.`, 'invalidSyntax');
        const r = await withScim(req, async (c) => {
          await svc.lockResource(c, k.path === 'Users' ? 'users' : 'groups', id);
          const cur = await k.get(c, id);
          return k.save(c, id, applyPatch(cur, body.Operations), 'patch');
        });
        return send(reply, 200, r);
      },
    );

    app.delete(`/scim/v2/${k.path}/:id`, { schema: { tags: ['scim'], params: idParams, response: { 204: { type: 'null' }, ...scimErrors } } }, async (req, reply) => {
      const { id } = req.params;
      await withScim(req, (c) => k.del(c, id));
      reply.code(204);
    });
  }
}

async function scimAdminRoutes(parent: FastifyInstance, deps: AppDeps): Promise<void> {
  const app = parent.withTypeProvider<ApiTypeProvider>();
  const tokenView = {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'name', 'created_at', 'last_used_at', 'revoked_at'],
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      created_at: { type: 'string' },
      last_used_at: { type: ['string', 'null'] },
      revoked_at: { type: ['string', 'null'] },
    },
  } as const;

  app.post(
    '/api/v1/scim/tokens',
    {
      schema: {
        tags: ['scim'],
        summary: 'Issue a SCIM bearer token for this tenant (shown once). Needs step-up.',
        body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1, maxLength: 200 } } },
        response: { 201: { type: 'object', additionalProperties: false, required: [...tokenView.required, 'token'], properties: { ...tokenView.properties, token: { type: 'string' } } }, '4xx': { $ref: 'Problem#' } },
      },
    },
    async (req, reply) => {
      const { principal: p } = await guard(req, 'scim.token.create', { type: 'scim_token' });
      const { name } = req.body;
      const out = await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
        const t = await issueScimToken(q, p.tenantId, name, p.userId);
        await recordAudit(q, p.tenantId, actorOf(req), { action: 'scim.token.created', outcome: 'success', target: { type: 'scim_token', id: t.id }, details: { name } });
        return t;
      });
      reply.code(201);
      return { id: out.id, name, token: out.token, created_at: deps.now().toISOString(), last_used_at: null, revoked_at: null };
    },
  );

  app.get(
    '/api/v1/scim/tokens',
    { schema: { tags: ['scim'], summary: 'SCIM tokens of this tenant (never the secrets).', response: { 200: { type: 'object', additionalProperties: false, required: ['tokens'], properties: { tokens: { type: 'array', items: tokenView } } }, '4xx': { $ref: 'Problem#' } } } },
    async (req) => {
      const { principal: p } = await guard(req, 'scim.token.list', { type: 'scim_token' });
      const { rows } = await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, (q) =>
        q.query<{ id: string; name: string; created_at: Date; last_used_at: Date | null; revoked_at: Date | null }>(`SELECT id, name, created_at, last_used_at, revoked_at FROM scim_tokens ORDER BY created_at`),
      );
      return { tokens: rows.map((r) => ({ id: r.id, name: r.name, created_at: r.created_at.toISOString(), last_used_at: r.last_used_at?.toISOString() ?? null, revoked_at: r.revoked_at?.toISOString() ?? null })) };
    },
  );

  app.delete(
    '/api/v1/scim/tokens/:id',
    { schema: { tags: ['scim'], summary: 'Revoke a SCIM token at once.', params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } }, response: { 204: { type: 'null' }, '4xx': { $ref: 'Problem#' } } } },
    async (req, reply) => {
      const { principal: p } = await guard(req, 'scim.token.revoke', { type: 'scim_token' });
      const { id } = req.params;
      await deps.db.tx({ tenantId: p.tenantId, actor: `user:${p.userId}` }, async (q) => {
        const r = await q.query(`UPDATE scim_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [id]);
        if (!r.rowCount) throw new ProblemError(404, 'scim_token_not_found', 'No active SCIM token has that id in this tenant.');
        await recordAudit(q, p.tenantId, actorOf(req), { action: 'scim.token.revoked', outcome: 'success', target: { type: 'scim_token', id } });
      });
      reply.code(204);
    },
  );
}
