/**
 * decodeMember reads what other members wrote into their election znodes: anything malformed
 * must yield null (logged and ignored by the caller), never a throw that stops the election.
 */
import { decodeMember, encodeMember, type MemberInfo } from '../../../src/election/member';
import { MAX_FIELD_LENGTH } from '../../../src/util/record-json';

const MEMBER: MemberInfo = {
  id: 'node-a',
  host: 'host-1',
  pid: 4242,
  apiUrl: 'http://host-1:8081',
  jenkinsUrl: 'http://host-1:8080',
  version: '0.1.0',
  startedAt: '2024-01-01T00:00:00.000Z',
  priority: 5,
  noFailover: true,
};

describe('encodeMember / decodeMember', () => {
  it('round-trips a member', () => {
    expect(decodeMember(encodeMember(MEMBER))).toEqual(MEMBER);
  });

  it('fills optional fields with empty strings when an older member did not write them', () => {
    expect(decodeMember(Buffer.from('{"id":"n","host":"h","pid":1}'))).toEqual({
      id: 'n',
      host: 'h',
      pid: 1,
      apiUrl: '',
      jenkinsUrl: '',
      version: '',
      startedAt: '',
      priority: 0,
      noFailover: false,
    });
  });

  it('reads a priority only as a safe integer and noFailover only as true (a member of another type never leads by mistake)', () => {
    const m = decodeMember(Buffer.from('{"id":"n","host":"h","pid":1,"priority":"9","noFailover":"true"}'));
    expect(m).toMatchObject({ priority: 0, noFailover: false });
    expect(decodeMember(Buffer.from('{"id":"n","host":"h","pid":1,"priority":1.5}'))?.priority).toBe(0);
    expect(decodeMember(Buffer.from('{"id":"n","host":"h","pid":1,"priority":-3,"noFailover":true}'))).toMatchObject({ priority: -3, noFailover: true });
  });

  it('ignores optional fields of the wrong type instead of passing them on', () => {
    const m = decodeMember(Buffer.from('{"id":"n","host":"h","pid":1,"apiUrl":5,"jenkinsUrl":null,"version":[],"startedAt":{}}'));
    expect(m).toMatchObject({ apiUrl: '', jenkinsUrl: '', version: '', startedAt: '' });
  });

  it.each([
    ['empty data', ''],
    ['not JSON', 'hello'],
    ['truncated JSON', '{"id":"n","host":"h",'],
    ['JSON null', 'null'],
    ['a number', '42'],
    ['a string', '"node-a"'],
    ['an array', '["node-a","host-1",1]'],
    ['missing id', '{"host":"h","pid":1}'],
    ['missing host', '{"id":"n","pid":1}'],
    ['missing pid', '{"id":"n","host":"h"}'],
    ['pid as a string', '{"id":"n","host":"h","pid":"1"}'],
    ['id as a number', '{"id":1,"host":"h","pid":1}'],
  ])('returns null for %s', (_why, text) => {
    expect(decodeMember(Buffer.from(text))).toBeNull();
  });

  it('returns null for bytes that are not UTF-8 JSON', () => {
    expect(decodeMember(Buffer.from([0xff, 0xfe, 0x00, 0x7b]))).toBeNull();
  });
});

describe('decodeMember with hostile data', () => {
  it('refuses string fields over MAX_FIELD_LENGTH and data over 32 kB', () => {
    expect(decodeMember(Buffer.from(JSON.stringify({ ...MEMBER, host: 'h'.repeat(MAX_FIELD_LENGTH) })))).not.toBeNull();
    expect(decodeMember(Buffer.from(JSON.stringify({ ...MEMBER, host: 'h'.repeat(MAX_FIELD_LENGTH + 1) })))).toBeNull();
    expect(decodeMember(Buffer.from(JSON.stringify({ ...MEMBER, extra: 'x'.repeat(MAX_FIELD_LENGTH + 1) })))).toBeNull();
    expect(decodeMember(Buffer.from(JSON.stringify({ ...MEMBER, pad: Array(20000).fill(1) })))).toBeNull();
    expect(decodeMember(Buffer.alloc(1_000_000, 0x7b))).toBeNull();
  });
});
