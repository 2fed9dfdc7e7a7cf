/**
 * When to try a failed delivery again, and when to give up on a webhook. Pure: the caller passes the clock
 * and the random source, so the worker and the tests see the same arithmetic.
 *
 * A schedule lists the waits between attempts: the first attempt goes out as soon as a worker claims the
 * event; after attempt n fails, the next one waits `schedule[n - 1]` (± jitter). When the list is used up
 * the delivery has failed for good. The default (issue 4) retries once immediately — which rescues the
 * common "stale keep-alive socket was reset" case — then backs off to about three days in all.
 */

const SECOND_MS = 1_000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** Waits between attempts: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h (≈ 3.1 days, 11 attempts). */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = Object.freeze([
  0, 5 * SECOND_MS, 5 * MINUTE_MS, 30 * MINUTE_MS, 2 * HOUR_MS, 5 * HOUR_MS, 10 * HOUR_MS, 14 * HOUR_MS, 20 * HOUR_MS, 24 * HOUR_MS,
]);

/** ±20 %: spreads the retries of many deliveries that failed together (an outage) instead of a thundering herd. */
export const RETRY_JITTER_RATIO = 0.2;
/** A receiver's Retry-After can push a retry later than the schedule, but never beyond this. */
export const RETRY_AFTER_MAX_MS = DAY_MS;
/** "A webhook that has only failed for five days is disabled." */
export const DISABLE_AFTER_FAILING_MS = 5 * DAY_MS;

const RETRY_SCHEDULE_MAX_ENTRIES = 50;
const RETRY_DELAY_MAX_MS = 7 * DAY_MS;
const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: SECOND_MS, m: MINUTE_MS, h: HOUR_MS, d: DAY_MS };
const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Parses a schedule such as `1s,2s,5s` (units ms, s, m, h, d) — FC_RETRY_SCHEDULE; throws an Error saying what is wrong. */
export function parseRetrySchedule(raw: string): number[] {
  const parts = raw.split(',').map((part) => part.trim());
  if (parts.every((part) => part === '')) throw new Error('must list at least one delay, e.g. "1s,2s,5s"');
  if (parts.length > RETRY_SCHEDULE_MAX_ENTRIES) throw new Error(`may list at most ${RETRY_SCHEDULE_MAX_ENTRIES} delays`);
  return parts.map((part, index) => {
    const match = DURATION_PATTERN.exec(part);
    if (!match) {
      throw new Error(`delay ${index + 1} ("${part}") is not a duration such as 500ms, 5s, 5m, 2h or 1d`);
    }
    const delayMs = Math.round(Number(match[1]) * (DURATION_UNITS_MS[match[2] as string] as number));
    if (delayMs > RETRY_DELAY_MAX_MS) throw new Error(`delay ${index + 1} ("${part}") is longer than 7 days`);
    return delayMs;
  });
}

export interface NextAttemptInput {
  /** How many attempts have been made, including the one that just failed (1 after the first). */
  attemptNumber: number;
  schedule?: readonly number[];
  /** The receiver's Retry-After, already parsed to milliseconds, or null. */
  retryAfterMs?: number | null;
  /** Uniform [0, 1): Math.random in production, fixed in tests. */
  random?: () => number;
}

/**
 * Milliseconds to wait before the next attempt, or null when the schedule is exhausted. The scheduled
 * delay gets ±20 % jitter; a Retry-After can only lengthen it — max(scheduled, Retry-After) — and a
 * Retry-After beyond 24 h counts as 24 h, so a receiver cannot park a delivery forever nor make us hammer it.
 */
export function computeNextAttempt(input: NextAttemptInput): number | null {
  const schedule = input.schedule ?? DEFAULT_RETRY_SCHEDULE_MS;
  if (!Number.isInteger(input.attemptNumber) || input.attemptNumber < 1) {
    throw new Error('attemptNumber must be a whole number of attempts made, starting at 1');
  }
  const scheduled = schedule[input.attemptNumber - 1];
  if (scheduled === undefined) return null;
  const random = input.random ?? Math.random;
  const jitter = 1 + (random() * 2 - 1) * RETRY_JITTER_RATIO;
  const delayMs = Math.max(0, Math.round(scheduled * jitter));
  const retryAfterMs = input.retryAfterMs;
  if (retryAfterMs === null || retryAfterMs === undefined || !Number.isFinite(retryAfterMs) || retryAfterMs <= 0) return delayMs;
  return Math.max(delayMs, Math.min(Math.round(retryAfterMs), RETRY_AFTER_MAX_MS));
}

/** How many attempts a delivery gets in all under a schedule (the first plus one per listed delay). */
export function countAttempts(schedule: readonly number[] = DEFAULT_RETRY_SCHEDULE_MS): number {
  return schedule.length + 1;
}

type Instant = Date | string | number;

function toMs(value: Instant): number {
  return value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
}

export interface DisableCheckInput {
  /** Start of the current run of failures (first failed attempt since the last success), or null. */
  firstFailureAt: Instant | null;
  lastSuccessAt: Instant | null;
  now: Instant;
}

/** True when a webhook has done nothing but fail for five days: no success since its failures began. */
export function shouldDisableWebhook(input: DisableCheckInput): boolean {
  if (input.firstFailureAt === null) return false;
  const firstFailureMs = toMs(input.firstFailureAt);
  if (Number.isNaN(firstFailureMs)) return false;
  if (input.lastSuccessAt !== null && toMs(input.lastSuccessAt) >= firstFailureMs) return false;
  return toMs(input.now) - firstFailureMs >= DISABLE_AFTER_FAILING_MS;
}
