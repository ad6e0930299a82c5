import { ZK_DIGEST_URI, SaslProtocolError, digestResponse, parseDirectives, verifyRspauth } from '../../../src/coordination/sasl-digest';

// RFC 2831 section 4, the example exchange (IMAP): the published response and rspauth.
const RFC_CHALLENGE = 'realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",algorithm=md5-sess,charset=utf-8';
const RFC = { user: 'chris', password: 'secret' };
const RFC_OPTS = { cnonce: 'OA6MHXh6VqTrRk', digestUri: 'imap/elwood.innosoft.com' };

test('computes the RFC 2831 example response and accepts its rspauth', () => {
  const { token, state } = digestResponse(RFC_CHALLENGE, RFC, RFC_OPTS);
  const d = parseDirectives(token.toString('utf8'));
  expect(d.get('response')).toBe('d388dad90d4bbd760a152321f2143af7');
  expect(d.get('username')).toBe('chris');
  expect(d.get('realm')).toBe('elwood.innosoft.com');
  expect(d.get('nc')).toBe('00000001');
  expect(d.get('qop')).toBe('auth');
  expect(d.get('digest-uri')).toBe('imap/elwood.innosoft.com');
  expect(verifyRspauth('rspauth=ea40f60335c427b5527b84dbabcdfffd', state)).toBe(true);
});

test('refuses an rspauth from a server that does not know the password', () => {
  const { state } = digestResponse(RFC_CHALLENGE, { user: 'chris', password: 'other' }, RFC_OPTS);
  expect(verifyRspauth('rspauth=ea40f60335c427b5527b84dbabcdfffd', state)).toBe(false);
  expect(verifyRspauth('', state)).toBe(false);
});

test('speaks to ZooKeeper with its digest-uri and the realm the server names', () => {
  const challenge = 'realm="zk-sasl-md5",nonce="abc\\"def",charset=utf-8,algorithm=md5-sess';
  const d = parseDirectives(digestResponse(challenge, { user: 'jen"kins', password: 'pw' }).token.toString('utf8'));
  expect(d.get('digest-uri')).toBe(ZK_DIGEST_URI);
  expect(ZK_DIGEST_URI).toBe('zookeeper/zk-sasl-md5');
  expect(d.get('realm')).toBe('zk-sasl-md5');
  expect(d.get('nonce')).toBe('abc"def'); // quoted and escaped back
  expect(d.get('username')).toBe('jen"kins');
});

test('a challenge without a nonce, with another algorithm or without qop auth is a protocol error', () => {
  expect(() => digestResponse('realm="r",algorithm=md5-sess', RFC)).toThrow(SaslProtocolError);
  expect(() => digestResponse('nonce="n",algorithm=md5', RFC)).toThrow(/algorithm md5/);
  expect(() => digestResponse('nonce="n",algorithm=md5-sess,qop="auth-conf"', RFC)).toThrow(/not auth/);
  expect(() => parseDirectives('nonce="unterminated')).toThrow(SaslProtocolError);
});

test('a password outside ISO 8859-1 is hashed as UTF-8 (charset=utf-8), one inside as ISO 8859-1', () => {
  const ch = 'realm="zk-sasl-md5",nonce="n",charset=utf-8,algorithm=md5-sess';
  const opts = { cnonce: 'c' };
  const latin = digestResponse(ch, { user: 'u', password: 'caf\u00e9' }, opts).state.ha1;
  const wide = digestResponse(ch, { user: 'u', password: 'caf\u20ac' }, opts).state.ha1;
  expect(latin).not.toBe(digestResponse(ch, { user: 'u', password: 'caf\u00c3\u00a9' }, opts).state.ha1);
  expect(wide).toBe(digestResponse(ch, { user: 'u', password: 'caf\u00e2\u0082\u00ac' }, opts).state.ha1);
});
