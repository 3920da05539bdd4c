/**
 * What erasing a person does to Pulse data (CORE-PRIVACY): their intervals, daily rollups and
 * upload batch records are deleted, before their devices are (batches point at devices).
 */
import { registerEraser } from '../governance/erasure.js';

registerEraser({ table: 'pulse_intervals', column: 'user_id', action: 'delete', order: 10 });
registerEraser({ table: 'pulse_daily', column: 'user_id', action: 'delete', order: 10 });
registerEraser({ table: 'pulse_batches', column: 'user_id', action: 'delete', order: 20 });
// pulse_week_charts holds user ids (pseudonymous, no foreign key) in past org charts until the
// rollup retention purges them; rewriting a chart would change aggregates already served.
