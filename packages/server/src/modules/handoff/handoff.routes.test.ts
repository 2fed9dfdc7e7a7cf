import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';
import { startWebhookReceiver } from '../../test/webhook-receiver.js';
import { createDeliveryWorker } from '../../worker.js';
import { WEEKDAYS } from './business-hours.js';

const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const EVENT_TIMEOUT_MS = 5_000;

interface Reply {
  conversationId: string;
  conversationToken: string;
  message: { id: string; role: string; text: string };
  escalated: boolean;
  lead?: { captured: boolean; missing: string[] };
  handoff?: { state: string; agentName: string | null; nextOpenAt: string | null };
}

describe('human handoff', () => {
  let ctx: TestContext;
  let owner: TestAccount;
  let nightShift: Record<string, string>;
  let chatbotId: string;

  beforeAll(async () => {
    ctx = await createTestApp();
    owner = await signUpAccount(ctx.app, { company: 'Acme Plumbing' });
    const key = (await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers: owner.headers, payload: { name: 'Night shift' } })).json<{ key: string }>();
    // A second agent of the same account: API keys act under their own name.
    nightShift = { authorization: `Bearer ${key.key}` };
    chatbotId = (await createChatbotFor(ctx.app, owner, { name: 'Acme Helper' })).id;
    await ctx.app.inject({
      method: 'POST', url: `/api/portal/chatbots/${chatbotId}/knowledge/import`, headers: owner.headers,
      payload: { faqs: [{ question: 'What are your opening hours?', answer: 'We are open Monday through Friday, 8am to 6pm.' }] },
    });
  });
  afterAll(async () => {
    await ctx.close();
  });

  async function say(message: string, from?: Reply, bot = chatbotId): Promise<Reply> {
    const response = await ctx.app.inject({
      method: 'POST', url: '/api/public/system-chat',
      payload: { chatbotId: bot, visitorId: 'visitor-1', message, ...(from ? { conversationId: from.conversationId, conversationToken: from.conversationToken } : {}) },
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<Reply>();
  }
  const act = (action: string, conversationId: string, headers: Record<string, string> = owner.headers, payload?: unknown) =>
    ctx.app.inject({ method: 'POST', url: `/api/portal/inbox/${conversationId}/${action}`, headers, ...(payload ? { payload } : {}) });
  const inboxItem = async (conversationId: string) =>
    (await ctx.app.inject({ method: 'GET', url: `/api/portal/inbox/${conversationId}`, headers: owner.headers })).json<{ state: string; unreadCount: number; agentName: string | null; isMine: boolean; messages: { role: string; text: string; authorName: string | null }[] }>();
  const events = (type: string, conversationId: string) =>
    ctx.database.db.selectFrom('events').selectAll().where('type', '=', type).where('conversation_id', '=', conversationId).execute();

  it('keeps the bot silent while a person is awaited or answering, and lets one agent hold the conversation', async () => {
    const first = await say('Can I talk to a real person?');
    expect(first.escalated).toBe(true);
    expect(first.handoff).toEqual({ state: 'waiting_for_human', agentName: null, nextOpenAt: null });
    const list = (await ctx.app.inject({ method: 'GET', url: '/api/portal/inbox', headers: owner.headers })).json<{ items: { id: string; state: string; unreadCount: number }[] }>();
    expect(list.items).toContainEqual(expect.objectContaining({ id: first.conversationId, state: 'waiting_for_human', unreadCount: 1 }));

    // Waiting: the visitor's messages are stored, the bot answers with one stored notice, not with knowledge.
    const waiting = await say('What are your opening hours?', first);
    expect(waiting.message.role).toBe('system');
    expect(waiting.message.text).toContain('A person will reply here');
    expect(waiting.handoff?.state).toBe('waiting_for_human');
    const again = await say('Hello? Anyone?', first);
    expect(again.message.id).toBe(waiting.message.id);
    expect((await inboxItem(first.conversationId)).unreadCount).toBe(3);

    const claimed = await act('claim', first.conversationId);
    expect(claimed.statusCode, claimed.body).toBe(200);
    // Visitors see a public name, never the agent's e-mail address; colleagues in the inbox see the e-mail.
    expect(claimed.json().message.text).toBe('Acme Plumbing team joined the conversation.');
    expect(await inboxItem(first.conversationId)).toMatchObject({ state: 'human', agentName: owner.email, isMine: true, unreadCount: 0 });

    const stolen = await act('claim', first.conversationId, nightShift);
    expect(stolen.statusCode).toBe(409);
    expect(stolen.headers['content-type']).toContain('application/problem+json');
    expect(stolen.json().detail).toBe('Acme Plumbing team is already handling this conversation.');
    expect((await act('reply', first.conversationId, nightShift, { text: 'Me too' })).statusCode).toBe(409);
    expect((await act('resolve', first.conversationId, nightShift)).statusCode).toBe(409);

    const reply = await act('reply', first.conversationId, owner.headers, { text: 'Hi, this is the owner. We are open 8 to 6.' });
    expect(reply.statusCode, reply.body).toBe(201);
    expect(reply.json().message).toMatchObject({ role: 'agent', authorName: 'Acme Plumbing team' });

    const answer = await say('Great, can you come on Friday?', first);
    expect(answer.message.role).toBe('system');
    expect(answer.handoff).toEqual({ state: 'human', agentName: 'Acme Plumbing team', nextOpenAt: null });
    expect(JSON.stringify(answer)).not.toContain(owner.email);
    const item = await inboxItem(first.conversationId);
    expect(item.unreadCount).toBe(1);
    const afterEscalation = item.messages.slice(item.messages.findIndex((m) => m.text === 'Can I talk to a real person?') + 2);
    expect(afterEscalation.filter((m) => m.role === 'assistant')).toEqual([]);
    expect(afterEscalation.map((m) => m.role)).toEqual(['visitor', 'system', 'visitor', 'system', 'agent', 'visitor']);

    expect((await act('read', first.conversationId)).statusCode).toBe(204);
    expect((await inboxItem(first.conversationId)).unreadCount).toBe(0);

    // Resolve: escalation resolved and `escalation.resolved` written once, even when asked twice.
    expect((await act('resolve', first.conversationId)).statusCode).toBe(200);
    expect((await act('resolve', first.conversationId)).statusCode).toBe(409);
    const resolved = await events('escalation.resolved', first.conversationId);
    expect(resolved).toHaveLength(1);
    const escalation = await ctx.database.db.selectFrom('escalations').selectAll().where('conversation_id', '=', first.conversationId).executeTakeFirstOrThrow();
    expect(escalation).toMatchObject({ status: 'resolved' });
    expect(escalation.resolved_at).not.toBeNull();

    // After resolution the bot answers again.
    const later = await say('What are your opening hours?', first);
    expect(later.message.role).toBe('assistant');
    expect(later.message.text).toContain('Monday through Friday');
    expect(later.handoff).toBeUndefined();
  });

  it('hands back to the bot, which answers and may escalate again', async () => {
    const first = await say('I want to speak to a manager');
    expect((await act('reply', first.conversationId, owner.headers, { text: 'Not claimed yet' })).statusCode).toBe(409);
    expect((await act('claim', first.conversationId, nightShift)).statusCode).toBe(200);
    expect((await act('hand-back', first.conversationId)).statusCode).toBe(409);
    expect((await act('hand-back', first.conversationId, nightShift)).statusCode).toBe(200);
    const answered = await say('What are your opening hours?', first);
    expect(answered.message.role).toBe('assistant');
    expect(answered.message.text).toContain('Monday through Friday');
    const again = await say('Please connect me with a real person', first);
    expect(again.handoff?.state).toBe('waiting_for_human');
    expect(await events('escalation.created', first.conversationId)).toHaveLength(1);
    expect((await act('claim', first.conversationId)).statusCode).toBe(200);
  });

  it('delivers escalation.resolved to a webhook with the default mapping', async () => {
    const receiver = await startWebhookReceiver();
    const worker = createDeliveryWorker({ db: ctx.database.db, config: ctx.config, log: quietLog, pollIntervalMs: 20, sweepIdleConversations: false });
    try {
      const hook = await ctx.app.inject({ method: 'POST', url: '/api/portal/webhooks', headers: owner.headers, payload: { url: receiver.url, events: ['escalation.resolved'] } });
      expect(hook.statusCode, hook.body).toBe(201);
      const first = await say('I need to speak to a person, I am Dana Diaz');
      await say('my email is dana@example.com', first);
      expect(first.escalated).toBe(true);
      expect((await act('claim', first.conversationId)).statusCode).toBe(200);
      const resolved = await act('resolve', first.conversationId);
      expect(resolved.statusCode, resolved.body).toBe(200);
      expect(await ctx.database.db.selectFrom('deliveries').select('status').where('event_type', '=', 'escalation.resolved').execute()).toEqual([{ status: 'pending' }]);
      worker.start();
      const [delivered] = await receiver.waitFor(1, 3 * EVENT_TIMEOUT_MS);
      expect(delivered?.headers['x-fc-event']).toBe('escalation.resolved');
      const body = JSON.parse(delivered?.body ?? '{}') as Record<string, unknown>;
      expect(body).toMatchObject({ eventType: 'escalation.resolved', conversationId: first.conversationId, chatbot_name: 'Acme Helper', email: 'dana@example.com', reason: 'requested_human', last_message: 'my email is dana@example.com' });
      expect(Object.keys(body).filter((k) => !['eventType', 'eventTimestamp', 'eventId', 'customerId', 'chatbotId', 'conversationId'].includes(k)).sort())
        .toEqual(['chatbot_name', 'email', 'last_message', 'name', 'phone', 'reason']);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(receiver.received).toHaveLength(1);
    } finally {
      await worker.stop(100);
      await receiver.close();
      await ctx.database.db.deleteFrom('webhooks').where('customer_id', '=', owner.customerId).execute();
    }
  });

  it('streams new escalations and visitor messages to the portal inbox', async () => {
    const base = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    const controller = new AbortController();
    const response = await fetch(`${base}/api/portal/inbox/events`, { headers: { cookie: owner.cookie, accept: 'text/event-stream' }, signal: controller.signal });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const nextEvent = async (): Promise<{ event: string; data: Record<string, unknown> }> => {
      const deadline = Date.now() + EVENT_TIMEOUT_MS;
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end).split('\n');
          buffer = buffer.slice(end + 2);
          const data = block.find((line) => line.startsWith('data: '));
          if (data) return { event: block.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message', data: JSON.parse(data.slice(6)) };
          continue;
        }
        const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no inbox event in time')), Math.max(1, deadline - Date.now())));
        const chunk = await Promise.race([reader.read(), timeout]);
        if (chunk.done) throw new Error('stream ended');
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    };
    try {
      expect((await nextEvent()).event).toBe('ready');
      const first = await say('Get me a human please');
      expect(await nextEvent()).toEqual({ event: 'inbox', data: expect.objectContaining({ conversationId: first.conversationId, kind: 'updated' }) });
      await say('I am still here', first);
      expect(await nextEvent()).toEqual({ event: 'inbox', data: expect.objectContaining({ conversationId: first.conversationId, kind: 'message', message: expect.objectContaining({ role: 'visitor', text: 'I am still here' }) }) });
    } finally {
      controller.abort();
    }
  });

  it('outside business hours asks for contact details and says when a person will answer', async () => {
    const timezone = 'America/Chicago';
    const today = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short' }).format(new Date()).toLowerCase().slice(0, 3);
    const tomorrow = WEEKDAYS[(WEEKDAYS.indexOf(today as (typeof WEEKDAYS)[number]) + 1) % 7];
    const bot = await createChatbotFor(ctx.app, owner, { name: 'After Hours', settings: { businessHours: { enabled: true, timezone, weekly: [{ day: tomorrow, open: '09:00', close: '17:00' }] } } });
    const first = await say('Can I talk to a person?', undefined, bot.id);
    expect(first.message.text).toContain('After Hours is closed right now; a person will reply from');
    expect(first.message.text).toMatch(/What's the best phone number or email address to reach you\?$/);
    const opening = new Date(first.handoff?.nextOpenAt ?? '');
    const local = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short', hour: 'numeric', minute: '2-digit', hourCycle: 'h23' }).format(opening);
    expect(local.toLowerCase()).toBe(`${tomorrow} 09:00`);
    expect(opening.getTime()).toBeGreaterThan(Date.now());

    const waiting = await say('Are you there?', first, bot.id);
    expect(waiting.message.role).toBe('system');
    expect(waiting.lead?.missing).toEqual(['phone', 'email']);
    const withEmail = await say('you can reach me at night.owl@example.com', first, bot.id);
    expect(withEmail.message.text).toContain('We are closed right now; a person will reply from');
    expect(withEmail.lead).toBeUndefined();
    // The hand-off asked only for a way to reach the visitor: the lead goes out with it, as the portal lists it.
    const captured = await events('lead.captured', first.conversationId);
    expect(captured).toHaveLength(1);
    const leads = await ctx.app.inject({ method: 'GET', url: `/api/portal/leads?conversationId=${first.conversationId}`, headers: owner.headers });
    expect(leads.json().items).toEqual([expect.objectContaining({ email: 'night.owl@example.com' })]);
    const { id, name, email, phone, intent } = leads.json().items[0] as Record<string, unknown>;
    expect((JSON.parse(captured[0]!.payload) as { lead: unknown }).lead).toEqual({ id, name, email, phone, intent });

    const invalid = await ctx.app.inject({ method: 'PATCH', url: `/api/portal/chatbots/${bot.id}`, headers: owner.headers, payload: { settings: { businessHours: { timezone: 'Mars/Olympus' } } } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().detail).toContain('Mars/Olympus');
  });

  it('answers 404 for another customer’s conversations on every inbox action', async () => {
    const first = await say('Can I talk to a person?');
    const intruder = await signUpAccount(ctx.app);
    for (const action of ['claim', 'hand-back', 'resolve', 'read']) expect((await act(action, first.conversationId, intruder.headers)).statusCode).toBe(404);
    expect((await act('reply', first.conversationId, intruder.headers, { text: 'hi' })).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'GET', url: `/api/portal/inbox/${first.conversationId}`, headers: intruder.headers })).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/portal/inbox', headers: intruder.headers })).json().items).toEqual([]);
    expect((await inboxItem(first.conversationId)).state).toBe('waiting_for_human');
  });
});
