import type { Command } from '../command.js';
import { dbMigrate } from './db.js';
import { init } from './init.js';
import { auditExport, auditVerify } from './audit.js';
import { witnessServe } from './witness.js';

/** Every command the CLI knows. Domain commands live in their own files; list them here. */
export const commands: Command[] = [init, dbMigrate];
commands.push(auditExport, auditVerify);
commands.push(witnessServe);
