/** A complete, valid scope for tests and documentation; override any field. */
import type { Scope } from './scope.js';

export function exampleScope(over: Partial<Scope> = {}): Scope {
  return {
    tenant: '11111111-2222-3333-4444-555555555555',
    id: 'dmz',
    version: 1,
    name: 'DMZ web tier',
    environment: 'production',
    include: ['10.0.0.0/24', '2001:db8:1::/48'],
    exclude: ['10.0.0.128/28'],
    ports: [22, 443, '8000-8080'],
    probe_types: ['tcp_connect', 'tls'],
    max_packets_per_second: 100,
    time_windows: {
      time_zone: 'Europe/Berlin',
      allowed: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' }],
      blackouts: [{ start: '2026-12-24T00:00:00Z', end: '2026-12-27T00:00:00Z', reason: 'holidays' }],
    },
    valid_from: '2026-01-01T00:00:00Z',
    valid_until: '2027-01-01T00:00:00Z',
    expected_policy: [{ cidr: '10.0.0.10/32', open_ports: [443] }],
    ...over,
  };
}
