import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';

// `clientMessageId` (issue 15, item 14): a repeated send answers the stored reply instead of a second turn.
describe('system-chat clientMessageId', () => {
  let ctx: TestContext;
  let account: TestAccount;
  let chatbotId: string;

  async function chat(body: Record<string, unknown>, headers: Record<string, string> = {}) {
    return ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', headers, payload: { chatbotId, visitorId: 'visitor-idem', ...body } });
  }

  async function countRows(conversationId: string) {
    const db = ctx.database.db;
    const messages = await db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).execute();
    const events = await db.selectFrom('events').select('id').where('conversation_id', '=', conversationId).execute();
    return { messages: messages.length, events: events.length };
  }

  beforeAll(async () => {
    ctx = await createTestApp();
    account = await signUpAccount(ctx.app);
    chatbotId = (await createChatbotFor(ctx.app, account, { name: 'Bakery Bot', settings: { rateLimit: { perVisitorPerMinute: 1000, perIpPerMinute: 1000 } } })).id;
    await ctx.app.inject({
      method: 'POST', url: `/api/portal/chatbots/${chatbotId}/knowledge/import`, headers: account.headers,
      payload: { faqs: [{ question: 'When do you open?', answer: 'We open at 7 AM every day.' }, { question: 'Do you sell sourdough?', answer: 'Yes, sourdough is baked daily.' }] },
    });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('answers a repeated first message with the stored reply: same conversation, token and ids, one turn, one event', async () => {
    const first = await chat({ message: 'when do you open?', clientMessageId: 'cm-first-1' });
    expect(first.statusCode).toBe(200);
    const again = await chat({ message: 'when do you open?', clientMessageId: 'cm-first-1' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    expect(first.json().message.text).toContain('7 AM');
    const conversations = await ctx.database.db.selectFrom('conversations').select('id').where('chatbot_id', '=', chatbotId).where('client_message_id', '=', 'cm-first-1').execute();
    expect(conversations).toHaveLength(1);
    expect(await countRows(first.json().conversationId)).toEqual({ messages: 2, events: 1 });
  });

  it('answers a repeated message in a conversation with the stored reply, and a new id gets a new turn', async () => {
    const start = (await chat({ message: 'hello', clientMessageId: 'cm-conv-1' })).json();
    const thread = { conversationId: start.conversationId, conversationToken: start.conversationToken };
    const first = await chat({ ...thread, message: 'do you sell sourdough?', clientMessageId: 'cm-conv-2' });
    const again = await chat({ ...thread, message: 'do you sell sourdough?', clientMessageId: 'cm-conv-2' });
    expect(again.statusCode).toBe(200);
    expect(again.json().message).toEqual(first.json().message);
    expect(again.json().conversationId).toBe(start.conversationId);
    expect(await countRows(start.conversationId)).toEqual({ messages: 4, events: 1 });

    const other = await chat({ ...thread, message: 'do you sell sourdough?', clientMessageId: 'cm-conv-3' });
    expect(other.json().message.id).not.toBe(first.json().message.id);
    expect((await countRows(start.conversationId)).messages).toBe(6);
  });

  it('runs one turn for identical requests that race, new conversation or not', async () => {
    const body = { message: 'when do you open?', clientMessageId: 'cm-race-new' };
    const replies = await Promise.all([chat(body), chat(body), chat(body)]);
    expect(replies.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    const ids = new Set(replies.map((r) => `${r.json().conversationId} ${r.json().message.id} ${r.json().conversationToken}`));
    expect(ids.size).toBe(1);
    const conversationId = replies[0]!.json().conversationId as string;
    expect(await countRows(conversationId)).toEqual({ messages: 2, events: 1 });

    const thread = { conversationId, conversationToken: replies[0]!.json().conversationToken as string };
    const next = { ...thread, message: 'do you sell sourdough?', clientMessageId: 'cm-race-next' };
    const nextReplies = await Promise.all([chat(next), chat(next), chat(next)]);
    expect(nextReplies.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expect(new Set(nextReplies.map((r) => r.json().message.id)).size).toBe(1);
    expect(await countRows(conversationId)).toEqual({ messages: 4, events: 1 });
  });

  it('refuses the same clientMessageId with a different message (409 idempotency_key_reused)', async () => {
    await chat({ message: 'when do you open?', clientMessageId: 'cm-reused' });
    const reused = await chat({ message: 'do you sell sourdough?', clientMessageId: 'cm-reused' });
    expect(reused.statusCode).toBe(409);
    expect(reused.headers['content-type']).toContain('application/problem+json');
    expect(reused.json()).toMatchObject({ code: 'idempotency_key_reused', status: 409 });
  });

  it('never hands one visitor the conversation another visitor started with the same id', async () => {
    const mine = (await chat({ message: 'when do you open?', clientMessageId: 'cm-shared' })).json();
    const theirs = await chat({ message: 'when do you open?', clientMessageId: 'cm-shared', visitorId: 'someone-else' });
    expect(theirs.statusCode).toBe(200);
    expect(theirs.json().conversationId).not.toBe(mine.conversationId);
    expect(theirs.json().conversationToken).not.toBe(mine.conversationToken);
    // And a wrong token never gets a stored reply out of a conversation.
    const probe = await chat({ message: 'when do you open?', clientMessageId: 'cm-shared', conversationId: mine.conversationId, conversationToken: 'x'.repeat(43) });
    expect(probe.statusCode).toBe(404);
  });

  it('replays over Server-Sent Events too, and keeps the token sealed at rest', async () => {
    const first = (await chat({ message: 'do you sell sourdough?', clientMessageId: 'cm-stream' })).json();
    const streamed = await chat({ message: 'do you sell sourdough?', clientMessageId: 'cm-stream' }, { accept: 'text/event-stream' });
    const done = /event: done\ndata: (.*)\n/.exec(streamed.body);
    expect(JSON.parse(done![1]!)).toMatchObject({ conversationId: first.conversationId, message: { id: first.message.id } });
    const stored = await ctx.database.db.selectFrom('messages').select('client_reply').where('client_message_id', '=', 'cm-stream').executeTakeFirstOrThrow();
    expect(stored.client_reply).not.toContain(first.conversationToken);
  });

  it('keeps working without clientMessageId (each send is a turn) and bounds its format', async () => {
    const a = (await chat({ message: 'hello there' })).json();
    const b = (await chat({ message: 'hello there' })).json();
    expect(a.conversationId).not.toBe(b.conversationId);
    for (const clientMessageId of ['', 'x'.repeat(65), 'has space', 'a/b']) {
      const bad = await chat({ message: 'hi', clientMessageId });
      expect(bad.statusCode).toBe(400);
    }
  });
});
