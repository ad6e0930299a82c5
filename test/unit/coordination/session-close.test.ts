import { authPacket, closePacket, connectPacket, connectServers, decodeHandoff, encodeHandoff, type SessionHandoff } from '../../../src/coordination/session-close';

const H: SessionHandoff = {
  v: 1,
  connect: '127.0.0.1:2181',
  sessionId: '0123456789abcdef',
  password: Buffer.alloc(16, 7).toString('base64'),
  sessionTimeoutMs: 10000,
  tls: null,
  auth: '',
  home: '/var/lib/jenkins',
  epoch: 4,
  nodeId: 'a',
  controllerPid: 42,
  controllerStart: '12345',
  waitMs: 5500,
  ioTimeoutMs: 2000,
};

describe('the hand-off line', () => {
  it('round-trips, and is one token without spaces (one bash read, one line)', () => {
    const line = encodeHandoff(H);
    expect(line).toMatch(/^[A-Za-z0-9+/=]+$/);
    expect(decodeHandoff(`${line}\n`)).toEqual(H);
  });

  it('refuses what is not a hand-off of this version', () => {
    expect(decodeHandoff('')).toBeNull();
    expect(decodeHandoff('not base64 json')).toBeNull();
    expect(decodeHandoff(encodeHandoff({ ...H, v: 2 as 1 }))).toBeNull();
    expect(decodeHandoff(encodeHandoff({ ...H, sessionId: 'xyz' }))).toBeNull();
    // Without the session's own timeout a reattach would renegotiate it (and keep a session it cannot close alive longer).
    expect(decodeHandoff(encodeHandoff({ ...H, sessionTimeoutMs: undefined as unknown as number }))).toBeNull();
    expect(decodeHandoff(Buffer.from(JSON.stringify({ ...H, epoch: '4' })).toString('base64'))).toBeNull();
  });
});

describe('connectServers', () => {
  it('reads host:port entries, ignores the chroot, defaults the port', () => {
    expect(connectServers('a:1,b:2/jenkins')).toEqual([
      { host: 'a', port: 1 },
      { host: 'b', port: 2 },
    ]);
    expect(connectServers('zk')).toEqual([{ host: 'zk', port: 2181 }]);
    expect(connectServers('[::1]:2281')).toEqual([{ host: '::1', port: 2281 }]);
    expect(connectServers('')).toEqual([]);
  });
});

describe('wire packets', () => {
  it('ConnectRequest: length, protocol 0, zxid 0, timeout, session id, password, readOnly false', () => {
    const id = Buffer.from('0123456789abcdef', 'hex');
    const pw = Buffer.alloc(16, 9);
    const p = connectPacket(id, pw, 30000);
    expect(p.readInt32BE(0)).toBe(p.length - 4);
    expect(p.readInt32BE(4)).toBe(0);
    expect(p.readBigInt64BE(8)).toBe(0n);
    expect(p.readInt32BE(16)).toBe(30000);
    expect(p.subarray(20, 28).equals(id)).toBe(true);
    expect(p.readInt32BE(28)).toBe(16);
    expect(p.subarray(32, 48).equals(pw)).toBe(true);
    expect(p.length).toBe(49);
    expect(p[48]).toBe(0);
  });

  it('CloseSession is op -11', () => {
    const p = closePacket(1);
    expect([p.readInt32BE(0), p.readInt32BE(4), p.readInt32BE(8)]).toEqual([8, 1, -11]);
  });

  it('AuthPacket: xid -4, op 100, digest scheme and credentials', () => {
    const p = authPacket('u:pw');
    expect([p.readInt32BE(4), p.readInt32BE(8), p.readInt32BE(12), p.readInt32BE(16)]).toEqual([-4, 100, 0, 6]);
    expect(p.subarray(20, 26).toString()).toBe('digest');
    expect(p.readInt32BE(26)).toBe(4);
    expect(p.subarray(30).toString()).toBe('u:pw');
  });
});
