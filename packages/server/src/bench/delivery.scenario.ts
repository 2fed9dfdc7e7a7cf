import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { loadConfig, type AppConfig } from '../config.js';
import { openDatabase, type Db } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { appendEvent } from '../modules/events/events.service.js';
import { createWebhook, type WebhookServiceDeps } from '../modules/webhooks/webhooks.service.js';
import { createWebhookSender } from '../modules/delivery/index.js';
import { createDeliveryWorker } from '../worker.js';
import { createScratchDatabaseUrl } from './local-app.js';
import { measure, type BenchContext, type BenchMeasurement, type BenchOutcome, type BenchScenario } from './scenario.js';

/**
 * Delivery throughput and latency through the real pipeline (outbox → leased claim → signed POST → attempt
 * log) to a local receiver, against a baseline of raw undici `Pool.request` posting the same bodies to the
 * same receiver with the same concurrency: the ratio says what the queue, signing and bookkeeping cost.
 */

const THROUGHPUT_EVENTS = 2_000;
const LATENCY_EVENTS = 1_000;
/** The load for the latency figure: events written at 1,000 per second. */
const LATENCY_RATE_PER_SECOND = 1_000;
const LATENCY_MAX_WRITES_IN_FLIGHT = 16;
const CONCURRENCY = 8;
const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

