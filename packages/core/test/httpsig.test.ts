import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { httpsig } from '../src/index.js';

const { contentDigest, verifyContentDigest, componentValue, normalizeAuthority, signatureBase, serializeSignatureParams, signRequest, parseSignature, checkPolicy, verifySignature, SignatureError } = httpsig;

// RFC 9421 Appendix B.1.4, test-key-ed25519.
const RFC_PRIVATE = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n';
const RFC_PUBLIC = '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n-----END PUBLIC KEY-----\n';
// RFC 9421 Appendix B.2 test-request (the parts B.2.6 covers).
const testRequest = () => ({
  method: 'POST',
  authority: 'example.com',
  target: '/foo?param=Value&Pet=dog',
  headers: {
    host: 'example.com',
    date: 'Tue, 20 Apr 2021 02:07:55 GMT',
    'content-type': 'application/json',
    'content-digest': 'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
    'content-length': '18',
  } as Record<string, string>,
});
const B26_BASE = [
  '"date": Tue, 20 Apr 2021 02:07:55 GMT',
  '"@method": POST',
  '"@path": /foo',
  '"@authority": example.com',
  '"content-type": application/json',
  '"content-length": 18',
  '"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"',
].join('\n');
const B26_INPUT = 'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"';
const B26_SIG = 'sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:';
const B26_COMPONENTS = ['date', '@method', '@path', '@authority', 'content-type', 'content-length'];

test('RFC 9421 B.2.6: signature base, Signature-Input and Signature match the RFC byte for byte', () => {
  const req = testRequest();
  const params = serializeSignatureParams(B26_COMPONENTS, { created: 1618884473, keyid: 'test-key-ed25519' });
  assert.equal(signatureBase(req, B26_COMPONENTS, params), B26_BASE);
  const h = signRequest(req, { label: 'sig-b26', components: B26_COMPONENTS, params: { created: 1618884473, keyid: 'test-key-ed25519' }, privateKey: createPrivateKey(RFC_PRIVATE) });
  assert.equal(h['signature-input'], B26_INPUT);
  assert.equal(h.signature, B26_SIG); // Ed25519 is deterministic
});

test('RFC 9421 B.2.6: the RFC signature verifies with test-key-ed25519, and fails after any change', () => {
  const req = { ...testRequest(), headers: { ...testRequest().headers, 'signature-input': B26_INPUT, signature: B26_SIG } };
  const p = parseSignature(req);
  assert.equal(p.label, 'sig-b26');
  assert.deepEqual(p.components, B26_COMPONENTS);
  assert.deepEqual(p.params, { created: 1618884473, keyid: 'test-key-ed25519' });
  verifySignature(req, p, createPublicKey(RFC_PUBLIC));
  for (const bad of [{ method: 'PUT' }, { target: '/bar' }, { authority: 'evil.example' }, { headers: { ...req.headers, 'content-length': '19' } }]) {
    assert.throws(() => verifySignature({ ...req, ...bad }, p, createPublicKey(RFC_PUBLIC)), (e: unknown) => e instanceof SignatureError && e.code === 'signature_invalid');
  }
  const other = generateKeyPairSync('ed25519').publicKey;
  assert.throws(() => verifySignature(req, p, other), (e: unknown) => e instanceof SignatureError && e.code === 'signature_invalid');
});

test('RFC 9421 B.2.6 on the thread pool: verifySignatureAsync accepts the RFC signature and refuses every change', async () => {
  const req = { ...testRequest(), headers: { ...testRequest().headers, 'signature-input': B26_INPUT, signature: B26_SIG } };
  const p = parseSignature(req);
  await httpsig.verifySignatureAsync(req, p, createPublicKey(RFC_PUBLIC));
  const invalid = (e: unknown) => e instanceof SignatureError && e.code === 'signature_invalid';
  for (const bad of [{ method: 'PUT' }, { target: '/bar' }, { authority: 'evil.example' }, { headers: { ...req.headers, 'content-length': '19' } }]) {
    await assert.rejects(httpsig.verifySignatureAsync({ ...req, ...bad }, p, createPublicKey(RFC_PUBLIC)), invalid);
  }
  await assert.rejects(httpsig.verifySignatureAsync(req, p, generateKeyPairSync('ed25519').publicKey), invalid);
  await assert.rejects(httpsig.verifySignatureAsync(req, { ...p, signature: p.signature.subarray(0, 63) }, createPublicKey(RFC_PUBLIC)), invalid);
  // A key of another type is refused, not thrown from the thread pool.
  await assert.rejects(httpsig.verifySignatureAsync(req, p, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey), invalid);
});

