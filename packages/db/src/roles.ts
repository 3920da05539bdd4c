/** Role names the migrations grant to. Login roles are made members of APP_ROLE. */
export const OWNER_ROLE = 'parapet_owner';
export const APP_ROLE = 'parapet_app';

/** A quoted SQL identifier (role names come from connection strings). */
export function ident(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}
