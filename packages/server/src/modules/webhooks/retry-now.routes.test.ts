import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/webhook-receiver.js';
import { createDeliveryWorker, type DeliveryWorker } from '../../worker.js';

const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const HOUR_MS = 3_600_000;

interface DeliveryItem { id: string; status: string; attempts: number; nextAttemptAt: string | null; createdAt: string }

describe('deliveries still retrying: retry now, retry all pending now, recover', () => {
  let ctx: TestContext;
  let account: TestAccount;
  let chatbotId: string;
  let receiver: WebhookReceiver;
  let worker: DeliveryWorker;
  let visitor = 0;

  beforeAll(async () => {
    // After a failure the next attempt is an hour away: only "retry now" (or recover) can bring it forward.
    ctx = await createTestApp({ FC_RETRY_SCHEDULE: '1h,1h,1h' });
    account = await signUpAccount(ctx.app);
    chatbotId = (await createChatbotFor(ctx.app, account, { name: 'Bakery Bot' })).id;
  });
  afterAll(async () => {
    await ctx.close();
  });
  beforeEach(async () => {
    receiver = await startWebhookReceiver();
    worker = createDeliveryWorker({ db: ctx.database.db, config: ctx.config, log: quietLog, pollIntervalMs: 20, sweepIdleConversations: false });
    worker.start();
  });
  afterEach(async () => {
    await worker.stop(100);
    await receiver.close();
  });

  async function createWebhook(): Promise<string> {
    const response = await ctx.app.inject({ method: 'POST', url: '/api/portal/webhooks', headers: account.headers, payload: { url: receiver.url, events: ['conversation.started'] } });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ id: string }>().id;
  }

  async function startConversation(): Promise<void> {
    visitor += 1;
    const response = await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId, visitorId: `retry-visitor-${visitor}`, message: 'hello' } });
    expect(response.statusCode).toBe(200);
  }

  async function deliveriesOf(webhookId: string): Promise<DeliveryItem[]> {
    return (await ctx.app.inject({ method: 'GET', url: `/api/portal/webhooks/${webhookId}/deliveries`, headers: account.headers })).json<{ items: DeliveryItem[] }>().items;
  }

  async function waitForAll(webhookId: string, count: number, predicate: (d: DeliveryItem) => boolean): Promise<DeliveryItem[]> {
    for (let i = 0; i < 200; i += 1) {
      const items = await deliveriesOf(webhookId);
      if (items.length === count && items.every(predicate)) return items;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`deliveries never matched: ${JSON.stringify(await deliveriesOf(webhookId))}`);
  }

  it('sends a retrying delivery at once on "Retry now", keeping its id and attempt count; Re-send points there', async () => {
    const webhookId = await createWebhook();
    receiver.setBehaviour(() => ({ status: 503 }));
    await startConversation();
    const [retrying] = await waitForAll(webhookId, 1, (d) => d.status === 'retrying' && d.attempts === 1);
    expect(Date.parse(retrying!.nextAttemptAt ?? '') - Date.now()).toBeGreaterThan(HOUR_MS / 2);

    const resend = await ctx.app.inject({ method: 'POST', url: `/api/portal/deliveries/${retrying!.id}/resend`, headers: account.headers });
    expect(resend.statusCode).toBe(409);
    expect(resend.json<{ detail: string }>().detail).toMatch(/Retry now/);

    receiver.setBehaviour(() => ({ status: 200 }));
    const now = await ctx.app.inject({ method: 'POST', url: `/api/portal/deliveries/${retrying!.id}/retry-now`, headers: account.headers });
    expect(now.statusCode, now.body).toBe(202);
    expect(now.json()).toMatchObject({ id: retrying!.id, status: 'retrying', attempts: 1 });
    const [done] = await waitForAll(webhookId, 1, (d) => d.status === 'succeeded');
    expect(done).toMatchObject({ id: retrying!.id, attempts: 2 });
    expect(receiver.received.map((r) => String(r.headers['webhook-id']))).toEqual([retrying!.id, retrying!.id]);

    const finished = await ctx.app.inject({ method: 'POST', url: `/api/portal/deliveries/${retrying!.id}/retry-now`, headers: account.headers });
    expect(finished.statusCode).toBe(409);
    expect(finished.json<{ detail: string }>().detail).toMatch(/Re-send/);
  });

  it('never hands a delivery a worker is sending to another: a live lease is left alone and reported as in flight', async () => {
    const webhookId = await createWebhook();
    receiver.setBehaviour(() => ({ status: 503 }));
    await startConversation();
    await startConversation();
    const items = await waitForAll(webhookId, 2, (d) => d.status === 'retrying' && d.attempts === 1);
    const [held, free] = items as [DeliveryItem, DeliveryItem];
    // Another worker holds one of them right now (claimed, request in flight).
    const leaseUntil = new Date(Date.now() + HOUR_MS).toISOString();
    await ctx.database.db.updateTable('deliveries').set({ lease_owner: 'other-worker', lease_expires_at: leaseUntil }).where('id', '=', held.id).execute();
    const before = await ctx.database.db.selectFrom('deliveries').selectAll().where('id', '=', held.id).executeTakeFirstOrThrow();

    const one = await ctx.app.inject({ method: 'POST', url: `/api/portal/deliveries/${held.id}/retry-now`, headers: account.headers });
    expect(one.statusCode).toBe(409);
    expect(one.json<{ detail: string }>().detail).toMatch(/being sent right now/);

    receiver.setBehaviour(() => ({ status: 200 }));
    const all = await ctx.app.inject({ method: 'POST', url: `/api/portal/webhooks/${webhookId}/retry-now`, headers: account.headers });
    expect(all.statusCode).toBe(200);
    expect(all.json()).toEqual({ scheduled: 1, inFlight: 1 });
    await waitForAll(webhookId, 2, (d) => (d.id === free.id ? d.status === 'succeeded' : d.status === 'retrying'));
    const after = await ctx.database.db.selectFrom('deliveries').selectAll().where('id', '=', held.id).executeTakeFirstOrThrow();
    expect(after).toMatchObject({ lease_owner: 'other-worker', lease_expires_at: before.lease_expires_at, next_attempt_at: before.next_attempt_at, attempts: 1 });
    expect(receiver.received.filter((r) => String(r.headers['webhook-id']) === held.id)).toHaveLength(1);

    // Once that worker's lease has run out (it died), the delivery may go again.
    await ctx.database.db.updateTable('deliveries').set({ lease_expires_at: new Date(Date.now() - 1000).toISOString() }).where('id', '=', held.id).execute();
    const retried = await ctx.app.inject({ method: 'POST', url: `/api/portal/deliveries/${held.id}/retry-now`, headers: account.headers });
    expect(retried.statusCode).toBe(202);
    await waitForAll(webhookId, 2, (d) => d.status === 'succeeded');
  });

  it('recover includes deliveries still retrying, and says when it found nothing', async () => {
    const webhookId = await createWebhook();
    const since = new Date(Date.now() - 1000).toISOString();
    receiver.setBehaviour(() => ({ status: 500 }));
    await startConversation();
    await waitForAll(webhookId, 1, (d) => d.status === 'retrying');
    receiver.setBehaviour(() => ({ status: 200 }));
    const recovered = await ctx.app.inject({ method: 'POST', url: `/api/portal/webhooks/${webhookId}/recover`, headers: account.headers, payload: { since } });
    expect(recovered.json()).toEqual({ requeued: 1, failed: 0, retrying: 1, inFlight: 0 });
    await waitForAll(webhookId, 1, (d) => d.status === 'succeeded' && d.attempts === 2);
    const nothing = await ctx.app.inject({ method: 'POST', url: `/api/portal/webhooks/${webhookId}/recover`, headers: account.headers, payload: { since } });
    expect(nothing.json()).toEqual({ requeued: 0, failed: 0, retrying: 0, inFlight: 0 });
  });
});