test('RFC 9421 §2.2: derived components of the RFC example request, each exactly as the section shows', () => {
  // §2.2 example: POST /path?param=value HTTP/1.1, Host: www.example.com, over https.
  const req = { method: 'POST', authority: 'www.example.com', target: '/path?param=value', headers: {} };
  const comps = ['@method', '@target-uri', '@authority', '@scheme', '@request-target', '@path', '@query'];
  assert.equal(
    signatureBase(req, comps, '()'),
    [
      '"@method": POST',
      '"@target-uri": https://www.example.com/path?param=value',
      '"@authority": www.example.com',
      '"@scheme": https',
      '"@request-target": /path?param=value',
      '"@path": /path',
      '"@query": ?param=value',
      '"@signature-params": ()',
    ].join('\n'),
  );
  // §2.2.7: the query undecoded; "?" alone when absent; "?queryString" kept as is.
  const q = (target: string) => componentValue({ ...req, target }, '@query');
  assert.equal(q('/path?param=value&foo=bar&baz=bat%2Dman'), '?param=value&foo=bar&baz=bat%2Dman');
  assert.equal(q('/path?queryString'), '?queryString');
  assert.equal(q('/path'), '?');
  // §2.2.5: the request target as in the request line, for every form RFC 9112 allows.
  assert.equal(componentValue({ ...req, method: 'GET', target: 'https://www.example.com/path?param=value' }, '@request-target'), 'https://www.example.com/path?param=value');
  assert.equal(componentValue({ ...req, method: 'CONNECT', target: 'www.example.com:80' }, '@request-target'), 'www.example.com:80');
  assert.equal(componentValue({ ...req, method: 'OPTIONS', target: '*' }, '@request-target'), '*');
  // §2.2.6: an absolute-form target still yields only the path; an empty path is "/".
  assert.equal(componentValue({ ...req, target: 'https://www.example.com/path?param=value' }, '@path'), '/path');
  assert.equal(componentValue({ ...req, target: 'https://www.example.com?x' }, '@path'), '/');
  assert.equal(componentValue({ ...req, method: 'OPTIONS', target: '*' }, '@path'), '/');
});

test('RFC 9421 §2.2.1: @method is case-sensitive; a lower-case method is signed and verified as sent', () => {
  const req = { method: 'post', authority: 'example.com', target: '/foo', headers: {} };
  assert.equal(componentValue(req, '@method'), 'post');
  // The RFC's B.2.6 signature covers "POST"; the same request sent as "post" must not verify.
  const rfc = { ...testRequest(), headers: { ...testRequest().headers, 'signature-input': B26_INPUT, signature: B26_SIG } };
  assert.throws(() => verifySignature({ ...rfc, method: 'post' }, parseSignature(rfc), createPublicKey(RFC_PUBLIC)), (e: unknown) => e instanceof SignatureError && e.code === 'signature_invalid');
});

