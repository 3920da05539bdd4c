/** SQLSTATE of a driver error (pg and PGlite both expose `code`). */
export function pgErrorCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}
export const isUniqueViolation = (e: unknown) => pgErrorCode(e) === '23505';
/** 42501: insufficient_privilege, also raised for a WITH CHECK violation. */
export const isRlsViolation = (e: unknown) => pgErrorCode(e) === '42501';
