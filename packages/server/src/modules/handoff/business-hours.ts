import { TZDate } from '@date-fns/tz';

/**
 * Business hours per chatbot: a time zone (IANA, e.g. `America/Chicago`) and weekly opening intervals in that
 * zone's wall-clock time. Wall-clock arithmetic is `@date-fns/tz`'s TZDate over the runtime's tz data: a time
 * that a spring-forward change skips moves forward by the gap (02:30 → 03:30), one that a fall-back change
 * repeats is its first occurrence.
 */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface OpeningInterval {
  day: Weekday;
  /** `HH:MM`, 24-hour, local to the chatbot's time zone. */
  open: string;
  /** `HH:MM` after `open`; `24:00` closes at midnight. */
  close: string;
}

export interface BusinessHours {
  /** Off: the business counts as always open (no "we'll answer at …" line). */
  enabled: boolean;
  timezone: string;
  weekly: OpeningInterval[];
}

export const DEFAULT_BUSINESS_HOURS: BusinessHours = {
  enabled: false,
  timezone: 'UTC',
  weekly: (['mon', 'tue', 'wed', 'thu', 'fri'] as const).map((day) => ({ day, open: '09:00', close: '17:00' })),
};

/** A week and a day: the next opening of any non-empty weekly schedule lies within it. */
const LOOKAHEAD_DAYS = 8;

/** Returns whether `timezone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/** Checks a schedule; returns the problems found (empty when it is usable). */
export function validateBusinessHours(hours: BusinessHours): string[] {
  const problems: string[] = [];
  if (!isValidTimeZone(hours.timezone)) problems.push(`timezone "${hours.timezone}" is not an IANA time zone (e.g. America/Chicago)`);
  hours.weekly.forEach((interval, index) => {
    if (toMinutes(interval.open) >= toMinutes(interval.close)) problems.push(`weekly[${index}] closes (${interval.close}) before it opens (${interval.open})`);
  });
  if (hours.enabled && hours.weekly.length === 0) problems.push('weekly needs at least one opening interval when business hours are enabled');
  return problems;
}

/** Whether the business is open at `at` (always true when business hours are off). */
export function isOpenAt(hours: BusinessHours, at: Date): boolean {
  if (!hours.enabled) return true;
  const local = new TZDate(at.getTime(), hours.timezone);
  const day = WEEKDAYS[local.getDay()];
  const minutes = local.getHours() * 60 + local.getMinutes();
  return hours.weekly.some((i) => i.day === day && toMinutes(i.open) <= minutes && minutes < toMinutes(i.close));
}

/** The next opening after `at`, or null when open now, hours are off, or the schedule is empty. */
export function nextOpening(hours: BusinessHours, at: Date): Date | null {
  if (isOpenAt(hours, at)) return null;
  const now = at.getTime();
  const today = new TZDate(now, hours.timezone);
  for (let offset = 0; offset < LOOKAHEAD_DAYS; offset += 1) {
    // The calendar day `offset` days on, in the zone (the Date constructor carries day overflow into the month).
    const day = new TZDate(today.getFullYear(), today.getMonth(), today.getDate() + offset, 12, 0, hours.timezone);
    const openings = hours.weekly
      .filter((interval) => interval.day === WEEKDAYS[day.getDay()])
      .map((interval) => {
        const minutes = toMinutes(interval.open);
        return new TZDate(day.getFullYear(), day.getMonth(), day.getDate(), Math.floor(minutes / 60), minutes % 60, hours.timezone).getTime();
      })
      .filter((opensAt) => opensAt > now);
    if (openings.length > 0) return new Date(Math.min(...openings));
  }
  return null;
}

/** "Monday 9:00 AM (CST)" in the chatbot's time zone and locale; "later today"-style wording is left to the sentence. */
export function describeOpening(opening: Date, timezone: string, locale: string): string {
  const safeLocale = (() => {
    try {
      return Intl.DateTimeFormat.supportedLocalesOf([locale]).length > 0 ? locale : 'en-US';
    } catch {
      return 'en-US';
    }
  })();
  return new Intl.DateTimeFormat(safeLocale, { timeZone: timezone, weekday: 'long', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }).format(opening);
}
