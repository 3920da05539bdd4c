/** Audit events of the posture domain (CORE-POSTURE). */
export const POSTURE_EVENTS = ['posture.checked'] as const;
