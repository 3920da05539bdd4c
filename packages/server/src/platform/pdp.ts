/**
 * The policy decision point (CORE-PDP), on Cedar (@cedar-policy/cedar-wasm). Routes ask it
 * through the guard (guard.ts), which supplies the app's clock and audits denials; no route
 * checks roles by hand.
 *
 * The policy set is (1) one generated permit per action a module declared with
 * `defineActions` (its roles, and fresh MFA when `stepUp`), plus (2) the hand-written,
 * versioned `.cedar` files in packages/server/policies/ (tenant walls, manager chain,
 * delegations, purpose, scope environment). Nothing permitted means deny. The schema is
 * policies/schema.cedarschema plus one generated declaration per action; the set is
 * validated against it (strict) whenever it is rebuilt, and pre-parsed for evaluation.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { isIP } from 'node:net';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import type { Principal, Role, UserPrincipal } from './principal.js';
import { ProblemError } from '../http/problem.js';
import { type AuditActor, recordAudit } from '../platform/audit.js';

export interface Resource {
  type: string;
  id?: string | undefined;
  tenantId: string;
  /**
   * Attributes policies may read: owner (user id), subject (user id the data is about),
   * managerChain (the subject's managers, nearest first; see subjectRelations), category
   * (app category), environment (scope environment), level (person/team/org) and period
   * (day/week) of a Pulse question.
   */
  attrs?: Record<string, unknown> | undefined;
}

export interface DecisionContext {
  purpose?: string | undefined;
  ip?: string | undefined;
  /** Seconds since the session's last MFA verification; null when never. */
  mfaAgeSeconds?: number | null | undefined;
  /** Scope environment (production, staging…), when the request concerns one. */
  environment?: string | undefined;
  /** App categories delegated to the principal (see delegatedCategories). */
  delegatedCategories?: string[] | undefined;
  /**
   * What the named purpose grants (Pulse): (role, level, period) triples from the tenant's
   * purpose list, where role is employee (one's own data), manager or delegate.
   */
  purposeGrants?: Array<{ role: string; level: string; period: string }> | undefined;
  [k: string]: unknown;
}

export interface Decision {
  allowed: boolean;
  /** Denied now, but allowed after a fresh MFA verification. */
  stepUpRequired: boolean;
  /** Policies that decided (ids), for the audit entry. */
  reasons: string[];
}

export const ACTION_GROUPS = ['subject_data', 'scope_change', 'pulse_activity'] as const;
export type ActionGroup = (typeof ACTION_GROUPS)[number];

/** What a module declares for an action. */
export interface Rule {
  roles: Role[];
  /** Needs an MFA verification no older than the tenant's step-up age. */
  stepUp?: boolean;
  /** Groups hand-written policies refer to (subject_data, scope_change, pulse_activity). */
  groups?: ActionGroup[];
  /** The guard audits decisions even when allowed; subject_data implies it. */
  sensitive?: boolean;
}
const RULES = new Map<string, Rule>();
let rulesVersion = 0;

const ACTION_NAME = /^[A-Za-z0-9_.:-]{1,200}$/;

/** Registers rules for actions (domains call this at module load). */
export function defineActions(rules: Record<string, Rule>): void {
  for (const [action, rule] of Object.entries(rules)) {
    if (RULES.has(action)) throw new Error(`Action ${action} is defined twice.`);
    if (!ACTION_NAME.test(action) || (ACTION_GROUPS as readonly string[]).includes(action)) throw new Error(`Action name ${action} is not allowed.`);
    RULES.set(action, rule);
  }
  rulesVersion++;
}

export function actionRule(action: string): Rule | undefined {
  return RULES.get(action);
}

export const DEFAULT_STEP_UP_SECONDS = 5 * 60;
export const POLICY_DIR = new URL('../../policies/', import.meta.url);

// ---------------------------------------------------------------------------------------
// Policy set: generated + hand-written
// ---------------------------------------------------------------------------------------

