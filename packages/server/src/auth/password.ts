import { hash, verify } from '@node-rs/argon2';

// @node-rs/argon2's Algorithm.Argon2id (a const enum, which isolated modules cannot import).
const ARGON2ID = 2;

/**
 * Argon2id with RFC 9106's second recommended option (64 MiB, t=3, p=4). The parameters are
 * encoded in each PHC string, so a later change is detected at login and the hash redone.
 */
export const ARGON2_PARAMS = { algorithm: ARGON2ID, memoryCost: 65_536, timeCost: 3, parallelism: 4, outputLen: 32 } as const;

export const MIN_PASSWORD_LENGTH = 12;

export class WeakPasswordError extends Error {
  override name = 'WeakPasswordError';
}

export function checkPasswordPolicy(pw: string): void {
  if ([...pw].length < MIN_PASSWORD_LENGTH) throw new WeakPasswordError(`A password needs at least ${MIN_PASSWORD_LENGTH} characters.`);
  if ([...pw].length > 1024) throw new WeakPasswordError('A password may have at most 1024 characters.');
}

export function hashPassword(pw: string): Promise<string> {
  return hash(pw.normalize('NFKC'), ARGON2_PARAMS);
}

export async function verifyPassword(phc: string, pw: string): Promise<boolean> {
  try {
    return await verify(phc, pw.normalize('NFKC'));
  } catch {
    return false;
  }
}

/** True when a stored hash was made with other parameters than today's. */
export function needsRehash(phc: string): boolean {
  const p = ARGON2_PARAMS;
  return !phc.startsWith(`$argon2id$v=19$m=${p.memoryCost},t=${p.timeCost},p=${p.parallelism}$`);
}
