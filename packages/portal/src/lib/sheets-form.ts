import { DEFAULT_SHEET_COLUMNS as CONTRACT_DEFAULT_SHEET_COLUMNS, DEFAULT_SHEETS_EVENT_TYPES, SHEETS_EVENT_TYPES } from '@fc/contracts';
import type { SheetColumn } from '../api/types';
import { rowsToMapping, valueToRow, type MappingRow } from './mapping-rows';

/**
 * The Google Sheets form's conversions: the spreadsheet address a customer pastes, the key file they upload
 * and the column rows of the mapping editor. The server checks all of it again; these give the answer while
 * the customer types.
 */

/** Events a sheet can log (a row per event), and what a new sheet starts with: the server's own lists. */
export const SHEETS_EVENTS = SHEETS_EVENT_TYPES;
export const DEFAULT_SHEETS_EVENTS: string[] = [...DEFAULT_SHEETS_EVENT_TYPES];
export const DEFAULT_SHEET_COLUMNS: SheetColumn[] = CONTRACT_DEFAULT_SHEET_COLUMNS.map((column) => ({ ...column }));

/** Columns FusionChatalyst always writes first (the event id lets a retry find a row it already wrote). */
export const FIXED_SHEET_HEADERS = ['Event ID', 'Event', 'Time (UTC)'];

const SPREADSHEET_ID_SHAPE = /^[A-Za-z0-9_-]{10,200}$/;

/**
 * The spreadsheet id from what was pasted: the id itself or the sheet's address
 * (`https://docs.google.com/spreadsheets/d/<id>/edit#gid=0`). Null when it is neither.
 */
export function parseSpreadsheetInput(input: string): string | null {
  const text = input.trim();
  const fromUrl = /\/spreadsheets\/(?:u\/\d+\/)?d\/([A-Za-z0-9_-]+)/.exec(text)?.[1];
  const id = fromUrl ?? text;
  return SPREADSHEET_ID_SHAPE.test(id) ? id : null;
}

export interface KeyFileSummary {
  /** The file's text, sent as is (the server validates and seals it). */
  text: string;
  clientEmail: string;
  privateKeyId: string | null;
}

/**
 * Reads an uploaded service-account key file far enough to show whose it is, and says in plain words what is
 * wrong with a file that is not one. The private key is never shown.
 */
export function readKeyFile(text: string): { key: KeyFileSummary } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { error: 'This file is not JSON. Upload the .json key file Google gave you (IAM → Service accounts → Keys → Add key → JSON).' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { error: 'This file is not a service-account key file.' };
  const file = parsed as Record<string, unknown>;
  if (file.type !== 'service_account') return { error: 'This is not a service-account key (its "type" is not "service_account"). Create a JSON key for a service account in Google Cloud.' };
  if (typeof file.client_email !== 'string' || !file.client_email.includes('@')) return { error: 'The key file has no service-account e-mail (client_email).' };
  if (typeof file.private_key !== 'string' || !file.private_key.includes('PRIVATE KEY')) return { error: 'The key file has no private key; upload the file unchanged.' };
  return { key: { text, clientEmail: file.client_email, privateKeyId: typeof file.private_key_id === 'string' ? file.private_key_id : null } };
}

/** Stored columns → editor rows. */
export function columnsToRows(columns: readonly SheetColumn[]): MappingRow[] {
  return columns.map((column) => valueToRow(column.header, column.value));
}

/** Editor rows → columns in the rows' order (a header like "1" would move first in an object), plus row problems. */
export function rowsToColumns(rows: MappingRow[]): { columns: SheetColumn[]; errors: Record<number, string> } {
  const { mapping, errors } = rowsToMapping(rows, '*');
  rows.forEach((row, index) => {
    const header = row.key.trim();
    if (errors[index] === undefined && FIXED_SHEET_HEADERS.some((fixed) => fixed.toLowerCase() === header.toLowerCase())) {
      errors[index] = `"${header}" is always written by FusionChatalyst (first three columns).`;
    }
  });
  const columns: SheetColumn[] = [];
  for (const row of rows) {
    const value = mapping[row.key.trim()];
    if (value !== undefined) columns.push({ header: row.key.trim(), value });
  }
  return { columns, errors };
}
