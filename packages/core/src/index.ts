export * as envelope from './crypto/envelope.js';
export { KeyRing, DecryptError, type KeyProvider, type Binding } from './crypto/envelope.js';
export * as httpsig from './httpsig/index.js';