test('RFC 9421 §2.2.3: @authority is lower-cased with the default port dropped; the RFC B.2.6 signature verifies whatever spelling of example.com is sent', () => {
  const rfc = { ...testRequest(), headers: { ...testRequest().headers, 'signature-input': B26_INPUT, signature: B26_SIG } };
  const p = parseSignature(rfc);
  for (const authority of ['example.com', 'Example.COM', 'example.com:443', 'EXAMPLE.com:443', 'example.com:', 'example.com:0443']) {
    verifySignature({ ...rfc, authority, scheme: 'https' as const }, p, createPublicKey(RFC_PUBLIC));
  }
  // Port 80 is the default for http only; over https it is part of the authority.
  verifySignature({ ...rfc, authority: 'example.com:80', scheme: 'http' as const }, p, createPublicKey(RFC_PUBLIC));
  for (const [authority, scheme] of [['example.com:80', 'https'], ['example.com:8443', 'https'], ['example.com:443', 'http']] as const) {
    assert.throws(() => verifySignature({ ...rfc, authority, scheme }, p, createPublicKey(RFC_PUBLIC)), (e: unknown) => e instanceof SignatureError && e.code === 'signature_invalid');
  }
  assert.equal(normalizeAuthority('[2001:DB8::1]:443', 'https'), '[2001:db8::1]');
  assert.equal(normalizeAuthority('[2001:DB8::1]:8443', 'https'), '[2001:db8::1]:8443');
  for (const bad of ['user@example.com', 'example.com:99999', 'example.com:4a', '', ':443']) {
    assert.throws(() => normalizeAuthority(bad, 'https'), (e: unknown) => e instanceof SignatureError && e.code === 'signature_malformed', bad);
  }
});

test('RFC 9421 §2.2.2: @target-uri is scheme://authority/path?query normalized as @scheme and @authority are', () => {
  const req = { method: 'GET', authority: 'WWW.Example.com:443', target: '/path?param=value', scheme: 'https' as const, headers: {} };
  assert.equal(componentValue(req, '@target-uri'), 'https://www.example.com/path?param=value');
  assert.equal(componentValue({ ...req, target: '/path' }, '@target-uri'), 'https://www.example.com/path');
  assert.equal(componentValue({ ...req, target: '/path?' }, '@target-uri'), 'https://www.example.com/path?');
  assert.equal(componentValue({ ...req, authority: 'h:8443' }, '@target-uri'), 'https://h:8443/path?param=value');
  assert.equal(componentValue({ ...req, target: 'HTTPS://WWW.Example.com:443/path?param=value' }, '@target-uri'), 'https://www.example.com/path?param=value');
});

test('property: @authority is the lower-cased host, with the port kept exactly when it is not the scheme default', () => {
  fc.assert(
    fc.property(
      fc.stringMatching(/^[A-Za-z0-9-]{1,20}(\.[A-Za-z0-9-]{1,20}){0,3}$/),
      fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
      fc.constantFrom('https' as const, 'http' as const),
      (host, port, scheme) => {
        const v = componentValue({ method: 'GET', authority: port === undefined ? host : `${host}:${port}`, target: '/', scheme, headers: {} }, '@authority');
        const dflt = scheme === 'https' ? 443 : 80;
        assert.equal(v, port === undefined || port === dflt ? host.toLowerCase() : `${host.toLowerCase()}:${port}`);
      },
    ),
  );
});

test('RFC 9421 B.2.1, B.2.3, B.2.5: the signature bases our derivation builds equal the RFC\'s; the B.2.5 HMAC matches', () => {
  const req = testRequest();
  const b21 = new Map<string, string | number>([['created', 1618884473], ['keyid', 'test-key-rsa-pss'], ['nonce', 'b3k2pp5k7z-50gnwp.yemd']]);
  assert.equal(signatureBase(req, [], serializeSignatureParams([], b21)), '"@signature-params": ();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"');
  const b23c = ['date', '@method', '@path', '@query', '@authority', 'content-type', 'content-digest', 'content-length'];
  assert.equal(
    signatureBase(req, b23c, serializeSignatureParams(b23c, { created: 1618884473, keyid: 'test-key-rsa-pss' })),
    [
      '"date": Tue, 20 Apr 2021 02:07:55 GMT',
      '"@method": POST',
      '"@path": /foo',
      '"@query": ?param=Value&Pet=dog',
      '"@authority": example.com',
      '"content-type": application/json',
      '"content-digest": sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
      '"content-length": 18',
      '"@signature-params": ("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"',
    ].join('\n'),
  );
  const b25c = ['date', '@authority', 'content-type'];
  const b25 = signatureBase({ ...req, authority: 'Example.com:443' }, b25c, serializeSignatureParams(b25c, { created: 1618884473, keyid: 'test-shared-secret' }));
  assert.equal(b25, '"date": Tue, 20 Apr 2021 02:07:55 GMT\n"@authority": example.com\n"content-type": application/json\n"@signature-params": ("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"');
  // B.1.5 test-shared-secret; B.2.5's hmac-sha256 signature.
  const secret = Buffer.from('uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==', 'base64');
  assert.equal(createHmac('sha256', secret).update(b25).digest('base64'), 'pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=');
});

