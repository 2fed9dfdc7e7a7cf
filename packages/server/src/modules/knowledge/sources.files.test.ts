import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, multipartFile, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

describe('knowledge from uploaded files', () => {
  let ctx: TestContext;
  let account: TestAccount;
  let chatbotId: string;

  beforeAll(async () => {
    ctx = await createTestApp();
    account = await signUpAccount(ctx.app);
    chatbotId = (await createChatbotFor(ctx.app, account)).id;
  });
  afterAll(async () => {
    await ctx.close();
  });

  const upload = (fileName: string, bytes: Buffer | string, contentType?: string) => {
    const body = multipartFile(fileName, bytes, contentType ? { contentType } : {});
    return ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${chatbotId}/sources/files`, headers: { ...account.headers, ...body.headers }, payload: body.payload });
  };
  const ask = async (message: string) => (await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId, visitorId: `v-${Math.random().toString(36).slice(2)}`, message } }))
    .json<{ message: { text: string }; sources: { id: string; title: string; url?: string }[] }>();
  const passagesOf = async (sourceId: string) => (await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${chatbotId}/sources/${sourceId}`, headers: account.headers }))
    .json<{ entries: { kind: string; title: string; question: string | null; text: string | null; answer: string | null }[] }>().entries;

  it('reads a PDF page by page, and the bot answers from it', async () => {
    const response = await upload('price-list.pdf', fixture('price-list.pdf'), 'application/pdf');
    expect(response.statusCode).toBe(201);
    const source = response.json<{ id: string; kind: string; title: string; passages: number; url: string | null }>();
    expect(source).toMatchObject({ kind: 'file', title: 'price list', passages: 2, url: null });
    expect((await passagesOf(source.id)).map((p) => p.title)).toEqual(['price list – page 1', 'price list – page 2']);
    const reply = await ask('How much is a boiler service?');
    expect(reply.message.text).toContain('$89');
    expect(reply.sources[0]?.url).toBeUndefined();
  });

  it('refuses a scanned PDF with a clear message instead of an empty source', async () => {
    const response = await upload('scan.pdf', fixture('scanned.pdf'));
    expect(response.statusCode).toBe(422);
    expect(response.json<{ detail: string }>().detail).toContain('looks like a scan');
    const sources = (await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${chatbotId}/sources`, headers: account.headers })).json<{ items: { title: string }[] }>().items;
    expect(sources.map((s) => s.title)).not.toContain('scan');
  });

  it('splits a DOCX at its headings (a question heading is an FAQ pair)', async () => {
    const response = await upload('policies.docx', fixture('policies.docx'));
    expect(response.statusCode).toBe(201);
    const passages = await passagesOf(response.json<{ id: string }>().id);
    expect(passages).toEqual([
      expect.objectContaining({ kind: 'document', title: 'Cancellation policy', text: expect.stringContaining('$30 fee') }),
      expect.objectContaining({ kind: 'faq', question: 'Do you take card payments?', answer: expect.stringContaining('all major cards') }),
    ]);
  });

  it('reads Markdown, HTML and plain text by their content, and a second upload of a file replaces the first', async () => {
    const markdown = await upload('opening-hours.md', '# Opening hours\n\nMonday to Friday, 8am to 6pm.\n\n## Bank holidays\n\nClosed on bank holidays.\n');
    expect(markdown.statusCode).toBe(201);
    expect((await passagesOf(markdown.json<{ id: string }>().id)).map((p) => p.title)).toEqual(['Opening hours', 'Bank holidays']);
    const html = await upload('areas.html', '<!doctype html><html><head><title>Areas</title></head><body><main><h1>Areas we cover</h1><p>Springfield and Shelbyville.</p></main></body></html>');
    expect(html.json()).toMatchObject({ title: 'areas', passages: 1 });
    const text = await upload('notes.txt', 'We recycle every old boiler we replace.');
    expect(text.json()).toMatchObject({ title: 'notes', passages: 1 });
    const again = await upload('notes.txt', 'We recycle old boilers and radiators.\n\nParking is free at our yard.');
    expect(again.json<{ id: string }>().id).toBe(text.json<{ id: string }>().id);
    expect((await passagesOf(again.json<{ id: string }>().id))[0]?.text).toContain('radiators');
  });

  it('decides the type by the bytes and names every cap', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cf00000301010018dd8db40000000049454e44ae426082', 'hex');
    const renamed = await upload('not-really.txt', png, 'text/plain');
    expect(renamed.statusCode).toBe(415);
    expect(renamed.json<{ detail: string }>().detail).toContain('image/png');
    const tooBig = await upload('huge.txt', Buffer.alloc(10 * 1024 * 1024 + 1, 'a'));
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json<{ detail: string }>().detail).toBe('At most 10 MB per file.');
    const json = await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${chatbotId}/sources/files`, headers: account.headers, payload: { file: 'x' } });
    expect(json.statusCode).toBe(415);
    const wrongField = multipartFile('a.txt', 'hello', { field: 'document' });
    const noFile = await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${chatbotId}/sources/files`, headers: { ...account.headers, ...wrongField.headers }, payload: wrongField.payload });
    expect(noFile.json()).toMatchObject({ status: 400, errors: [{ field: 'body.file' }] });
    const empty = await upload('empty.txt', '');
    expect(empty.statusCode).toBe(400);
  });
});
