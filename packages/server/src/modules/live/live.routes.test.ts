import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app.js';
import type { Db } from '../../db/database.js';
import type { App } from '../../http/types.js';
import { createChatbotFor, createTestConfig, openTestDatabase, signUpAccount } from '../../test/harness.js';
import { createMemoryLiveBus, type LiveBus } from './live-bus.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? '';
const EVENT_TIMEOUT_MS = 5_000;

interface StreamEvent {
  event: string;
  id: string | null;
  data: Record<string, unknown>;
}

interface EventStream {
  response: Response;
  next(): Promise<StreamEvent>;
  close(): void;
}

/** Opens `/events` with fetch and reads it event by event, as the widget does. */
async function openEvents(base: string, conversationId: string, token: string, options: { query?: string; headers?: Record<string, string> } = {}): Promise<EventStream> {
  const controller = new AbortController();
  const response = await fetch(`${base}/api/public/conversations/${conversationId}/events${options.query ?? ''}`, {
    headers: { 'x-fc-conversation-token': token, accept: 'text/event-stream', ...options.headers }, signal: controller.signal,
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    response,
    close: () => controller.abort(),
    async next() {
      const deadline = Date.now() + EVENT_TIMEOUT_MS;
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end).split('\n');
          buffer = buffer.slice(end + 2);
          const field = (name: string) => block.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2) ?? null;
          const data = field('data');
          if (data !== null) return { event: field('event') ?? 'message', id: field('id'), data: JSON.parse(data) };
          continue;
        }
        const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no event in time')), Math.max(1, deadline - Date.now())));
        const chunk = await Promise.race([reader.read(), timeout]);
        if (chunk.done) throw new Error('stream ended');
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    },
  };
}

interface Server {
  app: App;
  base: string;
}

async function startServer(database: Db, databaseUrl: string, dataDir: string, options: { liveBus?: LiveBus; redis?: Redis } = {}): Promise<Server> {
  const config = createTestConfig({ DATABASE_URL: databaseUrl, FC_DATA_DIR: dataDir });
  const app = await buildApp({ config, database, ...options });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, base };
}

