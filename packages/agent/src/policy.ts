/**
 * The Pulse policy the agent works with: the tenant's signed policy cached in the local store
 * (fetched by the uploader), else the built-in default (no rules, every interval
 * `uncategorized`, idle after 180 s, no local categories, no names).
 */
import { readFileSync } from 'node:fs';
import type { PulsePolicy } from '@parapet/core/pulse/batch';
import { RuleError, type Rule } from './scrub/categorise.js';
import type { Store } from './store.js';

export const DEFAULT_POLICY: PulsePolicy = {
  schema: 'parapet.pulse.policy/v1',
  tenant: 'local',
  version: 0,
  categories: [{ key: 'uncategorized', name: 'Uncategorized' }],
  rules: [],
  idle_timeout_seconds: 180,
  allow_local_categories: true,
  scrub_names: [],
};

/**
 * Reads a rules file for `rules test`: either a whole PulsePolicy or `{ categories?, rules,
 * scrub_names?, local_rules? }`; missing categories are taken from the rules.
 * @throws RuleError (one sentence) when the file cannot be read or parsed.
 */
export function readRulesFile(path: string): { policy: PulsePolicy; localRules: Rule[] } {
  let j: Partial<PulsePolicy> & { local_rules?: Rule[] };
  try {
    j = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new RuleError(`The rules file ${path} cannot be read as JSON (${(e as Error).message.split('\n')[0]!.replace(/\.$/, '')}).`);
  }
  if (!j || typeof j !== 'object' || !Array.isArray(j.rules)) throw new RuleError(`The rules file ${path} needs a "rules" array.`);
  const keys = new Set([...(j.categories ?? []).map((c) => c.key), ...j.rules.map((r) => r.category), 'uncategorized']);
  return {
    policy: {
      ...DEFAULT_POLICY,
      ...j,
      categories: [...keys].map((key) => ({ key, name: j.categories?.find((c) => c.key === key)?.name ?? key })),
      scrub_names: j.scrub_names ?? [],
      allow_local_categories: j.allow_local_categories ?? true,
    },
    localRules: j.local_rules ?? [],
  };
}

export function currentPolicy(store: Store): PulsePolicy {
  return store.getSetting<PulsePolicy>('policy') ?? DEFAULT_POLICY;
}

export function localRules(store: Store): Rule[] {
  return store.getSetting<Rule[]>('local_rules') ?? [];
}
