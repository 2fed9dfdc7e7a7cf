import type { Selectable } from 'kysely';
import type { SheetsDestinationsTable } from '../../db/schema.js';
import { openSecret, sealSecret } from '../../lib/crypto.js';
import type { Cursor } from '../../lib/pagination.js';
import type { Executor, WebhookRow } from '../webhooks/webhooks.repository.js';
import type { ServiceAccount } from './google-sheets.client.js';
import type { SheetColumn } from './sheets-columns.js';

export type SheetsRow = Selectable<SheetsDestinationsTable>;

/** A sheet destination: its `webhooks` row (kind 'sheets') and its sheet settings. */
export interface SheetsDestination {
  webhook: WebhookRow;
  sheet: SheetsRow;
}

// The private key is sealed in the destination's webhooks.secret_sealed, bound to that row and to what it is:
// a value copied into another row, or into a webhook's secret column, does not open.
function privateKeyContext(webhookId: string): string {
  return `webhooks:${webhookId}:sheets_private_key`;
}

export function sealPrivateKey(key: Buffer, webhookId: string, privateKeyPem: string): string {
  return sealSecret(key, privateKeyPem, privateKeyContext(webhookId));
}

/** The service account a destination writes as, with its private key opened; its quota is the destination's own. */
export function openServiceAccount(key: Buffer, destination: SheetsDestination): ServiceAccount {
  return {
    throttleKey: `${destination.sheet.customer_id}:${destination.webhook.id}`,
    clientEmail: destination.sheet.client_email,
    privateKey: openSecret(key, destination.webhook.secret_sealed, privateKeyContext(destination.webhook.id)),
    privateKeyId: destination.sheet.private_key_id,
    tokenUri: destination.sheet.token_uri,
  };
}

export function readColumns(row: SheetsRow): SheetColumn[] {
  return JSON.parse(row.columns) as SheetColumn[];
}

/** One sheet destination of a customer, or undefined (absent and "not yours" look the same). */
export async function findSheetsDestination(db: Executor, customerId: string, webhookId: string): Promise<SheetsDestination | undefined> {
  const [webhook, sheet] = await Promise.all([
    db.selectFrom('webhooks').selectAll().where('customer_id', '=', customerId).where('id', '=', webhookId).where('kind', '=', 'sheets').executeTakeFirst(),
    db.selectFrom('sheets_destinations').selectAll().where('customer_id', '=', customerId).where('webhook_id', '=', webhookId).executeTakeFirst(),
  ]);
  return webhook && sheet ? { webhook, sheet } : undefined;
}

/** A customer's sheet destinations, newest first, `limit + 1` rows from the cursor on. */
export async function listSheetsDestinations(db: Executor, customerId: string, limit: number, cursor: Cursor | null): Promise<SheetsDestination[]> {
  let query = db.selectFrom('webhooks').selectAll().where('customer_id', '=', customerId).where('kind', '=', 'sheets');
  if (cursor) query = query.where((eb) => eb.or([eb('created_at', '<', cursor.createdAt), eb.and([eb('created_at', '=', cursor.createdAt), eb('id', '<', cursor.id)])]));
  const webhooks = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
  if (webhooks.length === 0) return [];
  const sheets = await db.selectFrom('sheets_destinations').selectAll().where('customer_id', '=', customerId).where('webhook_id', 'in', webhooks.map((w) => w.id)).execute();
  const byId = new Map(sheets.map((sheet) => [sheet.webhook_id, sheet]));
  return webhooks.flatMap((webhook) => {
    const sheet = byId.get(webhook.id);
    return sheet ? [{ webhook, sheet }] : [];
  });
}

/** The sheet settings of a destination the worker has claimed a delivery for (no tenant filter: the worker serves all). */
export async function loadSheetsRow(db: Executor, webhookId: string): Promise<SheetsRow | undefined> {
  return db.selectFrom('sheets_destinations').selectAll().where('webhook_id', '=', webhookId).executeTakeFirst();
}

/** Row 1 was found holding a header (or was just written): later batches skip the check. */
export async function markHeaderChecked(db: Executor, webhookId: string, at: string): Promise<void> {
  await db.updateTable('sheets_destinations').set({ header_checked_at: at }).where('webhook_id', '=', webhookId).execute();
}

/** Ledger state of some events for one destination. */
export async function findLedger(db: Executor, webhookId: string, eventIds: readonly string[]): Promise<Map<string, 'sending' | 'written'>> {
  if (eventIds.length === 0) return new Map();
  const rows = await db.selectFrom('sheets_appended_events').select(['event_id', 'status'])
    .where('webhook_id', '=', webhookId).where('event_id', 'in', eventIds).execute();
  return new Map(rows.map((row) => [row.event_id, row.status]));
}

/** Records the state of events' rows for one destination ('sending' before the append, 'written' after it). */
export async function setLedger(db: Executor, entry: { webhookId: string; customerId: string; eventIds: readonly string[]; status: 'sending' | 'written'; at: string }): Promise<void> {
  if (entry.eventIds.length === 0) return;
  await db.insertInto('sheets_appended_events')
    .values(entry.eventIds.map((eventId) => ({ webhook_id: entry.webhookId, event_id: eventId, customer_id: entry.customerId, status: entry.status, updated_at: entry.at })))
    .onConflict((oc) => oc.columns(['webhook_id', 'event_id']).doUpdateSet({ status: entry.status, updated_at: entry.at }))
    .execute();
}

/** Forgets 'sending' marks after Google answered with an error: nothing was written, so the next attempt needs no read-back. */
export async function clearSending(db: Executor, webhookId: string, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length === 0) return;
  await db.deleteFrom('sheets_appended_events')
    .where('webhook_id', '=', webhookId).where('event_id', 'in', eventIds).where('status', '=', 'sending')
    .execute();
}