async function chat(base: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}/api/public/system-chat`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ visitorId: 'live-visitor', ...body }) });
  return { status: response.status, body: (await response.json()) as { conversationId: string; conversationToken: string; message: { id: string; text: string } } };
}

describe('live conversation events', () => {
  const bus = createMemoryLiveBus();
  let server: Server;
  let chatbotId: string;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    const opened = await openTestDatabase();
    dispose = opened.dispose;
    server = await startServer(opened.database, opened.databaseUrl, opened.dataDir, { liveBus: bus });
    const account = await signUpAccount(server.app);
    chatbotId = (await createChatbotFor(server.app, account, { name: 'Live Bot', settings: { allowedOrigins: ['https://shop.example'] } })).id;
  });
  afterAll(async () => {
    await server.app.close();
    await bus.close();
    await dispose();
  });

  it('streams an agent reply published on the bus to the visitor’s open stream', async () => {
    const first = await chat(server.base, { chatbotId, message: 'hello' });
    const stream = await openEvents(server.base, first.body.conversationId, first.body.conversationToken);
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toContain('text/event-stream');
    const agentMessage = { id: 'msg_agentReply0001', role: 'agent' as const, text: 'Hi, Sam from the office here.', createdAt: '2026-05-03T14:22:08Z', authorName: 'Sam' };
    await bus.publish({ conversationId: first.body.conversationId, seq: 3, message: agentMessage });
    const event = await stream.next();
    expect(event).toEqual({ event: 'message', id: agentMessage.id, data: agentMessage });
    stream.close();
  });

  it('streams both messages of a chat turn, and only this conversation’s', async () => {
    const mine = await chat(server.base, { chatbotId, message: 'hello' });
    const other = await chat(server.base, { chatbotId, message: 'hi there' });
    const stream = await openEvents(server.base, mine.body.conversationId, mine.body.conversationToken);
    await chat(server.base, { chatbotId, message: 'someone else', conversationId: other.body.conversationId, conversationToken: other.body.conversationToken });
    const next = await chat(server.base, { chatbotId, message: 'are you open on Sunday?', conversationId: mine.body.conversationId, conversationToken: mine.body.conversationToken });
    const visitor = await stream.next();
    const assistant = await stream.next();
    expect(visitor.data).toMatchObject({ role: 'visitor', text: 'are you open on Sunday?' });
    expect(assistant).toMatchObject({ id: next.body.message.id, data: { role: 'assistant', text: next.body.message.text } });
    stream.close();
  });

  it('replays what came after ?after= before going live, so a reconnect misses nothing', async () => {
    const first = await chat(server.base, { chatbotId, message: 'first question' });
    const conversation = { conversationId: first.body.conversationId, conversationToken: first.body.conversationToken };
    const second = await chat(server.base, { chatbotId, message: 'second question', ...conversation });
    const stream = await openEvents(server.base, first.body.conversationId, first.body.conversationToken, { query: `?after=${first.body.message.id}` });
    expect((await stream.next()).data).toMatchObject({ role: 'visitor', text: 'second question' });
    expect((await stream.next()).id).toBe(second.body.message.id);
    const third = await chat(server.base, { chatbotId, message: 'third question', ...conversation });
    expect((await stream.next()).data).toMatchObject({ text: 'third question' });
    expect((await stream.next()).id).toBe(third.body.message.id);
    stream.close();
  });

  it('answers a wrong or missing token, or an unknown conversation, with a 404 problem', async () => {
    const first = await chat(server.base, { chatbotId, message: 'hello' });
    for (const [conversationId, token] of [[first.body.conversationId, 'x'.repeat(43)], [first.body.conversationId, ''], ['conv_doesNotExist01', first.body.conversationToken]] as const) {
      const response = await fetch(`${server.base}/api/public/conversations/${conversationId}/events`, { headers: token ? { 'x-fc-conversation-token': token } : {} });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(await response.json()).toMatchObject({ status: 404, code: 'not_found' });
    }
  });

  it('applies the chatbot’s allowed origins, with CORS headers for the allowed site', async () => {
    const first = await chat(server.base, { chatbotId, message: 'hello' });
    const denied = await fetch(`${server.base}/api/public/conversations/${first.body.conversationId}/events`, {
      headers: { 'x-fc-conversation-token': first.body.conversationToken, origin: 'https://evil.example' },
    });
    expect(denied.status).toBe(403);
    const stream = await openEvents(server.base, first.body.conversationId, first.body.conversationToken, { headers: { origin: 'https://shop.example' } });
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    stream.close();
  });

  it('ends open streams when the app closes instead of hanging the shutdown', async () => {
    const opened = await openTestDatabase();
    const own = await startServer(opened.database, opened.databaseUrl, opened.dataDir);
    const account = await signUpAccount(own.app);
    const bot = await createChatbotFor(own.app, account);
    const first = await chat(own.base, { chatbotId: bot.id, message: 'hello' });
    const stream = await openEvents(own.base, first.body.conversationId, first.body.conversationToken);
    const started = Date.now();
    await own.app.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    await expect(stream.next()).rejects.toThrow();
    await opened.dispose();
  });
});

describe.skipIf(!REDIS_URL)('live conversation events over Redis (two API processes)', () => {
  const connections: Redis[] = [];
  let first: Server;
  let second: Server;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    const opened = await openTestDatabase();
    dispose = opened.dispose;
    // Two apps with their own Redis connections and buses stand in for two processes behind a load balancer.
    const connect = () => {
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
      connections.push(redis);
      return redis;
    };
    first = await startServer(opened.database, opened.databaseUrl, opened.dataDir, { redis: connect() });
    second = await startServer(opened.database, opened.databaseUrl, opened.dataDir, { redis: connect() });
    await Promise.all(connections.map((redis) => (redis.status === 'ready' ? undefined : new Promise((resolve) => redis.once('ready', resolve)))));
  });
  afterAll(async () => {
    await first.app.close();
    await second.app.close();
    connections.forEach((redis) => redis.disconnect());
    await dispose();
  });

  it('delivers a message stored through one process to a stream held by the other', async () => {
    const account = await signUpAccount(first.app);
    const bot = await createChatbotFor(first.app, account);
    const opening = await chat(first.base, { chatbotId: bot.id, message: 'hello' });
    const conversation = { conversationId: opening.body.conversationId, conversationToken: opening.body.conversationToken };
    const stream = await openEvents(first.base, conversation.conversationId, conversation.conversationToken);
    const reply = await chat(second.base, { chatbotId: bot.id, message: 'do you work weekends?', ...conversation });
    expect(reply.status).toBe(200);
    expect((await stream.next()).data).toMatchObject({ role: 'visitor', text: 'do you work weekends?' });
    expect((await stream.next()).id).toBe(reply.body.message.id);
    stream.close();
  });
});
