/**
 * The fixed-window limiter behind `--rate-limit` (service/rate-limit.ts): exactly `max` requests an
 * address a minute, a fresh budget when the minute turns, addresses counted apart, and memory bounded
 * however many addresses come (past MAX_ADDRESSES, new ones share one budget).
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { FixedWindowLimiter, MAX_ADDRESSES, WINDOW_MS } from '../../service/rate-limit.js';

test('max requests a minute per address, whatever the order of addresses and times within the minute', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 20 }),
      fc.array(fc.record({ who: fc.constantFrom('10.0.0.1', '10.0.0.2', '::1'), dt: fc.nat(100) }), {
        maxLength: 100,
      }),
      (max, requests) => {
        let now = 1_000_000;
        const limiter = new FixedWindowLimiter(max, () => now);
        const start = now;
        const used = new Map<string, number>();
        for (const { who, dt } of requests) {
          now = Math.min(now + dt, start + WINDOW_MS - 1); // all within one minute
          const n = (used.get(who) ?? 0) + 1;
          used.set(who, n);
          const taken = limiter.take(who);
          if (n <= max) expect(taken).toEqual({ remaining: max - n, resetSeconds: expect.any(Number) });
          else expect(taken).toEqual({ retryAfterSeconds: expect.any(Number) });
          const seconds = 'remaining' in taken ? taken.resetSeconds : taken.retryAfterSeconds;
          expect(seconds).toBe(Math.max(1, Math.ceil((start + WINDOW_MS - now) / 1000)));
        }
      },
    ),
  );
});

test('when the minute turns, every address has its whole budget again', () => {
  let now = 0;
  const limiter = new FixedWindowLimiter(2, () => now);
  limiter.take('a');
  limiter.take('a');
  expect(limiter.take('a')).toEqual({ retryAfterSeconds: 60 });
  now = WINDOW_MS - 1;
  expect(limiter.take('a')).toEqual({ retryAfterSeconds: 1 });
  now = WINDOW_MS;
  expect(limiter.take('a')).toEqual({ remaining: 1, resetSeconds: 60 });
});

test('past MAX_ADDRESSES addresses in a minute, new ones share one budget (memory stays bounded)', () => {
  const limiter = new FixedWindowLimiter(3, () => 0);
  for (let i = 0; i < MAX_ADDRESSES; i++) limiter.take(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
  // Known addresses keep their own count; the newcomers draw on the shared one.
  expect(limiter.take('10.0.0.0')).toEqual({ remaining: 1, resetSeconds: 60 });
  expect(limiter.take('fd00::1')).toEqual({ remaining: 2, resetSeconds: 60 });
  expect(limiter.take('fd00::2')).toEqual({ remaining: 1, resetSeconds: 60 });
  expect(limiter.take('fd00::3')).toEqual({ remaining: 0, resetSeconds: 60 });
  expect(limiter.take('fd00::4')).toEqual({ retryAfterSeconds: 60 });
});
