import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { AppError, assertFound, type FieldError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { decodeCursor, encodeCursor } from '../../lib/pagination.js';
import { nowIso, toWireTime } from '../../lib/time.js';
import { assertResolvesPublic, type ResolveAllFn, type UrlCheck } from '../delivery/index.js';
import { countPendingByWebhook } from '../webhooks/webhooks.repository.js';
import { DEFAULT_TOKEN_URI, parsePrivateKey, quoteTab, SheetsApiError, type GoogleSheetsClient, type ServiceAccountKey } from './google-sheets.client.js';
import type { ConnectionReport, CreateSheetsInput, SheetsView, UpdateSheetsInput } from './integrations.schemas.js';
import { columnsToMappings, DEFAULT_SHEET_COLUMNS, DEFAULT_SHEETS_EVENT_TYPES, headerRow, validateColumns, type SheetColumn } from './sheets-columns.js';
import {
  findSheetsDestination, listSheetsDestinations, openServiceAccount, readColumns, sealPrivateKey, type SheetsDestination,
} from './sheets.repository.js';

/** What the Sheets portal service needs. */
export interface SheetsServiceDeps {
  db: Kysely<Database>;
  secretKey: Buffer;
  allowPrivate: boolean;
  /** The API process's client, for "Test connection". */
  client: GoogleSheetsClient;
  /** DNS override for the token_uri check (tests). */
  resolve?: ResolveAllFn;
}

const KEY_FIELD = 'serviceAccountKey';
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const SPREADSHEET_ID_SHAPE = /^[A-Za-z0-9_-]{10,200}$/;
// eslint-disable-next-line no-control-regex
const TAB_FORBIDDEN = /[\u0000-\u001f\u007f]/;

/**
 * Checks an uploaded service-account key file and keeps what we use of it: `type`, `client_email`,
 * `private_key` (must parse as an RSA key), `private_key_id` and `token_uri` (Google's token endpoint only,
 * `checkTokenUri`, and guarded like a webhook URL because we POST to it). Errors name the field and say what to do.
 */
export async function validateServiceAccountKey(
  input: unknown, options: { allowPrivate: boolean; resolve?: ResolveAllFn | undefined; checkTokenUri: (input: string) => UrlCheck },
): Promise<ServiceAccountKey> {
  let key: unknown = input;
  if (typeof input === 'string') {
    try {
      key = JSON.parse(input) as unknown;
    } catch {
      throw new AppError('validation_failed', 'The service-account key is not valid', [{ field: KEY_FIELD, message: 'is not JSON: upload the .json key file Google gave you' }]);
    }
  }
  if (key === null || typeof key !== 'object' || Array.isArray(key)) {
    throw new AppError('validation_failed', 'The service-account key is not valid', [{ field: KEY_FIELD, message: 'must be the JSON object of a service-account key file' }]);
  }
  const file = key as Record<string, unknown>;
  const errors: FieldError[] = [];
  if (file.type !== 'service_account') {
    errors.push({ field: `${KEY_FIELD}.type`, message: 'must be "service_account": in Google Cloud open IAM → Service accounts → your account → Keys → Add key → JSON' });
  }
  const clientEmail = typeof file.client_email === 'string' ? file.client_email.trim() : '';
  if (!EMAIL_SHAPE.test(clientEmail) || clientEmail.length > 254) errors.push({ field: `${KEY_FIELD}.client_email`, message: 'must be the service account\'s email address' });
  const privateKey = typeof file.private_key === 'string' ? file.private_key : '';
  if (!privateKey.includes('-----BEGIN PRIVATE KEY-----')) {
    errors.push({ field: `${KEY_FIELD}.private_key`, message: 'must be a PEM private key ("-----BEGIN PRIVATE KEY-----…"); upload the key file unchanged' });
  } else {
    try {
      const parsed = parsePrivateKey(privateKey);
      if (parsed.asymmetricKeyType !== 'rsa') errors.push({ field: `${KEY_FIELD}.private_key`, message: 'must be an RSA key, as in Google\'s key files' });
    } catch {
      errors.push({ field: `${KEY_FIELD}.private_key`, message: 'cannot be read as a private key; the file may have been edited or cut short' });
    }
  }
  const privateKeyId = typeof file.private_key_id === 'string' && file.private_key_id.trim() !== '' ? file.private_key_id.trim().slice(0, 100) : null;
  const tokenUriRaw = file.token_uri === undefined ? DEFAULT_TOKEN_URI : file.token_uri;
  let tokenUri = DEFAULT_TOKEN_URI;
  const tokenCheck = typeof tokenUriRaw === 'string' ? options.checkTokenUri(tokenUriRaw) : null;
  if (!tokenCheck?.ok) {
    errors.push({ field: `${KEY_FIELD}.token_uri`, message: tokenCheck ? tokenCheck.message : 'must be a URL such as https://oauth2.googleapis.com/token' });
  } else {
    tokenUri = tokenCheck.url.href;
  }
  if (errors.length > 0) throw new AppError('validation_failed', 'The service-account key is not valid', errors);
  if (!options.allowPrivate) await assertResolvesPublic(new URL(tokenUri).hostname, { field: `${KEY_FIELD}.token_uri`, resolve: options.resolve });
  return { clientEmail, privateKey, privateKeyId, tokenUri };
}

/** Accepts the id or the sheet's address (`https://docs.google.com/spreadsheets/d/<id>/edit…`, or `…/spreadsheets/u/1/d/<id>/…` when signed in to several Google accounts). */
export function parseSpreadsheetId(input: string): string {
  const text = input.trim();
  const fromUrl = /\/spreadsheets\/(?:u\/\d+\/)?d\/([A-Za-z0-9_-]+)/.exec(text)?.[1];
  const id = fromUrl ?? text;
  if (!SPREADSHEET_ID_SHAPE.test(id)) {
    throw new AppError('validation_failed', 'The spreadsheet id is not valid', [{ field: 'spreadsheetId', message: 'must be the id from the sheet\'s address (the long part between /d/ and /edit), or the address itself' }]);
  }
  return id;
}

function checkTab(input: string): string {
  const tab = input.trim();
  if (tab === '' || TAB_FORBIDDEN.test(tab)) throw new AppError('validation_failed', 'The tab name is not valid', [{ field: 'tabName', message: 'must be the name of a tab of the sheet' }]);
  return tab;
}

async function checkChatbot(db: Kysely<Database>, customerId: string, chatbotId: string | null | undefined): Promise<string | null> {
  if (chatbotId === null || chatbotId === undefined) return null;
  const row = await db.selectFrom('chatbots').select('id').where('customer_id', '=', customerId).where('id', '=', chatbotId).executeTakeFirst();
  if (!row) throw new AppError('validation_failed', 'Unknown chatbot', [{ field: 'chatbotId', message: 'no chatbot with this id in your account' }]);
  return row.id;
}

function toView(destination: SheetsDestination, pending: number): SheetsView {
  const { webhook, sheet } = destination;
  const columns = readColumns(sheet);
  return {
    id: webhook.id,
    spreadsheetId: sheet.spreadsheet_id,
    spreadsheetUrl: `https://docs.google.com/spreadsheets/d/${sheet.spreadsheet_id}/edit`,
    tabName: sheet.tab_name,
    events: JSON.parse(webhook.events) as string[],
    chatbotId: webhook.chatbot_id,
    columns,
    header: headerRow(columns),
    serviceAccountEmail: sheet.client_email,
    privateKeyId: sheet.private_key_id,
    enabled: webhook.enabled === 1,
    disabledReason: webhook.disabled_reason,
    disabledAt: toWireTime(webhook.disabled_at),
    health: { lastSuccessAt: toWireTime(webhook.last_success_at), lastFailureAt: toWireTime(webhook.last_failure_at), failingSince: toWireTime(webhook.failing_since), pending },
    createdAt: toWireTime(webhook.created_at),
    updatedAt: toWireTime(sheet.updated_at > webhook.updated_at ? sheet.updated_at : webhook.updated_at),
  };
}

/** A customer's Google Sheets destinations, newest first. */
export async function listSheets(deps: SheetsServiceDeps, customerId: string, page: { limit: number; cursor?: string | undefined }): Promise<{ items: SheetsView[]; nextCursor: string | null }> {
  const rows = await listSheetsDestinations(deps.db, customerId, page.limit, decodeCursor(page.cursor));
  const pageRows = rows.slice(0, page.limit);
  const pending = await countPendingByWebhook(deps.db, customerId, pageRows.map((r) => r.webhook.id));
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map((row) => toView(row, pending.get(row.webhook.id) ?? 0)),
    nextCursor: rows.length > page.limit && last ? encodeCursor(last.webhook) : null,
  };
}

