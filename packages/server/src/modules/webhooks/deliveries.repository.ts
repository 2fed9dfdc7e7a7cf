import { PostgresAdapter, sql, type Kysely, type Selectable } from 'kysely';
import type { Database, DeliveriesTable, DeliveryAttemptsTable, DeliveryStatus } from '../../db/schema.js';
import { newId } from '../../lib/ids.js';
import type { Executor, WebhookRow } from './webhooks.repository.js';

export type DeliveryRow = Selectable<DeliveriesTable>;
export type AttemptRow = Selectable<DeliveryAttemptsTable>;

const UNFINISHED: DeliveryStatus[] = ['pending', 'retrying'];

function isPostgres(db: Executor): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** What a worker needs to send one claimed delivery: the delivery, its destination and its event. */
export interface ClaimedDelivery {
  delivery: DeliveryRow;
  webhook: WebhookRow;
  event: { id: string; type: string; payload: string; created_at: string };
}

export interface ClaimOptions {
  owner: string;
  limit: number;
  now: string;
  leaseUntil: string;
  /** At most this many deliveries of one destination per claim (the per-destination concurrency cap). */
  perWebhookLimit: number;
  /** Destinations this worker already has enough of in hand. */
  excludeWebhookIds?: readonly string[];
}

/**
 * Leases up to `limit` due deliveries to `owner`, at most `perWebhookLimit` per destination so one busy
 * customer cannot fill a batch. A delivery is due when it is unfinished, its time has come and nobody holds
 * a live lease on it — so a crashed worker's deliveries come back once its lease expires. Candidates are
 * picked first (a window function, which cannot take row locks); the update then re-checks them and, on
 * PostgreSQL, skips rows another worker is claiming this instant (`FOR UPDATE SKIP LOCKED`), so any number
 * of workers claim side by side without waiting on each other or taking the same row. SQLite has a single
 * writer, so the plain update is enough there.
 */
export async function claimDueDeliveries(db: Executor, options: ClaimOptions): Promise<ClaimedDelivery[]> {
  if (options.limit <= 0) return [];
  let ranked = db.selectFrom('deliveries')
    .select(['id', 'next_attempt_at', sql<number>`row_number() over (partition by webhook_id order by next_attempt_at)`.as('rank')])
    .where('status', 'in', UNFINISHED)
    .where('next_attempt_at', '<=', options.now)
    .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', options.now)]));
  if (options.excludeWebhookIds && options.excludeWebhookIds.length > 0) ranked = ranked.where('webhook_id', 'not in', options.excludeWebhookIds);
  const candidates = await db.selectFrom(ranked.as('ranked')).select('id')
    .where('rank', '<=', options.perWebhookLimit)
    .orderBy('next_attempt_at')
    .limit(options.limit)
    .execute();
  if (candidates.length === 0) return [];
  let lockable = db.selectFrom('deliveries').select('id')
    .where('id', 'in', candidates.map((c) => c.id))
    .where('status', 'in', UNFINISHED)
    .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', options.now)]));
  if (isPostgres(db)) lockable = lockable.forUpdate().skipLocked();
  const claimed = await db.updateTable('deliveries')
    .set({ lease_owner: options.owner, lease_expires_at: options.leaseUntil })
    .where('id', 'in', lockable)
    .returning('id')
    .execute();
  if (claimed.length === 0) return [];
  return loadClaimed(db, claimed.map((row) => row.id));
}

