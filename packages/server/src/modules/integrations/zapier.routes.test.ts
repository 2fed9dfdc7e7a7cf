import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';

/** The REST-hook API as Zapier's servers call it: X-API-Key, tenant-scoped, problem+json, rate-limited. */
describe('Zapier REST hooks', () => {
  let ctx: TestContext;
  let owner: TestAccount;
  let intruder: TestAccount;
  let ownerKey: string;
  let intruderKey: string;

  async function apiKeyFor(account: TestAccount, name = 'Zapier'): Promise<{ id: string; key: string }> {
    const response = await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers: account.headers, payload: { name } });
    return response.json();
  }

  beforeAll(async () => {
    ctx = await createTestApp();
    owner = await signUpAccount(ctx.app, { company: 'Owner Co' });
    intruder = await signUpAccount(ctx.app, { company: 'Intruder Co' });
    await createChatbotFor(ctx.app, owner, { name: 'Owner Bot' });
    ownerKey = (await apiKeyFor(owner)).key;
    intruderKey = (await apiKeyFor(intruder)).key;
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('answers 401 problem+json without a valid X-API-Key (a portal session or Bearer is not enough)', async () => {
    for (const headers of [{}, owner.headers, { authorization: `Bearer ${ownerKey}` }, { 'x-api-key': 'fc_nope' }]) {
      const response = await ctx.app.inject({ method: 'GET', url: '/api/zapier/me', headers });
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ status: 401, code: 'unauthorized', detail: expect.any(String) });
    }
    const revocable = await apiKeyFor(owner, 'short-lived');
    await ctx.app.inject({ method: 'DELETE', url: `/api/portal/api-keys/${revocable.id}`, headers: owner.headers });
    expect((await ctx.app.inject({ method: 'GET', url: '/api/zapier/me', headers: { 'x-api-key': revocable.key } })).statusCode).toBe(401);
  });

  it('subscribes and unsubscribes only within the key\'s own account', async () => {
    const created = await ctx.app.inject({ method: 'POST', url: '/api/zapier/hooks', headers: { 'x-api-key': ownerKey }, payload: { event: 'lead.captured', targetUrl: 'https://hooks.zapier.com/hooks/standard/1/abc/' } });
    expect(created.statusCode).toBe(201);
    const { id } = created.json<{ id: string }>();
    expect(Object.keys(created.json())).toEqual(['id']);

    expect((await ctx.app.inject({ method: 'DELETE', url: `/api/zapier/hooks/${id}`, headers: { 'x-api-key': intruderKey } })).statusCode).toBe(404);
    const intruderView = await ctx.app.inject({ method: 'GET', url: '/api/portal/integrations/zapier/hooks', headers: intruder.headers });
    expect(intruderView.json().items).toEqual([]);
    expect((await ctx.app.inject({ method: 'GET', url: `/api/portal/integrations/zapier/hooks/${id}`, headers: intruder.headers })).statusCode).toBe(404);
    // Not a webhook: the webhooks settings do not list or open it, but its delivery log is there.
    expect((await ctx.app.inject({ method: 'GET', url: '/api/portal/webhooks', headers: owner.headers })).json().items).toEqual([]);
    expect((await ctx.app.inject({ method: 'GET', url: `/api/portal/webhooks/${id}`, headers: owner.headers })).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'GET', url: `/api/portal/webhooks/${id}/deliveries`, headers: owner.headers })).statusCode).toBe(200);

    const view = (await ctx.app.inject({ method: 'GET', url: `/api/portal/integrations/zapier/hooks/${id}`, headers: owner.headers })).json();
    expect(view).toMatchObject({ id, event: 'lead.captured', targetUrl: 'https://hooks.zapier.com/hooks/standard/1/abc/', status: 'active', statusReason: null });
    const removed = await ctx.app.inject({ method: 'DELETE', url: `/api/zapier/hooks/${id}`, headers: { 'x-api-key': ownerKey } });
    expect(removed.statusCode).toBe(204);
    expect((await ctx.app.inject({ method: 'DELETE', url: `/api/zapier/hooks/${id}`, headers: { 'x-api-key': ownerKey } })).json()).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('refuses bad subscriptions with field errors', async () => {
    const cases = [
      { event: 'lead.exploded', targetUrl: 'https://hooks.zapier.com/x' },
      { event: 'webhook.test', targetUrl: 'https://hooks.zapier.com/x' },
      { event: 'lead.captured', targetUrl: 'ftp://hooks.zapier.com/x' },
      { event: 'lead.captured', targetUrl: 'https://hooks.zapier.com/x', chatbotId: 'bot_notMine12345' },
    ];
    for (const payload of cases) {
      const response = await ctx.app.inject({ method: 'POST', url: '/api/zapier/hooks', headers: { 'x-api-key': ownerKey }, payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('answers samples of the caller\'s own events only, falling back to a realistic sample', async () => {
    const bot = await createChatbotFor(ctx.app, intruder, { name: 'Intruder Bot' });
    await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId: bot.id, visitorId: 'v-intruder', message: 'Hello from the intruder side' } });
    const own = await ctx.app.inject({ method: 'GET', url: '/api/zapier/samples/conversation.started', headers: { 'x-api-key': ownerKey } });
    expect(own.statusCode).toBe(200);
    expect(own.body).not.toContain('intruder');
    expect(own.json()).toEqual([expect.objectContaining({ chatbot_name: 'Owner Bot', first_message: expect.any(String), eventType: 'conversation.started', eventId: 'evt_sampleEvent' })]);
    const theirs = await ctx.app.inject({ method: 'GET', url: '/api/zapier/samples/conversation.started', headers: { 'x-api-key': intruderKey } });
    expect(theirs.json()[0]).toMatchObject({ chatbot_name: 'Intruder Bot', first_message: 'Hello from the intruder side', chatbotId: bot.id });
    expect((await ctx.app.inject({ method: 'GET', url: '/api/zapier/samples/lead.exploded', headers: { 'x-api-key': ownerKey } })).statusCode).toBe(400);
  });

  it('rate-limits each API key', async () => {
    const limited = await apiKeyFor(owner, 'busy');
    let last = 0;
    for (let i = 0; i < 121; i += 1) last = (await ctx.app.inject({ method: 'GET', url: '/api/zapier/me', headers: { 'x-api-key': limited.key } })).statusCode;
    expect(last).toBe(429);
    // Another key of the same account is not held back.
    expect((await ctx.app.inject({ method: 'GET', url: '/api/zapier/me', headers: { 'x-api-key': ownerKey } })).statusCode).toBe(200);
  });
});
