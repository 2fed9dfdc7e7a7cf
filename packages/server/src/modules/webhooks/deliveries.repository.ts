import { PostgresAdapter, sql, type Kysely, type Selectable } from 'kysely';
import type { Database, DeliveriesTable, DeliveryAttemptsTable, DeliveryStatus } from '../../db/schema.js';
import { newId } from '../../lib/ids.js';
import type { Executor, WebhookRow } from './webhooks.repository.js';

export type DeliveryRow = Selectable<DeliveriesTable>;
export type AttemptRow = Selectable<DeliveryAttemptsTable>;

const UNFINISHED: DeliveryStatus[] = ['pending', 'retrying'];
// Literal values, not bound parameters: only then can SQLite and PostgreSQL's generic plans prove the query
// matches the partial index `deliveries_due_idx` (status in ('pending','retrying')) and use it.
const UNFINISHED_LITERALS = UNFINISHED.map((status) => sql.lit(status));
const CLAIM_WINDOW_MIN = 400;
const CLAIM_WINDOW_FACTOR = 4;

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
  /** How many more deliveries of each destination this worker can take now (0 = none). */
  roomByWebhook?: ReadonlyMap<string, number>;
  /** How many of any other destination one claim may take. */
  defaultRoom: number;
}

/**
 * Leases up to `limit` due deliveries to `owner`, at most the worker's room for each destination, so one
 * busy customer cannot fill a batch and nothing is claimed only to be given back. A delivery is due when it is unfinished, its time has come and nobody holds
 * a live lease on it — so a crashed worker's deliveries come back once its lease expires. Candidates are
 * picked first (a window function, which cannot take row locks); the update then re-checks them and, on
 * PostgreSQL, skips rows another worker is claiming this instant (`FOR UPDATE SKIP LOCKED`), so any number
 * of workers claim side by side without waiting on each other or taking the same row. SQLite has a single
 * writer, so the plain update is enough there.
 */