async function loadClaimed(db: Executor, ids: string[]): Promise<ClaimedDelivery[]> {
  const deliveries = await db.selectFrom('deliveries').selectAll().where('id', 'in', ids).orderBy('next_attempt_at').execute();
  const webhookIds = [...new Set(deliveries.map((d) => d.webhook_id))];
  const eventIds = [...new Set(deliveries.map((d) => d.event_id))];
  const [webhooks, events] = await Promise.all([
    db.selectFrom('webhooks').selectAll().where('id', 'in', webhookIds).execute(),
    db.selectFrom('events').select(['id', 'type', 'payload', 'created_at']).where('id', 'in', eventIds).execute(),
  ]);
  const webhookById = new Map(webhooks.map((w) => [w.id, w]));
  const eventById = new Map(events.map((e) => [e.id, e]));
  const result: ClaimedDelivery[] = [];
  for (const delivery of deliveries) {
    const webhook = webhookById.get(delivery.webhook_id);
    const event = eventById.get(delivery.event_id);
    // Both are foreign keys with cascade: a missing one means it was deleted after the claim, so nothing to send.
    if (webhook && event) result.push({ delivery, webhook, event });
  }
  return result;
}

/** Gives a claimed delivery back without an attempt (its destination is busy): due again at `nextAttemptAt`. */
export async function releaseDelivery(db: Executor, deliveryId: string, owner: string, nextAttemptAt: string): Promise<void> {
  await db.updateTable('deliveries')
    .set({ lease_owner: null, lease_expires_at: null, next_attempt_at: nextAttemptAt })
    .where('id', '=', deliveryId).where('lease_owner', '=', owner)
    .execute();
}

/**
 * Clears leases that expired (their worker died or hung) so the deliveries are visibly pending again.
 * Claims already treat an expired lease as free; this keeps the portal honest and counts the recoveries.
 */
