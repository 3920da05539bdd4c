/**
 * What erasing a person does to Pulse data (CORE-PRIVACY): their intervals, daily rollups and
 * upload batch records are deleted, before their devices are (batches point at devices).
 *
 * The stored week charts (migration 0511) list people and their managers by user id, with no
 * foreign key. Deleting the person from a chart would reshape it: their reports would become
 * roots, so the teams above them would shrink by a whole subtree, and a past week's released
 * cells would change in membership, which is exactly the chart change the stored charts exist
 * to prevent (reading a week before and after it and subtracting). So the person's id is
 * replaced, in both arrays and in every week, by one fresh random UUID (a count-only
 * placeholder): it is not derived from the person, matches no user row, has no data, and keeps
 * the chart's shape, so team membership and the differencing rule are decided on the same
 * tree as before. What does change is the figures: their rollups are deleted, so a cell that
 * counted them now counts one person fewer (docs/pulse.md, "Erasure", says what that leaves).
 */
import { randomUUID } from 'node:crypto';
import type { Queryable } from '@parapet/db';
import { registerEraser } from '../governance/index.js';

registerEraser({ table: 'pulse_intervals', column: 'user_id', action: 'delete', order: 10 });
registerEraser({ table: 'pulse_daily', column: 'user_id', action: 'delete', order: 10 });
registerEraser({ table: 'pulse_batches', column: 'user_id', action: 'delete', order: 20 });
// A viewer's differential-privacy ledger (pulse/budget.ts): the charges before the periods they belong to.
registerEraser({ table: 'pulse_dp_charges', column: 'user_id', action: 'delete', order: 10 });
registerEraser({ table: 'pulse_dp_budgets', column: 'user_id', action: 'delete', order: 20 });
// Who last changed the Pulse settings is not needed once the change is in the audit log.
// (The column holds the audit actor form `user:<id>`.)
registerEraser({ table: 'pulse_settings', column: 'updated_by', action: async (q, userId) => (await q.query(`UPDATE pulse_settings SET updated_by = NULL WHERE updated_by = $1`, [`user:${userId}`])).rowCount ?? 0 });

/**
 * Replaces `userId` by a fresh random placeholder in every stored week chart (people and
 * managers, at the same positions). Returns the number of week charts changed.
 */
export async function pseudonymiseInCharts(q: Queryable, userId: string): Promise<number> {
  const r = await q.query(
    `UPDATE pulse_week_charts
        SET people = array_replace(people, $1::uuid, $2::uuid), managers = array_replace(managers, $1::uuid, $2::uuid)
      WHERE $1::uuid = ANY (people) OR $1::uuid = ANY (managers)`,
    [userId, randomUUID()],
  );
  return r.rowCount ?? 0;
}

registerEraser({ table: 'pulse_week_charts', column: 'people', action: pseudonymiseInCharts, order: 30 });
// Handled with `people` (the same placeholder at the same positions); declared so the
// catalogue check sees every column that holds user ids. A manager who is not in a week's
// `people` (not active when the chart was taken) is replaced here.
registerEraser({ table: 'pulse_week_charts', column: 'managers', action: pseudonymiseInCharts, order: 31 });
