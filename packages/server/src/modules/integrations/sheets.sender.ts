import { performance } from 'node:perf_hooks';
import type { EventContext as StoredEventContext } from '@fc/contracts';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { nowIso } from '../../lib/time.js';
import type { EventType, SendResult } from '../delivery/index.js';
import type { ClaimedDelivery } from '../webhooks/deliveries.repository.js';
import type { AttemptLog, DestinationOutcome, DestinationSender } from '../webhooks/delivery-attempt.service.js';
import { createGoogleSheetsClient, quoteTab, SheetsApiError, type GoogleSheetsClient, type ServiceAccount } from './google-sheets.client.js';
import { headerRow, renderRow } from './sheets-columns.js';
import { clearSending, findLedger, loadSheetsRow, markHeaderChecked, openServiceAccount, readColumns, setLedger, type SheetsRow } from './sheets.repository.js';

/**
 * Delivers Google Sheets destinations for the worker. Deliveries of one destination (a spreadsheet tab)
 * gather for `batchMs` and go out as ONE `values.append`, one append in flight per tab, throttled per
 * destination (about 60 writes a minute) and quiet after a 429. The row ledger makes retries safe:
 * events are marked 'sending' before the append and 'written' after it; an event already marked is looked
 * up in the sheet's event-id column first, so an append whose answer was lost is never written twice.
 */

export const SHEETS_BATCH_MAX_ROWS = 500;
const SENSITIVE = '[redacted]';

export interface SheetsSenderOptions {
  db: Kysely<Database>;
  secretKey: Buffer;
  /** FC_GOOGLE_SHEETS_BASE_URL */
  baseUrl: string;
  allowPrivate: boolean;
  /** FC_SHEETS_BATCH_MS: how long rows gather before an append. */
  batchMs: number;
  /** Longer than this waiting for the account's quota, and the deliveries go back to the queue instead. */
  maxWaitMs: number;
  log: AttemptLog;
  client?: GoogleSheetsClient;
}

interface Pending {
  claimed: ClaimedDelivery;
  signal: AbortSignal | undefined;
  resolve: (outcome: DestinationOutcome) => void;
  reject: (error: unknown) => void;
}

interface TabQueue {
  items: Pending[];
  timer: NodeJS.Timeout | null;
  flushing: boolean;
}

function success(latencyMs: number, message: string): SendResult {
  return { outcome: 'success', statusCode: 200, latencyMs, errorClass: null, errorMessage: null, responseExcerpt: message, retryAfterMs: null };
}

function failure(error: unknown, latencyMs: number, aborted: boolean): SendResult {
  if (aborted) return { outcome: 'retry', statusCode: null, latencyMs, errorClass: 'aborted', errorMessage: 'The worker shut down mid-send.', responseExcerpt: '', retryAfterMs: null };
  if (error instanceof SheetsApiError) {
    const errorClass = error.kind === 'timeout' ? 'timeout' : error.kind === 'network' ? 'connection' : error.kind === 'blocked_token_uri' ? 'blocked_address' : 'http_status';
    // A blocked token endpoint cannot start working by itself; everything else may (sharing fixed, quota back).
    return { outcome: error.kind === 'blocked_token_uri' ? 'failure' : 'retry', statusCode: error.status, latencyMs, errorClass, errorMessage: error.message, responseExcerpt: '', retryAfterMs: error.retryAfterMs };
  }
  throw error;
}

