/**
 * Whose time the intervals on this device are (PULSE-UPLOAD, privacy): an agent is enrolled
 * for one person (the enrollment token's owner, returned by the server at enrollment and kept in
 * the device state). When `enroll --force` enrolls the machine for another person, what was
 * recorded for the previous one must never be uploaded as the new person's time.
 */
import type { Store } from './store.js';

/** Store setting: the owner the stored intervals were recorded for; null while the enrolment named nobody. */
export const OWNER_SETTING = 'owner_user_id';

/** The person's own controls (control.ts, policy.ts): a pause, working hours, excluded apps, their own categories. */
export const PERSONAL_SETTINGS = ['pause', 'hours', 'excluded', 'local_rules'] as const;

/**
 * Brings the store in line with the enrolment's owner (`ownerUserId` from the device state):
 * - no owner recorded yet: this one is recorded;
 * - the previous enrolment named nobody (its uploads held as not personal): the new owner takes
 *   the queue, the case of a token that named the owner too late;
 * - another person: the previous person's intervals are deleted (Store.forgetPreviousOwner) and
 *   their own controls ({@link PERSONAL_SETTINGS}) cleared;
 * - a state written before servers returned the owner (`undefined`): nothing changes.
 * @returns one sentence to log when intervals were deleted, otherwise undefined.
 */
export function reconcileOwner(store: Store, ownerUserId: string | null | undefined): string | undefined {
  if (ownerUserId === undefined) return undefined;
  const recorded = store.getSetting<string | null>(OWNER_SETTING);
  if (recorded === ownerUserId) return undefined;
  store.setSetting(OWNER_SETTING, ownerUserId);
  if (recorded === undefined || recorded === null) return undefined;
  const { unsent, total } = store.forgetPreviousOwner();
  const controls = PERSONAL_SETTINGS.filter((k) => store.getSetting(k) !== undefined);
  for (const k of controls) store.setSetting(k, undefined);
  const cleared = controls.length ? ' Their own controls (pause, working hours, excluded apps, categories) were cleared.' : '';
  if (total === 0) return controls.length ? `This machine was enrolled again for another person.${cleared}` : undefined;
  return `This machine was enrolled again for another person, so the ${total} interval${total === 1 ? '' : 's'} recorded for the previous one ${total === 1 ? 'was' : 'were'} deleted from it${unsent ? ` (${unsent} never sent)` : ''}; none is uploaded as the new person's time.${cleared}`;
}
