export * from './keystore.js';
export * from './transport.js';
export * from './client.js';
