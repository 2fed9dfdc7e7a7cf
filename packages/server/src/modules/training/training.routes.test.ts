import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';

describe('ratings and the self-training loop', () => {
  let ctx: TestContext;
  let account: TestAccount;
  let chatbotId: string;

  async function ask(message: string, visitorId = 'trainee') {
    const response = await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId, visitorId, message } });
    expect(response.statusCode).toBe(200);
    return response.json();
  }

  async function rate(conversationId: string, body: Record<string, unknown>) {
    return ctx.app.inject({ method: 'POST', url: `/api/public/conversations/${conversationId}/rate`, payload: body });
  }

  beforeAll(async () => {
    ctx = await createTestApp();
    account = await signUpAccount(ctx.app);
    chatbotId = (await createChatbotFor(ctx.app, account, { name: 'Bike Shop', settings: { rateLimit: { perVisitorPerMinute: 1000, perIpPerMinute: 1000 } } })).id;
    await ctx.app.inject({
      method: 'POST', url: `/api/portal/chatbots/${chatbotId}/knowledge/import`, headers: account.headers,
      payload: {
        faqs: [
          { question: 'How much does a bike tune-up cost?', answer: 'A basic tune-up is $60 and takes two days.' },
          { question: 'Do you sell electric bikes?', answer: 'Yes, we stock e-bikes from three brands.' },
        ],
      },
    });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('stores one rating per bot message; re-rating replaces it; visitor messages and strangers cannot rate', async () => {
    const reply = await ask('how much is a tune-up?');
    const first = await rate(reply.conversationId, { messageId: reply.message.id, rating: 'up', conversationToken: reply.conversationToken });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ messageId: reply.message.id, rating: 'up', comment: null });
    const second = await rate(reply.conversationId, { messageId: reply.message.id, rating: 'down', comment: 'too slow', conversationToken: reply.conversationToken });
    expect(second.json()).toMatchObject({ id: first.json().id, rating: 'down', comment: 'too slow' });
    const stored = await ctx.database.db.selectFrom('ratings').selectAll().where('message_id', '=', reply.message.id).execute();
    expect(stored).toHaveLength(1);

    const detail = await ctx.app.inject({ method: 'GET', url: `/api/portal/conversations/${reply.conversationId}`, headers: account.headers });
    const visitorMessageId = detail.json().messages[0].id;
    expect(detail.json().messages[1].rating).toMatchObject({ rating: 'down', comment: 'too slow' });
    const visitor = await rate(reply.conversationId, { messageId: visitorMessageId, rating: 'up', conversationToken: reply.conversationToken });
    expect(visitor.statusCode).toBe(400);
    const stranger = await rate(reply.conversationId, { messageId: reply.message.id, rating: 'up', conversationToken: 'y'.repeat(43) });
    expect(stranger.statusCode).toBe(404);
    const rated = await ctx.database.db.selectFrom('events').select('id').where('type', '=', 'message.rated').where('conversation_id', '=', reply.conversationId).execute();
    expect(rated).toHaveLength(2);
  });

  it('learns from a thumbs-down: correction in the review queue → the same and a paraphrased question get it', async () => {
    const wrong = await ask('Can I rent a bike for the weekend?');
    expect(wrong.message.text).not.toContain('$25 a day');

    const down = await rate(wrong.conversationId, { messageId: wrong.message.id, rating: 'down', comment: 'we do rent bikes!', conversationToken: wrong.conversationToken });
    expect(down.statusCode).toBe(200);

    const queue = await ctx.app.inject({ method: 'GET', url: '/api/portal/reviews?status=open', headers: account.headers });
    const review = queue.json().items.find((item: { messageId: string }) => item.messageId === wrong.message.id);
    expect(review).toMatchObject({ question: 'Can I rent a bike for the weekend?', answer: wrong.message.text, comment: 'we do rent bikes!', status: 'open' });

    const resolved = await ctx.app.inject({
      method: 'POST', url: `/api/portal/reviews/${review.id}/resolve`, headers: account.headers,
      payload: { answer: 'Yes! Bike rentals are $25 a day, helmet and lock included.' },
    });
    expect(resolved.statusCode).toBe(200);
    expect(resolved.json().review.status).toBe('resolved');
    expect(resolved.json().entry.kind).toBe('curated');

    const same = await ask('Can I rent a bike for the weekend?', 'another-visitor');
    expect(same.message.text).toContain('$25 a day');
    expect(same.sources[0].id).toBe(resolved.json().entry.id);
    const paraphrase = await ask('do you guys do bike rentals?', 'third-visitor');
    expect(paraphrase.message.text).toContain('$25 a day');
  });

  async function preview(question: string) {
    const response = await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${chatbotId}/test-question`, headers: account.headers, payload: { question } });
    expect(response.statusCode).toBe(200);
    return response.json() as { answered: boolean; confidence: number; sources: { id: string }[] };
  }

  async function knowledgeVersion() {
    return (await ctx.database.db.selectFrom('chatbots').select('knowledge_version').where('id', '=', chatbotId).executeTakeFirstOrThrow()).knowledge_version;
  }

  async function suggestionFor(messageId: string) {
    const list = await ctx.app.inject({ method: 'GET', url: `/api/portal/paraphrases?chatbotId=${chatbotId}`, headers: account.headers });
    expect(list.statusCode).toBe(200);
    return (list.json().items as { id: string; messageId: string; status: string; question: string; entry: { id: string } }[]).find((item) => item.messageId === messageId);
  }

  it('a thumbs-up only suggests a paraphrase: answers change when the owner approves it in Training, not before', async () => {
    const wording = 'what do you charge to service my bike';
    const reply = await ask(wording, 'anonymous-rater');
    expect(reply.sources).toHaveLength(1);
    const before = { version: await knowledgeVersion(), preview: await preview(wording) };

    await rate(reply.conversationId, { messageId: reply.message.id, rating: 'up', conversationToken: reply.conversationToken });
    expect(await knowledgeVersion()).toBe(before.version);
    expect((await preview(wording)).confidence).toBe(before.preview.confidence);
    const suggestion = await suggestionFor(reply.message.id);
    expect(suggestion).toMatchObject({ status: 'suggested', question: wording, entry: { id: reply.sources[0].id }, conversationId: reply.conversationId });

    const approved = await ctx.app.inject({ method: 'POST', url: `/api/portal/paraphrases/${suggestion?.id}/approve`, headers: account.headers, payload: {} });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved' });
    expect(approved.json().decidedAt).toMatch(/Z$/);
    expect(await knowledgeVersion()).toBe(before.version + 1);
    expect((await preview(wording)).confidence).toBeGreaterThan(before.preview.confidence);

    const dismissed = await ctx.app.inject({ method: 'POST', url: `/api/portal/paraphrases/${suggestion?.id}/dismiss`, headers: account.headers });
    expect(dismissed.json()).toMatchObject({ status: 'dismissed' });
    expect(await knowledgeVersion()).toBe(before.version + 2);
    expect((await preview(wording)).confidence).toBe(before.preview.confidence);
  });

  it('a thumbs-up changed to a thumbs-down withdraws its suggestion; other accounts cannot see or decide it', async () => {
    const reply = await ask('how much for a tune-up', 'fickle-rater');
    await rate(reply.conversationId, { messageId: reply.message.id, rating: 'up', conversationToken: reply.conversationToken });
    const suggestion = await suggestionFor(reply.message.id);
    expect(suggestion?.status).toBe('suggested');

    const other = await signUpAccount(ctx.app);
    const foreignList = await ctx.app.inject({ method: 'GET', url: '/api/portal/paraphrases', headers: other.headers });
    expect(foreignList.json().items).toEqual([]);
    const foreignApprove = await ctx.app.inject({ method: 'POST', url: `/api/portal/paraphrases/${suggestion?.id}/approve`, headers: other.headers, payload: {} });
    expect(foreignApprove.statusCode).toBe(404);
    const badStatus = await ctx.app.inject({ method: 'GET', url: '/api/portal/paraphrases?status=learned', headers: account.headers });
    expect(badStatus.statusCode).toBe(400);

    await rate(reply.conversationId, { messageId: reply.message.id, rating: 'down', conversationToken: reply.conversationToken });
    expect(await suggestionFor(reply.message.id)).toBeUndefined();
  });
});