/** One Google Sheets destination. */
export async function getSheets(deps: SheetsServiceDeps, customerId: string, id: string): Promise<SheetsView> {
  const destination = assertFound(await findSheetsDestination(deps.db, customerId, id), 'Google Sheets destination');
  const pending = await countPendingByWebhook(deps.db, customerId, [id]);
  return toView(destination, pending.get(id) ?? 0);
}

/** Creates a Google Sheets destination: a `webhooks` row of kind 'sheets' and its sheet settings, in one transaction. */
export async function createSheets(deps: SheetsServiceDeps, customerId: string, input: CreateSheetsInput): Promise<SheetsView> {
  const account = await validateServiceAccountKey(input.serviceAccountKey, { ...deps, checkTokenUri: deps.client.checkTokenUri });
  const spreadsheetId = parseSpreadsheetId(input.spreadsheetId);
  const tabName = checkTab(input.tabName);
  const columns: SheetColumn[] = input.columns === undefined ? [...DEFAULT_SHEET_COLUMNS] : validateColumns(input.columns);
  const events = [...new Set(input.events ?? DEFAULT_SHEETS_EVENT_TYPES)];
  const chatbotId = await checkChatbot(deps.db, customerId, input.chatbotId);
  const id = newId('gs');
  const now = nowIso();
  await deps.db.transaction().execute(async (trx) => {
    await trx.insertInto('webhooks').values({
      id, customer_id: customerId, chatbot_id: chatbotId, kind: 'sheets', name: `${tabName} — Google Sheets`,
      url: `https://docs.google.com/spreadsheets/d/${spreadsheetId}/edit`, events: JSON.stringify(events), signing_mode: 'hmac-sha256',
      secret_sealed: sealPrivateKey(deps.secretKey, id, account.privateKey), previous_secret_sealed: null, previous_secret_expires_at: null,
      mappings: JSON.stringify(columnsToMappings(columns)), headers_sealed: null, body_format: 'json', preset: null, enabled: 1,
      disabled_reason: null, disabled_at: null, failing_since: null, last_success_at: null, last_failure_at: null, created_at: now, updated_at: now,
    }).execute();
    await trx.insertInto('sheets_destinations').values({
      webhook_id: id, customer_id: customerId, spreadsheet_id: spreadsheetId, tab_name: tabName, client_email: account.clientEmail,
      private_key_id: account.privateKeyId, token_uri: account.tokenUri, columns: JSON.stringify(columns), header_checked_at: null,
      created_at: now, updated_at: now,
    }).execute();
  });
  return getSheets(deps, customerId, id);
}