interface Receiver {
  url: string;
  count(): number;
  /** Time each event id first arrived (performance.now()). */
  arrivals: Map<string, number>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const arrivals = new Map<string, number>();
  let count = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      count += 1;
      const at = performance.now();
      const match = /"eventId":"([^"]+)"/.exec(Buffer.concat(chunks).toString('utf8'));
      if (match?.[1] && !arrivals.has(match[1])) arrivals.set(match[1], at);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`, arrivals, count: () => count,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

async function openScratchDatabase(postgresUrl: string | null): Promise<{ config: AppConfig; database: Db; dispose: () => Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'fc-bench-delivery-'));
  const { databaseUrl, drop: dropSchema } = await createScratchDatabaseUrl(postgresUrl, dataDir);
  const config = loadConfig({
    NODE_ENV: 'test', DATABASE_URL: databaseUrl, FC_DATA_DIR: dataDir, FC_SECRET_KEY: randomBytes(32).toString('hex'),
    FC_ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true', FC_DELIVERY_CONCURRENCY: String(CONCURRENCY * 4),
  });
  const database = openDatabase(config.database);
  await migrateToLatest(database.db);
  return {
    config, database,
    dispose: async () => {
      await database.close();
      await dropSchema();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function seedCustomer(database: Db, config: AppConfig, url: string): Promise<{ customerId: string; chatbot: { id: string; name: string } }> {
  const now = new Date().toISOString();
  const customerId = `cus_bench${randomBytes(4).toString('hex')}`;
  const chatbot = { id: `bot_bench${randomBytes(4).toString('hex')}`, name: 'Bench Bot' };
  await database.db.insertInto('customers').values({ id: customerId, name: 'Bench Co', status: 'active', trial_ends_at: now, created_at: now, updated_at: now, cancelled_at: null }).execute();
  await database.db.insertInto('chatbots').values({ id: chatbot.id, customer_id: customerId, name: chatbot.name, settings: '{}', knowledge_version: 1, created_at: now, updated_at: now }).execute();
  const sender = createWebhookSender({ allowPrivate: true });
  const deps: WebhookServiceDeps = { db: database.db, secretKey: config.secretKey, allowPrivate: true, sender, schedule: undefined, log: quietLog };
  await createWebhook(deps, customerId, { url, events: ['lead.captured'] });
  await sender.close();
  return { customerId, chatbot };
}

async function queueLead(database: Db, customerId: string, chatbot: { id: string; name: string }, i: number): Promise<string> {
  const { eventId } = await database.db.transaction().execute((trx) => appendEvent(trx, {
    customerId, chatbotId: chatbot.id, conversationId: null, type: 'lead.captured',
    context: { customer: { id: customerId, name: 'Bench Co' }, chatbot, lead: { id: `lead_${i}`, name: `Visitor ${i}`, email: `v${i}@example.com`, phone: '+15125550123', intent: 'request_quote' } },
  }));
  return eventId;
}

async function measureRawUndici(url: string, events: number): Promise<number> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: CONCURRENCY });
  const body = JSON.stringify({ name: 'Visitor', email: 'v@example.com', phone: '+15125550123', chatbot_name: 'Bench Bot', intent: 'request_quote', eventType: 'lead.captured', eventId: 'evt_raw' });
  let next = 0;
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < events) {
      next += 1;
      const response = await pool.request({ path: target.pathname, method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await response.body.dump();
    }
  }));
  const seconds = (performance.now() - startedAt) / 1_000;
  await pool.close();
  return events / seconds;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);
}

async function runOn(kind: 'sqlite' | 'postgres', context: BenchContext): Promise<{ measurements: BenchMeasurement[]; note: string }> {
  const receiver = await startReceiver();
  const scratch = await openScratchDatabase(kind === 'postgres' ? context.postgresUrl : null);
  try {
    const { customerId, chatbot } = await seedCustomer(scratch.database, scratch.config, receiver.url);
    context.log(`delivery (${kind}): raw undici baseline, ${THROUGHPUT_EVENTS} posts`);
    const rawPerSecond = await measureRawUndici(receiver.url, THROUGHPUT_EVENTS);

    context.log(`delivery (${kind}): queueing ${THROUGHPUT_EVENTS} events, then draining them through one worker`);
    for (let i = 0; i < THROUGHPUT_EVENTS; i += 1) await queueLead(scratch.database, customerId, chatbot, i);
    const before = receiver.count();
    // On PostgreSQL the worker gets its own connections, as a `npm run worker` process would: the event
    // writers below must not queue the worker's claims behind them in one pool. SQLite has one writer anyway.
    const workerDatabase = kind === 'postgres' ? openDatabase(scratch.config.database) : scratch.database;
    const worker = createDeliveryWorker({ db: workerDatabase.db, config: scratch.config, log: quietLog, sweepIdleConversations: false });
    const startedAt = performance.now();
    worker.start();
    while (receiver.count() - before < THROUGHPUT_EVENTS) await new Promise((resolve) => setTimeout(resolve, 5));
    const drainSeconds = (performance.now() - startedAt) / 1_000;
    const workerPerSecond = THROUGHPUT_EVENTS / drainSeconds;

    context.log(`delivery (${kind}): event → first attempt latency, ${LATENCY_EVENTS} events written at ${LATENCY_RATE_PER_SECOND}/s`);
    // Events are written on a fixed schedule (several transactions in flight, as from several API
    // requests); latency runs from each event's commit to its arrival at the receiver.
    const queuedAt = new Map<string, number>();
    const writes = new Set<Promise<void>>();
    const writeStartedAt = performance.now();
    let issued = 0;
    while (issued < LATENCY_EVENTS) {
      while (issued < LATENCY_EVENTS && writes.size < LATENCY_MAX_WRITES_IN_FLIGHT && performance.now() >= writeStartedAt + (issued * 1_000) / LATENCY_RATE_PER_SECOND) {
        const write: Promise<void> = queueLead(scratch.database, customerId, chatbot, THROUGHPUT_EVENTS + issued).then((id) => {
          queuedAt.set(id, performance.now());
        }).finally(() => writes.delete(write));
        writes.add(write);
        issued += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all([...writes]);
    const writeRate = LATENCY_EVENTS / ((performance.now() - writeStartedAt) / 1_000);
    const deadline = Date.now() + 10_000;
    while ([...queuedAt.keys()].some((id) => !receiver.arrivals.has(id)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await worker.stop(1_000);
    if (workerDatabase !== scratch.database) await workerDatabase.close();
    const latencies = [...queuedAt].map(([id, at]) => (receiver.arrivals.get(id) ?? Number.NaN) - at).filter(Number.isFinite).sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const attempts = await scratch.database.db.selectFrom('delivery_attempts').select(scratch.database.db.fn.countAll<number | string>().as('n')).executeTakeFirst();
    return {
      measurements: [
        measure(`deliveries/s through the worker (${kind})`, Math.round(workerPerSecond), '/s', { label: 'raw undici Pool.request posts/s', value: Math.round(rawPerSecond) },
          `event → first attempt at ${Math.round(writeRate)} events/s: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (${latencies.length}/${LATENCY_EVENTS} arrived)`),
      ],
      note: `${kind}: ${Number(attempts?.n ?? 0)} attempts logged; raw undici ${Math.round(rawPerSecond)}/s vs worker ${Math.round(workerPerSecond)}/s at concurrency ${CONCURRENCY} per destination`,
    };
  } finally {
    await receiver.close();
    await scratch.dispose();
  }
}

export const deliveryScenario: BenchScenario = {
  name: 'delivery',
  summary: 'webhook deliveries/s through the worker vs raw undici posts, and event → first attempt p50/p99 (SQLite, PostgreSQL when available)',
  isDefault: true,
  async run(context): Promise<BenchOutcome> {
    const measurements: BenchMeasurement[] = [];
    const notes: string[] = [];
    for (const kind of context.postgresUrl ? (['sqlite', 'postgres'] as const) : (['sqlite'] as const)) {
      const result = await runOn(kind, context);
      measurements.push(...result.measurements);
      notes.push(result.note);
    }
    if (!context.postgresUrl) notes.push('PostgreSQL not reachable: measured on SQLite only.');
    return { status: 'measured', measurements, notes };
  },
};
