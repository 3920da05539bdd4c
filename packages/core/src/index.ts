export * as envelope from './crypto/envelope.js';
export { KeyRing, DecryptError, type KeyProvider, type Binding } from './crypto/envelope.js';
export { canonicalJson, canonicalJsonBytes } from './crypto/canonical-json.js';
export * as dsse from './crypto/dsse.js';
export { DsseError, type DsseEnvelope } from './crypto/dsse.js';
export * as probeCidr from './probe/cidr.js';
export { ScopeMatcher, parseCidr, parseAddress, AddressError, SPECIAL_RANGES, type Cidr, type ContainmentResult, type ContainmentRule } from './probe/cidr.js';
export { parseScope, checkWhen, portAllowed, localTime, ScopeError, SCOPE_SCHEMA, SCOPE_PAYLOAD_TYPE, PROBE_TYPES, type Scope, type ProbeType, type ValidityRule } from './probe/scope.js';
export { exampleScope } from './probe/example.js';