/** Changes a destination; a new sheet, tab or columns means row 1 is checked again before the next append. */
export async function updateSheets(deps: SheetsServiceDeps, customerId: string, id: string, input: UpdateSheetsInput): Promise<SheetsView> {
  const current = assertFound(await findSheetsDestination(deps.db, customerId, id), 'Google Sheets destination');
  const now = nowIso();
  const webhook: Record<string, unknown> = { updated_at: now };
  const sheet: Record<string, unknown> = { updated_at: now };
  if (input.serviceAccountKey !== undefined) {
    const account = await validateServiceAccountKey(input.serviceAccountKey, { ...deps, checkTokenUri: deps.client.checkTokenUri });
    webhook.secret_sealed = sealPrivateKey(deps.secretKey, id, account.privateKey);
    Object.assign(sheet, { client_email: account.clientEmail, private_key_id: account.privateKeyId, token_uri: account.tokenUri });
  }
  if (input.spreadsheetId !== undefined) {
    const spreadsheetId = parseSpreadsheetId(input.spreadsheetId);
    Object.assign(sheet, { spreadsheet_id: spreadsheetId, header_checked_at: null });
    webhook.url = `https://docs.google.com/spreadsheets/d/${spreadsheetId}/edit`;
  }
  if (input.tabName !== undefined) Object.assign(sheet, { tab_name: checkTab(input.tabName), header_checked_at: null });
  if (input.columns !== undefined) {
    const columns = validateColumns(input.columns);
    Object.assign(sheet, { columns: JSON.stringify(columns), header_checked_at: null });
    webhook.mappings = JSON.stringify(columnsToMappings(columns));
  }
  if (input.events !== undefined) webhook.events = JSON.stringify([...new Set(input.events)]);
  if (input.chatbotId !== undefined) webhook.chatbot_id = await checkChatbot(deps.db, customerId, input.chatbotId);
  if (input.enabled === true && current.webhook.enabled === 0) Object.assign(webhook, { enabled: 1, disabled_reason: null, disabled_at: null, failing_since: null });
  if (input.enabled === false && current.webhook.enabled === 1) Object.assign(webhook, { enabled: 0, disabled_reason: 'Disabled by you.', disabled_at: now });
  await deps.db.transaction().execute(async (trx) => {
    await trx.updateTable('webhooks').set(webhook).where('customer_id', '=', customerId).where('id', '=', id).execute();
    await trx.updateTable('sheets_destinations').set(sheet).where('customer_id', '=', customerId).where('webhook_id', '=', id).execute();
  });
  return getSheets(deps, customerId, id);
}

