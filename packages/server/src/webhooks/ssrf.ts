/**
 * Outbound request rules for webhooks (SSRF): HTTPS only, no user info in the URL, every
 * address the host name resolves to must be public unicast unless the tenant's admin
 * allow-list (settings.webhooks.allow_private_cidrs) names it, and the connection goes to the
 * address that was checked (no second lookup an attacker's DNS could answer differently).
 * Redirects are never followed (see deliver.ts). Each refusal has its own problem code.
 */
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { parseAddress, parseCidr } from '@parapet/core';
import { ProblemError } from '../http/problem.js';

export type SsrfCode = 'webhook_url_invalid' | 'webhook_url_not_https' | 'webhook_url_unresolvable' | 'webhook_target_loopback' | 'webhook_target_private';

export class SsrfError extends ProblemError {
  constructor(code: SsrfCode, detail: string, address?: string) {
    super(422, code, detail, address ? { address } : {});
  }
}

export interface CheckedTarget {
  url: URL;
  /** The address to connect to (the first resolved, all having been checked). */
  address: string;
  family: 4 | 6;
}

/** Parses and checks the URL's form only (no DNS): https, no credentials, a host, length. */
export function checkUrlForm(raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new SsrfError('webhook_url_invalid', 'The webhook URL is not a valid absolute URL.');
  }
  if (u.protocol !== 'https:') throw new SsrfError('webhook_url_not_https', 'Webhook URLs must use https.');
  if (u.username || u.password) throw new SsrfError('webhook_url_invalid', 'Webhook URLs may not carry a user name or password.');
  if (!u.hostname || raw.length > 2000) throw new SsrfError('webhook_url_invalid', 'The webhook URL has no host or is longer than 2000 characters.');
  return u;
}

/** The ipaddr.js range of an address, IPv4-mapped IPv6 read as IPv4. */
function rangeOf(address: string): { range: string; normalised: string } {
  let a = ipaddr.parse(address);
  if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress()) a = (a as ipaddr.IPv6).toIPv4Address();
  return { range: a.range(), normalised: a.toString() };
}

function allowed(address: string, allowList: readonly string[]): boolean {
  const a = parseAddress(address);
  return allowList.some((c) => {
    try {
      const r = parseCidr(c);
      return r.family === a.family && r.start <= a.start && a.end <= r.end;
    } catch {
      return false;
    }
  });
}

/** Refuses one address unless it is public unicast or on the allow-list. */
export function checkAddress(address: string, allowList: readonly string[]): void {
  const { range, normalised } = rangeOf(address);
  if (range === 'unicast' || allowed(normalised, allowList)) return;
  if (range === 'loopback') throw new SsrfError('webhook_target_loopback', `The webhook host resolves to the loopback address ${normalised}; an admin must allow it explicitly.`, normalised);
  throw new SsrfError('webhook_target_private', `The webhook host resolves to ${normalised}, a ${range} address; only public addresses are allowed unless an admin allows this range.`, normalised);
}

export type Lookup = (host: string) => Promise<Array<{ address: string; family: number }>>;
const systemLookup: Lookup = (host) => lookup(host, { all: true, verbatim: true });

/** Checks the URL and every address its host resolves to; returns the address to connect to. */
export async function checkTarget(raw: string, allowList: readonly string[], resolve: Lookup = systemLookup): Promise<CheckedTarget> {
  const url = checkUrlForm(raw);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addrs: Array<{ address: string; family: number }>;
  if (ipaddr.isValid(host)) addrs = [{ address: host, family: host.includes(':') ? 6 : 4 }];
  else {
    try {
      addrs = await resolve(host);
    } catch {
      addrs = [];
    }
    if (addrs.length === 0) throw new SsrfError('webhook_url_unresolvable', `The webhook host ${host} does not resolve.`);
  }
  for (const a of addrs) checkAddress(a.address, allowList);
  const first = addrs[0]!;
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}
