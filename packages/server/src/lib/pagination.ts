import { Type } from '@sinclair/typebox';
import { AppError } from './errors.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** `?limit=&cursor=` on every list route. */
export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
};

export interface Cursor {
  createdAt: string;
  id: string;
}

/** Lists are ordered newest first by (created_at, id); the cursor is the last row's pair, opaque to clients. */
export function encodeCursor(row: { created_at: string; id: string }): string {
  return Buffer.from(`${row.created_at}|${row.id}`, 'utf8').toString('base64url');
}

/** Decodes a cursor or answers 400 for one we did not issue. */
export function decodeCursor(cursor: string | undefined): Cursor | null {
  if (cursor === undefined || cursor === '') return null;
  const [createdAt, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!createdAt || !id || rest.length > 0 || Number.isNaN(Date.parse(createdAt))) {
    throw new AppError('validation_failed', 'The cursor is not valid.', [{ field: 'query.cursor', message: 'is not a cursor from this list' }]);
  }
  return { createdAt, id };
}

/** Splits a `limit + 1` fetch into a page and the cursor of the next one. */
export function toPage<Row extends { created_at: string; id: string }, Item>(
  rows: Row[], limit: number, toItem: (row: Row) => Item,
): { items: Item[]; nextCursor: string | null } {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { items: pageRows.map(toItem), nextCursor: hasMore && last ? encodeCursor(last) : null };
}
