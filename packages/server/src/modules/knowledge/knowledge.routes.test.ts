import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';

describe('knowledge base', () => {
  let ctx: TestContext;
  let account: TestAccount;
  beforeAll(async () => {
    ctx = await createTestApp();
    account = await signUpAccount(ctx.app);
  });
  afterAll(async () => {
    await ctx.close();
  });

  async function countEntries(chatbotId: string): Promise<number> {
    const rows = await ctx.database.db.selectFrom('knowledge_entries').select('id').where('chatbot_id', '=', chatbotId).execute();
    return rows.length;
  }

  it('adds, edits, searches and deletes FAQ pairs and documents, bumping the knowledge version', async () => {
    const bot = await createChatbotFor(ctx.app, account);
    const faq = await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${bot.id}/knowledge`, headers: account.headers, payload: { kind: 'faq', question: 'Do you deliver?', answer: 'Yes, within 10 miles.' } });
    expect(faq.statusCode).toBe(201);
    expect(faq.json()).toMatchObject({ kind: 'faq', title: 'Do you deliver?', answer: 'Yes, within 10 miles.' });
    const doc = await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${bot.id}/knowledge`, headers: account.headers, payload: { kind: 'document', title: 'Returns policy', text: 'Returns within 30 days with receipt.' } });
    expect(doc.statusCode).toBe(201);

    const edit = await ctx.app.inject({ method: 'PATCH', url: `/api/portal/chatbots/${bot.id}/knowledge/${faq.json().id}`, headers: account.headers, payload: { answer: 'Yes, within 15 miles.' } });
    expect(edit.json().answer).toBe('Yes, within 15 miles.');
    const wrongField = await ctx.app.inject({ method: 'PATCH', url: `/api/portal/chatbots/${bot.id}/knowledge/${doc.json().id}`, headers: account.headers, payload: { answer: 'x' } });
    expect(wrongField.statusCode).toBe(400);

    const search = await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${bot.id}/knowledge?q=RECEIPT`, headers: { cookie: account.cookie } });
    expect(search.json().items.map((i: { id: string }) => i.id)).toEqual([doc.json().id]);
    const byKind = await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${bot.id}/knowledge?kind=faq`, headers: { cookie: account.cookie } });
    expect(byKind.json().items).toHaveLength(1);

    const del = await ctx.app.inject({ method: 'DELETE', url: `/api/portal/chatbots/${bot.id}/knowledge/${doc.json().id}`, headers: account.headers });
    expect(del.statusCode).toBe(204);
    const chatbot = await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${bot.id}`, headers: { cookie: account.cookie } });
    expect(chatbot.json().knowledgeVersion).toBe(4);
  });

  it('imports JSON FAQs and documents in one go', async () => {
    const bot = await createChatbotFor(ctx.app, account);
    const response = await ctx.app.inject({
      method: 'POST', url: `/api/portal/chatbots/${bot.id}/knowledge/import`, headers: account.headers,
      payload: { faqs: [{ question: 'Q1?', answer: 'A1' }, { question: 'Q2?', answer: 'A2' }], documents: [{ title: 'Doc', text: 'Body' }] },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ imported: 3 });
    expect(await countEntries(bot.id)).toBe(3);
  });

  it('imports a CSV of question,answer with quoted commas and newlines', async () => {
    const bot = await createChatbotFor(ctx.app, account);
    const csv = 'question,answer\n"Do you open on Sundays?","No, but our emergency line, (512) 555-0111, answers."\n"Multi-line?","Line one\nLine two"\n';
    const response = await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${bot.id}/knowledge/import`, headers: { ...account.headers, 'content-type': 'text/csv' }, payload: csv });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ imported: 2 });
    const list = await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${bot.id}/knowledge?q=sundays`, headers: { cookie: account.cookie } });
    expect(list.json().items[0].answer).toBe('No, but our emergency line, (512) 555-0111, answers.');
  });

  it('rejects malformed rows with row-level errors and imports nothing', async () => {
    const bot = await createChatbotFor(ctx.app, account);
    const json = await ctx.app.inject({
      method: 'POST', url: `/api/portal/chatbots/${bot.id}/knowledge/import`, headers: account.headers,
      payload: { faqs: [{ question: 'Good?', answer: 'Yes' }, { question: '', answer: 'No question' }, { question: 'No answer' }, 'nope'] },
    });
    expect(json.statusCode).toBe(422);
    expect(json.json().errors.map((e: { field: string }) => e.field)).toEqual(['faqs[1].question', 'faqs[2].answer', 'faqs[3]']);
    const csv = await ctx.app.inject({
      method: 'POST', url: `/api/portal/chatbots/${bot.id}/knowledge/import`, headers: { ...account.headers, 'content-type': 'text/csv' },
      payload: 'question,answer\nGood?,Yes\nToo,many,columns\n',
    });
    expect(csv.statusCode).toBe(422);
    expect(csv.json().errors[0]).toEqual({ field: 'row 3', message: 'has 3 columns, expected 2' });
    const badHeader = await ctx.app.inject({
      method: 'POST', url: `/api/portal/chatbots/${bot.id}/knowledge/import`, headers: { ...account.headers, 'content-type': 'text/csv' },
      payload: 'q;a\nx;y\n',
    });
    expect(badHeader.statusCode).toBe(400);
    const unclosed = await ctx.app.inject({
      method: 'POST', url: `/api/portal/chatbots/${bot.id}/knowledge/import`, headers: { ...account.headers, 'content-type': 'text/csv' },
      payload: 'question,answer\n"unclosed,quote\n',
    });
    expect(unclosed.statusCode).toBe(400);
    expect(await countEntries(bot.id)).toBe(0);
  });

  it('refuses an oversized import with 413', async () => {
    const bot = await createChatbotFor(ctx.app, account);
    const huge = JSON.stringify({ documents: [{ title: 'Big', text: 'x'.repeat(9 * 1024 * 1024) }] });
    const response = await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${bot.id}/knowledge/import`, headers: { ...account.headers, 'content-type': 'application/json' }, payload: huge });
    expect(response.statusCode).toBe(413);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(await countEntries(bot.id)).toBe(0);
  });

  it('caps the knowledge a chatbot holds: past the limit a change is refused with the limit named, and nothing is saved', async () => {
    const owner = await signUpAccount(ctx.app);
    const bot = await createChatbotFor(ctx.app, owner);
    const importFaqs = (from: number, count: number) => ctx.app.inject({
      method: 'POST', url: `/api/portal/chatbots/${bot.id}/knowledge/import`, headers: owner.headers,
      payload: { faqs: Array.from({ length: count }, (_, i) => ({ question: `Question number ${from + i}?`, answer: `Answer number ${from + i}.` })) },
    });
    expect((await importFaqs(0, 5_000)).statusCode).toBe(200);
    const over = await importFaqs(5_000, 2);
    expect(over.statusCode).toBe(413);
    expect(over.json()).toMatchObject({ status: 413, code: 'knowledge_limit' });
    expect(over.json().detail).toContain('5,000 entries per chatbot');
    const one = await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${bot.id}/knowledge`, headers: owner.headers, payload: { kind: 'faq', question: 'One more?', answer: 'No room.' } });
    expect(one.statusCode).toBe(413);
    expect(await countEntries(bot.id)).toBe(5_000);
  });
});