/** Deletes a destination with its delivery log and row ledger (the sheet itself is left as it is). */
export async function deleteSheets(db: Kysely<Database>, customerId: string, id: string): Promise<void> {
  const result = await db.deleteFrom('webhooks').where('customer_id', '=', customerId).where('id', '=', id).where('kind', '=', 'sheets').executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw new AppError('not_found', 'Google Sheets destination not found');
}

/**
 * "Test connection": gets a token, opens the spreadsheet, finds the tab and reads row 1 — reads only, so it
 * appends nothing — and reports what is wrong in plain words.
 */
export async function testSheetsConnection(deps: SheetsServiceDeps, customerId: string, id: string): Promise<ConnectionReport> {
  const destination = assertFound(await findSheetsDestination(deps.db, customerId, id), 'Google Sheets destination');
  const account = openServiceAccount(deps.secretKey, destination);
  const { sheet } = destination;
  const report: ConnectionReport = { ok: false, serviceAccountEmail: account.clientEmail, spreadsheetTitle: null, tabs: [], problems: [], notes: [] };
  const problem = (error: unknown): ConnectionReport => {
    if (!(error instanceof SheetsApiError)) throw error;
    report.problems.push(error.message);
    return report;
  };
  try {
    await deps.client.getAccessToken(account);
    report.notes.push('Google accepted the service-account key.');
  } catch (error) {
    return problem(error);
  }
  try {
    const spreadsheet = await deps.client.getSpreadsheet(account, sheet.spreadsheet_id);
    report.spreadsheetTitle = spreadsheet.title;
    report.tabs = spreadsheet.tabs;
    report.notes.push(`The spreadsheet "${spreadsheet.title}" is shared with ${account.clientEmail}.`);
  } catch (error) {
    return problem(error);
  }
  if (!report.tabs.includes(sheet.tab_name)) {
    report.problems.push(`The spreadsheet "${report.spreadsheetTitle ?? ''}" has no tab named "${sheet.tab_name}". Its tabs are: ${report.tabs.map((tab) => `"${tab}"`).join(', ') || 'none'}. Rename the tab or change the tab name here.`);
    return report;
  }
  try {
    const [firstRow = []] = await deps.client.getValues(account, sheet.spreadsheet_id, `${quoteTab(sheet.tab_name)}!1:1`);
    const expected = headerRow(readColumns(sheet));
    if (firstRow.every((cell) => cell === '' || cell === null)) report.notes.push('Row 1 is empty: the header row will be written with the first delivery.');
    else if (expected.every((header, index) => String(firstRow[index] ?? '') === header)) report.notes.push('Row 1 already holds the header row.');
    else report.notes.push('Row 1 holds other text; it is left as it is and rows are appended below it. Clear row 1 to have the header written.');
  } catch (error) {
    return problem(error);
  }
  report.notes.push(`Nothing was written. Appending rows also needs ${account.clientEmail} to be an Editor of the sheet (Viewer access passes this test).`);
  report.ok = true;
  return report;
}
