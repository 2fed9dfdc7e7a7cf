import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import pg from 'pg';
import type { AppConfig } from './config.js';
import type { Database } from './db/schema.js';
import { nowIso, toStoredTime } from './lib/time.js';
import { endIdleConversations } from './modules/conversations/idle-sweep.service.js';
import { createWebhookSender, PER_ORIGIN_CONNECTIONS, type WebhookSender } from './modules/delivery/index.js';
import { DELIVERY_CHANNEL, onDeliveriesQueued } from './modules/events/events.service.js';
import { claimDueDeliveries, createBatchingRecorder, failWithoutAttempt, reapExpiredLeases, releaseDelivery, type ClaimedDelivery } from './modules/webhooks/deliveries.repository.js';
import { attemptDelivery, type AttemptDeps } from './modules/webhooks/delivery-attempt.service.js';
import { createSheetsSender } from './modules/integrations/sheets.sender.js';
import { createEscalationMailer } from './modules/handoff/escalation-email.js';

/** How often an idle worker looks for due deliveries when no wake-up arrives (NOTIFY or in-process). */
export const DELIVERY_POLL_INTERVAL_MS = 1_000;
const IDLE_SWEEP_INTERVAL_MS = 15_000;
const REAP_INTERVAL_MS = 30_000;
const CLAIM_BATCH_MAX = 200;
/** A fast destination may have this many rounds of PER_ORIGIN_CONNECTIONS deliveries held by one worker. */
const MAX_QUEUE_ROUNDS = 16;
const LATENCY_EWMA_WEIGHT = 0.2;
const WAKE_COALESCE_MS = 2;
const ERROR_BACKOFF_MS = 2_000;
const LISTEN_RECONNECT_MS = 2_000;
/** How often queued "new escalation" e-mails are looked for (they are not urgent to the second). */
export const ESCALATION_EMAIL_POLL_MS = 2_000;

export interface WorkerLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface DeliveryWorkerOptions {
  db: Kysely<Database>;
  config: Pick<AppConfig, 'secretKey' | 'allowPrivateWebhookTargets' | 'retryScheduleMs' | 'deliveryLeaseMs' | 'deliveryConcurrency' | 'database' | 'googleSheetsBaseUrl' | 'sheetsBatchMs'>
    & Partial<Pick<AppConfig, 'smtp' | 'publicUrl'>>;
  log: WorkerLog;
  /** Replaces the HTTP sender (the bench compares against raw undici with it). */
  sender?: WebhookSender;
  pollIntervalMs?: number;
  /** Run the idle-conversation sweep in this worker (on by default). */
  sweepIdleConversations?: boolean;
}

export interface DeliveryWorker {
  readonly owner: string;
  start(): void;
  /** Stops claiming, lets in-flight sends finish (up to `graceMs`, then aborts them) and closes connections. */
  stop(graceMs?: number): Promise<void>;
  /** Looks for due deliveries now. */
  wake(): void;
  /** Claims and sends one batch, waiting for every send; returns how many deliveries it claimed (tests, bench). */
  runOnce(): Promise<number>;
}

/**
 * The delivery worker: claims due deliveries (leases), sends each over the pooled HTTP sender with a cap per
 * destination, and records every attempt with the delivery's next state in one transaction. It also runs
 * the lease reaper and the idle-conversation sweep. Any number may run against one PostgreSQL.
 */
