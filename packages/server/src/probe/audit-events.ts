/**
 * Audit events of Probe: signing keys, scopes, the scan lifecycle, results, evidence and
 * reports (see platform/audit.ts for the catalogue's rules).
 */
import type { probeReport } from '@parapet/core';
import { declareAuditEvents } from '../platform/audit.js';
import type { ScanState } from './service.js';

/**
 * One step of a scan's lifecycle (probe/service.ts `transition`): the states and what the
 * step knows about why it happened.
 */
export interface ScanTransitionDetails {
  from: ScanState;
  to: ScanState;
  reason?: string;
  comment?: string;
  approvals?: number;
  /** The worker device id. */
  worker?: string;
  lease_id?: string;
  lease_expires_at?: string;
  expired_lease?: string | null;
  previous_worker?: string | null;
  safety_profile_version?: number | null;
  safety_profile_sha256?: string | null;
  /** Findings merged when the scan finished. */
  findings?: number;
  /** Problem code of a job the worker refused. */
  refused?: string;
  detail?: string;
}

declare module '../platform/audit.js' {
  interface AuditEvents {
    'probe.key.registered': { key_id: string; name: string; mfa_verified_at: string | null };
    'probe.key.revoked': Record<string, never>;
    'probe.scope.uploaded': { scope_id: string; version: number; environment: 'production' | 'non-production'; key_id: string; signer: string };
    'probe.scope.revoked': { reason: string };
    /** A refused scan request (only refusals are recorded under this name). */
    'probe.scan.refused': Record<string, never>;
    'probe.scan.requested': { to: 'requested'; scope_id: string; version: number; environment: 'production' | 'non-production'; targets: string[]; addresses: string[]; ports: number[]; probe_types: string[]; rate_pps: number; approvals_required: number };
    /** One approver's decision on a scan (approve or reject). */
    'probe.scan.decided': { decision: 'approve' | 'reject'; comment: string; mfa_verified_at: string | null };
    'probe.scan.approved': ScanTransitionDetails;
    'probe.scan.queued': ScanTransitionDetails;
    'probe.scan.leased': ScanTransitionDetails;
    'probe.scan.started': ScanTransitionDetails;
    'probe.scan.finished': ScanTransitionDetails;
    'probe.scan.failed': ScanTransitionDetails;
    'probe.scan.cancelled': ScanTransitionDetails;
    'probe.scan.rejected': ScanTransitionDetails;
    'probe.scan.expired': ScanTransitionDetails;
    'probe.approver_group.changed': { group: string | null };
    'probe.results.reported': { lease_id: string; batch_id: string; accepted: number; duplicates: number };
    'probe.job.refused': { lease_id: string; code: string; detail: string };
    'probe.evidence.read': Record<string, never>;
    'probe.evidence.purged': { count: number; retained_until: string; evidence_ids: string[] };
    'probe.report.generated': { verdict: probeReport.Verdict; pdf_sha256: string; bundle_sha256: string; key_id: string; checkpoint_size: number; audit_entries: number };
    'probe.report.downloaded': { format: 'json' | 'pdf'; pdf_sha256: string };
    /** A report's PDF moved from the database row to the vault. */
    'probe.report_pdf.moved': { pdf_sha256: string; object_key: string; bytes: number };
    'probe.evidence_export.requested': { export_id: string; approvals_required: number; reason: string; mfa_verified_at: string | null };
    'probe.evidence_export.approved': { export_id: string; mfa_verified_at: string | null };
    'probe.evidence_url.issued': { export_id: string; objects: number; expires_at: string; via: string };
    'probe.evidence.downloaded': { export_id: string; key: string; bytes: number };
  }
}

declareAuditEvents([
  'probe.key.registered',
  'probe.key.revoked',
  'probe.scope.uploaded',
  'probe.scope.revoked',
  'probe.scan.refused',
  'probe.scan.requested',
  'probe.scan.decided',
  'probe.scan.approved',
  'probe.scan.queued',
  'probe.scan.leased',
  'probe.scan.started',
  'probe.scan.finished',
  'probe.scan.failed',
  'probe.scan.cancelled',
  'probe.scan.rejected',
  'probe.scan.expired',
  'probe.approver_group.changed',
  'probe.results.reported',
  'probe.job.refused',
  'probe.evidence.read',
  'probe.evidence.purged',
  'probe.report.generated',
  'probe.report.downloaded',
  'probe.report_pdf.moved',
  'probe.evidence_export.requested',
  'probe.evidence_export.approved',
  'probe.evidence_url.issued',
  'probe.evidence.downloaded',
]);
