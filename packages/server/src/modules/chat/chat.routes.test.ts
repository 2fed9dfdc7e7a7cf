import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';
import { endIdleConversations } from '../conversations/idle-sweep.service.js';

const KNOWLEDGE = {
  faqs: [
    { question: 'What are your opening hours?', answer: 'We are open Monday to Friday from 9 AM to 5 PM.' },
    { question: 'How much does a haircut cost?', answer: 'A standard haircut is $35, including a wash.' },
    { question: 'Where are you located?', answer: 'We are at 12 Main Street, next to the library.' },
  ],
  documents: [{ title: 'Parking', text: 'Free parking is available behind the building. Street parking is metered until 6 PM.' }],
};

describe('public chat', () => {
  let ctx: TestContext;
  let account: TestAccount;
  let chatbotId: string;

  async function chat(body: Record<string, unknown>, headers: Record<string, string> = {}) {
    return ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', headers, payload: { chatbotId, visitorId: 'visitor-1', ...body } });
  }

  async function events(type?: string) {
    let query = ctx.database.db.selectFrom('events').selectAll().where('customer_id', '=', account.customerId);
    if (type) query = query.where('type', '=', type);
    return query.execute();
  }

  beforeAll(async () => {
    ctx = await createTestApp();
    account = await signUpAccount(ctx.app);
    chatbotId = (await createChatbotFor(ctx.app, account, { name: 'Salon Bot', settings: { rateLimit: { perVisitorPerMinute: 1000, perIpPerMinute: 1000 } } })).id;
    await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${chatbotId}/knowledge/import`, headers: account.headers, payload: KNOWLEDGE });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('answers from the knowledge base with sources and starts a conversation (one conversation.started event)', async () => {
    const response = await chat({ message: 'how much is a haircut?', context: { pageUrl: 'https://salon.example/prices' } });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.conversationId).toMatch(/^conv_/);
    expect(body.conversationToken.length).toBeGreaterThanOrEqual(32);
    expect(body.message).toMatchObject({ id: expect.stringMatching(/^msg_/), role: 'assistant' });
    expect(body.message.text).toContain('$35');
    expect(body.message.createdAt).toMatch(/Z$/);
    expect(body.sources).toEqual([{ id: expect.stringMatching(/^kb_/), title: 'How much does a haircut cost?' }]);
    expect(body.escalated).toBe(false);
    const started = (await events('conversation.started')).filter((e) => e.conversation_id === body.conversationId);
    expect(started).toHaveLength(1);
    expect(JSON.parse(started[0]!.payload)).toMatchObject({ chatbot: { name: 'Salon Bot' }, visitor: { pageUrl: 'https://salon.example/prices' }, conversation: { firstMessage: 'how much is a haircut?' } });

    const next = await chat({ message: 'and where are you located?', conversationId: body.conversationId, conversationToken: body.conversationToken });
    expect(next.json().message.text).toContain('12 Main Street');
    expect((await events('conversation.started')).filter((e) => e.conversation_id === body.conversationId)).toHaveLength(1);
  });

  it('says it does not know, with no sources, instead of asserting an unrelated fact', async () => {
    const response = await chat({ message: 'Who won the football game last night?' });
    const body = response.json();
    expect(body.sources).toEqual([]);
    expect(body.message.text).not.toContain('$35');
    expect(body.message.text.toLowerCase()).toMatch(/not sure|don.t know|person|team|human/);
  });

  it('refuses to continue a conversation without its token', async () => {
    const first = (await chat({ message: 'hello' })).json();
    const noToken = await chat({ message: 'hi again', conversationId: first.conversationId });
    expect(noToken.statusCode).toBe(404);
    const wrongToken = await chat({ message: 'hi again', conversationId: first.conversationId, conversationToken: 'x'.repeat(43) });
    expect(wrongToken.statusCode).toBe(404);
    const messages = await ctx.app.inject({ method: 'GET', url: `/api/public/conversations/${first.conversationId}/messages` });
    expect(messages.statusCode).toBe(404);
    const withToken = await ctx.app.inject({ method: 'GET', url: `/api/public/conversations/${first.conversationId}/messages`, headers: { 'x-fc-conversation-token': first.conversationToken } });
    expect(withToken.statusCode).toBe(200);
    expect(withToken.json().items.map((m: { role: string }) => m.role)).toEqual(['visitor', 'assistant']);
  });

  /** The lead events of one conversation, oldest first, as their payloads' `lead` objects. */
  async function leadEvents(conversationId: string) {
    const rows = await ctx.database.db.selectFrom('events').select(['type', 'payload']).where('conversation_id', '=', conversationId)
      .where('type', 'in', ['lead.captured', 'lead.updated']).orderBy('created_at').orderBy('id').execute();
    return rows.map((row) => ({ type: row.type, lead: (JSON.parse(row.payload) as { lead: Record<string, unknown> }).lead }));
  }

  /** The portal's lead of a conversation, in the shape of an event's `lead` object. */
  async function portalLead(conversationId: string) {
    const response = await ctx.app.inject({ method: 'GET', url: `/api/portal/leads?conversationId=${conversationId}`, headers: account.headers });
    const items = response.json<{ items: { id: string; name: string | null; email: string | null; phone: string | null; intent: string | null }[] }>().items;
    return items.map(({ id, name, email, phone, intent }) => ({ id, name, email, phone, intent }));
  }

  async function startLeadFlow(visitorId: string) {
    const first = (await chat({ visitorId, message: 'I would like to book an appointment for a haircut next week' })).json();
    expect(first.intent).toBe('book_appointment');
    const turn = async (message: string) => (await chat({ visitorId, message, conversationId: first.conversationId, conversationToken: first.conversationToken })).json();
    return { conversationId: first.conversationId as string, turn };
  }

  it('sends one lead.captured when the flow ends (name → phone → email), carrying all three exactly as the portal lists the lead', async () => {
    const { conversationId, turn } = await startLeadFlow('lead-visitor');
    await turn("I'm Jane Smith");
    const withPhone = await turn('my number is (512) 555-0123');
    // The portal has the lead as soon as there is a way to reach the visitor; integrations wait for the rest.
    expect(withPhone.lead).toMatchObject({ captured: true, missing: ['email'] });
    expect(await portalLead(conversationId)).toEqual([expect.objectContaining({ name: 'Jane Smith', phone: '+15125550123', email: null })]);
    expect(await leadEvents(conversationId)).toEqual([]);

    await turn('and my email is jane.smith@example.com');
    const listed = await portalLead(conversationId);
    expect(listed).toEqual([{ id: expect.stringMatching(/^lead_/), name: 'Jane Smith', phone: '+15125550123', email: 'jane.smith@example.com', intent: 'book_appointment' }]);
    expect(await leadEvents(conversationId)).toEqual([{ type: 'lead.captured', lead: listed[0] }]);

    // Chatting on about something else changes nothing about the lead: no further event.
    await turn('where are you located?');
    expect(await leadEvents(conversationId)).toHaveLength(1);
  });

  it('sends lead.updated with the new value when the visitor corrects a detail after the lead was sent', async () => {
    const { conversationId, turn } = await startLeadFlow('correcting-visitor');
    await turn('Sam Lee');
    await turn('512 555 0147');
    await turn('sam@example.com');
    expect((await leadEvents(conversationId)).map((e) => e.type)).toEqual(['lead.captured']);

    await turn('sorry, my email is actually sam.lee@example.org');
    const listed = await portalLead(conversationId);
    expect(listed).toEqual([expect.objectContaining({ name: 'Sam Lee', phone: '+15125550147', email: 'sam.lee@example.org' })]);
    const events = await leadEvents(conversationId);
    expect(events).toEqual([
      { type: 'lead.captured', lead: expect.objectContaining({ email: 'sam@example.com' }) },
      { type: 'lead.updated', lead: listed[0] },
    ]);
    // The same lead: a receiver updates the record it stored for lead.captured.
    expect(events[0]!.lead.id).toBe(events[1]!.lead.id);
  });

  it('sends lead.captured from the idle sweep when a visitor leaves a phone number and goes quiet', async () => {
    const { conversationId, turn } = await startLeadFlow('quiet-visitor');
    const reply = await turn('you can call me on (512) 555-0188');
    expect(reply.lead).toMatchObject({ captured: true });
    expect(await portalLead(conversationId)).toEqual([expect.objectContaining({ phone: '+15125550188', name: null, email: null })]);
    expect(await leadEvents(conversationId)).toEqual([]);

    // Time passes beyond the chatbot's idle setting; the worker's sweep ends the conversation.
    await ctx.database.db.updateTable('conversations').set({ idle_deadline_at: '2020-01-01T00:00:00.000Z' }).where('id', '=', conversationId).execute();
    expect(await endIdleConversations(ctx.database.db, new Date().toISOString())).toBe(1);
    const listed = await portalLead(conversationId);
    expect(await leadEvents(conversationId)).toEqual([{ type: 'lead.captured', lead: listed[0] }]);
    const ended = await events('conversation.ended');
    expect(ended.filter((e) => e.conversation_id === conversationId)).toHaveLength(1);

    // Coming back later with a name updates the lead that was already sent.
    await turn('Alex Morgan');
    const updated = await portalLead(conversationId);
    expect(updated).toEqual([expect.objectContaining({ name: 'Alex Morgan', phone: '+15125550188' })]);
    expect(await leadEvents(conversationId)).toEqual([{ type: 'lead.captured', lead: listed[0] }, { type: 'lead.updated', lead: updated[0] }]);
  });

  it('sends lead.captured once the visitor answers the hand-off’s request for a way to reach them', async () => {
    const first = (await chat({ visitorId: 'handoff-visitor', message: 'I want to talk to a real person' })).json();
    expect(first.escalated).toBe(true);
    expect(first.message.text).toMatch(/phone number or email/);
    const turn = async (message: string) => (await chat({ visitorId: 'handoff-visitor', message, conversationId: first.conversationId, conversationToken: first.conversationToken })).json();
    // The bot is silent while a person is awaited; the phone number still makes the lead, and it goes out at once.
    await turn('my number is 512-555-0199');
    const listed = await portalLead(first.conversationId);
    expect(listed).toEqual([expect.objectContaining({ phone: '+15125550199' })]);
    expect(await leadEvents(first.conversationId)).toEqual([{ type: 'lead.captured', lead: listed[0] }]);
  });

  it('escalates an explicit request for a person once', async () => {
    const first = (await chat({ visitorId: 'angry', message: 'I want to talk to a real person right now' })).json();
    expect(first.escalated).toBe(true);
    const again = (await chat({ visitorId: 'angry', message: 'Seriously, get me a human', conversationId: first.conversationId, conversationToken: first.conversationToken })).json();
    expect(again.escalated).toBe(true);
    const created = (await events('escalation.created')).filter((e) => e.conversation_id === first.conversationId);
    expect(created).toHaveLength(1);
    const list = await ctx.app.inject({ method: 'GET', url: '/api/portal/escalations', headers: account.headers });
    expect(list.json().items.some((e: { conversationId: string; status: string }) => e.conversationId === first.conversationId && e.status === 'open')).toBe(true);
  });

  it('stores a message as text, never as markup', async () => {
    const xss = '<img src=x onerror=alert(1)>';
    const first = (await chat({ message: xss })).json();
    const detail = await ctx.app.inject({ method: 'GET', url: `/api/portal/conversations/${first.conversationId}`, headers: account.headers });
    expect(detail.json().messages[0].text).toBe(xss);
  });

  it('streams the reply as Server-Sent Events, and stores the same text', async () => {
    const response = await chat({ message: 'what are your opening hours' }, { accept: 'text/event-stream' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/event-stream');
    const events = response.body.trim().split('\n\n').map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return { event: eventLine!.slice('event: '.length), data: JSON.parse(dataLine!.slice('data: '.length)) };
    });
    const deltas = events.filter((e) => e.event === 'delta').map((e) => e.data.text).join('');
    const done = events.find((e) => e.event === 'done')!.data;
    expect(deltas).toBe(done.message.text);
    expect(done.message.text).toContain('9 AM to 5 PM');
    const stored = await ctx.database.db.selectFrom('messages').select('text').where('id', '=', done.message.id).executeTakeFirstOrThrow();
    expect(stored.text).toBe(deltas);
  });

  it('answers CORS for the chatbot’s allowed sites only', async () => {
    const bot = await createChatbotFor(ctx.app, account, { name: 'Strict', settings: { allowedOrigins: ['https://shop.example.com', 'https://*.example.org'] } });
    const preflight = await ctx.app.inject({ method: 'OPTIONS', url: '/api/public/system-chat', headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST' } });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://shop.example.com');
    const allowed = await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', headers: { origin: 'https://shop.example.com' }, payload: { chatbotId: bot.id, visitorId: 'v', message: 'hi' } });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://shop.example.com');
    const wildcard = await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', headers: { origin: 'https://www.example.org' }, payload: { chatbotId: bot.id, visitorId: 'v', message: 'hi' } });
    expect(wildcard.statusCode).toBe(200);
    const refused = await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', headers: { origin: 'https://evil.example.net' }, payload: { chatbotId: bot.id, visitorId: 'v', message: 'hi' } });
    expect(refused.statusCode).toBe(403);
    expect(await ctx.database.db.selectFrom('conversations').select('id').where('chatbot_id', '=', bot.id).execute()).toHaveLength(2);
  });

  it('rate-limits per visitor with Retry-After and RateLimit headers', async () => {
    const bot = await createChatbotFor(ctx.app, account, { name: 'Limited', settings: { rateLimit: { perVisitorPerMinute: 2, perIpPerMinute: 100 } } });
    const send = (visitorId: string) => ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId: bot.id, visitorId, message: 'hello' } });
    expect((await send('a')).statusCode).toBe(200);
    const second = await send('a');
    expect(second.headers['ratelimit-limit']).toBe('2');
    expect(second.headers['ratelimit-remaining']).toBe('0');
    const third = await send('a');
    expect(third.statusCode).toBe(429);
    expect(third.headers['retry-after']).toBeDefined();
    expect(third.headers['content-type']).toContain('application/problem+json');
    expect((await send('b')).statusCode).toBe(200);
  });

  it('limits one address however many visitor ids it rotates, and stores nothing it refuses', async () => {
    const bot = await createChatbotFor(ctx.app, account, { name: 'Per address', settings: { rateLimit: { perVisitorPerMinute: 100, perIpPerMinute: 3 } } });
    const send = (visitorId: string) => ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', remoteAddress: '198.51.100.7', payload: { chatbotId: bot.id, visitorId, message: 'hello' } });
    const statuses = [];
    for (const visitorId of ['r1', 'r2', 'r3', 'r4', 'r5']) statuses.push((await send(visitorId)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const refused = await send('r6');
    expect(refused.headers['retry-after']).toBeDefined();
    expect(refused.headers['ratelimit-limit']).toBe('3');
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(await ctx.database.db.selectFrom('conversations').select('id').where('chatbot_id', '=', bot.id).execute()).toHaveLength(3);
    const elsewhere = await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', remoteAddress: '198.51.100.8', payload: { chatbotId: bot.id, visitorId: 'r7', message: 'hello' } });
    expect(elsewhere.statusCode).toBe(200);
  });

  it('answers a clear problem instead of chatting when the account is not active', async () => {
    const other = await signUpAccount(ctx.app);
    const bot = await createChatbotFor(ctx.app, other, { name: 'Expired' });
    await ctx.database.db.updateTable('customers').set({ trial_ends_at: '2020-01-01T00:00:00.000Z' }).where('id', '=', other.customerId).execute();
    const response = await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId: bot.id, visitorId: 'v', message: 'hi' } });
    expect(response.statusCode).toBe(402);
    expect(response.json()).toMatchObject({ status: 402, code: 'payment_required' });
    expect(await ctx.database.db.selectFrom('conversations').select('id').where('chatbot_id', '=', bot.id).execute()).toHaveLength(0);
    const me = await ctx.app.inject({ method: 'GET', url: '/api/portal/me', headers: other.headers });
    expect(me.json().customer).toMatchObject({ isActive: false, trialDaysLeft: 0 });
    const widget = await ctx.app.inject({ method: 'GET', url: `/api/public/chatbots/${bot.id}/widget` });
    expect(widget.json().active).toBe(false);
  });

  /** Starts a conversation with a bot and returns what a widget keeps of it. */
  async function startConversation(botId: string, headers: Record<string, string> = {}) {
    const response = await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', headers, payload: { chatbotId: botId, visitorId: 'v', message: 'hi' } });
    expect(response.statusCode).toBe(200);
    return response.json<{ conversationId: string; conversationToken: string; message: { id: string } }>();
  }

  /** The public conversation routes (rating, messages, live events) a widget calls with the token it holds. */
  function conversationRequests(started: { conversationId: string; conversationToken: string; message: { id: string } }, headers: Record<string, string> = {}) {
    const token = { 'x-fc-conversation-token': started.conversationToken };
    return {
      rate: () => ctx.app.inject({ method: 'POST', url: `/api/public/conversations/${started.conversationId}/rate`, headers, payload: { messageId: started.message.id, rating: 'down', conversationToken: started.conversationToken } }),
      messages: () => ctx.app.inject({ method: 'GET', url: `/api/public/conversations/${started.conversationId}/messages`, headers: { ...headers, ...token } }),
      events: () => ctx.app.inject({ method: 'GET', url: `/api/public/conversations/${started.conversationId}/events`, headers: { ...headers, ...token } }),
    };
  }

  async function ratingsOf(conversationId: string) {
    return ctx.database.db.selectFrom('ratings').select('id').where('conversation_id', '=', conversationId).execute();
  }

  it('stops rating, reading and following a conversation with the same 402 as chat once the trial ends or the account is cancelled', async () => {
    for (const change of [{ trial_ends_at: '2020-01-01T00:00:00.000Z' }, { status: 'cancelled' as const }]) {
      const other = await signUpAccount(ctx.app);
      const bot = await createChatbotFor(ctx.app, other, { name: 'Lapsing' });
      const started = await startConversation(bot.id);
      await ctx.database.db.updateTable('customers').set(change).where('id', '=', other.customerId).execute();
      const requests = conversationRequests(started);
      for (const [name, send] of Object.entries(requests)) {
        const response = await send();
        expect(response.statusCode, `${name} ${JSON.stringify(change)}`).toBe(402);
        expect(response.headers['content-type'], name).toContain('application/problem+json');
        expect(response.json(), name).toMatchObject({ status: 402, code: 'payment_required' });
      }
      expect(await ratingsOf(started.conversationId)).toHaveLength(0);
      // A wrong token still answers 404, not 402: a stranger learns nothing about the account behind an id.
      const stranger = await ctx.app.inject({ method: 'GET', url: `/api/public/conversations/${started.conversationId}/messages`, headers: { 'x-fc-conversation-token': 'x'.repeat(43) } });
      expect(stranger.statusCode).toBe(404);
    }
  });

  it('applies the chatbot’s allowed origins to rating and reading a conversation, like chat', async () => {
    const bot = await createChatbotFor(ctx.app, account, { name: 'Origins', settings: { allowedOrigins: ['https://shop.example.com'] } });
    const started = await startConversation(bot.id, { origin: 'https://shop.example.com' });
    const foreign = conversationRequests(started, { origin: 'https://evil.example.net' });
    for (const [name, send] of Object.entries(foreign)) {
      const response = await send();
      expect(response.statusCode, name).toBe(403);
      expect(response.json(), name).toMatchObject({ status: 403, code: 'forbidden' });
    }
    expect(await ratingsOf(started.conversationId)).toHaveLength(0);
    const own = conversationRequests(started, { origin: 'https://shop.example.com' });
    expect((await own.rate()).statusCode).toBe(200);
    const messages = await own.messages();
    expect(messages.statusCode).toBe(200);
    expect(messages.headers['access-control-allow-origin']).toBe('https://shop.example.com');
    expect(await ratingsOf(started.conversationId)).toHaveLength(1);
  });

  it('gives a conversation token an expiry 30 days after the visitor’s last message, renewed by every message', async () => {
    const started = await startConversation(chatbotId);
    const DAY = 86_400_000;
    const expiresAt = Date.parse((started as unknown as { conversationTokenExpiresAt: string }).conversationTokenExpiresAt);
    expect(expiresAt - Date.now()).toBeGreaterThan(29.9 * DAY);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(30 * DAY);
    // A day before it would expire, the visitor writes again: the token lives another 30 days.
    await ctx.database.db.updateTable('conversations').set({ token_expires_at: new Date(Date.now() + DAY).toISOString() }).where('id', '=', started.conversationId).execute();
    const next = await chat({ message: 'where are you located?', conversationId: started.conversationId, conversationToken: started.conversationToken });
    expect(next.statusCode).toBe(200);
    expect(next.json().conversationToken).toBe(started.conversationToken);
    expect(Date.parse(next.json().conversationTokenExpiresAt) - Date.now()).toBeGreaterThan(29.9 * DAY);
    const stored = await ctx.database.db.selectFrom('conversations').select('token_expires_at').where('id', '=', started.conversationId).executeTakeFirstOrThrow();
    // On the wire with second precision, like every time.
    expect(Math.floor(Date.parse(stored.token_expires_at ?? '') / 1000) * 1000).toBe(Date.parse(next.json().conversationTokenExpiresAt));
  });

  it('answers 401 conversation_expired to an expired token on every conversation route; a wrong token still gets 404', async () => {
    const started = await startConversation(chatbotId);
    const legacy = await startConversation(chatbotId);
    const past = new Date(Date.now() - 1000).toISOString();
    await ctx.database.db.updateTable('conversations').set({ token_expires_at: past }).where('id', '=', started.conversationId).execute();
    // A conversation from before expiry existed counts from its last message.
    await ctx.database.db.updateTable('conversations').set({ token_expires_at: null, last_message_at: new Date(Date.now() - 31 * 86_400_000).toISOString() }).where('id', '=', legacy.conversationId).execute();
    const messagesBefore = await ctx.database.db.selectFrom('messages').select('id').where('conversation_id', '=', started.conversationId).execute();
    for (const conversation of [started, legacy]) {
      const requests = { ...conversationRequests(conversation), chat: () => chat({ message: 'still there?', conversationId: conversation.conversationId, conversationToken: conversation.conversationToken }) };
      for (const [name, send] of Object.entries(requests)) {
        const response = await send();
        expect(response.statusCode, name).toBe(401);
        expect(response.headers['content-type'], name).toContain('application/problem+json');
        expect(response.json(), name).toMatchObject({ status: 401, code: 'conversation_expired' });
      }
    }
    expect(await ratingsOf(started.conversationId)).toHaveLength(0);
    expect(await ctx.database.db.selectFrom('messages').select('id').where('conversation_id', '=', started.conversationId).execute()).toEqual(messagesBefore);
    const stranger = await ctx.app.inject({ method: 'GET', url: `/api/public/conversations/${started.conversationId}/messages`, headers: { 'x-fc-conversation-token': 'x'.repeat(43) } });
    expect(stranger.statusCode).toBe(404);
    // The streamed reply says the same in its error event, which is what the widget reads.
    const streamed = await chat({ message: 'still there?', conversationId: started.conversationId, conversationToken: started.conversationToken }, { accept: 'text/event-stream' });
    expect(streamed.body).toMatch(/event: error\ndata: .*"code":"conversation_expired"/);
    // A new conversation starts as usual.
    expect((await chat({ message: 'hello again' })).statusCode).toBe(200);
  });

  it('lets no browser or proxy keep answers that carry conversation tokens or messages', async () => {
    const started = await startConversation(chatbotId);
    const replies = {
      chat: await chat({ message: 'hello again', conversationId: started.conversationId, conversationToken: started.conversationToken }),
      ...Object.fromEntries(await Promise.all(Object.entries(conversationRequests(started)).filter(([name]) => name !== 'events').map(async ([name, send]) => [name, await send()] as const))),
      refused: await ctx.app.inject({ method: 'GET', url: `/api/public/conversations/${started.conversationId}/messages` }),
    };
    for (const [name, response] of Object.entries(replies)) {
      expect(response.statusCode, name).toBeLessThan(500);
      expect(response.headers['cache-control'], name).toBe('no-store');
    }
    // The widget's look holds nothing personal: it stays cacheable for a minute.
    const widget = await ctx.app.inject({ method: 'GET', url: `/api/public/chatbots/${chatbotId}/widget` });
    expect(widget.headers['cache-control']).toBe('public, max-age=60');
  });

  it('rejects bad chat input with problems and writes nothing', async () => {
    const before = (await ctx.database.db.selectFrom('messages').select('id').execute()).length;
    const cases: Record<string, unknown>[] = [
      { chatbotId, visitorId: 'v' },
      { chatbotId, visitorId: 'v', message: '' },
      { chatbotId, visitorId: 'v', message: 'x'.repeat(2001) },
      { chatbotId: 'not-a-bot', visitorId: 'v', message: 'hi' },
      { chatbotId, visitorId: 'v', message: 42 },
      { chatbotId, visitorId: 'v', message: 'hi', extra: true },
      { chatbotId, visitorId: 'v w', message: 'hi' },
    ];
    for (const payload of cases) {
      const response = await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    const unknownBot = await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId: 'bot_doesnotexist1', visitorId: 'v', message: 'hi' } });
    expect(unknownBot.statusCode).toBe(404);
    expect((await ctx.database.db.selectFrom('messages').select('id').execute()).length).toBe(before);
  });
});
