import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';

describe('chatbots', () => {
  let ctx: TestContext;
  let account: TestAccount;
  beforeAll(async () => {
    ctx = await createTestApp();
    account = await signUpAccount(ctx.app);
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('creates a chatbot with default settings merged under the given ones', async () => {
    const response = await ctx.app.inject({
      method: 'POST', url: '/api/portal/chatbots', headers: account.headers,
      payload: { name: 'Front desk', settings: { greeting: 'Howdy!', rateLimit: { perVisitorPerMinute: 5 } } },
    });
    expect(response.statusCode).toBe(201);
    const bot = response.json();
    expect(bot.id).toMatch(/^bot_/);
    expect(bot.settings.greeting).toBe('Howdy!');
    expect(bot.settings.rateLimit).toEqual({ perVisitorPerMinute: 5, perIpPerMinute: 60 });
    expect(bot.settings.defaultPhoneRegion).toBe('US');
    expect(bot.settings.leadCapture.intents).toContain('request_quote');
  });

  it('lists, reads, updates and deletes', async () => {
    const bot = await createChatbotFor(ctx.app, account, { name: 'Second' });
    const list = await ctx.app.inject({ method: 'GET', url: '/api/portal/chatbots?limit=1', headers: { cookie: account.cookie } });
    expect(list.json().items).toHaveLength(1);
    expect(list.json().nextCursor).toEqual(expect.any(String));
    const page2 = await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots?limit=1&cursor=${list.json().nextCursor}`, headers: { cookie: account.cookie } });
    expect(page2.json().items[0].id).not.toBe(list.json().items[0].id);

    const patch = await ctx.app.inject({ method: 'PATCH', url: `/api/portal/chatbots/${bot.id}`, headers: account.headers, payload: { name: 'Renamed', settings: { allowedOrigins: ['https://shop.example.com'] } } });
    expect(patch.statusCode).toBe(200);
    expect(patch.json()).toMatchObject({ name: 'Renamed', settings: { allowedOrigins: ['https://shop.example.com'] } });
    const read = await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${bot.id}`, headers: { cookie: account.cookie } });
    expect(read.json().name).toBe('Renamed');
    const del = await ctx.app.inject({ method: 'DELETE', url: `/api/portal/chatbots/${bot.id}`, headers: account.headers });
    expect(del.statusCode).toBe(204);
    const gone = await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${bot.id}`, headers: { cookie: account.cookie } });
    expect(gone.statusCode).toBe(404);
  });

  it('refuses invalid settings with the field named, and changes nothing', async () => {
    const bot = await createChatbotFor(ctx.app, account);
    const bad = await ctx.app.inject({ method: 'PATCH', url: `/api/portal/chatbots/${bot.id}`, headers: account.headers, payload: { settings: { rateLimit: { perVisitorPerMinute: -1 }, greeting: 'New' } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('body.settings.rateLimit.perVisitorPerMinute');
    const unknown = await ctx.app.inject({ method: 'PATCH', url: `/api/portal/chatbots/${bot.id}`, headers: account.headers, payload: { settings: { colour: 'red' } } });
    expect(unknown.statusCode).toBe(400);
    const read = await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${bot.id}`, headers: { cookie: account.cookie } });
    expect(read.json().settings.greeting).toBe('Hi! How can I help you today?');
  });

  it('keeps the LLM API key write-only and sealed at rest', async () => {
    const bot = await createChatbotFor(ctx.app, account, {
      name: 'LLM bot', settings: { llm: { baseUrl: 'http://127.0.0.1:9/v1', model: 'tiny', apiKey: 'sk-very-secret-value', timeoutMs: 5000 } },
    });
    const read = await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${bot.id}`, headers: { cookie: account.cookie } });
    expect(read.json().settings.llm).toEqual({ baseUrl: 'http://127.0.0.1:9/v1', model: 'tiny', timeoutMs: 5000, apiKeySet: true, apiKeyHint: '…alue' });
    const row = await ctx.database.db.selectFrom('chatbots').select('settings').where('id', '=', bot.id).executeTakeFirstOrThrow();
    expect(row.settings).not.toContain('sk-very-secret-value');
    // Changing the model keeps the key; sending null removes it.
    await ctx.app.inject({ method: 'PATCH', url: `/api/portal/chatbots/${bot.id}`, headers: account.headers, payload: { settings: { llm: { model: 'bigger' } } } });
    const kept = await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${bot.id}`, headers: { cookie: account.cookie } });
    expect(kept.json().settings.llm).toMatchObject({ model: 'bigger', apiKeySet: true, apiKeyHint: '…alue' });
    await ctx.app.inject({ method: 'PATCH', url: `/api/portal/chatbots/${bot.id}`, headers: account.headers, payload: { settings: { llm: { apiKey: null } } } });
    const removed = await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${bot.id}`, headers: { cookie: account.cookie } });
    expect(removed.json().settings.llm).toMatchObject({ apiKeySet: false, apiKeyHint: null });
  });

  it('drops a stored LLM key when only the provider host changes, and keeps one typed again with the new host', async () => {
    const bot = await createChatbotFor(ctx.app, account, {
      name: 'Moved LLM', settings: { llm: { baseUrl: 'http://127.0.0.1:9/v1', model: 'tiny', apiKey: 'sk-bound-to-host-one' } },
    });
    const read = async () => (await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${bot.id}`, headers: { cookie: account.cookie } })).json().settings.llm;
    await ctx.app.inject({ method: 'PATCH', url: `/api/portal/chatbots/${bot.id}`, headers: account.headers, payload: { settings: { llm: { baseUrl: 'http://127.0.0.1:9/v2' } } } });
    expect(await read()).toMatchObject({ apiKeySet: true });
    await ctx.app.inject({ method: 'PATCH', url: `/api/portal/chatbots/${bot.id}`, headers: account.headers, payload: { settings: { llm: { baseUrl: 'http://localhost:9/v1' } } } });
    expect(await read()).toMatchObject({ baseUrl: 'http://localhost:9/v1', apiKeySet: false, apiKeyHint: null });
    await ctx.app.inject({ method: 'PATCH', url: `/api/portal/chatbots/${bot.id}`, headers: account.headers, payload: { settings: { llm: { baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-typed-again-key' } } } });
    expect(await read()).toMatchObject({ apiKeySet: true, apiKeyHint: '…-key' });
  });
});
