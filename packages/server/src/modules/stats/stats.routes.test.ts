import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';
import { windowStart } from './stats.service.js';

interface StatsBody {
  since: string;
  days: { date: string; conversations: number; leads: number; escalations: number; ratingsUp: number; ratingsDown: number }[];
  totals: { conversations: number; leads: number; escalations: number; ratingsUp: number; ratingsDown: number };
}

describe('GET /api/portal/stats', () => {
  let ctx: TestContext;
  let owner: TestAccount;
  let intruder: TestAccount;
  let chatbotId: string;

  beforeAll(async () => {
    ctx = await createTestApp();
    owner = await signUpAccount(ctx.app);
    intruder = await signUpAccount(ctx.app);
    chatbotId = (await createChatbotFor(ctx.app, owner, { name: 'Counted bot' })).id;
    const chat = async (message: string, extra: Record<string, string> = {}) => (await ctx.app.inject({
      method: 'POST', url: '/api/public/system-chat', payload: { chatbotId, visitorId: 'v-stats', message, ...extra },
    })).json<{ conversationId: string; conversationToken: string; message: { id: string } }>();
    const first = await chat('I want a quote, I am Sam Stone');
    const thread = { conversationId: first.conversationId, conversationToken: first.conversationToken };
    await chat('call me on 512-555-0100, sam@example.com', thread);
    const human = await chat('let me talk to a human', thread);
    await ctx.app.inject({ method: 'POST', url: `/api/public/conversations/${first.conversationId}/rate`, payload: { messageId: human.message.id, rating: 'down', conversationToken: first.conversationToken } });
    await chat('hello there');
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('counts today’s conversations, leads, escalations and ratings, one bucket per day', async () => {
    const response = await ctx.app.inject({ method: 'GET', url: '/api/portal/stats?days=7', headers: owner.headers });
    expect(response.statusCode).toBe(200);
    const body = response.json<StatsBody>();
    expect(body.days).toHaveLength(7);
    expect(body.days.at(-1)?.date).toBe(new Date().toISOString().slice(0, 10));
    expect(body.totals).toEqual({ conversations: 2, leads: 1, escalations: 1, ratingsUp: 0, ratingsDown: 1 });
    expect(body.days.at(-1)).toMatchObject({ conversations: 2, leads: 1, escalations: 1, ratingsDown: 1 });
    expect(body.since).toBe(`${windowStart(7).slice(0, 19)}Z`);
  });

  it('filters by chatbot', async () => {
    const other = await createChatbotFor(ctx.app, owner, { name: 'Quiet bot' });
    const body = (await ctx.app.inject({ method: 'GET', url: `/api/portal/stats?chatbotId=${other.id}`, headers: owner.headers })).json<StatsBody>();
    expect(body.days).toHaveLength(30);
    expect(body.totals.conversations).toBe(0);
  });

  it('shows another customer nothing, even when it names the owner’s chatbot', async () => {
    for (const url of ['/api/portal/stats', `/api/portal/stats?chatbotId=${chatbotId}`]) {
      const body = (await ctx.app.inject({ method: 'GET', url, headers: intruder.headers })).json<StatsBody>();
      expect(body.totals).toEqual({ conversations: 0, leads: 0, escalations: 0, ratingsUp: 0, ratingsDown: 0 });
    }
  });

  it('refuses a window it does not offer, and callers without a session', async () => {
    expect((await ctx.app.inject({ method: 'GET', url: '/api/portal/stats?days=0', headers: owner.headers })).statusCode).toBe(400);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/portal/stats?days=5000', headers: owner.headers })).statusCode).toBe(400);
    expect((await ctx.app.inject({ method: 'GET', url: '/api/portal/stats' })).statusCode).toBe(401);
  });
});
