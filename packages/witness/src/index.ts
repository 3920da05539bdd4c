/**
 * @parapet/witness: a C2SP tlog-witness for Parapet audit checkpoints, run by customers on
 * their own machines. It depends on @parapet/core's Merkle and signed-note modules only.
 */
export { createWitness, serveWitness, type Witness, type WitnessOptions } from './witness.js';
export { main, type WitnessIo } from './cli.js';
