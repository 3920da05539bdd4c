export * from './digest.js';
export * from './signature.js';
