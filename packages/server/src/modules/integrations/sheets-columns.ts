import { DEFAULT_SHEET_COLUMNS as CONTRACT_DEFAULT_SHEET_COLUMNS, type EventContext as StoredEventContext } from '@fc/contracts';
import { AppError, type FieldError } from '../../lib/errors.js';
import { toWireTime } from '../../lib/time.js';
import { renderPayload, validateMappings, type EventType, type MappingValue, type Mappings } from '../delivery/index.js';
import { toDeliveryContext } from '../webhooks/delivery-attempt.service.js';
import { SHEETS_CELL_MAX_CHARS } from './google-sheets.client.js';

/**
 * What a sheet row holds: three fixed columns from the event envelope — the event id first, so a retry can
 * find a row it already wrote — then the customer's columns, each a value in the webhook mapping language.
 */

export interface SheetColumn {
  header: string;
  value: MappingValue;
}

export const FIXED_HEADERS = ['Event ID', 'Event', 'Time (UTC)'] as const;
export { DEFAULT_SHEETS_EVENT_TYPES } from '@fc/contracts';
export const SHEET_COLUMNS_MAX = 40;
const HEADER_MAX_CHARS = 100;

/** The columns a new sheet starts with (`@fc/contracts`, shared with the portal's form). */
export const DEFAULT_SHEET_COLUMNS: readonly SheetColumn[] = CONTRACT_DEFAULT_SHEET_COLUMNS;

/** Validates customer columns (headers unique, values in the mapping language); returns them normalised or throws with field errors. */
export function validateColumns(input: unknown, field = 'columns'): SheetColumn[] {
  if (!Array.isArray(input) || input.length === 0 || input.length > SHEET_COLUMNS_MAX) {
    throw new AppError('validation_failed', 'Columns are not valid', [{ field, message: `must list 1 to ${SHEET_COLUMNS_MAX} columns of {header, value}` }]);
  }
  const errors: FieldError[] = [];
  const seen = new Set<string>(FIXED_HEADERS.map((header) => header.toLowerCase()));
  const columns: SheetColumn[] = [];
  input.forEach((item: unknown, index) => {
    const at = `${field}[${index}]`;
    const column = item as { header?: unknown; value?: unknown } | null;
    const header = typeof column?.header === 'string' ? column.header.trim() : '';
    if (header === '' || header.length > HEADER_MAX_CHARS) {
      errors.push({ field: `${at}.header`, message: `must be text of 1 to ${HEADER_MAX_CHARS} characters` });
      return;
    }
    if (seen.has(header.toLowerCase())) {
      errors.push({ field: `${at}.header`, message: `"${header}" is already a column${(FIXED_HEADERS as readonly string[]).includes(header) ? ' (FusionChatalyst always writes it)' : ''}` });
      return;
    }
    seen.add(header.toLowerCase());
    try {
      const normalised = validateMappings({ '*': { [header]: column?.value } })['*'];
      columns.push({ header, value: normalised?.[header] as MappingValue });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      for (const problem of error.errors ?? [{ field: '', message: error.message }]) errors.push({ field: `${at}.value`, message: problem.message });
    }
  });
  if (errors.length > 0) throw new AppError('validation_failed', 'Columns are not valid', errors);
  return columns;
}

/** The columns as webhook mappings (so previews and the delivery log render them with the same code). */
export function columnsToMappings(columns: readonly SheetColumn[]): Mappings {
  return { '*': Object.fromEntries(columns.map((column) => [column.header, column.value])) };
}

/** Row 1 of the sheet. */
export function headerRow(columns: readonly SheetColumn[]): string[] {
  return [...FIXED_HEADERS, ...columns.map((column) => column.header)];
}

function toCell(value: unknown): string | number | boolean {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > SHEETS_CELL_MAX_CHARS ? text.slice(0, SHEETS_CELL_MAX_CHARS) : text;
}

/** One event's row: fixed envelope cells, then each column rendered from the stored event. */
export function renderRow(columns: readonly SheetColumn[], event: { id: string; type: EventType; createdAt: string; context: StoredEventContext }): (string | number | boolean)[] {
  const rendered = renderPayload(event.type, toDeliveryContext(event.context), columnsToMappings(columns));
  return [event.id, event.type, toWireTime(event.createdAt), ...columns.map((column) => toCell(rendered[column.header]))];
}
