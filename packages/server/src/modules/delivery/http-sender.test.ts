import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWebhookSender, parseRetryAfter } from './http-sender.js';
import type { WebhookSender } from './http-sender.js';

/** A receiver on 127.0.0.1 whose behaviour depends on the path. */
let server: Server;
let base: string;
const hits = new Map<string, number>();
let connections = 0;
let inFlight = 0;
let maxInFlight = 0;
let hugeBodyCompleted: boolean | null = null;

function route(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '/';
  hits.set(path, (hits.get(path) ?? 0) + 1);
  switch (path) {
    case '/ok':
      res.end('thanks');
      return;
    case '/fail':
      res.writeHead(500).end('internal error');
      return;
    case '/gone':
      res.writeHead(410).end('unsubscribed');
      return;
    case '/redirect':
      res.writeHead(302, { location: '/redirect-target' }).end();
      return;
    case '/slow':
      setTimeout(() => res.end('late'), 2_000).unref();
      return;
    case '/never':
      return; // accepts the request and never answers
    case '/trickle':
      res.writeHead(200);
      res.write('a');
      setInterval(() => res.write('b'), 20).unref();
      return;
    case '/huge': {
      res.writeHead(200, { 'content-type': 'text/plain' });
      hugeBodyCompleted = null;
      res.on('close', () => (hugeBodyCompleted = res.writableFinished));
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      const pump = (): void => {
        while (sent < 160 && res.write(chunk)) sent += 1;
        if (sent < 160) res.once('drain', pump);
        else res.end();
      };
      pump();
      return;
    }
    case '/binary':
      res.end(Buffer.concat([Buffer.from('ok\u0000'), Buffer.alloc(1_022, 'é')]));
      return;
    case '/reset':
      req.socket.destroy();
      return;
    case '/busy':
      res.writeHead(503, { 'retry-after': '120' }).end();
      return;
    case '/limited':
      res.writeHead(429, { 'retry-after': new Date(Date.now() + 90_000).toUTCString() }).end();
      return;
    case '/bad-request':
      res.writeHead(400).end('{"error":"missing email"}');
      return;
    case '/echo': {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        setTimeout(() => {
          inFlight -= 1;
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }));
        }, 50);
      });
      return;
    }
    default:
      res.writeHead(404).end();
  }
}