const q = (s: string) => JSON.stringify(s); // Cedar string literals share JSON's escapes

/** The permit a declaration stands for: its roles, same tenant (a forbid), fresh MFA if stepUp. */
export function generatedPolicy(action: string, rule: Rule): string {
  const conds = [`principal.roles.containsAny([${rule.roles.map(q).join(', ')}])`];
  if (rule.stepUp) conds.push('context.mfa_verified', 'context.mfa_age_seconds <= context.step_up_max_age_seconds');
  return `@id(${q('role:' + action)})\npermit (principal is User, action == Action::${q(action)}, resource is Resource)\nwhen { ${conds.join(' && ')} };\n`;
}

export function generatedSchema(): string {
  const lines = [...RULES].map(([action, rule]) => {
    const groups = rule.groups?.length ? ` in [${rule.groups.map(q).join(', ')}]` : '';
    return `action ${q(action)}${groups} appliesTo { principal: [User], resource: [Resource], context: RequestContext };`;
  });
  return lines.join('\n') + '\n';
}

export interface PolicyFiles {
  schema: string;
  /** policy id -> policy text, from every *.cedar file in order. */
  policies: Record<string, string>;
}

/** Reads the versioned policy files; each policy must carry a unique @id("...") annotation. */
export function loadPolicyFiles(dir: URL = POLICY_DIR): PolicyFiles {
  const schema = readFileSync(new URL('schema.cedarschema', dir), 'utf8');
  const policies: Record<string, string> = {};
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.cedar')).sort()) {
    const parts = cedar.policySetTextToParts(readFileSync(new URL(f, dir), 'utf8'));
    if (parts.type !== 'success') throw new Error(`${f}: ${parts.errors.map((e) => e.message).join('; ')}`);
    if (parts.policy_templates.length) throw new Error(`${f}: templates are not used.`);
    for (const p of parts.policies) {
      const id = /@id\("([^"]+)"\)/.exec(p)?.[1];
      if (!id) throw new Error(`${f}: every policy needs an @id("...") annotation.`);
      if (policies[id] || id.startsWith('role:')) throw new Error(`${f}: policy id ${id} is taken.`);
      policies[id] = p;
    }
  }
  return { schema, policies };
}

export interface CompiledPolicies {
  schema: string;
  policies: Record<string, string>;
}

/** The complete policy set and schema for today's declarations. */
export function compilePolicies(files: PolicyFiles = loadPolicyFiles()): CompiledPolicies {
  const policies: Record<string, string> = { ...files.policies };
  // An action no role may take gets no permit (an empty role set would not validate anyway).
  for (const [action, rule] of RULES) if (rule.roles.length) policies[`role:${action}`] = generatedPolicy(action, rule);
  return { schema: files.schema + '\n' + generatedSchema(), policies };
}

/** Strict validation of the policy set against the schema; returns the problems (empty: valid). */
export function validatePolicies(c: CompiledPolicies): string[] {
  const r = cedar.validate({ schema: c.schema, policies: { staticPolicies: c.policies }, validationSettings: { mode: 'strict' } });
  if (r.type === 'failure') return r.errors.map((e) => e.message);
  return [...r.validationErrors.map((e) => `${e.policyId}: ${e.error.message}`)];
}

let files: PolicyFiles | undefined;
let loaded = -1;
/** Actions whose decision can depend on MFA freshness (a denial may be a step-up). */
let mfaActions = new Set<string>();
const PSET = 'parapet';
const SCHEMA = 'parapet';