export async function claimDueDeliveries(db: Executor, options: ClaimOptions): Promise<ClaimedDelivery[]> {
  if (options.limit <= 0) return [];
  const room = options.roomByWebhook ?? new Map<string, number>();
  const full = [...room].filter(([, n]) => n <= 0).map(([id]) => id);
  const partial = [...room].filter(([, n]) => n > 0);
  // Only the oldest due rows are ranked: the partial index hands them over in order, so a claim costs the
  // same with a backlog of a million as with a hundred.
  let due = db.selectFrom('deliveries')
    .select(['id', 'webhook_id', 'next_attempt_at'])
    .where('status', 'in', UNFINISHED_LITERALS)
    .where('next_attempt_at', '<=', options.now)
    .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', options.now)]));
  if (full.length > 0) due = due.where('webhook_id', 'not in', full);
  const window = due.orderBy('next_attempt_at').limit(Math.max(CLAIM_WINDOW_MIN, options.limit * CLAIM_WINDOW_FACTOR));
  const ranked = db.selectFrom(window.as('due'))
    .select(['id', 'webhook_id', 'next_attempt_at', sql<number>`row_number() over (partition by webhook_id order by next_attempt_at)`.as('rank')]);
  const rankLimit = partial.length === 0
    ? sql<number>`${options.defaultRoom}`
    : sql<number>`case webhook_id ${sql.join(partial.map(([id, n]) => sql`when ${id} then ${n}`), sql` `)} else ${options.defaultRoom} end`;
  const candidates = await db.selectFrom(ranked.as('ranked')).select('id')
    .where(sql<boolean>`rank <= ${rankLimit}`)
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

/** Records one attempt; resolves true while the caller still held the lease. */
export type AttemptRecorder = (claimed: ClaimedDelivery, owner: string, attempt: AttemptRecord, update: DeliveryUpdate, health: WebhookHealthUpdate | null) => Promise<boolean>;

interface PendingRecord {
  claimed: ClaimedDelivery;
  owner: string;
  attempt: AttemptRecord;
  update: DeliveryUpdate;
  health: WebhookHealthUpdate | null;
}

/**
 * Writes attempts and their consequences in one transaction: the attempt rows (one multi-row insert), each
 * delivery's new state (only where the recorder still holds the lease) and each webhook's health once, from
 * its latest attempt. Returns, per record, whether the lease was still held; an attempt is logged either
 * way, because it did happen.
 */
async function writeRecords(db: Kysely<Database>, allRecords: readonly PendingRecord[]): Promise<boolean[]> {
  return db.transaction().execute(async (trx) => {
    // Lock the destinations first (KEY SHARE): a customer deleting a webhook locks it, then cascades to its
    // deliveries; taking locks in that same order means the two wait for each other instead of deadlocking.
    // A destination deleted meanwhile took its deliveries with it: those records are dropped, not written.
    let records = allRecords;
    if (isPostgres(trx)) {
      const webhookIds = [...new Set(allRecords.map((r) => r.claimed.webhook.id))];
      const alive = new Set((await trx.selectFrom('webhooks').select('id').where('id', 'in', webhookIds).forKeyShare().execute()).map((w) => w.id));
      records = allRecords.filter((r) => alive.has(r.claimed.webhook.id));
      if (records.length === 0) return allRecords.map(() => false);
    }
    await trx.insertInto('delivery_attempts').values(records.map(({ claimed, attempt }) => ({
      id: newId('att'), delivery_id: claimed.delivery.id, customer_id: claimed.delivery.customer_id, attempt_number: attempt.attemptNumber,
      started_at: attempt.startedAt, status_code: attempt.statusCode, latency_ms: attempt.latencyMs, outcome: attempt.outcome,
      error_class: attempt.errorClass, error_message: attempt.errorMessage, request_headers: JSON.stringify(attempt.requestHeaders),
      response_excerpt: attempt.responseExcerpt,
    }))).execute();
    // One UPDATE … FROM (VALUES …) for the whole batch (both databases support it): one statement instead of
    // a round trip per delivery. Only rows whose lease the recorder still holds are changed.
    const rows = records.map(({ claimed, owner, attempt, update }) => sql`(${claimed.delivery.id}, ${owner}, ${update.status}, ${update.nextAttemptAt}, ${update.lastStatusCode}, ${update.lastError}, ${update.completedAt}, ${attempt.startedAt})`);
    const updated = await sql<{ id: string }>`
      update deliveries set status = v.column3, attempts = deliveries.attempts + 1, next_attempt_at = v.column4,
        last_status_code = cast(v.column5 as integer), last_error = v.column6, completed_at = v.column7,
        lease_owner = null, lease_expires_at = null, updated_at = v.column8
      from (values ${sql.join(rows)}) as v
      where deliveries.id = v.column1 and deliveries.lease_owner = v.column2
      returning deliveries.id`.execute(trx);
    const keptIds = new Set(updated.rows.map((row) => row.id));
    const kept = allRecords.map(({ claimed }) => keptIds.has(claimed.delivery.id));
    // A healthy webhook needs no write per delivery: only a change of state (or a stale success mark) is stored.
    const latestHealth = new Map<string, { webhook: WebhookRow; health: WebhookHealthUpdate }>();
    for (const { claimed, health } of records) if (health) latestHealth.set(claimed.webhook.id, { webhook: claimed.webhook, health });
    for (const { webhook, health } of latestHealth.values()) {
      const isStillHealthy = health.succeeded && webhook.failing_since === null && webhook.last_success_at !== null
        && Date.parse(health.at) - Date.parse(webhook.last_success_at) < HEALTH_REFRESH_MS;
      if (!isStillHealthy) await updateWebhookHealth(trx, webhook.id, health);
    }
    return kept;
  });
}

const HEALTH_REFRESH_MS = 60_000;

/** Records one attempt and its consequences in one transaction (see writeRecords). */
export async function recordAttempt(
  db: Kysely<Database>, claimed: ClaimedDelivery, owner: string, attempt: AttemptRecord, update: DeliveryUpdate, health: WebhookHealthUpdate | null,
): Promise<boolean> {
  const [kept] = await writeRecords(db, [{ claimed, owner, attempt, update, health }]);
  return kept ?? false;
}

/**
 * A recorder that group-commits: attempts finishing within the same few milliseconds share one transaction,
 * so a busy worker pays one commit per batch instead of one per delivery. Each caller still learns its own
 * result, and nothing is acknowledged before its transaction has committed.
 */
export function createBatchingRecorder(db: Kysely<Database>, options: { maxBatch?: number; onError?: (error: unknown) => void } = {}): AttemptRecorder & { flush(): Promise<void> } {
  const maxBatch = options.maxBatch ?? 100;
  let queue: { record: PendingRecord; resolve: (kept: boolean) => void; reject: (error: unknown) => void }[] = [];
  let flushing: Promise<void> | null = null;

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      try {
        const kept = await writeRecords(db, batch.map((item) => item.record));
        batch.forEach((item, index) => item.resolve(kept[index] ?? false));
      } catch (error) {
        options.onError?.(error);
        batch.forEach((item) => item.reject(error));
      }
    }
  }

  function schedule(): void {
    if (flushing) return;
    // setImmediate lets every attempt that finished in this turn of the event loop join the batch.
    flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(drain).finally(() => {
      flushing = null;
      if (queue.length > 0) schedule();
    });
  }

  const recorder = (claimed: ClaimedDelivery, owner: string, attempt: AttemptRecord, update: DeliveryUpdate, health: WebhookHealthUpdate | null): Promise<boolean> =>
    new Promise<boolean>((resolve, reject) => {
      queue.push({ record: { claimed, owner, attempt, update, health }, resolve, reject });
      schedule();
    });
  return Object.assign(recorder, {
    async flush() {
      while (flushing) await flushing;
    },
  });
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
  const row = await db.selectFrom('deliveries').select(db.fn.countAll<number | string>().as('n')).where('status', 'in', UNFINISHED_LITERALS).executeTakeFirst();
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