test('RFC 9530: Content-Digest sha-256 of the RFC examples; mismatches and missing sha-256 are refused', () => {
  // RFC 9530 examples: {"hello": "world"} with and without a trailing LF.
  assert.equal(contentDigest(Buffer.from('{"hello": "world"}')), 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:');
  assert.equal(contentDigest(Buffer.from('{"hello": "world"}\n')), 'sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:');
  assert.ok(verifyContentDigest('sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:, sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:', Buffer.from('{"hello": "world"}\n')));
  assert.equal(verifyContentDigest('sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:', Buffer.from('{"hello": "world!"}\n')), false);
  // sha-512 alone is not enough: the verifier insists on sha-256.
  assert.equal(verifyContentDigest('sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:', Buffer.from('{"hello": "world"}\n')), false);
  assert.equal(verifyContentDigest('sha-256=garbage', Buffer.from('')), false);
  assert.equal(verifyContentDigest(undefined, Buffer.from('')), false);
});

test('property: Content-Digest verifies its own body and no other', () => {
  fc.assert(
    fc.property(fc.uint8Array(), fc.uint8Array(), (a, b) => {
      const h = contentDigest(a);
      assert.ok(verifyContentDigest(h, a));
      assert.equal(verifyContentDigest(h, b), Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0);
    }),
  );
});

const fieldValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/);
const pathSeg = fc.stringMatching(/^[A-Za-z0-9._~%-]{0,12}$/);

test('property: sign then parse then verify round-trips; any change of a covered part breaks it', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  fc.assert(
    fc.property(
      fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
      fc.array(pathSeg, { minLength: 1, maxLength: 4 }),
      fc.option(fc.stringMatching(/^[A-Za-z0-9=&%._-]{0,30}$/), { nil: undefined }),
      fieldValue,
      fc.string({ minLength: 1, maxLength: 40 }).filter((s) => /^[\x20-\x7e]+$/.test(s) && !s.includes('\\') && !s.includes('"')),
      fc.integer({ min: 0, max: 2 ** 31 }),
      (method, segs, query, xv, nonce, created) => {
        const req = { method, authority: 'api.example.test:8443', target: '/' + segs.join('/') + (query === undefined ? '' : '?' + query), headers: { 'x-thing': xv } as Record<string, string> };
        const comps = ['@method', '@authority', '@path', '@query', 'x-thing'];
        const h = signRequest(req, { components: comps, params: { created, expires: created + 60, nonce, keyid: 't.d', alg: 'ed25519' }, privateKey });
        const signed = { ...req, headers: { ...req.headers, ...h } };
        const p = parseSignature(signed);
        assert.deepEqual(p.params, { created, expires: created + 60, nonce, keyid: 't.d', alg: 'ed25519' });
        verifySignature(signed, p, publicKey);
        const broken = { ...signed, headers: { ...signed.headers, 'x-thing': xv + 'x' } };
        assert.throws(() => verifySignature(broken, p, publicKey), SignatureError);
        assert.throws(() => verifySignature({ ...signed, target: signed.target + '/x' }, p, publicKey), SignatureError);
      },
    ),
    { numRuns: 150 },
  );
});

