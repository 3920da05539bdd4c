import type { Command } from '../command.js';
import { dbMigrate } from './db.js';
import { init } from './init.js';
import { keysRetire, keysRewrap, keysRotate } from './keys.js';
import { keygen, scopeSign, scopeVerify } from './scope.js';
import { scanRequest, scanApprove, scanReject, scanList } from './scan.js';

/** Every command the CLI knows. Domain commands live in their own files; list them here. */
export const commands: Command[] = [init, dbMigrate, keysRotate, keysRewrap, keysRetire];
import { devicesList, devicesRevoke, devicesTokenCreate } from './devices.js';

export const commands: Command[] = [init, dbMigrate];
commands.push(devicesTokenCreate, devicesList, devicesRevoke);
commands.push(keygen, scopeSign, scopeVerify);
commands.push(scanRequest, scanApprove, scanReject, scanList);