/** What moving unfinished deliveries forward did: how many are due now, and how many a worker is sending already. */
export interface RetryNowResult {
  scheduled: number;
  inFlight: number;
}

/**
 * Makes unfinished (pending or retrying) deliveries due now, keeping their retry schedule and attempt count.
 * A delivery a worker holds a live lease on is left alone: it is being sent this moment, and clearing its lease
 * would let a second worker claim and send it concurrently. Only rows whose lease is free or expired move, so
 * the claim's lease check stays the one guard against double sending.
 */
export async function scheduleUnfinishedNow(
  db: Executor, customerId: string, filter: { deliveryId?: string; webhookId?: string; since?: string }, now: string,
): Promise<RetryNowResult> {
  let target = db.updateTable('deliveries')
    .set({ next_attempt_at: now, updated_at: now })
    .where('customer_id', '=', customerId)
    .where('status', 'in', UNFINISHED)
    .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]));
  let leased = db.selectFrom('deliveries').select(db.fn.countAll<number | string>().as('n'))
    .where('customer_id', '=', customerId)
    .where('status', 'in', UNFINISHED)
    .where('lease_expires_at', '>=', now);
  if (filter.deliveryId !== undefined) {
    target = target.where('id', '=', filter.deliveryId);
    leased = leased.where('id', '=', filter.deliveryId);
  }
  if (filter.webhookId !== undefined) {
    target = target.where('webhook_id', '=', filter.webhookId);
    leased = leased.where('webhook_id', '=', filter.webhookId);
  }
  if (filter.since !== undefined) {
    target = target.where('created_at', '>=', filter.since);
    leased = leased.where('created_at', '>=', filter.since);
  }
  const result = await target.executeTakeFirst();
  const inFlight = await leased.executeTakeFirst();
  return { scheduled: Number(result.numUpdatedRows), inFlight: Number(inFlight?.n ?? 0) };
}
