export * as envelope from './crypto/envelope.js';
export { KeyRing, DecryptError, type KeyProvider, type Binding } from './crypto/envelope.js';
export * as merkle from './merkle/tree.js';
export { MerkleFrontier } from './merkle/frontier.js';
export * as signedNote from './merkle/note.js';
export { leafBytes, parseLeaf, canonicalJson, ZERO_HASH, type AuditRecord } from './audit/leaf.js';
export { verifyExport, EXPORT_FORMAT, type AuditExport, type ExportEntry, type VerifyOptions, type VerifyResult } from './audit/export.js';
export * as httpsig from './httpsig/index.js';
