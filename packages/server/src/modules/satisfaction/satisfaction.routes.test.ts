import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';
import { startWebhookReceiver } from '../../test/webhook-receiver.js';
import { createDeliveryWorker } from '../../worker.js';
import { DEFAULT_MAPPINGS, EVENT_TYPES } from '../delivery/index.js';

const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const DELIVERY_TIMEOUT_MS = 15_000;

interface Reply {
  conversationId: string;
  conversationToken: string;
  message: { id: string; role: string; text: string };
  escalated: boolean;
}

describe('satisfaction after a person resolved the conversation', () => {
  let ctx: TestContext;
  let owner: TestAccount;
  let other: TestAccount;
  let chatbotId: string;
  let otherChatbotId: string;

  beforeAll(async () => {
    ctx = await createTestApp();
    owner = await signUpAccount(ctx.app, { company: 'Rosa Bakery' });
    other = await signUpAccount(ctx.app, { company: 'Other Shop' });
    chatbotId = (await createChatbotFor(ctx.app, owner, { name: 'Rosa Helper', settings: { allowedOrigins: ['https://rosa.example'] } })).id;
    otherChatbotId = (await createChatbotFor(ctx.app, other, { name: 'Other Helper' })).id;
  });
  afterAll(async () => {
    await ctx.close();
  });

  let visitors = 0;
  async function say(message: string, from?: Reply, bot = chatbotId): Promise<Reply> {
    // A visitor per conversation: the per-visitor rate limit counts every message of a visitor id.
    if (!from) visitors += 1;
    const response = await ctx.app.inject({
      method: 'POST', url: '/api/public/system-chat',
      payload: { chatbotId: bot, visitorId: `visitor-${visitors}`, message, ...(from ? { conversationId: from.conversationId, conversationToken: from.conversationToken } : {}) },
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<Reply>();
  }
  const act = (action: string, conversationId: string, account: TestAccount = owner) =>
    ctx.app.inject({ method: 'POST', url: `/api/portal/inbox/${conversationId}/${action}`, headers: account.headers });
  const rate = (conversation: Reply, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    ctx.app.inject({ method: 'POST', url: `/api/public/conversations/${conversation.conversationId}/satisfaction`, headers, payload: { conversationToken: conversation.conversationToken, ...body } });
  const messages = async (conversation: Reply) =>
    (await ctx.app.inject({ method: 'GET', url: `/api/public/conversations/${conversation.conversationId}/messages`, headers: { 'x-fc-conversation-token': conversation.conversationToken } }))
      .json<{ items: { role: string; kind?: string; authorName?: string | null }[]; satisfaction: { canRate: boolean; score: number | null } }>();
  const events = (conversationId: string) =>
    ctx.database.db.selectFrom('events').selectAll().where('type', '=', 'conversation.rated').where('conversation_id', '=', conversationId).execute();

  /** A visitor asks for a person, leaves an e-mail, an agent takes the chat and resolves it. */
  async function resolvedConversation(account: TestAccount = owner, bot = chatbotId): Promise<Reply> {
    const first = await say('I need to speak to a person, I am Dana Diaz', undefined, bot);
    expect(first.escalated).toBe(true);
    await say('my email is dana@example.com', first, bot);
    expect((await act('claim', first.conversationId, account)).statusCode).toBe(200);
    const resolved = await act('resolve', first.conversationId, account);
    expect(resolved.statusCode, resolved.body).toBe(200);
    return first;
  }

  it('refuses a rating before a person resolved the conversation (409 not_resolved), and asks only after', async () => {
    const chat = await say('I need to speak to a person please');
    expect((await messages(chat)).satisfaction).toEqual({ canRate: false, score: null });
    const early = await rate(chat, { score: 5 });
    expect(early.statusCode).toBe(409);
    expect(early.headers['content-type']).toContain('application/problem+json');
    expect(early.json()).toMatchObject({ code: 'not_resolved', detail: expect.stringContaining('resolved') });
    expect((await act('claim', chat.conversationId)).statusCode).toBe(200);
    expect((await rate(chat, { score: 5 })).json()).toMatchObject({ code: 'not_resolved' });
    expect(await events(chat.conversationId)).toHaveLength(0);

    expect((await act('resolve', chat.conversationId)).statusCode).toBe(200);
    const after = await messages(chat);
    expect(after.satisfaction).toEqual({ canRate: true, score: null });
    // The resolve notice is marked, so the widget knows to ask, and names who resolved it.
    expect(after.items.at(-1)).toMatchObject({ role: 'system', kind: 'resolved', authorName: 'Rosa Bakery team' });
  });

  it('stores one rating per resolution with its outbox event; the same rating again is answered, a different one is 409', async () => {
    const chat = await resolvedConversation();
    const saved = await rate(chat, { score: 4, comment: '  Quick and friendly.  ' });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.headers['cache-control']).toBe('no-store');
    expect(saved.json()).toEqual({ conversationId: chat.conversationId, score: 4, comment: 'Quick and friendly.', ratedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) });
    expect((await messages(chat)).satisfaction).toEqual({ canRate: false, score: 4 });

    // A retry whose answer was lost: the stored rating, no second event.
    const repeat = await rate(chat, { score: 4, comment: 'Quick and friendly.' });
    expect(repeat.statusCode).toBe(200);
    expect(repeat.json()).toEqual(saved.json());
    const changed = await rate(chat, { score: 1 });
    expect(changed.statusCode).toBe(409);
    expect(changed.json()).toMatchObject({ code: 'already_rated', detail: expect.stringContaining('4 of 5') });
    const stored = await events(chat.conversationId);
    expect(stored).toHaveLength(1);
    expect(JSON.parse(stored[0]!.payload)).toMatchObject({
      satisfaction: { score: 4, comment: 'Quick and friendly.', agentName: 'Rosa Bakery team' },
      lead: { email: 'dana@example.com' }, chatbot: { id: chatbotId, name: 'Rosa Helper' },
    });

    // The portal: the inbox item and the conversation carry it; the dashboard averages it.
    const inbox = (await ctx.app.inject({ method: 'GET', url: `/api/portal/inbox/${chat.conversationId}`, headers: owner.headers })).json();
    expect(inbox.satisfaction).toEqual({ score: 4, comment: 'Quick and friendly.', agentName: 'Rosa Bakery team', ratedAt: saved.json().ratedAt });
    const detail = (await ctx.app.inject({ method: 'GET', url: `/api/portal/conversations/${chat.conversationId}`, headers: owner.headers })).json();
    expect(detail.satisfaction).toMatchObject({ score: 4 });

    // Asking for a person again and being resolved again opens a new rating, which replaces the score.
    await say('Sorry, one more thing: can I talk to a person again?', chat);
    expect((await messages(chat)).satisfaction).toEqual({ canRate: false, score: 4 });
    expect((await act('claim', chat.conversationId)).statusCode).toBe(200);
    expect((await act('resolve', chat.conversationId)).statusCode).toBe(200);
    expect((await messages(chat)).satisfaction).toEqual({ canRate: true, score: 4 });
    expect((await rate(chat, { score: 2 })).statusCode).toBe(200);
    expect(await events(chat.conversationId)).toHaveLength(2);
  });

  it('counts and averages ratings on the dashboard, per chatbot', async () => {
    const a = await resolvedConversation();
    const b = await resolvedConversation();
    expect((await rate(a, { score: 5 })).statusCode).toBe(200);
    expect((await rate(b, { score: 2 })).statusCode).toBe(200);
    const stats = (await ctx.app.inject({ method: 'GET', url: `/api/portal/stats?days=7&chatbotId=${chatbotId}`, headers: owner.headers })).json<{ satisfaction: { count: number; average: number | null } }>();
    // Earlier tests in this file rated 4 and then 2 (the same conversation, last score counts): 2, 5, 2.
    expect(stats.satisfaction).toEqual({ count: 3, average: 3 });
    const none = (await ctx.app.inject({ method: 'GET', url: '/api/portal/stats?days=7', headers: other.headers })).json<{ satisfaction: unknown }>();
    expect(none.satisfaction).toEqual({ count: 0, average: null });
  });

  it('answers bad input with a 400 problem naming the field', async () => {
    const chat = await resolvedConversation();
    for (const [body, field] of [
      [{ score: 0 }, 'body.score'], [{ score: 6 }, 'body.score'], [{ score: 4.5 }, 'body.score'], [{ score: '5' }, 'body.score'],
      [{ score: 5, comment: 'x'.repeat(1_001) }, 'body.comment'], [{ score: 5, extra: true }, 'body'],
    ] as const) {
      const response = await rate(chat, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(JSON.stringify(response.json().errors ?? response.json().detail)).toContain(field.replace('body.', ''));
    }
    const noToken = await ctx.app.inject({ method: 'POST', url: `/api/public/conversations/${chat.conversationId}/satisfaction`, payload: { score: 5 } });
    expect(noToken.statusCode).toBe(400);
    const badId = await ctx.app.inject({ method: 'POST', url: '/api/public/conversations/not-an-id/satisfaction', payload: { score: 5, conversationToken: chat.conversationToken } });
    expect(badId.statusCode).toBe(400);
    expect(await events(chat.conversationId)).toHaveLength(0);
  });

  it('refuses a wrong token, another conversation\'s token, another site and another customer\'s inbox', async () => {
    const mine = await resolvedConversation();
    const theirs = await resolvedConversation(other, otherChatbotId);
    // Another conversation's token (another customer's) does not open this one: 404 like an unknown id.
    const crossed = await rate({ ...mine, conversationToken: theirs.conversationToken }, { score: 1 });
    expect(crossed.statusCode).toBe(404);
    expect((await rate({ ...mine, conversationToken: 'x'.repeat(32) }, { score: 1 })).statusCode).toBe(404);
    expect((await rate({ ...mine, conversationId: 'conv_doesNotExist1' }, { score: 1 })).statusCode).toBe(404);
    // A site that is not one of the chatbot's allowed origins.
    expect((await rate(mine, { score: 1 }, { origin: 'https://evil.example' })).statusCode).toBe(403);
    expect((await rate(mine, { score: 3 }, { origin: 'https://rosa.example' })).statusCode).toBe(200);
    // The other customer cannot read the rating through its portal.
    const peek = await ctx.app.inject({ method: 'GET', url: `/api/portal/inbox/${mine.conversationId}`, headers: other.headers });
    expect(peek.statusCode).toBe(404);
    expect(await events(theirs.conversationId)).toHaveLength(0);
    expect(await events(mine.conversationId)).toHaveLength(1);
  });

  it('stops rating on a lapsed account with the same 402 as chat', async () => {
    const chat = await resolvedConversation();
    await ctx.database.db.updateTable('customers').set({ trial_ends_at: '2020-01-01T00:00:00.000Z', status: 'trial' }).where('id', '=', owner.customerId).execute();
    try {
      const response = await rate(chat, { score: 5 });
      expect(response.statusCode).toBe(402);
      expect(response.json()).toMatchObject({ code: 'payment_required' });
    } finally {
      await ctx.database.db.updateTable('customers').set({ status: 'active' }).where('id', '=', owner.customerId).execute();
    }
  });

  it('lets a webhook save and preview the fields of every event at once, conversation.rated included', async () => {
    // What the portal's field editor sends when it saves: each subscribable event's fields and "*".
    const mappings = { ...Object.fromEntries(EVENT_TYPES.filter((type) => type !== 'webhook.test').map((type) => [type, DEFAULT_MAPPINGS[type]])), '*': { source: { const: 'website' } } };
    const created = await ctx.app.inject({ method: 'POST', url: '/api/portal/webhooks', headers: owner.headers, payload: { url: 'http://127.0.0.1:9/hook', events: ['conversation.rated'], mappings } });
    expect(created.statusCode, created.body).toBe(201);
    const preview = await ctx.app.inject({ method: 'POST', url: '/api/portal/webhooks/preview', headers: owner.headers, payload: { eventType: 'conversation.rated', mappings } });
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json().payload).toMatchObject({ score: expect.any(Number), agent_name: expect.any(String), source: 'website', eventType: 'conversation.rated' });
    await ctx.database.db.deleteFrom('webhooks').where('id', '=', created.json().id).execute();
  });

  it('delivers a signed conversation.rated to a webhook with the default mapping', async () => {
    const receiver = await startWebhookReceiver();
    const worker = createDeliveryWorker({ db: ctx.database.db, config: ctx.config, log: quietLog, pollIntervalMs: 20, sweepIdleConversations: false });
    try {
      const hook = await ctx.app.inject({ method: 'POST', url: '/api/portal/webhooks', headers: owner.headers, payload: { url: receiver.url, events: ['conversation.rated'] } });
      expect(hook.statusCode, hook.body).toBe(201);
      const { secret } = hook.json<{ secret: string }>();
      const chat = await resolvedConversation();
      expect((await rate(chat, { score: 5, comment: 'Lovely' })).statusCode).toBe(200);
      worker.start();
      const [delivered] = await receiver.waitFor(1, DELIVERY_TIMEOUT_MS);
      expect(delivered?.headers['x-fc-event']).toBe('conversation.rated');
      new Webhook(secret).verify(delivered!.body, delivered!.headers as Record<string, string>);
      const body = JSON.parse(delivered!.body) as Record<string, unknown>;
      expect(body).toEqual({
        name: 'Dana Diaz', email: 'dana@example.com', phone: null, chatbot_name: 'Rosa Helper', score: 5, comment: 'Lovely', agent_name: 'Rosa Bakery team',
        eventType: 'conversation.rated', eventTimestamp: expect.any(String), eventId: expect.stringMatching(/^evt_/), customerId: owner.customerId, chatbotId, conversationId: chat.conversationId,
      });
    } finally {
      await worker.stop(100);
      await receiver.close();
      await ctx.database.db.deleteFrom('webhooks').where('customer_id', '=', owner.customerId).execute();
    }
  });
});
