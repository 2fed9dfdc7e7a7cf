import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// The tests run the app against a REAL FusionChatalyst server (the app itself imports nothing from it).
import { createChatbotFor, createTestApp, signUpAccount, type TestAccount, type TestContext } from '../../server/src/test/harness.js';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../../server/src/test/webhook-receiver.js';
import { createDeliveryWorker, type DeliveryWorker } from '../../server/src/worker.js';

type Bundle = Record<string, unknown>;
type Payload = Record<string, unknown>;
type Method = (z: unknown, bundle: Bundle) => unknown;
interface OutputField { key: string; label?: string; primary?: boolean }
interface HookOperation { performSubscribe: Method; performUnsubscribe: Method; perform: Method; performList: Method; sample: Payload; outputFields: OutputField[] }
interface HookTrigger { display: { label: string }; operation: HookOperation }
/** The parts of the app definition the tests drive. */
interface AppDefinition {
  authentication: { test: Method; connectionLabel: Method };
  triggers: {
    newLead: HookTrigger; updatedLead: HookTrigger; newEscalation: HookTrigger; newConversation: HookTrigger; newSatisfactionRating: HookTrigger;
    chatbotList: { operation: { perform: Method } };
  };
  creates: { addFaq: { operation: { perform: Method; sample: Payload } } };
}
type AppTester = (method: Method, bundle: Bundle) => Promise<unknown>;
interface ZapierCore {
  createAppTester(app: unknown): AppTester;
  createAppHandler(app: unknown): (event: object, context: object, callback: (error: unknown, response: { results: unknown[] }) => void) => unknown;
}

// Loaded the way Zapier's runtime loads it: CommonJS through require.
const require = createRequire(import.meta.url);
const App = require('../index.js') as AppDefinition;
const zapier = require('zapier-platform-core') as ZapierCore;

const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const LEAD_SETTINGS = { leadCapture: { enabled: true, fields: ['name', 'email', 'phone'], requiredFields: ['name', 'phone'], intents: ['request_quote', 'book_appointment'] } };

const HOOK_TRIGGERS = [App.triggers.newLead, App.triggers.updatedLead, App.triggers.newEscalation, App.triggers.newConversation, App.triggers.newSatisfactionRating];

