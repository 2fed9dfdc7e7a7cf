/**
 * One agreed storage format for every timestamp column, on SQLite and PostgreSQL alike: ISO 8601 UTC with
 * milliseconds (`2026-05-03T14:22:08.123Z`). Fixed width, so text order is time order and range queries
 * work the same on both databases. On the wire we answer second precision (`2026-05-03T14:22:08Z`).
 */
export function nowIso(): string {
  return new Date().toISOString();
}

/** Storage format for an arbitrary instant. */
export function toStoredTime(date: Date | number): string {
  return new Date(date).toISOString();
}

/** Wire format (contract section 1): second precision, `Z`. */
export function toWireTime(stored: string): string;
export function toWireTime(stored: string | null): string | null;
export function toWireTime(stored: string | null): string | null {
  if (stored === null) return null;
  return `${stored.slice(0, 19)}Z`;
}

/** Adds milliseconds to a stored timestamp and returns a stored timestamp. */
export function addMs(stored: string, ms: number): string {
  return new Date(Date.parse(stored) + ms).toISOString();
}
