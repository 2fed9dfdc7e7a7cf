import type { Kysely } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../../test/webhook-receiver.js';
import { createDeliveryWorker, type DeliveryWorker } from '../../worker.js';
import { createWebhookSender } from '../delivery/index.js';
import { WEBHOOK_PRESETS } from './presets.js';
import { validateMappings } from '../delivery/index.js';
import * as maskLoggedHeaderValues from '../../db/migrations/2026-12-03-21-mask-logged-header-values.js';

const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('webhooks: configuration, delivery, retries, log and replay', () => {
  let ctx: TestContext;
  let account: TestAccount;
  let chatbotId: string;
  let receiver: WebhookReceiver;
  let worker: DeliveryWorker;

  beforeAll(async () => {
    // Retries every 50 ms so a three-attempt series takes a moment, not a day.
    ctx = await createTestApp({ FC_RETRY_SCHEDULE: '50ms,50ms,50ms' });
    account = await signUpAccount(ctx.app);
    chatbotId = (await createChatbotFor(ctx.app, account, { name: 'Acme Bot', settings: { leadCapture: { enabled: true, fields: ['name', 'email', 'phone'], requiredFields: ['name', 'phone'], intents: ['request_quote', 'book_appointment'] } } })).id;
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

  async function createWebhook(body: Record<string, unknown>, who: TestAccount = account) {
    const response = await ctx.app.inject({ method: 'POST', url: '/api/portal/webhooks', headers: who.headers, payload: { url: receiver.url, events: ['lead.captured'], ...body } });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ id: string; secret: string; mappings: Record<string, unknown> }>();
  }

  async function captureLead(visitorId: string): Promise<string> {
    const chat = (payload: Record<string, unknown>) => ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId, visitorId, ...payload } });
    const first = (await chat({ message: 'Can I get a quote for a new water heater?' })).json<{ conversationId: string; conversationToken: string }>();
    const next = (message: string) => chat({ message, conversationId: first.conversationId, conversationToken: first.conversationToken });
    await next('Jane Smith');
    await next('jane@example.com');
    const last = (await next('my phone is (512) 555-0123')).json<{ lead?: { captured: boolean } }>();
    expect(last.lead?.captured).toBe(true);
    return first.conversationId;
  }

  async function deliveriesOf(webhookId: string) {
    const response = await ctx.app.inject({ method: 'GET', url: `/api/portal/webhooks/${webhookId}/deliveries`, headers: account.headers });
    expect(response.statusCode).toBe(200);
    return response.json<{ items: { id: string; status: string; attempts: number; eventId: string; lastStatusCode: number | null }[] }>().items;
  }

  async function waitForDelivery(webhookId: string, predicate: (d: { status: string; attempts: number }) => boolean) {
    for (let i = 0; i < 200; i += 1) {
      const items = await deliveriesOf(webhookId);
      if (items[0] && predicate(items[0])) return items[0];
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`delivery never matched: ${JSON.stringify(await deliveriesOf(webhookId))}`);
  }

  function headerOf(request: ReceivedRequest, name: string): string {
    return String(request.headers[name] ?? '');
  }

  it('delivers a captured lead with the product page keys, the envelope and a Standard Webhooks signature', async () => {
    const webhook = await createWebhook({});
    expect(webhook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const conversationId = await captureLead('wh-visitor-1');
    const [request] = await receiver.waitFor(1);
    const body = JSON.parse(request!.body) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['name', 'email', 'phone', 'chatbot_name', 'intent', 'eventType', 'eventTimestamp', 'eventId', 'customerId', 'chatbotId', 'conversationId']);
    expect(body).toMatchObject({ name: 'Jane Smith', email: 'jane@example.com', phone: '+15125550123', chatbot_name: 'Acme Bot', eventType: 'lead.captured', customerId: account.customerId, chatbotId, conversationId });
    expect(body.eventTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(headerOf(request!, 'content-type')).toBe('application/json');
    expect(headerOf(request!, 'x-fc-event')).toBe('lead.captured');
    expect(headerOf(request!, 'x-fc-delivery')).toMatch(/^dlv_/);
    expect(headerOf(request!, 'webhook-id')).toBe(headerOf(request!, 'x-fc-delivery'));
    expect(headerOf(request!, 'x-fc-signature')).toBe(headerOf(request!, 'webhook-signature'));
    // Any Standard Webhooks library verifies it with the secret shown at creation.
    expect(new Webhook(webhook.secret).verify(request!.body, request!.headers as Record<string, string>)).toMatchObject({ eventId: body.eventId });
    const delivered = await waitForDelivery(webhook.id, (d) => d.status === 'succeeded');
    expect(delivered).toMatchObject({ attempts: 1, lastStatusCode: 200, eventId: body.eventId });
  });

  it('delivers lead.updated with the same keys as lead.captured when a captured lead changes', async () => {
    const webhook = await createWebhook({ events: ['lead.captured', 'lead.updated'] });
    expect(Object.keys(webhook.mappings['lead.updated'] as object)).toEqual(['name', 'email', 'phone', 'chatbot_name', 'intent']);
    const visitorId = 'wh-visitor-updated';
    const chat = (payload: Record<string, unknown>) => ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId, visitorId, ...payload } });
    const first = (await chat({ message: 'Can I get a quote for a new water heater?' })).json<{ conversationId: string; conversationToken: string }>();
    const next = (message: string) => chat({ message, conversationId: first.conversationId, conversationToken: first.conversationToken });
    await next('Jane Smith');
    await next('jane@example.com');
    await next('my phone is (512) 555-0123');
    await next('sorry, wrong number: it is (512) 555-0999');
    const requests = await receiver.waitFor(2);
    const bodies = requests.map((request) => JSON.parse(request.body) as Record<string, unknown>);
    expect(requests.map((request) => headerOf(request, 'x-fc-event'))).toEqual(['lead.captured', 'lead.updated']);
    expect(Object.keys(bodies[1]!)).toEqual(Object.keys(bodies[0]!));
    expect(bodies[0]).toMatchObject({ name: 'Jane Smith', email: 'jane@example.com', phone: '+15125550123', eventType: 'lead.captured', conversationId: first.conversationId });
    expect(bodies[1]).toMatchObject({ name: 'Jane Smith', email: 'jane@example.com', phone: '+15125550999', eventType: 'lead.updated', conversationId: first.conversationId });
    expect(bodies[1]!.eventId).not.toBe(bodies[0]!.eventId);
    const leads = await ctx.app.inject({ method: 'GET', url: `/api/portal/leads?conversationId=${first.conversationId}`, headers: account.headers });
    expect(leads.json().items).toEqual([expect.objectContaining({ name: 'Jane Smith', email: 'jane@example.com', phone: '+15125550999' })]);
  });

  it('retries 500, 500 then succeeds, with the same ids on every attempt and each attempt logged', async () => {
    const webhook = await createWebhook({});
    receiver.setBehaviour((_request, index) => (index < 2 ? { status: 500, body: 'database down' } : { status: 204 }));
    await captureLead('wh-visitor-2');
    const requests = await receiver.waitFor(3);
    expect(new Set(requests.map((r) => headerOf(r, 'webhook-id'))).size).toBe(1);
    expect(new Set(requests.map((r) => (JSON.parse(r.body) as { eventId: string }).eventId)).size).toBe(1);
    const delivery = await waitForDelivery(webhook.id, (d) => d.status === 'succeeded');
    expect(delivery.attempts).toBe(3);
    const detail = (await ctx.app.inject({ method: 'GET', url: `/api/portal/deliveries/${delivery.id}`, headers: account.headers })).json<{ attempts: { statusCode: number; outcome: string; responseExcerpt: string | null; latencyMs: number }[]; requestBody: string }>();
    expect(detail.attempts.map((a) => a.statusCode)).toEqual([500, 500, 204]);
    expect(detail.attempts[0]).toMatchObject({ outcome: 'retry', responseExcerpt: 'database down' });
    expect(JSON.parse(detail.requestBody)).toMatchObject({ name: 'Jane Smith', eventType: 'lead.captured' });
  });

  it('gives up after the schedule, then re-sends on request and recovers failed deliveries since a time', async () => {
    const webhook = await createWebhook({});
    receiver.setBehaviour(() => ({ status: 503 }));
    const since = new Date().toISOString();
    await captureLead('wh-visitor-3');
    const failed = await waitForDelivery(webhook.id, (d) => d.status === 'failed');
    expect(failed.attempts).toBe(4);
    const health = (await ctx.app.inject({ method: 'GET', url: `/api/portal/webhooks/${webhook.id}`, headers: account.headers })).json<{ health: { failingSince: string | null } }>();
    expect(health.health.failingSince).not.toBeNull();

    receiver.setBehaviour(() => ({ status: 200 }));
    const resent = await ctx.app.inject({ method: 'POST', url: `/api/portal/deliveries/${failed.id}/resend`, headers: account.headers });
    expect(resent.statusCode).toBe(202);
    const after = await waitForDelivery(webhook.id, (d) => d.status === 'succeeded');
    expect(after).toMatchObject({ id: failed.id, attempts: 5 });
    const ids = receiver.received.map((r) => headerOf(r, 'webhook-id'));
    expect(new Set(ids)).toEqual(new Set([failed.id]));
    const healed = (await ctx.app.inject({ method: 'GET', url: `/api/portal/webhooks/${webhook.id}`, headers: account.headers })).json<{ health: { failingSince: string | null; lastSuccessAt: string | null } }>();
    expect(healed.health).toMatchObject({ failingSince: null, lastSuccessAt: expect.any(String) });

    // A queued delivery cannot be re-sent twice over; a finished one can be recovered in bulk.
    receiver.setBehaviour(() => ({ status: 500 }));
    await captureLead('wh-visitor-3b');
    await waitForDelivery(webhook.id, (d) => d.status === 'failed');
    receiver.setBehaviour(() => ({ status: 200 }));
    const recovered = await ctx.app.inject({ method: 'POST', url: `/api/portal/webhooks/${webhook.id}/recover`, headers: account.headers, payload: { since } });
    expect(recovered.json()).toEqual({ requeued: 1, failed: 1, retrying: 0, inFlight: 0 });
    await waitForDelivery(webhook.id, (d) => d.status === 'succeeded');
  });

  it('disables the webhook on 410 Gone and says why', async () => {
    const webhook = await createWebhook({});
    receiver.setBehaviour(() => ({ status: 410 }));
    await captureLead('wh-visitor-4');
    await waitForDelivery(webhook.id, (d) => d.status === 'failed');
    const view = (await ctx.app.inject({ method: 'GET', url: `/api/portal/webhooks/${webhook.id}`, headers: account.headers })).json<{ enabled: boolean; disabledReason: string }>();
    expect(view.enabled).toBe(false);
    expect(view.disabledReason).toMatch(/410/);
    // Disabled: later events do not queue for it until the customer re-enables it.
    await captureLead('wh-visitor-4b');
    expect(await deliveriesOf(webhook.id)).toHaveLength(1);
    const enabled = await ctx.app.inject({ method: 'PATCH', url: `/api/portal/webhooks/${webhook.id}`, headers: account.headers, payload: { enabled: true } });
    expect(enabled.json()).toMatchObject({ enabled: true, disabledReason: null });
  });

  it('disables a webhook that has done nothing but fail for five days, and says why', async () => {
    const webhook = await createWebhook({});
    const sixDaysAgo = new Date(Date.now() - 6 * 24 * 3_600_000).toISOString();
    await ctx.database.db.updateTable('webhooks').set({ failing_since: sixDaysAgo, last_failure_at: sixDaysAgo }).where('id', '=', webhook.id).execute();
    receiver.setBehaviour(() => ({ status: 502 }));
    await captureLead('wh-visitor-5days');
    await receiver.waitFor(1);
    for (let i = 0; i < 100; i += 1) {
      const view = (await ctx.app.inject({ method: 'GET', url: `/api/portal/webhooks/${webhook.id}`, headers: account.headers })).json<{ enabled: boolean; disabledReason: string | null }>();
      if (!view.enabled) {
        expect(view.disabledReason).toMatch(/five days/);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('the webhook was not disabled');
  });

  it('shared-secret mode sends the secret verbatim and still signs Standard Webhooks headers; rotation signs with both secrets for a day', async () => {
    const typed = 'my-zapier-shared-secret-123';
    const webhook = await createWebhook({ signingMode: 'shared-secret', secret: typed });
    expect(webhook.secret).toBe(typed);
    await captureLead('wh-visitor-5');
    const [first] = await receiver.waitFor(1);
    expect(headerOf(first!, 'x-fc-signature')).toBe(typed);
    expect(() => new Webhook(typed, { format: 'raw' }).verify(first!.body, first!.headers as Record<string, string>)).not.toThrow();

    const rotated = (await ctx.app.inject({ method: 'POST', url: `/api/portal/webhooks/${webhook.id}/rotate-secret`, headers: account.headers, payload: {} })).json<{ secret: string; previousSecretExpiresAt: string }>();
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(Date.parse(rotated.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    await ctx.app.inject({ method: 'PATCH', url: `/api/portal/webhooks/${webhook.id}`, headers: account.headers, payload: { signingMode: 'hmac-sha256' } });
    await captureLead('wh-visitor-5b');
    const [, second] = await receiver.waitFor(2);
    expect(headerOf(second!, 'webhook-signature').split(' ')).toHaveLength(2);
    expect(() => new Webhook(rotated.secret).verify(second!.body, second!.headers as Record<string, string>)).not.toThrow();
    expect(() => new Webhook(typed, { format: 'raw' }).verify(second!.body, second!.headers as Record<string, string>)).not.toThrow();
  });

  it('applies field mappings, custom headers and form bodies', async () => {
    const webhook = await createWebhook({
      bodyFormat: 'form',
      headers: { 'X-Api-Token': 'crm-token-abc123' },
      mappings: { 'lead.captured': { email: 'lead.email', summary: '{{lead.name}} wants a quote via {{chatbot.name}}', source: { const: 'website' } } },
    });
    await captureLead('wh-visitor-6');
    const [request] = await receiver.waitFor(1);
    expect(headerOf(request!, 'content-type')).toBe('application/x-www-form-urlencoded');
    expect(headerOf(request!, 'x-api-token')).toBe('crm-token-abc123');
    const form = Object.fromEntries(new URLSearchParams(request!.body));
    expect(form).toMatchObject({ email: 'jane@example.com', summary: 'Jane Smith wants a quote via Acme Bot', source: 'website', eventType: 'lead.captured' });
    const view = (await ctx.app.inject({ method: 'GET', url: `/api/portal/webhooks/${webhook.id}`, headers: account.headers })).json<{ headers: Record<string, string> }>();
    expect(view.headers['X-Api-Token']).not.toContain('abc123');
    const delivery = (await waitForDelivery(webhook.id, (d) => d.status === 'succeeded'));
    const detail = (await ctx.app.inject({ method: 'GET', url: `/api/portal/deliveries/${delivery.id}`, headers: account.headers })).body;
    expect(detail).not.toContain('crm-token-abc123');
  });

  it('masks every custom header value in the delivery log and in the stored attempts, whatever its name', async () => {
    // None of these names looks like a credential, yet CRMs put account ids and tokens in such headers.
    const custom = { 'X-Client-Id': 'acme-client-7731', 'X-Hub': 'portal-88231', 'User-Agent': 'AcmeRelay/2.0' };
    const webhook = await createWebhook({ headers: custom });
    const sent = await ctx.app.inject({ method: 'POST', url: `/api/portal/webhooks/${webhook.id}/test`, headers: account.headers });
    expect(sent.json()).toMatchObject({ status: 'succeeded' });
    const [request] = await receiver.waitFor(1);
    expect(headerOf(request!, 'x-client-id')).toBe('acme-client-7731');

    const { deliveryId } = sent.json<{ deliveryId: string }>();
    const detailOf = async () => (await ctx.app.inject({ method: 'GET', url: `/api/portal/deliveries/${deliveryId}`, headers: account.headers }));
    const detail = await detailOf();
    const [attempt] = detail.json<{ attempts: { requestHeaders: Record<string, string> }[] }>().attempts;
    expect(attempt!.requestHeaders).toMatchObject({ 'X-Client-Id': '[redacted]', 'X-Hub': '[redacted]', 'User-Agent': '[redacted]', 'X-FC-Event': 'webhook.test', 'X-FC-Delivery': deliveryId });
    for (const value of Object.values(custom)) expect(detail.body).not.toContain(value);
    const stored = await ctx.database.db.selectFrom('delivery_attempts').select('request_headers').where('delivery_id', '=', deliveryId).execute();
    expect(stored).toHaveLength(1);
    for (const value of Object.values(custom)) expect(stored[0]!.request_headers).not.toContain(value);

    // An attempt logged before this rule (raw values in the table) is masked when it is read.
    await ctx.database.db.updateTable('delivery_attempts').set({ request_headers: JSON.stringify({ 'X-Client-Id': 'acme-client-7731', 'X-FC-Event': 'webhook.test' }) })
      .where('delivery_id', '=', deliveryId).execute();
    const old = await detailOf();
    expect(old.json<{ attempts: { requestHeaders: Record<string, string> }[] }>().attempts[0]!.requestHeaders).toEqual({ 'X-Client-Id': '[redacted]', 'X-FC-Event': 'webhook.test' });
    // …and the 2026-12-03 migration masks such rows in the table itself (running it again changes nothing).
    await maskLoggedHeaderValues.up(ctx.database.db as unknown as Kysely<unknown>);
    await maskLoggedHeaderValues.up(ctx.database.db as unknown as Kysely<unknown>);
    const scrubbed = await ctx.database.db.selectFrom('delivery_attempts').select('request_headers').where('delivery_id', '=', deliveryId).executeTakeFirstOrThrow();
    expect(JSON.parse(scrubbed.request_headers)).toEqual({ 'X-Client-Id': '[redacted]', 'X-FC-Event': 'webhook.test' });
    await ctx.app.inject({ method: 'DELETE', url: `/api/portal/webhooks/${webhook.id}`, headers: account.headers });
  });

  it('refuses header values outside visible ASCII and names that are not tokens when saved, and changes nothing', async () => {
    const webhook = await createWebhook({ headers: { 'X-Account': 'acme' } });
    const countWebhooks = async () => Number((await ctx.database.db.selectFrom('webhooks').select((eb) => eb.fn.countAll().as('n')).where('customer_id', '=', account.customerId).executeTakeFirstOrThrow()).n);
    const before = await countWebhooks();
    const refused = [
      [{ 'X-Name': 'Zoë' }, 'headers["X-Name"]'],
      [{ 'X-Emoji': 'ok 👍' }, 'headers["X-Emoji"]'],
      [{ 'X-Nbsp': 'a\u00a0b' }, 'headers["X-Nbsp"]'],
      [{ 'X-Del': 'a\u007fb' }, 'headers["X-Del"]'],
      [{ 'X(Bad)': 'x' }, 'headers["X(Bad)"]'],
      [{ 'X-Ümlaut': 'x' }, 'headers["X-Ümlaut"]'],
    ] as const;
    for (const [headers, field] of refused) {
      const created = await ctx.app.inject({ method: 'POST', url: '/api/portal/webhooks', headers: account.headers, payload: { url: receiver.url, events: ['lead.captured'], headers } });
      expect(created.statusCode, JSON.stringify(headers)).toBe(400);
      expect(created.headers['content-type']).toContain('application/problem+json');
      expect(created.json()).toMatchObject({ code: 'validation_failed', errors: [{ field }] });
      const patched = await ctx.app.inject({ method: 'PATCH', url: `/api/portal/webhooks/${webhook.id}`, headers: account.headers, payload: { headers } });
      expect(patched.statusCode, JSON.stringify(headers)).toBe(400);
      expect(patched.json()).toMatchObject({ code: 'validation_failed', errors: [{ field }] });
    }
    const view = (await ctx.app.inject({ method: 'GET', url: `/api/portal/webhooks/${webhook.id}`, headers: account.headers })).json<{ headers: Record<string, string> }>();
    expect(Object.keys(view.headers)).toEqual(['X-Account']);
    expect(await countWebhooks()).toBe(before);
    await ctx.app.inject({ method: 'DELETE', url: `/api/portal/webhooks/${webhook.id}`, headers: account.headers });
  });

  it('hints at a secret with at most its last four characters', async () => {
    const typed = await createWebhook({ secret: 'my-shared-secret-value-1234' });
    const view = (await ctx.app.inject({ method: 'GET', url: `/api/portal/webhooks/${typed.id}`, headers: account.headers })).json<{ secretHint: string }>();
    expect(view.secretHint).toBe('…1234');
    await ctx.app.inject({ method: 'DELETE', url: `/api/portal/webhooks/${typed.id}`, headers: account.headers });
  });

  it('answers a date that does not exist with a 400 problem, not a server error', async () => {
    const webhook = await createWebhook({});
    for (const since of ['9999-99-99', '2026-02-30T25:61']) {
      const response = await ctx.app.inject({ method: 'GET', url: `/api/portal/webhooks/${webhook.id}/deliveries?since=${since}`, headers: account.headers });
      expect(response.statusCode, since).toBe(400);
      expect(response.json()).toMatchObject({ status: 400, code: 'validation_failed' });
    }
    await ctx.app.inject({ method: 'DELETE', url: `/api/portal/webhooks/${webhook.id}`, headers: account.headers });
  });

  it('drops stored custom headers when only the URL host changes, and keeps them on the same host', async () => {
    const webhook = await createWebhook({ headers: { Authorization: 'Bearer crm-secret-token' } });
    const view = async () => (await ctx.app.inject({ method: 'GET', url: `/api/portal/webhooks/${webhook.id}`, headers: account.headers })).json<{ url: string; headers: Record<string, string> }>();
    const original = new URL((await view()).url);
    await ctx.app.inject({ method: 'PATCH', url: `/api/portal/webhooks/${webhook.id}`, headers: account.headers, payload: { url: `${original.origin}/other-path` } });
    expect(Object.keys((await view()).headers)).toEqual(['Authorization']);
    const moved = `http://localhost:${original.port}/elsewhere`;
    const response = await ctx.app.inject({ method: 'PATCH', url: `/api/portal/webhooks/${webhook.id}`, headers: account.headers, payload: { url: moved } });
    expect(response.statusCode).toBe(200);
    expect((await view()).headers).toEqual({});
    await ctx.app.inject({ method: 'PATCH', url: `/api/portal/webhooks/${webhook.id}`, headers: account.headers, payload: { url: `${original.origin}/hook`, headers: { Authorization: 'Bearer typed-again' } } });
    expect(Object.keys((await view()).headers)).toEqual(['Authorization']);
    await ctx.app.inject({ method: 'DELETE', url: `/api/portal/webhooks/${webhook.id}`, headers: account.headers });
  });

  it('"Send test" delivers a webhook.test now and reports the result inline', async () => {
    const webhook = await createWebhook({});
    const ok = await ctx.app.inject({ method: 'POST', url: `/api/portal/webhooks/${webhook.id}/test`, headers: account.headers });
    expect(ok.json()).toMatchObject({ status: 'succeeded', statusCode: 200, deliveryId: expect.stringMatching(/^dlv_/) });
    const [request] = await receiver.waitFor(1);
    expect(headerOf(request!, 'x-fc-event')).toBe('webhook.test');
    receiver.setBehaviour(() => ({ status: 401, body: 'bad token' }));
    const bad = (await ctx.app.inject({ method: 'POST', url: `/api/portal/webhooks/${webhook.id}/test`, headers: account.headers })).json();
    expect(bad).toMatchObject({ status: 'failed', statusCode: 401, responseExcerpt: 'bad token' });
    expect(receiver.received).toHaveLength(2);
  });

  it('previews the payload from the latest real event, or from a sample', async () => {
    const sample = (await ctx.app.inject({ method: 'POST', url: '/api/portal/webhooks/preview', headers: account.headers, payload: { eventType: 'escalation.resolved' } })).json();
    expect(sample.fromEventId).toBeNull();
    expect(Object.keys(sample.payload)).toEqual(expect.arrayContaining(['name', 'email', 'phone', 'chatbot_name', 'reason', 'last_message', 'eventId']));
    await captureLead('wh-visitor-7');
    const real = (await ctx.app.inject({ method: 'POST', url: '/api/portal/webhooks/preview', headers: account.headers, payload: { eventType: 'lead.captured', mappings: { '*': { who: '{{lead.name | upper}}' } } } })).json();
    expect(real.fromEventId).toMatch(/^evt_/);
    expect(real.payload).toMatchObject({ who: 'JANE SMITH', eventType: 'lead.captured' });
  });

  it('keeps other destinations flowing while one endpoint hangs', async () => {
    await worker.stop(100);
    worker = createDeliveryWorker({
      db: ctx.database.db, config: ctx.config, log: quietLog, pollIntervalMs: 20, sweepIdleConversations: false,
      sender: createWebhookSender({ allowPrivate: true, timeoutMs: 1_500 }),
    });
    worker.start();
    const slowReceiver = await startWebhookReceiver();
    slowReceiver.setBehaviour(() => 'hang');
    try {
      const slow = await createWebhook({ url: slowReceiver.url });
      const fast = await createWebhook({});
      for (let i = 0; i < 3; i += 1) await captureLead(`wh-visitor-8-${i}`);
      await receiver.waitFor(3, 3_000);
      for (let i = 0; i < 100 && !(await deliveriesOf(fast.id)).every((d) => d.status === 'succeeded'); i += 1) await new Promise((r) => setTimeout(r, 20));
      const slowDeliveries = await deliveriesOf(slow.id);
      expect(slowDeliveries.every((d) => d.status !== 'succeeded')).toBe(true);
      expect((await deliveriesOf(fast.id)).every((d) => d.status === 'succeeded')).toBe(true);
      const timedOut = await waitForDelivery(slow.id, (d) => d.attempts >= 1);
      const detail = (await ctx.app.inject({ method: 'GET', url: `/api/portal/deliveries/${timedOut.id}`, headers: account.headers })).json<{ attempts: { outcome: string; error: string }[] }>();
      expect(detail.attempts[0]).toMatchObject({ outcome: 'retry' });
    } finally {
      await slowReceiver.close();
    }
  });

  it('refuses bad webhook settings with field errors and changes nothing', async () => {
    const bad = async (payload: Record<string, unknown>, field: string) => {
      const response = await ctx.app.inject({ method: 'POST', url: '/api/portal/webhooks', headers: account.headers, payload: { url: receiver.url, events: ['lead.captured'], ...payload } });
      expect(response.statusCode, response.body).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(JSON.stringify(response.json())).toContain(field);
    };
    await bad({ events: ['lead.exploded'] }, 'events');
    await bad({ url: 'ftp://example.com/x' }, 'url');
    await bad({ mappings: { 'lead.captured': { email: 'lead.password' } } }, 'mappings');
    await bad({ mappings: { 'lead.captured': { eventId: 'lead.email' } } }, 'mappings');
    await bad({ headers: { 'X-FC-Event': 'spoof' } }, 'headers');
    await bad({ secret: 'short' }, 'secret');
    await bad({ chatbotId: 'bot_notmineatall' }, 'chatbotId');
    const list = (await ctx.app.inject({ method: 'GET', url: '/api/portal/webhooks', headers: account.headers })).json<{ items: { url: string }[] }>();
    expect(list.items.every((w) => w.url !== 'ftp://example.com/x')).toBe(true);
  });

  it('refuses private and metadata targets unless the server allows them', async () => {
    const strict = await createTestApp({ FC_ALLOW_PRIVATE_WEBHOOK_TARGETS: 'false' });
    try {
      const owner = await signUpAccount(strict.app);
      for (const url of ['http://127.0.0.1:8080/hook', 'http://169.254.169.254/latest/meta-data', 'http://10.0.0.5/x', 'http://localhost/x', 'http://[::1]/x']) {
        const response = await strict.app.inject({ method: 'POST', url: '/api/portal/webhooks', headers: owner.headers, payload: { url, events: ['lead.captured'] } });
        expect(response.statusCode, url).toBe(400);
      }
    } finally {
      await strict.close();
    }
  });

  it('keeps one customer out of another customer\'s webhooks and deliveries', async () => {
    const webhook = await createWebhook({});
    await ctx.app.inject({ method: 'POST', url: `/api/portal/webhooks/${webhook.id}/test`, headers: account.headers });
    const delivery = (await deliveriesOf(webhook.id))[0]!;
    const other = await signUpAccount(ctx.app);
    const attempts = [
      ['GET', `/api/portal/webhooks/${webhook.id}`], ['PATCH', `/api/portal/webhooks/${webhook.id}`], ['DELETE', `/api/portal/webhooks/${webhook.id}`],
      ['POST', `/api/portal/webhooks/${webhook.id}/test`], ['POST', `/api/portal/webhooks/${webhook.id}/rotate-secret`],
      ['GET', `/api/portal/webhooks/${webhook.id}/deliveries`], ['POST', `/api/portal/webhooks/${webhook.id}/recover`],
      ['GET', `/api/portal/deliveries/${delivery.id}`], ['POST', `/api/portal/deliveries/${delivery.id}/resend`],
      ['POST', `/api/portal/deliveries/${delivery.id}/retry-now`], ['POST', `/api/portal/webhooks/${webhook.id}/retry-now`],
    ] as const;
    for (const [method, url] of attempts) {
      const payload = method === 'PATCH' ? { enabled: false } : url.endsWith('recover') ? { since: '2020-01-01T00:00:00Z' } : method === 'POST' ? {} : undefined;
      const response = await ctx.app.inject({ method, url, headers: other.headers, ...(payload ? { payload } : {}) });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
    }
    const list = (await ctx.app.inject({ method: 'GET', url: '/api/portal/webhooks', headers: other.headers })).json<{ items: unknown[] }>();
    expect(list.items).toEqual([]);
    expect((await ctx.app.inject({ method: 'GET', url: `/api/portal/webhooks/${webhook.id}`, headers: account.headers })).json()).toMatchObject({ enabled: true });
  });

  it('delivers a HubSpot preset lead as its CRM expects, and counts "contact exists" (409) as delivered', async () => {
    const webhook = await createWebhook({ preset: 'hubspot', headers: { Authorization: 'Bearer pat-test-123' } });
    receiver.setBehaviour(() => ({ status: 409, body: '{"message":"Contact already exists"}' }));
    await captureLead('wh-visitor-hubspot');
    const [request] = await receiver.waitFor(1);
    expect(JSON.parse(request!.body)).toMatchObject({ properties: { email: 'jane@example.com', firstname: 'Jane Smith', phone: '+15125550123' } });
    expect(headerOf(request!, 'authorization')).toBe('Bearer pat-test-123');
    expect(await waitForDelivery(webhook.id, (d) => d.status === 'succeeded')).toMatchObject({ attempts: 1, lastStatusCode: 409 });
  });

  it('lists the presets with every event\'s default fields, which a Generic JSON webhook created without fields sends', async () => {
    const presets = (await ctx.app.inject({ method: 'GET', url: '/api/portal/webhooks/presets', headers: account.headers })).json<{ items: { id: string }[]; defaults: Record<string, Record<string, unknown>> }>();
    expect(presets.items.map((p) => p.id)).toContain('generic');
    expect(Object.keys(presets.defaults['lead.captured'] ?? {})).toEqual(['name', 'email', 'phone', 'chatbot_name', 'intent']);
    const generic = await createWebhook({ preset: 'generic' });
    expect(Object.keys(generic.mappings['lead.captured'] ?? {})).toEqual(['name', 'email', 'phone', 'chatbot_name', 'intent']);
  });

  it('ships CRM presets whose mappings pass validation', () => {
    for (const preset of WEBHOOK_PRESETS) expect(() => validateMappings(preset.mappings), preset.id).not.toThrow();
  });
});