export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { db, config, log } = options;
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const sender = options.sender ?? createWebhookSender({ allowPrivate: config.allowPrivateWebhookTargets });
  const pollIntervalMs = options.pollIntervalMs ?? DELIVERY_POLL_INTERVAL_MS;
  const schedule = config.retryScheduleMs ?? undefined;
  const abort = new AbortController();
  // Every in-flight send listens for shutdown on this one signal.
  setMaxListeners(config.deliveryConcurrency + 16, abort.signal);
  // Google Sheets destinations are batched appends, not HTTP webhooks: they go through their own sender.
  const sheets = createSheetsSender({
    db, secretKey: config.secretKey, baseUrl: config.googleSheetsBaseUrl, allowPrivate: config.allowPrivateWebhookTargets,
    batchMs: config.sheetsBatchMs, maxWaitMs: Math.floor(config.deliveryLeaseMs / 4), log,
  });
  // "New escalation" e-mails (modules/handoff/escalation-email.ts), when SMTP is configured.
  const mailer = config.smtp ? createEscalationMailer({ db, smtp: config.smtp, publicUrl: config.publicUrl ?? null, log }) : null;
  let mailing: Promise<unknown> | null = null;
  const sendEmails = (): void => {
    // One run at a time: a slow SMTP server must not pile runs up behind it.
    mailing ??= (mailer?.runOnce() ?? Promise.resolve())
      .catch((error: unknown) => log.error({ err: error }, 'escalation e-mail run failed'))
      .finally(() => { mailing = null; });
  };
  // Attempts that finish together are recorded in one transaction (one commit per batch, not per delivery).
  const recorder = createBatchingRecorder(db, { onError: (error) => log.error({ err: error }, 'recording delivery attempts failed') });
  const attemptDeps: AttemptDeps = { db, secretKey: config.secretKey, sender, schedule, log, signal: abort.signal, destinations: { sheets }, recordAttempt: recorder,
    onSent: (claimed) => {
      if (freeSlot(claimed) && running) pump();
    },
  };
  const inFlight = new Set<Promise<void>>();
  const perWebhook = new Map<string, number>();
  const waiting = new Map<string, ClaimedDelivery[]>();
  const latencyMs = new Map<string, number>();
  /** Deliveries holding a destination slot (their request is out); the rest of inFlight is being recorded. */
  const sending = new Set<string>();
  let running = false;
  let loopDone: Promise<void> = Promise.resolve();
  let wakeUp: (() => void) | null = null;
  let pendingWake = false;
  let listener: pg.Client | null = null;
  const timers: NodeJS.Timeout[] = [];
  let unsubscribe: (() => void) | null = null;

  function wake(): void {
    pendingWake = true;
    wakeUp?.();
  }

  function waitForWake(ms: number): Promise<void> {
    if (pendingWake) {
      pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wakeUp = null;
        pendingWake = false;
        resolve();
      }
      wakeUp = done;
    });
  }

  function queuedCount(): number {
    let total = 0;
    for (const queue of waiting.values()) total += queue.length;
    return total;
  }

  /** Frees a delivery's destination slot once (when the destination answered, or when the attempt ends). */
  function freeSlot(claimed: ClaimedDelivery): boolean {
    const deliveryId = claimed.delivery.id;
    if (!sending.has(deliveryId)) return false;
    sending.delete(deliveryId);
    const webhookId = claimed.webhook.id;
    const left = (perWebhook.get(webhookId) ?? 1) - 1;
    if (left === 0) perWebhook.delete(webhookId);
    else perWebhook.set(webhookId, left);
    return true;
  }

  function start(claimed: ClaimedDelivery): void {
    const webhookId = claimed.webhook.id;
    perWebhook.set(webhookId, (perWebhook.get(webhookId) ?? 0) + 1);
    sending.add(claimed.delivery.id);
    const startedAt = Date.now();
    const task = attemptDelivery(attemptDeps, claimed, owner)
      .then(() => {
        const took = Date.now() - startedAt;
        latencyMs.set(webhookId, LATENCY_EWMA_WEIGHT * took + (1 - LATENCY_EWMA_WEIGHT) * (latencyMs.get(webhookId) ?? took));
      })
      .catch((error: unknown) => log.error({ err: error, deliveryId: claimed.delivery.id }, 'delivery attempt failed unexpectedly'))
      .finally(() => {
        inFlight.delete(task);
        freeSlot(claimed);
        if (running) pump();
        else releaseHeld(webhookId);
        // Claim again only when this destination's queue just drained to half (see roomByWebhook) or the
        // worker as a whole had no room: waking after every attempt would cost a claim query per delivery.
        const depth = depthFor(webhookId);
        const free = depth - (perWebhook.get(webhookId) ?? 0) - (waiting.get(webhookId)?.length ?? 0);
        const wasFull = inFlight.size + queuedCount() + 1 >= config.deliveryConcurrency * MAX_QUEUE_ROUNDS;
        if (wasFull || (free * 2 >= depth && (free - 1) * 2 < depth) || free === depth) wake();
      });
    inFlight.add(task);
  }

  /** Starts held deliveries, oldest destination first, while the worker and each destination have a free slot. */
  function pump(): void {
    for (const [webhookId, held] of waiting) {
      while (held.length > 0 && sending.size < config.deliveryConcurrency && (perWebhook.get(webhookId) ?? 0) < PER_ORIGIN_CONNECTIONS) {
        start(held.shift() as ClaimedDelivery);
      }
      if (held.length === 0) waiting.delete(webhookId);
      if (sending.size >= config.deliveryConcurrency) return;
    }
  }

  /** On shutdown, held deliveries go back to the queue untouched (another worker takes them). */
  function releaseHeld(webhookId: string): void {
    for (const next of waiting.get(webhookId) ?? []) void releaseDelivery(db, next.delivery.id, owner, next.delivery.next_attempt_at ?? nowIso()).catch(() => undefined);
    waiting.delete(webhookId);
  }

  /**
   * How many deliveries of one destination this worker may hold (sending + leased behind them): a fast
   * endpoint gets a deep queue so batches stay large, a slow or unknown one only two rounds' worth, so held
   * deliveries are sent well before their lease runs out. At most PER_ORIGIN_CONNECTIONS are ever sent at once.
   */
  function depthFor(webhookId: string): number {
    const latency = latencyMs.get(webhookId);
    if (latency === undefined) return 2 * PER_ORIGIN_CONNECTIONS;
    const rounds = Math.floor(config.deliveryLeaseMs / 2 / Math.max(latency, 1));
    return PER_ORIGIN_CONNECTIONS * Math.min(MAX_QUEUE_ROUNDS, Math.max(2, rounds));
  }

  /** Room per destination this worker already holds, for the claim (others get the default). */
  function roomByWebhook(): Map<string, number> {
    const room = new Map<string, number>();
    for (const [webhookId, active] of perWebhook) {
      const depth = depthFor(webhookId);
      const free = depth - active - (waiting.get(webhookId)?.length ?? 0);
      // Hysteresis: top a destination up only once half its queue has drained, so claims come in batches
      // instead of one row after every finished attempt.
      room.set(webhookId, free * 2 >= depth ? free : 0);
    }
    return room;
  }

  let lastClaimLimit = 0;

  async function claimAndDispatch(): Promise<number> {
    const free = Math.min(config.deliveryConcurrency * MAX_QUEUE_ROUNDS - inFlight.size - queuedCount(), CLAIM_BATCH_MAX);
    lastClaimLimit = Math.max(free, 0);
    if (free <= 0) return 0;
    const nowMs = Date.now();
    const batch = await claimDueDeliveries(db, {
      owner, limit: free, now: toStoredTime(nowMs), leaseUntil: toStoredTime(nowMs + config.deliveryLeaseMs),
      roomByWebhook: roomByWebhook(), defaultRoom: 2 * PER_ORIGIN_CONNECTIONS,
    });
    for (const claimed of batch) {
      const { webhook, delivery } = claimed;
      const active = perWebhook.get(webhook.id) ?? 0;
      const held = waiting.get(webhook.id) ?? [];
      if (!webhook.enabled && delivery.event_type !== 'webhook.test') {
        await failWithoutAttempt(db, delivery.id, owner, `Not sent: the webhook is disabled${webhook.disabled_reason ? ` (${webhook.disabled_reason})` : ''}.`, nowIso());
      } else if (active + held.length < depthFor(webhook.id)) {
        held.push(claimed);
        waiting.set(webhook.id, held);
      } else {
        // Beyond what this worker will send soon: back to the queue, due as before, for any worker to take.
        await releaseDelivery(db, delivery.id, owner, delivery.next_attempt_at ?? nowIso());
      }
    }
    pump();
    return batch.length;
  }

  async function drain(): Promise<void> {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  }

  async function loop(): Promise<void> {
    while (running) {
      let claimed = 0;
      try {
        claimed = await claimAndDispatch();
      } catch (error) {
        log.error({ err: error }, 'claiming deliveries failed; retrying shortly');
        await waitForWake(ERROR_BACKOFF_MS);
        continue;
      }
      if (!running) break;
      const hasRoom = inFlight.size + queuedCount() < config.deliveryConcurrency * MAX_QUEUE_ROUNDS;
      // Only a full batch suggests more is due right now; otherwise wait for a wake-up (or the poll).
      if (claimed > 0 && claimed >= lastClaimLimit && hasRoom) continue;
      await waitForWake(pollIntervalMs);
      // A burst of NOTIFYs (one per committed event) becomes one claim instead of one claim each.
      if (running) await new Promise((resolve) => setTimeout(resolve, WAKE_COALESCE_MS));
    }
  }

  async function listen(): Promise<void> {
    if (config.database.kind !== 'postgres' || !running) return;
    const client = new pg.Client({ connectionString: config.database.url });
    listener = client;
    const reconnect = (): void => {
      if (listener !== client) return;
      listener = null;
      client.removeAllListeners();
      void client.end().catch(() => undefined);
      if (running) timers.push(setTimeout(() => void listen(), LISTEN_RECONNECT_MS));
    };
    client.on('error', reconnect);
    client.on('end', reconnect);
    client.on('notification', () => wake());
    try {
      await client.connect();
      await client.query(`LISTEN ${DELIVERY_CHANNEL}`);
      // Anything queued while we were not listening is picked up now.
      wake();
    } catch (error) {
      log.warn({ err: error }, 'LISTEN connection failed; polling until it is back');
      reconnect();
    }
  }

  async function housekeeping(): Promise<void> {
    try {
      const reaped = await reapExpiredLeases(db, nowIso());
      if (reaped > 0) log.warn({ reaped }, 'reclaimed deliveries whose worker lease expired');
    } catch (error) {
      log.error({ err: error }, 'lease reaper failed');
    }
  }

  async function sweep(): Promise<void> {
    try {
      const ended = await endIdleConversations(db, nowIso());
      if (ended > 0) log.info({ ended }, 'ended idle conversations');
    } catch (error) {
      log.error({ err: error }, 'idle-conversation sweep failed');
    }
  }

  return {
    owner,
    wake,
    start() {
      if (running) return;
      running = true;
      unsubscribe = onDeliveriesQueued(wake);
      void listen();
      timers.push(setInterval(() => void housekeeping(), REAP_INTERVAL_MS));
      if (options.sweepIdleConversations !== false) {
        timers.push(setInterval(() => void sweep(), IDLE_SWEEP_INTERVAL_MS));
        void sweep();
      }
      if (mailer) timers.push(setInterval(sendEmails, ESCALATION_EMAIL_POLL_MS));
      for (const timer of timers) timer.unref();
      loopDone = loop();
      log.info({ owner, concurrency: config.deliveryConcurrency }, 'delivery worker started');
    },
    async stop(graceMs = 10_000) {
      running = false;
      unsubscribe?.();
      for (const timer of timers) clearTimeout(timer);
      wakeUp?.();
      await loopDone;
      const client = listener;
      listener = null;
      if (client) await client.end().catch(() => undefined);
      const graceTimer = setTimeout(() => abort.abort(), graceMs);
      await drain();
      clearTimeout(graceTimer);
      if (!options.sender) await sender.close();
      await sheets.close();
      await mailing;
      mailer?.close();
    },
    async runOnce() {
      const claimed = await claimAndDispatch();
      await drain();
      return claimed;
    },
  };
}
