/**
 * Relations the PDP's policies read (platform/pdp.ts Resource.attrs and DecisionContext),
 * looked up in the tenant's transaction: a subject's manager chain and a person's delegated
 * app categories.
 */
import type { Queryable } from '@parapet/db';

/** The subject and their manager chain (nearest first), ready to spread into Resource.attrs. */
export async function subjectRelations(q: Queryable, subjectUserId: string): Promise<{ subject: string; managerChain: string[] }> {
  const { rows } = await q.query<{ id: string }>(
    `WITH RECURSIVE chain(id, depth, path) AS (
       SELECT manager_id, 1, ARRAY[id] FROM users WHERE id = $1 AND manager_id IS NOT NULL
       UNION ALL
       SELECT u.manager_id, c.depth + 1, c.path || u.id FROM users u JOIN chain c ON u.id = c.id
        WHERE u.manager_id IS NOT NULL AND NOT u.manager_id = ANY(c.path) AND c.depth < 64
     ) SELECT id FROM chain ORDER BY depth`,
    [subjectUserId],
  );
  return { subject: subjectUserId, managerChain: rows.map((r) => r.id) };
}

let groupTable: boolean | undefined;
/** App categories delegated to a user, directly or through a directory group. */
export async function delegatedCategories(q: Queryable, userId: string): Promise<string[]> {
  // Groups come with SCIM (group_members); without that table only direct delegations count.
  if (groupTable === undefined) {
    const { rows } = await q.query<{ ok: boolean }>(`SELECT to_regclass('group_members') IS NOT NULL AS ok`);
    groupTable = rows[0]!.ok;
  }
  const viaGroups = groupTable ? ` OR (grantee_type = 'group' AND grantee_id IN (SELECT group_id FROM group_members WHERE user_id = $1))` : '';
  const { rows } = await q.query<{ category: string }>(`SELECT DISTINCT category FROM delegations WHERE (grantee_type = 'user' AND grantee_id = $1)${viaGroups} ORDER BY category`, [userId]);
  return rows.map((r) => r.category);
}
