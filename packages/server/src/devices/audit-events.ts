/** Audit events of devices (agents and workers; see platform/audit.ts for the catalogue's rules). */
import { declareAuditEvents } from '../platform/audit.js';
import type { DeviceKind } from './tokens.js';

declare module '../platform/audit.js' {
  interface AuditEvents {
    /** An enrolment token issued (`via: 'cli'` when an operator used the CLI). */
    'device.token.created': { kind: DeviceKind; expires_at: string; owner_user_id?: string | null; via?: string };
    'device.enrolled': { kind: DeviceKind; token_id: string; key_store: 'os' | 'file'; platform: string | null; version: string | null };
    /** A signed request refused (bad signature, replay, revoked device, ...). */
    'device.request.refused': { code: string; method: string; path: string | undefined };
    /** Version, platform or key store changed, as a heartbeat reported them: field → from, to. */
    'device.status.changed': Record<string, { from: string | null; to: string | undefined }>;
    'device.listed': { count: number; via?: string };
    /** A device revoked; a refused revocation carries the problem code. */
    'device.revoked': { name: string; already_revoked: boolean; reason?: string; via?: string } | { code: string; via?: string };
  }
}

declareAuditEvents(['device.token.created', 'device.enrolled', 'device.request.refused', 'device.status.changed', 'device.listed', 'device.revoked']);
