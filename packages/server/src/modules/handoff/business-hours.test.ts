import { describe, expect, it } from 'vitest';
import { isOpenAt, nextOpening, validateBusinessHours, type BusinessHours, type Weekday } from './business-hours.js';

const week = (days: Weekday[], open: string, close: string) => days.map((day) => ({ day, open, close }));
const hours = (timezone: string, weekly: BusinessHours['weekly']): BusinessHours => ({ enabled: true, timezone, weekly });
const at = (iso: string) => new Date(iso);
const iso = (date: Date | null) => date?.toISOString() ?? null;

describe('business hours across daylight-saving changes', () => {
  // Chicago: clocks go forward 2026-03-08 02:00 → 03:00 (CST −6 → CDT −5) and back 2026-11-01 02:00 → 01:00.
  const chicago = hours('America/Chicago', week(['mon', 'tue', 'wed', 'thu', 'fri'], '09:00', '17:00'));
  // Sydney (southern hemisphere): back 2026-04-05 03:00 → 02:00 (AEDT +11 → AEST +10), forward 2026-10-04 02:00 → 03:00.
  const sydney = hours('Australia/Sydney', week(['mon', 'tue', 'wed', 'thu', 'fri'], '09:00', '17:00'));

  it('opens at 9:00 local on the Monday after clocks go forward (northern spring)', () => {
    expect(iso(nextOpening(chicago, at('2026-03-07T20:00:00Z')))).toBe('2026-03-09T14:00:00.000Z');
    expect(isOpenAt(chicago, at('2026-03-09T14:30:00Z'))).toBe(true);
    // 8:30 CDT is 13:30Z; in winter time the same instant would have read 7:30.
    expect(isOpenAt(chicago, at('2026-03-09T13:30:00Z'))).toBe(false);
  });

  it('opens at 9:00 local on the Monday after clocks go back (northern autumn)', () => {
    expect(iso(nextOpening(chicago, at('2026-10-31T20:00:00Z')))).toBe('2026-11-02T15:00:00.000Z');
    expect(isOpenAt(chicago, at('2026-11-02T14:30:00Z'))).toBe(false);
  });

  it('follows the southern hemisphere’s opposite changes', () => {
    // After clocks go back in April: Monday 9:00 AEST is Sunday 23:00Z.
    expect(iso(nextOpening(sydney, at('2026-04-04T12:00:00Z')))).toBe('2026-04-05T23:00:00.000Z');
    // After clocks go forward in October: Monday 9:00 AEDT is Sunday 22:00Z.
    expect(iso(nextOpening(sydney, at('2026-10-03T12:00:00Z')))).toBe('2026-10-04T22:00:00.000Z');
    expect(isOpenAt(sydney, at('2026-10-04T22:30:00Z'))).toBe(true);
  });

  it('moves an opening that a spring-forward change skips forward by the gap, and takes the first of a repeated hour', () => {
    const sundayNight = hours('America/Chicago', [{ day: 'sun', open: '02:30', close: '04:00' }]);
    // 2026-03-08 02:30 never happens in Chicago: the opening is 03:30 CDT.
    expect(iso(nextOpening(sundayNight, at('2026-03-08T06:00:00Z')))).toBe('2026-03-08T08:30:00.000Z');
    const earlyHour = hours('America/Chicago', [{ day: 'sun', open: '01:30', close: '04:00' }]);
    // 2026-11-01 01:30 happens twice: the first one (CDT, 06:30Z).
    expect(iso(nextOpening(earlyHour, at('2026-11-01T05:00:00Z')))).toBe('2026-11-01T06:30:00.000Z');
  });

  it('finds the next opening a week ahead, crossing a month end, and says null when open or off', () => {
    const mondays = hours('Europe/London', [{ day: 'mon', open: '10:00', close: '12:00' }]);
    // Tuesday 2026-03-31: the next Monday is 2026-04-06, 10:00 BST = 09:00Z.
    expect(iso(nextOpening(mondays, at('2026-03-31T12:00:00Z')))).toBe('2026-04-06T09:00:00.000Z');
    expect(nextOpening(mondays, at('2026-04-06T09:30:00Z'))).toBeNull();
    expect(nextOpening({ ...mondays, enabled: false }, at('2026-03-31T12:00:00Z'))).toBeNull();
    expect(validateBusinessHours(hours('Mars/Olympus', []))).toHaveLength(2);
  });
});