/** Creates the worker's Google Sheets sender (the `sheets` destination kind). */
export function createSheetsSender(options: SheetsSenderOptions): DestinationSender {
  const { db } = options;
  const client = options.client ?? createGoogleSheetsClient({ baseUrl: options.baseUrl, allowPrivate: options.allowPrivate });
  const queues = new Map<string, TabQueue>();

  function schedule(webhookId: string, queue: TabQueue): void {
    if (queue.timer !== null || queue.flushing || queue.items.length === 0) return;
    queue.timer = setTimeout(() => void flush(webhookId, queue), options.batchMs);
  }

  async function flush(webhookId: string, queue: TabQueue): Promise<void> {
    queue.timer = null;
    queue.flushing = true;
    const items = queue.items.splice(0, SHEETS_BATCH_MAX_ROWS);
    try {
      await deliverBatch(items);
    } catch (error) {
      for (const item of items) item.reject(error);
    } finally {
      queue.flushing = false;
      if (queue.items.length > 0) schedule(webhookId, queue);
      else queues.delete(webhookId);
    }
  }

  async function deliverBatch(items: Pending[]): Promise<void> {
    const live = items.filter((item) => {
      if (!item.signal?.aborted) return true;
      item.resolve({ sent: true, result: failure(null, 0, true), requestHeaders: {} });
      return false;
    });
    const first = live[0];
    if (!first) return;
    const { webhook } = first.claimed;
    const sheet = await loadSheetsRow(db, webhook.id);
    if (!sheet) throw new Error(`sheets destination ${webhook.id} has no settings row`);
    const account = openServiceAccount(options.secretKey, { webhook, sheet });

    // Over quota for longer than a lease can wait: hand the deliveries back without an attempt.
    const waitMs = client.throttle.delayFor(account.throttleKey, 'write');
    if (waitMs > options.maxWaitMs) {
      for (const item of live) item.resolve({ sent: false, retryAtMs: Date.now() + waitMs });
      return;
    }

    const columns = readColumns(sheet);
    const rows: { item: Pending; eventId: string; row: (string | number | boolean)[] }[] = [];
    // Rows in the order the events happened, whatever order the deliveries were claimed in.
    live.sort((a, b) => (a.claimed.event.created_at < b.claimed.event.created_at ? -1 : a.claimed.event.created_at > b.claimed.event.created_at ? 1 : 0));
    for (const item of live) {
      const { event } = item.claimed;
      try {
        const row = renderRow(columns, { id: event.id, type: event.type as EventType, createdAt: event.created_at, context: JSON.parse(event.payload) as StoredEventContext });
        rows.push({ item, eventId: event.id, row });
      } catch (error) {
        item.reject(error);
      }
    }
    if (rows.length === 0) return;
    await appendBatch(account, sheet, rows, first.signal);
  }

  async function appendBatch(
    account: ServiceAccount, sheet: SheetsRow, rows: { item: Pending; eventId: string; row: (string | number | boolean)[] }[], signal: AbortSignal | undefined,
  ): Promise<void> {
    const startedAt = performance.now();
    const elapsed = (): number => Math.round(performance.now() - startedAt);
    const tab = quoteTab(sheet.tab_name);
    const appendPath = `/v4/spreadsheets/${sheet.spreadsheet_id}/values/${tab}!A1:append?valueInputOption=RAW&insertDataOption=INSERT_ROWS`;
    const requestHeaders = { ':method': 'POST', ':path': appendPath, authorization: SENSITIVE, 'content-type': 'application/json' };
    const webhookId = sheet.webhook_id;
    let toAppend = rows;
    try {
      // Events this destination has seen before: their rows may already be in the sheet.
      const ledger = await findLedger(db, webhookId, rows.map((r) => r.eventId));
      if (ledger.size > 0) {
        const [column] = await client.getValues(account, sheet.spreadsheet_id, `${tab}!A:A`, { byColumns: true, signal });
        const present = new Set((column ?? []).map(String));
        const already = rows.filter((r) => present.has(r.eventId));
        await setLedger(db, { webhookId, customerId: sheet.customer_id, eventIds: already.map((r) => r.eventId), status: 'written', at: nowIso() });
        for (const r of already) {
          r.item.resolve({ sent: true, requestHeaders: { ':method': 'GET', ':path': `/v4/spreadsheets/${sheet.spreadsheet_id}/values/${tab}!A:A`, authorization: SENSITIVE }, result: success(elapsed(), `The row for ${r.eventId} is already in the sheet (written by an earlier attempt), so it was not appended again.`) });
        }
        toAppend = rows.filter((r) => !present.has(r.eventId));
        if (toAppend.length === 0) return;
      }

      if (sheet.header_checked_at === null) {
        const firstRow = await client.getValues(account, sheet.spreadsheet_id, `${tab}!1:1`, { signal });
        const isEmpty = (firstRow[0] ?? []).every((cell) => cell === '' || cell === null);
        if (isEmpty) await client.updateValues(account, sheet.spreadsheet_id, `${tab}!A1`, [headerRow(readColumns(sheet))], signal);
        await markHeaderChecked(db, webhookId, nowIso());
      }

      const eventIds = toAppend.map((r) => r.eventId);
      await setLedger(db, { webhookId, customerId: sheet.customer_id, eventIds, status: 'sending', at: nowIso() });
      let appended;
      try {
        appended = await client.appendRows(account, sheet.spreadsheet_id, `${tab}!A1`, toAppend.map((r) => r.row), signal);
      } catch (error) {
        // Google answered with an error, so nothing was written: forget the marks. No answer at all (timeout,
        // reset) leaves them, and the next attempt reads the event-id column before appending.
        if (error instanceof SheetsApiError && error.status !== null) await clearSending(db, webhookId, eventIds);
        throw error;
      }
      await setLedger(db, { webhookId, customerId: sheet.customer_id, eventIds, status: 'written', at: nowIso() });
      const where = appended.updatedRange ? ` at ${appended.updatedRange}` : '';
      for (const r of toAppend) {
        r.item.resolve({ sent: true, requestHeaders, result: success(elapsed(), `Appended ${toAppend.length} row${toAppend.length === 1 ? '' : 's'}${where} in one request; this event is one of them.`) });
      }
    } catch (error) {
      const result = failure(error, elapsed(), signal?.aborted === true);
      for (const r of toAppend) r.item.resolve({ sent: true, requestHeaders, result });
    }
  }

  return {
    send(claimed, signal) {
      return new Promise<DestinationOutcome>((resolve, reject) => {
        const webhookId = claimed.webhook.id;
        const queue = queues.get(webhookId) ?? { items: [], timer: null, flushing: false };
        queues.set(webhookId, queue);
        queue.items.push({ claimed, signal, resolve, reject });
        schedule(webhookId, queue);
      });
    },
    async close() {
      if (!options.client) await client.close();
    },
  };
}
