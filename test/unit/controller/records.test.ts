/**
 * The record znodes (pause, switchover intent, history entries) as another member or a rogue may
 * have written them: anything malformed, oversized or of the wrong types decodes to null (the
 * cluster view warns and treats it as absent), never to a throw or a half-filled record.
 */
import { decodeHistory, decodePause, decodeSwitchover } from '../../../src/controller/cluster-view';
import { MAX_FIELD_LENGTH, parseRecord } from '../../../src/util/record-json';
import { fuzzSeed, randomValue, Rng } from '../../helpers/fuzz';

const PAUSE = { by: 'api@1', reason: 'r', since: '2024-01-01T00:00:00.000Z', until: null };
const INTENT = { id: 'i', from: 'a', candidate: 'b', reason: '', requestedAt: '2024-01-01T00:00:00.000Z', state: 'pending' };
const ENTRY = { at: '2024-01-01T00:00:00.000Z', event: 'elected', node: 'a', reason: 'epoch 1', epoch: 1 };
const b = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

test('valid records decode', () => {
  expect(decodePause(b(PAUSE))).toEqual(PAUSE);
  expect(decodeSwitchover(b(INTENT))).toEqual(INTENT);
  expect(decodeHistory(b(ENTRY))).toEqual(ENTRY);
});

test.each([
  ['not JSON', 'paused!'],
  ['JSON null', 'null'],
  ['a number', '42'],
  ['an array', '[{"since":"x"}]'],
  ['empty', ''],
  ['binary', '\u0000\u0001\u00ff'],
])('%s decodes to null', (_what, text) => {
  expect(decodePause(b(text))).toBeNull();
  expect(decodeSwitchover(b(text))).toBeNull();
  expect(decodeHistory(b(text))).toBeNull();
});

test('wrong types of the required fields decode to null', () => {
  expect(decodePause(b({ ...PAUSE, since: 5 }))).toBeNull();
  expect(decodeSwitchover(b({ ...INTENT, from: ['a'] }))).toBeNull();
  expect(decodeHistory(b({ ...ENTRY, event: {} }))).toBeNull();
});

test('oversized records and long strings decode to null', () => {
  const long = 'x'.repeat(MAX_FIELD_LENGTH + 1);
  expect(decodePause(b({ ...PAUSE, reason: long }))).toBeNull();
  expect(decodeSwitchover(b({ ...INTENT, reason: long }))).toBeNull();
  expect(decodeHistory(b({ ...ENTRY, reason: long }))).toBeNull();
  expect(parseRecord(b({ ...PAUSE, pad: Array(20000).fill(0) }))).toBeNull();
  expect(decodePause(Buffer.alloc(1_000_000, 0x20))).toBeNull();
});

test(`random JSON never throws and yields a full record or null (seed ${fuzzSeed()})`, () => {
  const r = new Rng(fuzzSeed());
  for (let i = 0; i < 2000; i++) {
    const base = r.pick([PAUSE, INTENT, ENTRY]) as Record<string, unknown>;
    const v: Record<string, unknown> = { ...base };
    for (let k = r.int(1, 3); k > 0; k--) v[r.pick([...Object.keys(base), 'x'])] = randomValue(r);
    const data = r.bool(0.1) ? r.bytes(r.int(0, 50)) : b(v);
    const p = decodePause(data);
    if (p) expect(typeof p.since).toBe('string');
    const s = decodeSwitchover(data);
    if (s) expect([typeof s.id, typeof s.from, typeof s.requestedAt, s.state === 'pending' || s.state === 'running']).toEqual(['string', 'string', 'string', true]);
    const h = decodeHistory(data);
    if (h) expect([typeof h.at, typeof h.event, h.epoch === null || typeof h.epoch === 'number']).toEqual(['string', 'string', true]);
  }
});
