import type { EventContext, EventType } from '@fc/contracts';
import { PostgresAdapter, sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import { newId } from '../../lib/ids.js';
import { nowIso } from '../../lib/time.js';

const queuedListeners = new Set<() => void>();
let wakeTimer: NodeJS.Timeout | null = null;

/**
 * Calls `listener` soon after deliveries are queued in this process (the in-process worker's wake-up;
 * other processes hear PostgreSQL's NOTIFY). Returns an unsubscribe function.
 */
export function onDeliveriesQueued(listener: () => void): () => void {
  queuedListeners.add(listener);
  return () => queuedListeners.delete(listener);
}

// The event's transaction has not committed when appendEvent returns, so the wake-up waits for the next
// macrotask; if it still comes too early the worker's short poll picks the deliveries up.
function scheduleWake(): void {
  if (wakeTimer !== null || queuedListeners.size === 0) return;
  wakeTimer = setTimeout(() => {
    wakeTimer = null;
    for (const listener of queuedListeners) listener();
  }, 1);
}

/** The PostgreSQL channel workers LISTEN on; NOTIFY inside a transaction is sent only when it commits. */
export const DELIVERY_CHANNEL = 'fc_deliveries';

/**
 * Wakes delivery workers after deliveries were made due outside appendEvent (re-send, retry now, recover):
 * NOTIFY for workers in other processes, the in-process wake-up for the inline worker. Call it after the
 * change is committed; a worker that misses it still finds the deliveries on its next poll.
 */
export async function wakeDeliveryWorkers(db: Executor): Promise<void> {
  if (isPostgres(db)) await sql`select pg_notify(${DELIVERY_CHANNEL}, '')`.execute(db);
  scheduleWake();
}

export interface NewEvent {
  customerId: string;
  chatbotId: string | null;
  conversationId: string | null;
  type: EventType;
  context: EventContext;
}

type Executor = Transaction<Database> | Kysely<Database>;

function isPostgres(db: Executor): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** Targets one destination only (the portal's "Send test"), optionally already leased to the caller who will send it. */
export interface SingleDestination {
  webhookId: string;
  retryLimit: number;
  lease?: { owner: string; until: string };
}

/**
 * Writes an event to the outbox and fans it out to one delivery per subscribed destination. Call it inside
 * the transaction that makes the change it describes: either all of it is committed or none, so no event
 * is lost on a crash and none describes a rolled-back change.
 */
export async function appendEvent(trx: Executor, event: NewEvent, only?: SingleDestination): Promise<{ eventId: string; deliveryIds: string[] }> {
  const eventId = newId('evt');
  const now = nowIso();
  await trx.insertInto('events').values({
    id: eventId, customer_id: event.customerId, chatbot_id: event.chatbotId, conversation_id: event.conversationId,
    type: event.type, payload: JSON.stringify(event.context), created_at: now,
  }).execute();

  let destinations: string[];
  if (only) {
    destinations = [only.webhookId];
  } else {
    const webhooks = await trx.selectFrom('webhooks').select(['id', 'chatbot_id', 'events'])
      .where('customer_id', '=', event.customerId).where('enabled', '=', 1).execute();
    destinations = webhooks
      .filter((w) => (w.chatbot_id === null || w.chatbot_id === event.chatbotId) && (JSON.parse(w.events) as string[]).includes(event.type))
      .map((w) => w.id);
  }
  if (destinations.length === 0) return { eventId, deliveryIds: [] };

  const rows = destinations.map((webhookId) => ({
    id: newId('dlv'), customer_id: event.customerId, webhook_id: webhookId, event_id: eventId, event_type: event.type,
    status: 'pending' as const, attempts: 0, next_attempt_at: now, lease_owner: only?.lease?.owner ?? null, lease_expires_at: only?.lease?.until ?? null,
    last_status_code: null, last_error: null, retry_limit: only?.retryLimit ?? null, attempt_base: 0, created_at: now, updated_at: now, completed_at: null,
  }));
  await trx.insertInto('deliveries').values(rows).execute();
  if (isPostgres(trx)) await sql`select pg_notify(${DELIVERY_CHANNEL}, '')`.execute(trx);
  scheduleWake();
  return { eventId, deliveryIds: rows.map((r) => r.id) };
}
