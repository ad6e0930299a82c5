/**
 * The client side of SASL DIGEST-MD5 (RFC 2831) as ZooKeeper's servers speak it: pure functions,
 * no connection. ZooKeeper's Java client authenticates with protocol "zookeeper" and server name
 * "zk-sasl-md5", so the digest-uri is "zookeeper/zk-sasl-md5" and the server's realm (its default)
 * is "zk-sasl-md5"; only qop "auth" (authentication, no integrity or privacy layer) is used.
 *
 * The exchange: the client sends an empty token, the server answers with a digest-challenge, the
 * client answers with a digest-response, the server answers with `rspauth=...`, which proves
 * that it knows the password too (checked by `verifyRspauth`).
 */
import { createHash, randomBytes } from 'node:crypto';

/** What ZooKeeper's Java client uses for DIGEST-MD5 (ZooKeeperSaslClient). */
export const ZK_SASL_PROTOCOL = 'zookeeper';
export const ZK_SASL_SERVER_NAME = 'zk-sasl-md5';
export const ZK_DIGEST_URI = `${ZK_SASL_PROTOCOL}/${ZK_SASL_SERVER_NAME}`;

/** A digest-challenge or a final `rspauth=` token the client cannot use. */
export class SaslProtocolError extends Error {}

/** The directives of a digest-challenge (RFC 2831 2.1.1), keys lower-cased. */
export function parseDirectives(token: string): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  const n = token.length;
  const skip = (): void => {
    while (i < n && (token[i] === ' ' || token[i] === '\t' || token[i] === ',' || token[i] === '\r' || token[i] === '\n')) i++;
  };
  while (true) {
    skip();
    if (i >= n) break;
    const eq = token.indexOf('=', i);
    if (eq < 0) throw new SaslProtocolError(`malformed directive at ${JSON.stringify(token.slice(i, i + 40))}`);
    const key = token.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    let value = '';
    if (token[i] === '"') {
      i++;
      while (i < n && token[i] !== '"') {
        if (token[i] === '\\' && i + 1 < n) i++;
        value += token[i];
        i++;
      }
      if (i >= n) throw new SaslProtocolError(`unterminated quoted value of ${key}`);
      i++; // closing quote
    } else {
      const end = token.indexOf(',', i);
      value = (end < 0 ? token.slice(i) : token.slice(i, end)).trim();
      i = end < 0 ? n : end;
    }
    // RFC 2831: a realm may repeat (the client picks one); other directives must not. Keep the first.
    if (!out.has(key)) out.set(key, value);
  }
  return out;
}

/** A quoted-string value (RFC 2831: backslash before `"` and `\`). */
function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * RFC 2831 2.1.2.1: with charset=utf-8, user, realm and password are hashed as ISO 8859-1 when
 * every character fits, else as UTF-8 (Java's DigestMD5Base does the same).
 */
function bytes(s: string, utf8: boolean): Buffer {
  if (utf8 && [...s].some((c) => c.codePointAt(0)! > 0xff)) return Buffer.from(s, 'utf8');
  return Buffer.from(s, 'latin1');
}

const md5 = (...parts: (Buffer | string)[]): Buffer => {
  const h = createHash('md5');
  for (const p of parts) h.update(typeof p === 'string' ? Buffer.from(p, 'latin1') : p);
  return h.digest();
};
const hex = (b: Buffer): string => b.toString('hex');

export interface DigestState {
  user: string;
  realm: string;
  nonce: string;
  cnonce: string;
  nc: string;
  utf8: boolean;
  digestUri: string;
  /** H(A1) in hex: with the password already folded in, kept to check rspauth. */
  ha1: string;
}

/** response-value of RFC 2831 2.1.2.1 for `a2` ("AUTHENTICATE:uri" for the client, ":uri" for rspauth). */
function responseValue(st: DigestState, a2: string): string {
  return hex(md5(`${st.ha1}:${st.nonce}:${st.nc}:${st.cnonce}:auth:${hex(md5(a2))}`));
}

/**
 * The digest-response to a server's digest-challenge, and the state needed to check the server's
 * rspauth afterwards. `cnonce` is random and the digest-uri ZooKeeper's unless given (tests).
 */
export function digestResponse(
  challenge: string,
  creds: { user: string; password: string },
  opts: { cnonce?: string; digestUri?: string } = {},
): { token: Buffer; state: DigestState } {
  const cnonce = opts.cnonce ?? randomBytes(24).toString('base64');
  const digestUri = opts.digestUri ?? ZK_DIGEST_URI;
  const d = parseDirectives(challenge);
  const nonce = d.get('nonce');
  if (nonce === undefined || nonce === '') throw new SaslProtocolError('the server\'s DIGEST-MD5 challenge has no nonce');
  const algorithm = d.get('algorithm');
  if (algorithm !== 'md5-sess') throw new SaslProtocolError(`the server's DIGEST-MD5 challenge asks for algorithm ${String(algorithm)}, not md5-sess`);
  const qops = (d.get('qop') ?? 'auth').split(',').map((q) => q.trim());
  if (!qops.includes('auth')) throw new SaslProtocolError(`the server offers qop ${qops.join(',')} but not auth`);
  const utf8 = d.get('charset')?.toLowerCase() === 'utf-8';
  const realm = d.get('realm') ?? ZK_SASL_SERVER_NAME;
  const nc = '00000001';
  const secret = md5(bytes(creds.user, utf8), ':', bytes(realm, utf8), ':', bytes(creds.password, utf8));
  const ha1 = hex(md5(secret, `:${nonce}:${cnonce}`));
  const state: DigestState = { user: creds.user, realm, nonce, cnonce, nc, utf8, digestUri, ha1 };
  const fields = [
    `${utf8 ? 'charset=utf-8,' : ''}username=${quote(creds.user)}`,
    `realm=${quote(realm)}`,
    `nonce=${quote(nonce)}`,
    `nc=${nc}`,
    `cnonce=${quote(cnonce)}`,
    `digest-uri=${quote(digestUri)}`,
    'maxbuf=65536',
    `response=${responseValue(state, `AUTHENTICATE:${digestUri}`)}`,
    'qop=auth',
  ];
  return { token: Buffer.from(fields.join(','), utf8 ? 'utf8' : 'latin1'), state };
}

/** Whether the server's final token (`rspauth=<hex>`) proves it knows the password. */
export function verifyRspauth(token: string, state: DigestState): boolean {
  const got = parseDirectives(token).get('rspauth');
  return got !== undefined && got.toLowerCase() === responseValue(state, `:${state.digestUri}`);
}