describe('Zapier app: schema (offline)', () => {
  it('passes zapier-platform-schema validation of the whole app definition', async () => {
    const handler = zapier.createAppHandler(App);
    const errors = await new Promise<unknown[]>((resolve, reject) => {
      void handler({ command: 'validate' }, {}, (error, response) => (error ? reject(error) : resolve(response.results)));
    });
    expect(errors).toEqual([]);
  });

  it.each(HOOK_TRIGGERS)('$display.label has a sample with exactly its labelled output fields and a primary event id', (trigger) => {
    const { sample, outputFields } = trigger.operation;
    expect(outputFields.map((field) => field.key)).toEqual(Object.keys(sample));
    for (const field of outputFields) expect(field.label).toEqual(expect.any(String));
    expect(outputFields.find((field) => field.primary)).toMatchObject({ key: 'eventId' });
  });

  it('Updated Lead has the same fields as New Lead and passes a lead.updated delivery on unchanged', async () => {
    const updated = App.triggers.updatedLead.operation;
    expect(updated.outputFields).toEqual(App.triggers.newLead.operation.outputFields);
    expect(updated.sample).toMatchObject({ eventType: 'lead.updated' });
    const appTester = zapier.createAppTester(App);
    const delivery = { ...updated.sample, email: 'jane.doe@example.org' };
    expect(await appTester(updated.perform, { authData: { apiKey: 'fc_offline' }, cleanedRequest: delivery, inputData: {} })).toEqual([delivery]);
  });

  it('New Satisfaction Rating subscribes to conversation.rated and passes a delivery on unchanged', async () => {
    const rating = App.triggers.newSatisfactionRating.operation;
    expect(rating.sample).toMatchObject({ eventType: 'conversation.rated', score: 5 });
    expect(rating.outputFields.find((field) => field.key === 'score')).toMatchObject({ label: 'Score (1 to 5)', type: 'integer' });
    const appTester = zapier.createAppTester(App);
    const delivery = { ...rating.sample, score: 2, comment: 'Took a while.' };
    expect(await appTester(rating.perform, { authData: { apiKey: 'fc_offline' }, cleanedRequest: delivery, inputData: {} })).toEqual([delivery]);
  });

  it('imports nothing from the other packages of the repository', async () => {
    const { readFileSync, readdirSync } = await import('node:fs');
    const root = new URL('../', import.meta.url);
    const files = ['index.js', 'authentication.js', ...['lib', 'triggers', 'creates'].flatMap((dir) => readdirSync(new URL(dir, root)).map((file) => `${dir}/${file}`))];
    for (const file of files) {
      const requires = [...readFileSync(new URL(file, root), 'utf8').matchAll(/require\('([^']+)'\)/g)].map((m) => m[1] as string);
      for (const target of requires) expect(target.startsWith('.') ? target : `pkg:${target}`, file).toMatch(/^(\.\.?\/(?!\.\.\/)|pkg:zapier-platform-core$)/);
    }
  });
});

describe('Zapier app against a running FusionChatalyst server', () => {
  let ctx: TestContext;
  let account: TestAccount;
  let chatbot: { id: string; name: string };
  let authData: { apiKey: string; baseUrl: string };
  let receiver: WebhookReceiver;
  let worker: DeliveryWorker;
  const appTester = zapier.createAppTester(App);

  beforeAll(async () => {
    ctx = await createTestApp({ FC_RETRY_SCHEDULE: '50ms,50ms' });
    await ctx.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = ctx.app.server.address() as AddressInfo;
    account = await signUpAccount(ctx.app, { company: 'Acme Plumbing' });
    chatbot = await createChatbotFor(ctx.app, account, { name: 'Acme Plumbing Bot', settings: LEAD_SETTINGS });
    const key = await ctx.app.inject({ method: 'POST', url: '/api/portal/api-keys', headers: account.headers, payload: { name: 'Zapier' } });
    authData = { apiKey: key.json<{ key: string }>().key, baseUrl: `http://127.0.0.1:${port}` };
    receiver = await startWebhookReceiver();
    worker = createDeliveryWorker({ db: ctx.database.db, config: ctx.config, log: quietLog, pollIntervalMs: 20, sweepIdleConversations: false });
    worker.start();
  });
  afterAll(async () => {
    await worker.stop(200);
    await receiver.close();
    await ctx.close();
  });
  afterEach(() => {
    receiver.setBehaviour(() => ({ status: 200, body: 'ok' }));
  });

  /** A visitor chats over real HTTP until the bot captures a lead (and, optionally, asks for a human). */
  async function chatAsVisitor(visitorId: string, messages: string[]): Promise<string> {
    let conversation: { conversationId?: string; conversationToken?: string } = {};
    for (const message of messages) {
      const response = await fetch(`${authData.baseUrl}/api/public/system-chat`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chatbotId: chatbot.id, visitorId, message, ...conversation }),
      });
      expect(response.status).toBe(200);
      const reply = await response.json() as { conversationId: string; conversationToken: string };
      conversation = { conversationId: reply.conversationId, conversationToken: reply.conversationToken };
    }
    return conversation.conversationId as string;
  }

  async function zapierHooks() {
    const response = await ctx.app.inject({ method: 'GET', url: '/api/portal/integrations/zapier/hooks', headers: account.headers });
    return response.json<{ items: { id: string; event: string; status: string; statusReason: string | null }[] }>().items;
  }

  async function waitFor<T>(read: () => Promise<T>, isDone: (value: T) => boolean, what: string): Promise<T> {
    for (let i = 0; i < 200; i += 1) {
      const value = await read();
      if (isDone(value)) return value;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('connects with an API key: the auth test answers the account and labels the connection', async () => {
    const me = await appTester(App.authentication.test, { authData } as Bundle) as { customer: { id: string; name: string }; apiKey: { name: string } };
    expect(me.customer).toEqual({ id: account.customerId, name: 'Acme Plumbing' });
    const label = await appTester(App.authentication.connectionLabel, { authData, inputData: me } as Bundle);
    expect(label).toBe('Acme Plumbing (Zapier)');
    await expect(appTester(App.authentication.test, { authData: { ...authData, apiKey: 'fc_not-a-real-key' } } as Bundle)).rejects.toThrow('The API key is invalid or has been revoked.');
  });

  it('New Lead: subscribe, a real lead reaches the hook through the worker, perform and performList agree, unsubscribe', async () => {
    const trigger = App.triggers.newLead.operation;
    const subscribeData = await appTester(trigger.performSubscribe, { authData, targetUrl: receiver.url, inputData: {} } as Bundle) as { id: string };
    expect(subscribeData.id).toMatch(/^zap_/);
    expect(await zapierHooks()).toEqual([expect.objectContaining({ id: subscribeData.id, event: 'lead.captured', status: 'active' })]);

    const before = receiver.received.length;
    const conversationId = await chatAsVisitor('zap-visitor-1', ['Can I get a quote for a new water heater?', 'Jane Smith', 'jane@example.com', 'my phone is (512) 555-0123']);
    const requests = await receiver.waitFor(before + 1);
    const delivered = requests.slice(before).find((r: ReceivedRequest) => r.headers['x-fc-event'] === 'lead.captured');
    expect(delivered).toBeDefined();
    expect(delivered!.headers['webhook-signature']).toMatch(/^v1,/);
    const payload = JSON.parse(delivered!.body) as Payload;
    expect(payload).toMatchObject({ name: 'Jane Smith', email: 'jane@example.com', phone: '+15125550123', chatbot_name: 'Acme Plumbing Bot', eventType: 'lead.captured', conversationId, chatbotId: chatbot.id, customerId: account.customerId });

    // What Zapier does with the hook's body, and the field picker's samples: the same shape as the app's sample.
    const performed = await appTester(trigger.perform, { authData, cleanedRequest: payload, inputData: {} } as Bundle) as Payload[];
    expect(performed).toEqual([payload]);
    expect(Object.keys(performed[0]!)).toEqual(Object.keys(trigger.sample));
    const listed = await appTester(trigger.performList, { authData, inputData: {} } as Bundle) as Payload[];
    expect(listed[0]).toEqual(payload);

    const deliveries = await waitFor(
      async () => (await ctx.app.inject({ method: 'GET', url: `/api/portal/webhooks/${subscribeData.id}/deliveries`, headers: account.headers })).json<{ items: { status: string; eventId: string }[] }>().items,
      (items) => items[0]?.status === 'succeeded', 'the delivery log',
    );
    expect(deliveries[0]!.eventId).toBe(payload.eventId);

    expect(await appTester(trigger.performUnsubscribe, { authData, subscribeData, inputData: {} } as Bundle)).toEqual({ id: subscribeData.id, removed: true });
    expect(await zapierHooks()).toEqual([]);
    // Unsubscribing twice (Zapier retries) is harmless.
    expect(await appTester(trigger.performUnsubscribe, { authData, subscribeData, inputData: {} } as Bundle)).toEqual({ id: subscribeData.id, removed: false });
  });

  it('Updated Lead: a detail corrected after the lead was sent reaches the hook as lead.updated, in New Lead\'s shape', async () => {
    const trigger = App.triggers.updatedLead.operation;
    const subscribeData = await appTester(trigger.performSubscribe, { authData, targetUrl: receiver.url, inputData: { chatbotId: chatbot.id } } as Bundle) as { id: string };
    expect(await zapierHooks()).toEqual([expect.objectContaining({ id: subscribeData.id, event: 'lead.updated', status: 'active' })]);

    const before = receiver.received.length;
    const conversationId = await chatAsVisitor('zap-visitor-6', [
      'Can I get a quote for a new boiler?', 'Sam Lee', 'sam@example.com', 'my phone is (512) 555-0147', 'sorry, my email is actually sam.lee@example.org',
    ]);
    const requests = await receiver.waitFor(before + 1);
    const delivered = requests.slice(before).find((r: ReceivedRequest) => r.headers['x-fc-event'] === 'lead.updated');
    expect(delivered).toBeDefined();
    const payload = JSON.parse(delivered!.body) as Payload;
    expect(payload).toMatchObject({ name: 'Sam Lee', email: 'sam.lee@example.org', phone: '+15125550147', eventType: 'lead.updated', conversationId });
    // Only the update: this hook is not subscribed to lead.captured.
    expect(requests.slice(before).map((r) => r.headers['x-fc-event'])).toEqual(['lead.updated']);

    const performed = await appTester(trigger.perform, { authData, cleanedRequest: payload, inputData: {} } as Bundle) as Payload[];
    expect(Object.keys(performed[0]!)).toEqual(Object.keys(trigger.sample));
    const listed = await appTester(trigger.performList, { authData, inputData: { chatbotId: chatbot.id } } as Bundle) as Payload[];
    expect(listed[0]).toEqual(payload);
    expect(await appTester(trigger.performUnsubscribe, { authData, subscribeData, inputData: {} } as Bundle)).toEqual({ id: subscribeData.id, removed: true });
  });

  it('New Escalation: a 410 Gone from the hook unsubscribes it; 5xx is retried', async () => {
    const trigger = App.triggers.newEscalation.operation;
    // Before any escalation, the field picker gets a realistic sample in the live shape.
    const samples = await appTester(trigger.performList, { authData, inputData: { chatbotId: chatbot.id } } as Bundle) as Payload[];
    expect(Object.keys(samples[0]!)).toEqual(Object.keys(trigger.sample));
    expect(samples[0]).toMatchObject({ chatbot_name: 'Acme Plumbing Bot', eventType: 'escalation.created', chatbotId: chatbot.id });

    const subscribeData = await appTester(trigger.performSubscribe, { authData, targetUrl: receiver.url, inputData: { chatbotId: chatbot.id } } as Bundle) as { id: string };
    receiver.setBehaviour((request) => (request.headers['x-fc-event'] === 'escalation.created' ? (receiver.received.filter((r) => r.headers['x-fc-event'] === 'escalation.created').length === 1 ? { status: 503 } : { status: 410 }) : { status: 200 }));
    await chatAsVisitor('zap-visitor-2', ['I need help with my boiler', 'let me talk to a human']);
    const [hook] = await waitFor(zapierHooks, (items) => items[0]?.status === 'unsubscribed', 'the 410 to unsubscribe the hook');
    expect(hook).toMatchObject({ id: subscribeData.id, statusReason: expect.stringMatching(/^Zapier unsubscribed/) });
    const attempts = receiver.received.filter((r) => r.headers['x-fc-event'] === 'escalation.created');
    expect(attempts).toHaveLength(2);
    const performed = await appTester(trigger.perform, { authData, cleanedRequest: JSON.parse(attempts[0]!.body) as Payload, inputData: {} } as Bundle) as Payload[];
    expect(Object.keys(performed[0]!)).toEqual(Object.keys(trigger.sample));

    // Nothing more is sent to it; Zapier's own unsubscribe still cleans it up.
    await chatAsVisitor('zap-visitor-3', ['my pipe burst', 'let me talk to a human']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received.filter((r) => r.headers['x-fc-event'] === 'escalation.created')).toHaveLength(2);
    expect(await appTester(trigger.performUnsubscribe, { authData, subscribeData, inputData: {} } as Bundle)).toEqual({ id: subscribeData.id, removed: true });
  });

  it('New Conversation: performList answers recent real conversations in the live shape', async () => {
    const trigger = App.triggers.newConversation.operation;
    const subscribeData = await appTester(trigger.performSubscribe, { authData, targetUrl: receiver.url, inputData: {} } as Bundle) as { id: string };
    const before = receiver.received.length;
    await chatAsVisitor('zap-visitor-4', ['Do you fix leaking taps?']);
    const delivered = (await receiver.waitFor(before + 1)).slice(before).find((r) => r.headers['x-fc-event'] === 'conversation.started')!;
    const listed = await appTester(trigger.performList, { authData, inputData: {} } as Bundle) as Payload[];
    expect(listed[0]).toEqual(JSON.parse(delivered.body));
    expect(listed[0]).toMatchObject({ first_message: 'Do you fix leaking taps?', eventType: 'conversation.started' });
    expect(Object.keys(listed[0]!)).toEqual(Object.keys(trigger.sample));
    await appTester(trigger.performUnsubscribe, { authData, subscribeData, inputData: {} } as Bundle);
  });

  it('New Satisfaction Rating: a visitor rates a conversation an agent resolved, the hook gets conversation.rated', async () => {
    const trigger = App.triggers.newSatisfactionRating.operation;
    const samples = await appTester(trigger.performList, { authData, inputData: { chatbotId: chatbot.id } } as Bundle) as Payload[];
    expect(Object.keys(samples[0]!)).toEqual(Object.keys(trigger.sample));
    expect(samples[0]).toMatchObject({ chatbot_name: 'Acme Plumbing Bot', eventType: 'conversation.rated', score: 5 });

    const subscribeData = await appTester(trigger.performSubscribe, { authData, targetUrl: receiver.url, inputData: { chatbotId: chatbot.id } } as Bundle) as { id: string };
    expect(await zapierHooks()).toContainEqual(expect.objectContaining({ id: subscribeData.id, event: 'conversation.rated', status: 'active' }));
    const start = await fetch(`${authData.baseUrl}/api/public/system-chat`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chatbotId: chatbot.id, visitorId: 'zap-visitor-7', message: 'I want to talk to a human, my email is kim@example.com' }),
    });
    const chat = await start.json() as { conversationId: string; conversationToken: string; escalated: boolean };
    expect(chat.escalated).toBe(true);
    for (const action of ['claim', 'resolve']) {
      const response = await ctx.app.inject({ method: 'POST', url: `/api/portal/inbox/${chat.conversationId}/${action}`, headers: account.headers });
      expect(response.statusCode, response.body).toBe(200);
    }
    const before = receiver.received.length;
    const rated = await fetch(`${authData.baseUrl}/api/public/conversations/${chat.conversationId}/satisfaction`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ score: 4, comment: 'Helpful', conversationToken: chat.conversationToken }),
    });
    expect(rated.status).toBe(200);
    const delivered = (await receiver.waitFor(before + 1)).slice(before).find((r) => r.headers['x-fc-event'] === 'conversation.rated')!;
    const payload = JSON.parse(delivered.body) as Payload;
    expect(payload).toMatchObject({ email: 'kim@example.com', score: 4, comment: 'Helpful', agent_name: 'Acme Plumbing team', eventType: 'conversation.rated', conversationId: chat.conversationId });
    const performed = await appTester(trigger.perform, { authData, cleanedRequest: payload, inputData: {} } as Bundle) as Payload[];
    expect(Object.keys(performed[0]!)).toEqual(Object.keys(trigger.sample));
    const listed = await appTester(trigger.performList, { authData, inputData: { chatbotId: chatbot.id } } as Bundle) as Payload[];
    expect(listed[0]).toEqual(payload);
    expect(await appTester(trigger.performUnsubscribe, { authData, subscribeData, inputData: {} } as Bundle)).toEqual({ id: subscribeData.id, removed: true });
  });

  it('refuses a bad subscription with the server\'s plain-words reason', async () => {
    const trigger = App.triggers.newLead.operation;
    await expect(appTester(trigger.performSubscribe, { authData, targetUrl: 'not a url', inputData: {} } as Bundle)).rejects.toThrow(/URL/);
    await expect(appTester(trigger.performSubscribe, { authData, targetUrl: receiver.url, inputData: { chatbotId: 'bot_someoneElse123' } } as Bundle)).rejects.toThrow('Unknown chatbot');
  });

  it('"Add FAQ to Knowledge Base" adds an entry the chatbot then answers from, with a chatbot dropdown', async () => {
    const choices = await appTester(App.triggers.chatbotList.operation.perform, { authData, inputData: {} } as Bundle) as { id: string; name: string }[];
    expect(choices).toEqual([expect.objectContaining({ id: chatbot.id, name: 'Acme Plumbing Bot' })]);
    const entry = await appTester(App.creates.addFaq.operation.perform, {
      authData, inputData: { chatbotId: chatbot.id, question: 'Do you work on weekends?', answer: 'Yes, we take emergency calls on Saturdays and Sundays.' },
    } as Bundle) as Payload;
    expect(entry).toMatchObject({ id: expect.stringMatching(/^kb_/), chatbotId: chatbot.id, kind: 'faq', question: 'Do you work on weekends?' });
    for (const key of Object.keys(App.creates.addFaq.operation.sample)) expect(entry).toHaveProperty(key);
    const reply = await fetch(`${authData.baseUrl}/api/public/system-chat`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chatbotId: chatbot.id, visitorId: 'zap-visitor-5', message: 'do you work on weekends?' }),
    });
    expect(((await reply.json()) as { message: { text: string } }).message.text).toContain('emergency calls on Saturdays and Sundays');
  });
});