export async function reapExpiredLeases(db: Executor, now: string): Promise<number> {
  const result = await db.updateTable('deliveries')
    .set({ lease_owner: null, lease_expires_at: null })
    .where('status', 'in', UNFINISHED)
    .where('lease_expires_at', '<', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export interface AttemptRecord {
  attemptNumber: number;
  startedAt: string;
  statusCode: number | null;
  latencyMs: number;
  outcome: 'success' | 'retry' | 'gone' | 'failure';
  errorClass: string | null;
  errorMessage: string | null;
  requestHeaders: Record<string, string>;
  responseExcerpt: string | null;
}

export interface DeliveryUpdate {
  status: DeliveryStatus;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  completedAt: string | null;
}

export interface WebhookHealthUpdate {
  succeeded: boolean;
  at: string;
  /** Set to disable the webhook with this reason (410 Gone, or failing for five days). */
  disableReason: string | null;
}

/**
 * Records one attempt and its consequences in one transaction: the attempt row, the delivery's new state
 * (only while this worker still holds the lease) and the webhook's health. Returns false when the lease
 * had been lost; the attempt is still logged, because it did happen.
 */
export async function recordAttempt(
  db: Kysely<Database>, claimed: ClaimedDelivery, owner: string, attempt: AttemptRecord, update: DeliveryUpdate, health: WebhookHealthUpdate | null,
): Promise<boolean> {
  const { delivery } = claimed;
  const write = async (trx: Executor): Promise<boolean> => {
    await trx.insertInto('delivery_attempts').values({
      id: newId('att'), delivery_id: delivery.id, customer_id: delivery.customer_id, attempt_number: attempt.attemptNumber,
      started_at: attempt.startedAt, status_code: attempt.statusCode, latency_ms: attempt.latencyMs, outcome: attempt.outcome,
      error_class: attempt.errorClass, error_message: attempt.errorMessage, request_headers: JSON.stringify(attempt.requestHeaders),
      response_excerpt: attempt.responseExcerpt,
    }).execute();
    const updated = await trx.updateTable('deliveries')
      .set((eb) => ({
        status: update.status, attempts: eb('attempts', '+', 1), next_attempt_at: update.nextAttemptAt,
        last_status_code: update.lastStatusCode, last_error: update.lastError, completed_at: update.completedAt,
        lease_owner: null, lease_expires_at: null, updated_at: attempt.startedAt,
      }))
      .where('id', '=', delivery.id).where('lease_owner', '=', owner)
      .executeTakeFirst();
    if (health) await updateWebhookHealth(trx, claimed.webhook.id, health);
    return Number(updated.numUpdatedRows) === 1;
  };
  return db.transaction().execute(write);
}

async function updateWebhookHealth(trx: Executor, webhookId: string, health: WebhookHealthUpdate): Promise<void> {
  if (health.succeeded) {
    await trx.updateTable('webhooks').set({ last_success_at: health.at, failing_since: null }).where('id', '=', webhookId).execute();
    return;
  }
  await trx.updateTable('webhooks')
    .set((eb) => ({ last_failure_at: health.at, failing_since: eb.fn.coalesce('failing_since', eb.val(health.at)) }))
    .where('id', '=', webhookId)
    .execute();
  if (health.disableReason !== null) {
    await trx.updateTable('webhooks')
      .set({ enabled: 0, disabled_reason: health.disableReason, disabled_at: health.at, updated_at: health.at })
      .where('id', '=', webhookId).where('enabled', '=', 1)
      .execute();
  }
}

/** Ends a claimed delivery without sending (its webhook was disabled meanwhile). */
export async function failWithoutAttempt(db: Executor, deliveryId: string, owner: string, reason: string, now: string): Promise<void> {
  await db.updateTable('deliveries')
    .set({ status: 'failed', last_error: reason, next_attempt_at: null, completed_at: now, lease_owner: null, lease_expires_at: null, updated_at: now })
    .where('id', '=', deliveryId).where('lease_owner', '=', owner)
    .execute();
}

/** Unfinished deliveries across all customers: the health endpoint's `deliveryBacklog`. */
export async function countBacklog(db: Executor): Promise<number> {
  const row = await db.selectFrom('deliveries').select(db.fn.countAll<number | string>().as('n')).where('status', 'in', UNFINISHED).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** One delivery of one customer. */
export async function findDelivery(db: Executor, customerId: string, deliveryId: string): Promise<DeliveryRow | undefined> {
  return db.selectFrom('deliveries').selectAll().where('customer_id', '=', customerId).where('id', '=', deliveryId).executeTakeFirst();
}

/** Every attempt of a delivery, oldest first. */
export async function listAttempts(db: Executor, customerId: string, deliveryId: string): Promise<AttemptRow[]> {
  return db.selectFrom('delivery_attempts').selectAll()
    .where('customer_id', '=', customerId).where('delivery_id', '=', deliveryId)
    .orderBy('attempt_number').orderBy('started_at')
    .execute();
}

/**
 * Puts a delivery back in the queue for an immediate attempt with a fresh retry schedule. It keeps its id,
 * so the receiver sees the same `webhook-id` / `X-FC-Delivery` and `eventId` and can dedupe.
 */
export async function requeueDelivery(db: Executor, customerId: string, deliveryId: string, now: string): Promise<boolean> {
  const result = await db.updateTable('deliveries')
    .set((eb) => ({
      status: 'pending', next_attempt_at: now, attempt_base: eb.ref('attempts'), retry_limit: null,
      completed_at: null, lease_owner: null, lease_expires_at: null, updated_at: now,
    }))
    .where('customer_id', '=', customerId).where('id', '=', deliveryId)
    .where('status', 'in', ['succeeded', 'failed'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Re-queues every failed delivery of a webhook created since `since`; returns how many. */
export async function requeueFailedSince(db: Executor, customerId: string, webhookId: string, since: string, now: string): Promise<number> {
  const result = await db.updateTable('deliveries')
    .set((eb) => ({
      status: 'pending', next_attempt_at: now, attempt_base: eb.ref('attempts'), retry_limit: null,
      completed_at: null, lease_owner: null, lease_expires_at: null, updated_at: now,
    }))
    .where('customer_id', '=', customerId).where('webhook_id', '=', webhookId)
    .where('status', '=', 'failed').where('created_at', '>=', since)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
