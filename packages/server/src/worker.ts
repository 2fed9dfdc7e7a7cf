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
import { claimDueDeliveries, failWithoutAttempt, reapExpiredLeases, releaseDelivery, type ClaimedDelivery } from './modules/webhooks/deliveries.repository.js';
import { attemptDelivery, type AttemptDeps } from './modules/webhooks/delivery-attempt.service.js';

/** How often an idle worker looks for due deliveries when no wake-up arrives (NOTIFY or in-process). */
export const DELIVERY_POLL_INTERVAL_MS = 1_000;
const IDLE_SWEEP_INTERVAL_MS = 15_000;
const REAP_INTERVAL_MS = 30_000;
/** A destination already at its concurrency cap gets its extra deliveries back this much later. */
const BUSY_DESTINATION_DEFER_MS = 250;
const CLAIM_BATCH_MAX = 50;
const ERROR_BACKOFF_MS = 2_000;
const LISTEN_RECONNECT_MS = 2_000;

export interface WorkerLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface DeliveryWorkerOptions {
  db: Kysely<Database>;
  config: Pick<AppConfig, 'secretKey' | 'allowPrivateWebhookTargets' | 'retryScheduleMs' | 'deliveryLeaseMs' | 'deliveryConcurrency' | 'database'>;
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
  const attemptDeps: AttemptDeps = { db, secretKey: config.secretKey, sender, schedule, log, signal: abort.signal };
  const inFlight = new Set<Promise<void>>();
  const perWebhook = new Map<string, number>();
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

  function track(claimed: ClaimedDelivery): Promise<void> {
    const webhookId = claimed.webhook.id;
    perWebhook.set(webhookId, (perWebhook.get(webhookId) ?? 0) + 1);
    const task = attemptDelivery(attemptDeps, claimed, owner)
      .then(() => undefined)
      .catch((error: unknown) => log.error({ err: error, deliveryId: claimed.delivery.id }, 'delivery attempt failed unexpectedly'))
      .finally(() => {
        const left = (perWebhook.get(webhookId) ?? 1) - 1;
        if (left === 0) perWebhook.delete(webhookId);
        else perWebhook.set(webhookId, left);
        inFlight.delete(task);
        // A slot is free: a full worker may have due work waiting.
        wake();
      });
    inFlight.add(task);
    return task;
  }

  async function claimAndDispatch(): Promise<{ claimed: number; started: Promise<void>[] }> {
    const free = Math.min(config.deliveryConcurrency - inFlight.size, CLAIM_BATCH_MAX);
    if (free <= 0) return { claimed: 0, started: [] };
    const nowMs = Date.now();
    const batch = await claimDueDeliveries(db, {
      owner, limit: free, now: toStoredTime(nowMs), leaseUntil: toStoredTime(nowMs + config.deliveryLeaseMs),
    });
    const started: Promise<void>[] = [];
    for (const claimed of batch) {
      const { webhook, delivery } = claimed;
      if (!webhook.enabled && delivery.event_type !== 'webhook.test') {
        await failWithoutAttempt(db, delivery.id, owner, `Not sent: the webhook is disabled${webhook.disabled_reason ? ` (${webhook.disabled_reason})` : ''}.`, nowIso());
      } else if ((perWebhook.get(webhook.id) ?? 0) >= PER_ORIGIN_CONNECTIONS) {
        // One slow customer must not take every slot: its surplus goes back to the queue for a moment.
        await releaseDelivery(db, delivery.id, owner, toStoredTime(Date.now() + BUSY_DESTINATION_DEFER_MS));
      } else {
        started.push(track(claimed));
      }
    }
    return { claimed: batch.length, started };
  }

  async function loop(): Promise<void> {
    while (running) {
      let claimed = 0;
      try {
        ({ claimed } = await claimAndDispatch());
      } catch (error) {
        log.error({ err: error }, 'claiming deliveries failed; retrying shortly');
        await waitForWake(ERROR_BACKOFF_MS);
        continue;
      }
      if (!running) break;
      const hasRoom = inFlight.size < config.deliveryConcurrency;
      if (claimed > 0 && hasRoom) continue;
      await waitForWake(pollIntervalMs);
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
      await Promise.allSettled([...inFlight]);
      clearTimeout(graceTimer);
      if (!options.sender) await sender.close();
    },
    async runOnce() {
      const { claimed, started } = await claimAndDispatch();
      await Promise.allSettled(started);
      return claimed;
    },
  };
}
