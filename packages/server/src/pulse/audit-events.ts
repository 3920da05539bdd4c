/** Audit events of Pulse (PULSE-UPLOAD, PULSE-ANALYTICS, PULSE-ACCESS; see platform/audit.ts for the rules). */
import { declareAuditEvents } from '../platform/audit.js';

/** One answered activity question: what was asked and how much of the answer was released. */
export interface ActivityReadDetails {
  level: string;
  period: string;
  from: string;
  to: string;
  category?: string | null;
  /** PDP policies that allowed the read. */
  policies?: string[];
  cells: number;
  suppressed: number;
  /** The people the answer covers (person and team questions). */
  subjects?: string[];
  /** `org` for organisation-wide questions. */
  scope?: string;
  /** Differential privacy of an org answer: ε, whether this answer was charged, and the viewer's budget after it. */
  dp?: Record<string, unknown>;
}

declare module '../platform/audit.js' {
  interface AuditEvents {
    'pulse.batch.received': { subject: string; intervals: number; accepted: number; duplicates: number; merged: number };
    'pulse.batch.refused': { code: string };
    'pulse.settings.changed': { changed: string[]; policy_version: number; k_min: number; dp_epsilon: number | null; dp_budget: number; dp_budget_period: string };
    'pulse.policy_key.created': Record<string, never>;
    'pulse.activity.read': ActivityReadDetails;
    /** The same question answered as a CSV download. */
    'pulse.activity.exported': ActivityReadDetails;
    /** A noisy org answer refused because the viewer's ε budget for the period would be exceeded (429). */
    'pulse.dp_budget.exhausted': { level?: string; period?: string; from?: string; to?: string; category: string | null; epsilon: number; budget: Record<string, unknown> };
    'pulse.retention.purged': { detail_retention_days: number; rollup_retention_days: number; intervals: number; batches: number; rollups: number; detail_before: string; rollups_before: string };
  }
}

declareAuditEvents(['pulse.batch.received', 'pulse.batch.refused', 'pulse.settings.changed', 'pulse.policy_key.created', 'pulse.activity.read', 'pulse.activity.exported', 'pulse.dp_budget.exhausted', 'pulse.retention.purged']);
