import type { Command } from '../command.js';
import { dbMigrate } from './db.js';
import { init } from './init.js';
import { keysRetire, keysRewrap, keysRotate } from './keys.js';
import { keygen, scopeSign, scopeVerify } from './scope.js';
import { scanRequest, scanApprove, scanReject, scanList, scanWatch } from './scan.js';
import { devicesList, devicesRevoke, devicesTokenCreate } from './devices.js';
import { auditExport, auditVerify } from './audit.js';
import { login, logout, usersInvitations, usersInvite, usersList, usersRoles, usersUnlock } from './users.js';
import { reportVerify } from './report.js';
import { profileSign } from './profile.js';
import { posture } from './posture.js';
import { erasureList, erasureRequest, reviewsDecide, reviewsList, reviewsOpen, reviewsShow, reviewsSignOff, supportStaffAdd, supportStaffDisable, supportStaffList } from './governance.js';

/** Every command the CLI knows. Domain commands live in their own files; list them here. */
export const commands: Command[] = [
  init,
  login,
  logout,
  usersList,
  usersInvite,
  usersInvitations,
  usersRoles,
  usersUnlock,
  dbMigrate,
  keysRotate,
  keysRewrap,
  keysRetire,
  devicesTokenCreate,
  devicesList,
  devicesRevoke,
  keygen,
  scopeSign,
  scopeVerify,
  scanRequest,
  scanApprove,
  scanReject,
  scanList,
  scanWatch,
  auditExport,
  auditVerify,
  reportVerify,
  profileSign,
  posture,
  reviewsList,
  reviewsOpen,
  reviewsShow,
  reviewsDecide,
  reviewsSignOff,
  erasureRequest,
  erasureList,
  supportStaffAdd,
  supportStaffList,
  supportStaffDisable,
];
