import { aclFor, digestId, mayAdminister, OPEN_ACL, PERM, sameAcl } from '../../../src/coordination/acl';

describe('digestId', () => {
  it("matches ZooKeeper's DigestAuthenticationProvider.generateDigest", () => {
    // java -cp zookeeper.jar org.apache.zookeeper.server.auth.DigestAuthenticationProvider 'jenkins-ha:s3cret pass'
    expect(digestId('jenkins-ha:s3cret pass')).toBe('jenkins-ha:4F3fUUTwzf21716VGhxg0Fxon3c=');
  });
  it('keeps everything after the first colon as the password', () => {
    expect(digestId('u:a:b')).not.toBe(digestId('u:a'));
    expect(digestId('u:a:b').startsWith('u:')).toBe(true);
  });
});

describe('aclFor', () => {
  it('is open to all without credentials', () => {
    expect(aclFor({ auth: '', worldRead: false })).toEqual(OPEN_ACL);
  });
  it('gives our digest identity ALL and the world READ only', () => {
    expect(aclFor({ auth: 'ha:pw', worldRead: true })).toEqual([
      { perms: PERM.ALL, scheme: 'digest', id: digestId('ha:pw') },
      { perms: PERM.READ, scheme: 'world', id: 'anyone' },
    ]);
  });
  it('gives the world nothing when worldRead is false', () => {
    expect(aclFor({ auth: 'ha:pw', worldRead: false })).toEqual([{ perms: PERM.ALL, scheme: 'digest', id: digestId('ha:pw') }]);
  });
});

describe('aclFor with a SASL user', () => {
  it('gives sasl:<user> ALL (and the world READ) without digest credentials', () => {
    expect(aclFor({ auth: '', worldRead: true, sasl: 'jenkins-ha' })).toEqual([
      { perms: PERM.ALL, scheme: 'sasl', id: 'jenkins-ha' },
      { perms: PERM.READ, scheme: 'world', id: 'anyone' },
    ]);
  });
  it('digest credentials win over the SASL user, and the SASL user over certificate subjects', () => {
    expect(aclFor({ auth: 'ha:pw', worldRead: false, sasl: 'jenkins-ha' })).toEqual([{ perms: PERM.ALL, scheme: 'digest', id: digestId('ha:pw') }]);
    expect(aclFor({ auth: '', worldRead: false, sasl: 'jenkins-ha', x509: ['CN=a'] })).toEqual([{ perms: PERM.ALL, scheme: 'sasl', id: 'jenkins-ha' }]);
  });
  it('another SASL user may not administer our znodes', () => {
    expect(mayAdminister(aclFor({ auth: '', worldRead: true, sasl: 'jenkins-ha' }), { auth: '', worldRead: true, sasl: 'other' })).toBe(false);
    expect(mayAdminister(aclFor({ auth: '', worldRead: true, sasl: 'jenkins-ha' }), { auth: '', worldRead: true, sasl: 'jenkins-ha' })).toBe(true);
  });
});

describe('sameAcl / mayAdminister', () => {
  const ours = aclFor({ auth: 'ha:pw', worldRead: true });
  it('compares entries in any order', () => {
    expect(sameAcl(ours, [...ours].reverse())).toBe(true);
    expect(sameAcl(ours, aclFor({ auth: 'ha:pw', worldRead: false }))).toBe(false);
    expect(sameAcl(ours, aclFor({ auth: 'ha:other', worldRead: true }))).toBe(false);
  });
  it('an open znode or one that is ours may be administered; one of another identity may not', () => {
    const access = { auth: 'ha:pw', worldRead: true };
    expect(mayAdminister(OPEN_ACL, access)).toBe(true);
    expect(mayAdminister(aclFor({ auth: 'ha:pw', worldRead: false }), access)).toBe(true);
    expect(mayAdminister(aclFor({ auth: 'rogue:x', worldRead: true }), access)).toBe(false);
    expect(mayAdminister([{ perms: PERM.ALL & ~PERM.ADMIN, scheme: 'world', id: 'anyone' }], access)).toBe(false);
  });
});
