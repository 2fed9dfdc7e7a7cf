/**
 * Business hours per chatbot: a time zone (IANA, e.g. `America/Chicago`) and weekly opening intervals in that
 * zone's wall-clock time. Computed with Intl alone, so daylight-saving changes come from the runtime's tz data.
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

const MINUTE_MS = 60_000;
const DAY_MINUTES = 24 * 60;
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

interface LocalTime {
  year: number;
  month: number;
  day: number;
  weekday: number;
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function localTime(instant: number, timezone: string): LocalTime {
  let format = formatters.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short' });
    formatters.set(timezone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
    weekday: WEEKDAYS.indexOf((parts.weekday ?? 'Sun').toLowerCase().slice(0, 3) as Weekday),
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/** The UTC instant of a wall-clock time in `timezone` (the later one if a DST change makes it ambiguous). */
function zonedToInstant(year: number, month: number, day: number, minutes: number, timezone: string): number {
  const wall = Date.UTC(year, month - 1, day, 0, minutes);
  let guess = wall;
  // Two rounds settle the offset, also across a DST change.
  for (let i = 0; i < 2; i += 1) {
    const seen = localTime(guess, timezone);
    const seenWall = Date.UTC(seen.year, seen.month - 1, seen.day, 0, seen.minutes);
    guess += wall - seenWall;
  }
  return guess;
}

/** Whether the business is open at `at` (always true when business hours are off). */
export function isOpenAt(hours: BusinessHours, at: Date): boolean {
  if (!hours.enabled) return true;
  const local = localTime(at.getTime(), hours.timezone);
  const day = WEEKDAYS[local.weekday];
  return hours.weekly.some((i) => i.day === day && toMinutes(i.open) <= local.minutes && local.minutes < toMinutes(i.close));
}

/** The next opening after `at`, or null when open now, hours are off, or the schedule is empty. */
export function nextOpening(hours: BusinessHours, at: Date): Date | null {
  if (isOpenAt(hours, at)) return null;
  const now = at.getTime();
  let best: number | null = null;
  for (let offset = 0; offset < LOOKAHEAD_DAYS; offset += 1) {
    // Noon avoids landing on the wrong date around DST changes.
    const base = localTime(now, hours.timezone);
    const noon = zonedToInstant(base.year, base.month, base.day, 12 * 60, hours.timezone) + offset * DAY_MINUTES * MINUTE_MS;
    const day = localTime(noon, hours.timezone);
    for (const interval of hours.weekly) {
      if (interval.day !== WEEKDAYS[day.weekday]) continue;
      const opensAt = zonedToInstant(day.year, day.month, day.day, toMinutes(interval.open), hours.timezone);
      if (opensAt > now && (best === null || opensAt < best)) best = opensAt;
    }
    if (best !== null) break;
  }
  return best === null ? null : new Date(best);
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
