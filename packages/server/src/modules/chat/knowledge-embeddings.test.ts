import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../test/harness.js';
import { createEmbeddingSyncLoop, EMBEDDING_BATCH, syncKnowledgeEmbeddings, type EmbeddingDeps } from './knowledge-embeddings.js';
import { createLlmProvider, type LlmProvider } from './llm.provider.js';

const KNOWLEDGE = {
  faqs: [
    { question: 'How much does a haircut cost?', answer: 'A standard haircut is $35, including a wash.' },
    { question: 'What are your opening hours?', answer: 'We are open Monday to Friday from 9 AM to 5 PM.' },
    { question: 'Do you colour hair?', answer: 'Yes, full colour starts at $90 and takes about two hours.' },
  ],
  documents: [],
};

/**
 * The stand-in embeddings model: a few "meanings" (dimensions) and the words that carry them, so a question in
 * words the knowledge never uses ("snip") still lands near the passage it means (haircut).
 */
const MEANINGS: Record<string, string[]> = {
  cut: ['haircut', 'snip', 'trim', 'chop'],
  time: ['hours', 'open', 'when', 'monday', 'friday'],
  colour: ['colour', 'dye', 'highlights', 'bleach'],
  money: ['$35', '$90', 'cost', 'much', 'pricey'],
};
function embedText(text: string): number[] {
  const words = text.toLowerCase().split(/[^a-z0-9$]+/);
  const vector = Object.values(MEANINGS).map((carriers) => words.filter((w) => carriers.includes(w)).length);
  return [...vector, 0.01];
}

interface Seen {
  url: string;
  body: { input?: string[]; model: string; messages?: { role: string; content: string }[] };
}

