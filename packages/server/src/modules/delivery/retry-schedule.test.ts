import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeNextAttempt, countAttempts, DEFAULT_RETRY_SCHEDULE_MS, parseRetrySchedule, RETRY_AFTER_MAX_MS, shouldDisableWebhook,
} from './retry-schedule.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const middle = (): number => 0.5; // no jitter

describe('default schedule', () => {
  it('retries immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h: about three days, 11 attempts', () => {
    const delays: number[] = [];
    for (let attempt = 1; ; attempt += 1) {
      const delay = computeNextAttempt({ attemptNumber: attempt, random: middle });
      if (delay === null) break;
      delays.push(delay);
    }
    expect(delays).toEqual([0, 5_000, 300_000, 1_800_000, 2 * HOUR_MS, 5 * HOUR_MS, 10 * HOUR_MS, 14 * HOUR_MS, 20 * HOUR_MS, 24 * HOUR_MS]);
    expect(countAttempts()).toBe(11);
    const total = DEFAULT_RETRY_SCHEDULE_MS.reduce((sum, delay) => sum + delay, 0);
    expect(total).toBeGreaterThan(3 * DAY_MS);
    expect(total).toBeLessThan(3.5 * DAY_MS);
  });

  it('jitters every delay within ±20 %', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: DEFAULT_RETRY_SCHEDULE_MS.length }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
        const base = DEFAULT_RETRY_SCHEDULE_MS[attempt - 1] as number;
        const delay = computeNextAttempt({ attemptNumber: attempt, random: () => r }) as number;
        expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
        expect(delay).toBeLessThanOrEqual(Math.ceil(base * 1.2));
      }),
    );
    expect(computeNextAttempt({ attemptNumber: 2, random: () => 0 })).toBe(4_000);
    expect(computeNextAttempt({ attemptNumber: 2, random: () => 0.999999 })).toBe(6_000);
  });
});

describe('computeNextAttempt', () => {
  it('returns null once the schedule is used up', () => {
    expect(computeNextAttempt({ attemptNumber: 3, schedule: [1_000, 2_000], random: middle })).toBeNull();
    expect(computeNextAttempt({ attemptNumber: 2, schedule: [1_000, 2_000], random: middle })).toBe(2_000);
  });

  it('Retry-After can only lengthen the wait: max(schedule, Retry-After), capped at 24 h', () => {
    expect(computeNextAttempt({ attemptNumber: 2, retryAfterMs: 60_000, random: middle })).toBe(60_000);
    expect(computeNextAttempt({ attemptNumber: 3, retryAfterMs: 1_000, random: middle })).toBe(300_000);
    expect(computeNextAttempt({ attemptNumber: 2, retryAfterMs: 9 * DAY_MS, random: middle })).toBe(RETRY_AFTER_MAX_MS);
    expect(computeNextAttempt({ attemptNumber: 2, retryAfterMs: null, random: middle })).toBe(5_000);
  });

  it('does not let Retry-After extend an exhausted schedule', () => {
    expect(computeNextAttempt({ attemptNumber: 11, retryAfterMs: 1_000 })).toBeNull();
  });

  it('rejects nonsense attempt numbers', () => {
    expect(() => computeNextAttempt({ attemptNumber: 0 })).toThrow(/attemptNumber/);
    expect(() => computeNextAttempt({ attemptNumber: 1.5 })).toThrow(/attemptNumber/);
  });
});

describe('parseRetrySchedule (FC_RETRY_SCHEDULE)', () => {
  it('parses delays with units', () => {
    expect(parseRetrySchedule('1s,2s,5s')).toEqual([1_000, 2_000, 5_000]);
    expect(parseRetrySchedule(' 250ms, 1.5s ,5m,2h,1d ')).toEqual([250, 1_500, 300_000, 7_200_000, 86_400_000]);
    expect(parseRetrySchedule('0s')).toEqual([0]);
  });

  it.each([
    ['', 'at least one delay'],
    ['1s,,2s', 'delay 2 ("")'],
    ['5', 'delay 1 ("5")'],
    ['1s,10 minutes', 'delay 2 ("10 minutes")'],
    ['-1s', 'delay 1'],
    ['8d', 'longer than 7 days'],
    [Array.from({ length: 51 }, () => '1s').join(','), 'at most 50'],
  ])('refuses %j with a clear message', (raw, message) => {
    expect(() => parseRetrySchedule(raw)).toThrow(message);
  });
});

describe('shouldDisableWebhook', () => {
  const now = Date.parse('2026-05-10T12:00:00Z');

  it('disables a webhook that has only failed for five days', () => {
    expect(shouldDisableWebhook({ firstFailureAt: now - 5 * DAY_MS, lastSuccessAt: null, now })).toBe(true);
    expect(shouldDisableWebhook({ firstFailureAt: '2026-05-01T00:00:00Z', lastSuccessAt: '2026-04-30T00:00:00Z', now: new Date(now) })).toBe(true);
  });

  it('keeps it while failures are younger than five days, or once anything succeeded since', () => {
    expect(shouldDisableWebhook({ firstFailureAt: now - 5 * DAY_MS + 1, lastSuccessAt: null, now })).toBe(false);
    expect(shouldDisableWebhook({ firstFailureAt: now - 6 * DAY_MS, lastSuccessAt: now - DAY_MS, now })).toBe(false);
    expect(shouldDisableWebhook({ firstFailureAt: null, lastSuccessAt: null, now })).toBe(false);
  });
});
