/**
 * Categorisation (PULSE-AGENT): the tenant policy's rules, plus the employee's local rules
 * when the policy allows them, map (app, scrubbed title, domain) to a category.
 *
 * The most specific matching rule wins: a rule's specificity is app 4 + title 2 + domain 1
 * for the conditions it has (so title+app beats app, app beats title, title beats domain);
 * among equally specific rules the deeper category key (more `.`-separated levels, e.g.
 * `work.dev.review` over `work.dev`) wins, then the earlier rule. `app` matches the app id
 * exactly (case-insensitive); `title` and `domain` are case-insensitive JavaScript regular
 * expressions, matched against the scrubbed title and the registrable domain.
 */
import * as pulseBatch from '@parapet/core/pulse/batch';
import type { PulsePolicy } from '@parapet/core/pulse/batch';

export interface Rule {
  category: string;
  app?: string | undefined;
  title?: string | undefined;
  domain?: string | undefined;
}

interface Compiled {
  category: string;
  app?: string;
  title?: RegExp;
  domain?: RegExp;
  score: number;
  depth: number;
  index: number;
}

export class RuleError extends Error {
  override name = 'RuleError';
}

const KEY = new RegExp(pulseBatch.CATEGORY_KEY);

function compile(rules: readonly Rule[], source: string): Compiled[] {
  return rules.map((r, index) => {
    if (typeof r.category !== 'string' || !KEY.test(r.category)) throw new RuleError(`Rule ${index + 1} in ${source} has an invalid category key ${JSON.stringify(r.category)}.`);
    if (r.app === undefined && r.title === undefined && r.domain === undefined) throw new RuleError(`Rule ${index + 1} in ${source} has no app, title or domain condition.`);
    const re = (p: string | undefined, what: string) => {
      if (p === undefined) return undefined;
      try {
        return new RegExp(p, 'iu');
      } catch (e) {
        throw new RuleError(`Rule ${index + 1} in ${source} has a ${what} pattern that is not a valid regular expression (${(e as Error).message.split('\n')[0]}).`);
      }
    };
    const c: Compiled = { category: r.category, score: (r.app !== undefined ? 4 : 0) + (r.title !== undefined ? 2 : 0) + (r.domain !== undefined ? 1 : 0), depth: r.category.split('.').length, index };
    if (r.app !== undefined) c.app = r.app.toLowerCase();
    const t = re(r.title, 'title');
    if (t) c.title = t;
    const d = re(r.domain, 'domain');
    if (d) c.domain = d;
    return c;
  });
}

function best(rules: readonly Compiled[], app: string, title: string, domain: string | null): Compiled | undefined {
  let win: Compiled | undefined;
  for (const r of rules) {
    if (r.app !== undefined && r.app !== app) continue;
    if (r.title && !r.title.test(title)) continue;
    if (r.domain && (domain === null || !r.domain.test(domain))) continue;
    if (!win || r.score > win.score || (r.score === win.score && (r.depth > win.depth || (r.depth === win.depth && r.index < win.index)))) win = r;
  }
  return win;
}

export interface Categorised {
  /** Tenant category key (uploaded); `uncategorized` when no policy rule matches. */
  category: string;
  /** Employee's local category (never uploaded); null when none matches or the policy forbids them. */
  localCategory: string | null;
}

export interface Categoriser {
  categorise(app: string, scrubbedTitle: string, domain: string | null): Categorised;
}

/**
 * Compiles the policy rules and the local rules.
 * @throws RuleError (one sentence) for an invalid key, an empty rule or a bad regular expression,
 *   or a policy rule whose category is not among the policy's categories.
 */
export function makeCategoriser(policy: Pick<PulsePolicy, 'rules' | 'categories' | 'allow_local_categories'>, localRules: readonly Rule[] = []): Categoriser {
  const keys = new Set(policy.categories.map((c) => c.key));
  for (const [i, r] of policy.rules.entries()) {
    if (!keys.has(r.category)) throw new RuleError(`Rule ${i + 1} in the policy names category ${JSON.stringify(r.category)}, which the policy does not define.`);
  }
  const tenant = compile(policy.rules, 'the policy');
  const local = policy.allow_local_categories ? compile(localRules, 'the local rules') : [];
  return {
    categorise(app, title, domain) {
      const a = app.toLowerCase();
      return { category: best(tenant, a, title, domain)?.category ?? 'uncategorized', localCategory: best(local, a, title, domain)?.category ?? null };
    },
  };
}
