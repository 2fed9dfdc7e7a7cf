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

  it('shows the same confidence as the conversation view for the same turn, read with the conversation before it', async () => {
    const ask = (question: string, at: Record<string, string> = {}) => ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${chatbotId}/test-question`, headers: owner.headers, payload: { question, ...at } });
    await ctx.app.inject({
      method: 'POST', url: `/api/portal/chatbots/${chatbotId}/knowledge/import`, headers: owner.headers,
      payload: { faqs: [{ question: 'Can I order a birthday cake?', answer: 'Yes, birthday cakes start at $40; order three days ahead.' }] },
    });
    const chat = async (message: string, previous?: { conversationId: string; conversationToken: string }) => (await ctx.app.inject({
      method: 'POST', url: '/api/public/system-chat', payload: { chatbotId, visitorId: 'confidence-visitor', message, ...previous },
    })).json<{ conversationId: string; conversationToken: string }>();
    const first = await chat('Can I order a birthday cake?');
    await chat('how much is that one?', { conversationId: first.conversationId, conversationToken: first.conversationToken });
    const detail = (await ctx.app.inject({ method: 'GET', url: `/api/portal/conversations/${first.conversationId}`, headers: owner.headers }))
      .json<{ messages: { id: string; role: string; text: string; confidence: number | null }[] }>();
    const answers = detail.messages.filter((m) => m.role === 'assistant');
    expect(answers).toHaveLength(2);
    for (const [index, answer] of answers.entries()) {
      const question = detail.messages.filter((m) => m.role === 'visitor')[index]!.text;
      const replayed = (await ask(question, { conversationId: first.conversationId, messageId: answer.id })).json<{ confidence: number; context: string; answer: string }>();
      // The same figure on the same 0–1 scale the conversation stored. PostgreSQL keeps it as `real` (float4, about
      // seven significant digits), so it is compared to five places; the whole percentage the portal shows is equal.
      expect(replayed).toMatchObject({ context: 'conversation', answer: answer.text });
      expect(replayed.confidence).toBeCloseTo(answer.confidence ?? -1, 5);
      expect(Math.round(replayed.confidence * 100)).toBe(Math.round((answer.confidence ?? -1) * 100));
    }
    // Asked on its own, the follow-up has no topic: that is why the two views used to disagree.
    const alone = (await ask('how much is that one?')).json<{ confidence: number; context: string }>();
    expect(alone.context).toBe('new');
    expect(Math.round(alone.confidence * 100)).not.toBe(Math.round((answers[1]!.confidence ?? -1) * 100));
    // Another customer's conversation cannot be replayed, and a half-given turn is refused.
    const intruder = await signUpAccount(ctx.app);
    const theirBot = (await createChatbotFor(ctx.app, intruder, { name: 'Other' })).id;
    const stolen = await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${theirBot}/test-question`, headers: intruder.headers, payload: { question: 'x', conversationId: first.conversationId, messageId: answers[1]!.id } });
    expect(stolen.statusCode).toBe(404);
    expect((await ask('x', { conversationId: first.conversationId })).statusCode).toBe(400);
  });
});