/** Rebuilds, validates and pre-parses the set when declarations changed since last time. */
function ensureLoaded(): void {
  if (loaded === rulesVersion) return;
  files ??= loadPolicyFiles();
  const c = compilePolicies(files);
  const problems = validatePolicies(c);
  if (problems.length) throw new Error(`Cedar policies do not validate: ${problems.join('; ')}`);
  const s = cedar.preparseSchema(SCHEMA, c.schema);
  if (s.type !== 'success') throw new Error(`Cedar schema: ${s.errors.map((e) => e.message).join('; ')}`);
  const p = cedar.preparsePolicySet(PSET, { staticPolicies: c.policies });
  if (p.type !== 'success') throw new Error(`Cedar policies: ${p.errors.map((e) => e.message).join('; ')}`);
  // Cedar tells which actions a policy can apply to; those of policies reading MFA context
  // (and stepUp declarations) get the second, fresh-MFA evaluation on denial.
  const mfa = new Set([...RULES].filter(([, r]) => r.stepUp).map(([a]) => a));
  for (const text of Object.values(files.policies)) {
    if (!text.includes('context.mfa_')) continue;
    const envs = cedar.getValidRequestEnvsPolicy(text, c.schema);
    if (envs.type !== 'success') throw new Error(`Cedar request environments: ${envs.error}`);
    for (const a of envs.actions) mfa.add(String(JSON.parse(a.replace(/^.*Action::/, ''))));
  }
  mfaActions = mfa;
  loaded = rulesVersion;
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

type EntityJson = cedar.EntityJson;
const uid = (type: string, id: string) => ({ type, id });
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function entitiesFor(p: UserPrincipal, r: Resource, ctx: DecisionContext): EntityJson[] {
  const users = new Map<string, EntityJson>();
  const user = (id: string, tenantId: string): EntityJson => {
    let e = users.get(id);
    if (!e) users.set(id, (e = { uid: uid('User', id), attrs: { tenant: { __entity: uid('Tenant', tenantId) }, roles: [], delegated_categories: [] }, parents: [] }));
    return e;
  };
  const me = user(p.userId, p.tenantId);
  me.attrs.roles = [...p.roles];
  me.attrs.delegated_categories = [...(ctx.delegatedCategories ?? [])];
  const a = r.attrs ?? {};
  const attrs: Record<string, cedar.CedarValueJson> = { tenant: { __entity: uid('Tenant', r.tenantId) }, type: r.type };
  const subject = str(a.subject);
  if (subject) {
    attrs.subject = { __entity: uid('User', subject) };
    // The chain as parent links: subject -> manager -> manager's manager -> ...
    let below = user(subject, r.tenantId);
    for (const m of Array.isArray(a.managerChain) ? a.managerChain : []) {
      if (typeof m !== 'string' || m === subject) break;
      below.parents.push(uid('User', m));
      below = user(m, r.tenantId);
    }
  }
  const owner = str(a.owner);
  if (owner) {
    attrs.owner = { __entity: uid('User', owner) };
    user(owner, r.tenantId);
  }
  for (const k of ['category', 'environment', 'level', 'period'] as const) if (str(a[k])) attrs[k] = a[k] as string;
  const tenants = new Set([p.tenantId, r.tenantId]);
  return [
    ...[...tenants].map((t) => ({ uid: uid('Tenant', t), attrs: {}, parents: [] })),
    ...users.values(),
    { uid: uid('Resource', `${r.type}:${r.id ?? '*'}`), attrs, parents: [] },
  ];
}

function contextFor(r: Resource, ctx: DecisionContext, maxAge: number, freshMfa: boolean): cedar.Context {
  const age = ctx.mfaAgeSeconds;
  const c: cedar.Context = {
    purpose: ctx.purpose ?? '',
    mfa_verified: freshMfa || (age !== null && age !== undefined),
    mfa_age_seconds: freshMfa ? 0 : age === null || age === undefined ? 2 ** 31 : Math.max(0, Math.ceil(age)),
    step_up_max_age_seconds: Math.floor(maxAge),
  };
  if (ctx.ip && isIP(ctx.ip)) c.ip = { __extn: { fn: 'ip', arg: ctx.ip } };
  if (ctx.purposeGrants) c.purpose_grants = ctx.purposeGrants.map((g) => ({ role: g.role, level: g.level, period: g.period }));
  const env = ctx.environment ?? str(r.attrs?.environment);
  if (env) c.environment = env;
  return c;
}

/**
 * Decision cache: Cedar answers are a pure function of the policy set and the request (the
 * principal, action, resource, context and entities built above), so a decision is cached
 * under exactly those, serialized, plus the loaded policy-set version. A change of the
 * policy set (new declarations) changes the version; a change of the principal's roles or
 * delegations, the resource's relations or the MFA age changes the key. Nothing is cached
 * that the request did not send to Cedar. Bounded by two generations of at most CACHE_GEN
 * entries each: when the young one is full it becomes the old one and the previous old one is
 * dropped; a hit in the old generation moves the entry to the young one (an LRU
 * approximation without iterating a Map on the hot path).
 */
type Cached = { allow: boolean; reasons: string[] };
const CACHE_GEN = 10_000;
let cache = new Map<string, Cached>();
let oldCache = new Map<string, Cached>();
let cacheVersion = -1;
export const pdpCacheStats = { hits: 0, misses: 0 };

/** Empties the decision cache (tests; an operator's policy reload). */
export function clearDecisionCache(): void {
  cache = new Map();
  oldCache = new Map();
}

function remember(key: string, v: Cached): void {
  if (cache.size >= CACHE_GEN) {
    oldCache = cache;
    cache = new Map();
  }
  cache.set(key, v);
}

/**
 * The cache key: every input entitiesFor and contextFor read (so exactly what Cedar is sent),
 * without building the entities, which on a hit is most of a decision's cost and garbage.
 * Changing what those two functions read means changing this list too (pdp-cache.test.ts
 * checks cached and uncached decisions agree).
 */
function cacheKey(p: UserPrincipal, action: string, r: Resource, context: cedar.Context, ctx: DecisionContext): string {
  const a = r.attrs ?? {};
  return JSON.stringify([
    p.userId, p.tenantId, p.roles, ctx.delegatedCategories ?? [], action,
    r.tenantId, r.type, r.id ?? '*',
    a.subject, a.managerChain, a.owner, a.category, a.environment, a.level, a.period,
    context,
  ]);
}

function evaluate(p: UserPrincipal, action: string, r: Resource, ctx: DecisionContext, maxAge: number, freshMfa: boolean): { allow: boolean; reasons: string[] } {
  if (cacheVersion !== loaded) {
    clearDecisionCache();
    cacheVersion = loaded;
  }
  const context = contextFor(r, ctx, maxAge, freshMfa);
  const key = cacheKey(p, action, r, context, ctx);
  let hit = cache.get(key);
  if (!hit && (hit = oldCache.get(key))) remember(key, hit);
  if (hit) {
    pdpCacheStats.hits++;
    return { allow: hit.allow, reasons: hit.reasons.slice() };
  }
  pdpCacheStats.misses++;
  const out = askCedar(p, action, r, context, ctx);
  remember(key, { allow: out.allow, reasons: out.reasons.slice() });
  return out;
}

/**
 * One Cedar evaluation. Plain loops rather than Array callbacks here: with V8's optimising
 * compiler (Node 20), a lazy deoptimisation landing in an Array builtin's continuation right
 * after the WebAssembly call aborted the process (Deoptimizer::DoComputeBuiltinContinuation,
 * unreachable code), reproducibly in bench/pdp.
 */
function askCedar(p: UserPrincipal, action: string, r: Resource, context: cedar.Context, ctx: DecisionContext): { allow: boolean; reasons: string[] } {
  const ans = cedar.statefulIsAuthorized({
    principal: uid('User', p.userId),
    action: uid('Action', action),
    resource: uid('Resource', `${r.type}:${r.id ?? '*'}`),
    context,
    entities: entitiesFor(p, r, ctx),
    preparsedPolicySetId: PSET,
    preparsedSchemaName: SCHEMA,
    validateRequest: true,
  });
  if (ans.type !== 'success') {
    const msgs: string[] = [];
    for (const e of ans.errors) msgs.push(e.message);
    return { allow: false, reasons: [`error: ${msgs.join('; ')}`] };
  }
  const d = ans.response.diagnostics;
  const reasons: string[] = [];
  for (const id of d.reason) reasons.push(id);
  for (const e of d.errors) reasons.push(`error:${e.policyId}`);
  return { allow: ans.response.decision === 'allow', reasons };
}

export function decide(p: Principal, action: string, r: Resource, ctx: DecisionContext, stepUpSeconds = DEFAULT_STEP_UP_SECONDS): Decision {
  if (!RULES.has(action)) return { allowed: false, stepUpRequired: false, reasons: [`no rule for ${action}`] }; // deny by default
  if (p.kind !== 'user') return { allowed: false, stepUpRequired: false, reasons: ['not a user'] };
  ensureLoaded();
  const now = evaluate(p, action, r, ctx, stepUpSeconds, false);
  if (now.allow) return { allowed: true, stepUpRequired: false, reasons: now.reasons };
  // Would a fresh MFA verification change the answer? Then it is a step-up, not a denial.
  const fresh = mfaActions.has(action) && (ctx.mfaAgeSeconds ?? Infinity) > 0 ? evaluate(p, action, r, ctx, stepUpSeconds, true) : now;
  return { allowed: false, stepUpRequired: fresh.allow, reasons: now.reasons.length ? now.reasons : ['default-deny'] };
}

/** Whether the guard records an allowed decision too (sensitive actions and subject data). */
export function auditsAllowed(action: string): boolean {
  const rule = RULES.get(action);
  return Boolean(rule?.sensitive || rule?.groups?.includes('subject_data'));
}

/**
 * decide() at the instant `now`: the MFA age is taken from the principal's session when the
 * context does not give it, and the step-up age from the tenant setting on the principal.
 * Returns the decision and the step-up age (seconds) it was made with.
 */
export function decideAt(p: Principal, action: string, r: Resource, ctx: DecisionContext, now: Date, stepUpSeconds?: number): { d: Decision; maxAge: number } {
  const mfaAgeSeconds = ctx.mfaAgeSeconds !== undefined ? ctx.mfaAgeSeconds : p.kind === 'user' && p.mfaVerifiedAt ? (now.getTime() - p.mfaVerifiedAt.getTime()) / 1000 : null;
  const maxAge = stepUpSeconds ?? (p.kind === 'user' ? p.stepUpSeconds : undefined) ?? DEFAULT_STEP_UP_SECONDS;
  return { d: decide(p, action, r, { ...ctx, mfaAgeSeconds }, maxAge), maxAge };
}

/**
 * Returns the decision when allowed; throws StepUpRequired (401 step_up_required) or
 * Forbidden (403 forbidden). `now` is the app's clock (deps.now), never the wall clock here.
 * Routes do not call this: the guard does, and records the denial.
 */
export function authorize(p: Principal, action: string, r: Resource, ctx: DecisionContext, now: Date, stepUpSeconds?: number): Decision {
  const { d, maxAge } = decideAt(p, action, r, ctx, now, stepUpSeconds);
  if (d.allowed) return d;
  throw denial(action, d, maxAge);
}

/** 401 step_up_required: allowed after a fresh MFA verification no older than `maxAgeSeconds`. */
export class StepUpRequired extends ProblemError {
  override name = 'StepUpRequired';
  constructor(readonly maxAgeSeconds: number) {
    super(401, 'step_up_required', 'This action needs a fresh MFA verification; verify and repeat the request.', { max_age_seconds: maxAgeSeconds });
  }
}

/** 403 forbidden: the PDP denied `action`. */
export class Forbidden extends ProblemError {
  override name = 'Forbidden';
  constructor(readonly action: string) {
    super(403, 'forbidden', `You may not ${action.replace(/[._]/g, ' ')}.`);
  }
}

/** The error a denied decision is answered with. */
export function denial(action: string, d: Decision, maxAge: number): StepUpRequired | Forbidden {
  return d.stepUpRequired ? new StepUpRequired(maxAge) : new Forbidden(action);
}
