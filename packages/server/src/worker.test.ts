import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { appendEvent } from './modules/events/events.service.js';
import { endIdleConversations } from './modules/conversations/idle-sweep.service.js';
import { createChatbotFor, createTestApp, IS_POSTGRES, signUpAccount, type TestAccount, type TestContext } from './test/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from './test/webhook-receiver.js';
import { createDeliveryWorker, type DeliveryWorker } from './worker.js';

const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const MAIN_TS = fileURLToPath(new URL('./main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('delivery worker: leases, crashes, several workers, idle sweep', () => {
  let ctx: TestContext;
  let account: TestAccount;
  let chatbot: { id: string; name: string };
  let receiver: WebhookReceiver;
  const workers: DeliveryWorker[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    ctx = await createTestApp({ FC_RETRY_SCHEDULE: '100ms,100ms' });
    account = await signUpAccount(ctx.app);
    chatbot = await createChatbotFor(ctx.app, account, { name: 'Worker Bot' });
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await Promise.all(workers.splice(0).map((w) => w.stop(100)));
    await receiver?.close();
    // Each test subscribes its own receiver; earlier webhooks must not collect the next test's events.
    await ctx.database.db.deleteFrom('webhooks').where('customer_id', '=', account.customerId).execute();
  });
  afterAll(async () => {
    await ctx.close();
  });

  async function createWebhook(): Promise<string> {
    const response = await ctx.app.inject({ method: 'POST', url: '/api/portal/webhooks', headers: account.headers, payload: { url: receiver.url, events: ['message.rated', 'conversation.ended'] } });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ id: string }>().id;
  }

  async function queueEvents(count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const { eventId } = await ctx.database.db.transaction().execute((trx) => appendEvent(trx, {
        customerId: account.customerId, chatbotId: chatbot.id, conversationId: null, type: 'message.rated',
        context: { customer: { id: account.customerId, name: 'Co' }, chatbot, rating: { rating: 'up', comment: `#${i}`, question: 'q', answer: 'a' } },
      }));
      ids.push(eventId);
    }
    return ids;
  }

  async function statuses(webhookId: string): Promise<string[]> {
    const rows = await ctx.database.db.selectFrom('deliveries').select('status').where('webhook_id', '=', webhookId).execute();
    return rows.map((r) => r.status);
  }

  function startWorker(): DeliveryWorker {
    const worker = createDeliveryWorker({ db: ctx.database.db, config: ctx.config, log: quietLog, pollIntervalMs: 20, sweepIdleConversations: false });
    worker.start();
    workers.push(worker);
    return worker;
  }

  it('re-sends what a SIGKILLed worker held once its lease expires, and loses nothing', async () => {
    receiver = await startWebhookReceiver();
    // The first worker's requests hang, as if it died mid-delivery; after the kill the endpoint answers.
    let killed = false;
    receiver.setBehaviour(() => (killed ? { status: 200 } : 'hang'));
    const webhookId = await createWebhook();
    const eventIds = await queueEvents(3);

    const child = spawn(process.execPath, ['--conditions=fc-source', '--import', 'tsx', MAIN_TS, '--role', 'worker'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env, DATABASE_URL: ctx.databaseUrl, FC_SECRET_KEY: ctx.config.secretKey.toString('hex'), FC_DATA_DIR: ctx.config.dataDir,
        FC_DELIVERY_LEASE_SECONDS: '2', FC_ALLOW_PRIVATE_WEBHOOK_TARGETS: 'true', FC_SEED_DEMO: 'false', LOG_LEVEL: 'silent', FC_RETRY_SCHEDULE: '100ms',
      },
      stdio: 'ignore',
    });
    children.push(child);
    await receiver.waitFor(3, 20_000);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    killed = true;
    const leased = await ctx.database.db.selectFrom('deliveries').select(['lease_owner', 'status']).where('webhook_id', '=', webhookId).execute();
    expect(leased.every((d) => d.lease_owner !== null && d.status === 'pending')).toBe(true);

    startWorker();
    await waitUntil(async () => (await statuses(webhookId)).every((s) => s === 'succeeded'), 15_000, 'deliveries to succeed after the crash');
    // At-least-once: every event arrived at least once after the crash, with the same ids as before it.
    const after = receiver.received.slice(3);
    expect(new Set(after.map((r) => (JSON.parse(r.body) as { eventId: string }).eventId))).toEqual(new Set(eventIds));
    const firstIds = new Set(receiver.received.slice(0, 3).map((r) => r.headers['webhook-id']));
    expect(new Set(after.map((r) => r.headers['webhook-id']))).toEqual(firstIds);
  });

  it('lets several workers drain one queue without sending a delivery twice', async () => {
    receiver = await startWebhookReceiver();
    const webhookId = await createWebhook();
    const eventIds = await queueEvents(40);
    startWorker();
    startWorker();
    if (IS_POSTGRES) startWorker();
    await waitUntil(async () => (await statuses(webhookId)).every((s) => s === 'succeeded'), 20_000, 'all deliveries');
    const received = receiver.received.map((r) => (JSON.parse(r.body) as { eventId: string }).eventId);
    expect(received.sort()).toEqual([...eventIds].sort());
    const attempts = await ctx.database.db.selectFrom('delivery_attempts').select('delivery_id').where('customer_id', '=', account.customerId).execute();
    expect(new Set(attempts.map((a) => a.delivery_id)).size).toBe(attempts.length);
  });

  it('ends an idle conversation exactly once, however many sweepers race, and delivers conversation.ended with the transcript', async () => {
    receiver = await startWebhookReceiver();
    await createWebhook();
    const started = (await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId: chatbot.id, visitorId: 'idle-visitor', message: 'hello there' } })).json<{ conversationId: string }>();
    await ctx.database.db.updateTable('conversations').set({ idle_deadline_at: new Date(Date.now() - 1_000).toISOString() }).where('id', '=', started.conversationId).execute();

    const results = await Promise.all([0, 1, 2, 3].map(() => endIdleConversations(ctx.database.db, new Date().toISOString())));
    expect(results.reduce((a, b) => a + b, 0)).toBe(1);
    const ended = await ctx.database.db.selectFrom('events').select('payload').where('type', '=', 'conversation.ended').where('conversation_id', '=', started.conversationId).execute();
    expect(ended).toHaveLength(1);

    startWorker();
    const [request] = await receiver.waitFor(1);
    const body = JSON.parse(request!.body) as Record<string, unknown>;
    expect(body).toMatchObject({ eventType: 'conversation.ended', chatbot_name: 'Worker Bot', message_count: 2, conversationId: started.conversationId });
    expect(String(body.transcript)).toMatch(/^Visitor: hello there\nBot: /);
    const conversation = (await ctx.app.inject({ method: 'GET', url: `/api/portal/conversations/${started.conversationId}`, headers: account.headers })).json<{ endedAt: string | null }>();
    expect(conversation.endedAt).not.toBeNull();
  });

  it('never ends a conversation that is waiting for or held by a person', async () => {
    receiver = await startWebhookReceiver();
    const started = (await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId: chatbot.id, visitorId: 'held-visitor', message: 'hello there' } })).json<{ conversationId: string }>();
    const past = new Date(Date.now() - 1_000).toISOString();
    for (const state of ['waiting_for_human', 'human'] as const) {
      await ctx.database.db.updateTable('conversations').set({ idle_deadline_at: past, handoff_state: state }).where('id', '=', started.conversationId).execute();
      expect(await endIdleConversations(ctx.database.db, new Date().toISOString())).toBe(0);
    }
    await ctx.database.db.updateTable('conversations').set({ handoff_state: 'resolved' }).where('id', '=', started.conversationId).execute();
    expect(await endIdleConversations(ctx.database.db, new Date().toISOString())).toBe(1);
  });

  it('reports the undelivered backlog on /api/health', async () => {
    receiver = await startWebhookReceiver();
    const webhookId = await createWebhook();
    await queueEvents(2);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const before = (await ctx.app.inject({ method: 'GET', url: '/api/health' })).json<{ checks: { deliveryBacklog: number } }>();
    expect(before.checks.deliveryBacklog).toBeGreaterThanOrEqual(2);
    startWorker();
    await waitUntil(async () => (await statuses(webhookId)).every((s) => s === 'succeeded'), 10_000, 'deliveries');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const after = (await ctx.app.inject({ method: 'GET', url: '/api/health' })).json<{ checks: { deliveryBacklog: number } }>();
    expect(after.checks.deliveryBacklog).toBe(0);
  });
});
