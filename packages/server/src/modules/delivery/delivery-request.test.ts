import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../lib/errors.js';
import { buildDeliveryRequest, redactHeaders, USER_AGENT, validateCustomHeaders } from './delivery-request.js';
import type { DeliveryWebhook } from './delivery-request.js';
import { createWebhookSender } from './http-sender.js';
import type { WebhookSender } from './http-sender.js';
import { buildSampleEventContext } from './mapping.js';
import { generateWebhookSecret } from './signing.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let url: string;
let sender: WebhookSender;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/leads`;
  sender = createWebhookSender({ allowPrivate: true, timeoutMs: 2_000 });
});

afterAll(async () => {
  await sender.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const event = {
  id: 'evt_leadEvent0001',
  type: 'lead.captured' as const,
  occurredAt: '2026-05-03T14:22:08.417Z',
  context: buildSampleEventContext({ customer: { id: 'cus_a1b2c3d4', name: 'Acme' }, chatbot: { id: 'bot_xyz12345', name: 'Acme Plumbing Bot' } }),
};

function webhookWith(overrides: Partial<DeliveryWebhook>): DeliveryWebhook {
  return { url, signingMode: 'hmac-sha256', secrets: [generateWebhookSecret()], bodyFormat: 'json', mappings: null, ...overrides };
}

async function deliver(webhook: DeliveryWebhook, deliveryId = 'dlv_delivery0001'): Promise<Received> {
  const request = buildDeliveryRequest({ webhook, event, deliveryId, now: Date.now() });
  const result = await sender.send(request);
  expect(result.outcome).toBe('success');
  return received.at(-1) as Received;
}

/** Node joins nothing for these headers, so they come back as plain strings. */
function asRecord(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, String(value)]));
}

describe('a real delivery, as the receiver sees it', () => {
  it('carries the contract headers and envelope, and verifies with the standardwebhooks library', async () => {
    const webhook = webhookWith({});
    const got = await deliver(webhook);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-fc-event']).toBe('lead.captured');
    expect(got.headers['x-fc-delivery']).toBe('dlv_delivery0001');
    expect(got.headers['webhook-id']).toBe('dlv_delivery0001');
    expect(got.headers['x-fc-signature']).toBe(got.headers['webhook-signature']);
    const payload = new Webhook(webhook.secrets[0] as string).verify(got.body, asRecord(got.headers));
    expect(payload).toEqual({
      name: 'Jane Smith',
      email: 'jane@example.com',
      phone: '+15555550123',
      chatbot_name: 'Acme Plumbing Bot',
      intent: 'request_quote',
      eventType: 'lead.captured',
      eventTimestamp: '2026-05-03T14:22:08Z',
      eventId: 'evt_leadEvent0001',
      customerId: 'cus_a1b2c3d4',
      chatbotId: 'bot_xyz12345',
      conversationId: 'conv_sampleConversation',
    });
  });

  it('shared-secret mode sends the configured secret in X-FC-Signature and still verifies', async () => {
    const webhook = webhookWith({ signingMode: 'shared-secret', secrets: ['typed-by-the-customer'] });
    const got = await deliver(webhook);
    expect(got.headers['x-fc-signature']).toBe('typed-by-the-customer');
    const libSecret = Buffer.from('typed-by-the-customer').toString('base64');
    expect(new Webhook(libSecret).verify(got.body, asRecord(got.headers))).toMatchObject({ eventId: 'evt_leadEvent0001' });
  });

  it('a form-encoded delivery verifies over the exact bytes sent', async () => {
    const webhook = webhookWith({ bodyFormat: 'form' });
    const got = await deliver(webhook);
    expect(got.headers['content-type']).toBe('application/x-www-form-urlencoded');
    new Webhook(webhook.secrets[0] as string).verify(got.body, asRecord(got.headers), { jsonParse: false });
    expect(new URLSearchParams(got.body).get('email')).toBe('jane@example.com');
  });

  it('during a rotation both the old and the new secret verify', async () => {
    const [next, old] = [generateWebhookSecret(), generateWebhookSecret()];
    const got = await deliver(webhookWith({ secrets: [next, old] }));
    expect(() => new Webhook(old).verify(got.body, asRecord(got.headers))).not.toThrow();
    expect(() => new Webhook(next).verify(got.body, asRecord(got.headers))).not.toThrow();
  });

  it('a retry keeps the ids and the body but signs with a fresh timestamp', () => {
    const webhook = webhookWith({});
    const first = buildDeliveryRequest({ webhook, event, deliveryId: 'dlv_retry0001', now: Date.parse('2026-05-03T14:22:09Z') });
    const retry = buildDeliveryRequest({ webhook, event, deliveryId: 'dlv_retry0001', now: Date.parse('2026-05-03T14:27:09Z') });
    expect(retry.body).toBe(first.body);
    expect(retry.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(retry.headers['X-FC-Delivery']).toBe(first.headers['X-FC-Delivery']);
    expect(Number(retry.headers['webhook-timestamp']) - Number(first.headers['webhook-timestamp'])).toBe(300);
    expect(retry.headers['webhook-signature']).not.toBe(first.headers['webhook-signature']);
  });

  it('custom headers are sent, but can never replace signature or framing headers', async () => {
    const webhook = webhookWith({
      headers: { Authorization: 'Bearer crm-token', 'x-fc-signature': 'forged', 'content-type': 'text/plain', host: 'internal', 'User-Agent': 'Mine/1' },
    });
    const got = await deliver(webhook);
    expect(got.headers.authorization).toBe('Bearer crm-token');
    expect(got.headers['x-fc-signature']).toBe(got.headers['webhook-signature']);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(got.headers['user-agent']).toBe('Mine/1');
  });
});

describe('validateCustomHeaders', () => {
  it('accepts ordinary credential and routing headers', () => {
    expect(validateCustomHeaders({ Authorization: 'Bearer abc ', 'X-Api-Key': 'k' })).toEqual({ Authorization: 'Bearer abc', 'X-Api-Key': 'k' });
    expect(validateCustomHeaders(undefined)).toEqual({});
  });

  it.each([
    [{ Host: 'evil' }, 'headers["Host"]', 'cannot be overridden'],
    [{ 'Content-Length': '1' }, 'headers["Content-Length"]', 'cannot be overridden'],
    [{ 'X-FC-Signature': 'x' }, 'headers["X-FC-Signature"]', 'cannot be overridden'],
    [{ 'webhook-id': 'x' }, 'headers["webhook-id"]', 'cannot be overridden'],
    [{ 'X-Bad': 'a\r\nInjected: yes' }, 'headers["X-Bad"]', 'no line breaks'],
    [{ 'X-Name': 'Zoë' }, 'headers["X-Name"]', 'visible ASCII'],
    [{ 'X-Emoji': '👍' }, 'headers["X-Emoji"]', 'visible ASCII'],
    [{ 'X-Nbsp': 'a\u00a0b' }, 'headers["X-Nbsp"]', 'visible ASCII'],
    [{ 'X-Nul': 'a\u0000b' }, 'headers["X-Nul"]', 'visible ASCII'],
    [{ 'X-Ümlaut': 'x' }, 'headers["X-Ümlaut"]', 'header name'],
    [{ 'X(Bad)': 'x' }, 'headers["X(Bad)"]', 'header name'],
    [{ 'Bad Name': 'x' }, 'headers["Bad Name"]', 'header name'],
    [{ 'X-Num': 5 }, 'headers["X-Num"]', 'must be a string'],
    [{ 'X-A': '1', 'x-a': '2' }, 'headers["x-a"]', 'listed twice'],
  ])('%j', (input, field, message) => {
    try {
      validateCustomHeaders(input);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).errors?.[0]).toEqual({ field, message: expect.stringContaining(message) as string });
    }
  });
});

describe('redactHeaders', () => {
  it('hides credentials, the shared secret and every custom header value in the delivery log; keeps what we set', () => {
    expect(
      redactHeaders({
        Authorization: 'Bearer abc', 'X-Api-Key': 'k', 'X-FC-Signature': 'whsec_secret', 'webhook-signature': 'v1,abc',
        'X-FC-Event': 'lead.captured', Cookie: 'a=b', 'X-Client-Id': 'acme-7731', 'User-Agent': 'Mine/1',
      }),
    ).toEqual({
      Authorization: '[redacted]', 'X-Api-Key': '[redacted]', 'X-FC-Signature': '[redacted]', 'webhook-signature': 'v1,abc',
      'X-FC-Event': 'lead.captured', Cookie: '[redacted]', 'X-Client-Id': '[redacted]', 'User-Agent': '[redacted]',
    });
  });

  it('keeps every header of a request without custom headers readable, except the signature secret', () => {
    const request = buildDeliveryRequest({ webhook: webhookWith({ signingMode: 'shared-secret', secrets: ['typed-by-the-customer'] }), event, deliveryId: 'dlv_delivery0001', now: 1_700_000_000_000 });
    const logged = redactHeaders(request.headers);
    expect(Object.entries(logged).filter(([, value]) => value === '[redacted]').map(([name]) => name)).toEqual(['X-FC-Signature']);
    expect(logged['User-Agent']).toBe(USER_AGENT);
  });
});