function startProvider(seen: Seen[], behaviour: { failEmbeddings: boolean }): Promise<Server> {
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      raw += chunk;
    });
    req.on('end', () => {
      const body = JSON.parse(raw) as Seen['body'];
      seen.push({ url: req.url ?? '', body });
      if (req.url === '/v1/embeddings') {
        if (behaviour.failEmbeddings) {
          res.writeHead(503).end();
          return;
        }
        const data = (body.input ?? []).map((text, index) => ({ object: 'embedding', index, embedding: embedText(text) }));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, usage: { prompt_tokens: 7 * data.length, total_tokens: 7 * data.length } }));
        return;
      }
      // The chat model cites the passage that says $35 when it was offered one.
      const system = body.messages?.[0]?.content ?? '';
      const id = /\[(S\d)\] How much does a haircut cost\?/.exec(system)?.[1];
      const out = { answer: id ? 'A standard haircut is $35, wash included.' : null, sourceIds: id ? [id] : [], leadFields: { name: null, email: null, phone: null }, wantsFollowUp: null, escalate: false, escalationReason: null };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: JSON.stringify(out) } }], usage: { prompt_tokens: 300, completion_tokens: 40 } }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('model embeddings of the knowledge (issue 18, item 2)', () => {
  let ctx: TestContext;
  let account: TestAccount;
  let server: Server;
  let provider: LlmProvider;
  let deps: EmbeddingDeps;
  const seen: Seen[] = [];
  const behaviour = { failEmbeddings: false };

  async function createBot(extra: Record<string, unknown> = {}): Promise<string> {
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    const bot = await createChatbotFor(ctx.app, account, { name: 'Salon', settings: { llm: { baseUrl, model: 'chat', embeddingsModel: 'embed-small', ...extra } } });
    await ctx.app.inject({ method: 'POST', url: `/api/portal/chatbots/${bot.id}/knowledge/import`, headers: account.headers, payload: KNOWLEDGE });
    return bot.id;
  }

  beforeAll(async () => {
    server = await startProvider(seen, behaviour);
    ctx = await createTestApp();
    account = await signUpAccount(ctx.app);
    provider = createLlmProvider({ allowPrivate: true });
    deps = { db: ctx.database.db, provider, secretKey: ctx.config.secretKey };
  });
  beforeEach(() => {
    seen.length = 0;
    behaviour.failEmbeddings = false;
  });
  afterAll(async () => {
    await provider.close();
    await ctx.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('embeds each passage once, in batches, and again only what an edit changed; deleted entries leave', async () => {
    const chatbotId = await createBot();
    expect(await syncKnowledgeEmbeddings(deps, chatbotId)).toEqual({ embedded: 3, removed: 0, tokens: 21 });
    expect(seen.filter((s) => s.url === '/v1/embeddings').map((s) => s.body.input?.length)).toEqual([3]);
    expect(await syncKnowledgeEmbeddings(deps, chatbotId)).toMatchObject({ embedded: 0, removed: 0 });

    const entries = (await ctx.app.inject({ method: 'GET', url: `/api/portal/chatbots/${chatbotId}/knowledge`, headers: account.headers })).json().items as { id: string; question: string }[];
    const hours = entries.find((e) => e.question === 'What are your opening hours?');
    const colour = entries.find((e) => e.question === 'Do you colour hair?');
    await ctx.app.inject({ method: 'PATCH', url: `/api/portal/chatbots/${chatbotId}/knowledge/${hours?.id}`, headers: account.headers, payload: { answer: 'We are open Monday to Saturday from 9 AM to 6 PM.' } });
    await ctx.app.inject({ method: 'DELETE', url: `/api/portal/chatbots/${chatbotId}/knowledge/${colour?.id}`, headers: account.headers });
    seen.length = 0;
    expect(await syncKnowledgeEmbeddings(deps, chatbotId)).toMatchObject({ embedded: 1, removed: 1 });
    expect(seen[0]?.body.input).toEqual(['What are your opening hours?\nWe are open Monday to Saturday from 9 AM to 6 PM.']);
    const rows = await ctx.database.db.selectFrom('knowledge_embeddings').select(['entry_id', 'dims']).where('chatbot_id', '=', chatbotId).execute();
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.dims === 5)).toBe(true);
  });

  it('offers the model the passage the question means even in words retrieval does not know', async () => {
    const chatbotId = await createBot();
    await syncKnowledgeEmbeddings(deps, chatbotId);
    seen.length = 0;
    const reply = (await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId, visitorId: 'v-snip', message: 'snip snip?' } })).json();
    expect(seen.map((s) => s.url)).toEqual(['/v1/embeddings', '/v1/chat/completions']);
    expect(seen[0]?.body.input).toEqual(['snip snip?']);
    expect(reply.message.text).toContain('A standard haircut is $35, wash included.');
    const usage = await ctx.database.db.selectFrom('llm_usage').selectAll().where('chatbot_id', '=', chatbotId).executeTakeFirstOrThrow();
    // Both retrievals' ranks add up (reciprocal-rank fusion): the passage the embedding finds closest comes first.
    expect(seen[1]?.body.messages?.[0]?.content).toMatch(/\[S1\] How much does a haircut cost\?/);
    // The question's embedding counts against the daily limit with the chat call.
    expect(Number(usage.prompt_tokens)).toBe(307);
  });

  it('still answers from the built-in retrieval when the embeddings endpoint fails, and the sync loop retries later', async () => {
    const chatbotId = await createBot();
    behaviour.failEmbeddings = true;
    const warnings: Record<string, unknown>[] = [];
    const loop = createEmbeddingSyncLoop({ ...deps, log: { warn: (details) => void warnings.push(details) }, intervalMs: 60_000 });
    await loop.runOnce();
    expect(warnings.some((w) => w.chatbotId === chatbotId)).toBe(true);
    const reply = (await ctx.app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId, visitorId: 'v-fail', message: 'how much is a haircut?' } })).json();
    expect(reply.message.text).toBe('A standard haircut is $35, wash included.');
    expect(await ctx.database.db.selectFrom('knowledge_embeddings').select('entry_id').where('chatbot_id', '=', chatbotId).execute()).toHaveLength(0);
    // The failing chatbot waits (backoff); once the endpoint works, a sync fills it in.
    behaviour.failEmbeddings = false;
    expect(await syncKnowledgeEmbeddings(deps, chatbotId)).toMatchObject({ embedded: 3 });
    expect(EMBEDDING_BATCH).toBeGreaterThan(1);
  });
});