beforeAll(async () => {
  server = createServer(route);
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => hits.clear());

const post = (sender: WebhookSender, path: string, extra: { concurrencyKey?: string; signal?: AbortSignal } = {}) =>
  sender.send({ url: `${base}${path}`, headers: { 'content-type': 'application/json', 'x-test': 'yes' }, body: '{"eventId":"evt_1"}', ...extra });

describe('createWebhookSender against a local receiver (private targets allowed)', () => {
  let sender: WebhookSender;
  beforeAll(() => {
    sender = createWebhookSender({ allowPrivate: true, timeoutMs: 500 });
  });
  afterAll(async () => {
    await sender.close();
  });

  it('2xx is success, with status, latency and the response excerpt', async () => {
    const result = await post(sender, '/ok');
    expect(result).toMatchObject({ outcome: 'success', statusCode: 200, errorClass: null, responseExcerpt: 'thanks', retryAfterMs: null });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('sends the method, headers and body it was given', async () => {
    const result = await post(sender, '/echo');
    const echoed = JSON.parse(result.responseExcerpt) as { headers: Record<string, string>; body: string };
    expect(echoed.body).toBe('{"eventId":"evt_1"}');
    expect(echoed.headers['x-test']).toBe('yes');
    expect(echoed.headers['content-type']).toBe('application/json');
  });

  it('500 is retried, with the receiver\'s words in the log', async () => {
    expect(await post(sender, '/fail')).toMatchObject({ outcome: 'retry', statusCode: 500, errorClass: 'http_status', responseExcerpt: 'internal error' });
  });

  it('other 4xx are retried too (the receiver may be fixed)', async () => {
    expect(await post(sender, '/bad-request')).toMatchObject({ outcome: 'retry', statusCode: 400, errorClass: 'http_status' });
  });

  it('410 Gone tells the worker to disable the webhook', async () => {
    expect(await post(sender, '/gone')).toMatchObject({ outcome: 'gone', statusCode: 410 });
  });

  it('3xx is a failed attempt and the redirect is not followed', async () => {
    expect(await post(sender, '/redirect')).toMatchObject({ outcome: 'retry', statusCode: 302, errorClass: 'redirect' });
    expect(hits.get('/redirect-target')).toBeUndefined();
  });

  it('a slow receiver hits the total timeout and is retried', async () => {
    const result = await post(sender, '/slow');
    expect(result).toMatchObject({ outcome: 'retry', statusCode: null, errorClass: 'timeout' });
    expect(result.latencyMs).toBeGreaterThanOrEqual(450);
    expect(result.latencyMs).toBeLessThan(1_500);
  });

  it('a receiver that never answers does not hold the sender', async () => {
    const startedAt = Date.now();
    expect(await post(sender, '/never')).toMatchObject({ outcome: 'retry', errorClass: 'timeout' });
    expect(Date.now() - startedAt).toBeLessThan(1_500);
  });

  it('a 200 whose body never ends still counts as delivered, within the timeout', async () => {
    const startedAt = Date.now();
    const result = await post(sender, '/trickle');
    expect(result).toMatchObject({ outcome: 'success', statusCode: 200 });
    expect(result.responseExcerpt.startsWith('ab')).toBe(true);
    expect(Date.now() - startedAt).toBeLessThan(1_500);
  });

  it('a huge response is cut: at most 64 KB read, 1 KB kept', async () => {
    const result = await post(sender, '/huge');
    expect(result.outcome).toBe('success');
    expect(result.responseExcerpt).toBe('x'.repeat(1_024));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(hugeBodyCompleted).toBe(false); // we hung up instead of downloading 10 MB
  });

  it('the excerpt is safe to store: no NUL bytes, no half characters', async () => {
    const result = await post(sender, '/binary');
    expect(result.responseExcerpt).not.toContain('\u0000');
    expect(result.responseExcerpt.startsWith('ok\uFFFD')).toBe(true);
    expect(result.responseExcerpt.endsWith('é')).toBe(true);
    expect(result.responseExcerpt.length).toBeLessThanOrEqual(1_024);
  });

  it('a connection reset is a retried connection error', async () => {
    expect(await post(sender, '/reset')).toMatchObject({ outcome: 'retry', statusCode: null, errorClass: 'connection' });
  });

  it('a refused connection is a retried connection error', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const result = await sender.send({ url: `http://127.0.0.1:${port}/`, headers: {}, body: '{}' });
    expect(result).toMatchObject({ outcome: 'retry', errorClass: 'connection' });
  });

  it('an unknown host is a retried DNS error', async () => {
    const result = await sender.send({ url: 'http://does-not-exist.invalid/', headers: {}, body: '{}' });
    expect(result).toMatchObject({ outcome: 'retry', errorClass: 'dns' });
  });

  it('Retry-After in seconds and as an HTTP date is returned in ms', async () => {
    expect((await post(sender, '/busy')).retryAfterMs).toBe(120_000);
    const limited = await post(sender, '/limited');
    expect(limited.outcome).toBe('retry');
    expect(limited.retryAfterMs).toBeGreaterThan(85_000);
    expect(limited.retryAfterMs).toBeLessThanOrEqual(90_000);
  });

  it('reuses keep-alive connections to one origin', async () => {
    await post(sender, '/ok');
    const before = connections;
    for (let i = 0; i < 5; i += 1) await post(sender, '/ok');
    expect(connections).toBe(before);
  });

  it('a shutdown signal ends the attempt as a retry', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect(await post(sender, '/never', { signal: controller.signal })).toMatchObject({ outcome: 'retry', errorClass: 'aborted' });
  });
});

describe('per-destination concurrency cap', () => {
  it('never has more than the cap in flight to one destination', async () => {
    const capped = createWebhookSender({ allowPrivate: true, timeoutMs: 2_000, perOriginConnections: 2 });
    maxInFlight = 0;
    const results = await Promise.all(Array.from({ length: 8 }, () => post(capped, '/echo', { concurrencyKey: 'wh_one' })));
    expect(results.every((result) => result.outcome === 'success')).toBe(true);
    expect(maxInFlight).toBe(2);
    expect(capped.hasCapacity('wh_one')).toBe(true);
    await capped.close();
  });
});

describe('createWebhookSender with private targets refused', () => {
  let sender: WebhookSender;
  let resolvedTo = '127.0.0.1';
  beforeAll(() => {
    sender = createWebhookSender({
      allowPrivate: false,
      timeoutMs: 500,
      resolve: () => Promise.resolve([{ address: resolvedTo, family: 4 }]),
    });
  });
  afterAll(async () => {
    await sender.close();
  });

  it('refuses a loopback URL before connecting', async () => {
    const before = connections;
    const result = await post(sender, '/ok');
    expect(result).toMatchObject({ outcome: 'failure', statusCode: null, errorClass: 'blocked_address' });
    expect(connections).toBe(before);
    expect(hits.size).toBe(0);
  });

  it('refuses a public-looking name that resolves to loopback at connect time', async () => {
    resolvedTo = '127.0.0.1';
    const port = (server.address() as AddressInfo).port;
    const before = connections;
    const result = await sender.send({ url: `http://hooks.example.com:${port}/ok`, headers: {}, body: '{}' });
    expect(result).toMatchObject({ outcome: 'failure', errorClass: 'blocked_address' });
    expect(result.errorMessage).toContain('loopback');
    expect(connections).toBe(before);
  });

  it('refuses localhost and an invalid URL without a network round-trip', async () => {
    const port = (server.address() as AddressInfo).port;
    expect(await sender.send({ url: `http://localhost:${port}/ok`, headers: {}, body: '{}' })).toMatchObject({ outcome: 'failure', errorClass: 'blocked_address' });
    expect(await sender.send({ url: 'not a url', headers: {}, body: '{}' })).toMatchObject({ outcome: 'failure', errorClass: 'invalid_url' });
    expect(hits.size).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-05-03T14:22:08Z');

  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    ['Sun, 03 May 2026 14:23:08 GMT', 60_000],
    ['Sun, 03 May 2026 14:00:00 GMT', 0], // in the past: retry as scheduled
    ['999999999', 86_400_000], // clamped to 24 h
    ['-5', null],
    ['1.5', null],
    ['soon', null],
    ['2026-05-03', null],
    ['', null],
  ])('%j → %s', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it('takes the first of repeated headers and ignores a missing one', () => {
    expect(parseRetryAfter(['5', '10'], now)).toBe(5_000);
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});
