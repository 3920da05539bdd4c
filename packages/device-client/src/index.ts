export * from './keystore.js';
export * from './transport.js';
export * from './client.js';
export * from './enroll-command.js';
export * from './device-cli.js';
