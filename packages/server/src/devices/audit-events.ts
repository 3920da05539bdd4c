export const DEVICE_EVENTS = [
  'device.token_created',
  'device.enrolled',
  'device.request_refused',
  'device.heartbeat',
  'device.listed',
  'device.revoked',
] as const;
