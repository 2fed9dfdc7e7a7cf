import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';

describe('POST /api/portal/chatbots/:id/test-question', () => {
  let ctx: TestContext;
  let owner: TestAccount;
  let chatbotId: string;

  beforeAll(async () => {
    ctx = await createTestApp();
    owner = await signUpAccount(ctx.app);
    chatbotId = (await createChatbotFor(ctx.app, owner, { name: 'Preview bot' })).id;
    await ctx.app.inject({
      method: 'POST', url: `/api/portal/chatbots/${chatbotId}/knowledge`, headers: owner.headers,
      payload: { kind: 'faq', question: 'Do you fix water heaters?', answer: 'Yes, we repair and install water heaters of every brand.' },
    });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('answers from the knowledge base and names the entry it used', async () => {
    const response = await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${chatbotId}/test-question`, headers: owner.headers, payload: { question: 'can you repair my water heater?' } });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ answer: string; answered: boolean; sources: { title: string }[] }>();
    expect(body.answered).toBe(true);
    expect(body.answer).toContain('water heaters of every brand');
    expect(body.sources.map((s) => s.title)).toEqual(['Do you fix water heaters?']);
  });

  it('records nothing: no conversation, no message, no event for webhooks', async () => {
    await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${chatbotId}/test-question`, headers: owner.headers, payload: { question: 'I want a quote, I am Pat, pat@example.com' } });
    for (const table of ['conversations', 'messages', 'leads', 'events'] as const) {
      const { count } = await ctx.database.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow();
      expect(Number(count), table).toBe(0);
    }
  });

  it('says so when it does not know', async () => {
    const body = (await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${chatbotId}/test-question`, headers: owner.headers, payload: { question: 'What is the capital of Peru?' } })).json<{ answered: boolean; sources: unknown[] }>();
    expect(body.answered).toBe(false);
    expect(body.sources).toEqual([]);
  });

  it('answers 404 for another customer’s chatbot', async () => {
    const intruder = await signUpAccount(ctx.app);
    const response = await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${chatbotId}/test-question`, headers: intruder.headers, payload: { question: 'Do you fix water heaters?' } });
    expect(response.statusCode).toBe(404);
    expect(response.body).not.toContain('every brand');
  });
});
