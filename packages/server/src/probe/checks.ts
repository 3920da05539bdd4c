/**
 * The checks a scan request passes before anything is queued (PROBE-SCAN). Pure apart from
 * the injected resolver and clock, so tests drive them directly.
 */
import { lookup } from 'node:dns/promises';
import { AddressError, checkWhen, parseCidr, portAllowed, ScopeMatcher, type Scope } from '@parapet/core';
import { ProblemError, type ProblemCode } from '../http/problem.js';

export type Resolver = (host: string) => Promise<string[]>;

/** Every address the system resolver returns for `host` (A and AAAA, as getaddrinfo sees them). */
export const systemResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export interface ScanRequestInput {
  targets: string[];
  ports: number[];
  probe_types: string[];
  rate_pps: number;
}

// A host name: LDH labels; the last label must not be all digits, so "2130706433" or "127.1"
// (which getaddrinfo would read as addresses) can never pose as a name.
const HOST = /^(?=.{1,253}\.?$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.?$/i;
const NUMERIC_LAST = /(^|\.)(\d+|0x[0-9a-f]*)\.?$/i;

const CODE = { outside_scope: 'target_outside_scope', excluded: 'target_excluded', special_purpose: 'target_special_purpose' } as const;

function refuse(code: ProblemCode, detail: string, ext: Record<string, unknown> = {}): never {
  throw new ProblemError(422, code, detail, ext);
}

/**
 * Throws a 422 problem naming the first offending target and rule; returns the checked
 * addresses / CIDRs (host names replaced by every address they resolve to).
 */
export async function checkScanRequest(scope: Scope, input: ScanRequestInput, o: { now: Date; resolve: Resolver }): Promise<{ addresses: string[] }> {
  const when = checkWhen(scope, o.now);
  if (when) refuse(when.rule, when.detail, { rule: when.rule });

  const matcher = new ScopeMatcher(scope.include, scope.exclude);
  const addresses: string[] = [];
  for (const target of input.targets) {
    let cidrs: string[];
    let isName = false;
    try {
      cidrs = [parseCidr(target).text];
    } catch (e) {
      if (!(e instanceof AddressError)) throw e;
      if (target.includes('/') || target.includes(':') || !HOST.test(target) || NUMERIC_LAST.test(target)) {
        refuse('target_invalid', `"${target}" is not an address, a CIDR or a host name.`, { target, rule: 'target_invalid' });
      }
      isName = true;
      let resolved: string[];
      try {
        resolved = await o.resolve(target);
      } catch {
        resolved = [];
      }
      if (resolved.length === 0) refuse('target_unresolvable', `The host name ${target} does not resolve.`, { target, rule: 'target_unresolvable' });
      cidrs = resolved;
    }
    for (const c of cidrs) {
      let r;
      try {
        r = matcher.check(c);
      } catch (e) {
        if (e instanceof AddressError) refuse('target_unresolvable', `The host name ${target} resolved to an unusable address ${c}.`, { target, rule: 'target_unresolvable' });
        throw e;
      }
      if (!r.ok) {
        const via = isName ? ` (${target} resolves to ${c})` : '';
        refuse(CODE[r.rule], `Target ${target}${via}: ${r.detail}`, { target, address: r.address, rule: r.rule });
      }
      addresses.push(parseCidr(c).text.replace(/\/(32|128)$/, ''));
    }
  }
  for (const p of input.ports) if (!portAllowed(scope, p)) refuse('port_not_allowed', `Port ${p} is not allowed by scope ${scope.id} version ${scope.version}.`, { port: p, rule: 'port_not_allowed' });
  for (const t of input.probe_types) {
    if (!(scope.probe_types as string[]).includes(t)) refuse('probe_type_not_allowed', `Probe type ${t} is not allowed by scope ${scope.id} version ${scope.version}.`, { probe_type: t, rule: 'probe_type_not_allowed' });
  }
  if (input.rate_pps > scope.max_packets_per_second) {
    refuse('rate_exceeds_scope', `A rate of ${input.rate_pps} packets per second exceeds the scope maximum of ${scope.max_packets_per_second}.`, { rate_pps: input.rate_pps, max: scope.max_packets_per_second, rule: 'rate_exceeds_scope' });
  }
  return { addresses: [...new Set(addresses)] };
}
