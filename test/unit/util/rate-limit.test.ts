import { RateLimiter } from '../../../src/util/rate-limit';

describe('RateLimiter', () => {
  let now = 0;
  const clock = (): number => now;

  beforeEach(() => {
    now = 1000;
  });

  it('passes the first call, suppresses repeats within the interval and counts them', () => {
    const r = new RateLimiter(5000, clock);
    expect(r.take('a')).toEqual({ pass: true, suppressed: 0 });
    now += 100;
    expect(r.take('a')).toEqual({ pass: false, suppressed: 1 });
    now += 100;
    expect(r.take('a')).toEqual({ pass: false, suppressed: 2 });
    now += 5000;
    expect(r.take('a')).toEqual({ pass: true, suppressed: 2 });
    expect(r.take('a')).toEqual({ pass: false, suppressed: 1 });
  });

  it('limits each key on its own', () => {
    const r = new RateLimiter(5000, clock);
    expect(r.take('a').pass).toBe(true);
    expect(r.take('b').pass).toBe(true);
    expect(r.take('a').pass).toBe(false);
  });

  it('forgets the oldest keys beyond maxKeys (a flood of distinct keys stays bounded)', () => {
    const r = new RateLimiter(5000, clock, 3);
    for (const k of ['a', 'b', 'c', 'd']) expect(r.take(k).pass).toBe(true);
    // 'a' was forgotten: it passes again; 'd' was not.
    expect(r.take('d').pass).toBe(false);
    expect(r.take('a').pass).toBe(true);
  });
});
