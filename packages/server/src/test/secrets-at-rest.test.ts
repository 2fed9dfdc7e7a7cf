import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createChatbotFor, createTestApp, IS_POSTGRES, signUpAccount, type TestContext } from './harness.js';

/** Secrets we must read back later are sealed: the database file never holds them in clear text. */
describe('secrets at rest', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestApp();
  });
  afterAll(async () => {
    await ctx.close();
  });

  async function readAllStoredBytes(): Promise<string> {
    if (!IS_POSTGRES) {
      await sql`pragma wal_checkpoint(TRUNCATE)`.execute(ctx.database.db);
      return readdirSync(ctx.config.dataDir)
        .filter((file) => file.startsWith('test.db'))
        .map((file) => readFileSync(path.join(ctx.config.dataDir, file)).toString('latin1'))
        .join('\n');
    }
    const tables = ['chatbots', 'api_keys', 'sessions', 'users', 'webhooks', 'sheets_destinations', 'idempotency_keys', 'conversations', 'messages'] as const;
    const dumps = await Promise.all(tables.map((table) => ctx.database.db.selectFrom(table).selectAll().execute()));
    return JSON.stringify(dumps);
  }

  it('does not contain the LLM key, API keys, session tokens or passwords in clear text', async () => {
    const account = await signUpAccount(ctx.app);
    await ctx.app.inject({
      method: 'POST', url: '/api/portal/chatbots', headers: account.headers,
      payload: { name: 'Bot', settings: { llm: { baseUrl: 'http://127.0.0.1:9/v1', model: 'm', apiKey: 'sk-LEAKCHECK-1234567890', timeoutMs: 2000 } } },
    });
    const key = (await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers: account.headers, payload: { name: 'k' } })).json().key as string;
    const stored = await readAllStoredBytes();
    expect(stored).not.toContain('sk-LEAKCHECK-1234567890');
    expect(stored).not.toContain(key);
    expect(stored).not.toContain(account.cookie.split('=')[1]);
    expect(stored).not.toContain(account.password);
  });

  it('does not contain a Google service account\'s private key in clear text', async () => {
    const account = await signUpAccount(ctx.app);
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const created = await ctx.app.inject({
      method: 'POST', url: '/api/portal/integrations/sheets', headers: account.headers,
      payload: { serviceAccountKey: { type: 'service_account', client_email: 'sa@leakcheck.iam.gserviceaccount.com', private_key: privateKey, token_uri: 'https://oauth2.googleapis.com/token' }, spreadsheetId: '1LeakCheckSpreadsheet0123456789', tabName: 'Leads' },
    });
    expect(created.statusCode).toBe(201);
    const stored = await readAllStoredBytes();
    expect(stored).toContain('sa@leakcheck.iam.gserviceaccount.com');
    // Any 64-character line of the key's base64 body would give it away.
    for (const line of privateKey.split('\n').filter((l) => l.length === 64)) expect(stored).not.toContain(line);
    expect(stored).not.toContain('BEGIN PRIVATE KEY');
  });

  it('does not keep the one-time API key, a webhook secret or a conversation token in clear text for idempotent repeats', async () => {
    const account = await signUpAccount(ctx.app);
    const headers = { ...account.headers, 'idempotency-key': 'leakcheck-1' };
    const key = (await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers, payload: { name: 'k' } })).json().key as string;
    const webhook = await ctx.app.inject({
      method: 'POST', url: '/api/portal/webhooks', headers: { ...account.headers, 'idempotency-key': 'leakcheck-2' }, payload: { url: 'https://hooks.example/in', events: ['lead.captured'] },
    });
    const chatbot = await createChatbotFor(ctx.app, account);
    const chat = await ctx.app.inject({
      method: 'POST', url: '/api/public/system-chat', payload: { chatbotId: chatbot.id, visitorId: 'leakcheck', message: 'hello', clientMessageId: 'leakcheck-3' },
    });
    expect(chat.statusCode).toBe(200);
    const stored = await readAllStoredBytes();
    expect(stored).not.toContain(key);
    expect(stored).not.toContain(webhook.json().secret as string);
    expect(stored).not.toContain(chat.json().conversationToken as string);
  });
});