test('property: verifySignatureAsync gives the verdict verifySignature gives, for intact and changed requests', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const verdict = (f: () => void) => {
    try {
      f();
      return 'ok';
    } catch (e) {
      return (e as httpsig.SignatureError).code;
    }
  };
  await fc.assert(
    fc.asyncProperty(fc.array(pathSeg, { minLength: 1, maxLength: 4 }), fieldValue, fc.nat(3), async (segs, xv, change) => {
      const req = { method: 'POST', authority: 'api.example.test', target: '/' + segs.join('/'), headers: { 'x-thing': xv } as Record<string, string> };
      const comps = ['@method', '@authority', '@path', '@query', 'x-thing'];
      const h = signRequest(req, { components: comps, params: { created: 1, nonce: 'n', keyid: 't.d' }, privateKey });
      const signed = { ...req, headers: { ...req.headers, ...h } };
      const p = parseSignature(signed);
      const sent = [signed, { ...signed, method: 'PUT' }, { ...signed, headers: { ...signed.headers, 'x-thing': xv + 'x' } }, { ...signed, target: signed.target + '/x' }][change]!;
      const async = await httpsig.verifySignatureAsync(sent, p, publicKey).then(() => 'ok', (e: httpsig.SignatureError) => e.code);
      assert.equal(async, verdict(() => verifySignature(sent, p, publicKey)));
      assert.equal(async, change === 0 ? 'ok' : 'signature_invalid');
    }),
    { numRuns: 100 },
  );
});

test('property: the structured-field parser never throws anything but SignatureError on junk headers', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (si, s) => {
      try {
        parseSignature({ method: 'GET', authority: 'a', target: '/', headers: { 'signature-input': si, signature: s } });
      } catch (e) {
        assert.ok(e instanceof SignatureError, String(e));
      }
    }),
  );
});

test('policy: required components, created window with skew, expires, nonce, alg', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const now = 1_700_000_000;
  const req = { method: 'GET', authority: 'h', target: '/x', headers: {} as Record<string, string> };
  const parsed = (params: httpsig.SignatureParams, comps = ['@method', '@authority', '@path', '@query']) => parseSignature({ ...req, headers: signRequest(req, { components: comps, params, privateKey }) });
  const policy = { required: ['@method', '@authority', '@path', '@query'], now, skewSeconds: 30, maxAgeSeconds: 300, requireParams: ['expires', 'nonce', 'keyid'] as Array<'expires' | 'nonce' | 'keyid'> };
  const ok = { created: now, expires: now + 60, nonce: 'n', keyid: 'k', alg: 'ed25519' };
  checkPolicy(parsed(ok), policy);
  checkPolicy(parsed({ ...ok, created: now + 30, expires: now + 90 }), policy); // within skew
  const code = (params: httpsig.SignatureParams, c: string, comps?: string[]) => assert.throws(() => checkPolicy(parsed(params, comps), policy), (e: unknown) => e instanceof SignatureError && e.code === c);
  code({ ...ok, created: now + 31, expires: now + 91 }, 'signature_future');
  code({ ...ok, created: now - 400, expires: now - 340 }, 'signature_expired');
  code({ ...ok, created: now - 100, expires: now - 31 }, 'signature_expired');
  code({ ...ok, expires: now + 3600 }, 'signature_malformed');
  code({ ...ok, nonce: undefined }, 'signature_params_missing');
  code({ ...ok, keyid: undefined }, 'signature_params_missing');
  code({ ...ok, expires: undefined }, 'signature_params_missing');
  code({ ...ok, created: undefined }, 'signature_params_missing');
  code({ ...ok, alg: 'hmac-sha256' }, 'signature_alg_unsupported');
  code(ok, 'signature_component_missing', ['@method', '@authority', '@path']);
});

test('parse: several signatures without a label, a component with parameters, and missing headers are refused', () => {
  const base = { method: 'GET', authority: 'h', target: '/', headers: {} as Record<string, string> };
  const code = (headers: Record<string, string>, c: string) => assert.throws(() => parseSignature({ ...base, headers }), (e: unknown) => e instanceof SignatureError && e.code === c);
  code({}, 'signature_missing');
  code({ 'signature-input': 'a=();created=1, b=();created=1', signature: 'a=:AA==:, b=:AA==:' }, 'signature_malformed');
  code({ 'signature-input': 'a=("x";sf);created=1', signature: 'a=:AA==:' }, 'signature_component_unsupported');
  code({ 'signature-input': 'a=();created=1', signature: 'b=:AA==:' }, 'signature_missing');
  code({ 'signature-input': 'a=();created=1', signature: 'a="text"' }, 'signature_malformed');
  assert.equal(createHash('sha256').update('').digest().length, 32);
});
