import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';
import { KnowledgeIndexCache } from './knowledge-index.cache.js';

describe('knowledge index cache', () => {
  let ctx: TestContext;
  let account: TestAccount;

  async function version(chatbotId: string): Promise<number> {
    return (await ctx.database.db.selectFrom('chatbots').select('knowledge_version').where('id', '=', chatbotId).executeTakeFirstOrThrow()).knowledge_version;
  }

  async function addFaq(chatbotId: string, question: string, answer: string): Promise<void> {
    const response = await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${chatbotId}/knowledge`, headers: account.headers, payload: { kind: 'faq', question, answer } });
    expect(response.statusCode).toBe(201);
  }

  beforeAll(async () => {
    ctx = await createTestApp();
    account = await signUpAccount(ctx.app);
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('answers from the previous index while a rebuild runs, then from the new one', async () => {
    const bot = await createChatbotFor(ctx.app, account);
    await addFaq(bot.id, 'Do you sell gift vouchers?', 'Gift vouchers start at $50.');
    // No wait at all for the rebuild: the case of a large knowledge base whose rebuild outlasts the wait.
    const cache = new KnowledgeIndexCache(ctx.database.db, { freshWaitMs: 0 });
    const first = await cache.get(bot.id, await version(bot.id));
    expect(first.search('gift vouchers')[0]?.text).toContain('$50');

    await addFaq(bot.id, 'Is there parking?', 'Free parking behind the shop.');
    const during = await cache.get(bot.id, await version(bot.id));
    expect(during).toBe(first);
    await cache.settled(bot.id);
    const after = await cache.get(bot.id, await version(bot.id));
    expect(after).not.toBe(first);
    expect(after.search('is there parking')[0]?.text).toContain('Free parking');
  });

  it('waits for a rebuild that finishes within the wait, so a small knowledge base shows a change on the next turn', async () => {
    const bot = await createChatbotFor(ctx.app, account);
    await addFaq(bot.id, 'Do you sell gift vouchers?', 'Gift vouchers start at $50.');
    const cache = new KnowledgeIndexCache(ctx.database.db, { freshWaitMs: 60_000 });
    const first = await cache.get(bot.id, await version(bot.id));
    await addFaq(bot.id, 'Is there parking?', 'Free parking behind the shop.');
    const next = await cache.get(bot.id, await version(bot.id));
    expect(next).not.toBe(first);
    expect(next.search('is there parking')[0]?.text).toContain('Free parking');
  });

  it('shares one rebuild among concurrent turns and keeps the previous index when a rebuild fails', async () => {
    const bot = await createChatbotFor(ctx.app, account);
    await addFaq(bot.id, 'Do you sell gift vouchers?', 'Gift vouchers start at $50.');
    const errors: unknown[] = [];
    const cache = new KnowledgeIndexCache(ctx.database.db, { freshWaitMs: 0, logger: { error: (...args: unknown[]) => errors.push(args) } });
    const first = await cache.get(bot.id, await version(bot.id));

    await addFaq(bot.id, 'Is there parking?', 'Free parking behind the shop.');
    const latest = await version(bot.id);
    const [a, b] = await Promise.all([cache.get(bot.id, latest), cache.get(bot.id, latest)]);
    expect(a).toBe(first);
    expect(b).toBe(first);
    await cache.settled(bot.id);
    const rebuilt = await cache.get(bot.id, latest);

    // A rebuild that cannot read the knowledge (the database went away) leaves the last good index answering.
    let databaseDown = false;
    const flaky = ctx.database.db.withPlugin({
      transformQuery: (args) => { if (databaseDown) throw new Error('database unavailable'); return args.node; },
      transformResult: (args) => Promise.resolve(args.result),
    });
    const broken = new KnowledgeIndexCache(flaky, { freshWaitMs: 0, logger: { error: (...args: unknown[]) => errors.push(args) } });
    const good = await broken.get(bot.id, latest);
    databaseDown = true;
    expect(await broken.get(bot.id, latest + 1)).toBe(good);
    await broken.settled(bot.id);
    expect(errors).toHaveLength(1);
    expect(await broken.get(bot.id, latest + 1)).toBe(good);
    expect(rebuilt.search('is there parking')[0]?.text).toContain('Free parking');
  });
});
