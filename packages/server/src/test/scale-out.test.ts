import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import type { App } from '../http/types.js';
import { createChatbotFor, createTestConfig, openTestDatabase, signUpAccount, type TestAccount } from './harness.js';

/**
 * Several API processes on one database (contract section 2): each keeps its own in-memory knowledge
 * index, and must still answer from current knowledge right after an edit made through another process.
 */
describe('knowledge stays current across API processes', () => {
  let apis: App[];
  let account: TestAccount;
  let chatbotId: string;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    const scratch = await openTestDatabase();
    const config = createTestConfig({ DATABASE_URL: scratch.databaseUrl, FC_DATA_DIR: scratch.dataDir });
    apis = [await buildApp({ config, database: scratch.database }), await buildApp({ config, database: scratch.database })];
    account = await signUpAccount(apis[0]!);
    chatbotId = (await createChatbotFor(apis[0]!, account, { name: 'Two-process bot' })).id;
    dispose = async () => {
      await Promise.all(apis.map((app) => app.close()));
      await scratch.dispose();
    };
  });
  afterAll(async () => {
    await dispose();
  });

  const ask = async (app: App, visitorId: string, message: string): Promise<string> =>
    (await app.inject({ method: 'POST', url: '/api/public/system-chat', payload: { chatbotId, visitorId, message } })).json<{ message: { text: string } }>().message.text;

  it('answers from an FAQ added, changed and deleted through the other process', async () => {
    // Process B builds its index first, so a stale copy would show.
    expect(await ask(apis[1]!, 'v1', 'Do you repair garage doors?')).not.toMatch(/garage doors on weekdays/);
    const created = await apis[0]!.inject({
      method: 'POST', url: `/api/portal/chatbots/${chatbotId}/knowledge`, headers: account.headers,
      payload: { kind: 'faq', question: 'Do you repair garage doors?', answer: 'Yes, we repair garage doors on weekdays.' },
    });
    expect(created.statusCode).toBe(201);
    expect(await ask(apis[1]!, 'v2', 'Do you repair garage doors?')).toMatch(/garage doors on weekdays/);

    const entryId = created.json<{ id: string }>().id;
    await apis[0]!.inject({ method: 'PATCH', url: `/api/portal/chatbots/${chatbotId}/knowledge/${entryId}`, headers: account.headers, payload: { answer: 'Yes, garage doors any day of the week.' } });
    expect(await ask(apis[1]!, 'v3', 'Do you repair garage doors?')).toMatch(/any day of the week/);

    await apis[0]!.inject({ method: 'DELETE', url: `/api/portal/chatbots/${chatbotId}/knowledge/${entryId}`, headers: account.headers });
    expect(await ask(apis[1]!, 'v4', 'Do you repair garage doors?')).not.toMatch(/garage doors/i);
  });
});
