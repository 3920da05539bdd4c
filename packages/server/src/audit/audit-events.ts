/** Events of the audit domain itself. */
export const AUDIT_EVENTS = ['audit.exported'] as const;
