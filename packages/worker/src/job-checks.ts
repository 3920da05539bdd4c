/**
 * The worker's own checks of a leased job before anything is sent (PROBE-WORKER): the scope's
 * DSSE signature against the tenant's registered signing keys, the scope's tenant, id, version
 * and validity window, every port and probe type against the scope and the safety profile,
 * every target (CIDRs expanded, host names resolved now) against the scope's include, exclude
 * and special-purpose ranges.
 */
import { lookup } from 'node:dns/promises';
import { canonicalJson } from '@parapet/core/crypto/canonical-json';
import { verifyEnvelope } from '@parapet/core/crypto/dsse';
import { formatAddress, parseCidr, ScopeMatcher, AddressError } from '@parapet/core/probe/cidr';
import { checkWhen, parseScope, portAllowed, SCOPE_PAYLOAD_TYPE, type ProbeType, type Scope } from '@parapet/core/probe/scope';
import type { SafetyProfile } from '@parapet/core/probe/profile';

export type Resolver = (host: string) => Promise<string[]>;
export const systemResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export class JobRefused extends Error {
  override name = 'JobRefused';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

export interface LeasedJob {
  lease_id: string;
  lease_expires_at: string;
  scan: { id: string; scope: { scope_id: string; version: number }; targets: string[]; ports: number[]; probe_types: string[]; rate_pps: number };
  envelope: unknown;
  signing_keys: Array<{ key_id: string; public_key_pem: string }>;
  done: Array<{ address: string; port: number; probe_type: string; outcome: string }>;
}

/** One address to probe and the scan target it came from (a name keeps its name for SNI/Host). */
export interface PlannedTarget {
  target: string;
  address: string;
  name?: string;
}

export interface CheckedJob {
  scope: Scope;
  matcher: ScopeMatcher;
  targets: PlannedTarget[];
  ports: number[];
  probeTypes: ProbeType[];
  /** Attempts per second: min(scan, scope, profile). */
  rate: number;
}

const HOST = /^(?=.{1,253}\.?$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.?$/i;
const NUMERIC_LAST = /(^|\.)(\d+|0x[0-9a-f]*)\.?$/i;

/** Verifies the scope envelope with the tenant's keys; returns the scope or throws JobRefused. */
export function verifyScope(job: LeasedJob, tenantId: string, now: Date): Scope {
  let payload: Buffer | undefined;
  for (const k of job.signing_keys) {
    try {
      payload = verifyEnvelope(job.envelope, SCOPE_PAYLOAD_TYPE, k.public_key_pem).payload;
      break;
    } catch {
      /* next key */
    }
  }
  if (!payload) throw new JobRefused('scope_signature_invalid', "The scope's signature does not verify with any of the organisation's registered signing keys.");
  let scope: Scope;
  try {
    const doc = JSON.parse(payload.toString('utf8'));
    if (canonicalJson(doc) !== payload.toString('utf8')) throw new Error('not canonical');
    scope = parseScope(doc);
  } catch {
    throw new JobRefused('scope_invalid', 'The signed scope is not a valid canonical scope document.');
  }
  if (scope.tenant !== tenantId) throw new JobRefused('scope_tenant_mismatch', "The scope belongs to another organisation than this worker's.");
  if (scope.id !== job.scan.scope.scope_id || scope.version !== job.scan.scope.version) throw new JobRefused('scope_mismatch', 'The signed scope is not the scope version the scan names.');
  const when = checkWhen(scope, now);
  if (when) throw new JobRefused(when.rule, when.detail);
  return scope;
}

/** Checks one address against the scope; throws JobRefused naming the rule. */
export function checkAddress(matcher: ScopeMatcher, address: string, via: string): void {
  let r;
  try {
    r = matcher.check(address);
  } catch (e) {
    if (e instanceof AddressError) throw new JobRefused('target_invalid', `${via} is not a usable address.`);
    throw e;
  }
  if (!r.ok) throw new JobRefused(`target_${r.rule}`, `${via}: ${r.detail}`);
}

export async function checkJob(job: LeasedJob, tenantId: string, profile: SafetyProfile, resolve: Resolver, now = new Date()): Promise<CheckedJob> {
  const scope = verifyScope(job, tenantId, now);
  const matcher = new ScopeMatcher(scope.include, scope.exclude);
  for (const p of job.scan.ports) if (!portAllowed(scope, p)) throw new JobRefused('port_not_allowed', `Port ${p} is not allowed by the scope.`);
  for (const t of job.scan.probe_types) {
    if (!(scope.probe_types as string[]).includes(t)) throw new JobRefused('probe_type_not_allowed', `Probe type ${t} is not allowed by the scope.`);
    if (!(profile.probe_types as string[]).includes(t)) throw new JobRefused('probe_type_not_in_profile', `Probe type ${t} is not allowed by this worker's safety profile.`);
  }
  const targets: PlannedTarget[] = [];
  for (const t of job.scan.targets) {
    let cidr;
    try {
      cidr = parseCidr(t);
    } catch (e) {
      if (!(e instanceof AddressError)) throw e;
    }
    if (cidr) {
      checkAddress(matcher, t, `Target ${t}`);
      const size = cidr.end - cidr.start + 1n;
      if (size + BigInt(targets.length) > BigInt(profile.max_addresses)) throw new JobRefused('too_many_addresses', `The scan covers more than ${profile.max_addresses} addresses, the safety profile's maximum.`);
      for (let v = cidr.start; v <= cidr.end; v++) targets.push({ target: t, address: formatAddress(cidr.family, v) });
      continue;
    }
    if (t.includes('/') || t.includes(':') || !HOST.test(t) || NUMERIC_LAST.test(t)) throw new JobRefused('target_invalid', `Target ${t} is not an address, a CIDR or a host name.`);
    let addrs: string[] = [];
    try {
      addrs = await resolve(t);
    } catch {
      addrs = [];
    }
    if (addrs.length === 0) throw new JobRefused('target_unresolvable', `The host name ${t} does not resolve now.`);
    for (const a of addrs) checkAddress(matcher, a, `Target ${t} (resolves now to ${a})`);
    for (const a of new Set(addrs.map((a) => parseCidr(a).text.replace(/\/(32|128)$/, '')))) targets.push({ target: t, address: a, name: t.replace(/\.$/, '') });
    if (targets.length > profile.max_addresses) throw new JobRefused('too_many_addresses', `The scan covers more than ${profile.max_addresses} addresses, the safety profile's maximum.`);
  }
  const rate = Math.min(job.scan.rate_pps, scope.max_packets_per_second, profile.max_packets_per_second);
  return { scope, matcher, targets, ports: [...job.scan.ports], probeTypes: job.scan.probe_types as ProbeType[], rate };
}
