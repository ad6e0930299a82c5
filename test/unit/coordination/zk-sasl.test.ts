/**
 * The SASL override wraps two methods of node-zookeeper-client's ConnectionManager
 * (src/coordination/zk-sasl.ts) and relies on how the library handles the ConnectResponse. These
 * tests fail loudly when the library changes under it; the exchange itself is tested against a
 * real ZooKeeper (test/integration/zk-sasl.test.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zk from 'node-zookeeper-client';
import { assertSaslOverride, parseSaslReply, saslOverrideProblems, saslRequest, useSasl, SESSION_CLOSED_REQUIRE_SASL_AUTH } from '../../../src/coordination/zk-sasl';
import { authFailedMessage, describeSaslFailure } from '../../../src/coordination/zk-sasl-report';
import { connectionManagerModule } from '../../../src/coordination/zk-socket';

const LIB = path.dirname(require.resolve('node-zookeeper-client/package.json'));
const SRC = fs.readFileSync(path.join(LIB, 'lib', 'ConnectionManager.js'), 'utf8');
const EXC = fs.readFileSync(path.join(LIB, 'lib', 'Exception.js'), 'utf8');

function method(name: string): string {
  const start = SRC.indexOf(`ConnectionManager.prototype.${name} = function`);
  expect(start).toBeGreaterThan(0);
  return SRC.slice(start, SRC.indexOf('\n};', start)).replace(/\s+/g, ' ');
}

describe('the node-zookeeper-client the SASL override was reviewed against', () => {
  it('passes the override\'s own check', () => {
    expect(() => assertSaslOverride()).not.toThrow();
  });

  it('handles the ConnectResponse as the override assumes: CONNECTED, then the queue is flushed', () => {
    const data = method('onSocketData');
    // Held until SASL is done, the ConnectResponse is what makes the connection usable.
    expect(data).toContain(
      'self.sessionId = connectResponse.sessionId; self.sessionPassword = connectResponse.passwd; self.updateTimeout(connectResponse.timeOut); ' +
        'self.setState(STATES.CONNECTED); // Check if we have anything to send out just in case. self.onPacketQueueReadable();',
    );
    expect(data).toContain('if (connectResponse.timeOut <= 0) { self.setState(STATES.SESSION_EXPIRED);');
    // Nothing is written while CONNECTING: the queued auth/SetWatches wait for the ConnectResponse.
    expect(method('onPacketQueueReadable')).toContain('case STATES.CONNECTING: case STATES.CLOSED: case STATES.SESSION_EXPIRED: case STATES.AUTHENTICATION_FAILED: // Skip since we can not send traffic out return;');
    expect(method('onSocketConnected')).toContain('this.socket.write(connectRequest.toBuffer());');
  });

  it('still does not know the code -124, which the guard catches', () => {
    expect(EXC).not.toMatch(/:\s*-124\b/);
    expect(EXC).toContain("throw new Error('Unknown code: ' + code);");
  });

  it('reports a changed library', () => {
    const cm = connectionManagerModule();
    expect(saslOverrideProblems('1.1.3', cm)).toEqual([]);
    expect(saslOverrideProblems('1.2.0', cm)).toEqual(['version 1.2.0 (reviewed: 1.1.3)']);
    const changed = { prototype: { ...cm.prototype, onSocketData: function onSocketData(): void {} }, STATES: cm.STATES };
    expect(saslOverrideProblems('1.1.3', changed).join('; ')).toContain('onSocketData no longer has');
  });
});

describe('the sasl packets', () => {
  it('a request is length, xid, op 102 and the token as a jute buffer', () => {
    expect(saslRequest(7, Buffer.from('ab')).toString('hex')).toBe('0000000e' + '00000007' + '00000066' + '00000002' + '6162');
  });
  it('a reply is xid, zxid, err and the token (null as length -1)', () => {
    const body = Buffer.alloc(22);
    body.writeInt32BE(7, 0);
    body.writeInt32BE(0, 12);
    body.writeInt32BE(2, 16);
    body.write('hi', 20);
    expect(parseSaslReply(body)).toEqual({ xid: 7, err: 0, token: Buffer.from('hi') });
    const refused = Buffer.alloc(20);
    refused.writeInt32BE(8, 0);
    refused.writeInt32BE(-115, 12);
    refused.writeInt32BE(-1, 16);
    expect(parseSaslReply(refused)).toEqual({ xid: 8, err: -115, token: null });
  });
});

describe('useSasl', () => {
  it('wraps that one client only', () => {
    const plain = zk.createClient('127.0.0.1:1', { retries: 0 });
    const client = zk.createClient('127.0.0.1:1', { retries: 0 });
    useSasl(client, { credentials: () => null, onFailure: () => undefined, onSuccess: () => undefined });
    const cmOf = (c: zk.Client): Record<string, unknown> => (c as unknown as { connectionManager: Record<string, unknown> }).connectionManager;
    expect(Object.prototype.hasOwnProperty.call(cmOf(client), 'onSocketData')).toBe(true);
    expect(Object.prototype.hasOwnProperty.call(cmOf(plain), 'onSocketData')).toBe(false);
  });
});

describe('what an operator reads', () => {
  it('a refusal names zk.sasl.user, the server\'s answer and the keys to check, never the password', () => {
    const f = describeSaslFailure({ peer: '127.0.0.1:2181', reason: 'refused', code: -115, detail: 'the server refused the credentials: AUTH_FAILED (-115)' }, 'jenkins-ha');
    expect(f.message).toBe(
      'ZooKeeper 127.0.0.1:2181 refused SASL DIGEST-MD5 for zk.sasl.user "jenkins-ha": the server refused the credentials: AUTH_FAILED (-115); ' +
        "the password is wrong or the user is not in the server's JAAS Server section (check zk.sasl.user / zk.sasl.password (env JHA_ZK_SASL_USER / JHA_ZK_SASL_PASSWORD), and the server log for the reason)",
    );
    expect(authFailedMessage(f, true)).toBe(f.message);
  });
  it('a server that requires SASL of a client without tells it to set zk.sasl', () => {
    const f = describeSaslFailure({ peer: 'p:1', reason: 'sasl-required', code: SESSION_CLOSED_REQUIRE_SASL_AUTH, detail: 'closed' }, '');
    expect(f.message).toContain('requires SASL authentication');
    expect(f.message).toContain('set zk.sasl.user / zk.sasl.password');
  });
  it('without a SASL failure an AUTH_FAILED is about zk.auth', () => {
    expect(authFailedMessage(null, true)).toContain('rejected the zk.auth credentials');
    expect(authFailedMessage(null, false)).toContain('set zk.auth');
  });
});
