/**
 * decodeBreadcrumb reads `<base>/active`, written by whichever node was active last: malformed
 * data must yield null (the successor then reports it as malformed), never a throw.
 */
import { decodeBreadcrumb } from '../../../src/fencing/epoch';

describe('decodeBreadcrumb', () => {
  it('reads a complete breadcrumb', () => {
    const crumb = { epoch: 12, nodeId: 'node-a', host: 'host-1', pid: 4242, since: '2024-01-01T00:00:00.000Z' };
    expect(decodeBreadcrumb(Buffer.from(JSON.stringify(crumb)))).toEqual(crumb);
  });

  it('defaults the optional fields', () => {
    expect(decodeBreadcrumb(Buffer.from('{"epoch":3,"nodeId":"n"}'))).toEqual({ epoch: 3, nodeId: 'n', host: '', pid: 0, since: '' });
  });

  it('ignores optional fields of the wrong type', () => {
    expect(decodeBreadcrumb(Buffer.from('{"epoch":3,"nodeId":"n","host":1,"pid":"7","since":false}'))).toEqual({
      epoch: 3,
      nodeId: 'n',
      host: '',
      pid: 0,
      since: '',
    });
  });

  it.each([
    ['empty data', ''],
    ['not JSON', 'active'],
    ['truncated JSON', '{"epoch":3,'],
    ['JSON null', 'null'],
    ['a number', '3'],
    ['a string', '"node-a"'],
    ['an array', '[3,"node-a"]'],
    ['missing epoch', '{"nodeId":"n"}'],
    ['epoch as a string', '{"epoch":"3","nodeId":"n"}'],
    ['missing node id', '{"epoch":3}'],
    ['node id as a number', '{"epoch":3,"nodeId":7}'],
  ])('returns null for %s', (_why, text) => {
    expect(decodeBreadcrumb(Buffer.from(text))).toBeNull();
  });

  it('returns null for bytes that are not UTF-8 JSON', () => {
    expect(decodeBreadcrumb(Buffer.from([0xff, 0xfe, 0x00]))).toBeNull();
  });
});
